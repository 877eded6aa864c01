import { dirname, join, resolve } from 'node:path';
import {
  READ_BODY_CHUNKS,
  encodeKeyPath,
  guessContentType,
  isStorageError,
  knownBodySize,
  resolveRange,
  throwIfAborted,
  validateKey,
  validatePrefix,
} from '@stowage/core';
import type {
  Body,
  ByteRange,
  ChunkReadableResult,
  GetOptions,
  GetResult,
  ListOptions,
  ObjectInfo,
  ObjectStore,
  ObjectSummary,
  PutOptions,
  Sha256Factory,
  SignedUrlOptions,
  ResolvedRange,
  StorageError,
} from '@stowage/core';
import { nodeSha256 } from '@stowage/core/node';
import {
  alreadyExistsError,
  checksumMismatchError,
  deleteManyError,
  fsError,
  invalidArgumentError,
  keyConflictError,
  nativeCode,
  notAFileError,
  notFoundError,
  outsideRootError,
  shortReadError,
  sizeMismatchError,
  tooLargeError,
  unsupportedError,
} from './errors.ts';
import { mtimeSetAtWrite, nodeFileSystem, pathText, readSmallFile, statNumber, syncHandle } from './file-system.ts';
import type { LocalFileHandle, LocalFileSystem, LocalStats } from './file-system.ts';
import {
  METADATA_DIRECTORY,
  TEMPORARY_DIRECTORY,
  assertNotReserved,
  fileVersion,
  keyDigest,
  metadataRecordPath,
  metadataShardPath,
  SHARD_NAMES,
  temporaryName,
} from './layout.ts';
import { walkObjects } from './list-objects.ts';
import { parseRecord, serializeRecord } from './metadata-record.ts';
import type { MetadataRecord } from './metadata-record.ts';
import { fileRangeBody, firstReadLength, readChunk, readStart } from './read-stream.ts';
import { RootGuard } from './root-guard.ts';
import { signObjectUrl } from './signed-url.ts';
import type { UrlSigning } from './signed-url.ts';
import { writeBody } from './write-body.ts';

/** Temporaries younger than this may belong to a put still running (perhaps in another process). */
export const DEFAULT_STALE_AFTER_MS: number = 60 * 60 * 1000;

/** Deletes run this many at a time in `deleteMany`. */
const DELETE_CONCURRENCY = 8;

/** How often a read retries when a concurrent put replaced the file between opening it and reading its record. */
const READ_ATTEMPTS = 4;
/** Metadata records kept in memory for reads: a few hundred KiB at most. */
const RECENT_RECORDS = 2048;

export interface LocalStoreOptions {
  /** The directory holding the objects; created when missing. */
  readonly root: string;
  /** The file system to use: Node's by default, `memfs`'s `promises` in tests. */
  readonly fs?: LocalFileSystem | undefined;
  /** Enables `signedUrl`: HMAC tokens that `verifySignedUrl` checks in the serving app. */
  readonly signing?: UrlSigning | undefined;
  /** Enables `publicUrl` for a public store (avatars): objects are served under this prefix. */
  readonly publicUrlPrefix?: string | undefined;
  /** Age after which a temporary file is a crash's leftover; default one hour. */
  readonly staleAfterMs?: number | undefined;
  /** The SHA-256 used while streaming; Node's native one by default. */
  readonly sha256?: Sha256Factory | undefined;
}

/** Where a put's temporary goes, and what is there now. */
interface Target {
  readonly path: string;
  readonly previous: LocalStats | undefined;
}

/** What `cleanup` removed. */
export interface CleanupReport {
  /** Temporary files of puts that never finished. */
  readonly temporaries: number;
  /** Metadata records of versions that are not (or never became) the current file of their key. */
  readonly records: number;
}

/**
 * An `ObjectStore` over a directory: each object is the plain file `root/<key>`, so an existing Zulip
 * `LOCAL_UPLOADS_DIR` opens as a store. The store's own records (metadata, temporaries) live in `root/.stowage`.
 * See the package README for the layout and the guarantees.
 */
export class LocalStore implements ObjectStore {
  readonly name: string;
  readonly #fs: LocalFileSystem;
  readonly #root: string;
  readonly #signing: UrlSigning | undefined;
  readonly #publicUrlPrefix: string | undefined;
  readonly #staleAfterMs: number;
  readonly #sha256: Sha256Factory;
  /** Whether a file's mtime is final once written (local disks), so a put need not stat it again after the fsync. */
  #mtimeSetAtWrite = false;
  /**
   * The records read or written lately, the latest one per key. One is used only for the version it names (which
   * names one set of bytes), so an entry never goes stale; its size also tells a read how much to ask for first.
   */
  readonly #recentRecords = new Map<string, MetadataRecord>();
  /** Derivable records being written after their put returned, by path. */
  readonly #deferredRecords = new Map<string, Promise<void>>();
  #ready: Promise<RootGuard> | undefined;

  constructor(options: LocalStoreOptions) {
    this.#root = resolve(options.root);
    this.name = `local:${this.#root}`;
    this.#fs = options.fs ?? nodeFileSystem;
    this.#signing = options.signing;
    this.#publicUrlPrefix = options.publicUrlPrefix?.replace(/\/+$/u, '');
    this.#staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
    this.#sha256 = options.sha256 ?? nodeSha256;
    if (!Number.isFinite(this.#staleAfterMs) || this.#staleAfterMs < 0) {
      throw invalidArgumentError(`staleAfterMs must be a non-negative number, got ${this.#staleAfterMs}`);
    }
  }

  /**
   * Creates the root and the store's own directories when missing and removes stale temporaries; a store made
   * with `new` does the same on its first operation. Throws `AccessDenied`, `Unavailable`.
   */
  static async open(options: LocalStoreOptions): Promise<LocalStore> {
    const store = new LocalStore(options);
    await store.#guard();
    return store;
  }

  #guard(): Promise<RootGuard> {
    this.#ready ??= this.#initialize().catch((error: unknown) => {
      // A failed start (a missing mount, say) must not poison the store for good.
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  async #initialize(): Promise<RootGuard> {
    const fs = this.#fs;
    try {
      await fs.mkdir(this.#root, { recursive: true });
      const guard = new RootGuard(fs, pathText(await fs.realpath(this.#root)));
      await fs.mkdir(join(guard.root, TEMPORARY_DIRECTORY), { recursive: true });
      await fs.mkdir(join(guard.root, METADATA_DIRECTORY), { recursive: true });
      await this.#prepareShards(guard);
      this.#mtimeSetAtWrite = await mtimeSetAtWrite(fs, guard.root);
      await this.#removeStaleTemporaries(guard, this.#staleAfterMs);
      return guard;
    } catch (error) {
      throw fsError(error, `open its root ${this.#root}`);
    }
  }

  /**
   * Makes every metadata shard directory up front, so that a put never pays for creating one and making that
   * durable (a directory fsync) on the way: once per root, not once per shard during the first puts.
   */
  async #prepareShards(guard: RootGuard): Promise<void> {
    const metadata = join(guard.root, METADATA_DIRECTORY);
    const existing = new Set(await this.#names(metadata));
    const missing = SHARD_NAMES.filter((name) => !existing.has(name));
    for (const name of missing) await this.#fs.mkdir(join(metadata, name), { recursive: true });
    if (missing.length > 0) await this.#syncDirectory(metadata);
  }

  /**
   * Removes what crashes left behind: temporaries and metadata records of versions that are no longer (or never
   * became) current, when older than `olderThanMs` (default: the store's `staleAfterMs`). Younger ones are kept
   * because a put in another process may still be using them. Throws `AccessDenied`, `Unavailable`.
   */
  async cleanup(olderThanMs: number = this.#staleAfterMs): Promise<CleanupReport> {
    const guard = await this.#guard();
    // A record still being written is no orphan.
    await this.settled();
    try {
      const temporaries = await this.#removeStaleTemporaries(guard, olderThanMs);
      const records = await this.#removeOrphanRecords(guard, olderThanMs);
      return { temporaries, records };
    } catch (error) {
      throw fsError(error, 'clean up');
    }
  }

  async #removeStaleTemporaries(guard: RootGuard, olderThanMs: number): Promise<number> {
    const directory = join(guard.root, TEMPORARY_DIRECTORY);
    let removed = 0;
    for (const name of await this.#names(directory)) {
      if (await this.#removeIfOlder(join(directory, name), olderThanMs)) removed++;
    }
    return removed;
  }

  async #removeOrphanRecords(guard: RootGuard, olderThanMs: number): Promise<number> {
    const metadata = join(guard.root, METADATA_DIRECTORY);
    let removed = 0;
    for (const shard of await this.#names(metadata)) {
      for (const name of await this.#names(join(metadata, shard))) {
        const path = join(metadata, shard, name);
        if (await this.#isCurrentRecord(guard, path, name)) continue;
        if (await this.#removeIfOlder(path, olderThanMs)) removed++;
      }
    }
    return removed;
  }

  async #isCurrentRecord(guard: RootGuard, path: string, name: string): Promise<boolean> {
    const [, version] = name.split('.', 3);
    let key: unknown;
    try {
      key = (JSON.parse(pathText(await this.#fs.readFile(path))) as { key?: unknown }).key;
    } catch {
      return false;
    }
    if (typeof key !== 'string' || version === undefined) return false;
    try {
      return fileVersion(await this.#fs.stat(await guard.resolveExisting(key))) === version;
    } catch {
      return false;
    }
  }

  async #names(directory: string): Promise<string[]> {
    try {
      const entries = await this.#fs.readdir(directory, { withFileTypes: true });
      return entries.map((entry) =>
        typeof entry === 'string' || entry instanceof Uint8Array ? pathText(entry) : pathText(entry.name),
      );
    } catch (error) {
      if (nativeCode(error) === 'ENOENT') return [];
      throw error;
    }
  }

  async #removeIfOlder(path: string, olderThanMs: number): Promise<boolean> {
    try {
      const stats = await this.#fs.lstat(path);
      // Whole milliseconds: the file clock's sub-millisecond part would make a file just written look younger than 0.
      if (Date.now() - Math.floor(statNumber(stats.mtimeMs)) < olderThanMs) return false;
      await this.#fs.unlink(path);
      return true;
    } catch (error) {
      // Another sweeper or the finishing put got there first.
      if (nativeCode(error) === 'ENOENT') return false;
      throw error;
    }
  }

  /** See `ObjectStore.put`. Also throws `AlreadyExists` when `key` and an existing key are `a` and `a/b`. */
  async put(key: string, body: Body, options: PutOptions = {}): Promise<ObjectInfo> {
    validateKey(key);
    assertNotReserved(key);
    throwIfAborted(options.signal, key);
    checkLimits(key, body, options);
    const guard = await this.#guard();
    const fs = this.#fs;
    const createOnly = options.ifNoneMatch === '*';
    // Fails early so a large body is not read for nothing; the link at the end is what makes it atomic.
    if (createOnly) await this.#refuseTaken(guard, key);
    const temporary = join(guard.root, TEMPORARY_DIRECTORY, temporaryName());
    let handle: LocalFileHandle | undefined;
    let recordPath: string | undefined;
    let targetPath: string | undefined;
    let committed = false;
    try {
      const written = await writeBody(() => fs.open(temporary, 'wx'), body, key, this.#sha256, options);
      handle = written.handle;
      if (options.sha256 !== undefined && options.sha256 !== written.sha256) {
        throw checksumMismatchError(key, options.sha256, written.sha256);
      }
      const dataHandle = handle;
      const digest = keyDigest(key);
      const fields: Omit<MetadataRecord, 'version'> = {
        key,
        size: written.size,
        sha256: written.sha256,
        contentType: options.contentType ?? guessContentType(key),
        contentDisposition: options.contentDisposition,
        cacheControl: options.cacheControl,
        metadata: { ...options.metadata },
      };
      const durable = !isDerivable(fields);
      // The version (from the file's stats) names the record. A record that must survive a crash is durable
      // before the data is renamed (the rename alone decides which version is current); both happen while the
      // data is synced, and so does finding the target. A derivable one is written after the put (see below).
      const describe = async (): Promise<{ stats: LocalStats; record: MetadataRecord; path: string }> => {
        const stats = await dataHandle.stat();
        const record: MetadataRecord = { ...fields, version: fileVersion(stats) };
        const path = join(guard.root, metadataRecordPath(digest, record.version));
        if (durable) {
          recordPath = path;
          await this.#writeRecord(guard, digest, path, record, true);
        }
        return { stats, record, path };
      };
      const [synced, described, located] = await Promise.allSettled([
        syncHandle(dataHandle),
        describe(),
        this.#locate(guard, key, createOnly),
      ]);
      if (located.status === 'fulfilled') targetPath = located.value.path;
      for (const step of [synced, described, located]) if (step.status === 'rejected') throw step.reason;
      if (described.status !== 'fulfilled' || located.status !== 'fulfilled')
        throw new Error('unreachable: a rejected step was thrown above');
      let { stats, record, path: recordFile } = described.value;
      if (!this.#mtimeSetAtWrite) {
        // Some file systems (NFS) set the modification time when the data reaches the server, during the fsync.
        stats = await dataHandle.stat();
        if (fileVersion(stats) !== record.version) {
          const staleRecord = recordFile;
          record = { ...record, version: fileVersion(stats) };
          recordFile = join(guard.root, metadataRecordPath(digest, record.version));
          if (durable) {
            recordPath = recordFile;
            await this.#writeRecord(guard, digest, recordFile, record, true);
            await fs.unlink(staleRecord).catch(() => undefined);
          }
        }
      }
      handle = undefined;
      closeInBackground(dataHandle);
      throwIfAborted(options.signal, key);
      const replaced = await this.#commit(guard, key, temporary, createOnly, located.value);
      committed = true;
      if (replaced !== undefined && replaced !== record.version)
        await this.#removeRecord(join(guard.root, metadataRecordPath(digest, replaced)));
      this.#remember(record);
      if (!durable) this.#deferRecord(guard, digest, recordFile, record);
      return toInfo(key, stats, record.version, record);
    } catch (error) {
      if (handle !== undefined) await handle.close().catch(() => undefined);
      await fs.unlink(temporary).catch(() => undefined);
      if (!committed && recordPath !== undefined) await fs.unlink(recordPath).catch(() => undefined);
      // Directories made for an object that never arrived would only clutter the tree.
      if (!committed && targetPath !== undefined) await this.#removeEmptyParents(guard, dirname(targetPath));
      throw fsError(error, 'store', key);
    }
  }

  async #refuseTaken(guard: RootGuard, key: string): Promise<void> {
    let entry: string;
    try {
      entry = await guard.resolveEntry(key);
    } catch (error) {
      // No parent directory yet: nothing can be there. A link leading out is refused.
      if (isStorageError(error)) throw error;
      return;
    }
    const existing = await this.#lstatOrUndefined(entry).catch(() => undefined);
    if (existing?.isDirectory() === true) throw keyConflictError(key, await this.#firstKeyUnder(key));
    if (existing !== undefined) throw alreadyExistsError(key);
  }

  /**
   * Writes the record of a new version before it is renamed into place. Only a record holding something the bytes
   * and the key cannot give back (a chosen content type, disposition, cache control, user metadata) is fsynced: a
   * derivable one lost in a crash reads back the same, its SHA-256 then unknown, and skipping that second fsync is
   * what keeps small puts near the speed of a bare write.
   */
  async #writeRecord(
    guard: RootGuard,
    digest: string,
    path: string,
    record: MetadataRecord,
    durable: boolean,
  ): Promise<void> {
    const shard = join(guard.root, metadataShardPath(digest));
    let handle: LocalFileHandle;
    try {
      handle = await this.#fs.open(path, 'w');
    } catch (error) {
      if (nativeCode(error) !== 'ENOENT') throw error;
      // Someone removed the shard directory since the store made it at open: make it again, durably.
      await this.#fs.mkdir(shard, { recursive: true });
      await this.#syncDirectory(join(guard.root, METADATA_DIRECTORY));
      handle = await this.#fs.open(path, 'w');
    }
    try {
      await handle.writev([serializeRecord(record)]);
      if (durable) await Promise.all([syncHandle(handle), this.#syncDirectory(shard)]);
    } finally {
      closeInBackground(handle);
    }
  }

  /**
   * Writes a derivable record after its put has returned: off the put's path, and out of the journal commits that
   * make the put durable. Until it lands (or if it never does: a crash, a full disk) a reader in another process
   * gets exactly what a lost record gives: the same content type and size, the SHA-256 unknown; this process
   * remembers the record meanwhile.
   */
  #deferRecord(guard: RootGuard, digest: string, path: string, record: MetadataRecord): void {
    const writing = this.#writeRecord(guard, digest, path, record, false).catch(async () => {
      await this.#fs.unlink(path).catch(() => undefined);
    });
    this.#deferredRecords.set(path, writing);
    void writing.then(() => {
      if (this.#deferredRecords.get(path) === writing) this.#deferredRecords.delete(path);
    });
  }

  /** Removes a record, after its deferred write if one is still running (else that write would outlive it). */
  async #removeRecord(path: string): Promise<void> {
    await this.#deferredRecords.get(path);
    await this.#fs.unlink(path).catch(() => undefined);
  }

  /** Resolves when every record a put deferred has been written (or has failed and been removed). */
  async settled(): Promise<void> {
    while (this.#deferredRecords.size > 0) await Promise.all(this.#deferredRecords.values());
  }

  async #syncDirectory(path: string): Promise<void> {
    const handle = await this.#fs.open(path, 'r');
    try {
      await syncHandle(handle);
    } finally {
      closeInBackground(handle);
    }
  }

  /**
   * Finds where `key` goes (creating its directories) and what is there now, refusing a directory, a link that
   * leads out, or (create-only) any existing entry.
   */
  async #locate(guard: RootGuard, key: string, createOnly: boolean): Promise<Target> {
    const path = await guard.prepareTarget(key);
    // ENOTDIR: an ancestor is an object (`a` when storing `a/b`); `explain` names it.
    const previous = await this.#lstatOrUndefined(path).catch(async (error: unknown) => {
      throw await guard.explain(error, key);
    });
    if (previous?.isDirectory() === true) throw keyConflictError(key, await this.#firstKeyUnder(key));
    if (previous?.isSymbolicLink() === true) {
      const real = pathText(await this.#fs.realpath(path).catch(() => path));
      if (!guard.contains(real)) throw outsideRootError(key, real);
    }
    if (createOnly && previous !== undefined) throw alreadyExistsError(key);
    return { path, previous };
  }

  /**
   * Moves the finished temporary to its target (a rename, or for create-only a link, which fails if the name is
   * taken) and makes the new name durable. Returns the version it replaced, if any.
   */
  async #commit(
    guard: RootGuard,
    key: string,
    temporary: string,
    createOnly: boolean,
    located: Target,
  ): Promise<string | undefined> {
    const fs = this.#fs;
    let target = located;
    for (let attempt = 1; ; attempt++) {
      try {
        if (createOnly) await fs.link(temporary, target.path);
        else await fs.rename(temporary, target.path);
      } catch (error) {
        const code = nativeCode(error);
        // A concurrent delete removed the emptied parent directory after it was created: create it again.
        if (code === 'ENOENT' && attempt < 3) {
          target = await this.#locate(guard, key, createOnly);
          continue;
        }
        if (code === 'EEXIST' && createOnly && (await this.#lstatOrUndefined(target.path))?.isDirectory() !== true) {
          throw alreadyExistsError(key, error);
        }
        if (code === 'EEXIST' || code === 'EISDIR' || code === 'ENOTEMPTY')
          throw keyConflictError(key, await this.#firstKeyUnder(key));
        throw await guard.explain(error, key);
      }
      if (createOnly) await fs.unlink(temporary);
      await this.#syncDirectory(dirname(target.path));
      return target.previous?.isFile() === true ? fileVersion(target.previous) : undefined;
    }
  }

  async #lstatOrUndefined(path: string): Promise<LocalStats | undefined> {
    try {
      return await this.#fs.lstat(path);
    } catch (error) {
      if (nativeCode(error) === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Names a key under the directory `key` for a conflict message; the directory itself when it holds none. */
  async #firstKeyUnder(key: string): Promise<string> {
    for await (const summary of this.list({ prefix: `${key}/` })) return summary.key;
    return `${key}/`;
  }

  /** See `ObjectStore.get`. Objects without a record (files put there by hand or by Zulip) get a guessed type. */
  async get(key: string, options: GetOptions = {}): Promise<GetResult> {
    validateKey(key);
    assertNotReserved(key);
    throwIfAborted(options.signal, key);
    const guard = await this.#guard();
    const flags =
      this.#fs.constants.O_RDONLY | (this.#fs.constants.O_NOFOLLOW ?? 0) | (this.#fs.constants.O_NONBLOCK ?? 0);
    for (let attempt = 1; ; attempt++) {
      let handle: LocalFileHandle | undefined;
      let first: Promise<Uint8Array<ArrayBuffer>> | undefined;
      let stat: Promise<LocalStats> | undefined;
      try {
        const opened = await this.#openForRead(guard, key, flags);
        handle = opened.handle;
        const real = opened.path;
        // The first bytes are read while the file is stat-ed and proven: a small object is then read in the time of
        // one call. A whole object's start is known; a range's only from the size, so it is guessed from the size
        // the key had when last seen and read again if the stat says otherwise. Nothing read is handed out before
        // the proof holds.
        const remembered = this.#recentRecords.get(key)?.size;
        const guessed = options.range === undefined ? undefined : guessRange(options.range, remembered);
        if (options.range === undefined) first = readStart(handle, firstReadLength(remembered));
        else if (guessed !== undefined) first = readChunk(handle, key, guessed.start, guessed.end);
        first?.catch(() => undefined);
        stat = handle.stat();
        stat.catch(() => undefined);
        await opened.proof;
        const stats = await stat;
        if (stats.isDirectory()) throw notFoundError(key);
        if (!stats.isFile()) throw notAFileError(key);
        const version = fileVersion(stats);
        const size = statNumber(stats.size);
        const range = options.range === undefined ? undefined : resolveRange(options.range, size, key);
        const start = range?.start ?? 0;
        const end = range?.end ?? size - 1;
        if (range !== undefined && (guessed?.start !== range.start || guessed.end !== range.end)) {
          // The guess was wrong (or there was none): the read must finish before the descriptor may be closed.
          await first?.catch(() => undefined);
          first = start <= end ? readChunk(handle, key, start, end) : undefined;
          first?.catch(() => undefined);
        } else if (start > end) {
          // Empty: nothing to hand out, but the read must finish before the descriptor is closed and reused.
          await first;
          first = undefined;
        } else if (range === undefined) {
          first = first?.then((chunk) => {
            if (chunk.byteLength === 0) throw shortReadError(key, 0);
            return chunk.byteLength > size ? chunk.subarray(0, size) : chunk;
          });
          first?.catch(() => undefined);
        }
        const record = await this.#readRecord(guard, key, version);
        if (record === undefined && attempt < READ_ATTEMPTS && (await this.#replacedSince(real, version))) {
          await first?.catch(() => undefined);
          await handle.close();
          continue;
        }
        const info = toInfo(key, stats, version, record);
        const body = fileRangeBody({ handle, key, start, end, signal: options.signal, first });
        const result: GetResult & ChunkReadableResult = {
          ...info,
          ...(range === undefined ? {} : { range }),
          get body() {
            return body.stream();
          },
          [READ_BODY_CHUNKS]: body.chunks,
        };
        return result;
      } catch (error) {
        if (handle !== undefined) {
          const opened = handle;
          await first?.catch(() => undefined);
          await stat?.catch(() => undefined);
          await opened.close().catch(() => undefined);
        }
        throw readError(error, key);
      }
    }
  }

  /** See `ObjectStore.head`. */
  async head(key: string): Promise<ObjectInfo | undefined> {
    validateKey(key);
    assertNotReserved(key);
    const guard = await this.#guard();
    for (let attempt = 1; ; attempt++) {
      try {
        const path = guard.pathOf(key);
        // The entry and its directory's confinement are checked together; a link is then resolved and proven.
        const [entry, proven] = await Promise.allSettled([this.#fs.lstat(path), guard.proveParent(key)]);
        if (proven.status === 'rejected') throw proven.reason;
        if (entry.status === 'rejected') throw entry.reason;
        const real = entry.value.isSymbolicLink() ? await guard.resolveExisting(key) : path;
        const stats = real === path ? entry.value : await this.#fs.stat(real);
        if (!stats.isFile()) return undefined;
        const version = fileVersion(stats);
        const record = await this.#readRecord(guard, key, version);
        if (record === undefined && attempt < READ_ATTEMPTS && (await this.#replacedSince(real, version))) continue;
        return toInfo(key, stats, version, record);
      } catch (error) {
        const mapped = readError(error, key);
        if (mapped.code === 'NotFound') return undefined;
        throw mapped;
      }
    }
  }

  /**
   * Opens `key` for reading; `proof` settles once the open file is proven inside the root: by where the kernel says
   * it is (`LocalFileHandle.resolvedPath`), else by resolving its directory. Nothing read from the handle may be
   * handed out before it holds. A last segment that is a link is resolved and proven before the open.
   */
  async #openForRead(
    guard: RootGuard,
    key: string,
    flags: number,
  ): Promise<{ readonly handle: LocalFileHandle; readonly path: string; readonly proof: Promise<void> }> {
    const path = guard.pathOf(key);
    if (this.#fs.constants.O_NOFOLLOW !== undefined) {
      let handle: LocalFileHandle | undefined;
      try {
        handle = await this.#fs.open(path, flags);
      } catch (error) {
        if (nativeCode(error) !== 'ELOOP') {
          // A directory that leads out of the root is reported as such, whatever the open found there.
          await guard.proveParent(key);
          throw error;
        }
      }
      if (handle !== undefined) {
        const opened = handle;
        const proof = (async (): Promise<void> => {
          const resolved = await opened.resolvedPath?.();
          if (resolved === undefined) await guard.proveParent(key);
          else if (!guard.contains(resolved)) throw outsideRootError(key, resolved);
        })();
        proof.catch(() => undefined);
        return { handle, path, proof };
      }
    }
    const real = await guard.resolveExisting(key);
    return { handle: await this.#fs.open(real, flags), path: real, proof: Promise.resolve() };
  }

  async #readRecord(guard: RootGuard, key: string, version: string): Promise<MetadataRecord | undefined> {
    // Remembered records skip even the key's hash: most reads are of recently used objects.
    const recent = this.#recentRecords.get(key);
    if (recent?.version === version) return recent;
    const path = join(guard.root, metadataRecordPath(keyDigest(key), version));
    const text = await readSmallFile(this.#fs, path);
    if (text === undefined) return undefined;
    const record = parseRecord(text, key, version);
    if (record !== undefined) this.#remember(record);
    return record;
  }

  #remember(record: MetadataRecord): void {
    this.#recentRecords.delete(record.key);
    this.#recentRecords.set(record.key, record);
    if (this.#recentRecords.size > RECENT_RECORDS) {
      const oldest = this.#recentRecords.keys().next();
      if (oldest.done !== true) this.#recentRecords.delete(oldest.value);
    }
  }

  /** Whether the file at `path` is no longer the version a reader opened. */
  async #replacedSince(path: string, version: string): Promise<boolean> {
    const current = await this.#lstatOrUndefined(path);
    return current === undefined || fileVersion(current) !== version;
  }

  /** See `ObjectStore.delete`. Directories the deletion leaves empty are removed too, up to the root. */
  async delete(key: string): Promise<void> {
    validateKey(key);
    assertNotReserved(key);
    const guard = await this.#guard();
    const fs = this.#fs;
    try {
      let entry: string;
      try {
        entry = await guard.resolveEntry(key);
      } catch (error) {
        const code = nativeCode(error);
        if (code === 'ENOENT' || code === 'ENOTDIR') return;
        throw error;
      }
      const stats = await this.#lstatOrUndefined(entry);
      if (stats === undefined || stats.isDirectory()) return;
      if (stats.isSymbolicLink()) {
        const real = pathText(await fs.realpath(entry).catch(() => entry));
        if (!guard.contains(real)) throw outsideRootError(key, real);
      }
      try {
        await fs.unlink(entry);
      } catch (error) {
        if (nativeCode(error) === 'ENOENT') return;
        throw error;
      }
      if (stats.isFile())
        await this.#removeRecord(join(guard.root, metadataRecordPath(keyDigest(key), fileVersion(stats))));
      await this.#removeEmptyParents(guard, dirname(entry));
    } catch (error) {
      throw fsError(error, 'delete', key);
    }
  }

  async #removeEmptyParents(guard: RootGuard, directory: string): Promise<void> {
    for (let current = directory; guard.contains(current); current = dirname(current)) {
      try {
        await this.#fs.rmdir(current);
      } catch {
        // Not empty (or already gone, or refilled by a concurrent put): the directories above are needed too.
        return;
      }
    }
  }

  /** See `ObjectStore.deleteMany`. Keys are deleted a few at a time; the error lists every key that failed. */
  async deleteMany(keys: Iterable<string>): Promise<void> {
    const all = [...keys];
    for (const key of all) {
      validateKey(key);
      assertNotReserved(key);
    }
    const failed: string[] = [];
    const causes: StorageError[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < all.length) {
        const key = all[next++];
        if (key === undefined) return;
        try {
          await this.delete(key);
        } catch (error) {
          failed.push(key);
          causes.push(fsError(error, 'delete', key));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, all.length) }, worker));
    if (failed.length > 0) throw deleteManyError(failed, causes);
  }

  /** See `ObjectStore.copy`: streams the source into an atomic put that verifies the recorded checksum. */
  async copy(fromKey: string, toKey: string): Promise<ObjectInfo> {
    validateKey(toKey);
    assertNotReserved(toKey);
    const source = await this.get(fromKey);
    return this.put(toKey, source.body, {
      contentType: source.contentType,
      contentDisposition: source.contentDisposition,
      cacheControl: source.cacheControl,
      metadata: source.metadata,
      sha256: source.sha256,
      size: source.size,
    });
  }

  /** See `ObjectStore.list`. `pageSize` has no effect: memory is bounded by the directory listings on one path. */
  async *list(options: ListOptions = {}): AsyncGenerator<ObjectSummary> {
    const prefix = validatePrefix(options.prefix ?? '');
    const guard = await this.#guard();
    yield* walkObjects(this.#fs, guard, { prefix, startAfter: options.startAfter, signal: options.signal });
  }

  /**
   * See `ObjectStore.signedUrl`: an HMAC token bound to the key, expiry, disposition and file name, under the
   * configured `signing.urlBase`; `verifySignedUrl` checks it. Throws `Unsupported` without `signing`.
   */
  signedUrl(key: string, options: SignedUrlOptions): Promise<string> {
    try {
      validateKey(key);
      assertNotReserved(key);
      if (this.#signing === undefined)
        throw unsupportedError(`${this.name} has no signing secret configured, so it cannot sign URLs`, key);
      return Promise.resolve(signObjectUrl(this.#signing, { key, ...options }));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** See `ObjectStore.publicUrl`. Throws `Unsupported` without a configured `publicUrlPrefix`. */
  publicUrl(key: string): string {
    validateKey(key);
    assertNotReserved(key);
    if (this.#publicUrlPrefix === undefined)
      throw unsupportedError(`${this.name} is not public: no publicUrlPrefix is configured`, key);
    return `${this.#publicUrlPrefix}/${encodeKeyPath(key)}`;
  }
}

/**
 * Closes a handle whose work is done (written and synced, or read) without making the caller wait one more round
 * trip; a failing close cannot change what was already made durable.
 */
/** Whether every field of the record can be given back from the key and the bytes alone. */
function isDerivable(record: Omit<MetadataRecord, 'version'>): boolean {
  return (
    record.contentType === guessContentType(record.key) &&
    record.contentDisposition === undefined &&
    record.cacheControl === undefined &&
    Object.keys(record.metadata).length === 0
  );
}

function closeInBackground(handle: LocalFileHandle): void {
  handle.close().catch(() => undefined);
}

function checkLimits(key: string, body: Body, options: PutOptions): void {
  const { size, maxSize } = options;
  if (size !== undefined && (!Number.isSafeInteger(size) || size < 0))
    throw invalidArgumentError(`size must be a non-negative integer, got ${size}`, key);
  if (maxSize !== undefined && (!Number.isSafeInteger(maxSize) || maxSize < 0)) {
    throw invalidArgumentError(`maxSize must be a non-negative integer, got ${maxSize}`, key);
  }
  if (size !== undefined && maxSize !== undefined && size > maxSize) throw tooLargeError(key, maxSize);
  const known = knownBodySize(body);
  if (known === undefined) return;
  if (maxSize !== undefined && known > maxSize) throw tooLargeError(key, maxSize);
  if (size !== undefined && known !== size) throw sizeMismatchError(key, size, String(known));
}

/** The range as it resolves for an object of `size` bytes, when that size is known and the range fits it. */
function guessRange(range: ByteRange, size: number | undefined): ResolvedRange | undefined {
  if (size === undefined) return undefined;
  try {
    return resolveRange(range, size);
  } catch {
    // The stat decides what is wrong with it.
    return undefined;
  }
}

function readError(error: unknown, key: string): StorageError {
  const code = nativeCode(error);
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return notFoundError(key, error);
  return fsError(error, 'read', key);
}

function toInfo(key: string, stats: LocalStats, version: string, record: MetadataRecord | undefined): ObjectInfo {
  return {
    key,
    size: statNumber(stats.size),
    contentType: record?.contentType ?? guessContentType(key),
    lastModified: stats.mtime,
    etag: `"${version}"`,
    sha256: record?.sha256,
    contentDisposition: record?.contentDisposition,
    cacheControl: record?.cacheControl,
    metadata: record?.metadata ?? {},
  };
}
