import { toBase64 } from '@stowage/core';
import type { Sha256Factory, StreamDigest } from '@stowage/core';

/** A stream passed on to a consumer while its bytes are counted and hashed. */
export interface MeteredStream<Digest = StreamDigest> {
  readonly stream: ReadableStream<Uint8Array>;
  /** Size (and SHA-256, when hashing) of everything read, once the consumer read to the end; `undefined` before. */
  digest(): Digest | undefined;
  /** The error the underlying stream failed with, if it did: tells a failing source from a failing target. */
  sourceError(): unknown;
}

/**
 * Wraps `body` so every chunk the consumer pulls is hashed (unless `sha256` is `undefined`: counted only) and
 * reported to `onBytes`. It pulls only on demand, so back-pressure from the consumer reaches the producer and at
 * most one chunk is in flight.
 */
export function meterStream(body: ReadableStream<Uint8Array>, sha256: Sha256Factory, onBytes: (count: number) => void): MeteredStream;
export function meterStream(
  body: ReadableStream<Uint8Array>,
  sha256: Sha256Factory | undefined,
  onBytes: (count: number) => void,
): MeteredStream<{ readonly size: number; readonly sha256?: string }>;
export function meterStream(
  body: ReadableStream<Uint8Array>,
  sha256: Sha256Factory | undefined,
  onBytes: (count: number) => void,
): MeteredStream<{ readonly size: number; readonly sha256?: string }> {
  const reader = body.getReader();
  const hash = sha256?.();
  let size = 0;
  let finished: { readonly size: number; readonly sha256?: string } | undefined;
  let failure: unknown;
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let next: ReadableStreamReadResult<Uint8Array>;
        try {
          next = await reader.read();
        } catch (error) {
          failure = error ?? new Error('source stream failed');
          throw error;
        }
        if (next.done) {
          finished = hash === undefined ? { size } : { size, sha256: toBase64(hash.digest()) };
          controller.close();
          return;
        }
        hash?.update(next.value);
        size += next.value.byteLength;
        onBytes(next.value.byteLength);
        controller.enqueue(next.value);
      },
      async cancel(reason) {
        await reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, digest: () => finished, sourceError: () => failure };
}
