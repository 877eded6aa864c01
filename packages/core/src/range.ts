import { StorageError } from './errors.ts';
import type { ByteRange } from './object-store.ts';

/** Inclusive byte positions of a range within an object, as HTTP's Content-Range states them. */
export interface ResolvedRange {
  readonly start: number;
  readonly end: number;
}

function isByteCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/**
 * Applies HTTP's range rules to an object of `size` bytes: an end past the last byte is clamped, a suffix longer
 * than the object means the whole object. Throws `InvalidRange` for a malformed range or one that starts past the
 * end (HTTP's 416). An empty object satisfies no range.
 */
export function resolveRange(range: ByteRange, size: number, key?: string): ResolvedRange {
  const fail = (why: string): never => {
    throw new StorageError('InvalidRange', `invalid range for ${key ?? 'object'} of ${size} bytes: ${why}`, { key });
  };
  if ('suffix' in range) {
    if (!isByteCount(range.suffix) || range.suffix === 0)
      return fail(`suffix ${range.suffix} is not a positive integer`);
    if (size === 0) return fail('the object is empty');
    return { start: Math.max(0, size - range.suffix), end: size - 1 };
  }
  const { start, end } = range;
  if (!isByteCount(start)) return fail(`start ${start} is not a non-negative integer`);
  if (end !== undefined && (!isByteCount(end) || end < start)) return fail(`end ${end} is before start ${start}`);
  if (start >= size) return fail(`start ${start} is past the end`);
  return { start, end: Math.min(end ?? size - 1, size - 1) };
}
