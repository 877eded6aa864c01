/** Every failure a store reports carries one of these codes. */
export type StorageErrorCode =
  | 'NotFound'
  | 'InvalidKey'
  | 'InvalidRange'
  | 'InvalidArgument'
  | 'AlreadyExists'
  | 'IntegrityError'
  | 'TooLarge'
  | 'AccessDenied'
  | 'Unavailable'
  | 'Aborted'
  | 'InvalidSettings'
  | 'Unsupported';

export interface StorageErrorOptions {
  /** The object key the failure concerns, when there is one. */
  readonly key?: string | undefined;
  /** The native error (fs, SDK, network) this one replaces. */
  readonly cause?: unknown;
  /** How many times the store tried the request under its own retry policy before this failure; see `StorageError.attempts`. */
  readonly attempts?: number | undefined;
}

/**
 * The one error class of Stowage. Adapters translate every native error into one of these, so callers
 * switch on `code` and never see a raw fs or SDK error; the native error stays reachable as `cause`.
 */
export class StorageError extends Error {
  override readonly name = 'StorageError';
  readonly code: StorageErrorCode;
  readonly key: string | undefined;
  /**
   * Set when the store's own retry policy already ran for the failed request (the S3 store's SDK retry strategy):
   * the attempts made. A caller retrying only failures without it keeps a single retry layer.
   */
  readonly attempts: number | undefined;

  constructor(code: StorageErrorCode, message: string, options: StorageErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.key = options.key;
    this.attempts = options.attempts;
  }
}

export function isStorageError(error: unknown, code?: StorageErrorCode): error is StorageError {
  return error instanceof StorageError && (code === undefined || error.code === code);
}

/** The error every store throws when a caller's `AbortSignal` fires. */
export function abortedError(key: string | undefined, reason?: unknown): StorageError {
  return new StorageError('Aborted', key === undefined ? 'operation aborted' : `operation on "${key}" aborted`, {
    key,
    cause: reason,
  });
}

/** Throws `Aborted` when the signal has already fired; call before each step of a long operation. */
export function throwIfAborted(signal: AbortSignal | undefined, key?: string): void {
  if (signal?.aborted === true) throw abortedError(key, signal.reason);
}

/**
 * Waits for `promise`, or rejects with `Aborted` as soon as the signal fires. The work itself goes on: callers
 * cancel what they own (a stream, a request) once this rejects.
 */
export async function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined, key?: string): Promise<T> {
  if (signal === undefined) return promise;
  throwIfAborted(signal, key);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => {
      reject(abortedError(key, signal.reason));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}

/** Waits `milliseconds`, or rejects with `Aborted` as soon as the signal fires (a retry's backoff). */
export function abortableSleep(milliseconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(abortedError(undefined, signal.reason));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortedError(undefined, signal?.reason));
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, milliseconds),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
