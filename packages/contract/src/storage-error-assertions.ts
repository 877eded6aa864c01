import type { StorageError, StorageErrorCode } from '@stowage/core';

/** What the suite reads from a `StorageError`: checked by shape, so another copy of core still passes. */
export type StorageErrorShape = Pick<StorageError, 'name' | 'message' | 'code' | 'key' | 'cause'>;

function describeValue(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  return String(value);
}

function hasStorageErrorShape(error: unknown): error is StorageErrorShape {
  return error instanceof Error && error.name === 'StorageError' && 'code' in error && typeof error.code === 'string';
}

/** Checks that `error` is a `StorageError` with `code`, and returns it for further checks (its `key`, say). */
export function assertStorageError(error: unknown, code: StorageErrorCode): StorageErrorShape {
  if (!hasStorageErrorShape(error)) {
    throw new Error(`expected StorageError ${code}, got ${describeValue(error)}`, { cause: error });
  }
  if (error.code !== code)
    throw new Error(`expected StorageError ${code}, got ${error.code}: ${error.message}`, { cause: error });
  return error;
}

/** Awaits `work` (a promise, or a function that returns one or throws), expecting a `StorageError` with `code`. */
export async function expectStorageError(
  work: Promise<unknown> | (() => unknown),
  code: StorageErrorCode,
): Promise<StorageErrorShape> {
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (error) {
    return assertStorageError(error, code);
  }
  throw new Error(`expected StorageError ${code}, but the operation succeeded`);
}
