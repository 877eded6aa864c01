/**
 * Compares strings by their UTF-8 bytes, the order S3 lists keys in. UTF-16 code units sort characters above
 * U+FFFF (surrogate pairs, 0xD800-0xDFFF) below U+E000-U+FFFF; UTF-8 bytes and code points sort them above.
 */
export function compareUtf8(left: string, right: string): number {
  const length = Math.min(left.length, right.length);
  for (let index = 0; index < length; index++) {
    const a = left.charCodeAt(index);
    const b = right.charCodeAt(index);
    if (a !== b) {
      if (a >= 0xd800 && b >= 0xd800) return codePointRank(a) - codePointRank(b);
      return a - b;
    }
  }
  return left.length - right.length;
}

function codePointRank(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}
