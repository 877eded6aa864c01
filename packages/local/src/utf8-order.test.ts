import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { compareUtf8 } from './utf8-order.ts';

const byBytes = (left: string, right: string): number => Buffer.compare(Buffer.from(left), Buffer.from(right));

describe('compareUtf8', () => {
  it('orders characters above U+FFFF after U+E000-U+FFFF, as UTF-8 bytes do (UTF-16 order does not)', () => {
    const emoji = '\u{1F600}';
    const privateUse = '\uE000';
    expect([emoji, privateUse].sort()).toEqual([emoji, privateUse]); // JavaScript's own order gets it wrong
    expect(compareUtf8(emoji, privateUse)).toBeGreaterThan(0);
    expect(compareUtf8('\uFFFD', '\u{10000}')).toBeLessThan(0);
  });

  it('agrees in sign with a byte comparison of the UTF-8 encodings on many mixed strings', () => {
    const alphabet = ['a', 'b', '-', '/', '0', 'é', '\u00ff', '\u0800', '\uD7FF', '\uE000', '\uFFFD', '\u{1F600}', '\u{10000}', '\u{10FFFF}'];
    let seed = 7;
    const nextIndex = (limit: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % limit;
    };
    const strings = Array.from({ length: 300 }, () => Array.from({ length: 1 + nextIndex(5) }, () => alphabet[nextIndex(alphabet.length)]).join(''));
    for (const left of strings) {
      for (const right of strings.slice(0, 40)) {
        expect(Math.sign(compareUtf8(left, right))).toBe(Math.sign(byBytes(left, right)));
      }
    }
  });

  it('sorts a prefix before its extensions and equal strings as equal', () => {
    expect(compareUtf8('a', 'a/b')).toBeLessThan(0);
    expect(compareUtf8('a-c', 'a/')).toBeLessThan(0);
    expect(compareUtf8('same', 'same')).toBe(0);
  });
});
