import { DEFAULT_CONTENT_TYPE } from '@stowage/core';
import type { ObjectInfo } from '@stowage/core';

/** The user-metadata name under which the store keeps an object's SHA-256 (`x-amz-meta-stowage-sha256`). */
export const SHA256_METADATA = 'stowage-sha256';

/** What HEAD, GET and CopyObject answers share. */
export interface S3ObjectHeaders {
  readonly ContentLength?: number | undefined;
  readonly ContentType?: string | undefined;
  readonly LastModified?: Date | undefined;
  readonly ETag?: string | undefined;
  readonly ContentDisposition?: string | undefined;
  readonly CacheControl?: string | undefined;
  readonly Metadata?: Record<string, string> | undefined;
}

/** Splits S3 user metadata into the caller's part and the stored SHA-256. */
export function splitMetadata(metadata: Readonly<Record<string, string>> | undefined): {
  readonly metadata: Record<string, string>;
  readonly sha256: string | undefined;
} {
  const user: Record<string, string> = {};
  let sha256: string | undefined;
  for (const [name, value] of Object.entries(metadata ?? {})) {
    const lower = name.toLowerCase();
    if (lower === SHA256_METADATA) sha256 = value;
    else user[lower] = value;
  }
  return { metadata: user, sha256 };
}

/** `ObjectInfo` from S3 response headers; `size` is given separately because a ranged GET's length is not it. */
export function objectInfoFromHeaders(key: string, size: number, headers: S3ObjectHeaders): ObjectInfo {
  const { metadata, sha256 } = splitMetadata(headers.Metadata);
  return {
    key,
    size,
    contentType: headers.ContentType ?? DEFAULT_CONTENT_TYPE,
    lastModified: headers.LastModified ?? new Date(0),
    etag: headers.ETag ?? '""',
    sha256,
    contentDisposition: headers.ContentDisposition,
    cacheControl: headers.CacheControl,
    metadata,
  };
}
