import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { describeObjectStore } from '@stowage/contract';
import { nodeSha256 } from '@stowage/core/node';
import { startS3Server } from '@stowage/s3-test-server';
import type { S3TestServer } from '@stowage/s3-test-server';
import { afterAll } from 'vitest';
import { createS3Client } from './s3-client.ts';
import { S3Store } from './s3-store.ts';
import { FakeS3, instantRetries } from './testing/index.ts';

async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

let currentFake: FakeS3 | undefined;

describeObjectStore(
  'S3Store on the aws-sdk-client-mock fake',
  () => {
    const fake = new FakeS3({ buckets: ['contract-bucket'] });
    currentFake = fake;
    const store = new S3Store({
      client: fake.client,
      bucket: 'contract-bucket',
      retryStrategy: instantRetries(),
      publicUrlBase: 'https://avatars.example.test',
    });
    return Promise.resolve({
      store,
      cleanup: () => {
        fake.restore();
      },
    });
  },
  {
    // The fake checks signatures (s3rver does not); public URLs are fetched in the s3rver run.
    signedUrl: {
      fetch: async (url) => {
        const response = await (currentFake ?? new FakeS3()).fetch(url);
        if (!response.ok) throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
        return new Uint8Array(await response.arrayBuffer());
      },
    },
    publicUrl: {},
    sha256: nodeSha256,
  },
);

let server: S3TestServer | undefined;
let bucketNumber = 0;

afterAll(async () => {
  await server?.stop();
});

describeObjectStore(
  'S3Store on s3rver 3.7.1 (a real S3-compatible server on 127.0.0.1)',
  async () => {
    server ??= await startS3Server({ buckets: [] });
    const settings = {
      uploadsBucket: `contract-${++bucketNumber}`,
      avatarsBucket: `contract-avatars-${bucketNumber}`,
      endpointUrl: server.endpoint,
      region: 'us-east-1',
      addressingStyle: 'path' as const,
      skipChecksum: false,
      uploadsStorageClass: undefined,
      avatarPublicUrlPrefix: undefined,
      credentials: server.clientConfig.credentials,
    };
    // A fresh bucket per test keeps every test's store empty.
    const client = createS3Client(settings);
    await client.send(new CreateBucketCommand({ Bucket: settings.avatarsBucket }));
    const store = S3Store.fromSettings(settings, 'avatars', {
      client,
      limitations: {
        suffixRanges: 's3rver 3.7.1 reads Range: bytes=-N as bytes=0-N, the first N+1 bytes instead of the last N',
        createOnly: 's3rver 3.7.1 ignores If-None-Match on PutObject and overwrites',
        interruptedPutsKept: 's3rver 3.7.1 stores the bytes an interrupted PutObject carried',
      },
    });
    return {
      store,
      cleanup: () => {
        client.destroy();
      },
    };
  },
  {
    suffixRanges: {
      missing: 's3rver 3.7.1 reads Range: bytes=-N as bytes=0-N, the first N+1 bytes instead of the last N',
    },
    rangeEdges: {
      missing:
        's3rver 3.7.1 reads bytes=0-0 as bytes=0- (a zero end counts as none) and serves ranges of an empty object',
    },
    atomicOverwrite: {
      missing: 's3rver 3.7.1 rewrites an object file in place, so a reader racing an overwrite can be cut off',
    },
    byteOrderListing: { missing: 's3rver 3.7.1 lists by walking its directory tree, so "a/b" comes before "a-c"' },
    createOnly: { missing: 's3rver 3.7.1 ignores If-None-Match on PutObject and overwrites' },
    signedUrl: { fetch: fetchBytes },
    publicUrl: { fetch: fetchBytes },
    sha256: nodeSha256,
  },
);
