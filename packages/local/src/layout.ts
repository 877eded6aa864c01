import { join } from 'node:path';
import { toHex } from '@stowage/core';
import { nodeSha256 } from '@stowage/core/node';
import { reservedKeyError } from './errors.ts';
import { statNumber } from './file-system.ts';
import type { LocalStats } from './file-system.ts';

/**
 * The one directory at the root that holds the store's own records; every other path under the root is an
 * object. Keys inside it are refused and `list` never shows it.
 */
export const RESERVED_DIRECTORY = '.stowage';

/** Where puts write before they rename into place: same file system as the objects, so the rename is atomic. */
export const TEMPORARY_DIRECTORY: string = join(RESERVED_DIRECTORY, 'tmp');

/** Metadata records, sharded by the first two hex digits of the key's hash. */
export const METADATA_DIRECTORY: string = join(RESERVED_DIRECTORY, 'meta');

/** Refuses keys that would land in the reserved directory (case-insensitively, for case-folding disks). */
export function assertNotReserved(key: string): void {
  const first = key.split('/', 1)[0] ?? '';
  if (first.toLowerCase() === RESERVED_DIRECTORY) throw reservedKeyError(key, RESERVED_DIRECTORY);
}

/**
 * Names one version of a data file: inode, size and modification time. A rename keeps all three, any rewrite
 * changes at least one, so a metadata record naming a version can only describe those very bytes.
 */
export function fileVersion(stats: LocalStats): string {
  const micros = Math.round(statNumber(stats.mtimeMs) * 1000);
  return `${statNumber(stats.ino).toString(36)}-${statNumber(stats.size).toString(36)}-${micros.toString(36)}`;
}

const KEY_ENCODER = new TextEncoder();

/** The hex hash that names a key's metadata records (keys may be longer than a file name may be). */
export function keyDigest(key: string): string {
  const hash = nodeSha256();
  hash.update(KEY_ENCODER.encode(key));
  return toHex(hash.digest()).slice(0, 40);
}

/** Relative path (under the root) of the metadata record of one version of a key. */
export function metadataRecordPath(digest: string, version: string): string {
  return join(METADATA_DIRECTORY, digest.slice(0, 2), `${digest}.${version}.json`);
}

/** The names of all 256 shard directories under `METADATA_DIRECTORY`: `00` to `ff`. */
export const SHARD_NAMES: readonly string[] = Array.from({ length: 256 }, (_, index) =>
  index.toString(16).padStart(2, '0'),
);

export function metadataShardPath(digest: string): string {
  return join(METADATA_DIRECTORY, digest.slice(0, 2));
}

/** A fresh temporary name; the leading time lets a sweep tell old leftovers without reading them. */
export function temporaryName(): string {
  return `${Date.now().toString(36)}-${crypto.randomUUID()}.tmp`;
}
