import { abortedError } from '@stowage/core';
import type { GetOptions, StorageError } from '@stowage/core';

/** Parses `Content-Range: bytes START-END/TOTAL`. */
export function parseContentRange(
  header: string | undefined,
): { start: number; end: number; total: number } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/u.exec(header ?? '');
  if (match === null) return undefined;
  return { start: Number(match[1]), end: Number(match[2]), total: Number(match[3]) };
}

export function rangeHeader(range: NonNullable<GetOptions['range']>): string {
  if ('suffix' in range) return `bytes=-${range.suffix}`;
  return `bytes=${range.start}-${range.end ?? ''}`;
}

/** The SDK's response body as the HTTP handler gives it: a Node `Readable` on Node and Deno, else a Web stream. */
interface NodeReadable {
  read(): unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
  destroy(error?: Error): unknown;
  readonly readableEnded: boolean;
}

function isNodeReadable(body: unknown): body is NodeReadable {
  const candidate = body as Partial<NodeReadable> | null;
  return (
    typeof candidate?.read === 'function' &&
    typeof candidate.once === 'function' &&
    typeof candidate.destroy === 'function'
  );
}

/** Reads chunk after chunk from a body; `undefined` at its end. `release` gives the connection back early. */
interface ChunkSource {
  next(): Promise<Uint8Array | undefined>;
  release(): void;
}

/**
 * A Node `Readable` read directly: `read()` while it has data, else wait for `readable` or `end`. Its async
 * iterator (under the SDK's `transformToWebStream` too) finishes only once the stream has closed, some time after
 * its end, which counts against a small object's whole read (package README, performance).
 */
function nodeChunks(readable: NodeReadable): ChunkSource {
  return {
    async next() {
      for (;;) {
        const chunk = readable.read();
        if (chunk !== null) return chunk as Uint8Array;
        if (readable.readableEnded) return undefined;
        await new Promise<void>((resolve, reject) => {
          const settle = (): void => {
            readable.removeListener('readable', settle);
            readable.removeListener('end', settle);
            readable.removeListener('error', fail);
            resolve();
          };
          const fail = (error: unknown): void => {
            readable.removeListener('readable', settle);
            readable.removeListener('end', settle);
            reject(error instanceof Error ? error : new Error(String(error)));
          };
          readable.once('readable', settle);
          readable.once('end', settle);
          readable.once('error', fail);
        });
      }
    },
    release() {
      readable.destroy();
    },
  };
}

function webChunks(stream: ReadableStream<Uint8Array>): ChunkSource {
  const reader = stream.getReader();
  return {
    async next() {
      const { done, value } = await reader.read();
      return done ? undefined : value;
    },
    release() {
      reader.cancel().catch(() => undefined);
    },
  };
}

/**
 * The SDK's body as the one Web stream a reader gets. Re-raises every failure as a `StorageError`, so a reader
 * never sees a raw SDK or socket error; fails the body with `Aborted` when the signal fires; passes cancellation
 * back to the socket.
 */
export function guardBody(
  body: unknown,
  key: string,
  signal: AbortSignal | undefined,
  toError: (error: unknown) => StorageError,
): ReadableStream<Uint8Array> {
  const chunks = isNodeReadable(body) ? nodeChunks(body) : webChunks(body as ReadableStream<Uint8Array>);
  let onAbort: (() => void) | undefined;
  const stopListening = (): void => {
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (signal === undefined) return;
        // The SDK aborts the socket on its own, but only for requests it sent: the reader must fail either way.
        onAbort = () => {
          controller.error(abortedError(key, signal.reason));
          chunks.release();
        };
        signal.addEventListener('abort', onAbort, { once: true });
      },
      async pull(controller) {
        try {
          const chunk = await chunks.next();
          if (chunk === undefined) {
            stopListening();
            controller.close();
          } else controller.enqueue(chunk);
        } catch (error) {
          stopListening();
          controller.error(signal?.aborted === true ? abortedError(key, signal.reason) : toError(error));
        }
      },
      cancel() {
        stopListening();
        chunks.release();
      },
    },
    { highWaterMark: 0 },
  );
}
