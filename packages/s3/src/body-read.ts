import { StorageError, abortedError, bodyChunks, isStorageError, throwIfAborted } from '@stowage/core';
import type { Body } from '@stowage/core';

/** A failure while reading a put's body, as the store reports it: a storage error as it is, anything else `Aborted`. */
export function bodyReadFailure(error: unknown, key: string): StorageError {
  return isStorageError(error) ? error : new StorageError('Aborted', `the body of "${key}" failed while being read`, { key, cause: error });
}

/**
 * A put's body, chunk by chunk (`bodyChunks`): a read rejects with a storage error when the body fails, and with
 * `Aborted` as soon as the signal fires, even while the body is stalled. One abort listener serves the whole read
 * (registering one per chunk cost more than the chunk's hashing); `return()` removes it and releases the body.
 */
export class BodyReader {
  readonly #chunks: AsyncGenerator<Uint8Array, void, undefined>;
  readonly #signal: AbortSignal | undefined;
  readonly #key: string;
  #rejectRead: ((error: unknown) => void) | undefined;
  readonly #onAbort = (): void => {
    this.#rejectRead?.(abortedError(this.#key, this.#signal?.reason));
  };

  constructor(body: Body, signal: AbortSignal | undefined, key: string) {
    this.#chunks = bodyChunks(body);
    this.#signal = signal;
    this.#key = key;
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** The next chunk; the listener goes with the body's end or failure, so a signal that outlives puts keeps none. */
  async next(): Promise<IteratorResult<Uint8Array, void>> {
    try {
      const step = await this.#read();
      if (step.done === true) this.#stopListening();
      return step;
    } catch (error) {
      this.#stopListening();
      throw bodyReadFailure(error, this.#key);
    } finally {
      this.#rejectRead = undefined;
    }
  }

  /** Stops reading: the body is released (a stream is cancelled). */
  async return(): Promise<void> {
    this.#stopListening();
    await this.#chunks.return();
  }

  #read(): Promise<IteratorResult<Uint8Array, void>> {
    if (this.#signal === undefined) return this.#chunks.next();
    throwIfAborted(this.#signal, this.#key);
    return new Promise((resolve, reject) => {
      this.#rejectRead = reject;
      this.#chunks.next().then(resolve, reject);
    });
  }

  #stopListening(): void {
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }
}
