import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server } from './start-s3-server.ts';
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
        keys.slice(index, index + 50).map((key) => client.send(new PutObjectCommand({ Bucket: 'first-bucket', Key: key, Body: key }))),
      );
    }
    const first = await client.send(new ListObjectsV2Command({ Bucket: 'first-bucket', Prefix: 'many/' }));
    expect(first.Contents).toHaveLength(1_000);
    expect(first.IsTruncated).toBe(true);
    const second = await client.send(
      new ListObjectsV2Command({ Bucket: 'first-bucket', Prefix: 'many/', ContinuationToken: first.NextContinuationToken }),
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

  it('refuses an invalid bucket name, naming it', async () => {
    await expect(startS3Server({ buckets: ['Not_A_Bucket!'] })).rejects.toThrow(/"Not_A_Bucket!"/u);
  });

  it('removes the data directory when its parent goes away without calling stop', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'stowage-s3rver-orphan-'));
    const child = spawn(process.execPath, ['--openssl-legacy-provider', fileURLToPath(new URL('../bin/s3rver-child.cjs', import.meta.url)), directory, 'orphan-bucket'], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    await new Promise<void>((resolve) => child.stdout.once('data', () => { resolve(); }));
    expect(existsSync(join(directory, 'orphan-bucket'))).toBe(true);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.stdin.destroy();
    expect(await exited).toBe(0);
    expect(existsSync(directory)).toBe(false);
  });
});
