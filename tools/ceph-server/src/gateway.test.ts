import { createHash, randomBytes } from 'node:crypto';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestBucket } from './start-ceph-server.ts';
import { injectCephServer } from './vitest.ts';

// These run against the one gateway the project's global setup started.
describe('the RADOS Gateway', () => {
  const server = injectCephServer();
  let client: S3Client;
  let bucket: string;

  beforeAll(async () => {
    // Ceph refuses the SDK's default aws-chunked streamed upload, so send only the checksums S3 requires.
    client = new S3Client({ ...server.clientConfig, requestChecksumCalculation: 'WHEN_REQUIRED' });
    bucket = await createTestBucket(client);
  });

  afterAll(() => {
    client.destroy();
  });

  it('listens on a loopback port', () => {
    expect(server.endpoint).toBe(`http://127.0.0.1:${server.port}`);
  });

  it('stores, returns and lists objects', async () => {
    const bytes = randomBytes(70_000);
    const keys = ['a/one.bin', 'a/two.bin', 'b/three.bin'];
    for (const key of keys) await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'a/two.bin' }));
    const stored = await got.Body?.transformToByteArray();
    expect(stored !== undefined && Buffer.from(stored).equals(bytes)).toBe(true);

    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'a/', MaxKeys: 1 }));
    expect(page.Contents?.map((object) => object.Key)).toEqual(['a/one.bin']);
    expect(page.IsTruncated).toBe(true);
    const rest = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'a/', ContinuationToken: page.NextContinuationToken }),
    );
    expect(rest.Contents?.map((object) => object.Key)).toEqual(['a/two.bin']);
    const all = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(all.Contents?.map((object) => [object.Key, object.Size])).toEqual(keys.map((key) => [key, bytes.length]));
  });

  it('gives each test bucket a fresh name', async () => {
    const other = await createTestBucket(client, 'other');
    expect(other).toMatch(/^other-[0-9a-f]{12}$/u);
    expect(other).not.toBe(bucket);
    const listing = await client.send(new ListObjectsV2Command({ Bucket: other }));
    expect(listing.KeyCount).toBe(0);
  });

  it('refuses a request signed with a wrong secret', async () => {
    const wrong = new S3Client({
      ...server.clientConfig,
      credentials: {
        accessKeyId: server.credentials.accessKeyId,
        secretAccessKey: `${server.credentials.secretAccessKey}x`,
      },
      maxAttempts: 1,
    });
    try {
      const refusal = await wrong.send(new ListObjectsV2Command({ Bucket: bucket })).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refusal).toBeInstanceOf(S3ServiceException);
      expect(refusal).toMatchObject({ name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403 } });
    } finally {
      wrong.destroy();
    }
  });

  it('checks Content-MD5', async () => {
    const refusal = await client
      .send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: 'md5.txt',
          Body: 'hello',
          ContentMD5: createHash('md5').update('other').digest('base64'),
        }),
      )
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(refusal).toMatchObject({ name: 'BadDigest' });
  });

  it('serves presigned GET and PUT to plain fetch, and refuses a tampered URL', async () => {
    const body = randomBytes(10_000);
    const putUrl = await getSignedUrl(client, new PutObjectCommand({ Bucket: bucket, Key: 'presigned.bin' }), {
      expiresIn: 300,
    });
    const put = await fetch(putUrl, { method: 'PUT', body });
    expect(put.status).toBe(200);
    await put.body?.cancel();

    const getUrl = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: 'presigned.bin' }), {
      expiresIn: 300,
    });
    const got = await fetch(getUrl);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(body)).toBe(true);

    const tampered = new URL(getUrl);
    const signature = tampered.searchParams.get('X-Amz-Signature') ?? '';
    tampered.searchParams.set('X-Amz-Signature', `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`);
    const refused = await fetch(tampered);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('SignatureDoesNotMatch');

    const otherKey = new URL(putUrl);
    otherKey.pathname = otherKey.pathname.replace('presigned.bin', 'elsewhere.bin');
    const redirected = await fetch(otherKey, { method: 'PUT', body });
    expect(redirected.status).toBe(403);
    await redirected.body?.cancel();
  });
});
