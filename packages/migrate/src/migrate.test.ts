import { describe, expect, it } from 'vitest';
import { MemoryStore, StorageError, bodyChunks, collectBytes, sha256Base64 } from '@stowage/core';
import { nodeSha256 } from '@stowage/core/node';
import type {
  Body,
  GetOptions,
  GetResult,
  ListOptions,
  ObjectInfo,
  ObjectStore,
  ObjectSummary,
  PutOptions,
} from '@stowage/core';
import { migrate } from './migrate.ts';
import type { MigrationProgress } from './progress.ts';
import type { ObjectEvent } from './migration-report.ts';
import { FaultInjectingStore, unavailable } from './testing/index.ts';

const fastRetry = { baseDelayMs: 1, maxDelayMs: 2 };

function bytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let state = seed * 2654435761 + 1;
  for (let index = 0; index < size; index++) {
    state = (state * 1103515245 + 12345) >>> 0;
    out[index] = state >>> 24;
  }
  return out;
}

interface Fixture {
  readonly key: string;
  readonly body: Uint8Array;
  readonly options?: PutOptions;
}

const FIXTURES: readonly Fixture[] = [
  {
    key: '2/a1/0f3d9e/report.pdf',
    body: bytes(10_000, 1),
    options: {
      contentType: 'application/pdf',
      contentDisposition: 'inline; filename="report.pdf"',
      cacheControl: 'private, immutable',
      metadata: { 'realm-id': '2', 'user-profile-id': '17' },
    },
  },
  {
    key: '2/avatars/abc.png',
    body: bytes(3000, 2),
    options: { contentType: 'image/png', cacheControl: 'public, max-age=31536000, immutable' },
  },
  { key: '2/realm/icon.png', body: bytes(100, 3), options: { contentType: 'image/png' } },
  { key: '2/realm/night_logo.png.original', body: bytes(5000, 4) },
  { key: '2/emoji/images/party.gif', body: bytes(700, 5), options: { contentType: 'image/gif' } },
  { key: '3/b2/\u{1f600} smile.txt', body: bytes(42, 6), options: { contentType: 'text/plain; charset=utf-8' } },
  { key: '3/empty', body: new Uint8Array(0) },
  { key: '3/large.bin', body: bytes(3 * 1024 * 1024 + 17, 7) },
];

async function filled(fixtures: readonly Fixture[] = FIXTURES, name = 'source'): Promise<MemoryStore> {
  const store = new MemoryStore({ name, sha256: nodeSha256 });
  for (const fixture of fixtures) await store.put(fixture.key, fixture.body, fixture.options);
  return store;
}

async function keysOf(store: ObjectStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const summary of store.list()) keys.push(summary.key);
  return keys;
}

/** What a copy must keep; `lastModified` and `etag` are the target's own. */
function comparable(info: ObjectInfo): Partial<ObjectInfo> {
  const { key, size, contentType, contentDisposition, cacheControl, metadata, sha256 } = info;
  return { key, size, contentType, contentDisposition, cacheControl, metadata, sha256 };
}

async function expectSameObjects(source: ObjectStore, target: ObjectStore): Promise<void> {
  expect(await keysOf(target)).toEqual(await keysOf(source));
  for (const key of await keysOf(source)) {
    const [fromSource, fromTarget] = await Promise.all([source.get(key), target.get(key)]);
    expect(comparable(fromTarget)).toEqual(comparable(fromSource));
    expect(await fingerprint(fromTarget.body)).toBe(await fingerprint(fromSource.body));
  }
}

/** Length and SHA-256 of a body: comparing megabytes element by element would take the test runner seconds. */
async function fingerprint(body: ReadableStream<Uint8Array>): Promise<string> {
  const data = await collectBytes(body);
  return `${data.byteLength}:${sha256Base64(data, nodeSha256)}`;
}

/** Records where each listing of the store starts. */
class ListRecordingStore extends FaultInjectingStore {
  readonly listedAfter: (string | undefined)[] = [];
  override list(options?: ListOptions): AsyncGenerator<ObjectSummary, void, undefined> {
    this.listedAfter.push(options?.startAfter);
    return super.list(options);
  }
}

/** A store that hides SHA-256s, like one that never records them. */
class NoShaStore extends FaultInjectingStore {
  gets = 0;
  override async head(key: string): Promise<ObjectInfo | undefined> {
    const info = await super.head(key);
    return info === undefined ? undefined : { ...info, sha256: undefined };
  }
  override async get(key: string, options?: Parameters<ObjectStore['get']>[1]): ReturnType<ObjectStore['get']> {
    this.gets++;
    return { ...(await super.get(key, options)), sha256: undefined };
  }
}

describe('migrate: copying', () => {
  it('copies every object with its bytes, content type, disposition, cache control and metadata', async () => {
    const source = await filled();
    const target = new MemoryStore({ name: 'target' });
    const report = await migrate(source, target);
    await expectSameObjects(source, target);
    const totalBytes = FIXTURES.reduce((sum, fixture) => sum + fixture.body.byteLength, 0);
    expect(report).toMatchObject({
      mode: 'copy',
      source: 'source',
      target: 'target',
      ok: true,
      failed: 0,
      sourceObjects: FIXTURES.length,
      sourceBytes: totalBytes,
      copied: { objects: FIXTURES.length, bytes: totalBytes, keysTruncated: false },
      skipped: { objects: 0 },
    });
    expect([...report.copied.keys].sort()).toEqual(FIXTURES.map((fixture) => fixture.key).sort());
  });

  it('never modifies the source', async () => {
    const source = new FaultInjectingStore(await filled());
    const target = new MemoryStore();
    await migrate(source, target);
    await migrate(source, target, { verifyOnly: true });
    expect(source.mutations).toEqual([]);
  });

  it('streams: the target receives a stream in chunks, never the whole object at once', async () => {
    const source = await filled();
    let largestChunk = 0;
    const bodyKinds = new Set<string>();
    class ChunkWatchingStore extends FaultInjectingStore {
      override put(key: string, body: Body, options?: PutOptions): Promise<ObjectInfo> {
        bodyKinds.add(body instanceof Uint8Array || typeof body === 'string' ? 'whole' : 'stream');
        async function* watched(): AsyncGenerator<Uint8Array, void, undefined> {
          for await (const chunk of bodyChunks(body)) {
            largestChunk = Math.max(largestChunk, chunk.byteLength);
            yield chunk;
          }
        }
        return super.put(key, watched(), options);
      }
    }
    await migrate(source, new ChunkWatchingStore(new MemoryStore()));
    expect(bodyKinds).toEqual(new Set(['stream']));
    expect(largestChunk).toBeGreaterThan(0);
    expect(largestChunk).toBeLessThanOrEqual(64 * 1024);
  });

  it('copies only keys under the prefix', async () => {
    const source = await filled();
    const target = new MemoryStore();
    const report = await migrate(source, target, { prefix: '2/realm/' });
    expect(await keysOf(target)).toEqual(['2/realm/icon.png', '2/realm/night_logo.png.original']);
    expect(report.copied.objects).toBe(2);
  });

  it('runs at most `concurrency` copies at once, and uses all of them (default 6)', async () => {
    const many = Array.from({ length: 40 }, (_, index) => ({
      key: `k/${String(index).padStart(3, '0')}`,
      body: bytes(10, index),
    }));
    for (const [concurrency, expected] of [
      [undefined, 6],
      [3, 3],
      [1, 1],
    ] as const) {
      let running = 0;
      let peak = 0;
      class SlowStore extends FaultInjectingStore {
        override async put(key: string, body: Body, options?: PutOptions): Promise<ObjectInfo> {
          running++;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, 2));
          try {
            return await super.put(key, body, options);
          } finally {
            running--;
          }
        }
      }
      const target = new SlowStore(new MemoryStore());
      const report = await migrate(await filled(many), target, { concurrency });
      expect(report.copied.objects).toBe(40);
      expect(peak).toBe(expected);
    }
  });

  it('keeps the bytes of objects in flight within maxBytesInFlight', async () => {
    const objects = Array.from({ length: 12 }, (_, index) => ({
      key: `k/${String(index).padStart(2, '0')}`,
      body: bytes(index % 3 === 0 ? 40_000 : 5_000, index),
    }));
    let inFlight = 0;
    let peak = 0;
    class SlowStore extends FaultInjectingStore {
      override async put(key: string, body: Body, options?: PutOptions): Promise<ObjectInfo> {
        inFlight += options?.size ?? 0;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 3));
        try {
          return await super.put(key, body, options);
        } finally {
          inFlight -= options?.size ?? 0;
        }
      }
    }
    const report = await migrate(await filled(objects), new SlowStore(new MemoryStore()), {
      concurrency: 6,
      maxBytesInFlight: 50_000,
    });
    expect(report.copied.objects).toBe(12);
    expect(peak).toBeLessThanOrEqual(50_000);
    expect(peak).toBeGreaterThan(40_000);
    await expect(migrate(await filled([]), new MemoryStore(), { maxBytesInFlight: 0 })).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
  });

  it('starts copying before the source listing is finished (no list of all keys in memory)', async () => {
    const many = Array.from({ length: 1000 }, (_, index) => ({
      key: `k/${String(index).padStart(5, '0')}`,
      body: bytes(1, index),
    }));
    const source = new MemoryStore({ defaultPageSize: 50 });
    for (const fixture of many) await source.put(fixture.key, fixture.body);
    let listed = 0;
    let listedAtFirstPut: number | undefined;
    class CountingSource extends FaultInjectingStore {
      override async *list(
        options?: Parameters<ObjectStore['list']>[0],
      ): AsyncGenerator<import('@stowage/core').ObjectSummary, void, undefined> {
        for await (const summary of super.list(options)) {
          listed++;
          yield summary;
        }
      }
    }
    class WatchingTarget extends FaultInjectingStore {
      override put(key: string, body: Body, options?: PutOptions): Promise<ObjectInfo> {
        listedAtFirstPut ??= listed;
        return super.put(key, body, options);
      }
    }
    const report = await migrate(new CountingSource(source), new WatchingTarget(new MemoryStore()), {
      countTotals: false,
    });
    expect(report.copied.objects).toBe(1000);
    expect(listedAtFirstPut).toBeDefined();
    expect(listedAtFirstPut).toBeLessThan(100);
  });

  it('keeps at most listLimit keys per outcome in the report while counting all of them', async () => {
    const many = Array.from({ length: 30 }, (_, index) => ({ key: `k/${index}`, body: bytes(3, index) }));
    const events: ObjectEvent[] = [];
    const report = await migrate(await filled(many), new MemoryStore(), {
      listLimit: 10,
      onObject: (event) => events.push(event),
    });
    expect(report.copied).toMatchObject({ objects: 30, bytes: 90, keysTruncated: true });
    expect(report.copied.keys).toHaveLength(10);
    expect(events.filter((event) => event.outcome === 'copied')).toHaveLength(30);
  });

  it('hashes a large object whose SHA-256 the source does not record first, and gives the target that SHA-256', async () => {
    /** A source that records no SHA-256 (a directory of files), counting its reads. */
    class UnhashedSource extends FaultInjectingStore {
      readonly reads = new Map<string, number>();
      override async get(key: string, options?: GetOptions): Promise<GetResult> {
        this.reads.set(key, (this.reads.get(key) ?? 0) + 1);
        return { ...(await super.get(key, options)), sha256: undefined };
      }
    }
    /** A target that keeps the options of each put. */
    class RecordingTarget extends FaultInjectingStore {
      readonly putOptions = new Map<string, PutOptions | undefined>();
      override async put(key: string, body: Body, options?: PutOptions): Promise<ObjectInfo> {
        this.putOptions.set(key, options);
        return super.put(key, body, options);
      }
    }
    const large = bytes(4000, 1);
    const small = bytes(100, 2);
    const source = new UnhashedSource(
      await filled([
        { key: 'large', body: large },
        { key: 'small', body: small },
      ]),
    );
    const target = new RecordingTarget(new MemoryStore());
    const report = await migrate(source, target, { hashFirstFrom: 1000 });
    expect(report.copied.objects).toBe(2);
    expect(source.reads.get('large')).toBe(2);
    expect(target.putOptions.get('large')?.sha256).toBe(sha256Base64(large));
    expect(source.reads.get('small')).toBe(1);
    expect(target.putOptions.get('small')?.sha256).toBeUndefined();
    for (const [key, body] of [
      ['large', large],
      ['small', small],
    ] as const) {
      expect(await collectBytes((await target.get(key)).body), key).toEqual(body);
      expect((await target.head(key))?.sha256, key).toBe(sha256Base64(body));
    }
  });

  it('fails an object that changes between the hashing read and the copy, keeping no copy of it', async () => {
    const original = bytes(4000, 1);
    const inner = await filled([{ key: 'large', body: original }]);
    let reads = 0;
    class ChangingSource extends FaultInjectingStore {
      override async get(key: string, options?: GetOptions): Promise<GetResult> {
        // Rewritten at the same size right after the hashing read opened it.
        if (++reads === 2) await inner.put(key, bytes(4000, 9));
        return { ...(await super.get(key, options)), sha256: undefined };
      }
    }
    const target = new MemoryStore();
    const report = await migrate(new ChangingSource(inner), target, { hashFirstFrom: 1000, retry: { attempts: 1 } });
    expect(report.failures).toEqual([expect.objectContaining({ key: 'large', code: 'IntegrityError' })]);
    expect(await target.head('large')).toBeUndefined();
  });
});

describe('migrate: resume', () => {
  it('a second run copies nothing, and a run after changes copies only what is missing or different', async () => {
    const source = await filled();
    const target = new MemoryStore();
    await migrate(source, target);
    const again = await migrate(source, new FaultInjectingStore(target));
    expect(again.copied.objects).toBe(0);
    expect(again.skipped.objects).toBe(FIXTURES.length);
    expect(again.ok).toBe(true);

    await source.put('2/realm/icon.png', bytes(100, 99), { contentType: 'image/png' });
    await source.put('4/new.txt', 'new upload');
    const watched = new FaultInjectingStore(target);
    const third = await migrate(source, watched);
    expect([...third.copied.keys].sort()).toEqual(['2/realm/icon.png', '4/new.txt']);
    expect(third.skipped.objects).toBe(FIXTURES.length - 1);
    expect(watched.mutations.sort()).toEqual(['put 2/realm/icon.png', 'put 4/new.txt']);
    await expectSameObjects(source, target);
  });

  it('lists the target in ranges of 1,000 source keys at once, and still compares every key', async () => {
    const keys = Array.from({ length: 2_600 }, (_, index) => `2/${String(index).padStart(4, '0')}/upload.txt`);
    const source = new MemoryStore({ name: 'source', sha256: nodeSha256 });
    for (const key of keys) await source.put(key, key);
    const inner = new MemoryStore({ name: 'target', sha256: nodeSha256 });
    await migrate(source, inner);
    await inner.delete(keys[1_500] ?? '');
    await inner.put('2/1999/upload.txt.stray', 'only at the target');
    const target = new ListRecordingStore(inner);
    const resumed = await migrate(source, target);
    expect(target.listedAfter).toEqual([undefined, keys[999], keys[1_999]]);
    expect(resumed.skipped.objects).toBe(keys.length - 1);
    expect(resumed.copied.keys).toEqual([keys[1_500]]);

    await inner.delete(keys[2_500] ?? '');
    const verified = await migrate(source, inner, { verifyOnly: true });
    expect(verified.missing.keys).toEqual([keys[2_500]]);
    expect(verified.onlyAtTarget.keys).toEqual(['2/1999/upload.txt.stray']);
    expect(verified.matched.objects).toBe(keys.length - 1);
  });

  it('replaces a same-size object with other bytes (sizes alone do not decide)', async () => {
    const source = await filled();
    const target = new MemoryStore();
    await target.put('2/realm/icon.png', bytes(100, 1234));
    const report = await migrate(source, target);
    expect(report.copied.keys).toContain('2/realm/icon.png');
    await expectSameObjects(source, target);
  });

  it('hashes by reading when a store records no SHA-256, and still skips identical objects', async () => {
    const source = new NoShaStore(await filled());
    const inner = new MemoryStore();
    await migrate(source, inner);
    const target = new NoShaStore(inner);
    source.gets = 0;
    const report = await migrate(source, target);
    expect(report.skipped.objects).toBe(FIXTURES.length);
    expect(report.copied.objects).toBe(0);
    // One read per side per object: the cost of a store without recorded checksums.
    expect(source.gets).toBe(FIXTURES.length);
    expect(target.gets).toBe(FIXTURES.length);
  });

  it('resumeBy size-and-time skips from the listings alone, and still copies what changed at the source', async () => {
    const source = await filled();
    const inner = new MemoryStore();
    await migrate(source, inner);
    // Any head or get on the target would fail: the listing must decide on its own.
    const target = new FaultInjectingStore(inner, ({ operation }) =>
      operation === 'head' || operation === 'get'
        ? { error: new StorageError('AccessDenied', 'injected: no per-object requests expected') }
        : undefined,
    );
    const quick = await migrate(source, target, { resumeBy: 'size-and-time' });
    expect(quick.skipped.objects).toBe(FIXTURES.length);
    expect(quick.ok).toBe(true);

    await new Promise((resolve) => setTimeout(resolve, 5));
    await source.put('2/realm/icon.png', bytes(100, 77), { contentType: 'image/png' });
    const changed = await migrate(source, inner, { resumeBy: 'size-and-time' });
    expect(changed.copied.keys).toEqual(['2/realm/icon.png']);
    await expectSameObjects(source, inner);
  });

  it('with resume off, copies everything again', async () => {
    const source = await filled();
    const target = new MemoryStore();
    await migrate(source, target);
    const report = await migrate(source, target, { resume: false });
    expect(report.copied.objects).toBe(FIXTURES.length);
  });
});

describe('migrate: dry run and verify only', () => {
  it('dry run says what would be copied and how many bytes, and writes nothing', async () => {
    const source = await filled();
    const inner = new MemoryStore();
    await inner.put('2/realm/icon.png', await collectBytes((await source.get('2/realm/icon.png')).body), {
      contentType: 'image/png',
    });
    const target = new FaultInjectingStore(inner);
    const report = await migrate(source, target, { dryRun: true });
    expect(report.mode).toBe('dry-run');
    expect(report.wouldCopy.objects).toBe(FIXTURES.length - 1);
    expect(report.wouldCopy.bytes).toBe(FIXTURES.reduce((sum, fixture) => sum + fixture.body.byteLength, 0) - 100);
    expect(report.skipped.keys).toEqual(['2/realm/icon.png']);
    expect(report.copied.objects).toBe(0);
    expect(target.mutations).toEqual([]);
  });

  it('verify only lists what is missing, different and only at the target, copying nothing', async () => {
    const source = await filled();
    const inner = new MemoryStore();
    await migrate(source, inner);
    await inner.delete('2/avatars/abc.png');
    await inner.put('2/realm/icon.png', bytes(100, 4321));
    await inner.put('3/empty', 'now longer');
    await inner.put('9/stray', 'only here');
    const target = new FaultInjectingStore(inner);
    const report = await migrate(source, target, { verifyOnly: true });
    expect(report.mode).toBe('verify-only');
    expect(report.missing.keys).toEqual(['2/avatars/abc.png']);
    expect([...report.different.keys].sort()).toEqual(['2/realm/icon.png', '3/empty']);
    expect(report.onlyAtTarget.keys).toEqual(['9/stray']);
    expect(report.matched.objects).toBe(FIXTURES.length - 3);
    expect(report.ok).toBe(false);
    expect(target.mutations).toEqual([]);

    await migrate(source, inner);
    const clean = await migrate(source, inner, { verifyOnly: true });
    expect(clean.ok).toBe(true);
    expect(clean.onlyAtTarget.keys).toEqual(['9/stray']);
  });
});

describe('migrate: failures', () => {
  it('retries transient failures (before and in the middle of a stream) and ends with every object intact', async () => {
    const source = new FaultInjectingStore(await filled(), ({ operation, key, previousCalls }) => {
      if (operation === 'get' && key === '3/large.bin' && previousCalls < 2)
        return { error: unavailable(key), afterBytes: 1_000_000 };
      if (operation === 'get' && key === '2/realm/icon.png' && previousCalls === 0) return { error: unavailable(key) };
      return undefined;
    });
    const target = new FaultInjectingStore(new MemoryStore(), ({ operation, key, previousCalls }) =>
      operation === 'put' && key === '2/a1/0f3d9e/report.pdf' && previousCalls === 0
        ? { error: unavailable(key), afterBytes: 5000 }
        : undefined,
    );
    const progress: MigrationProgress[] = [];
    const report = await migrate(source, target, { retry: fastRetry, onProgress: (event) => progress.push(event) });
    expect(report.ok).toBe(true);
    expect(report.copied.objects).toBe(FIXTURES.length);
    await expectSameObjects(source, target);
    const last = progress.at(-1);
    // Bytes of failed attempts are taken back out, so the totals add up exactly.
    expect(last?.bytesCopied).toBe(report.sourceBytes);
  });

  it('reports an object that keeps failing, with its reason, and copies the rest', async () => {
    const source = await filled();
    const target = new FaultInjectingStore(new MemoryStore(), ({ operation, key }) => {
      if (operation === 'put' && key === '2/realm/icon.png')
        return { error: new StorageError('AccessDenied', 'injected: policy denies PutObject', { key }) };
      if (operation === 'put' && key === '2/emoji/images/party.gif') return { error: unavailable(key) };
      return undefined;
    });
    const report = await migrate(source, target, { retry: { ...fastRetry, attempts: 3 } });
    expect(report.ok).toBe(false);
    expect(report.failed).toBe(2);
    expect([...report.failures].sort((a, b) => a.key.localeCompare(b.key))).toEqual([
      {
        key: '2/emoji/images/party.gif',
        code: 'Unavailable',
        message: expect.stringContaining('unavailable') as string,
        attempts: 3,
      },
      { key: '2/realm/icon.png', code: 'AccessDenied', message: 'injected: policy denies PutObject', attempts: 1 },
    ]);
    expect(report.copied.objects).toBe(FIXTURES.length - 2);
    expect(await target.head('2/realm/icon.png')).toBeUndefined();
  });

  it('catches a target that stores other bytes than it was sent, and deletes the bad copy', async () => {
    class CorruptingStore extends FaultInjectingStore {
      override async put(key: string, body: Body, options?: PutOptions): Promise<ObjectInfo> {
        const data = await collectBytes(body);
        if (key === '2/avatars/abc.png') data[10] = (data[10] ?? 0) ^ 0xff;
        return super.put(key, data, { ...options, sha256: undefined });
      }
    }
    const target = new CorruptingStore(new MemoryStore());
    const source = await filled();
    const report = await migrate(source, target);
    expect(report.failures).toEqual([
      expect.objectContaining({
        key: '2/avatars/abc.png',
        code: 'IntegrityError',
        message: expect.stringContaining('verification failed') as string,
      }),
    ]);
    expect(await target.head('2/avatars/abc.png')).toBeUndefined();
    expect(report.copied.objects).toBe(FIXTURES.length - 1);
  });

  it('read-back verification catches a target whose recorded SHA-256 lies', async () => {
    class LyingStore extends FaultInjectingStore {
      override async put(key: string, body: Body, options?: PutOptions): Promise<ObjectInfo> {
        const data = await collectBytes(body);
        data[0] = (data[0] ?? 0) ^ 1;
        return super.put(key, data, { ...options, sha256: undefined });
      }
      override async head(key: string): Promise<ObjectInfo | undefined> {
        const info = await super.head(key);
        const original = await this.original.head(key);
        return info === undefined ? undefined : { ...info, sha256: original?.sha256 };
      }
      constructor(
        inner: ObjectStore,
        readonly original: ObjectStore,
      ) {
        super(inner);
      }
    }
    const source = await filled([{ key: 'a', body: bytes(50, 1) }]);
    expect((await migrate(source, new LyingStore(new MemoryStore(), source))).ok).toBe(true);
    const report = await migrate(source, new LyingStore(new MemoryStore(), source), { verify: 'read-back' });
    expect(report.failures).toEqual([expect.objectContaining({ key: 'a', code: 'IntegrityError' })]);
  });

  it('retries a listing that fails midway from where it stopped, without repeating keys', async () => {
    const many = Array.from({ length: 50 }, (_, index) => ({
      key: `k/${String(index).padStart(2, '0')}`,
      body: bytes(5, index),
    }));
    const source = new FaultInjectingStore(await filled(many), ({ operation, key, previousCalls }) =>
      operation === 'list' && key === 'k/20' && previousCalls === 0 ? { error: unavailable() } : undefined,
    );
    const events: ObjectEvent[] = [];
    const report = await migrate(source, new MemoryStore(), {
      retry: fastRetry,
      countTotals: false,
      onObject: (event) => events.push(event),
    });
    expect(report.copied.objects).toBe(50);
    expect(new Set(events.map((event) => event.key)).size).toBe(50);
  });

  it('rejects when a store cannot be listed at all', async () => {
    const source = new FaultInjectingStore(await filled(), ({ operation }) =>
      operation === 'list' ? { error: new StorageError('AccessDenied', 'injected: no ListBucket') } : undefined,
    );
    await expect(migrate(source, new MemoryStore())).rejects.toMatchObject({ code: 'AccessDenied' });
  });

  it('counts an object deleted at the source after listing as vanished, not failed', async () => {
    const source = new FaultInjectingStore(await filled(), ({ operation, key }) =>
      operation === 'get' && key === '2/realm/icon.png'
        ? { error: new StorageError('NotFound', 'gone', { key }) }
        : undefined,
    );
    const report = await migrate(source, new MemoryStore());
    expect(report.vanished.keys).toEqual(['2/realm/icon.png']);
    expect(report.ok).toBe(true);
  });
});

describe('migrate: abort, progress, arguments', () => {
  it('aborts with Aborted and leaves no partial object at the target', async () => {
    const many = Array.from({ length: 20 }, (_, index) => ({
      key: `k/${String(index).padStart(2, '0')}`,
      body: bytes(300_000, index),
    }));
    const source = await filled(many);
    const target = new MemoryStore();
    const controller = new AbortController();
    let copied = 0;
    const run = migrate(source, target, {
      signal: controller.signal,
      concurrency: 3,
      onObject: () => {
        if (++copied === 5) controller.abort(new Error('operator pressed ctrl-c'));
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'Aborted' });
    const present = await keysOf(target);
    expect(present.length).toBeGreaterThanOrEqual(5);
    expect(present.length).toBeLessThan(20);
    for (const key of present) {
      expect(await fingerprint((await target.get(key)).body)).toBe(await fingerprint((await source.get(key)).body));
    }
    const resumed = await migrate(source, target);
    expect(resumed.skipped.objects).toBe(present.length);
    await expectSameObjects(source, target);
  });

  it('reports progress with totals, rates and an ETA, ending at exactly the totals', async () => {
    const many = Array.from({ length: 30 }, (_, index) => ({
      key: `k/${String(index).padStart(2, '0')}`,
      body: bytes(20_000, index),
    }));
    const progress: MigrationProgress[] = [];
    await migrate(await filled(many), new MemoryStore(), {
      concurrency: 2,
      progressIntervalMs: 0,
      onProgress: (event) => progress.push(event),
    });
    expect(progress.length).toBeGreaterThan(30);
    const last = progress.at(-1);
    expect(last).toMatchObject({
      final: true,
      objectsDone: 30,
      objectsTotal: 30,
      bytesDone: 600_000,
      bytesTotal: 600_000,
      copied: 30,
      etaSeconds: 0,
    });
    expect(progress.some((event) => !event.final && event.etaSeconds !== undefined && event.objectsTotal === 30)).toBe(
      true,
    );
    for (let index = 1; index < progress.length; index++) {
      expect(progress[index]?.objectsDone).toBeGreaterThanOrEqual(progress[index - 1]?.objectsDone ?? 0);
    }
    expect(last?.bytesPerSecond).toBeGreaterThan(0);
  });

  it('rejects bad options with a clear typed error', async () => {
    const source = await filled([]);
    const target = new MemoryStore();
    await expect(migrate(source, target, { concurrency: 0 })).rejects.toMatchObject({
      code: 'InvalidArgument',
      message: expect.stringContaining('concurrency') as string,
    });
    await expect(migrate(source, target, { concurrency: 1.5 })).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(migrate(source, target, { dryRun: true, verifyOnly: true })).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
    await expect(migrate(source, target, { prefix: '/abs' })).rejects.toMatchObject({ code: 'InvalidKey' });
    await expect(migrate(source, source)).rejects.toMatchObject({
      code: 'InvalidArgument',
      message: expect.stringContaining('same store') as string,
    });
    await expect(migrate(source, target, { retry: { attempts: 0 } })).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
    await expect(migrate(source, target, { hashFirstFrom: -1 })).rejects.toMatchObject({
      code: 'InvalidArgument',
      message: expect.stringContaining('hashFirstFrom') as string,
    });
    await expect(migrate(source, target, { hashFirstFrom: Number.NaN })).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
  });
});
