/** Default chunk size of the generated streams: the size a network or disk read typically hands over. */
const DEFAULT_CHUNK_BYTES = 64 * 1024;

/**
 * A deterministic byte source (xorshift32): the same seed gives the same bytes on every runtime and whatever the
 * chunking, so a test can regenerate what it stored instead of keeping it in memory.
 */
export class PseudoRandomBytes {
  #state: number;
  #pending = 0;
  #pendingBytes = 0;

  /** `seed` may be any integer; 0 is mapped to a fixed non-zero state, which xorshift needs. */
  constructor(seed: number) {
    this.#state = seed >>> 0 || 0x9e3779b9;
  }

  /** The next `length` bytes of the sequence, in a new array. */
  next(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let index = 0; index < length; index++) {
      if (this.#pendingBytes === 0) {
        let x = this.#state;
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        this.#state = x >>> 0;
        this.#pending = this.#state;
        this.#pendingBytes = 4;
      }
      out[index] = this.#pending & 0xff;
      this.#pending >>>= 8;
      this.#pendingBytes--;
    }
    return out;
  }

  /** Advances past `length` bytes without keeping them, in bounded steps. */
  skip(length: number): void {
    for (let left = length; left > 0; left -= DEFAULT_CHUNK_BYTES) this.next(Math.min(left, DEFAULT_CHUNK_BYTES));
  }
}

/** `length` deterministic bytes for `seed`; the same as the concatenated chunks of `pseudoRandomStream`. */
export function pseudoRandomBytes(seed: number, length: number): Uint8Array {
  return new PseudoRandomBytes(seed).next(length);
}

/**
 * Yields `length` deterministic bytes for `seed` in fresh chunks of `chunkBytes`, generated only when pulled,
 * so an object of any size is produced without being held whole.
 */
export async function* pseudoRandomChunks(
  seed: number,
  length: number,
  chunkBytes: number = DEFAULT_CHUNK_BYTES,
): AsyncGenerator<Uint8Array, void, undefined> {
  const source = new PseudoRandomBytes(seed);
  for (let produced = 0; produced < length; produced += chunkBytes) {
    // A pause per chunk lets other work (and abort signals) run between chunks, like a real upload.
    await Promise.resolve();
    yield source.next(Math.min(chunkBytes, length - produced));
  }
}

/** `pseudoRandomChunks` as a Web `ReadableStream`, pulled lazily so back-pressure reaches the generator. */
export function pseudoRandomStream(
  seed: number,
  length: number,
  chunkBytes: number = DEFAULT_CHUNK_BYTES,
): ReadableStream<Uint8Array> {
  const source = new PseudoRandomBytes(seed);
  let produced = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (produced >= length) {
          controller.close();
          return;
        }
        const size = Math.min(chunkBytes, length - produced);
        produced += size;
        controller.enqueue(source.next(size));
      },
    },
    { highWaterMark: 0 },
  );
}
