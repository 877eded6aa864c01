import type { Sha256Factory } from '../checksum.ts';
import { StorageError } from '../errors.ts';
import type { ObjectStore } from '../object-store.ts';

const MIB = 1024 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Bytes of index one entry is charged: nginx's rule of thumb is that a 1 MB `keys_zone` holds about 8,000 keys,
 * so Zulip's `s3_memory_cache_size` of 1 MiB allows 8,192 entries.
 */
export const CACHE_INDEX_BYTES_PER_ENTRY = 128;

/** Zulip's defaults for its nginx S3 cache. */
export const DEFAULT_MEMORY_CACHE_SIZE: number = 1 * MIB;
export const DEFAULT_DISK_CACHE_SIZE: number = 200 * MIB;
export const DEFAULT_CACHE_INACTIVE_TIME: number = 30 * DAY_MS;
/** nginx's slice module size in Zulip's configuration. */
export const DEFAULT_SLICE_SIZE: number = 5 * MIB;

/** How `withCache` is set up; only `tier` is required. */
export interface CacheOptions {
  /**
   * Where cached slices live: any store, normally a `LocalStore` on a cache directory. Give the cache a store (or a
   * prefix-free namespace) of its own: it deletes what it evicts under its layout prefix `v2/` (and the earlier layout's `v1/`).
   */
  readonly tier: ObjectStore;
  /**
   * Zulip's `s3_memory_cache_size`, in bytes of index: each cached slice costs `CACHE_INDEX_BYTES_PER_ENTRY`, so the
   * default 1 MiB holds 8,192 slices. Least recently used slices are evicted beyond it.
   */
  readonly memoryCacheSize?: number | undefined;
  /** Zulip's `s3_disk_cache_size`: bytes of slices the tier may hold (default 200 MiB); LRU eviction beyond it. */
  readonly diskCacheSize?: number | undefined;
  /** Zulip's `s3_cache_inactive_time`, in milliseconds: a slice not read for this long is dropped (default 30 days). */
  readonly cacheInactiveTime?: number | undefined;
  /** Objects are cached and fetched from the origin in slices of this many bytes (default 5 MiB). */
  readonly sliceSize?: number | undefined;
  /**
   * When a hit hashes the slice it serves. `on-change` (the default): when this process has not yet seen that
   * version of the tier object match (a slice it wrote itself starts matched: the tier checked the bytes it
   * received), and again whenever the tier reports another etag, size or last-modified time for it (any rewrite of
   * the file or object changes those); the size is checked on every hit. That keeps hits as fast as reading the
   * tier directly, but cannot see corruption that leaves all three unchanged (bit rot under the file system)
   * until the next process reads the slice. `every-hit`: always, so no corrupt byte is ever served, at the price
   * of hashing every byte served (the cache's README, performance).
   */
  readonly verify?: 'every-hit' | 'on-change' | undefined;
  /** Milliseconds since the epoch; injected so tests can move time. Defaults to `Date.now`. */
  readonly now?: (() => number) | undefined;
  /**
   * The SHA-256 that checks slices (see `verify`) and names their tier versions. Defaults to Web Crypto's digest,
   * native on every runtime; a factory given here is used instead, e.g. `nodeSha256` from `@stowage/core/node`.
   */
  readonly sha256?: Sha256Factory | undefined;
}

/** `CacheOptions` with every default applied and every number checked. */
export interface ResolvedCacheOptions {
  readonly tier: ObjectStore;
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly inactiveMs: number;
  readonly sliceSize: number;
  readonly verify: 'every-hit' | 'on-change';
  readonly now: () => number;
  /** The injected SHA-256, if any; tier key names use the portable one without it. */
  readonly sha256: Sha256Factory | undefined;
}

function positiveInteger(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new StorageError('InvalidSettings', `cache option ${option} must be a positive integer, not ${value}`);
  }
  return value;
}

function verifyMode(value: string | undefined): 'every-hit' | 'on-change' {
  if (value === undefined || value === 'on-change') return 'on-change';
  if (value === 'every-hit') return value;
  throw new StorageError(
    'InvalidSettings',
    `cache option verify must be "every-hit" or "on-change", not ${JSON.stringify(value)}`,
  );
}

/** Applies the defaults; throws `InvalidSettings` naming the first option that is out of range. */
export function resolveCacheOptions(options: CacheOptions): ResolvedCacheOptions {
  const memoryCacheSize = positiveInteger('memoryCacheSize', options.memoryCacheSize, DEFAULT_MEMORY_CACHE_SIZE);
  if (memoryCacheSize < CACHE_INDEX_BYTES_PER_ENTRY) {
    throw new StorageError(
      'InvalidSettings',
      `cache option memoryCacheSize must hold at least one entry (${CACHE_INDEX_BYTES_PER_ENTRY} bytes), not ${memoryCacheSize}`,
    );
  }
  return {
    tier: options.tier,
    maxEntries: Math.floor(memoryCacheSize / CACHE_INDEX_BYTES_PER_ENTRY),
    maxBytes: positiveInteger('diskCacheSize', options.diskCacheSize, DEFAULT_DISK_CACHE_SIZE),
    inactiveMs: positiveInteger('cacheInactiveTime', options.cacheInactiveTime, DEFAULT_CACHE_INACTIVE_TIME),
    sliceSize: positiveInteger('sliceSize', options.sliceSize, DEFAULT_SLICE_SIZE),
    verify: verifyMode(options.verify),
    now: options.now ?? Date.now,
    sha256: options.sha256,
  };
}
