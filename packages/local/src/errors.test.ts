import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectBytes, isStorageError } from '@stowage/core';
import type { StorageError } from '@stowage/core';
import { Volume, createFsFromVolume } from 'memfs';
import { memfsBacking } from '../test/backings.ts';
import { faultyFileSystem, nativeError } from '../test/faulty-file-system.ts';
import type { FsCall } from '../test/faulty-file-system.ts';
import { fsError } from './errors.ts';
import { pathText } from './file-system.ts';
import type { LocalFileHandle, LocalFileSystem } from './file-system.ts';
import { TEMPORARY_DIRECTORY } from './layout.ts';
import { LocalStore } from './local-store.ts';

async function rejection(promise: Promise<unknown>): Promise<StorageError> {
  try {
    await promise;
  } catch (error) {
    if (isStorageError(error)) return error;
    throw new Error(`expected a StorageError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected a rejection');
}

/** A store whose file system fails the calls `failing` picks, with the native error `code`. */
async function storeFailing(
  code: string,
  failing: (call: FsCall) => boolean,
): Promise<{ store: LocalStore; healthy: LocalStore; temporaries: () => Promise<string[]> }> {
  const backing = memfsBacking();
  const healthy = await LocalStore.open({ root: backing.root, fs: backing.fs });
  await healthy.put('kept/object.txt', 'the old bytes', { contentType: 'text/x-kept' });
  let armed = false;
  const { fs } = faultyFileSystem(backing.fs, (call) =>
    armed && failing(call) ? nativeError(code, call.method) : undefined,
  );
  const store = await LocalStore.open({ root: backing.root, fs });
  armed = true;
  const temporaries = async (): Promise<string[]> => {
    const found = await backing.fs.readdir(join(backing.root, TEMPORARY_DIRECTORY), { withFileTypes: true });
    return found.map((entry) =>
      typeof entry === 'string' || entry instanceof Uint8Array ? pathText(entry) : pathText(entry.name),
    );
  };
  return { store, healthy, temporaries };
}

/**
 * A memfs whose fsync gives every regular file a new mtime, as an NFS server stamping the data it receives does.
 * `statfsType`, when given, is the file-system magic number its `statfs` reports.
 */
function stampingFileSystem(later: Date, statfsType?: number): { fs: LocalFileSystem; handleStats: () => number } {
  const base = createFsFromVolume(new Volume()).promises;
  let handleStats = 0;
  const fs: LocalFileSystem = {
    constants: base.constants,
    open: async (path, flags) => {
      const handle = await base.open(path, flags);
      const synced: LocalFileHandle = {
        read: (...args) => handle.read(...args),
        writev: (...args) => handle.writev(...args),
        datasync: () => handle.datasync(),
        stat: () => {
          handleStats++;
          return handle.stat();
        },
        close: () => handle.close(),
        sync: async () => {
          await handle.datasync();
          if ((await handle.stat()).isFile()) await handle.utimes(later, later);
        },
      };
      return synced;
    },
    mkdir: (path, options) => base.mkdir(path, options),
    readdir: (path, options) => base.readdir(path, options),
    readFile: (path) => base.readFile(path),
    realpath: (path) => base.realpath(path),
    lstat: (path) => base.lstat(path),
    stat: (path) => base.stat(path),
    rename: (from, to) => base.rename(from, to),
    link: (existing, created) => base.link(existing, created),
    unlink: (path) => base.unlink(path),
    rmdir: (path) => base.rmdir(path),
    ...(statfsType === undefined ? {} : { statfs: () => Promise.resolve({ type: statfsType }) }),
  };
  return { fs, handleStats: () => handleStats };
}

describe('file systems that move the modification time during fsync (as NFS does)', () => {
  it.each([
    ['one without statfs', undefined],
    ['NFS by its statfs magic number', 0x6969],
  ])('%s: the record is still bound to the version that is finally on disk', async (_name, statfsType) => {
    const later = new Date(Date.now() + 60_000);
    const { fs, handleStats } = stampingFileSystem(later, statfsType);
    const store = await LocalStore.open({ root: '/nfs', fs });
    const stored = await store.put('n/file.txt', 'stamped late', {
      contentType: 'text/x-stamped',
      metadata: { m: '1' },
    });
    // Once to name the version, once more after the fsync to see whether the version moved.
    expect(handleStats()).toBe(2);
    const info = await store.head('n/file.txt');
    expect(info).toMatchObject({ contentType: 'text/x-stamped', metadata: { m: '1' }, etag: stored.etag });
    expect(info?.lastModified).toEqual(later);
    expect(await store.cleanup(0)).toEqual({ temporaries: 0, records: 0 });
  });

  it('on a local disk (ext4 by its statfs magic number) a put stats the file once, trusting the mtime it was written with', async () => {
    const later = new Date(Date.now() + 60_000);
    const { fs, handleStats } = stampingFileSystem(later, 0xef53);
    const store = await LocalStore.open({ root: '/ext4', fs });
    const stored = await store.put('n/file.txt', 'stamped at write', { metadata: { m: '1' } });
    expect(handleStats()).toBe(1);
    // This fake disk does move the mtime, which ext4 never does: the record then names a version no file has.
    expect(stored.lastModified).not.toEqual(later);
  });
});

describe('native file-system errors', () => {
  it.each([
    ['ENOENT', 'NotFound'],
    ['ENOTDIR', 'NotFound'],
    ['EACCES', 'AccessDenied'],
    ['EPERM', 'AccessDenied'],
    ['EROFS', 'AccessDenied'],
    ['ELOOP', 'AccessDenied'],
    ['EEXIST', 'AlreadyExists'],
    ['ENOSPC', 'Unavailable'],
    ['EDQUOT', 'Unavailable'],
    ['EMFILE', 'Unavailable'],
    ['EIO', 'Unavailable'],
    ['ENAMETOOLONG', 'InvalidKey'],
    ['EWHATEVER', 'Unavailable'],
  ])('%s becomes %s with the native error as cause and the key in the message', (errno, expected) => {
    const native = nativeError(errno, 'open');
    const error = fsError(native, 'read', 'a/b.txt');
    expect(error.code).toBe(expected);
    expect(error.cause).toBe(native);
    expect(error.key).toBe('a/b.txt');
    expect(error.message).toContain('"a/b.txt"');
    expect(error.message).toContain(errno);
  });

  it('a disk that fills up mid-put gives Unavailable naming the cause, keeps the old object and leaves no temporary', async () => {
    const { store, healthy, temporaries } = await storeFailing('ENOSPC', (call) => call.method === 'handle.writev');
    const error = await rejection(store.put('kept/object.txt', new Uint8Array(2 * 1024 * 1024)));
    expect(error.code).toBe('Unavailable');
    expect(error.message).toContain('disk is full');
    expect((error.cause as { code?: string }).code).toBe('ENOSPC');
    const kept = await healthy.get('kept/object.txt');
    expect(kept.contentType).toBe('text/x-kept');
    expect(new TextDecoder().decode(await collectBytes(kept.body))).toBe('the old bytes');
    expect(await temporaries()).toEqual([]);
  });

  it('a large body is sent to the disk while it is still arriving; a failure there fails the put and keeps the old object', async () => {
    const MiB = 1024 * 1024;
    const body = (): ReadableStream<Uint8Array> => {
      let left = 70;
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (left-- === 0) controller.close();
          else controller.enqueue(new Uint8Array(MiB).fill(left % 251));
        },
      });
    };
    const backing = memfsBacking();
    const { fs, calls } = faultyFileSystem(backing.fs, () => undefined);
    const store = await LocalStore.open({ root: backing.root, fs });
    const before = calls.length;
    const stored = await store.put('big/early.bin', body());
    expect(stored.size).toBe(70 * MiB);
    // Two writebacks on the way (at 32 and 64 MiB), then the fsync that ends the put.
    expect(calls.slice(before).filter((call) => call.method === 'handle.datasync')).toHaveLength(2);

    const {
      store: failing,
      healthy,
      temporaries,
    } = await storeFailing('EIO', (call) => call.method === 'handle.datasync');
    const error = await rejection(failing.put('kept/object.txt', body()));
    expect(error.code).toBe('Unavailable');
    expect((error.cause as { code?: string }).code).toBe('EIO');
    expect(new TextDecoder().decode(await collectBytes((await healthy.get('kept/object.txt')).body))).toBe(
      'the old bytes',
    );
    expect(await temporaries()).toEqual([]);
  });

  it('an fsync failing after the directories were made leaves neither the object nor its directories', async () => {
    const backing = memfsBacking();
    // Opened once on the healthy file system: its own directories are made (and synced) then, not by the put.
    await LocalStore.open({ root: backing.root, fs: backing.fs });
    const { fs } = faultyFileSystem(backing.fs, (call) =>
      call.method === 'handle.sync' ? nativeError('EIO', 'fsync') : undefined,
    );
    const store = await LocalStore.open({ root: backing.root, fs });
    const error = await rejection(store.put('fresh/deep/new.txt', 'never durable'));
    expect(error.code).toBe('Unavailable');
    const rootEntries = await backing.fs.readdir(backing.root, { withFileTypes: true });
    expect(
      rootEntries.map((entry) =>
        typeof entry === 'string' || entry instanceof Uint8Array ? pathText(entry) : pathText(entry.name),
      ),
    ).toEqual(['.stowage']);
  });

  it('running out of file descriptors gives Unavailable for puts and gets', async () => {
    const { store } = await storeFailing('EMFILE', (call) => call.method === 'open');
    const put = await rejection(store.put('new.txt', 'x'));
    expect(put.code).toBe('Unavailable');
    expect(put.message).toContain('too many open files');
    expect((await rejection(store.get('kept/object.txt'))).code).toBe('Unavailable');
  });

  it('permission errors give AccessDenied on put, get, list and delete', async () => {
    const { store, healthy } = await storeFailing('EACCES', (call) =>
      ['rename', 'open', 'readdir', 'unlink'].includes(call.method),
    );
    expect((await rejection(store.put('kept/object.txt', 'new'))).code).toBe('AccessDenied');
    expect((await rejection(store.get('kept/object.txt'))).code).toBe('AccessDenied');
    expect((await rejection(store.delete('kept/object.txt'))).code).toBe('AccessDenied');
    const listing = store.list()[Symbol.asyncIterator]();
    expect((await rejection(listing.next())).code).toBe('AccessDenied');
    expect(await healthy.head('kept/object.txt')).toMatchObject({ size: 13 });
  });

  it('deleteMany reports every key it could not delete', async () => {
    const { store, healthy } = await storeFailing(
      'EBUSY',
      (call) => call.method === 'unlink' && (call.path ?? '').includes('busy'),
    );
    await healthy.put('busy/1.txt', '1');
    await healthy.put('busy/2.txt', '2');
    await healthy.put('free/3.txt', '3');
    const error = await rejection(store.deleteMany(['busy/1.txt', 'free/3.txt', 'busy/2.txt']));
    expect(error.code).toBe('Unavailable');
    expect(error.message).toContain('2 keys were not deleted');
    expect(error.message).toContain('"busy/1.txt"');
    expect(error.message).toContain('"busy/2.txt"');
    expect(await healthy.head('free/3.txt')).toBeUndefined();
    expect(await healthy.head('busy/2.txt')).toBeDefined();
  });

  it('an unusable root fails opening with a typed error and a later open can still succeed', async () => {
    const backing = memfsBacking();
    let failing = true;
    const { fs } = faultyFileSystem(backing.fs, (call) =>
      failing && call.method === 'mkdir' ? nativeError('EACCES', 'mkdir') : undefined,
    );
    const store = new LocalStore({ root: backing.root, fs });
    expect((await rejection(store.put('a.txt', 'x'))).code).toBe('AccessDenied');
    failing = false;
    expect(await store.put('a.txt', 'x')).toMatchObject({ key: 'a.txt', size: 1 });
  });
});
