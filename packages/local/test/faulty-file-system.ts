import type { LocalFileHandle, LocalFileSystem } from '../src/file-system.ts';

/** One call the store made: `open`, `rename`, ... or a handle's `handle.writev`, `handle.sync`, ... */
export interface FsCall {
  readonly index: number;
  readonly method: string;
  readonly path?: string | undefined;
}

/** Decides per call whether it fails, and with what. */
export type FaultPlan = (call: FsCall) => Error | undefined;

/** A native-looking error (`code`, `syscall`), as Node's fs throws. */
export function nativeError(code: string, syscall: string): Error {
  return Object.assign(new Error(`${code}: simulated failure, ${syscall}`), { code, syscall, errno: -1 });
}

/**
 * Wraps a file system so that `plan` can fail any call, counting every call (file-handle calls included) in
 * order. `calls` records what the store did, for tests that enumerate every step of an operation.
 */
export function faultyFileSystem(
  base: LocalFileSystem,
  plan: FaultPlan,
): { readonly fs: LocalFileSystem; readonly calls: FsCall[] } {
  const calls: FsCall[] = [];
  const check = (method: string, path?: string): void => {
    const call = { index: calls.length, method, path };
    calls.push(call);
    const error = plan(call);
    if (error !== undefined) throw error;
  };
  const wrapHandle = (handle: LocalFileHandle): LocalFileHandle => ({
    read: async (...args) => {
      check('handle.read');
      return handle.read(...args);
    },
    writev: async (...args) => {
      check('handle.writev');
      return handle.writev(...args);
    },
    sync: async () => {
      check('handle.sync');
      if (handle.sync === undefined) await handle.datasync();
      else await handle.sync();
    },
    datasync: async () => {
      check('handle.datasync');
      await handle.datasync();
    },
    stat: async () => {
      check('handle.stat');
      return handle.stat();
    },
    // Closing always works, as after a crash the kernel closes everything anyway.
    close: () => handle.close(),
  });
  const fs: LocalFileSystem = {
    constants: base.constants,
    open: async (path, flags) => {
      check('open', path);
      return wrapHandle(await base.open(path, flags));
    },
    mkdir: async (path, options) => {
      check('mkdir', path);
      return base.mkdir(path, options);
    },
    readdir: async (path, options) => {
      check('readdir', path);
      return base.readdir(path, options);
    },
    readFile: async (path) => {
      check('readFile', path);
      return base.readFile(path);
    },
    realpath: async (path) => {
      check('realpath', path);
      return base.realpath(path);
    },
    lstat: async (path) => {
      check('lstat', path);
      return base.lstat(path);
    },
    stat: async (path) => {
      check('stat', path);
      return base.stat(path);
    },
    rename: async (from, to) => {
      check('rename', to);
      await base.rename(from, to);
    },
    link: async (existing, created) => {
      check('link', created);
      await base.link(existing, created);
    },
    unlink: async (path) => {
      check('unlink', path);
      await base.unlink(path);
    },
    rmdir: async (path) => {
      check('rmdir', path);
      await base.rmdir(path);
    },
  };
  return { fs, calls };
}
