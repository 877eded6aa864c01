import { Buffer } from 'node:buffer';
import { abortedError } from '@stowage/core';
import { fsError, shortReadError } from './errors.ts';
import type { LocalFileHandle } from './file-system.ts';

/** Bytes read per pull: large enough that a big file costs few reads, small enough to bound memory. */
const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * Streams bytes `start` to `end` (inclusive) of an open file and closes it when the stream ends, fails or is
 * cancelled. Each chunk is a fresh buffer handed to the reader, never reused.
 */
export function fileRangeStream(
  handle: LocalFileHandle,
  key: string,
  start: number,
  end: number,
  signal?: AbortSignal,
): ReadableStream<Uint8Array> {
  let position = start;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await handle.close().catch(() => undefined);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          if (signal?.aborted === true) throw abortedError(key, signal.reason);
          const remaining = end + 1 - position;
          if (remaining <= 0) {
            await close();
            controller.close();
            return;
          }
          const length = Math.min(READ_CHUNK_BYTES, remaining);
          // Unpooled and not zero-filled: every byte is overwritten by the read before anyone sees it.
          const buffer = Buffer.allocUnsafeSlow(length);
          const { bytesRead } = await handle.read(buffer, 0, length, position);
          if (bytesRead === 0) throw shortReadError(key, position);
          position += bytesRead;
          controller.enqueue(bytesRead === length ? buffer : buffer.subarray(0, bytesRead));
          if (position > end) {
            await close();
            controller.close();
          }
        } catch (error) {
          await close();
          controller.error(fsError(error, 'read', key));
        }
      },
      async cancel() {
        await close();
      },
    },
    { highWaterMark: 1 },
  );
}
