import { bodyChunks, toBase64 } from '@stowage/core';
import type { ChunkSource, Sha256Factory, StreamDigest } from '@stowage/core';

/** A stream's bytes passed on to a consumer while they are counted and hashed. */
export interface MeteredStream<Digest = StreamDigest> {
  /** The bytes, to be read once (a `Body`). */
  readonly body: AsyncIterable<Uint8Array>;
  /** Size (and SHA-256, when hashing) of everything read, once the consumer read to the end; `undefined` before. */
  digest(): Digest | undefined;
  /** The error the underlying stream failed with, if it did: tells a failing source from a failing target. */
  sourceError(): unknown;
  /** Stops the underlying stream at once (even while a read is pending), for a consumer that gave up on it. */
  cancel(): Promise<void>;
}

/**
 * Wraps `source` so every chunk the consumer pulls is hashed (unless `sha256` is `undefined`: counted only) and
 * reported to `onBytes`. It reads only on demand, so back-pressure from the consumer reaches the producer and at
 * most one chunk is in flight. An async iterable rather than a second Web stream: one object copied costs one
 * stream fewer (making one has a fixed cost that counts for small objects), and each chunk one hand-over fewer.
 */
export function meterStream(
  source: ChunkSource,
  sha256: Sha256Factory,
  onBytes: (count: number) => void,
): MeteredStream;
export function meterStream(
  source: ChunkSource,
  sha256: Sha256Factory | undefined,
  onBytes: (count: number) => void,
): MeteredStream<{ readonly size: number; readonly sha256?: string }>;
export function meterStream(
  source: ChunkSource,
  sha256: Sha256Factory | undefined,
  onBytes: (count: number) => void,
): MeteredStream<{ readonly size: number; readonly sha256?: string }> {
  const chunks = bodyChunks(source);
  const hash = sha256?.();
  let size = 0;
  let finished: { readonly size: number; readonly sha256?: string } | undefined;
  let failure: unknown;
  let stopped = false;
  let cancelled = false;
  const cancel = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    cancelled = true;
    await chunks.return();
  };
  const iterator: AsyncIterableIterator<Uint8Array> = {
    async next(): Promise<IteratorResult<Uint8Array, undefined>> {
      if (stopped) return { done: true, value: undefined };
      let next: IteratorResult<Uint8Array, unknown>;
      try {
        next = await chunks.next();
      } catch (error) {
        failure = error ?? new Error('source stream failed');
        stopped = true;
        throw error;
      }
      if (next.done === true) {
        stopped = true;
        // A read pending when the stream was cancelled ends too, but the object did not: no digest for it.
        if (!cancelled) finished = hash === undefined ? { size } : { size, sha256: toBase64(hash.digest()) };
        return { done: true, value: undefined };
      }
      hash?.update(next.value);
      size += next.value.byteLength;
      onBytes(next.value.byteLength);
      return { done: false, value: next.value };
    },
    async return(): Promise<IteratorResult<Uint8Array, undefined>> {
      await cancel();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return { body: iterator, digest: () => finished, sourceError: () => failure, cancel };
}
