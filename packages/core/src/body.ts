import { abortedError } from './errors.ts';
import type { Body, ChunkSource, GetResult } from './object-store.ts';

const encoder = new TextEncoder();

/**
 * Yields the body's bytes chunk by chunk; strings are UTF-8. Never gathers a stream into one buffer. Stopping early
 * (`return()`) releases the producer at once, even while a read is pending: a stream is cancelled, an iterable's
 * iterator returned.
 */
export function bodyChunks(body: Body): AsyncGenerator<Uint8Array, void, undefined> {
  if (typeof body === 'string') return oneChunk(encoder.encode(body));
  if (body instanceof Uint8Array) return oneChunk(body);
  if (body instanceof ReadableStream) {
    const reader = body.getReader();
    return releasingChunks({
      read: () => reader.read(),
      release: async () => {
        await reader.cancel().catch(() => undefined);
        reader.releaseLock();
      },
    });
  }
  const iterator = body[Symbol.asyncIterator]();
  return releasingChunks({
    read: () => iterator.next(),
    release: async (early) => {
      if (early) await iterator.return?.();
    },
  });
}

/**
 * `bodyChunks`, but a read rejects with `Aborted` as soon as `signal` fires, even while the body is stalled; the body
 * is then released. One abort listener serves the whole read (one per chunk cost more than hashing the chunk), and
 * it goes with the body's end, failure or release, so a signal that outlives the read keeps none.
 */
export function abortableBodyChunks(
  body: Body,
  signal: AbortSignal | undefined,
  key: string,
): AsyncGenerator<Uint8Array, void, undefined> {
  const chunks = bodyChunks(body);
  if (signal === undefined) return chunks;
  let rejectRead: ((error: unknown) => void) | undefined;
  const onAbort = (): void => {
    rejectRead?.(abortedError(key, signal.reason));
  };
  signal.addEventListener('abort', onAbort, { once: true });
  return releasingChunks({
    read: () => {
      if (signal.aborted) return Promise.reject(abortedError(key, signal.reason));
      return new Promise<IteratorResult<Uint8Array, unknown>>((resolve, reject) => {
        rejectRead = reject;
        chunks.next().then(resolve, reject);
      });
    },
    release: async () => {
      rejectRead = undefined;
      signal.removeEventListener('abort', onAbort);
      await chunks.return();
    },
  });
}

function oneChunk(chunk: Uint8Array): AsyncGenerator<Uint8Array, void, undefined> {
  let given = false;
  return releasingChunks({
    read: () => {
      const step: IteratorResult<Uint8Array, unknown> = given
        ? { done: true, value: undefined }
        : { done: false, value: chunk };
      given = true;
      return Promise.resolve(step);
    },
    release: () => Promise.resolve(),
  });
}

/** How chunks are read one at a time, and what must be released once reading ends. */
interface ChunkPull {
  read(): Promise<IteratorResult<Uint8Array, unknown>>;
  /** Called once: when the chunks end or fail (`early` false), or when the consumer stops (`early` true). */
  release(early: boolean): Promise<void>;
}

/**
 * Chunks from `pull`, written out rather than as an async generator: a generator's `return()` waits for a pending
 * `next()`, so a consumer giving up on a stalled producer would leave it open until it produced again.
 */
function releasingChunks(pull: ChunkPull): AsyncGenerator<Uint8Array, void, undefined> {
  const finished: IteratorReturnResult<undefined> = { done: true, value: undefined };
  let released = false;
  // A call, not the variable: the flag changes while `next()` awaits, which narrowing would not see.
  const isReleased = (): boolean => released;
  const release = async (early: boolean): Promise<void> => {
    if (released) return;
    released = true;
    await pull.release(early);
  };
  const chunks: AsyncGenerator<Uint8Array, void, undefined> = {
    async next() {
      if (isReleased()) return finished;
      let step: IteratorResult<Uint8Array, unknown>;
      try {
        step = await pull.read();
      } catch (error) {
        await release(false);
        throw error;
      }
      // A chunk that arrives after the consumer stopped is dropped with the rest.
      if (step.done !== true && !isReleased()) return step;
      await release(false);
      return finished;
    },
    async return() {
      await release(true);
      return finished;
    },
    async throw(error: unknown) {
      await release(true);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return chunks;
    },
  };
  return chunks;
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
 * a function returning them once (an async iterable of chunks). Making a `ReadableStream` has a fixed cost that
 * counts against copying a small object (package README, performance); a reader that only passes bytes on (a migration)
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
