import { describe, expect, it } from 'vitest';
import { StorageError } from './errors.ts';
import { MAX_KEY_BYTES, keyProblem, validateKey, validatePrefix } from './keys.ts';

function rejection(run: () => unknown): StorageError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(StorageError);
    return error as StorageError;
  }
  throw new Error('expected a StorageError, but the call succeeded');
}

describe('keyProblem and validateKey', () => {
  const invalid: readonly (readonly [string, string, RegExp])[] = [
    ['empty', '', /is empty/u],
    ['absolute', '/uploads/a.png', /absolute/u],
    ['only a slash', '/', /absolute/u],
    ['a lone "."', '.', /"\." segment/u],
    ['a lone ".."', '..', /"\.\." segment/u],
    ['leading "."', './a', /"\." segment/u],
    ['inner "."', 'a/./b', /"\." segment/u],
    ['trailing "."', 'a/.', /"\." segment/u],
    ['leading ".." (traversal)', '../etc/passwd', /"\.\." segment/u],
    ['inner ".."', 'a/../b', /"\.\." segment/u],
    ['trailing ".."', 'a/..', /"\.\." segment/u],
    ['empty inner segment', 'a//b', /empty segment/u],
    ['trailing slash', 'a/b/', /empty segment/u],
    ['NUL', 'a\u0000b', /control character U\+0000/u],
    ['U+0001', '\u0001', /control character U\+0001/u],
    ['tab', 'a\tb', /control character U\+0009/u],
    ['line feed', 'a\nb', /control character U\+000A/u],
    ['carriage return', 'a\rb', /control character U\+000D/u],
    ['U+001F', 'a\u001f', /control character U\+001F/u],
    ['DEL', 'a\u007fb', /control character U\+007F/u],
    ['C1 U+0080', 'a\u0080b', /control character U\+0080/u],
    ['C1 U+0085 (next line)', 'a\u0085b', /control character U\+0085/u],
    ['C1 U+009F', 'a\u009fb', /control character U\+009F/u],
    ['backslash', 'a\\b', /backslash/u],
    ['backslash traversal', '..\\..\\x', /backslash/u],
    ['1025 ASCII bytes', 'x'.repeat(1025), /longer than 1024 bytes/u],
    ['1026 bytes of two-byte characters', '\u00e9'.repeat(513), /longer than 1024 bytes/u],
    ['1028 bytes of four-byte characters', '\u{1f600}'.repeat(257), /longer than 1024 bytes/u],
    ['a lone high surrogate', 'a\ud800', /lone surrogate/u],
    ['a lone low surrogate', '\udc00b', /lone surrogate/u],
  ];

  it.each(invalid)('rejects a key that is %s', (_why, key, message) => {
    expect(keyProblem(key)).toMatch(message);
    const error = rejection(() => validateKey(key));
    expect(error.code).toBe('InvalidKey');
    expect(error.key).toBe(key);
    expect(error.message).toMatch(message);
  });

  it('shows at most 200 characters of a long key in the message, but keeps the whole key on the error', () => {
    const key = 'y'.repeat(5000);
    const error = rejection(() => validateKey(key));
    expect(error.message.length).toBeLessThan(300);
    expect(error.key).toBe(key);
  });

  const valid: readonly (readonly [string, string])[] = [
    ['a single character', 'a'],
    ['an attachment layout', '2/ab/Xy9_kq-abc/report-2024.pdf'],
    ['segments starting with dots', '.hidden/..twice/...'],
    ['dots inside segments', 'a..b/c.d.e'],
    ['spaces, also at the ends of segments', ' lead/trail /in side'],
    ['URL-special characters', "%20?#&=+;:@!$'()*,[]{}~^`|"],
    ['a right-to-left override (format, not control)', 'rtl/\u202egnp.exe'],
    ['emoji and a ZWJ sequence', '\u{1f468}\u200d\u{1f469}\u200d\u{1f467}/\u{1f600}.png'],
    ['combining marks', 'cafe\u0301'],
    ['U+00A0 (after the C1 range)', 'no\u00a0break'],
    ['exactly 1024 ASCII bytes', 'x'.repeat(MAX_KEY_BYTES)],
    ['exactly 1024 bytes of four-byte characters', '\u{1f600}'.repeat(256)],
    ['a valid surrogate pair', '\ud83d\ude00'],
  ];

  it.each(valid)('accepts a key with %s', (_why, key) => {
    expect(keyProblem(key)).toBeUndefined();
    expect(validateKey(key)).toBe(key);
  });
});

describe('validatePrefix', () => {
  it.each(['', 'a', 'a/', 'a/b', 'a/.', 'a/..', '.', '..', 'a/.h', 'docs/b', '\u{1f600}/'])(
    'accepts %j, a prefix of some valid key',
    (prefix) => {
      expect(validatePrefix(prefix)).toBe(prefix);
    },
  );

  it.each([
    ['/', /absolute/u],
    ['/a', /absolute/u],
    ['a//', /empty segment/u],
    ['a//b', /empty segment/u],
    ['./', /"\." segment/u],
    ['../', /"\.\." segment/u],
    ['a/../b', /"\.\." segment/u],
    ['a\u0000', /control character/u],
    ['a\\', /backslash/u],
    ['x'.repeat(1025), /longer than 1024/u],
  ])('rejects %j with InvalidKey', (prefix, message) => {
    const error = rejection(() => validatePrefix(prefix));
    expect(error.code).toBe('InvalidKey');
    expect(error.key).toBe(prefix);
    expect(error.message).toMatch(/invalid prefix/u);
    expect(error.message).toMatch(message);
  });
});
