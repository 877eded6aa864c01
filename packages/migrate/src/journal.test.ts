import { describe, expect, it } from 'vitest';
import { MemoryStore, collectBytes } from '@stowage/core';
import { nodeSha256 } from '@stowage/core/node';
import type { Body, ObjectStore, PutOptions, PutResult } from '@stowage/core';
import { JournalCursor, JournalRecorder, NOT_LOADED, journalProves } from './journal.ts';
import type { JournalEntry, JournalWriter, MigrationJournal } from './journal.ts';
import { migrate } from './migrate.ts';

function entry(key: string, extra: Partial<JournalEntry> = {}): JournalEntry {
  return {
    key,
    size: 1,
    sha256: `sha-${key}`,
    sourceEtag: `"s-${key}"`,
    sourceModified: 1000,
    targetEtag: `"t-${key}"`,
    ...extra,
  };
}

/** The entries in batches of `batchSize`, each after a turn of the event loop, as a file is read. */
async function* entries(list: readonly JournalEntry[], batchSize = 2): AsyncGenerator<JournalEntry[], void, undefined> {
  for (let start = 0; start < list.length; start += batchSize) {
    await Promise.resolve();
    yield list.slice(start, start + batchSize);
  }
}

/** A journal in memory: what a file journal does, minus the file. */
class MemoryJournal implements MigrationJournal {
  committed: JournalEntry[] = [];
  commits = 0;
  discards = 0;
  writes = 0;
  /** When set, writers fail on their first append. */
  failAppends = false;

  read(): AsyncIterable<JournalEntry[]> {
    return entries([...this.committed]);
  }

  write(): JournalWriter {
    this.writes++;
    if (this.failAppends) {
      return {
        append: () => {
          throw new Error('disk full');
        },
        commit: () => Promise.reject(new Error('unreachable')),
        discard: () => {
          this.discards++;
          return Promise.resolve();
        },
      };
    }
    const written: JournalEntry[] = [];
    return {
      append: (item) => {
        written.push(item);
      },
      commit: () => {
        this.committed = written;
        this.commits++;
        return Promise.resolve();
      },
      discard: () => {
        this.discards++;
        return Promise.resolve();
      },
    };
  }
}

/** A store that counts the calls that cost a request or a read, so a test can tell a skip from a comparison. */
class CountingStore implements ObjectStore {
  readonly calls = { put: 0, get: 0, head: 0 };
  readonly inner: ObjectStore;
  readonly name: string;
  /** When set, puts claim the storage confirmed the bytes, with this result changed as given. */
  confirmWith: ((result: PutResult) => PutResult) | undefined;

  constructor(inner: ObjectStore) {
    this.inner = inner;
    this.name = inner.name;
  }

  async put(key: string, body: Body, options?: PutOptions): Promise<PutResult> {
    this.calls.put++;
    const result = await this.inner.put(key, body, options);
    return this.confirmWith === undefined || options?.confirm !== true
      ? result
      : this.confirmWith({ ...result, confirmed: true });
  }

  get(...args: Parameters<ObjectStore['get']>): ReturnType<ObjectStore['get']> {
    this.calls.get++;
    return this.inner.get(...args);
  }

  head(key: string): ReturnType<ObjectStore['head']> {
    this.calls.head++;
    return this.inner.head(key);
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  deleteMany(keys: Iterable<string>): Promise<void> {
    return this.inner.deleteMany(keys);
  }

  copy(fromKey: string, toKey: string): ReturnType<ObjectStore['copy']> {
    return this.inner.copy(fromKey, toKey);
  }

  list(...args: Parameters<ObjectStore['list']>): ReturnType<ObjectStore['list']> {
    return this.inner.list(...args);
  }

  signedUrl(...args: Parameters<ObjectStore['signedUrl']>): ReturnType<ObjectStore['signedUrl']> {
    return this.inner.signedUrl(...args);
  }

  publicUrl(key: string): string {
    return this.inner.publicUrl(key);
  }

  reset(): void {
    this.calls.put = 0;
    this.calls.get = 0;
    this.calls.head = 0;
  }
}

function body(seed: number, size = 2000): Uint8Array {
  return Uint8Array.from({ length: size }, (_unused, index) => (index * 31 + seed * 7) & 0xff);
}

async function pair(): Promise<{ source: CountingStore; target: CountingStore; journal: MemoryJournal }> {
  const source = new MemoryStore({ name: 'source', sha256: nodeSha256 });
  for (let index = 0; index < 12; index++) await source.put(`k/${String(index).padStart(2, '0')}`, body(index));
  return {
    source: new CountingStore(source),
    target: new CountingStore(new MemoryStore({ name: 'target', sha256: nodeSha256 })),
    journal: new MemoryJournal(),
  };
}

describe('JournalCursor', () => {
  it('finds entries of ascending keys, passing over keys not asked for', async () => {
    const cursor = new JournalCursor(entries([entry('a'), entry('b'), entry('d')]));
    expect(await cursor.find('b')).toEqual(entry('b'));
    expect(await cursor.find('c')).toBeUndefined();
    expect(await cursor.find('d')).toEqual(entry('d'));
    expect(await cursor.find('e')).toBeUndefined();
  });

  it('answers from a loaded batch without waiting, and says when it must load the next', async () => {
    const cursor = new JournalCursor(entries([entry('a'), entry('b'), entry('c'), entry('d')]));
    expect(cursor.findLoaded('a')).toBe(NOT_LOADED);
    await cursor.load();
    expect(cursor.findLoaded('a')).toEqual(entry('a'));
    expect(cursor.findLoaded('b')).toEqual(entry('b'));
    // 'c' is in the second batch: the first one cannot tell whether it is there.
    expect(cursor.findLoaded('bb')).toBe(NOT_LOADED);
    expect(await cursor.find('bb')).toBeUndefined();
    expect(cursor.findLoaded('c')).toEqual(entry('c'));
    expect(cursor.findLoaded('e')).toBe(NOT_LOADED);
    await cursor.load();
    expect(cursor.findLoaded('e')).toBeUndefined();
  });

  it('stops trusting a journal whose keys are out of order, within a batch or across two', async () => {
    const within = new JournalCursor(entries([entry('a'), entry('c'), entry('b'), entry('d')], 4));
    expect(await within.find('a')).toEqual(entry('a'));
    expect(await within.find('c')).toEqual(entry('c'));
    expect(await within.find('d')).toBeUndefined();
    const across = new JournalCursor(entries([entry('a'), entry('c'), entry('b'), entry('d')], 2));
    expect(await across.find('a')).toEqual(entry('a'));
    expect(await across.find('d')).toBeUndefined();
  });
});

describe('JournalRecorder', () => {
  it('writes entries in ticket order however they settle, carrying over earlier entries it did not settle', async () => {
    const journal = new MemoryJournal();
    journal.committed = [
      entry('a', { sha256: 'old-a' }),
      entry('b', { sha256: 'old-b' }),
      entry('c', { sha256: 'old-c' }),
      entry('z', { sha256: 'old-z' }),
    ];
    const recorder = new JournalRecorder(journal);
    const [forB, forC, forD] = [recorder.ticket(), recorder.ticket(), recorder.ticket()];
    recorder.settle(forD, 'd', entry('d'));
    recorder.settle(forC, 'c', undefined);
    recorder.settle(forB, 'b', entry('b'));
    await recorder.finish();
    // a and z were not settled (outside the run): kept; b replaced; c dropped (proved nothing); d added.
    expect(journal.committed.map((item) => [item.key, item.sha256])).toEqual([
      ['a', 'old-a'],
      ['b', 'sha-b'],
      ['d', 'sha-d'],
      ['z', 'old-z'],
    ]);
  });

  it('after an interruption keeps what settled in order before the gap and the earlier entries after it', async () => {
    const journal = new MemoryJournal();
    journal.committed = [entry('b', { sha256: 'old-b' }), entry('c', { sha256: 'old-c' })];
    const recorder = new JournalRecorder(journal);
    const forA = recorder.ticket();
    recorder.ticket(); // b's ticket never settles: the run was stopped while copying b
    const forC = recorder.ticket();
    recorder.settle(forA, 'a', entry('a'));
    recorder.settle(forC, 'c', entry('c'));
    await recorder.finish();
    expect(journal.committed.map((item) => [item.key, item.sha256])).toEqual([
      ['a', 'sha-a'],
      ['b', 'old-b'],
      ['c', 'old-c'],
    ]);
  });

  it('writes nothing when the run proves exactly what the earlier journal says', async () => {
    const journal = new MemoryJournal();
    journal.committed = [entry('a'), entry('b'), entry('c'), entry('d'), entry('e')];
    const recorder = new JournalRecorder(journal);
    for (const key of ['b', 'c', 'd']) recorder.settle(recorder.ticket(), key, entry(key));
    await recorder.finish();
    expect([journal.writes, journal.commits, journal.discards]).toEqual([0, 0, 0]);
  });

  it('starts the new journal at the first difference with every earlier entry kept before it', async () => {
    const journal = new MemoryJournal();
    const earlier = [entry('a'), entry('b'), entry('c'), entry('d'), entry('e'), entry('f'), entry('g')];
    journal.committed = earlier;
    const recorder = new JournalRecorder(journal);
    // b and c are proved again as they were (three batches in); e changed at the target; f proved nothing.
    const tickets = ['b', 'c', 'e', 'f'].map((key) => ({ key, ticket: recorder.ticket() }));
    for (const { key, ticket } of tickets) {
      recorder.settle(
        ticket,
        key,
        key === 'f' ? undefined : key === 'e' ? entry('e', { targetEtag: '"t-e2"' }) : entry(key),
      );
    }
    await recorder.finish();
    expect(journal.writes).toBe(1);
    expect(journal.commits).toBe(1);
    expect(journal.committed).toEqual([
      entry('a'),
      entry('b'),
      entry('c'),
      entry('d'),
      entry('e', { targetEtag: '"t-e2"' }),
      entry('g'),
    ]);
  });

  it('starts a journal for a first run, and writes nothing for a run that proved nothing', async () => {
    const journal = new MemoryJournal();
    const empty = new JournalRecorder(journal);
    empty.settle(empty.ticket(), 'a', undefined);
    await empty.finish();
    expect(journal.writes).toBe(0);
    const first = new JournalRecorder(journal);
    first.settle(first.ticket(), 'a', entry('a'));
    await first.finish();
    expect(journal.committed).toEqual([entry('a')]);
  });

  it('discards the journal being written when writing fails, keeping the earlier one', async () => {
    const journal = new MemoryJournal();
    journal.committed = [entry('a')];
    journal.failAppends = true;
    const recorder = new JournalRecorder(journal);
    recorder.settle(recorder.ticket(), 'b', entry('b'));
    await recorder.finish();
    expect(journal.discards).toBe(1);
    expect(journal.commits).toBe(0);
    expect(journal.committed).toEqual([entry('a')]);
  });
});

describe('journalProves', () => {
  const source = { key: 'k', size: 1, lastModified: new Date(1000), etag: '"s-k"' };
  const target = { key: 'k', size: 1, lastModified: new Date(5), etag: '"t-k"' };
  it('holds only when both listed versions are the journaled ones', () => {
    expect(journalProves(entry('k'), source, target)).toBe(true);
    expect(journalProves(entry('k'), { ...source, etag: '"other"' }, target)).toBe(false);
    expect(journalProves(entry('k'), { ...source, lastModified: new Date(1001) }, target)).toBe(false);
    expect(journalProves(entry('k'), source, { ...target, etag: '"other"' })).toBe(false);
    expect(journalProves(entry('k'), { ...source, size: 2 }, { ...target, size: 2 })).toBe(false);
    expect(journalProves(entry('k'), source, undefined)).toBe(false);
    expect(journalProves(entry('k', { sourceEtag: '""' }), { ...source, etag: '""' }, target)).toBe(false);
  });
});

describe('migrate with a journal', () => {
  it('a rerun skips every unchanged object with no head, get or put on either store', async () => {
    const { source, target, journal } = await pair();
    const first = await migrate(source, target, { journal });
    expect(first.copied.objects).toBe(12);
    expect(journal.committed.map((item) => item.key)).toEqual(
      Array.from({ length: 12 }, (_unused, index) => `k/${String(index).padStart(2, '0')}`),
    );
    source.reset();
    target.reset();
    const second = await migrate(source, target, { journal });
    expect(second.skipped.objects).toBe(12);
    expect([source.calls, target.calls]).toEqual([
      { put: 0, get: 0, head: 0 },
      { put: 0, get: 0, head: 0 },
    ]);
    expect(journal.committed).toHaveLength(12);
    // Nothing changed, so the journal was not written again.
    expect([journal.writes, journal.commits]).toEqual([1, 1]);
  });

  it('copies again an object changed at the source to the same size, and one changed at the target', async () => {
    const { source, target, journal } = await pair();
    await migrate(source, target, { journal });
    await source.inner.put('k/03', body(99));
    await target.inner.put('k/07', body(98));
    target.reset();
    const rerun = await migrate(source, target, { journal });
    expect(rerun.copied.objects).toBe(2);
    expect(rerun.skipped.objects).toBe(10);
    for (const key of ['k/03', 'k/07']) {
      const copy = await collectBytes((await target.inner.get(key)).body);
      expect(copy).toEqual(await collectBytes((await source.inner.get(key)).body));
    }
    // The journal now names the new versions: a third run skips all with no request.
    target.reset();
    source.reset();
    expect((await migrate(source, target, { journal })).skipped.objects).toBe(12);
    expect(target.calls.head + source.calls.head).toBe(0);
  });

  it('without a journal entry falls back to comparing sizes and SHA-256s, and journals what that proved', async () => {
    const { source, target, journal } = await pair();
    await migrate(source, target);
    target.reset();
    const rerun = await migrate(source, target, { journal });
    expect(rerun.skipped.objects).toBe(12);
    expect(target.calls.head).toBe(12);
    target.reset();
    await migrate(source, target, { journal });
    expect(target.calls.head).toBe(0);
  });

  it('a dry run reads the journal but does not write one; verify-only ignores it', async () => {
    const { source, target, journal } = await pair();
    await migrate(source, target, { journal });
    expect(journal.commits).toBe(1);
    await target.inner.put('k/05', body(97));
    const dry = await migrate(source, target, { journal, dryRun: true });
    expect(dry.wouldCopy.keys).toEqual(['k/05']);
    target.reset();
    const verified = await migrate(source, target, { journal, verifyOnly: true });
    expect(verified.different.keys).toEqual(['k/05']);
    expect(target.calls.head).toBeGreaterThan(0);
    expect(journal.commits).toBe(1);
  });
});

describe('migrate: a put the target confirmed', () => {
  it('needs no head to verify it', async () => {
    const { source, target } = await pair();
    target.confirmWith = (result) => result;
    const report = await migrate(source, target);
    expect(report.copied.objects).toBe(12);
    expect(target.calls.head).toBe(0);
  });

  it('is verified with a head when the SHA-256 it reports is not the one sent', async () => {
    const { source, target } = await pair();
    target.confirmWith = (result) => ({ ...result, sha256: 'AAAA' });
    const report = await migrate(source, target);
    // The head shows the true bytes (the put really stored them), so every copy passes, but only after a head.
    expect(report.copied.objects).toBe(12);
    expect(target.calls.head).toBe(12);
  });

  it('is read back anyway with verify read-back', async () => {
    const { source, target } = await pair();
    target.confirmWith = (result) => result;
    await migrate(source, target, { verify: 'read-back' });
    expect(target.calls.get).toBe(12);
  });
});
