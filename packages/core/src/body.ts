import type { Body, ChunkSource, GetResult } from './object-store.ts';

const encoder = new TextEncoder();

/** Yields the body's bytes chunk by chunk; strings are UTF-8. Never gathers a stream into one buffer. */
export async function* bodyChunks(body: Body): AsyncGenerator<Uint8Array, void, undefined> {
  if (typeof body === 'string') {
    yield encoder.encode(body);
    return;
  }
  if (body instanceof Uint8Array) {
    yield body;
    return;
  }
  if (body instanceof ReadableStream) {
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      // Stopping early (an error, an abort) must release the producer too.
      await reader.cancel().catch(() => undefined);
      reader.releaseLock();
    }
  }
  yield* body;
}

/** The body's length when it is known without reading it. */
export function knownBodySize(body: Body): number | undefined {
  if (typeof body === 'string') return encoder.encode(body).byteLength;
  if (body instanceof Uint8Array) return body.byteLength;
  return undefined;
}

/** A Web stream over any body; lazily pulls from iterables so back-pressure reaches the producer. */
export function bodyToStream(body: Body): ReadableStream<Uint8Array> {
  if (body instanceof ReadableStream) return body;
  const iterator = bodyChunks(body);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await iterator.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel() {
      await iterator.return();
    },
  });
}

/** Reads a whole stream into one array: only for bodies known to be small (tests, slices, metadata). */
export async function collectBytes(source: Body): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of bodyChunks(source)) {
    chunks.push(chunk);
    total += chunk.byteLength;
  }
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return joined;
}

/**
 * Where a store's `GetResult` can also hand out its bytes without a Web stream, it offers them under this key, as
 * a function returning them once (an async iterable of chunks). Node 20 spends about 45 µs making each
 * `ReadableStream`, which is a tenth of copying a small object; a reader that only passes bytes on (a migration)
 * asks with `readResultBody`. The result's `body` then stays unread: read one or the other, once.
 */
export const READ_BODY_CHUNKS: unique symbol = Symbol.for('stowage.readBodyChunks');

/** A `GetResult` that may offer its bytes without a stream (see `READ_BODY_CHUNKS`). */
export interface ChunkReadableResult {
  readonly [READ_BODY_CHUNKS]?: (() => ChunkSource) | undefined;
}

/**
 * The result's bytes to read once: without a Web stream where the store offers that, else its `body`. Stopping
 * early: `return()` the iterable's iterator (or cancel the stream), which releases what the store holds open.
 */
export function readResultBody(result: GetResult & ChunkReadableResult): ChunkSource {
  const read = result[READ_BODY_CHUNKS];
  return read === undefined ? result.body : read();
}
