import { toBase64 } from '../checksum.ts';
import type { Sha256Factory } from '../checksum.ts';

/** Base64 SHA-256 of a slice held as chunks. */
export type SliceDigest = (chunks: readonly Uint8Array[]) => Promise<string>;

function joined(chunks: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const first = chunks[0];
  if (chunks.length === 1 && first !== undefined && first.buffer instanceof ArrayBuffer) {
    return first as Uint8Array<ArrayBuffer>;
  }
  const out = new Uint8Array(chunks.reduce((total, chunk) => total + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * The digest every slice is checked with. Without an injected hash it is Web Crypto's, which every runtime ships
 * natively (the portable TypeScript SHA-256 is far too slow to check every hit); a slice is held whole anyway
 * before it is served, so a whole-buffer digest costs one copy at most.
 */
export function sliceDigest(factory: Sha256Factory | undefined): SliceDigest {
  if (factory !== undefined) {
    return (chunks) => {
      const hash = factory();
      for (const chunk of chunks) hash.update(chunk);
      return Promise.resolve(toBase64(hash.digest()));
    };
  }
  return async (chunks) => toBase64(new Uint8Array(await crypto.subtle.digest('SHA-256', joined(chunks))));
}
