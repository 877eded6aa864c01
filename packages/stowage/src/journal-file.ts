import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Environment } from '@stowage/core';
import type { JournalEntry, JournalWriter, MigrationJournal } from '@stowage/migrate';

const HEADER = JSON.stringify({ journal: 'stowage-migrate', version: 1 });
const FLUSH_BYTES = 256 * 1024;

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
  if (typeof key !== 'string' || typeof sha256 !== 'string' || typeof sourceEtag !== 'string' || typeof targetEtag !== 'string') return undefined;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return undefined;
  if (typeof sourceModified !== 'number' || !Number.isFinite(sourceModified)) return undefined;
  return { key, size, sha256, sourceEtag, sourceModified, targetEtag };
}

async function* readEntries(path: string): AsyncGenerator<JournalEntry, void, undefined> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const opened = await new Promise<boolean>((resolve) => {
    stream.once('open', () => {
      resolve(true);
    });
    stream.once('error', () => {
      resolve(false);
    });
  });
  if (!opened) return;
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    let first = true;
    for await (const line of lines) {
      if (first) {
        first = false;
        if (line !== HEADER) return;
        continue;
      }
      const entry = parseEntry(line);
      // A torn or foreign line ends what is trusted: the rest is compared as if never journaled.
      if (entry === undefined) return;
      yield entry;
    }
  } finally {
    lines.close();
    stream.destroy();
  }
}

class FileJournalWriter implements JournalWriter {
  readonly #handle: FileHandle;
  readonly #temporary: string;
  readonly #path: string;
  #buffered: string[] = [];
  #bufferedBytes = 0;

  constructor(handle: FileHandle, temporary: string, path: string) {
    this.#handle = handle;
    this.#temporary = temporary;
    this.#path = path;
    this.#push(HEADER);
  }

  async append(entry: JournalEntry): Promise<void> {
    this.#push(JSON.stringify([entry.key, entry.size, entry.sha256, entry.sourceEtag, entry.sourceModified, entry.targetEtag]));
    if (this.#bufferedBytes >= FLUSH_BYTES) await this.#flush();
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

/** Removes journals being written by runs that no longer exist (killed before they could commit or discard). */
async function removeAbandoned(path: string): Promise<void> {
  const prefix = `${basename(path)}.`;
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = Number(name.slice(prefix.length, -'.tmp'.length));
    if (Number.isSafeInteger(pid) && pid > 0 && !running(pid)) await unlink(join(dirname(path), name)).catch(() => undefined);
  }
}

/**
 * A migration journal in one file of JSON lines, sorted by key, outside both stores. A run writes its journal to a
 * temporary file beside it and renames it into place at the end (after fsync), so a crash leaves the earlier
 * journal whole; its entries name the versions they prove, so a stale one can never make a run skip wrongly.
 */
export function fileJournal(path: string): MigrationJournal {
  return {
    read: () => readEntries(path),
    async write() {
      await mkdir(dirname(path), { recursive: true });
      await removeAbandoned(path);
      const temporary = `${path}.${process.pid}.tmp`;
      const handle = await open(temporary, 'w', 0o600);
      return new FileJournalWriter(handle, temporary, path);
    },
  };
}
