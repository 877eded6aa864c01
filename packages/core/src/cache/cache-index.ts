import type { ObjectInfo } from '../object-store.ts';

/** One slice the tier holds, as the index remembers it. */
export interface CachedSlice {
  /** The origin key of the object the slice belongs to. */
  readonly key: string;
  readonly sliceNumber: number;
  readonly tierKey: string;
  readonly size: number;
  /** Base64 SHA-256 the slice's bytes must have to be served. */
  readonly sha256: string;
  /** The origin object's etag when the slice was cut: slices of one object all share it. */
  readonly etag: string;
  lastUsed: number;
  /** The tier object's etag, size and time when its bytes last matched `sha256` in this process. */
  verifiedAs?: string | undefined;
}

interface CachedObject {
  readonly info: ObjectInfo;
  readonly slices: Map<number, CachedSlice>;
}

export interface CacheLimits {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly inactiveMs: number;
}

/**
 * The in-memory index of what the tier holds: least recently used first, bounded by entry count and bytes, with
 * idle entries expired by the injected clock. Pure bookkeeping: it returns what must leave the tier and lets the
 * caller delete it.
 */
export class CacheIndex {
  readonly #limits: CacheLimits;
  readonly #now: () => number;
  readonly #objects = new Map<string, CachedObject>();
  /** Every slice by tier key; a Map iterates in insertion order, so re-inserting on use keeps LRU order. */
  readonly #lru = new Map<string, CachedSlice>();
  #bytes = 0;
  #evictions = 0;
  #expirations = 0;

  constructor(limits: CacheLimits, now: () => number) {
    this.#limits = limits;
    this.#now = now;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get entries(): number {
    return this.#lru.size;
  }

  /** Slices removed to keep within the entry or byte limit. */
  get evictions(): number {
    return this.#evictions;
  }

  /** Slices removed for being idle at least the inactive time. */
  get expirations(): number {
    return this.#expirations;
  }

  /** Whether a slice of this size may be cached at all (a slice larger than the byte limit never is). */
  fits(size: number): boolean {
    return size <= this.#limits.maxBytes;
  }

  /** The cached info of an object with at least one cached slice. */
  info(key: string): ObjectInfo | undefined {
    return this.#objects.get(key)?.info;
  }

  /** The cached slice of this version of the object, without counting it as used. */
  slice(key: string, etag: string, sliceNumber: number): CachedSlice | undefined {
    const object = this.#objects.get(key);
    return object?.info.etag === etag ? object.slices.get(sliceNumber) : undefined;
  }

  /** Marks the slice as just used: it becomes the last to be evicted. */
  touch(slice: CachedSlice): void {
    if (this.#lru.get(slice.tierKey) !== slice) return;
    slice.lastUsed = this.#now();
    this.#lru.delete(slice.tierKey);
    this.#lru.set(slice.tierKey, slice);
  }

  /**
   * Records a slice, last used at `lastUsed` (now by default). Returns the slices that must leave the tier: other
   * versions of the same object, and the least recently used slices beyond the limits. The caller checks `fits`
   * first; the slice just added is never among those returned.
   */
  add(
    info: ObjectInfo,
    slice: Omit<CachedSlice, 'lastUsed' | 'key' | 'etag'>,
    lastUsed: number = this.#now(),
  ): CachedSlice[] {
    const removed: CachedSlice[] = [];
    let object = this.#objects.get(info.key);
    if (object !== undefined && object.info.etag !== info.etag) {
      removed.push(...this.remove(info.key));
      object = undefined;
    }
    if (object === undefined) {
      object = { info, slices: new Map() };
      this.#objects.set(info.key, object);
    }
    const previous = object.slices.get(slice.sliceNumber);
    if (previous !== undefined) this.#forget(previous);
    const entry: CachedSlice = { ...slice, key: info.key, etag: info.etag, lastUsed };
    object.slices.set(entry.sliceNumber, entry);
    this.#lru.set(entry.tierKey, entry);
    this.#bytes += entry.size;
    for (const oldest of this.#lru.values()) {
      if (this.#lru.size <= this.#limits.maxEntries && this.#bytes <= this.#limits.maxBytes) break;
      if (oldest === entry) break;
      this.#forget(oldest);
      this.#evictions += 1;
      removed.push(oldest);
    }
    return removed;
  }

  /** Removes every slice of the object; returns them so the caller can delete them from the tier. */
  remove(key: string): CachedSlice[] {
    const object = this.#objects.get(key);
    if (object === undefined) return [];
    const slices = Array.from(object.slices.values());
    for (const slice of slices) this.#forget(slice);
    return slices;
  }

  /** Removes one slice (found corrupt or missing); a no-op when it was already replaced or removed. */
  removeSlice(slice: CachedSlice): void {
    if (this.#lru.get(slice.tierKey) === slice) this.#forget(slice);
  }

  /** Removes and returns the slices idle for the inactive time or longer. */
  expireIdle(): CachedSlice[] {
    const cutoff = this.#now() - this.#limits.inactiveMs;
    const expired: CachedSlice[] = [];
    // Use order is time order, so the idle slices are exactly the ones at the front.
    for (const oldest of this.#lru.values()) {
      if (oldest.lastUsed > cutoff) break;
      expired.push(oldest);
    }
    for (const slice of expired) this.#forget(slice);
    this.#expirations += expired.length;
    return expired;
  }

  /** Whether a slice last used at this time would already count as idle. */
  isIdle(lastUsed: number): boolean {
    return lastUsed <= this.#now() - this.#limits.inactiveMs;
  }

  #forget(slice: CachedSlice): void {
    this.#lru.delete(slice.tierKey);
    this.#bytes -= slice.size;
    const object = this.#objects.get(slice.key);
    if (object?.slices.get(slice.sliceNumber) !== slice) return;
    object.slices.delete(slice.sliceNumber);
    if (object.slices.size === 0) this.#objects.delete(slice.key);
  }
}
