import { expect } from 'vitest';

/**
 * Asserts two byte arrays are equal, naming the first differing offset. Much faster than a deep `toEqual` on
 * large arrays, and the failure says where the bytes diverge instead of dumping them.
 */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array, what = 'bytes'): void {
  expect(actual.byteLength, `${what}: length`).toBe(expected.byteLength);
  const limit = Math.min(actual.byteLength, expected.byteLength);
  for (let offset = 0; offset < limit; offset++) {
    if (actual[offset] !== expected[offset]) {
      expect.fail(
        `${what}: first difference at byte ${offset}: ${actual[offset] ?? '-'} instead of ${expected[offset] ?? '-'}`,
      );
    }
  }
}
