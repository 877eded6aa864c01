import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Volume, createFsFromVolume } from 'memfs';
import { nodeFileSystem } from '../src/file-system.ts';
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

export async function diskBacking(): Promise<Backing> {
  const directory = await mkdtemp(join(tmpdir(), 'stowage-local-'));
  return {
    fs: nodeFileSystem,
    root: join(directory, 'root'),
    dispose: () => rm(directory, { recursive: true, force: true }),
  };
}

/** Both backings the store supports, for `describe.each`. */
export const BACKINGS: readonly { readonly name: string; readonly make: () => Backing | Promise<Backing> }[] = [
  { name: 'memfs', make: memfsBacking },
  { name: 'disk', make: diskBacking },
];
