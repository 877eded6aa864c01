import { withCache } from '@stowage/core';
import { nodeSha256 } from '@stowage/core/node';
import { describeObjectStore } from '@stowage/contract';
import { LocalStore } from '@stowage/local';
import { S3Store } from '@stowage/s3';
import { FakeS3, instantRetries } from '@stowage/s3/testing';
import { Volume, createFsFromVolume } from 'memfs';

describeObjectStore(
  'withCache (origin: S3Store on the aws-sdk-client-mock fake, tier: LocalStore on memfs)',
  async () => {
    const fake = new FakeS3({ buckets: ['cached-bucket'] });
    const origin = new S3Store({
      client: fake.client,
      bucket: 'cached-bucket',
      retryStrategy: instantRetries(),
      publicUrlBase: 'https://avatars.example.test',
    });
    const tier = await LocalStore.open({
      root: '/cache',
      fs: createFsFromVolume(new Volume()).promises,
      sha256: nodeSha256,
    });
    // Small slices, so every multi-slice path (ranges across slices, slice-by-slice streaming) is exercised.
    const store = withCache(origin, { tier, sliceSize: 64 * 1024, sha256: nodeSha256 });
    return {
      store,
      cleanup: async () => {
        await store.drain();
        fake.restore();
      },
    };
  },
  {
    // The cache hands URLs to its origin; the fake has no HTTP server, so they are checked for shape only.
    signedUrl: {},
    publicUrl: {},
    sha256: nodeSha256,
  },
);
