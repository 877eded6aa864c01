import { randomBytes } from 'node:crypto';
import {
  CopyObjectCommand,
  GetObjectCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createTestBucket } from '@stowage/ceph-server';
import { injectCephServer } from '@stowage/ceph-server/vitest';
import { describeObjectStore } from '@stowage/contract';
import { StorageError, collectBytes } from '@stowage/core';
import { nodeSha256 } from '@stowage/core/node';
import { afterAll, describe, expect, it } from 'vitest';
import { putCutShort } from '../test/raw-endpoints.ts';
import { bucketPolicies } from './bucket-policy.ts';
import { checksumConfig } from './checksum-profile.ts';
import { createS3Client } from './s3-client.ts';
import { S3Store } from './s3-store.ts';
import type { S3ServerLimitations } from './s3-store.ts';

const MIB = 1024 * 1024;
const server = injectCephServer();
/** The S3 user the launcher makes; bucket policies name it. */
const PRINCIPAL = 'arn:aws:iam:::user/stowage';
/** What Ceph 16.2's gateway cannot do, each shown by a test below. */
const CEPH_LIMITATIONS: S3ServerLimitations = {
  copySourceConditions: 'Ceph 16.2 ignores x-amz-copy-source-if-match on CopyObject and UploadPartCopy',
};

const admin = new S3Client({ ...server.clientConfig, ...checksumConfig('s3-compatible') });
afterAll(() => {
  admin.destroy();
});

function settingsFor(
  uploadsBucket: string,
  avatarsBucket: string,
  credentials = server.credentials,
): Parameters<typeof createS3Client>[0] {
  return {
    uploadsBucket,
    avatarsBucket,
    endpointUrl: server.endpoint,
    region: 'us-east-1',
    addressingStyle: 'path',
    skipChecksum: false,
    uploadsStorageClass: undefined,
    avatarPublicUrlPrefix: undefined,
    credentials,
  };
}

/** Two fresh buckets, the avatars one readable anonymously under the policy `bucketPolicies` writes. */
async function freshBuckets(): Promise<{ uploads: string; avatars: string }> {
  const uploads = await createTestBucket(admin, 'uploads');
  const avatars = await createTestBucket(admin, 'avatars');
  const policies = bucketPolicies({ uploadsBucket: uploads, avatarsBucket: avatars, principal: PRINCIPAL });
  await admin.send(new PutBucketPolicyCommand({ Bucket: avatars, Policy: JSON.stringify(policies.avatars) }));
  await admin.send(new PutBucketPolicyCommand({ Bucket: uploads, Policy: JSON.stringify(policies.uploads) }));
  return { uploads, avatars };
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function failure(promise: Promise<unknown>): Promise<StorageError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(StorageError);
  return error as StorageError;
}

describeObjectStore(
  "S3Store on Ceph 16.2's RADOS Gateway (a real S3 that checks signatures)",
  async () => {
    const buckets = await freshBuckets();
    // The same client and store setup as the s3rver run: built from settings, as the chat server and CLI build it.
    const client = createS3Client(settingsFor(buckets.uploads, buckets.avatars));
    const store = S3Store.fromSettings(settingsFor(buckets.uploads, buckets.avatars), 'avatars', {
      client,
      limitations: CEPH_LIMITATIONS,
    });
    return {
      store,
      cleanup: () => {
        client.destroy();
      },
    };
  },
  { signedUrl: { fetch: fetchBytes }, publicUrl: { fetch: fetchBytes }, sha256: nodeSha256 },
);

describe('S3Store on Ceph', () => {
  it('refuses wrong credentials with AccessDenied, writing nothing', async () => {
    const { uploads, avatars } = await freshBuckets();
    const wrong = S3Store.fromSettings(
      settingsFor(uploads, avatars, { accessKeyId: server.credentials.accessKeyId, secretAccessKey: 'not-the-secret' }),
      'uploads',
    );
    const refused = await failure(wrong.put('k', 'bytes'));
    expect(refused.code).toBe('AccessDenied');
    expect(refused.message).toMatch(/SignatureDoesNotMatch/u);
    expect((await failure(wrong.head('k'))).code).toBe('AccessDenied');
    wrong.destroy();
    const store = S3Store.fromSettings(settingsFor(uploads, avatars), 'uploads');
    expect(await store.head('k')).toBeUndefined();
    store.destroy();
  });

  it('serves a presigned GET to a plain HTTP client, and refuses it tampered or without a signature', async () => {
    const { uploads, avatars } = await freshBuckets();
    const store = S3Store.fromSettings(settingsFor(uploads, avatars), 'uploads');
    await store.put('docs/report.pdf', 'pdf bytes', { contentType: 'application/pdf' });
    const url = await store.signedUrl('docs/report.pdf', {
      expiresIn: 60,
      disposition: 'attachment',
      filename: 'Q3 report.pdf',
    });
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('pdf bytes');
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(response.headers.get('content-disposition')).toContain('attachment');
    const tampered = new URL(url);
    tampered.searchParams.set('response-content-type', 'text/html');
    expect((await fetch(tampered)).status).toBe(403);
    expect((await fetch(`${server.endpoint}/${uploads}/docs/report.pdf`)).status).toBe(403);
    store.destroy();
  });

  it('takes a browser-like upload through a presigned PUT with exactly the signed headers, and refuses another length', async () => {
    const { uploads, avatars } = await freshBuckets();
    for (const checksumProfile of ['s3-compatible', 'aws'] as const) {
      const store = S3Store.fromSettings(settingsFor(uploads, avatars), 'uploads', { checksumProfile });
      const bytes = randomBytes(2000);
      const key = `direct/${checksumProfile}.png`;
      const { url, headers } = await store.presignedPut(key, {
        contentType: 'image/png',
        size: bytes.byteLength,
        expiresIn: 60,
      });
      const refused = await fetch(url, { method: 'PUT', headers, body: bytes.subarray(0, 1000) }).catch(
        (error: unknown) => error,
      );
      expect(refused instanceof Response ? refused.ok : false, checksumProfile).toBe(false);
      const uploaded = await fetch(url, { method: 'PUT', headers, body: bytes });
      expect(uploaded.status, `${checksumProfile}: ${await uploaded.clone().text()}`).toBe(200);
      expect(Buffer.from(await collectBytes((await store.get(key)).body)).equals(bytes), checksumProfile).toBe(true);
      expect((await store.head(key))?.contentType, checksumProfile).toBe('image/png');
      store.destroy();
    }
  });

  it('keeps nothing of a PutObject cut short: the old object stays (so interrupted puts need no declaring)', async () => {
    const bucket = await createTestBucket(admin, 'cut');
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'the old object' }));
    await putCutShort(server.endpoint, server.credentials, bucket, 'k');
    const output = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' }));
    expect(await output.Body?.transformToString()).toBe('the old object');
  });

  it('shows why copySourceConditions is declared: Ceph copies despite a wrong x-amz-copy-source-if-match', async () => {
    const bucket = await createTestBucket(admin, 'cond');
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'a', Body: 'source' }));
    const copied = await admin.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'b',
        CopySource: `${bucket}/a`,
        CopySourceIfMatch: '"0123456789abcdef0123456789abcdef"',
      }),
    );
    // S3 answers 412 PreconditionFailed; Ceph copies, and answers a bare ETag.
    expect(copied.CopyObjectResult?.ETag).toMatch(/^[0-9a-f]{32}$/u);
  });

  it('records the SHA-256 of a multipart put with no SHA-256 given, confirmed by the ETag, and copies part by part', async () => {
    const { uploads, avatars } = await freshBuckets();
    const store = S3Store.fromSettings(settingsFor(uploads, avatars), 'uploads', {
      limitations: CEPH_LIMITATIONS,
      multipartCopyThreshold: 6 * MIB,
      copyPartSize: 5 * MIB,
    });
    const bytes = randomBytes(12 * MIB + 5);
    const body = new Blob([bytes]).stream();
    const info = await store.put('big.bin', body, { confirm: true, metadata: { kept: 'yes' } });
    expect(info.confirmed).toBe(true);
    const head = await store.head('big.bin');
    expect(head).toMatchObject({ sha256: info.sha256, etag: info.etag, metadata: { kept: 'yes' } });
    const copy = await store.copy('big.bin', 'big-copy.bin');
    expect(copy.etag).toBe((await store.head('big-copy.bin'))?.etag);
    expect(Buffer.from(await collectBytes((await store.get('big-copy.bin')).body)).equals(bytes)).toBe(true);
    expect((await store.head('big-copy.bin'))?.sha256).toBe(info.sha256);
    store.destroy();
  }, 120_000);
});
