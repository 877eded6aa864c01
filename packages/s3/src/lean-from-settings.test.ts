import { createHash, randomBytes } from 'node:crypto';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { collectBytes } from '@stowage/core';
import type { S3Settings } from '@stowage/core';
import { startS3Server } from '@stowage/s3-test-server';
import type { S3TestServer } from '@stowage/s3-test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Store } from './s3-store.ts';
import { clientS3Loaded } from './sdk.ts';

let server: S3TestServer;

beforeAll(async () => {
  server = await startS3Server({ buckets: [] });
  // Made with the SDK imported here, not through the store's loader, which is what the tests watch.
  const client = new S3Client(server.clientConfig);
  await client.send(new CreateBucketCommand({ Bucket: 'lean' }));
  client.destroy();
});

afterAll(async () => {
  await server.stop();
});

function settings(overrides: Partial<S3Settings> = {}): S3Settings {
  return {
    uploadsBucket: 'lean',
    avatarsBucket: 'lean-avatars',
    endpointUrl: server.endpoint,
    region: 'us-east-1',
    addressingStyle: 'path',
    skipChecksum: false,
    uploadsStorageClass: undefined,
    avatarPublicUrlPrefix: undefined,
    credentials: server.clientConfig.credentials,
    ...overrides,
  };
}

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes.slice(0, 1000));
      controller.enqueue(bytes.slice(1000));
      controller.close();
    },
  });
}

describe('S3Store.fromSettings with static credentials and an S3-compatible endpoint', () => {
  it('puts, heads and lists without loading the SDK client, and makes the client only for other requests', async () => {
    const store = S3Store.fromSettings(settings(), 'uploads');
    const bytes = randomBytes(300_000);
    const sha256 = createHash('sha256').update(bytes).digest('base64');
    const whole = await store.put('2/ab/whole.bin', bytes, { contentType: 'application/pdf', metadata: { 'realm-id': '2' } });
    const streamed = await store.put('2/ab/streamed.bin', streamOf(bytes), { size: bytes.byteLength, sha256, confirm: true });
    expect(whole.sha256).toBe(sha256);
    expect(streamed).toMatchObject({ sha256, confirmed: true });
    expect(await store.head('2/ab/whole.bin')).toMatchObject({ size: bytes.byteLength, sha256, contentType: 'application/pdf', metadata: { 'realm-id': '2' } });
    expect(await store.head('2/ab/missing.bin')).toBeUndefined();
    const keys: string[] = [];
    for await (const summary of store.list({ prefix: '2/' })) keys.push(summary.key);
    expect(keys).toEqual(['2/ab/streamed.bin', '2/ab/whole.bin']);
    expect(clientS3Loaded()).toBe(false);

    // A GetObject goes through the SDK: the client is made then, and reads the same objects.
    const got = await store.get('2/ab/streamed.bin');
    expect(clientS3Loaded()).toBe(true);
    expect(Buffer.from(await collectBytes(got.body)).equals(bytes)).toBe(true);
    store.destroy();
  });

  it('still fails with a typed error naming the store when the lean requests are refused', async () => {
    const store = S3Store.fromSettings(settings({ uploadsBucket: 'no-such-bucket' }), 'uploads');
    await expect(store.put('k', 'x')).rejects.toMatchObject({ code: 'InvalidSettings', message: expect.stringContaining('no-such-bucket') as unknown });
    store.destroy();
  });
});
