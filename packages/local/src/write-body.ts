import { abortableBodyChunks, abortedError, isStorageError, toBase64 } from '@stowage/core';
import type { Body, Sha256Factory } from '@stowage/core';
import { bodyFailedError, fsError, sizeMismatchError, tooLargeError } from './errors.ts';
import type { LocalFileHandle } from './file-system.ts';

/** Chunks are gathered (not copied) up to this many bytes per `writev`, so small stream chunks cost few syscalls. */
const WRITE_BATCH_BYTES = 1024 * 1024;

/**
 * Every this many bytes a large body's data written so far is sent to the disk (`fdatasync`) in the background,
 * while more is read, hashed and written: the disk then works during the hashing, and the fsync that ends the put
 * has only the last stretch left to wait for.
 */
const EARLY_WRITEBACK_BYTES = 32 * 1024 * 1024;

export interface WriteLimits {
  readonly size?: number | undefined;
  readonly maxSize?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface WrittenBody {
  /** The file the body went into, still open so the caller can sync and stat it. */
  readonly handle: LocalFileHandle;
  readonly size: number;
  /** Base64 SHA-256 of every byte written. */
  readonly sha256: string;
}

async function writeFully(handle: LocalFileHandle, chunks: Uint8Array[], key: string): Promise<void> {
  let pending = chunks;
  while (pending.length > 0) {
    const { bytesWritten } = await handle.writev(pending);
    if (bytesWritten <= 0) throw fsError(new Error('the file system accepted no bytes'), 'write', key);
    let skipped = bytesWritten;
    let index = 0;
    while (index < pending.length && skipped >= (pending[index]?.byteLength ?? 0)) {
      skipped -= pending[index]?.byteLength ?? 0;
      index++;
    }
    const rest = pending.slice(index);
    const first = rest[0];
    if (first !== undefined && skipped > 0) rest[0] = first.subarray(skipped);
    pending = rest;
  }
}

/**
 * Streams `body` into the file `open` creates, hashing as it goes, and enforces the size limits before more is
 * written. The file is created only when the first batch is ready, so a body that fails or stalls early costs no
 * file. One batch is written while it is hashed and the next is gathered, so the producer, the hash and the disk
 * work at the same time.
 * On failure the file (if any) is closed; the caller removes it.
 */
export async function writeBody(
  open: () => Promise<LocalFileHandle>,
  body: Body,
  key: string,
  sha256: Sha256Factory,
  limits: WriteLimits,
): Promise<WrittenBody> {
  const hash = sha256();
  const { signal, maxSize, size: expectedSize } = limits;
  let size = 0;
  let batch: Uint8Array[] = [];
  let batchBytes = 0;
  let inFlight: Promise<void> = Promise.resolve();
  let handle: LocalFileHandle | undefined;
  let writeback: Promise<void> = Promise.resolve();
  let writebackAt = EARLY_WRITEBACK_BYTES;
  const flush = async (): Promise<void> => {
    await inFlight;
    handle ??= await open();
    const chunks = batch;
    batch = [];
    batchBytes = 0;
    inFlight = chunks.length === 0 ? Promise.resolve() : writeFully(handle, chunks, key);
    // A failed write is reported by the next await of `inFlight`, not as an unhandled rejection meanwhile.
    inFlight.catch(() => undefined);
    // Every byte received so far is in this batch or an earlier one.
    if (size >= writebackAt) {
      writebackAt = size + EARLY_WRITEBACK_BYTES;
      const file = handle;
      // One at a time; reported (like a write) by the next await of `writeback`.
      writeback = writeback.then(async () => {
        await inFlight;
        await file.datasync();
      });
      writeback.catch(() => undefined);
    }
    // Hashing runs on this thread while the file system writes the same bytes: a batch costs the longer of the two.
    for (const chunk of chunks) hash.update(chunk);
  };
  try {
    for await (const chunk of abortableBodyChunks(body, signal, key)) {
      if (signal?.aborted === true) throw abortedError(key, signal.reason);
      if (chunk.byteLength === 0) continue;
      size += chunk.byteLength;
      if (maxSize !== undefined && size > maxSize) throw tooLargeError(key, maxSize);
      if (expectedSize !== undefined && size > expectedSize)
        throw sizeMismatchError(key, expectedSize, `more than ${expectedSize}`);
      batch.push(chunk);
      batchBytes += chunk.byteLength;
      if (batchBytes >= WRITE_BATCH_BYTES) await flush();
    }
    if (signal?.aborted === true) throw abortedError(key, signal.reason);
    await flush();
    await inFlight;
    await writeback;
  } catch (error) {
    await inFlight.catch(() => undefined);
    await writeback.catch(() => undefined);
    await handle?.close().catch(() => undefined);
    if (isStorageError(error)) throw error;
    if (signal?.aborted === true) throw abortedError(key, signal.reason);
    // A native fs error carries an errno code; anything else came from the caller's body.
    if (typeof error === 'object' && error !== null && 'syscall' in error) throw fsError(error, 'write', key);
    throw bodyFailedError(key, error);
  }
  if (expectedSize !== undefined && size !== expectedSize) {
    await handle?.close().catch(() => undefined);
    throw sizeMismatchError(key, expectedSize, String(size));
  }
  if (handle === undefined) throw new Error('unreachable: the final flush opens the file');
  return { handle, size, sha256: toBase64(hash.digest()) };
}
