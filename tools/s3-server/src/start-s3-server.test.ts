import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_TLS_FILES, startS3Server } from './start-s3-server.ts';
import type { S3TestServer } from './start-s3-server.ts';

describe('startS3Server', () => {
  let server: S3TestServer;
  let client: S3Client;

  beforeAll(async () => {
    server = await startS3Server({ buckets: ['first-bucket', 'second-bucket'] });
    client = new S3Client({ ...server.clientConfig, requestChecksumCalculation: 'WHEN_REQUIRED' });
  });

  afterAll(async () => {
    client.destroy();
    await server.stop();
  });

  it('listens on a loopback port', () => {
    expect(server.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/u);
    expect(server.port).toBeGreaterThan(0);
  });

  it('serves both buckets and returns the bytes stored', async () => {
    const bytes = randomBytes(70_000);
    for (const bucket of ['first-bucket', 'second-bucket']) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'a/b.bin', Body: bytes }));
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'a/b.bin' }));
      const stored = await got.Body?.transformToByteArray();
      expect(stored !== undefined && Buffer.from(stored).equals(bytes)).toBe(true);
    }
  });

  it('lists past 1,000 keys (needs the legacy OpenSSL provider)', async () => {
    const keys = Array.from({ length: 1_005 }, (_, index) => `many/${String(index).padStart(4, '0')}`);
    for (let index = 0; index < keys.length; index += 50) {
      await Promise.all(
        keys
          .slice(index, index + 50)
          .map((key) => client.send(new PutObjectCommand({ Bucket: 'first-bucket', Key: key, Body: key }))),
      );
    }
    const first = await client.send(new ListObjectsV2Command({ Bucket: 'first-bucket', Prefix: 'many/' }));
    expect(first.Contents).toHaveLength(1_000);
    expect(first.IsTruncated).toBe(true);
    const second = await client.send(
      new ListObjectsV2Command({
        Bucket: 'first-bucket',
        Prefix: 'many/',
        ContinuationToken: first.NextContinuationToken,
      }),
    );
    expect(second.Contents?.map((object) => object.Key)).toEqual(keys.slice(1_000));
  }, 60_000);
});

describe('stop', () => {
  it('stops the server and removes its data directory, and may be called twice', async () => {
    const server = await startS3Server({ buckets: ['some-bucket'] });
    expect(existsSync(server.directory)).toBe(true);
    const response = await fetch(`${server.endpoint}/some-bucket`);
    expect(response.status).toBeGreaterThanOrEqual(200);
    await server.stop();
    await server.stop();
    await expect(fetch(`${server.endpoint}/some-bucket`)).rejects.toThrow();
    expect(existsSync(server.directory)).toBe(false);
  });

  it('serves HTTPS with tls, with a certificate trusted only with the test authority', async () => {
    const server = await startS3Server({ buckets: ['tls-bucket'], tls: true });
    try {
      expect(server.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/u);
      const listing = (ca?: Buffer): Promise<string> =>
        new Promise((resolve, reject) => {
          const probe = httpsRequest(`${server.endpoint}/tls-bucket`, ca === undefined ? {} : { ca }, (response) => {
            let body = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => (body += chunk));
            response.on('end', () => {
              resolve(`${String(response.statusCode)} ${body}`);
            });
          });
          probe.on('error', reject);
          probe.end();
        });
      // s3rver lists a bucket to anyone.
      expect(await listing(readFileSync(TEST_TLS_FILES.certificateAuthority))).toMatch(
        /^200 .*<ListBucketResult.*<Name>tls-bucket<\/Name>/su,
      );
      await expect(listing()).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    } finally {
      await server.stop();
    }
  });

  it('refuses an invalid bucket name, naming it', async () => {
    await expect(startS3Server({ buckets: ['Not_A_Bucket!'] })).rejects.toThrow(/"Not_A_Bucket!"/u);
  });

  it('removes the data directory when its parent goes away without calling stop', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'stowage-s3rver-orphan-'));
    const child = spawn(
      process.execPath,
      [
        '--openssl-legacy-provider',
        fileURLToPath(new URL('../bin/s3rver-child.cjs', import.meta.url)),
        directory,
        'orphan-bucket',
      ],
      {
        stdio: ['pipe', 'pipe', 'ignore'],
      },
    );
    await new Promise<void>((resolve) =>
      child.stdout.once('data', () => {
        resolve();
      }),
    );
    expect(existsSync(join(directory, 'orphan-bucket'))).toBe(true);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.stdin.destroy();
    expect(await exited).toBe(0);
    expect(existsSync(directory)).toBe(false);
  });
});
