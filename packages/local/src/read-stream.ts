import { Buffer } from 'node:buffer';
import { StorageError, abortedError } from '@stowage/core';
import type { ChunkSource } from '@stowage/core';
import { fsError, shortReadError } from './errors.ts';
import type { LocalFileHandle } from './file-system.ts';

/**
 * Bytes read per pull of a Web stream (what a server sends, what the cache reads from its tier): large enough that a
 * big file costs few reads, small enough to bound memory (one chunk in hand and one read ahead). Each read and each
 * chunk through a Web stream has a fixed cost, so the size decides a large read's speed (package README,
 * performance).
 */
const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * Bytes read per chunk handed out without a stream (`READ_BODY_CHUNKS`, what a migration reads). Each chunk is a
 * fresh buffer, freed only when the garbage collector finds it, so larger chunks raise a migration's peak memory
 * against its budget (package README, performance); without a stream a chunk costs little, so the smaller size
 * loses no measurable CPU.
 */
const PLAIN_CHUNK_BYTES = 128 * 1024;

/**
 * How much a whole-object read asks for before the stat tells the size: the size the key had when last seen (up to
 * a chunk), else enough for most avatars, emoji and small files.
 */
export function firstReadLength(expectedSize: number | undefined): number {
  if (expectedSize === undefined) return FIRST_READ_BYTES;
  return Math.min(Math.max(expectedSize, 1), READ_CHUNK_BYTES);
}

const FIRST_READ_BYTES = 64 * 1024;

/** Up to `length` bytes from the start of the file (fewer, or none, at its end), in a fresh buffer. */
export async function readStart(handle: LocalFileHandle, length: number): Promise<Uint8Array<ArrayBuffer>> {
  const buffer = Buffer.allocUnsafeSlow(length);
  const { bytesRead } = await handle.read(buffer, 0, length, 0);
  if (bytesRead === length) return buffer;
  // A reader keeping a small object should not keep alive a buffer many times its size.
  return bytesRead <= length / 2 ? new Uint8Array(buffer.subarray(0, bytesRead)) : buffer.subarray(0, bytesRead);
}

/** The next chunk of bytes from `position` up to `end` (inclusive), at most `chunkBytes` of them, in a fresh buffer. */
export async function readChunk(
  handle: LocalFileHandle,
  key: string,
  position: number,
  end: number,
  chunkBytes: number = READ_CHUNK_BYTES,
): Promise<Uint8Array<ArrayBuffer>> {
  const length = Math.min(chunkBytes, end + 1 - position);
  // Unpooled and not zero-filled: every byte handed out is overwritten by the read first.
  const buffer = Buffer.allocUnsafeSlow(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  if (bytesRead === 0) throw shortReadError(key, position);
  return bytesRead === length ? buffer : buffer.subarray(0, bytesRead);
}

/** Bytes `start` to `end` (inclusive) of an open file, to hand out once; the file is closed when they are done. */
export interface OpenFileRange {
  readonly handle: LocalFileHandle;
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly signal?: AbortSignal | undefined;
  /** The first chunk, already being read (started while the caller did other work). */
  readonly first?: Promise<Uint8Array<ArrayBuffer>> | undefined;
}

/**
 * Streams bytes `start` to `end` (inclusive) of an open file and closes it when the stream ends, fails or is
 * cancelled. `first`, when given, is the first chunk already being read (started while the caller did other
 * work). Each chunk is a fresh buffer, never reused, with one read ahead. Not a byte stream (`type: 'bytes'`): on
 * Node 20 a byte stream's `enqueue` transfers each chunk's memory through a native call, after which the chunks
 * are freed in an order that lets the allocator hand the heap's top back to the system and fault it in again, so
 * a large read ran far below the plain read loop (package README, performance).
 */
function fileRangeStream({ handle, key, start, end, signal, first }: OpenFileRange): ReadableStream<Uint8Array> {
  let position = start;
  let pending = first;
  let closed = false;
  // Nobody waits for the close: the reader already has every byte, and a failing close changes nothing for it.
  const close = (): void => {
    if (closed) return;
    closed = true;
    handle.close().catch(() => undefined);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          if (signal?.aborted === true) throw abortedError(key, signal.reason);
          if (position > end) {
            close();
            controller.close();
            return;
          }
          const reading = pending ?? readChunk(handle, key, position, end);
          pending = reading;
          const chunk = await reading;
          pending = undefined;
          position += chunk.byteLength;
          controller.enqueue(chunk);
          if (position > end) {
            controller.close();
            close();
          }
        } catch (error) {
          pending = undefined;
          close();
          controller.error(fsError(error, 'read', key));
        }
      },
      async cancel() {
        // The descriptor may be closed only once no read on it is left.
        await pending?.catch(() => undefined);
        close();
      },
    },
    // One chunk read ahead while the reader uses the one before.
    { highWaterMark: 1 },
  );
}

/**
 * The chunks of bytes `start` to `end` (inclusive) of an open file, each read while the one before is being
 * used, without a Web stream. The file is closed once the last read is over: at the end, on a failure, or when the
 * reader stops early (`return()`, also before its first read).
 */
function fileRangeChunks({ handle, key, start, end, signal, first }: OpenFileRange): AsyncIterableIterator<Uint8Array> {
  let position = start;
  let next = first ?? (start <= end ? readChunk(handle, key, start, end, PLAIN_CHUNK_BYTES) : undefined);
  let finished = false;
  const finish = async (): Promise<void> => {
    if (finished) return;
    finished = true;
    const last = next;
    next = undefined;
    // The descriptor may be closed only once no read on it is left; nobody waits for the close itself.
    await last?.catch(() => undefined);
    handle.close().catch(() => undefined);
  };
  const iterator: AsyncIterableIterator<Uint8Array> = {
    async next(): Promise<IteratorResult<Uint8Array, undefined>> {
      const reading = next;
      if (finished || reading === undefined) {
        await finish();
        return { done: true, value: undefined };
      }
      try {
        if (signal?.aborted === true) throw abortedError(key, signal.reason);
        const chunk = await reading;
        position += chunk.byteLength;
        next = position <= end ? readChunk(handle, key, position, end, PLAIN_CHUNK_BYTES) : undefined;
        next?.catch(() => undefined);
        return { done: false, value: chunk };
      } catch (error) {
        await finish();
        throw fsError(error, 'read', key);
      }
    },
    async return(): Promise<IteratorResult<Uint8Array, undefined>> {
      await finish();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/** The bytes of a file range, to read once: as a Web stream, or as plain chunks (see `READ_BODY_CHUNKS`). */
export interface FileRangeBody {
  readonly stream: () => ReadableStream<Uint8Array>;
  readonly chunks: () => ChunkSource;
}

/** `fileRangeStream` or `fileRangeChunks` over the same open file, whichever is asked for first. */
export function fileRangeBody(range: OpenFileRange): FileRangeBody {
  const { key } = range;
  let stream: ReadableStream<Uint8Array> | undefined;
  let chunks: AsyncIterableIterator<Uint8Array> | undefined;
  return {
    stream() {
      if (chunks !== undefined) {
        const error = new StorageError('InvalidArgument', `the body of "${key}" is already being read as chunks`, {
          key,
        });
        return new ReadableStream({
          start(controller) {
            controller.error(error);
          },
        });
      }
      stream ??= fileRangeStream(range);
      return stream;
    },
    chunks() {
      if (stream !== undefined) return stream;
      chunks ??= fileRangeChunks(range);
      return chunks;
    },
  };
}
