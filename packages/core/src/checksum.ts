/** An incremental hash: feed it chunks, then read the digest once. */
export interface StreamingHash {
  update(chunk: Uint8Array): void;
  /** The digest of everything fed so far; the hash may not be used after. */
  digest(): Uint8Array;
}

/** Makes a fresh SHA-256. Runtime-specific fast ones are injected (`@stowage/core/node` has Node's). */
export type Sha256Factory = () => StreamingHash;

const ROUND_CONSTANTS = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

/**
 * SHA-256 (FIPS 180-4) in plain TypeScript, so core and the runtime-neutral packages can hash a stream on any
 * runtime without buffering it; Web Crypto only digests whole buffers.
 */
class PortableSha256 implements StreamingHash {
  readonly #state = new Uint32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]);
  readonly #block = new Uint8Array(64);
  readonly #words = new Uint32Array(64);
  #blockLength = 0;
  #totalBytes = 0;

  update(chunk: Uint8Array): void {
    this.#totalBytes += chunk.byteLength;
    let offset = 0;
    if (this.#blockLength > 0) {
      const take = Math.min(64 - this.#blockLength, chunk.byteLength);
      this.#block.set(chunk.subarray(0, take), this.#blockLength);
      this.#blockLength += take;
      offset = take;
      if (this.#blockLength < 64) return;
      this.#compress(this.#block, 0);
      this.#blockLength = 0;
    }
    for (; offset + 64 <= chunk.byteLength; offset += 64) this.#compress(chunk, offset);
    this.#block.set(chunk.subarray(offset), 0);
    this.#blockLength = chunk.byteLength - offset;
  }

  digest(): Uint8Array {
    const bitLength = this.#totalBytes * 8;
    const padding = new Uint8Array((this.#blockLength < 56 ? 56 : 120) - this.#blockLength + 8);
    padding[0] = 0x80;
    const view = new DataView(padding.buffer);
    view.setUint32(padding.length - 8, Math.floor(bitLength / 2 ** 32));
    view.setUint32(padding.length - 4, bitLength >>> 0);
    const total = this.#totalBytes;
    this.update(padding);
    this.#totalBytes = total;
    const out = new Uint8Array(32);
    const outView = new DataView(out.buffer);
    this.#state.forEach((word, index) => {
      outView.setUint32(index * 4, word);
    });
    return out;
  }

  #compress(bytes: Uint8Array, offset: number): void {
    const w = this.#words;
    for (let i = 0; i < 16; i++) {
      const at = offset + i * 4;
      w[i] =
        (((bytes[at] ?? 0) << 24) |
          ((bytes[at + 1] ?? 0) << 16) |
          ((bytes[at + 2] ?? 0) << 8) |
          (bytes[at + 3] ?? 0)) >>>
        0;
    }
    for (let i = 16; i < 64; i++) {
      const w15 = w[i - 15] ?? 0;
      const w2 = w[i - 2] ?? 0;
      const s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3);
      const s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10);
      w[i] = ((w[i - 16] ?? 0) + s0 + (w[i - 7] ?? 0) + s1) >>> 0;
    }
    const s = this.#state;
    let a = s[0] ?? 0,
      b = s[1] ?? 0,
      c = s[2] ?? 0,
      d = s[3] ?? 0;
    let e = s[4] ?? 0,
      f = s[5] ?? 0,
      g = s[6] ?? 0,
      h = s[7] ?? 0;
    for (let i = 0; i < 64; i++) {
      const t1 =
        (h +
          (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) +
          ((e & f) ^ (~e & g)) +
          (ROUND_CONSTANTS[i] ?? 0) +
          (w[i] ?? 0)) >>>
        0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    s[0] = (s[0] ?? 0) + a;
    s[1] = (s[1] ?? 0) + b;
    s[2] = (s[2] ?? 0) + c;
    s[3] = (s[3] ?? 0) + d;
    s[4] = (s[4] ?? 0) + e;
    s[5] = (s[5] ?? 0) + f;
    s[6] = (s[6] ?? 0) + g;
    s[7] = (s[7] ?? 0) + h;
  }
}

function rotr(value: number, bits: number): number {
  return (value >>> bits) | (value << (32 - bits));
}

/** The portable SHA-256: works on every runtime; prefer an injected native one where speed matters. */
export const portableSha256: Sha256Factory = () => new PortableSha256();

const BASE64_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Standard base64 with padding. Encoded three bytes at a time here: every object copied or stored has two or three
 * digests encoded, and `btoa` first needs a binary string made, then checks it character by character (package
 * README, performance).
 */
export function toBase64(bytes: Uint8Array): string {
  let text = '';
  const whole = bytes.length - (bytes.length % 3);
  for (let i = 0; i < whole; i += 3) {
    const triple = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    text +=
      (BASE64_DIGITS[triple >>> 18] ?? '') +
      (BASE64_DIGITS[(triple >>> 12) & 63] ?? '') +
      (BASE64_DIGITS[(triple >>> 6) & 63] ?? '') +
      (BASE64_DIGITS[triple & 63] ?? '');
  }
  const left = bytes.length - whole;
  if (left > 0) {
    const triple = ((bytes[whole] ?? 0) << 16) | (left === 2 ? (bytes[whole + 1] ?? 0) << 8 : 0);
    text += (BASE64_DIGITS[triple >>> 18] ?? '') + (BASE64_DIGITS[(triple >>> 12) & 63] ?? '');
    text += left === 2 ? `${BASE64_DIGITS[(triple >>> 6) & 63] ?? ''}=` : '==';
  }
  return text;
}

export function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += HEX_OF_BYTE[byte] ?? '';
  return hex;
}

/** `00` to `ff`: a lookup is several times quicker than formatting each byte, and keys are hashed on every read. */
const HEX_OF_BYTE: readonly string[] = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** SHA-256 of a whole buffer, base64: the form `ObjectInfo.sha256` and `PutOptions.sha256` use. */
export function sha256Base64(bytes: Uint8Array | string, factory: Sha256Factory = portableSha256): string {
  const hash = factory();
  hash.update(typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes);
  return toBase64(hash.digest());
}

/** What a `DigestingStream` knows once its readable side has been read to the end. */
export interface StreamDigest {
  readonly size: number;
  /** Base64 SHA-256 of every byte that passed. */
  readonly sha256: string;
}

/**
 * Hashes and counts bytes as they pass through, without holding them. `digest` resolves when the stream
 * ends; await it only after the stream was read to its end.
 */
export function digestingStream(factory: Sha256Factory = portableSha256): {
  readonly stream: TransformStream<Uint8Array, Uint8Array>;
  readonly digest: Promise<StreamDigest>;
} {
  const hash = factory();
  let size = 0;
  let settle: (digest: StreamDigest) => void = () => undefined;
  const digest = new Promise<StreamDigest>((resolve) => {
    settle = resolve;
  });
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      hash.update(chunk);
      size += chunk.byteLength;
      controller.enqueue(chunk);
    },
    flush() {
      settle({ size, sha256: toBase64(hash.digest()) });
    },
  });
  return { stream, digest };
}
