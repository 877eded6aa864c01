import { StorageError, isStorageError, unlessAborted } from '@stowage/core';

/** A failure while reading a put's body, as the store reports it: a storage error as it is, anything else `Aborted`. */
export function bodyReadFailure(error: unknown, key: string): StorageError {
  return isStorageError(error) ? error : new StorageError('Aborted', `the body of "${key}" failed while being read`, { key, cause: error });
}

/** The next chunk of a put's body (`bodyChunks`); an aborted signal or a failing body rejects with a storage error. */
export async function nextBodyChunk(
  chunks: AsyncIterator<Uint8Array, void>, signal: AbortSignal | undefined, key: string,
): Promise<IteratorResult<Uint8Array, void>> {
  try {
    return await unlessAborted(chunks.next(), signal, key);
  } catch (error) {
    throw bodyReadFailure(error, key);
  }
}
