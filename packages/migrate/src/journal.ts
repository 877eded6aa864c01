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
  /** The entries of earlier runs, in ascending key order; each call is a fresh pass. Empty when there is none. */
  read(): AsyncIterable<JournalEntry>;
  /** Starts this run's journal. */
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
export function journalProves(entry: JournalEntry | undefined, source: ObjectSummary, target: ObjectSummary | undefined): boolean {
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

/** Walks sorted entries forward. */
export class JournalCursor {
  readonly #iterator: AsyncIterator<JournalEntry> | undefined;
  #current: JournalEntry | undefined;
  #started = false;
  #done: boolean;

  constructor(entries: AsyncIterable<JournalEntry> | undefined) {
    this.#iterator = entries?.[Symbol.asyncIterator]();
    this.#done = entries === undefined;
  }

  /** The entry at the cursor, or `undefined` past the end. */
  async peek(): Promise<JournalEntry | undefined> {
    if (!this.#started) await this.#advance();
    return this.#current;
  }

  /** Moves past the entry at the cursor. */
  async take(): Promise<void> {
    if (!this.#started) await this.#advance();
    await this.#advance();
  }

  /** The entry for `key`, if any, moving past every entry before it; keys must be asked in ascending order. */
  async find(key: string): Promise<JournalEntry | undefined> {
    for (let entry = await this.peek(); entry !== undefined; entry = await this.peek()) {
      const order = compareKeys(entry.key, key);
      if (order === 0) return entry;
      if (order > 0) return undefined;
      await this.take();
    }
    return undefined;
  }

  async close(): Promise<void> {
    this.#done = true;
    this.#current = undefined;
    await this.#iterator?.return?.();
  }

  async #advance(): Promise<void> {
    const previous = this.#current;
    this.#started = true;
    const step = this.#iterator === undefined || this.#done ? undefined : await this.#iterator.next();
    if (step === undefined || step.done === true) {
      this.#current = undefined;
      this.#done = true;
      return;
    }
    if (previous !== undefined && compareKeys(previous.key, step.value.key) >= 0) {
      // A journal out of order cannot be walked beside the listings: stop trusting the rest of it.
      this.#current = undefined;
      this.#done = true;
      return;
    }
    this.#current = step.value;
  }
}

interface Settled {
  readonly key: string;
  readonly entry: JournalEntry | undefined;
}

/**
 * Writes this run's journal in key order although objects finish out of order: each object takes a ticket in
 * listing order when it starts, and its entry (or its lack of one) is written once every earlier ticket is settled.
 * Entries of the earlier journal for keys this run did not settle (outside the prefix, after an interruption) are
 * carried over in their place, so the journal keeps what is still true; an earlier entry for a key this run
 * settled is replaced (or dropped, when the run proved nothing for it).
 */
export class JournalRecorder {
  readonly #writer: JournalWriter;
  readonly #earlier: JournalCursor;
  readonly #settled = new Map<number, Settled>();
  #nextTicket = 0;
  #nextToWrite = 0;
  #failed = false;
  #chain: Promise<void> = Promise.resolve();

  constructor(writer: JournalWriter, earlier: AsyncIterable<JournalEntry> | undefined) {
    this.#writer = writer;
    this.#earlier = new JournalCursor(earlier);
  }

  /** A ticket for the next key in listing order. */
  ticket(): number {
    return this.#nextTicket++;
  }

  /** Settles a ticket: `entry` is what this run proved for `key`, or `undefined` when it proved nothing. */
  settle(ticket: number, key: string, entry: JournalEntry | undefined): void {
    this.#settled.set(ticket, { key, entry });
    const ready: Settled[] = [];
    for (let next = this.#settled.get(this.#nextToWrite); next !== undefined; next = this.#settled.get(this.#nextToWrite)) {
      this.#settled.delete(this.#nextToWrite++);
      ready.push(next);
    }
    if (ready.length > 0) this.#chain = this.#chain.then(() => this.#write(ready));
  }

  /**
   * Writes what is settled in order and the rest of the earlier journal, then commits. Entries after a ticket
   * that never settled (an interrupted run) are left out. On any write failure the journal is discarded.
   */
  async finish(): Promise<void> {
    await this.#chain;
    try {
      if (this.#failed) throw new Error('journal write failed');
      for (let entry = await this.#earlier.peek(); entry !== undefined; entry = await this.#earlier.peek()) {
        await this.#writer.append(entry);
        await this.#earlier.take();
      }
      await this.#earlier.close();
      await this.#writer.commit();
    } catch {
      // The journal only saves work: losing it makes the next run compare by SHA-256, never skip wrongly.
      await this.#earlier.close().catch(() => undefined);
      await this.#writer.discard().catch(() => undefined);
    }
  }

  async #write(ready: readonly Settled[]): Promise<void> {
    if (this.#failed) return;
    try {
      for (const { key, entry } of ready) {
        for (let earlier = await this.#earlier.peek(); earlier !== undefined; earlier = await this.#earlier.peek()) {
          const order = compareKeys(earlier.key, key);
          if (order > 0) break;
          if (order < 0) await this.#writer.append(earlier);
          await this.#earlier.take();
        }
        if (entry !== undefined) await this.#writer.append(entry);
      }
    } catch {
      this.#failed = true;
    }
  }
}
