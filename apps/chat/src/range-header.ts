import type { ByteRange } from '@stowage/core';

/**
 * Reads an HTTP `Range` header (RFC 9110) into one byte range for the store, which resolves it against the size.
 * `undefined` means "send the whole object": no header, another unit, several ranges (allowed by the RFC), or a
 * malformed header (which the RFC says to ignore).
 */
export function parseRangeHeader(header: string | undefined): ByteRange | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/iu.exec(header);
  if (match === null) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') return { suffix: Number(last) };
  const start = Number(first);
  if (last === '') return { start };
  const end = Number(last);
  if (end < start || !Number.isSafeInteger(start) || !Number.isSafeInteger(end)) return undefined;
  return { start, end };
}
