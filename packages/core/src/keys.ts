import { StorageError } from './errors.ts';

/** S3's limit, applied everywhere so that any key valid on one store is valid on every other. */
export const MAX_KEY_BYTES = 1024;

const encoder = new TextEncoder();
// C0 controls, DEL and C1 controls: invisible in logs and listings, and NUL truncates paths in C APIs.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/u;

/**
 * One pass over a key that needs no closer look: no empty, `.` or `..` segment, no control character, backslash
 * or surrogate, short enough whatever its UTF-8. Keys are checked on every call of every store, and most are such.
 */
function isPlainKey(key: string): boolean {
  if (key.length === 0 || key.length * 3 > MAX_KEY_BYTES) return false;
  let segmentStart = 0;
  for (let index = 0; index <= key.length; index++) {
    const code = index < key.length ? key.charCodeAt(index) : SLASH;
    if (code === SLASH) {
      const length = index - segmentStart;
      if (length === 0) return false;
      if (
        length <= 2 &&
        key.charCodeAt(segmentStart) === DOT &&
        (length === 1 || key.charCodeAt(segmentStart + 1) === DOT)
      )
        return false;
      segmentStart = index + 1;
    } else if (
      code < 0x20 ||
      (code >= 0x7f && code <= 0x9f) ||
      code === BACKSLASH ||
      (code >= 0xd800 && code <= 0xdfff)
    ) {
      return false;
    }
  }
  return true;
}

const SLASH = 0x2f;
const DOT = 0x2e;
const BACKSLASH = 0x5c;

/** Returns why `key` is not a valid object key, or `undefined` when it is valid. */
export function keyProblem(key: string): string | undefined {
  if (isPlainKey(key)) return undefined;
  if (key.length === 0) return 'is empty';
  if (!key.isWellFormed()) return 'is not valid Unicode (lone surrogate)';
  if (encoder.encode(key).byteLength > MAX_KEY_BYTES) return `is longer than ${MAX_KEY_BYTES} bytes of UTF-8`;
  if (key.startsWith('/')) return 'is absolute (starts with "/")';
  if (key.includes('\\')) return 'contains a backslash';
  const control = CONTROL_CHARACTER.exec(key);
  if (control !== null) {
    const codePoint = control[0].codePointAt(0) ?? 0;
    return `contains the control character U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  for (const segment of key.split('/')) {
    if (segment === '') return 'has an empty segment ("//" or a trailing "/")';
    if (segment === '.' || segment === '..') return `has a "${segment}" segment`;
  }
  return undefined;
}

/** Returns the key unchanged, or throws `InvalidKey` naming what is wrong with it. */
export function validateKey(key: string): string {
  const problem = keyProblem(key);
  if (problem !== undefined) {
    throw new StorageError('InvalidKey', `invalid key ${JSON.stringify(key.slice(0, 200))}: it ${problem}`, { key });
  }
  return key;
}

/**
 * Validates a listing prefix: any prefix of a valid key is accepted ("", "a/" and "a/." included), so the last,
 * possibly partial, segment may be anything a segment may start with.
 */
export function validatePrefix(prefix: string): string {
  if (prefix === '') return prefix;
  const lastSlash = prefix.lastIndexOf('/');
  // A complete key made of the finished segments plus a harmless final letter has the same problems as the prefix.
  const probe = `${prefix.slice(0, lastSlash + 1)}x`;
  const problem = keyProblem(probe) ?? keyProblem(prefix.slice(lastSlash + 1).replace(/^\.{1,2}$/u, 'x') || 'x');
  if (problem !== undefined) {
    throw new StorageError('InvalidKey', `invalid prefix ${JSON.stringify(prefix.slice(0, 200))}: it ${problem}`, {
      key: prefix,
    });
  }
  return prefix;
}
