import { compareKeys } from '@stowage/core';
import type { ObjectSummary } from '@stowage/core';

/**
 * What an earlier run proved about one key: the source version it read (by the source's etag and time, which
 * change whenever its bytes change), the SHA-256 of those bytes, and the target version that was verified to hold
 * them (by the target's etag).
 */
export interface JournalEntry {
  readonly key: string;
  readonly size: number;
  /** SHA-256 (base64) of the object's bytes, as verified at the target. */
  readonly sha256: string;
  readonly sourceEtag: string;
  /** The source object's time, in milliseconds. */
  readonly sourceModified: number;
  readonly targetEtag: string;
}

/** Where a run's journal goes, entry by entry in key order. */
export interface JournalWriter {
  /** Adds one entry; entries come in ascending key order (`compareKeys`), each key once. */
  append(entry: JournalEntry): void | Promise<void>;
  /** Makes this journal the one later runs read (replacing the earlier one, atomically where the medium allows). */
  commit(): Promise<void>;
  /** Drops this journal; the earlier one stays as it was. */
  discard(): Promise<void>;
}

/**
 * A record of copies made and verified by earlier runs, kept by the caller where it is safe (the CLI keeps a file
 * outside both stores). It lets a resumed run skip an object with no request and no hashing when both listings
 * still show the versions the journal names; anything else is compared as without a journal.
 */
export interface MigrationJournal {
  /**
   * The entries of earlier runs in ascending key order, in batches (a batch per read of the medium, so a run walks
   * them without a step per entry); each call is a fresh pass. Nothing when there is none.
   */
  read(): AsyncIterable<readonly JournalEntry[]>;
  /**
   * Starts this run's journal. Called only once the run has something to change: a resumed run that proves
   * exactly what the journal already says leaves it untouched.
   */
  write(): JournalWriter | Promise<JournalWriter>;
}

/** An etag that names a version: the empty `""` some listings give says nothing. */
function names(etag: string): boolean {
  return etag !== '' && etag !== '""';
}

/**
 * Whether the journal entry proves that the target holds the source's bytes: both sides still show the versions
 * (etags, sizes, source time) that were copied and verified, so by the stores' own etag promise neither changed.
 */
export function journalProves(
  entry: JournalEntry | undefined,
  source: ObjectSummary,
  target: ObjectSummary | undefined,
): boolean {
  if (entry === undefined || target === undefined) return false;
  return (
    entry.key === source.key &&
    entry.size === source.size &&
    entry.size === target.size &&
    names(entry.sourceEtag) &&
    names(entry.targetEtag) &&
    entry.sourceEtag === source.etag &&
    entry.sourceModified === source.lastModified.getTime() &&
    entry.targetEtag === target.etag
  );
}

/** Returned by `JournalCursor.findLoaded` when the entries loaded so far cannot tell. */
export const NOT_LOADED: unique symbol = Symbol('not loaded');

/**
 * Walks sorted entries forward, a batch at a time: lookups within a loaded batch need no await, so a resumed run of
 * millions of keys spends nothing per entry beyond the comparison. A journal out of order is trusted up to the
 * first entry out of order.
 */
export class JournalCursor {
  readonly #iterator: AsyncIterator<readonly JournalEntry[]> | undefined;
  #batch: readonly JournalEntry[] = [];
  #index = 0;
  #lastKey: string | undefined;
  #done: boolean;

  constructor(batches: AsyncIterable<readonly JournalEntry[]> | undefined) {
    this.#iterator = batches?.[Symbol.asyncIterator]();
    this.#done = batches === undefined;
  }

  /** Whether an entry is loaded at the cursor or the journal has ended: `current` and `advance` may be used. */
  get loaded(): boolean {
    return this.#index < this.#batch.length || this.#done;
  }

  /** The entry at the cursor (`undefined` past the end); only when `loaded`. */
  get current(): JournalEntry | undefined {
    return this.#batch[this.#index];
  }

  /** Moves past the entry at the cursor; only when `loaded`. */
  advance(): void {
    this.#index++;
  }

  /** Loads the next batch once the loaded one is used up; resolves at once when `loaded`. */
  async load(): Promise<void> {
    while (!this.loaded) {
      const step = this.#iterator === undefined ? undefined : await this.#iterator.next();
      if (step === undefined || step.done === true) {
        this.#end();
        return;
      }
      this.#take(step.value);
    }
  }

  /**
   * The entry for `key` if the loaded entries tell (`undefined` for none), moving past every entry before it;
   * `NOT_LOADED` when the cursor must `load` first. Keys must be asked in ascending order.
   */
  findLoaded(key: string): JournalEntry | undefined | typeof NOT_LOADED {
    for (;;) {
      if (!this.loaded) return NOT_LOADED;
      const entry = this.current;
      if (entry === undefined) return undefined;
      const order = compareKeys(entry.key, key);
      if (order === 0) return entry;
      if (order > 0) return undefined;
      this.advance();
    }
  }

  /** The entry for `key`, if any, moving past every entry before it; keys must be asked in ascending order. */
  async find(key: string): Promise<JournalEntry | undefined> {
    for (;;) {
      const found = this.findLoaded(key);
      if (found !== NOT_LOADED) return found;
      await this.load();
    }
  }

  async close(): Promise<void> {
    this.#end();
    await this.#iterator?.return?.();
  }

  #end(): void {
    this.#done = true;
    this.#batch = [];
    this.#index = 0;
  }

  #take(batch: readonly JournalEntry[]): void {
    let previous = this.#lastKey;
    for (const [index, entry] of batch.entries()) {
      if (previous !== undefined && compareKeys(previous, entry.key) >= 0) {
        // A journal out of order cannot be walked beside the listings: stop trusting the rest of it.
        this.#batch = batch.slice(0, index);
        this.#index = 0;
        this.#done = true;
        return;
      }
      previous = entry.key;
    }
    this.#batch = batch;
    this.#index = 0;
    this.#lastKey = previous;
  }
}

interface Settled {
  readonly key: string;
  readonly entry: JournalEntry | undefined;
}

function sameEntry(left: JournalEntry, right: JournalEntry): boolean {
  return (
    left.key === right.key &&
    left.size === right.size &&
    left.sha256 === right.sha256 &&
    left.sourceEtag === right.sourceEtag &&
    left.sourceModified === right.sourceModified &&
    left.targetEtag === right.targetEtag
  );
}

/**
 * Writes this run's journal in key order although objects finish out of order: each object takes a ticket in
 * listing order when it starts, and its entry (or its lack of one) is written once every earlier ticket is settled.
 * Entries of the earlier journal for keys this run did not settle (outside the prefix, after an interruption) are
 * carried over in their place, so the journal keeps what is still true; an earlier entry for a key this run
 * settled is replaced (or dropped, when the run proved nothing for it).
 *
 * A run that only proves again what the earlier journal says (a resumed run with nothing to copy) writes nothing:
 * the new journal is started at the first difference, beginning with the earlier entries that were kept up to it,
 * read again.
 */
export class JournalRecorder {
  readonly #journal: MigrationJournal;
  readonly #earlier: JournalCursor;
  readonly #settled = new Map<number, Settled>();
  #writer: JournalWriter | undefined;
  /** Earlier entries kept unchanged while no writer was needed: the new journal starts with these. */
  #kept = 0;
  #nextTicket = 0;
  #nextToWrite = 0;
  #failed = false;
  #chain: Promise<void> = Promise.resolve();

  constructor(journal: MigrationJournal) {
    this.#journal = journal;
    this.#earlier = new JournalCursor(journal.read());
  }

  /** A ticket for the next key in listing order. */
  ticket(): number {
    return this.#nextTicket++;
  }

  /** Settles a ticket: `entry` is what this run proved for `key`, or `undefined` when it proved nothing. */
  settle(ticket: number, key: string, entry: JournalEntry | undefined): void {
    this.#settled.set(ticket, { key, entry });
    const ready: Settled[] = [];
    for (
      let next = this.#settled.get(this.#nextToWrite);
      next !== undefined;
      next = this.#settled.get(this.#nextToWrite)
    ) {
      this.#settled.delete(this.#nextToWrite++);
      ready.push(next);
    }
    if (ready.length > 0) this.#chain = this.#chain.then(() => this.#write(ready));
  }

  /**
   * Writes what is settled in order and the rest of the earlier journal, then commits; a run that changed nothing
   * leaves the earlier journal as it is. Entries after a ticket that never settled (an interrupted run) are left
   * out. On any write failure the journal being written is discarded.
   */
  async finish(): Promise<void> {
    await this.#chain;
    try {
      if (this.#failed) throw new Error('journal write failed');
      if (this.#writer !== undefined) {
        for (;;) {
          if (!this.#earlier.loaded) await this.#earlier.load();
          const earlier = this.#earlier.current;
          if (earlier === undefined) break;
          await this.#writer.append(earlier);
          this.#earlier.advance();
        }
        await this.#writer.commit();
      }
      await this.#earlier.close();
    } catch {
      // The journal only saves work: losing it makes the next run compare by SHA-256, never skip wrongly.
      await this.#earlier.close().catch(() => undefined);
      await this.#writer?.discard().catch(() => undefined);
    }
  }

  /** The writer, started at the first difference with the earlier entries kept before it. */
  async #startedWriter(): Promise<JournalWriter> {
    if (this.#writer !== undefined) return this.#writer;
    const writer = await this.#journal.write();
    this.#writer = writer;
    const kept = new JournalCursor(this.#journal.read());
    try {
      for (let copied = 0; copied < this.#kept; copied++) {
        if (!kept.loaded) await kept.load();
        const entry = kept.current;
        if (entry === undefined) throw new Error('the earlier journal changed while it was read');
        await writer.append(entry);
        kept.advance();
      }
    } finally {
      await kept.close();
    }
    return writer;
  }

  async #write(ready: readonly Settled[]): Promise<void> {
    if (this.#failed) return;
    try {
      for (const { key, entry } of ready) {
        let replaced: JournalEntry | undefined;
        for (;;) {
          if (!this.#earlier.loaded) await this.#earlier.load();
          const earlier = this.#earlier.current;
          if (earlier === undefined) break;
          const order = compareKeys(earlier.key, key);
          if (order > 0) break;
          this.#earlier.advance();
          if (order === 0) {
            replaced = earlier;
            break;
          }
          // An earlier entry for a key this run did not settle: kept.
          if (this.#writer === undefined) this.#kept++;
          else await this.#writer.append(earlier);
        }
        if (entry === undefined && replaced === undefined) continue;
        if (this.#writer === undefined && entry !== undefined && replaced !== undefined && sameEntry(entry, replaced)) {
          this.#kept++;
          continue;
        }
        const writer = await this.#startedWriter();
        if (entry !== undefined) await writer.append(entry);
      }
    } catch {
      this.#failed = true;
    }
  }
}
