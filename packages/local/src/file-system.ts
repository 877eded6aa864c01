import * as nodeFs from 'node:fs/promises';

/**
 * The slice of a `node:fs/promises` file handle the store uses. The types are deliberately loose (numbers or
 * bigints, strings or bytes) so that both Node's module and `memfs`'s `promises` satisfy them unchanged.
 */
export interface LocalFileHandle {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  writev(buffers: Uint8Array[], position?: number): Promise<{ bytesWritten: number }>;
  /** fsync: data and metadata (size, mtime) reach the disk. Used when present, else `datasync`. */
  sync?(): Promise<void>;
  /** fdatasync: the data and the size reach the disk. */
  datasync(): Promise<void>;
  stat(): Promise<LocalStats>;
  close(): Promise<void>;
}

/** What the store reads from a stat result. */
export interface LocalStats {
  readonly ino: number | bigint;
  readonly size: number | bigint;
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
  isSymbolicLink(): boolean;
}

/**
 * The file-system calls `LocalStore` makes: Node's `node:fs/promises` by default; inject `memfs` (its `promises`)
 * in tests, or any other implementation of these calls.
 */
export interface LocalFileSystem {
  readonly constants: { readonly O_RDONLY: number; readonly O_NOFOLLOW?: number | undefined; readonly O_NONBLOCK?: number | undefined };
  open(path: string, flags: string | number): Promise<LocalFileHandle>;
  mkdir(path: string, options: { recursive: true }): Promise<string | undefined>;
  readdir(path: string, options: { withFileTypes: true }): Promise<readonly (LocalDirent | string | Uint8Array)[]>;
  readFile(path: string): Promise<string | Uint8Array>;
  realpath(path: string): Promise<string | Uint8Array>;
  lstat(path: string): Promise<LocalStats>;
  stat(path: string): Promise<LocalStats>;
  rename(from: string, to: string): Promise<void>;
  link(existing: string, created: string): Promise<void>;
  unlink(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
}

/** Node's own file system. */
export const nodeFileSystem: LocalFileSystem = nodeFs;

const decoder = new TextDecoder();

/** A path or name as a string, whichever form the file system returned. */
export function pathText(value: string | Uint8Array): string {
  return typeof value === 'string' ? value : decoder.decode(value);
}

/** A stat number as a JavaScript number (bigints only come from file systems asked for them). */
export function statNumber(value: number | bigint): number {
  return typeof value === 'bigint' ? Number(value) : value;
}

/** Makes everything written through the handle durable, mtime included where the file system offers it. */
export async function syncHandle(handle: LocalFileHandle): Promise<void> {
  if (handle.sync === undefined) await handle.datasync();
  else await handle.sync();
}

/**
 * A small file's whole content as text in three calls (open, read, close), where `readFile` makes five: the
 * metadata record is read on every `get` and `head`.
 */
export async function readSmallFile(fs: LocalFileSystem, path: string): Promise<string> {
  const handle = await fs.open(path, fs.constants.O_RDONLY);
  try {
    const chunks: Uint8Array[] = [];
    for (let position = 0; ; ) {
      const buffer = new Uint8Array(16 * 1024);
      const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, position);
      chunks.push(buffer.subarray(0, bytesRead));
      position += bytesRead;
      if (bytesRead < buffer.byteLength) break;
    }
    const decoder = new TextDecoder();
    return chunks.map((chunk, index) => decoder.decode(chunk, { stream: index < chunks.length - 1 })).join('');
  } finally {
    await handle.close();
  }
}
