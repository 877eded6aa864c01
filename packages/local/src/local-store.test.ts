import { Buffer } from 'node:buffer';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { collectBytes, isStorageError, readResultBody, sha256Base64 } from '@stowage/core';
import type { StorageError } from '@stowage/core';
import { nodeSha256 } from '@stowage/core/node';
import { BACKINGS } from '../test/backings.ts';
import type { Backing } from '../test/backings.ts';
import { faultyFileSystem } from '../test/faulty-file-system.ts';
import { pathText } from './file-system.ts';
import type { LocalFileSystem } from './file-system.ts';
import { METADATA_DIRECTORY, TEMPORARY_DIRECTORY } from './layout.ts';
import { LocalStore } from './local-store.ts';

const text = async (store: LocalStore, key: string): Promise<string> =>
  new TextDecoder().decode(await collectBytes((await store.get(key)).body));

async function keysOf(store: LocalStore, options: Parameters<LocalStore['list']>[0] = {}): Promise<string[]> {
  const keys: string[] = [];
  for await (const summary of store.list(options)) keys.push(summary.key);
  return keys;
}

async function rejection(promise: Promise<unknown>): Promise<StorageError> {
  try {
    await promise;
  } catch (error) {
    if (isStorageError(error)) return error;
    throw new Error(`expected a StorageError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected a rejection');
}

/** `fs` with a count of the files it has open. */
function countingOpenFiles(fs: LocalFileSystem): { readonly fs: LocalFileSystem; readonly open: () => number } {
  let open = 0;
  return {
    open: () => open,
    fs: {
      ...fs,
      open: async (path, flags) => {
        const handle = await fs.open(path, flags);
        open++;
        return {
          read: handle.read.bind(handle),
          writev: handle.writev.bind(handle),
          datasync: handle.datasync.bind(handle),
          stat: handle.stat.bind(handle),
          close: async () => {
            open--;
            await handle.close();
          },
        };
      },
      openIfPresent: undefined,
    },
  };
}

async function gather(chunks: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): Promise<Buffer> {
  const received: Uint8Array[] = [];
  for await (const chunk of chunks) received.push(chunk);
  return Buffer.concat(received);
}

const byUtf8Bytes = (left: string, right: string): number => Buffer.compare(Buffer.from(left), Buffer.from(right));

describe.each(BACKINGS)('LocalStore on $name', ({ make }) => {
  let backing: Backing;
  let store: LocalStore;

  beforeEach(async () => {
    backing = await make();
    store = await LocalStore.open({ root: backing.root, fs: backing.fs });
  });
  afterEach(async () => {
    await backing.dispose();
  });

  const names = async (relative: string): Promise<string[]> => {
    const entries = await backing.fs.readdir(join(backing.root, relative), { withFileTypes: true });
    return entries
      .map((entry) =>
        typeof entry === 'string' || entry instanceof Uint8Array ? pathText(entry) : pathText(entry.name),
      )
      .sort();
  };
  /** Records on disk, once the ones puts write after returning have landed. */
  const recordCount = async (): Promise<number> => {
    await store.settled();
    let count = 0;
    for (const shard of await names(METADATA_DIRECTORY)) count += (await names(join(METADATA_DIRECTORY, shard))).length;
    return count;
  };
  const writeRaw = async (relative: string, content: string): Promise<void> => {
    const path = join(backing.root, relative);
    await backing.fs.mkdir(join(path, '..'), { recursive: true });
    const handle = await backing.fs.open(path, 'w');
    await handle.writev([new TextEncoder().encode(content)]);
    await handle.close();
  };

  it('keeps each object as the plain file root/<key> and its record under the reserved directory', async () => {
    await store.put('1/ab/x/notes.txt', 'plain bytes', {
      contentType: 'text/plain; charset=utf-8',
      metadata: { owner: '7' },
    });
    expect(pathText(await backing.fs.readFile(join(backing.root, '1', 'ab', 'x', 'notes.txt')))).toBe('plain bytes');
    expect(await names('')).toEqual(['.stowage', '1']);
    expect(await recordCount()).toBe(1);
    expect(await names(TEMPORARY_DIRECTORY)).toEqual([]);
  });

  it('round-trips content type, disposition, cache control, metadata and the SHA-256 of the bytes', async () => {
    const bytes = new TextEncoder().encode('a report');
    const stored = await store.put('r/report.pdf', bytes, {
      contentType: 'application/pdf',
      contentDisposition: 'attachment; filename="report.pdf"',
      cacheControl: 'private, immutable',
      metadata: { 'uploaded-by': 'iago', realm: '2' },
    });
    const reopened = await LocalStore.open({ root: backing.root, fs: backing.fs });
    const info = await reopened.head('r/report.pdf');
    expect(info).toMatchObject({
      key: 'r/report.pdf',
      size: bytes.byteLength,
      contentType: 'application/pdf',
      contentDisposition: 'attachment; filename="report.pdf"',
      cacheControl: 'private, immutable',
      metadata: { 'uploaded-by': 'iago', realm: '2' },
      sha256: sha256Base64(bytes, nodeSha256),
      etag: stored.etag,
    });
  });

  it('round-trips a record larger than one read (40 KB of metadata with multi-byte characters)', async () => {
    const metadata = { notes: 'ü€😀'.repeat(5000), other: 'x' };
    await store.put('big/record.txt', 'small body', { metadata });
    expect((await store.head('big/record.txt'))?.metadata).toEqual(metadata);
  });

  it('recreates a metadata shard directory removed while the store was open', async () => {
    await store.put('shard/key.txt', 'one', { metadata: { round: '1' } });
    const [shard] = await names(METADATA_DIRECTORY);
    for (const record of await names(join(METADATA_DIRECTORY, shard ?? ''))) {
      await backing.fs.unlink(join(backing.root, METADATA_DIRECTORY, shard ?? '', record));
    }
    await backing.fs.rmdir(join(backing.root, METADATA_DIRECTORY, shard ?? ''));
    await store.put('shard/key.txt', 'two', { metadata: { round: '2' } });
    expect((await store.head('shard/key.txt'))?.metadata).toEqual({ round: '2' });
  });

  it('keeps exactly one record per object across overwrites and removes it with the object', async () => {
    for (const round of [1, 2, 3])
      await store.put('o/k.txt', `version ${round}`, { metadata: { round: String(round) } });
    expect(await recordCount()).toBe(1);
    expect((await store.head('o/k.txt'))?.metadata).toEqual({ round: '3' });
    await store.delete('o/k.txt');
    expect(await recordCount()).toBe(0);
  });

  it('never pairs a record with other bytes: a file rewritten behind the store falls back to guessed metadata', async () => {
    await store.put('docs/readme.txt', 'original', { contentType: 'text/x-original', metadata: { note: 'old' } });
    await writeRaw('docs/readme.txt', 'rewritten by hand, longer');
    const info = await store.head('docs/readme.txt');
    expect(info).toMatchObject({ contentType: 'text/plain', sha256: undefined, metadata: {}, size: 25 });
    const got = await store.get('docs/readme.txt');
    expect(got.sha256).toBeUndefined();
    expect(new TextDecoder().decode(await collectBytes(got.body))).toBe('rewritten by hand, longer');
  });

  it('opens a Zulip LOCAL_UPLOADS_DIR tree as it is: files and avatars read with types guessed from names', async () => {
    await writeRaw('files/2/a7/Xb3kQ9/meeting notes.txt', 'agenda');
    await writeRaw('files/2/0f/Zz81/photo.JPG', 'jpeg bytes');
    await writeRaw('avatars/2/5c1e0f.png', 'png bytes');
    await writeRaw('avatars/2/5c1e0f.original', 'original bytes');
    await writeRaw('avatars/2/realm/icon.png', 'icon');
    const zulip = await LocalStore.open({ root: backing.root, fs: backing.fs });
    expect(await keysOf(zulip)).toEqual([
      'avatars/2/5c1e0f.original',
      'avatars/2/5c1e0f.png',
      'avatars/2/realm/icon.png',
      'files/2/0f/Zz81/photo.JPG',
      'files/2/a7/Xb3kQ9/meeting notes.txt',
    ]);
    expect(await zulip.head('files/2/0f/Zz81/photo.JPG')).toMatchObject({
      contentType: 'image/jpeg',
      size: 10,
      metadata: {},
      sha256: undefined,
    });
    expect((await zulip.head('avatars/2/5c1e0f.original'))?.contentType).toBe('application/octet-stream');
    expect(await text(zulip, 'files/2/a7/Xb3kQ9/meeting notes.txt')).toBe('agenda');
    const copied = await zulip.copy('avatars/2/5c1e0f.png', 'avatars/2/5c1e0f-copy.png');
    expect(copied).toMatchObject({ contentType: 'image/png', sha256: sha256Base64('png bytes', nodeSha256) });
  });

  it('refuses keys inside the reserved directory with InvalidKey and never lists it', async () => {
    await store.put('visible.txt', 'x');
    for (const key of ['.stowage/meta/x', '.stowage', '.STOWAGE/tmp/y', '.Stowage/z']) {
      expect((await rejection(store.put(key, 'x'))).code).toBe('InvalidKey');
      expect((await rejection(store.get(key))).code).toBe('InvalidKey');
      expect((await rejection(store.delete(key))).code).toBe('InvalidKey');
    }
    expect((await rejection(store.deleteMany(['visible.txt', '.stowage/tmp']))).code).toBe('InvalidKey');
    expect(await keysOf(store)).toEqual(['visible.txt']);
    expect(await keysOf(store, { prefix: '.stowage/' })).toEqual([]);
    expect(await keysOf(store, { prefix: '.st' })).toEqual([]);
    expect(await store.put('.stowage-not-reserved/a', 'fine')).toMatchObject({ key: '.stowage-not-reserved/a' });
  });

  it('refuses "a/b" when "a" is an object and "a" when "a/b" exists, naming both keys and changing nothing', async () => {
    await store.put('a', 'object a');
    const under = await rejection(store.put('a/b', 'under a'));
    expect(under.code).toBe('AlreadyExists');
    expect(under.message).toContain('"a/b"');
    expect(under.message).toContain('"a"');
    expect((await rejection(store.put('a/b/c/d', 'deep under a'))).message).toContain('conflicts with "a"');
    await store.put('dir/child.txt', 'child');
    const over = await rejection(store.put('dir', 'over dir'));
    expect(over.code).toBe('AlreadyExists');
    expect(over.message).toContain('"dir/child.txt"');
    expect((await rejection(store.put('dir', 'over dir', { ifNoneMatch: '*' }))).message).toContain('"dir/child.txt"');
    expect((await rejection(store.copy('a', 'dir'))).code).toBe('AlreadyExists');
    expect(await text(store, 'a')).toBe('object a');
    expect(await text(store, 'dir/child.txt')).toBe('child');
    expect(await store.head('dir')).toBeUndefined();
    expect((await rejection(store.get('a/b'))).code).toBe('NotFound');
    expect(await keysOf(store)).toEqual(['a', 'dir/child.txt']);
    expect(await names(TEMPORARY_DIRECTORY)).toEqual([]);
  });

  it('lists in UTF-8 byte order of whole keys, not directory by directory ("a-c" before "a/b", "a/b" before "a0")', async () => {
    const keys = [
      'a/b',
      'a-c',
      'a0',
      'a/c/d',
      'ab',
      'b',
      'é/x',
      'z',
      '\u{1F600}.png',
      '\uFFFD',
      'A',
      '~',
      'a/c-d',
      'a/c0',
    ];
    for (const key of keys) await store.put(key, key);
    const sorted = [...keys].sort(byUtf8Bytes);
    expect(sorted.slice(0, 7)).toEqual(['A', 'a-c', 'a/b', 'a/c-d', 'a/c/d', 'a/c0', 'a0']);
    expect(await keysOf(store)).toEqual(sorted);
    for (const prefix of ['a', 'a/', 'a/c', 'a/c/', 'a-', 'é', '\u{1F600}', 'zz']) {
      expect(await keysOf(store, { prefix }), prefix).toEqual(sorted.filter((key) => key.startsWith(prefix)));
    }
    for (const startAfter of [...sorted, '', 'a/', 'a/c', 'a/c/', 'a/c/e', 'a.', '\uE000']) {
      expect(await keysOf(store, { startAfter }), startAfter).toEqual(
        sorted.filter((key) => byUtf8Bytes(key, startAfter) > 0),
      );
      expect(await keysOf(store, { startAfter, prefix: 'a/' }), `a/ after ${startAfter}`).toEqual(
        sorted.filter((key) => key.startsWith('a/') && byUtf8Bytes(key, startAfter) > 0),
      );
    }
  });

  it('reports size, modification time and the etag of each listed object', async () => {
    const stored = await store.put('sized/one.bin', new Uint8Array(1234));
    const summaries = [];
    for await (const summary of store.list({ prefix: 'sized/' })) summaries.push(summary);
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toEqual({
      key: 'sized/one.bin',
      size: 1234,
      lastModified: stored.lastModified,
      etag: stored.etag,
    });
  });

  it('reads only the directories a prefix or startAfter leaves in play', async () => {
    for (const key of ['b/1', 'b/2/x', 'c/1', 'c/2/y', 'd/1']) await store.put(key, key);
    const { fs, calls } = faultyFileSystem(backing.fs, () => undefined);
    const watched = await LocalStore.open({ root: backing.root, fs });
    const readdirs = (): string[] => calls.filter((call) => call.method === 'readdir').map((call) => call.path ?? '');
    calls.length = 0;
    expect(await keysOf(watched, { prefix: 'c/2/' })).toEqual(['c/2/y']);
    expect(readdirs()).toHaveLength(1);
    expect(readdirs()[0]).toMatch(/[/]c[/]2$/u);
    calls.length = 0;
    expect(await keysOf(watched, { startAfter: 'c/1' })).toEqual(['c/2/y', 'd/1']);
    const visited = readdirs()
      .slice(1)
      .map((path) => path.slice(path.lastIndexOf('/') + 1));
    // The root, then c (it holds keys after c/1), c/2 and d, in any order (directories are read ahead of the
    // walk); b is skipped unread.
    expect(visited.toSorted()).toEqual(['2', 'c', 'd']);
  });

  it('removes directories a delete leaves empty, up to but never including the root', async () => {
    await store.put('p/q/r/s.txt', 's');
    await store.put('p/keep.txt', 'keep');
    await store.delete('p/q/r/s.txt');
    expect(await names('p')).toEqual(['keep.txt']);
    await store.delete('p/keep.txt');
    expect(await names('')).toEqual(['.stowage']);
    await store.delete('p/keep.txt');
    await store.delete('never/existed');
    expect(await names('')).toEqual(['.stowage']);
  });

  it('deleteMany validates every key before deleting any, then deletes them all', async () => {
    const keys = Array.from({ length: 30 }, (_, index) => `many/${index % 3}/${index}.txt`);
    for (const key of keys) await store.put(key, key);
    expect((await rejection(store.deleteMany([...keys, 'bad//key']))).code).toBe('InvalidKey');
    expect(await keysOf(store)).toHaveLength(30);
    await store.deleteMany([...keys, 'many/absent.txt']);
    expect(await keysOf(store)).toEqual([]);
    expect(await recordCount()).toBe(0);
  });

  it('copies bytes and metadata atomically to a new key, and onto itself', async () => {
    await store.put('src/a.txt', 'copy me', {
      contentType: 'text/x-a',
      metadata: { m: '1' },
      cacheControl: 'no-store',
    });
    const copied = await store.copy('src/a.txt', 'dst/b.txt');
    expect(copied).toMatchObject({
      contentType: 'text/x-a',
      metadata: { m: '1' },
      cacheControl: 'no-store',
      sha256: sha256Base64('copy me', nodeSha256),
    });
    expect(await text(store, 'dst/b.txt')).toBe('copy me');
    await store.copy('src/a.txt', 'src/a.txt');
    expect(await text(store, 'src/a.txt')).toBe('copy me');
    expect((await rejection(store.copy('src/missing.txt', 'dst/c.txt'))).code).toBe('NotFound');
    expect(await recordCount()).toBe(2);
  });

  it('removes temporaries older than the grace period on open and on demand, keeping younger ones', async () => {
    await writeRaw(join(TEMPORARY_DIRECTORY, 'crashed-put.tmp'), 'partial');
    const keeping = await LocalStore.open({ root: backing.root, fs: backing.fs });
    expect(await names(TEMPORARY_DIRECTORY)).toEqual(['crashed-put.tmp']);
    expect(await keysOf(keeping)).toEqual([]);
    expect(await keeping.cleanup(0)).toEqual({ temporaries: 1, records: 0 });
    expect(await names(TEMPORARY_DIRECTORY)).toEqual([]);
    await writeRaw(join(TEMPORARY_DIRECTORY, 'another.tmp'), 'partial');
    await LocalStore.open({ root: backing.root, fs: backing.fs, staleAfterMs: 0 });
    expect(await names(TEMPORARY_DIRECTORY)).toEqual([]);
  });

  it('cleanup removes records orphaned by a rewrite behind its back, keeping current ones', async () => {
    await store.put('kept.txt', 'kept');
    await store.put('orphaned.txt', 'will be rewritten');
    await writeRaw('orphaned.txt', 'rewritten, and the record now describes nothing');
    expect(await recordCount()).toBe(2);
    expect(await store.cleanup(0)).toEqual({ temporaries: 0, records: 1 });
    expect(await recordCount()).toBe(1);
    expect((await store.head('kept.txt'))?.sha256).toBe(sha256Base64('kept', nodeSha256));
  });

  it('lets exactly one of many concurrent create-only puts of one key win', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, index) => store.put('race/once.txt', `writer ${index}`, { ifNoneMatch: '*' })),
    );
    const won = results.filter((result) => result.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const result of results) {
      if (result.status === 'rejected') expect(isStorageError(result.reason, 'AlreadyExists')).toBe(true);
    }
    const stored = await store.get('race/once.txt');
    const bytes = await collectBytes(stored.body);
    expect(stored.sha256).toBe(sha256Base64(bytes, nodeSha256));
    expect(await names(TEMPORARY_DIRECTORY)).toEqual([]);
    expect(await recordCount()).toBe(1);
  });

  it('serves ranges of a large object from the right offsets', async () => {
    const bytes = Uint8Array.from({ length: 3 * 1024 * 1024 + 17 }, (_, index) => (index * 13) % 256);
    await store.put('big/file.bin', bytes);
    for (const [range, start, end] of [
      [{ start: 0, end: 0 }, 0, 0],
      [{ start: 1024 * 1024 - 3, end: 2 * 1024 * 1024 + 5 }, 1024 * 1024 - 3, 2 * 1024 * 1024 + 5],
      [{ suffix: 17 }, bytes.length - 17, bytes.length - 1],
      [{ start: bytes.length - 1 }, bytes.length - 1, bytes.length - 1],
    ] as const) {
      const got = await store.get('big/file.bin', { range });
      expect(got.range).toEqual({ start, end });
      expect(got.size).toBe(bytes.length);
      expect(Buffer.from(await collectBytes(got.body)).equals(Buffer.from(bytes.subarray(start, end + 1)))).toBe(true);
    }
    expect((await rejection(store.get('big/file.bin', { range: { start: bytes.length } }))).code).toBe('InvalidRange');
  });

  it('serves a range from the size the file has now when it changed behind the store since it was last seen', async () => {
    const before = Uint8Array.from({ length: 300_000 }, (_, index) => index % 251);
    await store.put('resized/file.bin', before);
    // Remembered at 300,000 bytes; rewritten by hand (another process) at another size.
    const after = Uint8Array.from({ length: 200_000 }, (_, index) => (index * 3) % 256);
    const handle = await backing.fs.open(join(backing.root, 'resized/file.bin'), 'w');
    await handle.writev([after]);
    await handle.close();
    for (const [range, start, end] of [
      [{ suffix: 1000 }, 199_000, 199_999],
      [{ start: 150_000 }, 150_000, 199_999],
      [{ start: 10, end: 250_000 }, 10, 199_999],
    ] as const) {
      const got = await store.get('resized/file.bin', { range });
      expect(got.range).toEqual({ start, end });
      expect(got.size).toBe(after.length);
      expect(Buffer.from(await collectBytes(got.body)).equals(Buffer.from(after.subarray(start, end + 1)))).toBe(true);
    }
    expect((await rejection(store.get('resized/file.bin', { range: { start: 250_000 } }))).code).toBe('InvalidRange');
  });

  it('hands out every chunk in a buffer of its own, whole objects and ranges', async () => {
    const bytes = Uint8Array.from({ length: 3 * 1024 * 1024 + 5 }, (_, index) => (index * 11) % 256);
    await store.put('chunks/file.bin', bytes);
    for (const range of [undefined, { start: 100_000, end: 2_900_000 }]) {
      const got = await store.get('chunks/file.bin', { range });
      // Kept, not copied: a store reusing a buffer would overwrite chunks already handed out.
      const received: Uint8Array[] = [];
      for await (const chunk of got.body) received.push(chunk);
      expect(new Set(received.map((chunk) => chunk.buffer)).size).toBe(received.length);
      expect(received.length).toBeGreaterThan(1);
      const expected = range === undefined ? bytes : bytes.subarray(range.start, range.end + 1);
      expect(Buffer.concat(received).equals(Buffer.from(expected))).toBe(true);
    }
  });

  it('reads whole objects of every size around its first read, and hands out a small one in a buffer of its size', async () => {
    for (const size of [
      0,
      1,
      4096,
      64 * 1024,
      64 * 1024 + 1,
      128 * 1024 - 1,
      128 * 1024,
      128 * 1024 + 1,
      256 * 1024 + 1,
      1024 * 1024 - 1,
      1024 * 1024,
      1024 * 1024 + 1,
      2 * 1024 * 1024 + 3,
    ]) {
      const bytes = Uint8Array.from({ length: size }, (_, index) => (index * 7 + size) % 256);
      await store.put(`sizes/${size.toString()}.bin`, bytes);
      const chunks: Uint8Array[] = [];
      for await (const chunk of (await store.get(`sizes/${size.toString()}.bin`)).body) chunks.push(chunk);
      expect(Buffer.concat(chunks).equals(Buffer.from(bytes))).toBe(true);
      // A reader keeping a small object must not keep a whole read chunk alive with it.
      if (size > 0 && size <= 64 * 1024) expect(chunks.map((chunk) => chunk.buffer.byteLength)).toEqual([size]);
      // A large object comes in chunks of at most 1 MiB, each in a buffer of its own size.
      for (const chunk of chunks) expect(chunk.buffer.byteLength).toBeLessThanOrEqual(1024 * 1024);
    }
  });

  it('hands out a large object in chunks of at most 1 MiB through its stream and of at most 128 KiB as plain chunks', async () => {
    const bytes = Uint8Array.from({ length: 3 * 1024 * 1024 + 5 }, (_, index) => (index * 17) % 256);
    await store.put('chunks/file.bin', bytes);
    for (const [read, most] of [
      [async (fresh: LocalStore) => (await fresh.get('chunks/file.bin')).body, 1024 * 1024],
      [async (fresh: LocalStore) => readResultBody(await fresh.get('chunks/file.bin')), 128 * 1024],
    ] as const) {
      // A fresh store each time: nothing remembered, as in a migration, so the first read is a short one.
      const fresh = await LocalStore.open({ root: backing.root, fs: backing.fs });
      const sizes: number[] = [];
      const received: Uint8Array[] = [];
      for await (const chunk of await read(fresh)) {
        sizes.push(chunk.byteLength);
        received.push(chunk);
      }
      expect(Buffer.concat(received).equals(Buffer.from(bytes))).toBe(true);
      expect(Math.max(...sizes)).toBe(most);
    }
  });

  it('hands out bytes as plain chunks (readResultBody), closing the file at the end, when dropped unread, or on abort', async () => {
    const counting = countingOpenFiles(backing.fs);
    const counted = await LocalStore.open({ root: backing.root, fs: counting.fs });
    const bytes = Uint8Array.from({ length: 2 * 1024 * 1024 + 3 }, (_, index) => (index * 31) % 256);
    await counted.put('plain/file.bin', bytes);
    const allClosed = (): Promise<void> =>
      vi.waitFor(() => {
        expect(counting.open()).toBe(0);
      });
    await allClosed();

    const whole = readResultBody(await counted.get('plain/file.bin'));
    expect(whole).not.toBeInstanceOf(ReadableStream);
    expect((await gather(whole)).equals(Buffer.from(bytes))).toBe(true);
    await allClosed();

    const ranged = readResultBody(await counted.get('plain/file.bin', { range: { start: 5, end: 300_000 } }));
    expect((await gather(ranged)).equals(Buffer.from(bytes.subarray(5, 300_001)))).toBe(true);
    await allClosed();

    const dropped = readResultBody(await counted.get('plain/file.bin'));
    await dropped[Symbol.asyncIterator]().return?.();
    await allClosed();

    const controller = new AbortController();
    const aborted = readResultBody(await counted.get('plain/file.bin', { signal: controller.signal }))[
      Symbol.asyncIterator
    ]();
    expect((await aborted.next()).done).toBe(false);
    controller.abort();
    expect((await rejection(aborted.next())).code).toBe('Aborted');
    await allClosed();
  });

  it('reads a body once: chunks taken first leave the stream failing, a stream taken first is what chunks give', async () => {
    await store.put('once/file.txt', 'hello');
    const chunksFirst = await store.get('once/file.txt');
    const chunks = readResultBody(chunksFirst);
    expect((await rejection(collectBytes(chunksFirst.body))).code).toBe('InvalidArgument');
    expect((await gather(chunks)).toString()).toBe('hello');
    const streamFirst = await store.get('once/file.txt');
    const stream = streamFirst.body;
    expect(readResultBody(streamFirst)).toBe(stream);
    expect((await gather(stream)).toString()).toBe('hello');
  });
});
