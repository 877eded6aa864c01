import { collectBytes, decodeKeyPath } from '@stowage/core';
import { nodeSha256 } from '@stowage/core/node';
import { describeObjectStore } from '@stowage/contract';
import type { ContractCapabilities } from '@stowage/contract';
import { blockingDiskBacking, diskBacking, memfsBacking } from '../test/backings.ts';
import type { Backing } from '../test/backings.ts';
import { LocalStore } from './local-store.ts';
import { verifySignedUrl } from './signed-url.ts';

const signing = {
  secret: 'contract-secret-that-is-long-enough-for-hmac',
  urlBase: 'https://chat.example/user_uploads/signed',
};
const publicUrlPrefix = 'https://chat.example/user_avatars';

// The serving app's part, without HTTP: verify the signature, then read the key the URL names.
async function fetchSigned(store: LocalStore, url: string): Promise<Uint8Array> {
  const verdict = verifySignedUrl(url, signing);
  if (!verdict.valid) throw new Error(`signed URL refused: ${verdict.reason}`);
  return collectBytes((await store.get(verdict.key)).body);
}

async function fetchPublic(store: LocalStore, url: string): Promise<Uint8Array> {
  if (!url.startsWith(`${publicUrlPrefix}/`)) throw new Error(`not a public URL of this store: ${url}`);
  const key = decodeKeyPath(url.slice(publicUrlPrefix.length + 1));
  if (key === undefined) throw new Error(`undecodable public URL: ${url}`);
  return collectBytes((await store.get(key)).body);
}

for (const [name, makeBacking] of [
  ['memfs', memfsBacking],
  ['a temporary directory', diskBacking],
  ['a temporary directory, with blocking calls', blockingDiskBacking],
] as const) {
  // The suite's URL checks need the store of the running test; makeStore records it here.
  let current: LocalStore | undefined;
  const currentStore = (): LocalStore => {
    if (current === undefined) throw new Error('no store');
    return current;
  };
  const capabilities: ContractCapabilities = {
    sha256: nodeSha256,
    keyAndPrefixCoexist: {
      missing: 'a file system cannot hold a file "a" and a directory "a" for "a/b"',
      code: 'AlreadyExists',
    },
    signedUrl: { fetch: (url) => fetchSigned(currentStore(), url) },
    publicUrl: { fetch: (url) => fetchPublic(currentStore(), url) },
  };
  describeObjectStore(
    `LocalStore on ${name}`,
    async () => {
      const backing: Backing = await makeBacking();
      current = await LocalStore.open({ root: backing.root, fs: backing.fs, signing, publicUrlPrefix });
      return { store: current, cleanup: () => backing.dispose() };
    },
    capabilities,
  );
}
