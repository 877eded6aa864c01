import { StorageError } from './errors.ts';
import type { PutOptions } from './object-store.ts';

/** A put's `size` and `maxSize` options, checked once and then applied to the bytes as they arrive. */
export interface SizeLimits {
  readonly key: string;
  /** The exact length the caller announced. */
  readonly expected: number | undefined;
  readonly max: number | undefined;
}

function nonNegativeInteger(value: number | undefined, option: string, key: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new StorageError('InvalidArgument', `${option} must be a non-negative integer, not ${value}`, { key });
  }
  return value;
}

/**
 * Reads a put's size options. Throws `InvalidArgument` for a size that is not a byte count, and `TooLarge` when the
 * announced size is already over the limit, so no byte of such a body is read.
 */
export function putSizeLimits(key: string, options: Pick<PutOptions, 'size' | 'maxSize'>): SizeLimits {
  const expected = nonNegativeInteger(options.size, 'size', key);
  const max = nonNegativeInteger(options.maxSize, 'maxSize', key);
  if (expected !== undefined && max !== undefined && expected > max) {
    throw new StorageError('TooLarge', `"${key}" would be ${expected} bytes, more than the ${max} allowed`, { key });
  }
  return { key, expected, max };
}

/** Throws `TooLarge` or `IntegrityError` as soon as `received` bytes pass the limit or the announced size. */
export function checkReceivedSize(limits: SizeLimits, received: number): void {
  const { key, expected, max } = limits;
  if (max !== undefined && received > max) {
    throw new StorageError('TooLarge', `"${key}" is larger than the ${max} bytes allowed`, { key });
  }
  if (expected !== undefined && received > expected) {
    throw new StorageError('IntegrityError', `"${key}" has more than the ${expected} bytes announced`, { key });
  }
}

/** Throws `IntegrityError` when a complete body's length is not the announced one. */
export function checkFinalSize(limits: SizeLimits, size: number): void {
  const { key, expected } = limits;
  if (expected !== undefined && size !== expected) {
    throw new StorageError('IntegrityError', `"${key}" has ${size} bytes, not the ${expected} announced`, { key });
  }
}
