import { dirname, join, sep } from 'node:path';
import type { StorageError } from '@stowage/core';
import { fsError, keyConflictError, nativeCode, outsideRootError } from './errors.ts';
import { pathText } from './file-system.ts';
import type { LocalFileSystem } from './file-system.ts';
import { RESERVED_DIRECTORY } from './layout.ts';

/**
 * Proves that paths derived from keys stay inside the store's root. Keys are validated (no `..`, no absolute
 * paths), so only symbolic links can lead out; every check therefore resolves links with `realpath` and compares
 * the result with the root's own real path.
 */
export class RootGuard {
  readonly #fs: LocalFileSystem;
  /** The root with every link resolved. */
  readonly root: string;
  readonly #reserved: string;
  /** The root and one separator, to which a key's path is appended. */
  readonly #prefix: string;

  constructor(fs: LocalFileSystem, realRoot: string) {
    this.#fs = fs;
    this.root = realRoot;
    this.#reserved = join(realRoot, RESERVED_DIRECTORY);
    this.#prefix = realRoot.endsWith(sep) ? realRoot : realRoot + sep;
  }

  /**
   * The unresolved path of a key: the root joined with the key's segments. A valid key has no empty, `.` or `..`
   * segment, so appending it is all `join` would do, without the cost of normalizing (paid on every call).
   */
  pathOf(key: string): string {
    return this.#prefix + (sep === '/' ? key : key.replaceAll('/', sep));
  }

  /** Whether a resolved path is an object path: inside the root and outside the reserved directory. */
  contains(realPath: string): boolean {
    if (!realPath.startsWith(this.root + sep)) return false;
    return realPath !== this.#reserved && !realPath.startsWith(this.#reserved + sep);
  }

  /**
   * The real path of an existing object, proven inside the root. Throws the native `ENOENT`/`ENOTDIR` for a
   * missing one (callers decide what absence means) and `AccessDenied` when a link leads out.
   */
  async resolveExisting(key: string): Promise<string> {
    const real = pathText(await this.#fs.realpath(this.pathOf(key)));
    if (!this.contains(real)) throw outsideRootError(key, real);
    return real;
  }

  /**
   * Proves that the directory holding `key` resolves inside the root (the root itself for a one-segment key).
   * Throws the native `ENOENT`/`ENOTDIR` when it is missing and `AccessDenied` when a link leads out.
   */
  async proveParent(key: string): Promise<void> {
    const lastSlash = key.lastIndexOf('/');
    if (lastSlash === -1) return;
    await this.#realDirectory(this.pathOf(key.slice(0, lastSlash)), key);
  }

  /**
   * The path of the directory entry for `key` (not following a link in its last segment) under its parent's real
   * path, proven inside the root. Throws the native `ENOENT`/`ENOTDIR` when the parent is missing.
   */
  async resolveEntry(key: string): Promise<string> {
    const segments = key.split('/');
    const name = segments.pop() ?? key;
    if (segments.length === 0) return join(this.root, name);
    return join(await this.#realDirectory(join(this.root, ...segments), key), name);
  }

  /**
   * Creates the directories a new object at `key` needs and returns the real path it should be renamed to.
   * Refuses (`AccessDenied`) when a link on the way leads out and (`AlreadyExists`) when an ancestor is an object.
   */
  async prepareTarget(key: string): Promise<string> {
    const segments = key.split('/');
    const name = segments.pop() ?? key;
    if (segments.length === 0) return join(this.root, name);
    const parent = join(this.root, ...segments);
    let real: string;
    try {
      real = await this.#realDirectory(parent, key);
    } catch (error) {
      const code = nativeCode(error);
      if (code !== 'ENOENT') throw await this.#explain(error, key, segments);
      // Never let mkdir follow a link: prove the deepest existing ancestor first, then create below it.
      await this.#proveDeepestAncestor(parent, key);
      try {
        await this.#fs.mkdir(parent, { recursive: true });
      } catch (mkdirError) {
        throw await this.#explain(mkdirError, key, segments);
      }
      real = await this.#realDirectory(parent, key);
    }
    return join(real, name);
  }

  async #realDirectory(path: string, key: string): Promise<string> {
    const real = pathText(await this.#fs.realpath(path));
    if (!this.contains(real)) throw outsideRootError(key, real);
    return real;
  }

  async #proveDeepestAncestor(path: string, key: string): Promise<void> {
    for (let current = dirname(path); current.length > this.root.length; current = dirname(current)) {
      try {
        await this.#realDirectory(current, key);
        return;
      } catch (error) {
        if (nativeCode(error) !== 'ENOENT') throw error;
      }
    }
  }

  /**
   * Turns "not a directory" on the way to `key` into a conflict naming the object that is in the way; any other
   * error becomes the matching `StorageError`.
   */
  async explain(error: unknown, key: string): Promise<StorageError> {
    return this.#explain(error, key, key.split('/').slice(0, -1));
  }

  async #explain(error: unknown, key: string, segments: readonly string[]): Promise<StorageError> {
    const code = nativeCode(error);
    if (code !== 'ENOTDIR' && code !== 'EEXIST') return fsError(error, 'store', key);
    for (let depth = 1; depth <= segments.length; depth++) {
      const ancestor = segments.slice(0, depth).join('/');
      try {
        const stats = await this.#fs.lstat(this.pathOf(ancestor));
        if (!stats.isDirectory()) return keyConflictError(key, ancestor);
      } catch {
        break;
      }
    }
    return fsError(error, 'store', key);
  }
}
