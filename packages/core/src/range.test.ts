import { describe, expect, it } from 'vitest';
import { StorageError } from './errors.ts';
import type { ByteRange } from './object-store.ts';
import { resolveRange } from './range.ts';

function invalidRange(range: ByteRange, size: number, key?: string): StorageError {
  try {
    resolveRange(range, size, key);
  } catch (error) {
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe('InvalidRange');
    return error as StorageError;
  }
  throw new Error(`expected ${JSON.stringify(range)} on ${size} bytes to be rejected`);
}

describe('resolveRange', () => {
  it.each([
    ['an open range from the start', { start: 0 }, 10, 0, 9],
    ['an open range from the middle', { start: 4 }, 10, 4, 9],
    ['a closed range, both ends inclusive', { start: 3, end: 5 }, 10, 3, 5],
    ['a single byte', { start: 5, end: 5 }, 10, 5, 5],
    ['the last byte', { start: 9 }, 10, 9, 9],
    ['an end past the last byte, clamped', { start: 3, end: 100 }, 10, 3, 9],
    ['an explicit undefined end', { start: 2, end: undefined }, 10, 2, 9],
    ['a suffix', { suffix: 3 }, 10, 7, 9],
    ['a suffix of the whole size', { suffix: 10 }, 10, 0, 9],
    ['a suffix longer than the object: the whole object', { suffix: 11 }, 10, 0, 9],
    ['a one-byte suffix of a huge object', { suffix: 1 }, 2 ** 40, 2 ** 40 - 1, 2 ** 40 - 1],
    ['a one-byte object', { start: 0, end: 0 }, 1, 0, 0],
  ] as const)('resolves %s', (_why, range, size, start, end) => {
    expect(resolveRange(range, size)).toEqual({ start, end });
  });

  it.each([
    ['a start at the end', { start: 10 }, /start 10 is past the end/u],
    ['a start past the end', { start: 11, end: 20 }, /past the end/u],
    ['a negative start', { start: -1 }, /not a non-negative integer/u],
    ['a fractional start', { start: 1.5 }, /not a non-negative integer/u],
    ['a NaN start', { start: Number.NaN }, /not a non-negative integer/u],
    ['an infinite start', { start: Number.POSITIVE_INFINITY }, /not a non-negative integer/u],
    ['a start beyond exact integers', { start: 2 ** 53 }, /not a non-negative integer/u],
    ['an end before the start', { start: 5, end: 4 }, /end 4 is before start 5/u],
    ['a negative end', { start: 0, end: -1 }, /end -1/u],
    ['a fractional end', { start: 0, end: 2.5 }, /end 2.5/u],
    ['a zero suffix', { suffix: 0 }, /suffix 0 is not a positive integer/u],
    ['a negative suffix', { suffix: -2 }, /suffix -2/u],
    ['a fractional suffix', { suffix: 0.5 }, /suffix 0.5/u],
    ['a NaN suffix', { suffix: Number.NaN }, /suffix NaN/u],
  ] as const)('rejects %s with InvalidRange', (_why, range, message) => {
    expect(invalidRange(range, 10).message).toMatch(message);
  });

  it('satisfies no range on an empty object (HTTP 416)', () => {
    invalidRange({ start: 0 }, 0);
    invalidRange({ start: 0, end: 0 }, 0);
    expect(invalidRange({ suffix: 1 }, 0).message).toMatch(/empty/u);
  });

  it('names the key and the size in the error when given a key', () => {
    const error = invalidRange({ start: 50 }, 10, 'realm/file.bin');
    expect(error.key).toBe('realm/file.bin');
    expect(error.message).toMatch(/realm\/file\.bin of 10 bytes/u);
    expect(invalidRange({ start: 50 }, 10).key).toBeUndefined();
  });
});
