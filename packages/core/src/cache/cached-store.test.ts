import { describe, expect, it } from 'vitest';
import { collectBytes } from '../body.ts';
import { StorageError } from '../errors.ts';
import { MemoryStore } from '../memory-store.ts';
import { nodeSha256 } from '../node/sha256.ts';
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
import { CACHE_INDEX_BYTES_PER_ENTRY } from './cache-options.ts';
import type { CacheOptions } from './cache-options.ts';
import { withCache } from './cached-store.ts';
import type { CachedStore } from './cached-store.ts';
import { TIER_LAYOUT_PREFIX } from './tier-layout.ts';

/**
 * An origin that records every read it serves and can be taken down or made to fail its next reads, as a remote
 * bucket would.
 */
class WatchedOrigin implements ObjectStore {
  readonly name = 'watched';
  // The native hash only speeds up the test's own stores; the cache under test uses its default digest.
  readonly inner = new MemoryStore({ name: 'origin', sha256: nodeSha256 });
  /** The byte range of every get, `whole` for an unranged one. */
  readonly gets: string[] = [];
  heads = 0;
  down = false;
  /** Yield Node Buffers, as SDK streams do: their `slice` is a view, a trap for code that means to copy. */
  asBuffers = false;
  failNextGets = 0;

  #check(key: string): void {
    if (this.down) throw new StorageError('Unavailable', `origin down (reading "${key}")`, { key });
  }

  async put(key: string, body: Body, options?: PutOptions): Promise<ObjectInfo> {
    this.#check(key);
    return this.inner.put(key, body, options);
  }

  async get(key: string, options?: GetOptions): Promise<GetResult> {
    this.#check(key);
    const range = options?.range;
    this.gets.push(range === undefined ? `${key} whole` : `${key} ${JSON.stringify(range)}`);
    if (this.failNextGets > 0) {
      this.failNextGets -= 1;
      throw new StorageError('Unavailable', 'injected failure', { key });
    }
    const result = await this.inner.get(key, options);
    if (!this.asBuffers) return result;
    const toBuffers = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        controller.enqueue(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      },
    });
    return { ...result, body: result.body.pipeThrough(toBuffers) };
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    this.#check(key);
    this.heads += 1;
    return this.inner.head(key);
  }

  async delete(key: string): Promise<void> {
    this.#check(key);
    return this.inner.delete(key);
  }

  async deleteMany(keys: Iterable<string>): Promise<void> {
    this.#check('');
    return this.inner.deleteMany(keys);
  }

  async copy(fromKey: string, toKey: string): Promise<ObjectInfo> {
    this.#check(fromKey);
    return this.inner.copy(fromKey, toKey);
  }

  list(options?: ListOptions): AsyncIterable<ObjectSummary> {
    return this.inner.list(options);
  }

  signedUrl(key: string, options: SignedUrlOptions): Promise<string> {
    return this.inner.signedUrl(key, options);
  }

  publicUrl(key: string): string {
    return this.inner.publicUrl(key);
  }
}

/** A tier whose reads flip one bit while its etag, size and time stay the same: bit rot under a file system. */
class RottingStore extends MemoryStore {
  rot = false;

  override async get(key: string, options?: GetOptions): Promise<GetResult> {
    const result = await super.get(key, options);
    if (!this.rot) return result;
    const bytes = await collectBytes(result.body);
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    });
    return { ...result, body };
  }
}

/** Bytes that differ at every position within a period longer than any slice used here. */
function patterned(size: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(size);
  let state = seed;
  for (let i = 0; i < size; i++) {
    state = (state * 1_103_515_245 + 12_345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

function sameBytes(actual: Uint8Array, expected: Uint8Array): boolean {
  if (actual.byteLength !== expected.byteLength) return false;
  for (let i = 0; i < actual.byteLength; i++) if (actual[i] !== expected[i]) return false;
  return true;
}

interface Setup {
  readonly origin: WatchedOrigin;
  readonly tier: MemoryStore;
  readonly cache: CachedStore;
  readonly clock: { now: number };
}

function setup(
  options: Omit<Partial<CacheOptions>, 'tier'> = {},
  tier = new MemoryStore({ name: 'tier', sha256: nodeSha256 }),
): Setup {
  const origin = new WatchedOrigin();
  const clock = { now: Date.UTC(2026, 0, 1) };
  const cache = withCache(origin, { tier, sliceSize: 1000, now: () => clock.now, ...options });
  return { origin, tier, cache, clock };
}

async function read(cache: ObjectStore, key: string, options?: GetOptions): Promise<Uint8Array> {
  const result = await cache.get(key, options);
  return collectBytes(result.body);
}

async function tierKeys(tier: ObjectStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const summary of tier.list()) keys.push(summary.key);
  return keys;
}

describe('withCache: reading through', () => {
  it('fills on the first read and serves the second from the tier with the origin info', async () => {
    const { origin, cache } = setup();
    const bytes = patterned(2_500);
    const stored = await origin.put('2/ab/report.pdf', bytes, {
      metadata: { owner: '7' },
      cacheControl: 'private, immutable',
    });

    const first = await cache.get('2/ab/report.pdf');
    expect(sameBytes(await collectBytes(first.body), bytes)).toBe(true);
    await cache.drain();
    expect(origin.gets).toEqual(['2/ab/report.pdf whole']);
    expect(cache.stats()).toMatchObject({
      misses: 3,
      hits: 0,
      originSlices: 3,
      originBytes: 2_500,
      entriesHeld: 3,
      bytesHeld: 2_500,
    });

    const second = await cache.get('2/ab/report.pdf');
    expect(sameBytes(await collectBytes(second.body), bytes)).toBe(true);
    expect(origin.gets).toHaveLength(1);
    expect(cache.stats()).toMatchObject({ misses: 3, hits: 3, originFetches: 1, originBytes: 2_500 });
    for (const result of [first, second]) {
      expect(result).toMatchObject({
        key: '2/ab/report.pdf',
        size: 2_500,
        etag: stored.etag,
        sha256: stored.sha256,
        contentType: 'application/pdf',
        cacheControl: 'private, immutable',
        metadata: { owner: '7' },
      });
    }
    expect(await cache.head('2/ab/report.pdf')).toMatchObject({ etag: stored.etag, size: 2_500 });
  });

  it('fetches only the slices a range needs, with one ranged GET, across slice boundaries', async () => {
    const { origin, cache } = setup();
    const bytes = patterned(9_500);
    await origin.put('video.mp4', bytes);

    const spanning = await cache.get('video.mp4', { range: { start: 1_500, end: 3_499 } });
    expect(spanning.range).toEqual({ start: 1_500, end: 3_499 });
    expect(spanning.size).toBe(9_500);
    expect(sameBytes(await collectBytes(spanning.body), bytes.subarray(1_500, 3_500))).toBe(true);
    expect(origin.gets).toEqual(['video.mp4 {"start":1000,"end":3999}']);
    expect(cache.stats()).toMatchObject({ originSlices: 3, originBytes: 3_000 });
    await cache.drain();

    expect(
      sameBytes(await read(cache, 'video.mp4', { range: { start: 1_999, end: 2_000 } }), bytes.subarray(1_999, 2_001)),
    ).toBe(true);
    expect(origin.gets).toHaveLength(1);

    expect(sameBytes(await read(cache, 'video.mp4', { range: { suffix: 600 } }), bytes.subarray(8_900))).toBe(true);
    expect(origin.gets.slice(1)).toEqual(['video.mp4 {"start":8000,"end":9499}']);
    await cache.drain();

    // Slices 0, 4 to 7 are missing around the cached 1 to 3 and 8 to 9: one GET per missing run.
    expect(sameBytes(await read(cache, 'video.mp4'), bytes)).toBe(true);
    expect(origin.gets.slice(2)).toEqual(['video.mp4 {"start":0,"end":999}', 'video.mp4 {"start":4000,"end":7999}']);
    await cache.drain();
    expect(cache.stats()).toMatchObject({ originSlices: 10, originBytes: 9_500, entriesHeld: 10 });

    expect(
      sameBytes(await read(cache, 'video.mp4', { range: { start: 9_400, end: 100_000 } }), bytes.subarray(9_400)),
    ).toBe(true);
    expect(sameBytes(await read(cache, 'video.mp4', { range: { start: 3_000 } }), bytes.subarray(3_000))).toBe(true);
    await expect(cache.get('video.mp4', { range: { start: 9_500 } })).rejects.toMatchObject({ code: 'InvalidRange' });
  });

  it('streams slice by slice: reading the first chunk of a large object fetches one slice', async () => {
    const { origin, cache } = setup({ sliceSize: 1024 * 1024 });
    await origin.put('big.bin', patterned(8 * 1024 * 1024));
    const result = await cache.get('big.bin');
    const reader = result.body.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    expect(cache.stats()).toMatchObject({ originSlices: 1, originBytes: 1024 * 1024 });
    await reader.cancel();
    await cache.drain();
    expect(cache.stats()).toMatchObject({ originSlices: 1, originBytes: 1024 * 1024, entriesHeld: 1 });
    expect(origin.gets).toHaveLength(1);
  });

  it('caches empty objects and objects of exactly one slice', async () => {
    const { origin, cache } = setup();
    await origin.put('empty.txt', new Uint8Array(0));
    await origin.put('one.bin', patterned(1_000));
    for (let round = 0; round < 2; round++) {
      expect((await read(cache, 'empty.txt')).byteLength).toBe(0);
      expect(sameBytes(await read(cache, 'one.bin'), patterned(1_000))).toBe(true);
      await cache.drain();
    }
    expect(origin.gets).toEqual(['empty.txt whole', 'one.bin whole']);
    expect(cache.stats()).toMatchObject({ entriesHeld: 2, bytesHeld: 1_000, hits: 2 });
  });

  it('rejects a missing object with NotFound and a bad key with InvalidKey, caching neither', async () => {
    const { cache, tier } = setup();
    await expect(cache.get('missing.txt')).rejects.toMatchObject({ code: 'NotFound', key: 'missing.txt' });
    await expect(cache.get('../etc/passwd')).rejects.toMatchObject({ code: 'InvalidKey' });
    await expect(cache.head('a//b')).rejects.toMatchObject({ code: 'InvalidKey' });
    expect(await cache.head('missing.txt')).toBeUndefined();
    expect(await tierKeys(tier)).toEqual([]);
  });

  it('is not affected when readers write into the chunks they were given', async () => {
    const { origin, cache } = setup();
    origin.asBuffers = true;
    const bytes = patterned(2_500);
    await origin.put('a.bin', bytes);
    const [first, second] = await Promise.all([cache.get('a.bin'), cache.get('a.bin')]);
    for await (const chunk of first.body) chunk.fill(0);
    expect(sameBytes(await collectBytes(second.body), bytes)).toBe(true);
    expect(sameBytes(await read(cache, 'a.bin'), bytes)).toBe(true);
    await cache.drain();
    const fromTier = await cache.get('a.bin');
    for await (const chunk of fromTier.body) chunk.fill(0);
    expect(sameBytes(await read(cache, 'a.bin'), bytes)).toBe(true);
    expect(cache.stats()).toMatchObject({ discarded: 0, originSlices: 3 });
  });

  it('honours an abort signal', async () => {
    const { origin, cache } = setup();
    await origin.put('a.bin', patterned(3_000));
    const controller = new AbortController();
    controller.abort();
    await expect(cache.get('a.bin', { signal: controller.signal })).rejects.toMatchObject({ code: 'Aborted' });

    const later = new AbortController();
    const result = await cache.get('a.bin', { signal: later.signal });
    const reader = result.body.getReader();
    await reader.read();
    later.abort();
    await expect(reader.read()).rejects.toMatchObject({ code: 'Aborted' });
  });
});

describe('withCache: single flight', () => {
  it('serves 50 concurrent readers of a 40 MiB object with exactly one origin read per slice', async () => {
    const { origin, cache } = setup({ sliceSize: 5 * 1024 * 1024 });
    const size = 40 * 1024 * 1024;
    const bytes = patterned(size);
    await origin.put('talk.mp4', bytes);

    const readers = Array.from({ length: 50 }, async () => {
      const result = await cache.get('talk.mp4');
      let position = 0;
      let intact = true;
      for await (const chunk of result.body) {
        // Spot checks keep 2 GB of comparisons out of the test; the full comparison is done once below.
        intact &&= chunk[0] === bytes[position] && chunk.at(-1) === bytes[position + chunk.byteLength - 1];
        position += chunk.byteLength;
      }
      return { position, intact };
    });
    for (const outcome of await Promise.all(readers)) expect(outcome).toEqual({ position: size, intact: true });

    expect(origin.heads).toBe(1);
    expect(origin.gets).toEqual(['talk.mp4 whole']);
    const stats = cache.stats();
    expect(stats.originSlices).toBe(8);
    expect(stats.originBytes).toBe(size);
    expect(stats.hits + stats.misses).toBe(50 * 8);
    await cache.drain();
    expect(sameBytes(await read(cache, 'talk.mp4'), bytes)).toBe(true);
    expect(origin.gets).toHaveLength(1);
    expect(cache.stats().hits).toBe(stats.hits + 8);
  }, 120_000);

  it('does not let a failed flight poison later reads', async () => {
    const { origin, cache } = setup();
    await origin.put('a.bin', patterned(1_000));
    origin.failNextGets = 1;
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => read(cache, 'a.bin')));
    expect(outcomes.every((outcome) => outcome.status === 'rejected')).toBe(true);
    expect(origin.gets).toHaveLength(1);
    await cache.drain();

    expect(sameBytes(await read(cache, 'a.bin'), patterned(1_000))).toBe(true);
    expect(origin.gets).toHaveLength(2);
    await cache.drain();
    expect(cache.stats().entriesHeld).toBe(1);
  });
});

describe('withCache: validation of cached slices', () => {
  it('discards a slice whose checksum does not match and fetches it again, never serving it', async () => {
    const { origin, cache, tier } = setup();
    const bytes = patterned(2_000);
    await origin.put('a.bin', bytes);
    await read(cache, 'a.bin');
    await cache.drain();
    const [victim] = await tierKeys(tier);
    if (victim === undefined) throw new Error('nothing cached');
    const original = await tier.get(victim);
    const damaged = await collectBytes(original.body);
    damaged[10] = (damaged[10] ?? 0) ^ 0xff;
    // Same size, same metadata: only the checksum can tell.
    await tier.put(victim, damaged, { metadata: original.metadata });

    expect(sameBytes(await read(cache, 'a.bin'), bytes)).toBe(true);
    expect(cache.stats()).toMatchObject({ discarded: 1, hits: 1, originSlices: 3 });
    // Only the damaged slice is fetched again.
    expect(origin.gets).toHaveLength(2);
    expect(origin.gets[1]).toMatch(/^a\.bin \{"start":(0,"end":999|1000,"end":1999)\}$/u);
    await cache.drain();
    expect(sameBytes(await read(cache, 'a.bin'), bytes)).toBe(true);
    expect(origin.gets).toHaveLength(2);
    expect(cache.stats().discarded).toBe(1);
  });

  it('in every-hit mode, catches bytes that rot in the tier without any change the tier reports', async () => {
    const tier = new RottingStore({ name: 'tier', sha256: nodeSha256 });
    const { origin, cache } = setup({ verify: 'every-hit' }, tier);
    await origin.put('a.bin', patterned(1_000));
    await read(cache, 'a.bin');
    await cache.drain();
    tier.rot = true;
    expect(sameBytes(await read(cache, 'a.bin'), patterned(1_000))).toBe(true);
    expect(cache.stats()).toMatchObject({ discarded: 1, hits: 0 });
  });

  it('by default, hashes a slice on its first hit in a process: a restarted cache catches bytes that rotted unseen', async () => {
    const tier = new RottingStore({ name: 'tier', sha256: nodeSha256 });
    const { origin, cache } = setup({}, tier);
    await origin.put('a.bin', patterned(1_000));
    await read(cache, 'a.bin');
    await cache.drain();
    tier.rot = true;
    // This process wrote the slice and saw it match: the rot that changed nothing the tier reports goes unseen.
    expect(sameBytes(await read(cache, 'a.bin'), patterned(1_000))).toBe(false);
    const restarted = withCache(origin, { tier, sliceSize: 1000 });
    expect(sameBytes(await read(restarted, 'a.bin'), patterned(1_000))).toBe(true);
    expect(restarted.stats()).toMatchObject({ discarded: 1, hits: 0 });
  });

  it('in on-change mode, checks a slice again once the tier object changed, and its size always', async () => {
    const { origin, cache, tier } = setup({ verify: 'on-change' });
    const bytes = patterned(1_000);
    await origin.put('a.bin', bytes);
    await read(cache, 'a.bin');
    await cache.drain();
    expect(sameBytes(await read(cache, 'a.bin'), bytes)).toBe(true);
    expect(cache.stats()).toMatchObject({ hits: 1, discarded: 0 });

    const [victim] = await tierKeys(tier);
    if (victim === undefined) throw new Error('nothing cached');
    const original = await tier.get(victim);
    const damaged = await collectBytes(original.body);
    damaged[0] = (damaged[0] ?? 0) ^ 0xff;
    await tier.put(victim, damaged, { metadata: original.metadata });
    expect(sameBytes(await read(cache, 'a.bin'), bytes)).toBe(true);
    expect(cache.stats()).toMatchObject({ discarded: 1 });
    await cache.drain();

    const [refilled] = await tierKeys(tier);
    if (refilled === undefined) throw new Error('nothing cached');
    const again = await tier.get(refilled);
    await tier.put(refilled, (await collectBytes(again.body)).subarray(1), { metadata: again.metadata });
    expect(sameBytes(await read(cache, 'a.bin'), bytes)).toBe(true);
    expect(cache.stats()).toMatchObject({ discarded: 2 });
  });

  it('discards a truncated slice', async () => {
    const { origin, cache, tier } = setup();
    const bytes = patterned(1_000);
    await origin.put('a.bin', bytes);
    await read(cache, 'a.bin');
    await cache.drain();
    const [victim] = await tierKeys(tier);
    if (victim === undefined) throw new Error('nothing cached');
    const original = await tier.get(victim);
    await tier.put(victim, (await collectBytes(original.body)).subarray(0, 999), { metadata: original.metadata });

    expect(sameBytes(await read(cache, 'a.bin'), bytes)).toBe(true);
    expect(cache.stats().discarded).toBe(1);
    expect(origin.gets).toHaveLength(2);
  });

  it('fetches again a slice that vanished from the tier', async () => {
    const { origin, cache, tier } = setup();
    await origin.put('a.bin', patterned(1_000));
    await read(cache, 'a.bin');
    await cache.drain();
    await tier.deleteMany(await tierKeys(tier));
    expect(sameBytes(await read(cache, 'a.bin'), patterned(1_000))).toBe(true);
    expect(origin.gets).toHaveLength(2);
  });
});

describe('withCache: writes through the cache invalidate', () => {
  it('serves the new bytes after an overwrite, a copy onto the key, and nothing after a delete', async () => {
    const { origin, cache, tier } = setup();
    await cache.put('a.txt', 'first version');
    await cache.put('b.txt', 'copied over');
    expect(new TextDecoder().decode(await read(cache, 'a.txt'))).toBe('first version');
    await cache.drain();

    await cache.put('a.txt', 'second version');
    expect(new TextDecoder().decode(await read(cache, 'a.txt'))).toBe('second version');
    await cache.drain();

    await cache.copy('b.txt', 'a.txt');
    expect(new TextDecoder().decode(await read(cache, 'a.txt'))).toBe('copied over');
    await cache.drain();

    await cache.delete('a.txt');
    await expect(cache.get('a.txt')).rejects.toMatchObject({ code: 'NotFound' });
    expect(await cache.head('a.txt')).toBeUndefined();

    await read(cache, 'b.txt');
    await cache.drain();
    await cache.deleteMany(['b.txt']);
    await expect(cache.get('b.txt')).rejects.toMatchObject({ code: 'NotFound' });
    await cache.drain();
    expect(await tierKeys(tier)).toEqual([]);
    expect(cache.stats()).toMatchObject({ entriesHeld: 0, bytesHeld: 0 });
    expect(origin.gets.filter((get) => get.startsWith('a.txt'))).toHaveLength(3);
  });

  it('does not cache bytes fetched before an overwrite that finished while they were in flight', async () => {
    const { origin, cache } = setup();
    await origin.put('a.txt', 'old');
    const reading = read(cache, 'a.txt');
    await cache.put('a.txt', 'new');
    await reading;
    await cache.drain();
    expect(new TextDecoder().decode(await read(cache, 'a.txt'))).toBe('new');
  });

  it('reads the new version when the object is replaced between its info and its first slice', async () => {
    const { origin, cache } = setup();
    await origin.put('a.txt', 'old');
    const reading = read(cache, 'a.txt');
    await cache.put('a.txt', 'new');
    expect(new TextDecoder().decode(await reading)).toBe('new');
    expect(origin.heads).toBe(2);
  });

  it('fails a read with IntegrityError when the origin object changed behind the cache mid-read', async () => {
    const { origin, cache } = setup();
    await origin.put('a.bin', patterned(3_000));
    await read(cache, 'a.bin', { range: { start: 0, end: 10 } });
    await cache.drain();
    // Written to the origin directly, so the cache still holds slice 0 of the old version.
    await origin.inner.put('a.bin', patterned(3_000, 2));
    await expect(read(cache, 'a.bin')).rejects.toMatchObject({ code: 'IntegrityError', key: 'a.bin' });
    expect(sameBytes(await read(cache, 'a.bin'), patterned(3_000, 2))).toBe(true);
  });

  it('lists, signs and makes public URLs through the origin', async () => {
    const { origin, cache } = setup();
    await origin.put('x/1', '1');
    await origin.put('x/2', '2');
    const keys: string[] = [];
    for await (const summary of cache.list({ prefix: 'x/' })) keys.push(summary.key);
    expect(keys).toEqual(['x/1', 'x/2']);
    expect(cache.name).toBe('cached(watched)');
    expect(() => cache.publicUrl('x/1')).toThrow(StorageError);
  });
});

describe('withCache: origin down', () => {
  it('serves a hit, and fails a miss with Unavailable', async () => {
    const { origin, cache } = setup();
    await origin.put('cached.bin', patterned(2_500));
    await origin.put('uncached.bin', patterned(10));
    await read(cache, 'cached.bin');
    await cache.drain();
    origin.down = true;

    expect(sameBytes(await read(cache, 'cached.bin'), patterned(2_500))).toBe(true);
    expect(
      sameBytes(
        await read(cache, 'cached.bin', { range: { start: 999, end: 1_000 } }),
        patterned(2_500).subarray(999, 1_001),
      ),
    ).toBe(true);
    expect(await cache.head('cached.bin')).toMatchObject({ size: 2_500 });
    await expect(cache.get('uncached.bin')).rejects.toMatchObject({ code: 'Unavailable' });
    await expect(cache.head('uncached.bin')).rejects.toMatchObject({ code: 'Unavailable' });
  });

  it('fails with Unavailable when a slice of a partly cached object is missing', async () => {
    const { origin, cache } = setup();
    await origin.put('a.bin', patterned(2_500));
    await read(cache, 'a.bin', { range: { start: 0, end: 10 } });
    await cache.drain();
    origin.down = true;
    await expect(cache.get('a.bin', { range: { start: 1_000 } })).rejects.toMatchObject({ code: 'Unavailable' });
  });
});

describe('withCache: limits', () => {
  it('holds exactly the entry limit and evicts the least recently used slice beyond it', async () => {
    const { origin, cache, tier } = setup({ memoryCacheSize: 3 * CACHE_INDEX_BYTES_PER_ENTRY });
    for (const key of ['a', 'b', 'c', 'd']) await origin.put(key, key);
    // A slice is used from when its background fill lands; fills of reads made back to back may land in any order.
    for (const key of ['a', 'b', 'c']) {
      await read(cache, key);
      await cache.drain();
    }
    expect(cache.stats()).toMatchObject({ entriesHeld: 3, evictions: 0, maxEntries: 3 });
    await read(cache, 'a');
    await read(cache, 'd');
    await cache.drain();
    expect(cache.stats()).toMatchObject({ entriesHeld: 3, evictions: 1, hits: 1 });
    expect(await tierKeys(tier)).toHaveLength(3);

    origin.gets.length = 0;
    for (const key of ['a', 'c', 'd']) await read(cache, key);
    expect(origin.gets).toEqual([]);
    await read(cache, 'b');
    expect(origin.gets).toEqual(['b whole']);
  });

  it('holds exactly the disk limit and evicts beyond it', async () => {
    const { origin, cache, tier } = setup({ diskCacheSize: 3_000 });
    for (const key of ['a', 'b', 'c', 'd']) await origin.put(key, patterned(1_000));
    for (const key of ['a', 'b', 'c']) await read(cache, key);
    await cache.drain();
    expect(cache.stats()).toMatchObject({ bytesHeld: 3_000, entriesHeld: 3, evictions: 0 });
    await read(cache, 'd');
    await cache.drain();
    expect(cache.stats()).toMatchObject({ bytesHeld: 3_000, entriesHeld: 3, evictions: 1 });
    expect(await tierKeys(tier)).toHaveLength(3);
  });

  it('never caches a slice larger than the disk limit, but still serves it', async () => {
    const { origin, cache, tier } = setup({ diskCacheSize: 999 });
    await origin.put('a', patterned(1_000));
    for (let round = 0; round < 2; round++) {
      expect(sameBytes(await read(cache, 'a'), patterned(1_000))).toBe(true);
      await cache.drain();
    }
    expect(origin.gets).toHaveLength(2);
    expect(await tierKeys(tier)).toEqual([]);
  });

  it('drops slices idle for the inactive time, with the injected clock', async () => {
    const { origin, cache, clock, tier } = setup({ cacheInactiveTime: 60_000 });
    await origin.put('a', 'alpha');
    await read(cache, 'a');
    await cache.drain();
    clock.now += 59_999;
    await read(cache, 'a');
    expect(origin.gets).toHaveLength(1);
    clock.now += 60_000;
    expect(await cache.head('a')).toMatchObject({ size: 5 });
    await cache.drain();
    expect(cache.stats()).toMatchObject({ expirations: 1, entriesHeld: 0 });
    expect(await tierKeys(tier)).toEqual([]);
    await read(cache, 'a');
    expect(origin.gets).toHaveLength(2);
  });

  it('rejects limits that are not positive integers with InvalidSettings', () => {
    const tier = new MemoryStore();
    const origin = new MemoryStore();
    for (const options of [
      { sliceSize: 0 },
      { diskCacheSize: -1 },
      { cacheInactiveTime: 1.5 },
      { memoryCacheSize: 100 },
    ]) {
      expect(() => withCache(origin, { tier, ...options })).toThrow(
        expect.objectContaining({ code: 'InvalidSettings' }),
      );
    }
    expect(() => withCache(origin, { tier, verify: 'never' as 'on-change' })).toThrow(/verify must be/u);
  });
});

describe('withCache: restart', () => {
  it('rebuilds the index from the tier and serves hits with the origin down', async () => {
    const tier = new MemoryStore({ name: 'tier', sha256: nodeSha256 });
    const first = setup({}, tier);
    await first.origin.put('a.bin', patterned(2_500), { contentType: 'video/mp4', metadata: { owner: '1' } });
    await first.origin.put('b.txt', 'bee');
    await read(first.cache, 'a.bin');
    await read(first.cache, 'b.txt');
    await first.cache.drain();
    const before = first.cache.stats();

    const second = setup({}, tier);
    second.origin.down = true;
    await second.cache.ready();
    expect(second.cache.stats()).toMatchObject({ entriesHeld: before.entriesHeld, bytesHeld: before.bytesHeld });
    const result = await second.cache.get('a.bin');
    expect(result).toMatchObject({ size: 2_500, contentType: 'video/mp4', metadata: { owner: '1' } });
    expect(sameBytes(await collectBytes(result.body), patterned(2_500))).toBe(true);
    expect(new TextDecoder().decode(await read(second.cache, 'b.txt'))).toBe('bee');
    expect(second.cache.stats().hits).toBe(4);
  });

  it('rebuilds within the limits and drops idle, foreign-shaped and damaged entries', async () => {
    const tier = new MemoryStore({ name: 'tier', sha256: nodeSha256 });
    const first = setup({}, tier);
    for (const key of ['a', 'b', 'c']) {
      await first.origin.put(key, patterned(1_000));
      await read(first.cache, key);
    }
    await first.cache.drain();
    const cached = await tierKeys(tier);
    await tier.put(`${TIER_LAYOUT_PREFIX}zz/not-ours`, 'x');
    await tier.put(`${TIER_LAYOUT_PREFIX}${(cached[0] ?? '').slice(3, -2)}/7`, 'no metadata');
    await tier.put('outside/the/layout', 'kept');
    await tier.put(`v1/${(cached[0] ?? '').slice(3, 5)}/of/the/earlier/layout`, 'dropped');

    const smaller = setup({ memoryCacheSize: 2 * CACHE_INDEX_BYTES_PER_ENTRY }, tier);
    await smaller.cache.ready();
    await smaller.cache.drain();
    expect(smaller.cache.stats()).toMatchObject({ entriesHeld: 2, bytesHeld: 2_000, evictions: 1 });
    const remaining = await tierKeys(tier);
    expect(remaining).toContain('outside/the/layout');
    expect(remaining.filter((key) => key.startsWith('v1/'))).toEqual([]);
    const kept = remaining.filter((key) => key.startsWith(TIER_LAYOUT_PREFIX));
    expect(kept).toHaveLength(2);
    expect(kept.every((key) => cached.includes(key))).toBe(true);

    const later = setup({ cacheInactiveTime: 1_000 }, tier);
    later.clock.now = Date.now() + 1_000;
    await later.cache.ready();
    await later.cache.drain();
    expect(later.cache.stats()).toMatchObject({ entriesHeld: 0, bytesHeld: 0 });
    expect(await tierKeys(tier)).toEqual(['outside/the/layout']);
  });
});
