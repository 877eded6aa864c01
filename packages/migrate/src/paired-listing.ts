import { compareKeys } from '@stowage/core';
import type { ObjectSummary } from '@stowage/core';

/** One key as seen in the source listing, the target listing, or both. */
export interface ListingPair {
  readonly key: string;
  readonly source: ObjectSummary | undefined;
  readonly target: ObjectSummary | undefined;
}

async function advance(iterator: AsyncIterator<ObjectSummary> | undefined): Promise<ObjectSummary | undefined> {
  if (iterator === undefined) return undefined;
  const next = await iterator.next();
  return next.done === true ? undefined : next.value;
}

/**
 * Merges two listings that are both in key order, as a merge join: one entry per key with what each side holds.
 * Holds one entry of each side at a time, so memory stays constant however many keys the stores hold. Without a
 * target listing every source key comes out with `target` undefined.
 */
export async function* pairListings(
  source: AsyncIterable<ObjectSummary>,
  target: AsyncIterable<ObjectSummary> | undefined,
): AsyncGenerator<ListingPair, void, undefined> {
  const sources = source[Symbol.asyncIterator]();
  const targets = target?.[Symbol.asyncIterator]();
  try {
    let [fromSource, fromTarget] = await Promise.all([advance(sources), advance(targets)]);
    for (;;) {
      const order =
        fromSource === undefined ? 1 : fromTarget === undefined ? -1 : compareKeys(fromSource.key, fromTarget.key);
      if (fromSource !== undefined && order < 0) {
        yield { key: fromSource.key, source: fromSource, target: undefined };
        fromSource = await advance(sources);
      } else if (fromTarget !== undefined && order > 0) {
        yield { key: fromTarget.key, source: undefined, target: fromTarget };
        fromTarget = await advance(targets);
      } else if (fromSource !== undefined && fromTarget !== undefined) {
        yield { key: fromSource.key, source: fromSource, target: fromTarget };
        [fromSource, fromTarget] = await Promise.all([advance(sources), advance(targets)]);
      } else {
        return;
      }
    }
  } finally {
    await Promise.all([sources.return?.(), targets?.return?.()]);
  }
}
