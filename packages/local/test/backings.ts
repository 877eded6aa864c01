import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Volume, createFsFromVolume } from 'memfs';
import { blockingNodeFileSystem, nodeFileSystem } from '../src/file-system.ts';
import type { LocalFileSystem } from '../src/file-system.ts';

/** A file system and a root on it for one test, and how to throw both away. */
export interface Backing {
  readonly fs: LocalFileSystem;
  readonly root: string;
  dispose(): Promise<void>;
}

export function memfsBacking(): Backing {
  const fs: LocalFileSystem = createFsFromVolume(new Volume()).promises;
  return { fs, root: '/store', dispose: () => Promise.resolve() };
}

async function diskBackingWith(fs: LocalFileSystem): Promise<Backing> {
  const directory = await mkdtemp(join(tmpdir(), 'stowage-local-'));
  return { fs, root: join(directory, 'root'), dispose: () => rm(directory, { recursive: true, force: true }) };
}

/** A temporary directory on the real disk, reached through libuv's pool as a server reaches it. */
export function diskBacking(): Promise<Backing> {
  return diskBackingWith(nodeFileSystem);
}

/** A temporary directory on the real disk, reached by calls on the calling thread as batch tools reach it. */
export function blockingDiskBacking(): Promise<Backing> {
  return diskBackingWith(blockingNodeFileSystem);
}

/** Both backings the store supports, for `describe.each`. */
export const BACKINGS: readonly { readonly name: string; readonly make: () => Backing | Promise<Backing> }[] = [
  { name: 'memfs', make: memfsBacking },
  { name: 'disk', make: diskBacking },
  { name: 'disk, blocking calls', make: blockingDiskBacking },
];
