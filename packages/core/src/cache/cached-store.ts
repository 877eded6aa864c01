import { bodyChunks } from '../body.ts';
import { portableSha256 } from '../checksum.ts';
import { StorageError, abortedError, isStorageError, throwIfAborted, unlessAborted } from '../errors.ts';
import { validateKey } from '../keys.ts';
import type {
  Body,
  GetOptions,
  GetResult,
  ListOptions,
  ObjectInfo,
  ObjectStore,
  ObjectSummary,
  PutOptions,
  SignedUrlOptions,
} from '../object-store.ts';
import { resolveRange } from '../range.ts';
import { CacheIndex } from './cache-index.ts';
import type { CachedSlice } from './cache-index.ts';
import { resolveCacheOptions } from './cache-options.ts';
import type { CacheOptions, ResolvedCacheOptions } from './cache-options.ts';
import { OriginFeed, isAbandoned } from './origin-feed.ts';
import type { Flight, SliceChunks } from './origin-feed.ts';
import { sliceDigest } from './slice-digest.ts';
import type { SliceDigest, SliceHasher } from './slice-digest.ts';
import {
  EARLIER_TIER_LAYOUT_PREFIX,
  TIER_LAYOUT_PREFIX,
  decodeSliceMetadata,
  encodeSliceMetadata,
  hashOriginKey,
  hashVersion,
  parseTierKey,
  tierKeyOf,
} from './tier-layout.ts';

/** What the cache has done since it was made. A "slice read" is one reader getting the bytes of one slice. */
export interface CacheStats {
  /** Slice reads served from the tier. */
  readonly hits: number;
  /** Slice reads served from bytes fetched from the origin (by this reader or one it shared a fetch with). */
  readonly misses: number;
  /** Origin GETs made: each covers a run of slices a reader needed and no other reader was fetching. */
  readonly originFetches: number;
  /** Slices fetched from the origin; single flight makes this one per slice however many readers want it. */
  readonly originSlices: number;
  /** Bytes received from the origin. */
  readonly originBytes: number;
  /** Slices dropped to stay within the entry or disk limit. */
  readonly evictions: number;
  /** Slices dropped for being idle for the inactive time. */
  readonly expirations: number;
  /** Cached slices whose size or checksum was wrong: discarded and fetched again, never served. */
  readonly discarded: number;
  /** Bytes of slices the tier holds now. */
  readonly bytesHeld: number;
  /** Slices the tier holds now. */
  readonly entriesHeld: number;
  /** The entry limit derived from `memoryCacheSize`. */
  readonly maxEntries: number;
  /** The disk limit, `diskCacheSize`. */
  readonly maxBytes: number;
}

/** An `ObjectStore` that reads through a cache tier; see `withCache`. */
export interface CachedStore extends ObjectStore {
  /** A snapshot of the counters. Never throws. */
  stats(): CacheStats;
  /**
   * Rebuilds the index from the tier (done once, on first use, by every operation that needs it); call it at start
   * to pay for it early. Never throws: a tier that cannot be listed leaves the cache empty.
   */
  ready(): Promise<void>;
  /** Resolves once slice writes and deletes running in the background have finished. Never throws. */
  drain(): Promise<void>;
}

/** Where one reader will get one slice from. */
type SliceSource = { readonly tier: CachedSlice } | { readonly flight: Flight };

/** A cached slice whose tier read was opened ahead of need. */
interface OpenedSlice {
  readonly slice: CachedSlice;
  readonly result: Promise<GetResult>;
}

/** Origin failures reach the caller as `StorageError`s; anything else means the origin could not answer. */
function fromOrigin(error: unknown, key: string): StorageError {
  if (isStorageError(error)) return error;
  return new StorageError('Unavailable', `the origin failed while reading "${key}"`, { key, cause: error });
}

function copyInfo(info: ObjectInfo): ObjectInfo {
  return { ...info, lastModified: new Date(info.lastModified.getTime()), metadata: { ...info.metadata } };
}

/** The parts of `chunks` (which start at byte `chunksStart` of the object) that lie in `[from, to)`. */
function bytesBetween(chunks: SliceChunks, chunksStart: number, from: number, to: number, copy: boolean): Uint8Array[] {
  const out: Uint8Array[] = [];
  let position = chunksStart;
  for (const chunk of chunks) {
    const chunkEnd = position + chunk.byteLength;
    if (chunkEnd > from && position < to) {
      const part = chunk.subarray(Math.max(0, from - position), Math.min(chunk.byteLength, to - position));
      // Not `part.slice()`: on a Node Buffer (what SDK streams yield) that is a view, not a copy.
      out.push(copy ? new Uint8Array(part) : part);
    }
    position = chunkEnd;
    if (position >= to) break;
  }
  return out;
}

async function* eachChunk(chunks: SliceChunks): AsyncGenerator<Uint8Array, void, undefined> {
  for (const chunk of chunks) yield chunk;
  await Promise.resolve();
}

/** What identifies one version of a tier object: any rewrite changes at least one of these. */
function tierVersionOf(info: ObjectInfo): string {
  return `${info.etag} ${info.size} ${info.lastModified.getTime()}`;
}

/** Read through a call so the check after an `await` is not narrowed away: an overwrite may have set it meanwhile. */
function cancelledMeanwhile(flight: Flight): boolean {
  return flight.cancelled;
}

const REBUILD_CONCURRENCY = 16;
/** Attempts at one slice before giving up: each failed attempt (corrupt tier copy, abandoned fetch) is rare. */
const SLICE_ATTEMPTS = 4;

/** Errors that mean the origin object was replaced during a read; `get` retries these once, before serving. */
const changedAtOrigin = new WeakSet<StorageError>();

/**
 * The read-through cache. A read plans each slice it needs: from the tier when the index holds it (checked against
 * its size and SHA-256 before any byte of it is served), from a fetch another reader already has in flight, or
 * else from one origin GET per run of such slices, opened before `get` resolves so a read sees one version. Slices
 * fetched are written to the tier in the background. Writes, deletes, copies and listings go to the origin, and
 * anything written through the cache drops its cached slices. Objects are taken as immutable by key: a cached
 * object is served without asking the origin.
 */
class ReadThroughCache implements CachedStore {
  readonly name: string;
  readonly #origin: ObjectStore;
  readonly #options: ResolvedCacheOptions;
  readonly #tier: ObjectStore;
  readonly #index: CacheIndex;
  readonly #digest: SliceDigest;
  /** Slices being fetched from the origin, by origin key and slice number. */
  readonly #flights = new Map<string, Map<number, Flight>>();
  /** Heads in progress, by origin key, so concurrent misses on one object ask the origin once. */
  readonly #infoFlights = new Map<string, Promise<ObjectInfo | undefined>>();
  /** The last tier operation per tier key: writes and deletes of one key run in order, never overlapping. */
  readonly #tierQueues = new Map<string, Promise<unknown>>();
  /** Slice writes that follow finished fetches, so `drain` can wait for them. */
  readonly #storing = new Set<Promise<void>>();
  readonly #keyHashes = new Map<string, string>();
  #loading: Promise<void> | undefined;
  #hits = 0;
  #misses = 0;
  #originFetches = 0;
  #originSlices = 0;
  #originBytes = 0;
  #discarded = 0;

  constructor(origin: ObjectStore, options: ResolvedCacheOptions) {
    this.#origin = origin;
    this.#options = options;
    this.#tier = options.tier;
    this.#index = new CacheIndex(options, options.now);
    this.#digest = sliceDigest(options.sha256);
    this.name = `cached(${origin.name})`;
  }

  stats(): CacheStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      originFetches: this.#originFetches,
      originSlices: this.#originSlices,
      originBytes: this.#originBytes,
      evictions: this.#index.evictions,
      expirations: this.#index.expirations,
      discarded: this.#discarded,
      bytesHeld: this.#index.bytes,
      entriesHeld: this.#index.entries,
      maxEntries: this.#options.maxEntries,
      maxBytes: this.#options.maxBytes,
    };
  }

  ready(): Promise<void> {
    this.#loading ??= this.#rebuild().catch(() => undefined);
    return this.#loading;
  }

  async drain(): Promise<void> {
    while (this.#storing.size > 0 || this.#tierQueues.size > 0) {
      await Promise.all([...this.#storing, ...this.#tierQueues.values()]);
    }
  }

  /**
   * Reads through the cache; see `ObjectStore.get`. The first slice is ready when this resolves. Also throws
   * `IntegrityError` (from the body) when the object changes at the origin, behind the cache, after its first
   * slice was served, and a slice the read needs can no longer be had in the version it started with.
   */
  async get(key: string, options: GetOptions = {}): Promise<GetResult> {
    validateKey(key);
    throwIfAborted(options.signal, key);
    await this.ready();
    try {
      return await this.#open(key, options);
    } catch (error) {
      if (!(error instanceof StorageError) || !changedAtOrigin.has(error)) throw error;
      // Replaced between the info and the first slice: the cache dropped the old version, so read the new one.
      return this.#open(key, options);
    }
  }

  async #open(key: string, options: GetOptions): Promise<GetResult> {
    const { signal } = options;
    this.#expireIdle();
    const info = this.#index.info(key) ?? (await unlessAborted(this.#originInfo(key), signal, key));
    const range = options.range === undefined ? undefined : resolveRange(options.range, info.size, key);
    const from = range?.start ?? 0;
    const to = range === undefined ? info.size : range.end + 1;
    const { sliceSize } = this.#options;
    const firstSlice = Math.floor(from / sliceSize);
    const lastSlice = to === 0 ? 0 : Math.floor((to - 1) / sliceSize);
    if (firstSlice === lastSlice && to > from) {
      const body = await this.#streamMatchedSlice(
        info,
        firstSlice,
        from - firstSlice * sliceSize,
        to - firstSlice * sliceSize,
        signal,
      );
      if (body !== undefined) return { ...copyInfo(info), body, range };
    }
    const feeds = new Set<OriginFeed>();
    const plan = this.#plan(info, firstSlice, lastSlice, feeds);
    // The next cached slice is opened while this one is read: a tier open costs about as much as reading megabytes.
    let opened: OpenedSlice | undefined;
    const dropOpened = (): void => {
      opened?.result.then((result) => result.body.cancel()).catch(() => undefined);
      opened = undefined;
    };
    const openAhead = (sliceNumber: number): void => {
      const source = plan.get(sliceNumber);
      if (sliceNumber > lastSlice || source === undefined || !('tier' in source)) return;
      const result = this.#tier.get(source.tier.tierKey, { signal });
      result.catch(() => undefined);
      opened = { slice: source.tier, result };
    };
    const release = (): void => {
      dropOpened();
      for (const feed of feeds) feed.release();
      feeds.clear();
    };
    let nextSlice = firstSlice;
    let queue: Uint8Array[] = [];
    // A whole slice that needs no hash streams from the tier as it is read, its size counted on the way.
    let streaming:
      | { readonly reader: ReadableStreamDefaultReader<Uint8Array>; readonly slice: CachedSlice; left: number }
      | undefined;
    const readNext = async (): Promise<void> => {
      const sliceNumber = nextSlice;
      nextSlice += 1;
      const ahead = opened;
      opened = undefined;
      openAhead(sliceNumber + 1);
      const sliceStart = sliceNumber * sliceSize;
      // The last slice of an object is shorter than the others.
      const whole = from <= sliceStart && Math.min(sliceStart + sliceSize, info.size) <= to;
      const read = await this.#readSlice(info, sliceNumber, plan, feeds, signal, ahead, whole);
      if (nextSlice > lastSlice) release();
      if ('stream' in read) {
        streaming = { reader: read.stream.getReader(), slice: read.slice, left: read.slice.size };
        return;
      }
      // Fetched bytes are shared with other readers and the tier write: copied, so no reader can change another's.
      queue = bytesBetween(read.chunks, sliceStart, from, to, read.shared);
    };
    const stopStreaming = (): void => {
      streaming?.reader.cancel().catch(() => undefined);
      streaming = undefined;
    };
    try {
      await readNext();
    } catch (error) {
      release();
      throw error;
    }
    const body = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          throwIfAborted(signal, key);
          for (;;) {
            if (streaming !== undefined) {
              const { done, value } = await streaming.reader.read();
              if (value !== undefined && value.byteLength > 0) {
                streaming.left -= value.byteLength;
                if (streaming.left < 0) throw this.#torn(streaming.slice);
                controller.enqueue(value);
                return;
              }
              if (done) {
                if (streaming.left !== 0) throw this.#torn(streaming.slice);
                streaming = undefined;
              }
              continue;
            }
            const chunk = queue.shift();
            if (chunk !== undefined) {
              controller.enqueue(chunk);
              return;
            }
            if (nextSlice > lastSlice) {
              controller.close();
              return;
            }
            await readNext();
          }
        } catch (error) {
          stopStreaming();
          release();
          throw error;
        }
      },
      cancel: () => {
        queue = [];
        nextSlice = lastSlice + 1;
        stopStreaming();
        release();
      },
    });
    return { ...copyInfo(info), body, range };
  }

  /** The cached info, else the origin's (one head for concurrent callers); see `ObjectStore.head`. */
  async head(key: string): Promise<ObjectInfo | undefined> {
    validateKey(key);
    await this.ready();
    this.#expireIdle();
    const cached = this.#index.info(key);
    if (cached !== undefined) return copyInfo(cached);
    try {
      return await this.#origin.head(key);
    } catch (error) {
      throw fromOrigin(error, key);
    }
  }

  /** Writes to the origin, then drops any cached slices of the key; see `ObjectStore.put`. */
  async put(key: string, body: Body, options?: PutOptions): Promise<ObjectInfo> {
    validateKey(key);
    await this.ready();
    try {
      return await this.#origin.put(key, body, options);
    } finally {
      // Also after a failed put: the origin may hold a new object even if the put reported an error.
      await this.#invalidate(key);
    }
  }

  /** See `ObjectStore.delete`; drops the key's cached slices. */
  async delete(key: string): Promise<void> {
    validateKey(key);
    await this.ready();
    try {
      await this.#origin.delete(key);
    } finally {
      await this.#invalidate(key);
    }
  }

  /** See `ObjectStore.deleteMany`; drops the cached slices of every key. */
  async deleteMany(keys: Iterable<string>): Promise<void> {
    const all = Array.from(keys);
    for (const key of all) validateKey(key);
    await this.ready();
    try {
      await this.#origin.deleteMany(all);
    } finally {
      await Promise.all(all.map((key) => this.#invalidate(key)));
    }
  }

  /** See `ObjectStore.copy`; drops the cached slices of the destination. */
  async copy(fromKey: string, toKey: string): Promise<ObjectInfo> {
    validateKey(fromKey);
    validateKey(toKey);
    await this.ready();
    try {
      return await this.#origin.copy(fromKey, toKey);
    } finally {
      await this.#invalidate(toKey);
    }
  }

  /** The origin's listing: the cache holds slices, not a complete picture of the namespace. */
  list(options?: ListOptions): AsyncIterable<ObjectSummary> {
    return this.#origin.list(options);
  }

  /** The origin's signed URL: it bypasses the cache. */
  signedUrl(key: string, options: SignedUrlOptions): Promise<string> {
    return this.#origin.signedUrl(key, options);
  }

  /** The origin's public URL: it bypasses the cache. */
  publicUrl(key: string): string {
    return this.#origin.publicUrl(key);
  }

  async #originInfo(key: string): Promise<ObjectInfo> {
    let flight = this.#infoFlights.get(key);
    if (flight === undefined) {
      const started = this.#origin.head(key).finally(() => {
        if (this.#infoFlights.get(key) === started) this.#infoFlights.delete(key);
      });
      flight = started;
      this.#infoFlights.set(key, flight);
    }
    let info: ObjectInfo | undefined;
    try {
      info = await flight;
    } catch (error) {
      throw fromOrigin(error, key);
    }
    if (info === undefined) throw new StorageError('NotFound', `no object "${key}" in ${this.#origin.name}`, { key });
    return info;
  }

  #sliceBytes(info: ObjectInfo, sliceNumber: number): number {
    const { sliceSize } = this.#options;
    return Math.max(0, Math.min(sliceSize, info.size - sliceNumber * sliceSize));
  }

  /**
   * Decides where each slice from `first` to `last` comes from, opening one origin GET for each run of slices that
   * are neither cached nor in flight. The feeds used are added to `feeds`, which the reader releases when done.
   */
  #plan(info: ObjectInfo, first: number, last: number, feeds: Set<OriginFeed>): Map<number, SliceSource> {
    const plan = new Map<number, SliceSource>();
    let runStart: number | undefined;
    const closeRun = (runEnd: number): void => {
      if (runStart === undefined) return;
      const feed = this.#openFeed(info, runStart, runEnd);
      feed.use();
      feeds.add(feed);
      for (const flight of feed.flights) plan.set(flight.sliceNumber, { flight });
      runStart = undefined;
    };
    for (let sliceNumber = first; sliceNumber <= last; sliceNumber++) {
      const cached = this.#index.slice(info.key, info.etag, sliceNumber);
      const flight = this.#flights.get(info.key)?.get(sliceNumber);
      if (cached === undefined && (flight === undefined || flight.etag !== info.etag)) {
        runStart ??= sliceNumber;
        continue;
      }
      closeRun(sliceNumber - 1);
      if (cached !== undefined) {
        plan.set(sliceNumber, { tier: cached });
      } else if (flight !== undefined) {
        if (!feeds.has(flight.feed)) {
          flight.feed.use();
          feeds.add(flight.feed);
        }
        plan.set(sliceNumber, { flight });
      }
    }
    closeRun(last);
    return plan;
  }

  /** Starts one origin GET for slices `first` to `last` and registers their flights. */
  #openFeed(info: ObjectInfo, first: number, last: number): OriginFeed {
    const { key, etag } = info;
    const { sliceSize } = this.#options;
    const start = first * sliceSize;
    const end = Math.min(info.size, (last + 1) * sliceSize) - 1;
    // A whole-object GET when the run is the whole object: an empty object satisfies no range.
    const range = start === 0 && end === info.size - 1 ? undefined : { start, end };
    this.#originFetches += 1;
    const feed = new OriginFeed({
      key,
      etag,
      firstSlice: first,
      lastSlice: last,
      sliceBytes: (sliceNumber) => this.#sliceBytes(info, sliceNumber),
      open: async () => {
        try {
          const result = await this.#origin.get(key, { range });
          if (result.etag !== etag || result.size !== info.size) {
            await result.body.cancel();
            await this.#invalidate(key);
            const changed = new StorageError(
              'IntegrityError',
              `"${key}" changed at the origin while it was being read; read it again`,
              { key },
            );
            changedAtOrigin.add(changed);
            throw changed;
          }
          return result.body.getReader();
        } catch (error) {
          if (isStorageError(error, 'NotFound')) await this.#invalidate(key);
          throw fromOrigin(error, key);
        }
      },
      onSlice: (flight, chunks) => {
        this.#originSlices += 1;
        this.#keepStoring(this.#store(info, flight, chunks));
      },
      onDropped: (flight) => {
        this.#forgetFlight(flight);
      },
      onBytes: (bytes) => {
        this.#originBytes += bytes;
      },
    });
    let flights = this.#flights.get(key);
    if (flights === undefined) {
      flights = new Map();
      this.#flights.set(key, flights);
    }
    for (const flight of feed.flights) flights.set(flight.sliceNumber, flight);
    return feed;
  }

  #forgetFlight(flight: Flight): void {
    const flights = this.#flights.get(flight.key);
    if (flights?.get(flight.sliceNumber) !== flight) return;
    flights.delete(flight.sliceNumber);
    if (flights.size === 0) this.#flights.delete(flight.key);
  }

  #keepStoring(storing: Promise<void>): void {
    const tracked = storing.finally(() => {
      this.#storing.delete(tracked);
    });
    this.#storing.add(tracked);
  }

  /**
   * The tier's own stream of bytes `from` to `to` (exclusive) of a cached slice, when nothing needs hashing: in
   * `on-change` mode, the tier reports the very version of the object that last matched, and its size. Saves a read
   * that fits one slice (most do) from being gathered and copied into a stream of the cache's own. `undefined` sends
   * the read the general way, which checks (and if need be discards) the slice.
   */
  async #streamMatchedSlice(
    info: ObjectInfo,
    sliceNumber: number,
    from: number,
    to: number,
    signal: AbortSignal | undefined,
  ): Promise<ReadableStream<Uint8Array> | undefined> {
    const slice = this.#index.slice(info.key, info.etag, sliceNumber);
    if (slice?.verifiedAs === undefined || this.#options.verify === 'every-hit') return undefined;
    const whole = from === 0 && to === slice.size;
    let result: GetResult;
    try {
      result = await this.#tier.get(
        slice.tierKey,
        whole ? { signal } : { signal, range: { start: from, end: to - 1 } },
      );
    } catch {
      if (signal?.aborted === true) throw abortedError(slice.key, signal.reason);
      return undefined;
    }
    if (!this.#stillMatches(slice, result)) {
      await result.body.cancel().catch(() => undefined);
      return undefined;
    }
    this.#hits += 1;
    this.#index.touch(slice);
    return result.body;
  }

  /**
   * Whether the tier object is the very version of the slice that last matched its SHA-256, at its size, so in
   * `on-change` mode it is served without hashing.
   */
  #stillMatches(slice: CachedSlice, result: ObjectInfo): boolean {
    return (
      this.#options.verify === 'on-change' && result.size === slice.size && tierVersionOf(result) === slice.verifiedAs
    );
  }

  /**
   * A streamed slice that gave other than its size: dropped from the cache, and the read fails (its earlier bytes
   * have been handed out already, so fetching again cannot mend it).
   */
  #torn(slice: CachedSlice): StorageError {
    this.#discarded += 1;
    this.#index.removeSlice(slice);
    this.#deleteFromTier([slice]);
    return new StorageError('IntegrityError', `cached slice of "${slice.key}" changed size while it was read`, {
      key: slice.key,
    });
  }

  /** One slice's bytes, verified, from where the plan says; re-planned when that source fails. */
  async #readSlice(
    info: ObjectInfo,
    sliceNumber: number,
    plan: Map<number, SliceSource>,
    feeds: Set<OriginFeed>,
    signal: AbortSignal | undefined,
    opened: OpenedSlice | undefined,
    streamable: boolean,
  ): Promise<
    | { readonly chunks: SliceChunks; readonly shared: boolean }
    | { readonly stream: ReadableStream<Uint8Array>; readonly slice: CachedSlice }
  > {
    let unused = opened;
    for (let attempt = 0; attempt < SLICE_ATTEMPTS; attempt++) {
      const source = plan.get(sliceNumber);
      if (source === undefined || attempt > 0) {
        // A fresh plan for this slice alone: it is now cached, in flight, or fetched by a GET of its own.
        this.#expireIdle();
        const fresh = this.#plan(info, sliceNumber, sliceNumber, feeds).get(sliceNumber);
        if (fresh === undefined) break;
        plan.set(sliceNumber, fresh);
      }
      const current = plan.get(sliceNumber);
      if (current === undefined) break;
      if ('tier' in current) {
        const ready = unused?.slice === current.tier ? unused.result : undefined;
        unused = undefined;
        const read = await this.#readFromTier(current.tier, signal, ready, streamable);
        if (read !== undefined) {
          this.#hits += 1;
          this.#index.touch(current.tier);
          return read instanceof ReadableStream
            ? { stream: read, slice: current.tier }
            : { chunks: read, shared: false };
        }
        continue;
      }
      const { flight } = current;
      // Taken before driving: once the slice reaches the tier, `flight.data` stops holding the bytes.
      const data = flight.data;
      void flight.feed.drive(sliceNumber);
      let chunks: SliceChunks | undefined;
      try {
        chunks = await unlessAborted(data, signal, info.key);
      } catch (error) {
        if (isAbandoned(error)) continue;
        throw error;
      }
      if (chunks === undefined) continue;
      this.#misses += 1;
      return { chunks, shared: true };
    }
    unused?.result.then((result) => result.body.cancel()).catch(() => undefined);
    throw new StorageError(
      'Unavailable',
      `could not read slice ${sliceNumber} of "${info.key}" after ${SLICE_ATTEMPTS} attempts`,
      {
        key: info.key,
      },
    );
  }

  /**
   * The slice's bytes from the tier once their size and SHA-256 match the index, or `undefined` (after dropping the
   * slice) when they do not or the tier cannot read it. Throws only `Aborted`.
   */
  async #readFromTier(
    slice: CachedSlice,
    signal: AbortSignal | undefined,
    opened: Promise<GetResult> | undefined,
    streamable: boolean,
  ): Promise<SliceChunks | ReadableStream<Uint8Array> | undefined> {
    const chunks: Uint8Array[] = [];
    let size = 0;
    let tierVersion: string | undefined;
    let hasher: SliceHasher | undefined;
    try {
      const result = await (opened ?? this.#tier.get(slice.tierKey, { signal }));
      tierVersion = tierVersionOf(result);
      const matches = this.#stillMatches(slice, result);
      // Nothing to hash: the reader gets the tier's stream, the size counted as it passes.
      if (matches && streamable) return result.body;
      if (!matches) hasher = this.#digest();
      if (result.size !== slice.size) {
        await result.body.cancel();
      } else {
        for await (const chunk of bodyChunks(result.body)) {
          size += chunk.byteLength;
          if (size > slice.size) break;
          hasher?.update(chunk);
          chunks.push(chunk);
        }
      }
    } catch {
      if (signal?.aborted === true) throw abortedError(slice.key, signal.reason);
      // The tier lost it or cannot read it: forget it (nothing to discard), so the reader fetches it again.
      this.#index.removeSlice(slice);
      return undefined;
    }
    if (size === slice.size) {
      // No hasher: `on-change` and this tier version already matched; the size was checked above.
      if (hasher === undefined) return chunks;
      if ((await hasher.finish()) === slice.sha256) {
        slice.verifiedAs = tierVersion;
        return chunks;
      }
    }
    this.#discarded += 1;
    this.#index.removeSlice(slice);
    this.#deleteFromTier([slice]);
    return undefined;
  }

  /** Writes a fetched slice to the tier and indexes it; failures only mean the slice stays uncached. */
  async #store(info: ObjectInfo, flight: Flight, chunks: SliceChunks): Promise<void> {
    const release = (): void => {
      // Later readers read the tier (or fetch again); the bytes stay only with readers already holding them.
      flight.data = Promise.resolve(undefined);
      this.#forgetFlight(flight);
    };
    const size = chunks.reduce((total, chunk) => total + chunk.byteLength, 0);
    if (flight.cancelled || !this.#index.fits(size)) {
      release();
      return;
    }
    try {
      const hasher = this.#digest();
      for (const chunk of chunks) hasher.update(chunk);
      const sha256 = await hasher.finish();
      const sha = this.#options.sha256 ?? portableSha256;
      const tierKey = tierKeyOf({
        keyHash: this.#keyHash(info.key),
        versionHash: hashVersion(info.etag, sha),
        sliceNumber: flight.sliceNumber,
      });
      const metadata = encodeSliceMetadata({ info, sliceSize: this.#options.sliceSize, sha256 });
      const written = await this.#onTier(tierKey, () =>
        this.#tier.put(tierKey, eachChunk(chunks), { metadata, sha256, size, contentType: 'application/octet-stream' }),
      );
      // The tier checked the bytes it received against `sha256`, so this version of its object starts verified.
      const verifiedAs = tierVersionOf(written);
      if (cancelledMeanwhile(flight)) this.#deleteFromTier([{ tierKey }]);
      else
        this.#deleteFromTier(
          this.#index.add(info, { sliceNumber: flight.sliceNumber, tierKey, size, sha256, verifiedAs }),
        );
    } catch {
      // Not cached; readers fetch it again.
    } finally {
      release();
    }
  }

  /** Drops every cached slice of the key and keeps bytes still in flight out of the tier. */
  async #invalidate(key: string): Promise<void> {
    const flights = this.#flights.get(key);
    if (flights !== undefined) {
      for (const flight of flights.values()) flight.cancelled = true;
      this.#flights.delete(key);
    }
    this.#infoFlights.delete(key);
    const removed = this.#index.remove(key);
    await Promise.all(
      removed.map((slice) =>
        this.#onTier(slice.tierKey, () => this.#tier.delete(slice.tierKey)).catch(() => undefined),
      ),
    );
  }

  #expireIdle(): void {
    this.#deleteFromTier(this.#index.expireIdle());
  }

  /** Deletes tier objects in the background; one that stays behind is found again, and dropped, on rebuild. */
  #deleteFromTier(slices: readonly { readonly tierKey: string }[]): void {
    for (const { tierKey } of slices) {
      this.#onTier(tierKey, () => this.#tier.delete(tierKey)).catch(() => undefined);
    }
  }

  /** Runs `operation` after every earlier tier operation on the same tier key has settled. */
  #onTier<T>(tierKey: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.#tierQueues.get(tierKey) ?? Promise.resolve();
    const run = previous.then(operation);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.#tierQueues.set(tierKey, settled);
    void settled.then(() => {
      if (this.#tierQueues.get(tierKey) === settled) this.#tierQueues.delete(tierKey);
    });
    return run;
  }

  #keyHash(key: string): string {
    let keyHash = this.#keyHashes.get(key);
    if (keyHash === undefined) {
      keyHash = hashOriginKey(key, this.#options.sha256 ?? portableSha256);
      // Bounded like the index itself; the hash is cheap to compute again.
      if (this.#keyHashes.size >= this.#options.maxEntries) this.#keyHashes.clear();
      this.#keyHashes.set(key, keyHash);
    }
    return keyHash;
  }

  /**
   * Rebuilds the index from the tier: every slice under the layout prefix whose metadata is intact, whose key
   * matches its origin key and version and whose size fits its place is indexed, oldest first, so the limits keep
   * the newest. A slice's tier `lastModified` stands for its last use, since reads are not recorded in the tier.
   * Everything else under the prefix is deleted, and so is everything under the earlier layout's prefix.
   */
  async #rebuild(): Promise<void> {
    type Found = {
      readonly info: ObjectInfo;
      readonly slice: Omit<CachedSlice, 'lastUsed' | 'key' | 'etag'>;
      readonly lastUsed: number;
    };
    const found: Found[] = [];
    const unusable: { readonly tierKey: string }[] = [];
    const sha = this.#options.sha256 ?? portableSha256;
    const examine = async (tierKey: string): Promise<void> => {
      const parsed = parseTierKey(tierKey);
      if (parsed === undefined) {
        unusable.push({ tierKey });
        return;
      }
      const head = await this.#tier.head(tierKey);
      if (head === undefined) return;
      const description = decodeSliceMetadata(head.metadata);
      if (description === undefined || description.sliceSize !== this.#options.sliceSize) {
        unusable.push({ tierKey });
        return;
      }
      const { info, sha256 } = description;
      // Slice 0 exists even for an empty object; every other slice must start inside the object.
      const inPlace = parsed.sliceNumber === 0 || parsed.sliceNumber * this.#options.sliceSize < info.size;
      const named = this.#keyHash(info.key) === parsed.keyHash && hashVersion(info.etag, sha) === parsed.versionHash;
      if (!inPlace || !named || head.size !== this.#sliceBytes(info, parsed.sliceNumber)) {
        unusable.push({ tierKey });
        return;
      }
      found.push({
        info,
        slice: { sliceNumber: parsed.sliceNumber, tierKey, size: head.size, sha256 },
        lastUsed: head.lastModified.getTime(),
      });
    };
    let batch: Promise<void>[] = [];
    for await (const summary of this.#tier.list({ prefix: TIER_LAYOUT_PREFIX })) {
      batch.push(examine(summary.key).catch(() => undefined));
      if (batch.length >= REBUILD_CONCURRENCY) {
        await Promise.all(batch);
        batch = [];
      }
    }
    await Promise.all(batch);
    // The earlier layout's slices would only take up room: this cache never reads them.
    for await (const summary of this.#tier.list({ prefix: EARLIER_TIER_LAYOUT_PREFIX }))
      unusable.push({ tierKey: summary.key });
    found.sort((a, b) => a.lastUsed - b.lastUsed);
    for (const { info, slice, lastUsed } of found) {
      if (this.#index.isIdle(lastUsed) || !this.#index.fits(slice.size)) {
        unusable.push(slice);
        continue;
      }
      unusable.push(...this.#index.add(info, slice, lastUsed));
    }
    this.#deleteFromTier(unusable);
  }
}

/**
 * Puts a read-through cache in front of `origin`: reads are served from `options.tier` when it holds the object
 * and filled from the origin when it does not, in slices, within Zulip's nginx limits (entries, disk bytes, idle
 * time). Writes, deletes, copies and listings go to the origin and drop the affected cached slices. With the
 * origin down, cached objects are still served and uncached ones fail with `Unavailable`.
 * Throws `InvalidSettings` for an option that is not a positive integer.
 */
export function withCache(origin: ObjectStore, options: CacheOptions): CachedStore {
  return new ReadThroughCache(origin, resolveCacheOptions(options));
}
