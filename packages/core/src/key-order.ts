function isSurrogate(codeUnit: number): boolean {
  return codeUnit >= 0xd800 && codeUnit <= 0xdfff;
}

/**
 * Orders keys by their UTF-8 bytes, the order every store lists in. UTF-16 code units already sort that way except
 * that a surrogate (half of a code point above U+FFFF) must sort after U+E000..U+FFFF, which JavaScript's `<` gets
 * wrong; merging two listings needs the exact order the stores use.
 */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    const left = a.charCodeAt(index);
    const right = b.charCodeAt(index);
    if (left === right) continue;
    const leftSurrogate = isSurrogate(left);
    if (leftSurrogate !== isSurrogate(right)) return leftSurrogate ? 1 : -1;
    return left - right;
  }
  return a.length - b.length;
}
