import { StorageError } from '@stowage/core';
import type { StorageErrorCode } from '@stowage/core';

// Every StorageError the local store throws is made here, so codes and wording stay consistent.

/** The native error's code (`ENOENT`, ...), when it has one. */
export function nativeCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const { code } = error;
  return typeof code === 'string' ? code : undefined;
}

const CODES_BY_ERRNO: Readonly<Record<string, StorageErrorCode>> = {
  ENOENT: 'NotFound',
  ENOTDIR: 'NotFound',
  EISDIR: 'NotFound',
  EACCES: 'AccessDenied',
  EPERM: 'AccessDenied',
  EROFS: 'AccessDenied',
  ELOOP: 'AccessDenied',
  EEXIST: 'AlreadyExists',
  ENOTEMPTY: 'AlreadyExists',
  ENAMETOOLONG: 'InvalidKey',
  EFBIG: 'TooLarge',
  ENOSPC: 'Unavailable',
  EDQUOT: 'Unavailable',
  EMFILE: 'Unavailable',
  ENFILE: 'Unavailable',
  EIO: 'Unavailable',
  EBUSY: 'Unavailable',
  EAGAIN: 'Unavailable',
  EXDEV: 'Unavailable',
  ESTALE: 'Unavailable',
};

const EXPLANATIONS: Readonly<Record<string, string>> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  EMFILE: 'too many open files in this process',
  ENFILE: 'too many open files on this system',
  ELOOP: 'a symbolic link is in the way',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENAMETOOLONG: 'a path segment is too long for this file system',
};

/**
 * Translates a native file-system error into a `StorageError` with the native one as `cause`. A `StorageError`
 * passes through unchanged, so helpers can throw either.
 */
export function fsError(error: unknown, operation: string, key?: string): StorageError {
  if (error instanceof StorageError) return error;
  const errno = nativeCode(error);
  const code: StorageErrorCode = (errno === undefined ? undefined : CODES_BY_ERRNO[errno]) ?? 'Unavailable';
  const what = key === undefined ? operation : `${operation} "${key}"`;
  const why =
    errno === undefined
      ? String(error)
      : `${errno}${EXPLANATIONS[errno] === undefined ? '' : `: ${EXPLANATIONS[errno]}`}`;
  return new StorageError(code, `local store cannot ${what} (${why})`, { key, cause: error });
}

export function notFoundError(key: string, cause?: unknown): StorageError {
  return new StorageError('NotFound', `no object "${key}"`, { key, cause });
}

export function reservedKeyError(key: string, reserved: string): StorageError {
  return new StorageError(
    'InvalidKey',
    `invalid key "${key}": "${reserved}/" is reserved for the local store's own records`,
    { key },
  );
}

export function outsideRootError(key: string, resolved: string): StorageError {
  return new StorageError(
    'AccessDenied',
    `key "${key}" resolves to "${resolved}", outside the store's root (a symbolic link leads out)`,
    { key },
  );
}

export function notAFileError(key: string): StorageError {
  return new StorageError('AccessDenied', `key "${key}" is not a regular file in the store (device, socket or link)`, {
    key,
  });
}

/** A disk cannot hold a file `a` and a file `a/b`: one of them would have to be a directory. */
export function keyConflictError(key: string, conflictingKey: string): StorageError {
  return new StorageError(
    'AlreadyExists',
    `cannot store "${key}": it conflicts with "${conflictingKey}"; a local store cannot hold a key that is also the prefix directory of another key ("a" and "a/b")`,
    { key },
  );
}

export function alreadyExistsError(key: string, cause?: unknown): StorageError {
  return new StorageError('AlreadyExists', `object "${key}" already exists (create-only put)`, { key, cause });
}

export function sizeMismatchError(key: string, expected: number, actual: string): StorageError {
  return new StorageError('IntegrityError', `put "${key}": expected ${expected} bytes, the body had ${actual}`, {
    key,
  });
}

export function checksumMismatchError(key: string, expected: string, actual: string): StorageError {
  return new StorageError(
    'IntegrityError',
    `put "${key}": expected SHA-256 ${expected}, the body hashed to ${actual}`,
    { key },
  );
}

export function tooLargeError(key: string, maxSize: number): StorageError {
  return new StorageError('TooLarge', `put "${key}": the body is larger than the limit of ${maxSize} bytes`, { key });
}

export function bodyFailedError(key: string, cause: unknown): StorageError {
  return new StorageError('Aborted', `put "${key}": reading the body failed, nothing was stored`, { key, cause });
}

export function invalidArgumentError(message: string, key?: string): StorageError {
  return new StorageError('InvalidArgument', message, { key });
}

export function invalidSettingsError(message: string): StorageError {
  return new StorageError('InvalidSettings', message);
}

export function unsupportedError(message: string, key?: string): StorageError {
  return new StorageError('Unsupported', message, { key });
}

export function shortReadError(key: string, position: number): StorageError {
  return new StorageError(
    'Unavailable',
    `get "${key}": the file ended at byte ${position}, it was truncated behind the store's back`,
    { key },
  );
}

export function deleteManyError(failed: readonly string[], causes: readonly StorageError[]): StorageError {
  const first = causes[0];
  const code: StorageErrorCode = first?.code === 'AccessDenied' ? 'AccessDenied' : 'Unavailable';
  const shown = failed
    .slice(0, 20)
    .map((key) => JSON.stringify(key))
    .join(', ');
  const more = failed.length > 20 ? ` and ${failed.length - 20} more` : '';
  return new StorageError(code, `deleteMany: ${failed.length} keys were not deleted: ${shown}${more}`, {
    key: failed[0],
    cause: causes.length === 1 ? first : new AggregateError(causes, 'individual failures'),
  });
}
