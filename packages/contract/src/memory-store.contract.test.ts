import { MemoryStore } from '@stowage/core';
import { nodeSha256 } from '@stowage/core/node';
import { describeObjectStore } from './describe-object-store.ts';

describeObjectStore('MemoryStore', () => Promise.resolve(new MemoryStore({ sha256: nodeSha256 })), {
  signedUrl: { missing: 'memory has no server to verify a signature, and no signUrl is configured here' },
  publicUrl: { missing: 'no publicUrlPrefix is configured here (the configured case runs below)' },
  sha256: nodeSha256,
});

describeObjectStore(
  'MemoryStore with URLs and the portable SHA-256',
  () =>
    Promise.resolve(
      new MemoryStore({
        publicUrlPrefix: 'https://avatars.example/',
        signUrl: (key, { expiresIn }) => `https://uploads.example/${encodeURIComponent(key)}?expires=${expiresIn}`,
      }),
    ),
  { largeObject: { bytes: 4 * 1024 * 1024, reason: 'the 64 MiB case already runs above with the native hash' } },
);
