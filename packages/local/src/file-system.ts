import * as fdCalls from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import { setImmediate } from 'node:timers';
import { nativeCode } from './errors.ts';

/**
 * The slice of a `node:fs/promises` file handle the store uses. The types are deliberately loose (numbers or
 * bigints, strings or bytes) so that both Node's module and `memfs`'s `promises` satisfy them unchanged.
 */
export interface LocalFileHandle {
  /** Reads up to `length` bytes at `position` into `buffer`; `bytesRead` 0 means the end of the file. */
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  /** Appends the buffers in order; may write fewer bytes than given (the store writes the rest). */
  writev(buffers: Uint8Array[], position?: number): Promise<{ bytesWritten: number }>;
  /** fsync: data and metadata (size, mtime) reach the disk. Used when present, else `datasync`. */
  sync?(): Promise<void>;
  /** fdatasync: the data and the size reach the disk. */
  datasync(): Promise<void>;
  /** The open file's stats (fstat): they describe exactly the file this handle reads. */
  stat(): Promise<LocalStats>;
  /** Releases the handle; the store calls it once. */
  close(): Promise<void>;
  /**
   * Where the open file is, every link resolved, as the kernel records it for the descriptor (Linux's
   * `/proc/self/fd`): proof of what was opened in one call, where resolving the path's directory takes one call
   * per segment, and with no window between the proof and the open. Optional; `undefined` where the system
   * keeps no such record.
   */
  resolvedPath?(): Promise<string | undefined>;
}

/** What the store reads from a stat result. */
export interface LocalStats {
  /** Inode number: with size and mtime it names one version of a file. */
  readonly ino: number | bigint;
  readonly size: number | bigint;
  /** Modification time in milliseconds, with the file system's sub-millisecond part where it has one. */
  readonly mtimeMs: number | bigint;
  readonly mtime: Date;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

/** A directory entry as `readdir(path, { withFileTypes: true })` returns it. */
export interface LocalDirent {
  readonly name: string | Uint8Array;
  isFile(): boolean;
  isDirectory(): boolean;
  /** A link is reported as a link, not as what it points to. */
  isSymbolicLink(): boolean;
}

/**
 * The file-system calls `LocalStore` makes: Node's `node:fs/promises` by default; inject `memfs` (its `promises`)
 * in tests, or any other implementation of these calls. Every call rejects with a native-style error carrying
 * `code` (`ENOENT`, `EACCES`, ...), which the store translates into a `StorageError`.
 */
export interface LocalFileSystem {
  /** Open flags; `O_NOFOLLOW` (refuse a link as the last segment) and `O_NONBLOCK` are used when present. */
  readonly constants: {
    readonly O_RDONLY: number;
    readonly O_NOFOLLOW?: number | undefined;
    readonly O_NONBLOCK?: number | undefined;
  };
  /** Opens a file (`'wx'`: create, failing with `EEXIST` if it exists; `'w'`; `'r'`; or numeric flags). */
  open(path: string, flags: string | number): Promise<LocalFileHandle>;
  /**
   * Opens a file for reading, or resolves `undefined` when nothing is at the path (as `open` fails with `ENOENT` or
   * `ENOTDIR`) without making the error `open` would throw: a store without metadata records misses one on every
   * read. Optional.
   */
  openIfPresent?(path: string, flags: number): Promise<LocalFileHandle | undefined>;
  /** Creates a directory and its missing parents; fine if it exists, `ENOTDIR`/`EEXIST` if a file is in the way. */
  mkdir(path: string, options: { recursive: true }): Promise<string | undefined>;
  /** A directory's entries with their types, in no particular order. */
  readdir(path: string, options: { withFileTypes: true }): Promise<readonly (LocalDirent | string | Uint8Array)[]>;
  /** A whole file's bytes (or text). */
  readFile(path: string): Promise<string | Uint8Array>;
  /** The path with every link resolved; `ENOENT` when any part is missing. */
  realpath(path: string): Promise<string | Uint8Array>;
  /** Stats of the entry itself, a link included. */
  lstat(path: string): Promise<LocalStats>;
  /** Stats of what the path leads to, links followed. */
  stat(path: string): Promise<LocalStats>;
  /** Atomically replaces `to` (a file) with `from`; both on the same file system. */
  rename(from: string, to: string): Promise<void>;
  /** A second name for a file; `EEXIST` when `created` exists, which makes create-only puts atomic. */
  link(existing: string, created: string): Promise<void>;
  /** Removes a name (a link itself, never its target). */
  unlink(path: string): Promise<void>;
  /** Removes an empty directory; `ENOTEMPTY`/`EEXIST` otherwise. */
  rmdir(path: string): Promise<void>;
  /** The file system a path is on (`type` is its magic number); optional, as `memfs` has none. */
  statfs?(path: string): Promise<{ readonly type: number | bigint }>;
}

/** A callback of `node:fs` as a promise, with the native error (its `code` included) as the rejection. */
function settle<T = void>(run: (done: (error: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    run((error, value) => {
      if (error === null) resolve(value as T);
      else reject(error);
    });
  });
}

let descriptorPaths: boolean | undefined;

/** The calls `descriptorPathsWork` makes: `node:fs`'s, or a test's. */
export interface DescriptorProbeCalls {
  openSync(path: string, flags: number): number;
  readlinkSync(path: string): string;
  fstatSync(fd: number): { readonly dev: number | bigint; readonly ino: number | bigint };
  statSync(path: string): { readonly dev: number | bigint; readonly ino: number | bigint };
  closeSync(fd: number): void;
}

/**
 * Whether `/proc/self/fd/N` names the file that `openSync` handed out as descriptor `N`. It does on Linux where
 * the runtime's descriptors are the kernel's (Node; Deno since its `node:fs` stopped handing out resource ids of
 * its own), not where `/proc` is missing or the numbers are the runtime's own. Asked of the runtime by opening
 * `/` and comparing, never inferred from its name, so whatever runs this gets the answer that holds for it.
 */
export function descriptorPathsWork(calls: DescriptorProbeCalls, readOnly: number): boolean {
  let fd: number;
  try {
    fd = calls.openSync('/', readOnly);
  } catch {
    return false;
  }
  try {
    const named = calls.readlinkSync(descriptorLink(fd));
    const opened = calls.fstatSync(fd);
    const there = calls.statSync(named);
    return named === '/' && opened.dev === there.dev && opened.ino === there.ino;
  } catch {
    return false;
  } finally {
    calls.closeSync(fd);
  }
}

function descriptorPathsKnown(): boolean {
  descriptorPaths ??= descriptorPathsWork(fdCalls, fdCalls.constants.O_RDONLY);
  return descriptorPaths;
}

function descriptorLink(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

/** A descriptor's path as read from `/proc`, when it is one (a file unlinked since it was opened ends in " (deleted)"). */
function openedPath(link: string): string | undefined {
  return link.startsWith('/') ? link.replace(/ \(deleted\)$/u, '') : undefined;
}

/**
 * An open file as a bare descriptor. Node's promise `FileHandle` costs more to make and to close than a small
 * object's whole read (it is an event emitter, transferable between threads, closed on garbage collection), and
 * every get and put opens one or two files.
 */
class DescriptorHandle implements LocalFileHandle {
  protected readonly fd: number;

  constructor(fd: number) {
    this.fd = fd;
  }

  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    const bytesRead = await settle<number>((done) => {
      fdCalls.read(this.fd, buffer, offset, length, position, done);
    });
    return { bytesRead };
  }

  async writev(buffers: Uint8Array[], position?: number): Promise<{ bytesWritten: number }> {
    const bytesWritten = await settle<number>((done) => {
      if (position === undefined) fdCalls.writev(this.fd, buffers, done);
      else fdCalls.writev(this.fd, buffers, position, done);
    });
    return { bytesWritten };
  }

  sync(): Promise<void> {
    return settle((done) => {
      fdCalls.fsync(this.fd, done);
    });
  }

  datasync(): Promise<void> {
    return settle((done) => {
      fdCalls.fdatasync(this.fd, done);
    });
  }

  stat(): Promise<LocalStats> {
    return settle<fdCalls.Stats>((done) => {
      fdCalls.fstat(this.fd, done);
    });
  }

  close(): Promise<void> {
    return settle((done) => {
      fdCalls.close(this.fd, done);
    });
  }

  resolvedPath(): Promise<string | undefined> {
    return Promise.resolve(descriptorPath(this.fd));
  }
}

/**
 * Where descriptor `fd`'s file is, from `/proc/self/fd`. Read on the calling thread: the kernel answers from its
 * own memory, never from a disk, and a trip through libuv's pool cost a small read more than the call itself.
 */
function descriptorPath(fd: number): string | undefined {
  if (!descriptorPathsKnown()) return undefined;
  try {
    return openedPath(fdCalls.readlinkSync(descriptorLink(fd)));
  } catch {
    return undefined;
  }
}

/** Node's own file system, files opened as bare descriptors. */
export const nodeFileSystem: LocalFileSystem = {
  ...nodeFs,
  open: async (path, flags) =>
    new DescriptorHandle(
      await settle<number>((done) => {
        fdCalls.open(path, flags, done);
      }),
    ),
};

/**
 * How long blocking calls may run back to back before the event loop gets a turn. They settle as microtasks, so a
 * walk of a large tree would otherwise hold every other callback (a connection opened, an answer arrived) until it
 * paused: a resumed migration sent its first listing request to S3 only after walking the whole source.
 */
const BLOCKING_RUN_MS = 4;
/** When the current run of blocking calls began; `undefined` once the event loop has turned since. */
let runBegan: number | undefined;

/** A synchronous call's outcome as a settled promise: a throw becomes the rejection, as the pool's calls reject. */
function now<T>(call: () => T): Promise<T> {
  const time = performance.now();
  if (runBegan === undefined) {
    runBegan = time;
    setImmediate(() => {
      runBegan = undefined;
    });
  } else if (time - runBegan > BLOCKING_RUN_MS) {
    return new Promise<T>((resolve) => {
      setImmediate(() => {
        resolve(now(call));
      });
    });
  }
  return new Promise<T>((resolve) => {
    resolve(call());
  });
}

/**
 * An open file as a bare descriptor whose calls run on the calling thread, except the syncs, which wait on the disk
 * itself and stay on the pool.
 */
class BlockingDescriptorHandle extends DescriptorHandle {
  override read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    return now(() => ({ bytesRead: fdCalls.readSync(this.fd, buffer, offset, length, position) }));
  }

  override writev(buffers: Uint8Array[], position?: number): Promise<{ bytesWritten: number }> {
    return now(() => ({ bytesWritten: fdCalls.writevSync(this.fd, buffers, position) }));
  }

  override stat(): Promise<LocalStats> {
    return now(() => fdCalls.fstatSync(this.fd));
  }

  override close(): Promise<void> {
    return now(() => {
      fdCalls.closeSync(this.fd);
    });
  }
}

/** Opens a file just seen to exist; `undefined` when it was removed in between. */
function openUnlessGone(path: string, flags: number): BlockingDescriptorHandle | undefined {
  try {
    return new BlockingDescriptorHandle(fdCalls.openSync(path, flags));
  } catch (error) {
    if (nativeCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Node's file system with every call but the syncs made on the calling thread. On a local disk such a call costs
 * less CPU than the same call handed to libuv's pool and back (package README, performance), but it blocks the
 * event loop while the disk answers. For batch tools
 * (`stowage migrate`), never for a server, where one slow disk would stall every request.
 */
export const blockingNodeFileSystem: LocalFileSystem = {
  constants: fdCalls.constants,
  open: (path, flags) => now(() => new BlockingDescriptorHandle(fdCalls.openSync(path, flags))),
  // Node builds a thrown error with its stack, which costs several times the failing call itself.
  openIfPresent: (path, flags) => now(() => (fdCalls.existsSync(path) ? openUnlessGone(path, flags) : undefined)),
  mkdir: (path, options) => now(() => fdCalls.mkdirSync(path, options)),
  readdir: (path, options) => now(() => fdCalls.readdirSync(path, options)),
  readFile: (path) => now(() => fdCalls.readFileSync(path)),
  realpath: (path) => now(() => fdCalls.realpathSync.native(path)),
  lstat: (path) => now(() => fdCalls.lstatSync(path)),
  stat: (path) => now(() => fdCalls.statSync(path)),
  rename: (from, to) =>
    now(() => {
      fdCalls.renameSync(from, to);
    }),
  link: (existing, created) =>
    now(() => {
      fdCalls.linkSync(existing, created);
    }),
  unlink: (path) =>
    now(() => {
      fdCalls.unlinkSync(path);
    }),
  rmdir: (path) =>
    now(() => {
      fdCalls.rmdirSync(path);
    }),
  statfs: (path) => now(() => fdCalls.statfsSync(path)),
};

const decoder = new TextDecoder();

/** A path or name as a string, whichever form the file system returned. */
export function pathText(value: string | Uint8Array): string {
  return typeof value === 'string' ? value : decoder.decode(value);
}

/** A stat number as a JavaScript number (bigints only come from file systems asked for them). */
export function statNumber(value: number | bigint): number {
  return typeof value === 'bigint' ? Number(value) : value;
}

/**
 * Linux magic numbers of local file systems that set a file's modification time when it is written, never while
 * it is synced: ext2/3/4, XFS, Btrfs, tmpfs, ZFS, F2FS and overlayfs. Network file systems such as NFS may set it
 * when the data reaches the server, during the fsync.
 */
const MTIME_SET_AT_WRITE = new Set([0xef53, 0x58465342, 0x9123683e, 0x01021994, 0x2fc12fc1, 0xf2f52010, 0x794c7630]);

/** Whether files under `path` keep the modification time they got when written through an fsync. */
export async function mtimeSetAtWrite(fs: LocalFileSystem, path: string): Promise<boolean> {
  if (fs.statfs === undefined) return false;
  try {
    return MTIME_SET_AT_WRITE.has(statNumber((await fs.statfs(path)).type));
  } catch {
    return false;
  }
}

/** Makes everything written through the handle durable, mtime included where the file system offers it. */
export async function syncHandle(handle: LocalFileHandle): Promise<void> {
  if (handle.sync === undefined) await handle.datasync();
  else await handle.sync();
}

/** Opens a file for reading; `undefined` when nothing is at the path (or a file stands where a directory should). */
async function openIfPresent(fs: LocalFileSystem, path: string): Promise<LocalFileHandle | undefined> {
  if (fs.openIfPresent !== undefined) return fs.openIfPresent(path, fs.constants.O_RDONLY);
  try {
    return await fs.open(path, fs.constants.O_RDONLY);
  } catch (error) {
    const code = nativeCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/**
 * A small file's whole content as text in three calls (open, read, close), where `readFile` makes five, or
 * `undefined` when nothing is at the path: the metadata record is looked for on every `get` and `head`.
 */
export async function readSmallFile(fs: LocalFileSystem, path: string): Promise<string | undefined> {
  const handle = await openIfPresent(fs, path);
  if (handle === undefined) return undefined;
  try {
    const chunks: Uint8Array[] = [];
    for (let position = 0; ;) {
      const buffer = new Uint8Array(16 * 1024);
      const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, position);
      chunks.push(buffer.subarray(0, bytesRead));
      position += bytesRead;
      if (bytesRead < buffer.byteLength) break;
    }
    const decoder = new TextDecoder();
    return chunks.map((chunk, index) => decoder.decode(chunk, { stream: index < chunks.length - 1 })).join('');
  } finally {
    // Not awaited: the content is complete, and the caller should not wait one more round trip for the close.
    handle.close().catch(() => undefined);
  }
}
