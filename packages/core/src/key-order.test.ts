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

  it('orders characters above U+FFFF after U+E000-U+FFFF, as UTF-8 bytes do (UTF-16 order does not)', () => {
    const emoji = '\u{1F600}';
    const privateUse = '\uE000';
    expect([emoji, privateUse].sort()).toEqual([emoji, privateUse]); // JavaScript's own order gets it wrong
    expect(compareKeys(emoji, privateUse)).toBeGreaterThan(0);
    expect(compareKeys('\uFFFD', '\u{10000}')).toBeLessThan(0);
  });

  it('agrees in sign with a byte comparison of the UTF-8 encodings on many mixed strings', () => {
    const alphabet = [
      'a',
      'b',
      '-',
      '/',
      '0',
      'é',
      '\u00ff',
      '\u0800',
      '\uD7FF',
      '\uE000',
      '\uFFFD',
      '\u{1F600}',
      '\u{10000}',
      '\u{10FFFF}',
    ];
    let seed = 7;
    const nextIndex = (limit: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % limit;
    };
    const strings = Array.from({ length: 300 }, () =>
      Array.from({ length: 1 + nextIndex(5) }, () => alphabet[nextIndex(alphabet.length)]).join(''),
    );
    for (const left of strings) {
      for (const right of strings.slice(0, 40)) {
        expect(Math.sign(compareKeys(left, right))).toBe(Math.sign(byBytes(left, right)));
      }
    }
  });

  it('sorts a prefix before its extensions and equal strings as equal', () => {
    expect(compareKeys('a', 'a/b')).toBeLessThan(0);
    expect(compareKeys('a-c', 'a/')).toBeLessThan(0);
    expect(compareKeys('same', 'same')).toBe(0);
  });
});
