/**
 * A key as a URL path: each segment percent-encoded on its own, so `/` keeps separating segments while `?`, `#`,
 * `%` and spaces inside a segment cannot change the URL's meaning.
 */
export function encodeKeyPath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

/** The key a URL path encodes, or `undefined` when a segment is not valid percent-encoding. */
export function decodeKeyPath(path: string): string | undefined {
  try {
    return path.split('/').map(decodeURIComponent).join('/');
  } catch {
    return undefined;
  }
}
