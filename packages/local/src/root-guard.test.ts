import { lstat, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectBytes, isStorageError } from '@stowage/core';
import { blockingNodeFileSystem, nodeFileSystem } from './file-system.ts';
import type { LocalFileSystem } from './file-system.ts';
import { LocalStore } from './local-store.ts';

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return isStorageError(error) ? error.code : `not a StorageError: ${String(error)}`;
  }
}

/** `fs` with open files that cannot tell where they are, so reads prove their directory instead. */
function withoutDescriptorPaths(fs: LocalFileSystem): LocalFileSystem {
  return {
    ...fs,
    open: async (path, flags) => {
      const handle = await fs.open(path, flags);
      return {
        read: handle.read.bind(handle),
        writev: handle.writev.bind(handle),
        datasync: handle.datasync.bind(handle),
        stat: handle.stat.bind(handle),
        close: handle.close.bind(handle),
      };
    },
  };
}

/** Blocking calls with a count of the paths they resolved. */
function countingRealpaths(): {
  readonly fs: LocalFileSystem;
  readonly count: () => number;
  readonly reset: () => void;
} {
  let realpaths = 0;
  const fs: LocalFileSystem = {
    ...blockingNodeFileSystem,
    realpath: (path) => {
      realpaths++;
      return blockingNodeFileSystem.realpath(path);
    },
  };
  return {
    fs,
    count: () => realpaths,
    reset: () => {
      realpaths = 0;
    },
  };
}

const fileSystems: readonly (readonly [string, LocalFileSystem])[] = [
  ['the pool', nodeFileSystem],
  ['blocking calls', blockingNodeFileSystem],
  ['no descriptor paths', withoutDescriptorPaths(nodeFileSystem)],
];

// Real symbolic links on a real temporary directory: memfs cannot show what the kernel resolves.
describe.each(fileSystems)('LocalStore confinement to its root (file system: %s)', (_name, fs) => {
  let sandbox: string;
  let root: string;
  let outside: string;
  let store: LocalStore;

  beforeEach(async () => {
    sandbox = await mkdtemp(join(tmpdir(), 'stowage-confine-'));
    root = join(sandbox, 'root');
    outside = join(sandbox, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'secret.txt'), 'secret');
    store = await LocalStore.open({ root, fs });
    await symlink(outside, join(root, 'out'));
    await symlink(join(outside, 'secret.txt'), join(root, 'secret-link.txt'));
  });
  afterEach(async () => {
    await rm(sandbox, { recursive: true, force: true });
  });

  it('refuses to read through a directory link that leads out', async () => {
    expect(await code(store.get('out/secret.txt'))).toBe('AccessDenied');
    expect(await code(store.head('out/secret.txt'))).toBe('AccessDenied');
    expect(await code(store.copy('out/secret.txt', 'stolen.txt'))).toBe('AccessDenied');
    expect(await store.head('stolen.txt')).toBeUndefined();
  });

  it('refuses to read a file link that leads out', async () => {
    expect(await code(store.get('secret-link.txt'))).toBe('AccessDenied');
  });

  it('refuses to write through a link that leads out, creating nothing outside', async () => {
    expect(await code(store.put('out/new.txt', 'x'))).toBe('AccessDenied');
    expect(await code(store.put('out/deeper/still/new.txt', 'x'))).toBe('AccessDenied');
    expect(await code(store.put('secret-link.txt', 'overwritten'))).toBe('AccessDenied');
    expect(await code(store.put('out/secret.txt', 'overwritten', { ifNoneMatch: '*' }))).toBe('AccessDenied');
    expect(await code(store.put('out/other.txt', 'created', { ifNoneMatch: '*' }))).toBe('AccessDenied');
    expect((await readdir(outside)).sort()).toEqual(['secret.txt']);
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
  });

  it('refuses to delete through a link that leads out, and keeps the target', async () => {
    expect(await code(store.delete('out/secret.txt'))).toBe('AccessDenied');
    expect(await code(store.delete('secret-link.txt'))).toBe('AccessDenied');
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
  });

  it('lists nothing reached through a link that leads out', async () => {
    await store.put('inside.txt', 'in');
    const keys: string[] = [];
    for await (const summary of store.list()) keys.push(summary.key);
    expect(keys).toEqual(['inside.txt']);
    for await (const summary of store.list({ prefix: 'out/' })) keys.push(summary.key);
    expect(keys).toEqual(['inside.txt']);
  });

  it('refuses a link into its own reserved directory', async () => {
    await store.put('real/file.txt', 'x');
    await symlink(join(root, '.stowage'), join(root, 'records'));
    expect(await code(store.get('records/tmp'))).toBe('AccessDenied');
    expect(await code(store.put('records/meta/forged.json', '{}'))).toBe('AccessDenied');
  });

  it('follows links that stay inside the root, and deletes the link, not its target', async () => {
    await store.put('real/photo.png', 'photo');
    await symlink(join(root, 'real'), join(root, 'alias'));
    await symlink(join(root, 'real', 'photo.png'), join(root, 'photo-link.png'));
    expect(new TextDecoder().decode(await collectBytes((await store.get('alias/photo.png')).body))).toBe('photo');
    expect((await store.head('photo-link.png'))?.size).toBe(5);
    await store.delete('photo-link.png');
    expect((await store.head('real/photo.png'))?.size).toBe(5);
  });

  it('works when the root itself is reached through a link', async () => {
    const linkedRoot = join(sandbox, 'linked-root');
    await symlink(root, linkedRoot);
    const linked = await LocalStore.open({ root: linkedRoot, fs });
    await linked.put('via/link.txt', 'ok');
    expect((await lstat(join(root, 'via', 'link.txt'))).isFile()).toBe(true);
    expect(await code(linked.get('out/secret.txt'))).toBe('AccessDenied');
  });
});

describe('LocalStore reads proven by the open descriptor', () => {
  it.runIf(process.platform === 'linux')(
    'resolves no path to read a file on Linux, and still refuses one reached through a link that leads out',
    async () => {
      const sandbox = await mkdtemp(join(tmpdir(), 'stowage-descriptor-'));
      try {
        const root = join(sandbox, 'root');
        await mkdir(join(sandbox, 'outside'));
        await writeFile(join(sandbox, 'outside', 'secret.txt'), 'secret');
        const counting = countingRealpaths();
        const store = await LocalStore.open({ root, fs: counting.fs });
        await store.put('a/b/c.txt', 'inside');
        await symlink(join(sandbox, 'outside'), join(root, 'out'));
        counting.reset();
        expect(new TextDecoder().decode(await collectBytes((await store.get('a/b/c.txt')).body))).toBe('inside');
        expect(counting.count()).toBe(0);
        expect(await code(store.get('out/secret.txt'))).toBe('AccessDenied');
      } finally {
        await rm(sandbox, { recursive: true, force: true });
      }
    },
  );
});

describe('LocalStore listings', () => {
  it('prove only the directory they start in, and still leave out what a link leads to', async () => {
    const sandbox = await mkdtemp(join(tmpdir(), 'stowage-walk-'));
    try {
      const root = join(sandbox, 'root');
      await mkdir(join(sandbox, 'outside', 'deep'), { recursive: true });
      await writeFile(join(sandbox, 'outside', 'deep', 'secret.txt'), 'secret');
      const counting = countingRealpaths();
      const store = await LocalStore.open({ root, fs: counting.fs });
      for (const key of ['a/b/c.txt', 'a/b/d/e.txt', 'a/f/g.txt', 'h.txt']) await store.put(key, key);
      await symlink(join(sandbox, 'outside'), join(root, 'a', 'out'));
      const keys = async (prefix?: string): Promise<string[]> => {
        const listed: string[] = [];
        for await (const summary of store.list({ prefix })) listed.push(summary.key);
        return listed;
      };
      counting.reset();
      expect(await keys()).toEqual(['a/b/c.txt', 'a/b/d/e.txt', 'a/f/g.txt', 'h.txt']);
      // The link itself is resolved (it is listed as a possible file); no directory entered from a listing is.
      expect(counting.count()).toBe(1);
      counting.reset();
      expect(await keys('a/b/')).toEqual(['a/b/c.txt', 'a/b/d/e.txt']);
      expect(counting.count()).toBe(1);
      expect(await keys('a/out/')).toEqual([]);
    } finally {
      await rm(sandbox, { recursive: true, force: true });
    }
  });
});
