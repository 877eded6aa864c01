import { StorageError } from '../errors.ts';

/** The bytes of one slice, as the chunks they arrived in. */
export type SliceChunks = readonly Uint8Array[];

/**
 * One slice being fetched from the origin, shared by every reader that wants it meanwhile (single flight).
 * `data` resolves with the bytes once they have arrived; once the slice has reached the tier (or failed to), it is
 * replaced by a promise of `undefined`, so the bytes are not held for readers that come later: those read the
 * tier instead. It rejects with the fetch's error, or with an `abandonedError` when every reader left first.
 */
export interface Flight {
  readonly key: string;
  readonly etag: string;
  readonly sliceNumber: number;
  readonly feed: OriginFeed;
  data: Promise<SliceChunks | undefined>;
  /** Set when the object is written through the cache meanwhile: the bytes must not be cached. */
  cancelled: boolean;
}

const abandonedErrors = new WeakSet<object>();

/** Whether a flight failed only because the readers that needed it left: read the slice some other way. */
export function isAbandoned(error: unknown): boolean {
  return typeof error === 'object' && error !== null && abandonedErrors.has(error);
}

interface Pending {
  readonly flight: Flight;
  readonly resolve: (chunks: SliceChunks) => void;
  readonly reject: (error: unknown) => void;
}

export interface FeedSource {
  readonly key: string;
  readonly etag: string;
  readonly firstSlice: number;
  readonly lastSlice: number;
  /** Bytes slice `n` must have. */
  readonly sliceBytes: (sliceNumber: number) => number;
  /** Opens the origin read covering exactly the slices, checked to be the expected version. */
  readonly open: () => Promise<ReadableStreamDefaultReader<Uint8Array>>;
  /** Called with each slice as it arrives, before any reader sees it. */
  readonly onSlice: (flight: Flight, chunks: SliceChunks) => void;
  /** Called for each slice that will never arrive (the read failed or was abandoned). */
  readonly onDropped: (flight: Flight) => void;
  /** Counts bytes as they arrive from the origin. */
  readonly onBytes: (bytes: number) => void;
}

/**
 * One origin GET covering a run of slices, opened when a reader that needs them opens its `get`: a read opened
 * before an overwrite thus sees one whole version. The GET is read on demand, by whichever reader needs a slice
 * first (`drive`), never ahead of demand, so no reader waits on another reader's pace and memory holds only
 * slices someone is reading or the tier is writing. When the last reader using the feed leaves, the GET is
 * cancelled and the slices not yet fetched are abandoned.
 */
export class OriginFeed {
  readonly flights: readonly Flight[];
  readonly #source: FeedSource;
  readonly #pending = new Map<number, Pending>();
  readonly #opening: Promise<ReadableStreamDefaultReader<Uint8Array>>;
  #cursor: number;
  #chain: Promise<void> = Promise.resolve();
  #leftover: Uint8Array | undefined;
  #finished = false;
  #users = 0;

  constructor(source: FeedSource) {
    this.#source = source;
    this.#cursor = source.firstSlice;
    const flights: Flight[] = [];
    for (let sliceNumber = source.firstSlice; sliceNumber <= source.lastSlice; sliceNumber++) {
      let resolve: (chunks: SliceChunks) => void = () => undefined;
      let reject: (error: unknown) => void = () => undefined;
      const data = new Promise<SliceChunks>((resolveData, rejectData) => {
        resolve = resolveData;
        reject = rejectData;
      });
      // A slice nobody ends up waiting for may fail unobserved; its readers handle the error where they await.
      data.catch(() => undefined);
      const flight: Flight = { key: source.key, etag: source.etag, sliceNumber, feed: this, data, cancelled: false };
      flights.push(flight);
      this.#pending.set(sliceNumber, { flight, resolve, reject });
    }
    this.flights = flights;
    this.#opening = source.open();
    this.#opening.catch(() => undefined);
  }

  /** Resolves once the origin read has been opened, or rejects with why it could not be. */
  async opened(): Promise<void> {
    await this.#opening;
  }

  /** Registers a reader that may need slices of this feed; pair with `release`. */
  use(): void {
    this.#users += 1;
  }

  /** A reader is done with the feed; the last one to leave cancels the origin read. */
  release(): void {
    this.#users -= 1;
    if (this.#users <= 0 && !this.#finished) {
      const abandoned = new StorageError(
        'Aborted',
        `every reader of "${this.#source.key}" left before this slice was read`,
        {
          key: this.#source.key,
        },
      );
      abandonedErrors.add(abandoned);
      this.#stop(abandoned);
    }
  }

  /** Reads the origin up to and including slice `sliceNumber` (if not done already). Never rejects. */
  drive(sliceNumber: number): Promise<void> {
    const run = this.#chain
      .then(() => this.#readThrough(sliceNumber))
      .catch((error: unknown) => {
        this.#stop(error);
      });
    this.#chain = run;
    return run;
  }

  async #readThrough(sliceNumber: number): Promise<void> {
    while (!this.#finished && this.#cursor <= sliceNumber) {
      const current = this.#cursor;
      let chunks: Uint8Array[];
      try {
        chunks = await this.#readSlice(await this.#opening, this.#source.sliceBytes(current));
      } catch (error) {
        this.#stop(error);
        return;
      }
      const pending = this.#pending.get(current);
      // Stopped meanwhile (every reader left): the slice was already rejected.
      if (pending === undefined) return;
      this.#pending.delete(current);
      this.#cursor += 1;
      this.#source.onSlice(pending.flight, chunks);
      pending.resolve(chunks);
    }
    if (!this.#finished && this.#cursor > this.#source.lastSlice) {
      this.#finished = true;
      this.#opening.then((reader) => reader.cancel()).catch(() => undefined);
    }
  }

  async #readSlice(reader: ReadableStreamDefaultReader<Uint8Array>, size: number): Promise<Uint8Array[]> {
    const chunks: Uint8Array[] = [];
    let received = 0;
    while (received < size) {
      let chunk = this.#leftover;
      this.#leftover = undefined;
      if (chunk === undefined) {
        const step = await reader.read();
        if (step.done) {
          throw new StorageError(
            'IntegrityError',
            `the origin ended "${this.#source.key}" ${size - received} bytes early`,
            {
              key: this.#source.key,
            },
          );
        }
        chunk = step.value;
        this.#source.onBytes(chunk.byteLength);
      }
      const needed = size - received;
      if (chunk.byteLength > needed) {
        this.#leftover = chunk.subarray(needed);
        chunk = chunk.subarray(0, needed);
      }
      chunks.push(chunk);
      received += chunk.byteLength;
    }
    return chunks;
  }

  #stop(error: unknown): void {
    if (this.#finished) return;
    this.#finished = true;
    for (const pending of this.#pending.values()) {
      pending.reject(error);
      this.#source.onDropped(pending.flight);
    }
    this.#pending.clear();
    this.#leftover = undefined;
    this.#opening.then((reader) => reader.cancel()).catch(() => undefined);
  }
}
