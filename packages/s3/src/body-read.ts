import { StorageError, abortableBodyChunks, isStorageError } from '@stowage/core';
import type { Body } from '@stowage/core';

/** A failure while reading a put's body, as the store reports it: a storage error as it is, anything else `Aborted`. */
export function bodyReadFailure(error: unknown, key: string): StorageError {
  return isStorageError(error)
    ? error
    : new StorageError('Aborted', `the body of "${key}" failed while being read`, { key, cause: error });
}

/**
 * A put's body, chunk by chunk (`abortableBodyChunks`): a read rejects with a storage error when the body fails,
 * and with `Aborted` as soon as the signal fires, even while the body is stalled; `return()` releases the body at
 * once (a stream is cancelled).
 */
export class BodyReader {
  readonly #chunks: AsyncGenerator<Uint8Array, void, undefined>;
  readonly #key: string;

  constructor(body: Body, signal: AbortSignal | undefined, key: string) {
    this.#chunks = abortableBodyChunks(body, signal, key);
    this.#key = key;
  }

  /** The next chunk. */
  async next(): Promise<IteratorResult<Uint8Array, void>> {
    try {
      return await this.#chunks.next();
    } catch (error) {
      throw bodyReadFailure(error, this.#key);
    }
  }

  /** Stops reading: the body is released (a stream is cancelled). */
  async return(): Promise<void> {
    await this.#chunks.return();
  }
}
