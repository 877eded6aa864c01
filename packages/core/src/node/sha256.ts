import { createHash } from 'node:crypto';
import type { Sha256Factory } from '../checksum.ts';

/** Native SHA-256 through `node:crypto` (also provided by Deno): many times the portable one's speed. */
export const nodeSha256: Sha256Factory = () => {
  const hash = createHash('sha256');
  return {
    update(chunk) {
      hash.update(chunk);
    },
    digest() {
      return new Uint8Array(hash.digest());
    },
  };
};
