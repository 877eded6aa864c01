// Starts s3rver by hand: `npm run s3 -w @stowage/s3-test-server [-- [--tls] BUCKET...]`. Prints how to reach it and
// the stowage settings for it, then runs until Ctrl-C (or SIGTERM) and stops the server, removing its data.
import { TEST_TLS_FILES, startS3Server } from './start-s3-server.ts';

const args = process.argv.slice(2);
const tls = args.includes('--tls');
const named = args.filter((arg) => arg !== '--tls');
const buckets = named.length > 0 ? named : ['stowage-uploads', 'stowage-avatars'];

const server = await startS3Server({ buckets, tls });
const { endpoint, clientConfig, directory } = server;
const { accessKeyId, secretAccessKey } = clientConfig.credentials;
process.stdout.write(
  [
    `s3rver is serving ${endpoint} (path-style addressing, region ${clientConfig.region}).`,
    `  access key  ${accessKeyId}`,
    `  secret key  ${secretAccessKey}`,
    `  buckets     ${buckets.join(', ')}`,
    `  directory   ${directory} (removed on stop)`,
    ...(tls ? [`  authority   ${TEST_TLS_FILES.certificateAuthority} (set NODE_EXTRA_CA_CERTS to it)`] : []),
    'Settings for the chat app or `stowage` (in a settings file, or exported in another shell):',
    `  S3_ENDPOINT_URL=${endpoint}`,
    `  S3_KEY=${accessKeyId}`,
    `  S3_SECRET_KEY=${secretAccessKey}`,
    `  S3_ADDRESSING_STYLE=path`,
    ...(buckets.length >= 2
      ? [`  S3_AUTH_UPLOADS_BUCKET=${buckets[0] ?? ''}`, `  S3_AVATAR_BUCKET=${buckets[1] ?? ''}`]
      : []),
    '  S3_KEEPS_INTERRUPTED_UPLOADS=true',
    'Press Ctrl-C to stop.',
    '',
  ].join('\n'),
);
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  process.stdout.write('Stopping...\n');
  void server.stop().then(() => {
    process.stdout.write('Stopped.\n');
  });
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
