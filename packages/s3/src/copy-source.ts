import { encodeKeyPath } from '@stowage/core';

/**
 * The `CopySource` value for a key: bucket and key with every segment percent-encoded, as S3 requires. A raw `%`,
 * `?`, `#` or `+` in a key would otherwise be read as an escape, a query or a space.
 */
export function encodeCopySource(bucket: string, key: string): string {
  return `${bucket}/${encodeKeyPath(key)}`;
}
