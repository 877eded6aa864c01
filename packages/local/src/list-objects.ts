import { join } from 'node:path';
import { compareKeys, keyProblem, throwIfAborted } from '@stowage/core';
import type { ObjectSummary } from '@stowage/core';
import { fsError, nativeCode } from './errors.ts';
import { pathText, statNumber } from './file-system.ts';
import type { LocalDirent, LocalFileSystem, LocalStats } from './file-system.ts';
import { RESERVED_DIRECTORY, fileVersion } from './layout.ts';
import type { RootGuard } from './root-guard.ts';

/** How many files of one directory are being stat'ed at once while listing. */
const STAT_WINDOW = 16;
/** How many subdirectories of one directory are being read ahead of the walk. */
const DIRECTORY_WINDOW = 8;

interface Entry {
  readonly name: string;
  readonly directory: boolean;
  readonly link: boolean;
  /** What the entry sorts by: a directory sorts as `name/`, the prefix every key beneath it starts with. */
  readonly sortKey: string;
}

export interface WalkOptions {
  readonly prefix: string;
  readonly startAfter?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

function toEntry(dirent: LocalDirent | string | Uint8Array): Entry | undefined {
  // Only `withFileTypes` results are usable; a file system returning bare names would need a stat per entry.
  if (typeof dirent === 'string' || dirent instanceof Uint8Array) return undefined;
  const name = pathText(dirent.name);
  const link = dirent.isSymbolicLink();
  const directory = dirent.isDirectory() && !link;
  return { name, directory, link, sortKey: directory ? `${name}/` : name };
}

/**
 * Every object under the root in ascending UTF-8 byte order of keys. Sorting each directory with
 * subdirectories as `name/` yields the global key order (`a-c` before `a/b` because `-` < `/`), so the walk is
 * depth-first and holds one sorted listing per level of the current path, never the whole tree. The prefix's
 * finished segments choose the starting directory, and subtrees wholly at or before `startAfter` are skipped
 * unread.
 */
export async function* walkObjects(fs: LocalFileSystem, guard: RootGuard, options: WalkOptions): AsyncGenerator<ObjectSummary> {
  const { prefix } = options;
  const lastSlash = prefix.lastIndexOf('/');
  const directoryKey = prefix.slice(0, lastSlash + 1);
  yield* walkDirectory(fs, guard, directoryKey, readDirectory(fs, guard, directoryKey, prefix.slice(lastSlash + 1), options, false), options);
}

/** A directory's entries in key order, with the summaries of its first files already being read. */
interface DirectoryRead {
  readonly path: string;
  readonly entries: readonly Entry[];
  /** Summaries by entry index, started ahead of the walk (`statAhead`). */
  readonly summaries: Map<number, Promise<ObjectSummary | undefined>>;
  readonly statAhead: (from: number) => void;
}

/**
 * Reads one directory of the walk: proves it lies inside the root, reads and sorts its entries, and starts
 * reading the summaries of its first files. `undefined` when it is gone or leads out of the root.
 *
 * `entered` says the walk came to the directory from its parent's listing, which named it a directory and not a
 * link: a directory the walk entered that way lies inside the root, as its parent does, with no call to prove it.
 * (Its path could be swapped for a link after the parent was read; resolving the path first would not close that
 * window either, as the directory is read after the proof.)
 */
async function readDirectory(
  fs: LocalFileSystem,
  guard: RootGuard,
  directoryKey: string,
  namePrefix: string,
  options: WalkOptions,
  entered: boolean,
): Promise<DirectoryRead | undefined> {
  const path = directoryKey === '' ? guard.root : guard.pathOf(directoryKey.slice(0, -1));
  let dirents: readonly (LocalDirent | string | Uint8Array)[];
  try {
    // A link on the way out of the root is not listed, like any path `get` would refuse.
    if (directoryKey !== '' && !entered && !guard.contains(pathText(await fs.realpath(path)))) return undefined;
    dirents = await fs.readdir(path, { withFileTypes: true });
  } catch (error) {
    const code = nativeCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw fsError(error, 'list', directoryKey === '' ? undefined : directoryKey);
  }
  const entries: Entry[] = [];
  for (const dirent of dirents) {
    const entry = toEntry(dirent);
    if (entry === undefined || !entry.name.startsWith(namePrefix)) continue;
    if (directoryKey === '' && entry.name.toLowerCase() === RESERVED_DIRECTORY) continue;
    entries.push(entry);
  }
  entries.sort((left, right) => compareKeys(left.sortKey, right.sortKey));
  const { startAfter } = options;
  const isListedFile = (entry: Entry): boolean => {
    if (entry.directory) return false;
    const key = directoryKey + entry.name;
    // Names no key could address (a backslash, control characters) are not objects of this store.
    return (startAfter === undefined || compareKeys(key, startAfter) > 0) && keyProblem(key) === undefined;
  };
  // Stats run a few files ahead of the one being yielded: one round trip at a time would dominate a big listing.
  const summaries = new Map<number, Promise<ObjectSummary | undefined>>();
  const statAhead = (from: number): void => {
    for (let index = from; index < Math.min(entries.length, from + STAT_WINDOW); index++) {
      const entry = entries[index];
      if (entry === undefined || summaries.has(index) || !isListedFile(entry)) continue;
      const summary = summarize(fs, guard, directoryKey + entry.name, entry, join(path, entry.name));
      summary.catch(() => undefined);
      summaries.set(index, summary);
    }
  };
  statAhead(0);
  return { path, entries, summaries, statAhead };
}

async function* walkDirectory(
  fs: LocalFileSystem,
  guard: RootGuard,
  directoryKey: string,
  reading: Promise<DirectoryRead | undefined>,
  options: WalkOptions,
): AsyncGenerator<ObjectSummary> {
  throwIfAborted(options.signal);
  const directory = await reading;
  if (directory === undefined) return;
  const { entries, summaries, statAhead } = directory;
  const { startAfter } = options;
  const walked = (entry: Entry): boolean => {
    const subtree = `${directoryKey}${entry.name}/`;
    return entry.directory && (startAfter === undefined || startAfter.startsWith(subtree) || compareKeys(subtree, startAfter) >= 0);
  };
  // Subdirectories are read a few ahead of the walk, as files are stat'ed ahead: a tree of small directories (one
  // per upload, as Zulip makes) would otherwise wait on the disk for every one of them in turn. They are counted in
  // the order the walk enters them.
  const subtrees = entries.filter(walked).map((entry) => `${directoryKey}${entry.name}/`);
  const reads = new Map<number, Promise<DirectoryRead | undefined>>();
  let started = 0;
  let entered = 0;
  const readAheadOf = (first: number): void => {
    for (; started < first + DIRECTORY_WINDOW; started++) {
      const subtree = subtrees[started];
      if (subtree === undefined) return;
      const read = readDirectory(fs, guard, subtree, '', options, true);
      read.catch(() => undefined);
      reads.set(started, read);
    }
  };
  readAheadOf(0);
  for (const [index, entry] of entries.entries()) {
    if (entry.directory) {
      if (!walked(entry)) continue;
      readAheadOf(entered);
      const subtree = `${directoryKey}${entry.name}/`;
      const read = reads.get(entered) ?? readDirectory(fs, guard, subtree, '', options, true);
      reads.delete(entered);
      entered++;
      yield* walkDirectory(fs, guard, subtree, read, options);
      continue;
    }
    statAhead(index);
    const summary = summaries.get(index);
    if (summary === undefined) continue;
    summaries.delete(index);
    const listed = await summary;
    if (listed !== undefined) yield listed;
  }
}

async function summarize(fs: LocalFileSystem, guard: RootGuard, key: string, entry: Entry, path: string): Promise<ObjectSummary | undefined> {
  let stats: LocalStats;
  try {
    if (entry.link && !guard.contains(pathText(await fs.realpath(path)))) return undefined;
    stats = entry.link ? await fs.stat(path) : await fs.lstat(path);
  } catch (error) {
    // Deleted between the listing and the stat, or a dangling link: not an object any more.
    if (nativeCode(error) === 'ENOENT') return undefined;
    throw fsError(error, 'list', key);
  }
  if (!stats.isFile()) return undefined;
  return { key, size: statNumber(stats.size), lastModified: stats.mtime, etag: `"${fileVersion(stats)}"` };
}
