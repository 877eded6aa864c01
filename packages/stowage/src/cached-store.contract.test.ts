import { MemoryStore, withCache } from '@stowage/core';
import { nodeSha256 } from '@stowage/core/node';
import { describeObjectStore } from '@stowage/contract';

describeObjectStore(
  'withCache (origin: MemoryStore, tier: MemoryStore)',
  () => {
    const origin = new MemoryStore({ name: 'origin', sha256: nodeSha256 });
    const tier = new MemoryStore({ name: 'tier', sha256: nodeSha256 });
    // Small slices, so every multi-slice path (ranges across slices, slice-by-slice streaming) is exercised.
    return Promise.resolve(withCache(origin, { tier, sliceSize: 64 * 1024, sha256: nodeSha256 }));
  },
  {
    signedUrl: { missing: 'the MemoryStore origin has no signUrl configured; the cache delegates to it' },
    publicUrl: { missing: 'the MemoryStore origin has no publicUrlPrefix configured; the cache delegates to it' },
    sha256: nodeSha256,
  },
);
