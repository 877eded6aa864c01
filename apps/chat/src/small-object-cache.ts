import type { ObjectInfo } from '@stowage/core';

export interface CachedObject {
  readonly info: ObjectInfo;
  readonly bytes: Uint8Array;
  /** Response headers already computed for this object, by the serving options that shaped them. */
  readonly headers?: Map<string, Readonly<Record<string, string>>> | undefined;
}

/**
 * Keeps small objects in memory, least recently used dropped first. Upload and avatar keys are immutable (a new
 * file gets a new key), so an entry never goes stale; the app removes an entry when it deletes the object.
 */
export class SmallObjectCache {
  /** Objects up to this size are kept; larger ones are always streamed from the store. */
  readonly maxObjectBytes: number;
  readonly #maxTotalBytes: number;
  readonly #entries = new Map<string, CachedObject>();
  readonly #flights = new Map<string, Promise<CachedObject | undefined>>();
  #totalBytes = 0;
  #mostRecentKey: string | undefined;

  constructor(maxObjectBytes: number, maxTotalBytes: number) {
    this.maxObjectBytes = maxObjectBytes;
    this.#maxTotalBytes = maxTotalBytes;
  }

  get(key: string): CachedObject | undefined {
    const entry = this.#entries.get(key);
    if (entry !== undefined && key !== this.#mostRecentKey) {
      // Re-inserting moves the key to the end of the Map's order: the most recently used.
      this.#entries.delete(key);
      this.#entries.set(key, entry);
      this.#mostRecentKey = key;
    }
    return entry;
  }

  set(key: string, entry: CachedObject): void {
    if (entry.bytes.byteLength > this.maxObjectBytes || entry.bytes.byteLength > this.#maxTotalBytes) return;
    this.delete(key);
    this.#entries.set(key, entry);
    this.#mostRecentKey = key;
    this.#totalBytes += entry.bytes.byteLength;
    for (const [oldest, old] of this.#entries) {
      if (this.#totalBytes <= this.#maxTotalBytes) break;
      this.#entries.delete(oldest);
      this.#totalBytes -= old.bytes.byteLength;
    }
  }

  /** The read of `key` another request has started, if any. */
  flight(key: string): Promise<CachedObject | undefined> | undefined {
    return this.#flights.get(key);
  }

  /**
   * Marks `key` as being read; call the returned function exactly once with the entry (or `undefined` when the
   * object is too large or the read failed) to release the requests waiting for it.
   */
  startFlight(key: string): (entry: CachedObject | undefined) => void {
    let settle: (entry: CachedObject | undefined) => void = () => undefined;
    this.#flights.set(
      key,
      new Promise((resolve) => {
        settle = resolve;
      }),
    );
    return (entry) => {
      this.#flights.delete(key);
      settle(entry);
    };
  }

  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    if (key === this.#mostRecentKey) this.#mostRecentKey = undefined;
    this.#totalBytes -= entry.bytes.byteLength;
  }

  /** Bytes held now. */
  get totalBytes(): number {
    return this.#totalBytes;
  }
}
