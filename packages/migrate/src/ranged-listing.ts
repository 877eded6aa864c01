import { compareKeys } from '@stowage/core';
import type { ObjectSummary } from '@stowage/core';
import { Wakeup, startedReadAhead } from './read-ahead.ts';

/** How the target's listing is cut and how far it runs ahead. */
export interface RangedListingOptions {
  /** Source keys per range: every `rangeSize`-th source key ends a range and starts the next. */
  readonly rangeSize: number;
  /** Ranges listed ahead of the one being read. */
  readonly rangesAhead: number;
}

/**
 * A range's listing, started as soon as it is made, so the ranges' first pages overlap; it stops at the range's end
 * once the source has shown it (`cut`), so no range asks for the next range's pages.
 */
class RangeListing {
  readonly #listing: ReturnType<typeof startedReadAhead<ObjectSummary>>;
  /** Whether the listing stopped at the range's end rather than at the end of the target. */
  cut = false;

  constructor(listing: AsyncIterable<ObjectSummary>, end: () => string | undefined, readAheadLimit: number) {
    const cutAtEnd = async function* (this: RangeListing): AsyncGenerator<ObjectSummary, void, undefined> {
      for await (const summary of listing) {
        yield summary;
        const last = end();
        if (last !== undefined && compareKeys(summary.key, last) >= 0) {
          this.cut = true;
          return;
        }
      }
    };
    this.#listing = startedReadAhead(cutAtEnd.call(this), readAheadLimit);
  }

  next(): Promise<IteratorResult<ObjectSummary, void>> {
    return this.#listing.next();
  }

  async close(): Promise<void> {
    await this.#listing.return();
  }
}

/**
 * The target's listing for a merge with the source's, in key order and complete, but listed in ranges at once.
 * One listing runs page after page, each request waiting for the previous page's last key; the source's keys
 * say in advance where the target's pages will most likely end (a target copied from the source holds the same
 * keys), so every `rangeSize`-th source key starts a listing of the target after it, up to `rangesAhead` of them
 * beside the one being read. A resumed migration of a large bucket lists it several pages at a time.
 *
 * `listAfter(key)` lists the target after `key` (from its start for `undefined`). The target's keys come out
 * each once and in order whatever it holds: extra keys, fewer keys, or a range boundary learned only after the
 * listing being read has passed it (that listing then just goes on, and the next skips what it already gave).
 * `source` is the source listing, observed as it is read; read it through the returned `source`.
 *
 * `earlyKeys`, keys in ascending order known before the source's walk shows them (an earlier run's journal),
 * bound ranges the same way, every `rangeSize`-th of them, so the ranges start before the walk gets that far; they
 * are read only as far as the ranges to start need. A boundary is taken from either side only past the last one.
 */
export function rangedListing(
  source: AsyncIterable<ObjectSummary>,
  listAfter: (key: string | undefined) => AsyncIterable<ObjectSummary>,
  options: RangedListingOptions,
  earlyKeys?: AsyncIterable<readonly string[]>,
): {
  readonly source: AsyncGenerator<ObjectSummary, void, undefined>;
  readonly target: AsyncGenerator<ObjectSummary, void, undefined>;
} {
  const { rangeSize, rangesAhead } = options;
  /** `boundaries[i]` ends range `i` (inclusive) and starts range `i + 1` (exclusive), in ascending order. */
  const boundaries: string[] = [];
  /** The target's listing of each range started and not yet finished with, by range. */
  const listings = new Map<number, RangeListing>();
  /** The range the target's reader is in; `undefined` before it starts and after it stops. */
  let reading: number | undefined;

  const listingOf = (range: number): RangeListing => {
    let listing = listings.get(range);
    if (listing === undefined) {
      listing = new RangeListing(
        listAfter(range === 0 ? undefined : boundaries[range - 1]),
        () => boundaries[range],
        rangeSize,
      );
      listings.set(range, listing);
    }
    return listing;
  };
  const startAhead = (): void => {
    if (reading === undefined) return;
    for (let next = reading + 1; next <= reading + rangesAhead && next - 1 < boundaries.length; next++) listingOf(next);
  };
  const addBoundary = (key: string): void => {
    const last = boundaries[boundaries.length - 1];
    if (last !== undefined && compareKeys(key, last) <= 0) return;
    boundaries.push(key);
    startAhead();
  };

  async function* observedSource(): AsyncGenerator<ObjectSummary, void, undefined> {
    let count = 0;
    for await (const summary of source) {
      count++;
      if (count % rangeSize === 0) addBoundary(summary.key);
      yield summary;
    }
  }

  /** Reads `earlyKeys` while the ranges to start lack boundaries; `stop` ends it. */
  const earlyBoundaries = (): { readonly wanted: Wakeup; stop: () => Promise<void> } => {
    const wanted = new Wakeup();
    const state = { stopped: false };
    const lacking = (): boolean => boundaries.length < (reading ?? 0) + rangesAhead;
    const reader = (async (): Promise<void> => {
      if (earlyKeys === undefined) return;
      let count = 0;
      try {
        for await (const keys of earlyKeys) {
          for (const key of keys) {
            count++;
            if (count % rangeSize === 0) addBoundary(key);
          }
          while (!state.stopped && !lacking()) await wanted.wait();
          if (state.stopped) return;
        }
      } catch {
        // Early keys only save time: the source's own keys bound the ranges without them.
      }
    })();
    return {
      wanted,
      stop: async () => {
        state.stopped = true;
        wanted.wake();
        await reader;
      },
    };
  };

  async function* target(): AsyncGenerator<ObjectSummary, void, undefined> {
    let last: string | undefined;
    const early = earlyBoundaries();
    try {
      for (let range = 0; ; range++) {
        reading = range;
        early.wanted.wake();
        const listing = listingOf(range);
        startAhead();
        for (;;) {
          const step = await listing.next();
          if (step.done === true) {
            if (listing.cut) break;
            // The listing after this range's start found nothing more: the target holds nothing further.
            return;
          }
          const { key } = step.value;
          if (last !== undefined && compareKeys(key, last) <= 0) continue;
          const end = boundaries[range];
          // Past the range's end the next range's listing, already running, takes over (from this same key).
          if (end !== undefined && compareKeys(key, end) > 0) break;
          last = key;
          yield step.value;
        }
        listings.delete(range);
        await listing.close();
      }
    } finally {
      reading = undefined;
      await early.stop();
      const started = [...listings.values()];
      listings.clear();
      await Promise.all(started.map((listing) => listing.close()));
    }
  }

  return { source: observedSource(), target: target() };
}
