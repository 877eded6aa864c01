import { toBase64 } from '../checksum.ts';
import type { Sha256Factory } from '../checksum.ts';

/** Hashes one slice fed chunk by chunk; `finish` gives the base64 SHA-256 once. */
export interface SliceHasher {
  update(chunk: Uint8Array): void;
  finish(): Promise<string>;
}

/** Makes a hasher per slice. */
export type SliceDigest = () => SliceHasher;

function joined(chunks: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(chunks.reduce((total, chunk) => total + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * The digest every slice is checked with. An injected streaming hash is fed as chunks arrive, so it runs while the
 * tier reads the next chunk. Without one it is Web Crypto's, which every runtime ships natively (the portable
 * TypeScript SHA-256 is far too slow to check every hit); it digests whole buffers, so the slice (held whole before
 * it is served anyway) is joined first.
 */
export function sliceDigest(factory: Sha256Factory | undefined): SliceDigest {
  if (factory !== undefined) {
    return () => {
      const hash = factory();
      return {
        update(chunk) {
          hash.update(chunk);
        },
        finish() {
          return Promise.resolve(toBase64(hash.digest()));
        },
      };
    };
  }
  return () => {
    const chunks: Uint8Array[] = [];
    return {
      update(chunk) {
        chunks.push(chunk);
      },
      async finish() {
        return toBase64(new Uint8Array(await crypto.subtle.digest('SHA-256', joined(chunks))));
      },
    };
  };
}
