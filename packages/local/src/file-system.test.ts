import { mkdir, mkdtemp, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as fdCalls from 'node:fs';
import { blockingNodeFileSystem, descriptorPathsWork, nodeFileSystem, pathText, readSmallFile } from './file-system.ts';
import type { DescriptorProbeCalls, LocalFileSystem } from './file-system.ts';

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'stowage-fs-'));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

/**
 * Whether `call` settles within the current task, its microtasks drained, before the event loop runs any other
 * callback (a thread pool's answer can only arrive in one). It starts on a fresh turn of the loop: blocking calls
 * made back to back for a few milliseconds let the loop turn on purpose.
 */
async function settlesBeforeTheLoopTurns(call: () => Promise<unknown>): Promise<boolean> {
  await new Promise((resolve) => setImmediate(resolve));
  const state = { settled: false };
  const settling = call().then(() => {
    state.settled = true;
  });
  for (let microtask = 0; microtask < 100 && !state.settled; microtask++) await Promise.resolve();
  const result = state.settled;
  await settling;
  return result;
}

describe('blockingNodeFileSystem', () => {
  it('answers on the calling thread, before the event loop turns, where the pool answers after', async () => {
    await writeFile(join(directory, 'a'), 'bytes');
    expect(await settlesBeforeTheLoopTurns(() => blockingNodeFileSystem.lstat(join(directory, 'a')))).toBe(true);
    expect(
      await settlesBeforeTheLoopTurns(() => blockingNodeFileSystem.readdir(directory, { withFileTypes: true })),
    ).toBe(true);
    expect(await settlesBeforeTheLoopTurns(() => readSmallFile(blockingNodeFileSystem, join(directory, 'a')))).toBe(
      true,
    );
    expect(await settlesBeforeTheLoopTurns(() => nodeFileSystem.lstat(join(directory, 'a')))).toBe(false);
  });

  it('lets the event loop turn during a long run of calls', async () => {
    await writeFile(join(directory, 'a'), 'bytes');
    const loop = { turned: false };
    setImmediate(() => {
      loop.turned = true;
    });
    const began = performance.now();
    let calls = 0;
    while (!loop.turned && performance.now() - began < 1_000) {
      await blockingNodeFileSystem.lstat(join(directory, 'a'));
      calls++;
    }
    expect(loop.turned).toBe(true);
    expect(calls).toBeGreaterThan(1);
  });

  it('rejects (never throws) with the native error and its code', async () => {
    const missing = join(directory, 'missing');
    const fs: LocalFileSystem = blockingNodeFileSystem;
    const calls: (() => Promise<unknown>)[] = [
      () => fs.lstat(missing),
      () => fs.stat(missing),
      () => fs.open(missing, fs.constants.O_RDONLY),
      () => fs.readdir(missing, { withFileTypes: true }),
      () => fs.realpath(missing),
      () => fs.unlink(missing),
      () => fs.rename(missing, join(directory, 'b')),
      () => fs.rmdir(missing),
    ];
    for (const call of calls) {
      let result: Promise<unknown> | undefined;
      expect(() => {
        result = call();
      }).not.toThrow();
      await expect(result).rejects.toMatchObject({ code: 'ENOENT' });
    }
    await writeFile(join(directory, 'file'), 'x');
    await expect(fs.mkdir(join(directory, 'file', 'below'), { recursive: true })).rejects.toMatchObject({
      code: 'ENOTDIR',
    });
    await expect(fs.link(join(directory, 'file'), join(directory, 'file'))).rejects.toMatchObject({ code: 'EEXIST' });
  });

  it('writes, syncs, reads and renames a file as the pool does', async () => {
    const fs = blockingNodeFileSystem;
    const temporary = join(directory, 'temporary');
    const handle = await fs.open(temporary, 'wx');
    const first = new TextEncoder().encode('hello, ');
    const second = new TextEncoder().encode('world');
    expect((await handle.writev([first, second])).bytesWritten).toBe(12);
    await handle.datasync();
    await handle.sync?.();
    expect(Number((await handle.stat()).size)).toBe(12);
    await handle.close();
    await expect(fs.open(temporary, 'wx')).rejects.toMatchObject({ code: 'EEXIST' });

    await fs.mkdir(join(directory, 'a', 'b'), { recursive: true });
    await fs.rename(temporary, join(directory, 'a', 'b', 'final'));
    const reader = await fs.open(join(directory, 'a', 'b', 'final'), fs.constants.O_RDONLY);
    const buffer = new Uint8Array(5);
    expect((await reader.read(buffer, 0, 5, 7)).bytesRead).toBe(5);
    expect(new TextDecoder().decode(buffer)).toBe('world');
    expect((await reader.read(buffer, 0, 5, 12)).bytesRead).toBe(0);
    await reader.close();
    expect(await readFile(join(directory, 'a', 'b', 'final'), 'utf8')).toBe('hello, world');

    const entries = await fs.readdir(join(directory, 'a'), { withFileTypes: true });
    expect(
      entries.map((entry) => (typeof entry === 'object' && 'name' in entry ? pathText(entry.name) : pathText(entry))),
    ).toEqual(['b']);
  });

  it('refuses a link as the last segment with O_NOFOLLOW and resolves one with realpath', async () => {
    const fs = blockingNodeFileSystem;
    await writeFile(join(directory, 'target'), 'x');
    await symlink(join(directory, 'target'), join(directory, 'link'));
    const noFollow = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0);
    await expect(fs.open(join(directory, 'link'), noFollow)).rejects.toMatchObject({ code: 'ELOOP' });
    expect(pathText(await fs.realpath(join(directory, 'link')))).toBe(
      pathText(await fs.realpath(join(directory, 'target'))),
    );
    expect((await fs.lstat(join(directory, 'link'))).isSymbolicLink()).toBe(true);
    expect((await fs.stat(join(directory, 'link'))).isFile()).toBe(true);
  });
});

describe.each([
  ['nodeFileSystem', nodeFileSystem],
  ['blockingNodeFileSystem', blockingNodeFileSystem],
  ['a file system without openIfPresent', { ...blockingNodeFileSystem, openIfPresent: undefined }],
])('readSmallFile on %s', (_name, fs: LocalFileSystem) => {
  it('reads a whole file, also one larger than its read buffer', async () => {
    const long = 'é'.repeat(20_000);
    await writeFile(join(directory, 'long'), long);
    await writeFile(join(directory, 'short'), 'bytes');
    expect(await readSmallFile(fs, join(directory, 'long'))).toBe(long);
    expect(await readSmallFile(fs, join(directory, 'short'))).toBe('bytes');
  });

  it('resolves undefined where nothing is, or a file stands in for a directory', async () => {
    await writeFile(join(directory, 'file'), 'x');
    expect(await readSmallFile(fs, join(directory, 'missing'))).toBeUndefined();
    expect(await readSmallFile(fs, join(directory, 'missing', 'deeper'))).toBeUndefined();
    expect(await readSmallFile(fs, join(directory, 'file', 'inside'))).toBeUndefined();
  });

  it('rejects with the native error for anything else', async () => {
    await mkdir(join(directory, 'dir'));
    await expect(readSmallFile(fs, join(directory, 'dir'))).rejects.toMatchObject({ code: 'EISDIR' });
  });
});

describe('blockingNodeFileSystem.openIfPresent', () => {
  it('opens a file that is there and resolves undefined for one that is not', async () => {
    const fs = blockingNodeFileSystem;
    await writeFile(join(directory, 'file'), 'bytes');
    const handle = await fs.openIfPresent?.(join(directory, 'file'), fs.constants.O_RDONLY);
    expect(handle).toBeDefined();
    try {
      const buffer = new Uint8Array(16);
      const { bytesRead } = (await handle?.read(buffer, 0, 16, 0)) ?? { bytesRead: 0 };
      expect(pathText(buffer.subarray(0, bytesRead))).toBe('bytes');
    } finally {
      await handle?.close();
    }
    expect(await fs.openIfPresent?.(join(directory, 'missing'), fs.constants.O_RDONLY)).toBeUndefined();
  });
});

describe.each([
  ['nodeFileSystem', nodeFileSystem],
  ['blockingNodeFileSystem', blockingNodeFileSystem],
])('%s open files', (_name, fs: LocalFileSystem) => {
  it.runIf(process.platform === 'linux')('tell where they are, links resolved, also once unlinked', async () => {
    await mkdir(join(directory, 'real'));
    await writeFile(join(directory, 'real', 'file'), 'x');
    await symlink(join(directory, 'real'), join(directory, 'alias'));
    const real = pathText(await fs.realpath(join(directory, 'real', 'file')));
    const handle = await fs.open(join(directory, 'alias', 'file'), fs.constants.O_RDONLY);
    try {
      expect(await handle.resolvedPath?.()).toBe(real);
      await unlink(join(directory, 'real', 'file'));
      expect(await handle.resolvedPath?.()).toBe(real);
    } finally {
      await handle.close();
    }
  });
});

describe('descriptorPathsWork', () => {
  it.runIf(process.platform === 'linux')("holds for this runtime's node:fs on Linux", () => {
    expect(descriptorPathsWork(fdCalls, fdCalls.constants.O_RDONLY)).toBe(true);
  });

  // A runtime whose descriptor numbers are its own: /proc/self/fd/N is some other file of the process, or nothing.
  const ownNumbers = (link: (path: string) => string): DescriptorProbeCalls => ({
    openSync: () => 7,
    readlinkSync: link,
    fstatSync: () => ({ dev: 1, ino: 2 }),
    statSync: (path) => (path === '/' ? { dev: 1, ino: 2 } : { dev: 1, ino: 99 }),
    closeSync: () => undefined,
  });

  it('fails where the number names another file, where it names nothing, and where nothing can be opened', () => {
    expect(
      descriptorPathsWork(
        ownNumbers(() => '/var/log/deno.log'),
        0,
      ),
    ).toBe(false);
    expect(
      descriptorPathsWork(
        ownNumbers(() => {
          throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
        }),
        0,
      ),
    ).toBe(false);
    expect(
      descriptorPathsWork(
        {
          ...ownNumbers(() => '/'),
          openSync: () => {
            throw new Error('EACCES');
          },
        },
        0,
      ),
    ).toBe(false);
    expect(
      descriptorPathsWork(
        ownNumbers(() => '/'),
        0,
      ),
    ).toBe(true);
  });

  it('closes what it opened', () => {
    const closed: number[] = [];
    descriptorPathsWork({ ...ownNumbers(() => '/elsewhere'), closeSync: (fd) => closed.push(fd) }, 0);
    expect(closed).toEqual([7]);
  });
});
