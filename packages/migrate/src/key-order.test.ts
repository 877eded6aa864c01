import { describe, expect, it } from 'vitest';
import { compareKeys } from './key-order.ts';

const utf8 = new TextEncoder();
function byBytes(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  for (let index = 0; index < Math.min(x.length, y.length); index++) {
    const difference = (x[index] ?? 0) - (y[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return x.length - y.length;
}

describe('compareKeys', () => {
  it('orders keys exactly as their UTF-8 bytes do, including characters above U+FFFF', () => {
    const keys = ['b', 'a/b', 'a', 'a/', 'Z', '\uffff', '\u{1f600}', '\ue000', 'é', 'a/\u{10000}', 'a/\ufffd', ''];
    const expected = [...keys].sort(byBytes);
    expect([...keys].sort(compareKeys)).toEqual(expected);
    // JavaScript's own order differs here, which is why the comparison exists.
    expect([...keys].sort()).not.toEqual(expected);
  });

  it('says equal only for equal keys', () => {
    expect(compareKeys('a/b', 'a/b')).toBe(0);
    expect(compareKeys('a/b', 'a/c')).toBeLessThan(0);
    expect(compareKeys('a/bc', 'a/b')).toBeGreaterThan(0);
  });
});
