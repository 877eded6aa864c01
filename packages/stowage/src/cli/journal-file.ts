import { createHash } from 'node:crypto';
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { compareKeys } from '@stowage/core';
import type { Environment } from '@stowage/core';
import type { JournalEntry, JournalWriter, MigrationJournal } from '@stowage/migrate';

const HEADER = JSON.stringify({ journal: 'stowage-migrate', version: 1 });
/** Entries are written out at least this often (bytes, milliseconds), so a killed run leaves most of them behind. */
const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 1000;
/** Bytes read from a journal file at a time: a batch of about a thousand entries. */
const READ_BYTES = 256 * 1024;

/** Where journals live unless `--journal-dir` says otherwise: the XDG state directory, as tools keep run state. */
export function defaultJournalDirectory(env: Environment): string {
  const state = env.XDG_STATE_HOME?.trim();
  const base = state !== undefined && state !== '' ? state : join(env.HOME?.trim() || homedir(), '.local', 'state');
  return join(base, 'stowage', 'migrate');
}

/** The journal file of one source and target pair (their names and endpoints), inside `directory`. */
export function journalPath(directory: string, parts: readonly string[]): string {
  const digest = createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);
  return join(directory, `${digest}.journal`);
}

function parseEntry(line: string): JournalEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 6) return undefined;
  const [key, size, sha256, sourceEtag, sourceModified, targetEtag] = value as unknown[];
  if (
    typeof key !== 'string' ||
    typeof sha256 !== 'string' ||
    typeof sourceEtag !== 'string' ||
    typeof targetEtag !== 'string'
  )
    return undefined;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return undefined;
  if (typeof sourceModified !== 'number' || !Number.isFinite(sourceModified)) return undefined;
  return { key, size, sha256, sourceEtag, sourceModified, targetEtag };
}

/**
 * The entries of a journal file in batches, one per read of the file. Trust ends at the first torn or foreign line,
 * and a file without the header is not read at all.
 */
async function* readEntries(path: string): AsyncGenerator<JournalEntry[], void, undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch {
    return;
  }
  try {
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(READ_BYTES);
    let partialLine = '';
    let first = true;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      const ended = bytesRead === 0;
      const lines = (partialLine + decoder.decode(buffer.subarray(0, bytesRead), { stream: !ended })).split('\n');
      // The last piece is a line still being read, or (at the end) what follows the last newline.
      partialLine = lines.pop() ?? '';
      if (ended && partialLine !== '') lines.push(partialLine);
      const batch: JournalEntry[] = [];
      for (const line of lines) {
        if (first) {
          first = false;
          if (line !== HEADER) return;
          continue;
        }
        const entry = parseEntry(line);
        if (entry === undefined) {
          // A torn or foreign line ends what is trusted: the rest is compared as if never journaled.
          if (batch.length > 0) yield batch;
          return;
        }
        batch.push(entry);
      }
      if (batch.length > 0) yield batch;
      if (ended) return;
    }
  } finally {
    await handle.close();
  }
}

class FileJournalWriter implements JournalWriter {
  readonly #handle: FileHandle;
  readonly #temporary: string;
  readonly #path: string;
  #buffered: string[] = [];
  #bufferedBytes = 0;
  #flushedAt = performance.now();

  constructor(handle: FileHandle, temporary: string, path: string) {
    this.#handle = handle;
    this.#temporary = temporary;
    this.#path = path;
    this.#push(HEADER);
  }

  async append(entry: JournalEntry): Promise<void> {
    this.#push(
      JSON.stringify([entry.key, entry.size, entry.sha256, entry.sourceEtag, entry.sourceModified, entry.targetEtag]),
    );
    if (this.#bufferedBytes >= FLUSH_BYTES || performance.now() - this.#flushedAt >= FLUSH_MS) await this.#flush();
  }

  async commit(): Promise<void> {
    await this.#flush();
    await this.#handle.sync();
    await this.#handle.close();
    await rename(this.#temporary, this.#path);
  }

  async discard(): Promise<void> {
    await this.#handle.close().catch(() => undefined);
    await unlink(this.#temporary).catch(() => undefined);
  }

  #push(line: string): void {
    this.#buffered.push(line);
    this.#bufferedBytes += line.length + 1;
  }

  async #flush(): Promise<void> {
    this.#flushedAt = performance.now();
    if (this.#buffered.length === 0) return;
    const text = `${this.#buffered.join('\n')}\n`;
    this.#buffered = [];
    this.#bufferedBytes = 0;
    await this.#handle.write(text);
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The journals being written by runs that no longer exist (killed before they could commit or discard). */
async function abandonedJournals(path: string): Promise<string[]> {
  const prefix = `${basename(path)}.`;
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  const abandoned: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = Number(name.slice(prefix.length, -'.tmp'.length));
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && !running(pid))
      abandoned.push(join(dirname(path), name));
  }
  return abandoned.sort();
}

/**
 * Folds the journal a killed run was writing into the committed one. A run writes its entries in key order, each
 * only once its copy was verified, together with the earlier journal's entries up to that key: so what it left is
 * true, and the committed journal's entries after its last key still are. A run killed near the end of a long
 * migration thus leaves the rerun nearly all of its work to skip, instead of comparing it all by SHA-256.
 */
async function salvage(path: string, abandoned: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w', 0o600);
  const writer = new FileJournalWriter(handle, temporary, path);
  try {
    let last: string | undefined;
    for await (const batch of readEntries(abandoned)) {
      for (const entry of batch) {
        await writer.append(entry);
        last = entry.key;
      }
    }
    if (last === undefined) {
      await writer.discard();
      return;
    }
    for await (const batch of readEntries(path)) {
      for (const entry of batch) {
        if (compareKeys(entry.key, last) > 0) await writer.append(entry);
      }
    }
    await writer.commit();
  } catch (error) {
    await writer.discard();
    throw error;
  }
}

/** Salvages (see `salvage`) and removes the journals of killed runs; one that cannot be salvaged is only removed. */
async function salvageAbandoned(path: string): Promise<void> {
  for (const abandoned of await abandonedJournals(path)) {
    await salvage(path, abandoned).catch(() => undefined);
    await unlink(abandoned).catch(() => undefined);
  }
}

/**
 * A migration journal in one file of JSON lines, sorted by key, outside both stores. A run writes its journal to a
 * temporary file beside it and renames it into place at the end (after fsync), so a crash leaves the earlier
 * journal whole; its entries name the versions they prove, so a stale one can never make a run skip wrongly. What
 * a killed run had written is folded in by the next run that opens the journal.
 */
export function fileJournal(path: string): MigrationJournal {
  let prepared: Promise<void> | undefined;
  const prepare = (): Promise<void> => {
    prepared ??= mkdir(dirname(path), { recursive: true }).then(() => salvageAbandoned(path));
    return prepared;
  };
  return {
    async *read() {
      await prepare();
      yield* readEntries(path);
    },
    async write() {
      await prepare();
      // Again: runs killed since this journal was first opened leave their work too.
      await salvageAbandoned(path);
      const temporary = `${path}.${process.pid}.tmp`;
      const handle = await open(temporary, 'w', 0o600);
      return new FileJournalWriter(handle, temporary, path);
    },
  };
}
