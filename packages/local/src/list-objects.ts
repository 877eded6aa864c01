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
 * unread. The levels are kept on a stack rather than in nested generators, so an object deep in the tree costs
 * one step to hand out, not one per level.
 */
export async function* walkObjects(
  fs: LocalFileSystem,
  guard: RootGuard,
  options: WalkOptions,
): AsyncGenerator<ObjectSummary> {
  const { prefix, startAfter, signal } = options;
  const lastSlash = prefix.lastIndexOf('/');
  const levels: Level[] = [];
  const enter = async (directoryKey: string, reading: Promise<DirectoryRead | undefined>): Promise<void> => {
    throwIfAborted(signal);
    const directory = await reading;
    if (directory === undefined) return;
    const subtrees: string[] = [];
    for (const entry of directory.entries)
      if (walked(directoryKey, entry, startAfter)) subtrees.push(`${directoryKey}${entry.name}/`);
    const level: Level = { directoryKey, directory, next: 0, subtrees, reads: new Map(), started: 0, entered: 0 };
    readSubtreesAhead(fs, guard, options, level);
    levels.push(level);
  };
  const startKey = prefix.slice(0, lastSlash + 1);
  await enter(startKey, readDirectory(fs, guard, startKey, prefix.slice(lastSlash + 1), options, false));
  for (let level = levels.at(-1); level !== undefined; level = levels.at(-1)) {
    const { entries, summaries, statAhead } = level.directory;
    const index = level.next++;
    const entry = entries[index];
    if (entry === undefined) {
      levels.pop();
      continue;
    }
    if (entry.directory) {
      if (!walked(level.directoryKey, entry, startAfter)) continue;
      const subtree = level.subtrees[level.entered] ?? `${level.directoryKey}${entry.name}/`;
      const read = level.reads.get(level.entered) ?? readDirectory(fs, guard, subtree, '', options, true);
      level.reads.delete(level.entered);
      level.entered++;
      readSubtreesAhead(fs, guard, options, level);
      await enter(subtree, read);
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

/** Whether the walk enters a directory entry: a directory not wholly at or before `startAfter`. */
function walked(directoryKey: string, entry: Entry, startAfter: string | undefined): boolean {
  if (!entry.directory) return false;
  if (startAfter === undefined) return true;
  const subtree = `${directoryKey}${entry.name}/`;
  return startAfter.startsWith(subtree) || compareKeys(subtree, startAfter) >= 0;
}

/** One directory on the walk's path: its entries, where the walk is in them, and its subdirectories read ahead. */
interface Level {
  readonly directoryKey: string;
  readonly directory: DirectoryRead;
  /** The entry the walk takes next. */
  next: number;
  /** The subdirectories the walk enters, in order. */
  readonly subtrees: readonly string[];
  /** Reads of subdirectories started ahead of the walk, by their place in `subtrees`. */
  readonly reads: Map<number, Promise<DirectoryRead | undefined>>;
  /** Subdirectories whose read was started. */
  started: number;
  /** Subdirectories the walk has entered. */
  entered: number;
}

/**
 * Starts reading the next few subdirectories of a level ahead of the walk, as files are stat'ed ahead: a tree of
 * small directories (one per upload, as Zulip makes) would otherwise wait on the disk for every one in turn.
 */
function readSubtreesAhead(fs: LocalFileSystem, guard: RootGuard, options: WalkOptions, level: Level): void {
  for (; level.started < level.entered + DIRECTORY_WINDOW; level.started++) {
    const subtree = level.subtrees[level.started];
    if (subtree === undefined) return;
    const read = readDirectory(fs, guard, subtree, '', options, true);
    read.catch(() => undefined);
    level.reads.set(level.started, read);
  }
}

/** A directory's entries in key order, with the summaries of its first files already being read. */
interface DirectoryRead {
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
      const key = directoryKey + entry.name;
      const summary = summarize(fs, guard, key, entry, guard.pathOf(key));
      summary.catch(() => undefined);
      summaries.set(index, summary);
    }
  };
  statAhead(0);
  return { entries, summaries, statAhead };
}

async function summarize(
  fs: LocalFileSystem,
  guard: RootGuard,
  key: string,
  entry: Entry,
  path: string,
): Promise<ObjectSummary | undefined> {
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
