// Starts a Ceph gateway by hand: `npm run ceph -w @stowage/ceph-server [-- [--memstore] BUCKET...]`. Prints how to
// reach it, then runs until Ctrl-C (or SIGTERM) and stops the daemons it started.
import { startCephServer } from './start-ceph-server.ts';

const args = process.argv.slice(2);
const memstore = args.includes('--memstore');
const buckets = args.filter((arg) => arg !== '--memstore');

const started = Date.now();
process.stdout.write('Starting a single-node Ceph cluster and its RADOS Gateway (about 15-20 s)...\n');
const server = await startCephServer({ buckets, objectStore: memstore ? 'memstore' : 'bluestore' });
const { endpoint, credentials, clientConfig, directory, pids } = server;
process.stdout.write(
  [
    `Ready in ${((Date.now() - started) / 1_000).toFixed(1)} s.`,
    `  endpoint    ${endpoint} (path-style addressing, region ${clientConfig.region})`,
    `  access key  ${credentials.accessKeyId}`,
    `  secret key  ${credentials.secretAccessKey}`,
    `  buckets     ${buckets.length > 0 ? buckets.join(', ') : '(none)'}`,
    `  directory   ${directory} (configuration, keyrings, logs; removed on stop)`,
    `  pids        monitor ${pids.monitor}, osd ${pids.osd}, gateway ${pids.gateway}`,
    'For the AWS CLI or rclone in another shell:',
    `  export AWS_ACCESS_KEY_ID=${credentials.accessKeyId} AWS_SECRET_ACCESS_KEY=${credentials.secretAccessKey} AWS_ENDPOINT_URL=${endpoint} AWS_REGION=${clientConfig.region}`,
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
