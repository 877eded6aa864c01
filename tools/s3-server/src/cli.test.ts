import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('cli.ts', import.meta.url));

it('starts by hand, prints the settings that reach it, and stops on SIGTERM', async () => {
  const child = spawn(
    process.execPath,
    ['--conditions=@stowage/source', '--import', 'tsx', CLI, 'hand-uploads', 'hand-avatars'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      resolve(code);
    }),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Press Ctrl-C to stop.')) resolve();
      });
      void exited.then(() => {
        reject(new Error(`exited before it was ready:\n${output}`));
      });
    });
    const endpoint = /S3_ENDPOINT_URL=(\S+)/u.exec(output)?.[1];
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/u);
    expect(output).toContain('S3_AUTH_UPLOADS_BUCKET=hand-uploads');
    expect(output).toContain('S3_AVATAR_BUCKET=hand-avatars');
    const client = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: {
        accessKeyId: /S3_KEY=(\S+)/u.exec(output)?.[1] ?? '',
        secretAccessKey: /S3_SECRET_KEY=(\S+)/u.exec(output)?.[1] ?? '',
      },
    });
    try {
      const listing = await client.send(new ListObjectsV2Command({ Bucket: 'hand-avatars' }));
      expect(listing.KeyCount).toBe(0);
    } finally {
      client.destroy();
    }
  } finally {
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGTERM');
  }
  expect(await exited).toBe(0);
  expect(output).toContain('Stopped.');
}, 60_000);
