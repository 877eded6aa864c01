import { describe, expect, it } from 'vitest';
import { decodeKeyPath, encodeKeyPath } from './key-url-path.ts';

describe('encodeKeyPath', () => {
  it.each([
    ['1/ab/notes.txt', '1/ab/notes.txt'],
    ['1/ab/two words.txt', '1/ab/two%20words.txt'],
    ['1/ab/100%.txt', '1/ab/100%25.txt'],
    ['1/ab/a#b.txt', '1/ab/a%23b.txt'],
    ['1/ab/a?b=c&d.txt', '1/ab/a%3Fb%3Dc%26d.txt'],
    ['1/ab/café 日本.png', '1/ab/caf%C3%A9%20%E6%97%A5%E6%9C%AC.png'],
    ['1/ab/😀+.txt', '1/ab/%F0%9F%98%80%2B.txt'],
    ['a/b/c/d', 'a/b/c/d'],
  ])('encodes each segment of %j and keeps the slashes', (key, path) => {
    expect(encodeKeyPath(key)).toBe(path);
    expect(decodeKeyPath(path)).toBe(key);
  });

  it('leaves nothing in a segment that a URL parser would read as a query, fragment or separator', () => {
    const key = '1/x/?#%/ ;:@&=+$,';
    const url = new URL(`https://files.example/base/${encodeKeyPath(key)}`);
    expect(url.search).toBe('');
    expect(url.hash).toBe('');
    expect(decodeKeyPath(url.pathname.slice('/base/'.length))).toBe(key);
  });
});

describe('decodeKeyPath', () => {
  it('is undefined for a segment that is not valid percent-encoding', () => {
    expect(decodeKeyPath('1/ab/%E0%A4%A.txt')).toBeUndefined();
    expect(decodeKeyPath('1/%zz')).toBeUndefined();
  });

  it('decodes an encoded slash inside a segment, which is why callers validate the key afterwards', () => {
    expect(decodeKeyPath('a%2Fb')).toBe('a/b');
  });
});
