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
}

/**
 * The one error class of Stowage. Adapters translate every native error into one of these, so callers
 * switch on `code` and never see a raw fs or SDK error; the native error stays reachable as `cause`.
 */
export class StorageError extends Error {
  override readonly name = 'StorageError';
  readonly code: StorageErrorCode;
  readonly key: string | undefined;

  constructor(code: StorageErrorCode, message: string, options: StorageErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.key = options.key;
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
