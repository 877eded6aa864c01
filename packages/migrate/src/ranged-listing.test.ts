import { describe, expect, it } from 'vitest';
import { compareKeys } from '@stowage/core';
import type { ObjectSummary } from '@stowage/core';
import { rangedListing } from './ranged-listing.ts';

function summary(key: string): ObjectSummary {
  return { key, size: key.length, lastModified: new Date(0), etag: '"x"' };
}

async function* listed(keys: readonly string[], gate?: (key: string) => Promise<void>): AsyncGenerator<ObjectSummary> {
  for (const key of keys) {
    await gate?.(key);
    await Promise.resolve();
    yield summary(key);
  }
}

/** A target holding `keys`: lists them after a key, as a store would, recording each listing. */
function targetOf(keys: readonly string[], pageDelay?: () => Promise<void>) {
  const sorted = [...keys].sort(compareKeys);
  const starts: (string | undefined)[] = [];
  /** Keys each listing gave, by listing. */
  const given: number[] = [];
  let open = 0;
  let mostOpen = 0;
  async function* listAfter(after: string | undefined): AsyncGenerator<ObjectSummary> {
    const listing = starts.push(after) - 1;
    given[listing] = 0;
    open++;
    mostOpen = Math.max(mostOpen, open);
    try {
      await pageDelay?.();
      for await (const item of listed(sorted.filter((key) => after === undefined || compareKeys(key, after) > 0))) {
        given[listing] = (given[listing] ?? 0) + 1;
        yield item;
      }
    } finally {
      open--;
    }
  }
  return { listAfter, starts, given, open: () => open, mostOpen: () => mostOpen };
}

/** A promise held until `release` is called: stops a listing at a chosen point. */
function held(): { readonly until: Promise<void>; readonly release: () => void } {
  let release: () => void = () => undefined;
  const until = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { until, release };
}

/** Keys in batches of `size`, as a journal is read, each after a turn; `read` counts batches, `closed` the end. */
function keyBatches(keys: readonly string[], size: number, failAt?: number) {
  const state = { read: 0, closed: false };
  async function* batches(): AsyncGenerator<string[]> {
    try {
      for (let start = 0; start < keys.length; start += size) {
        if (failAt !== undefined && start >= failAt) throw new Error('journal unreadable');
        state.read++;
        await Promise.resolve();
        yield keys.slice(start, start + size);
      }
    } finally {
      state.closed = true;
    }
  }
  return { batches: batches(), state };
}

/** The keys of a listing, read to its end. */
async function keysOf(listing: AsyncIterable<ObjectSummary>): Promise<string[]> {
  const keys: string[] = [];
  for await (const item of listing) keys.push(item.key);
  return keys;
}

/** Reads both sides to the end, source first in turns with the target (as the merge does). */
async function readBoth(
  source: AsyncIterable<ObjectSummary>,
  target: AsyncIterable<ObjectSummary>,
): Promise<{ source: string[]; target: string[] }> {
  const [sourceKeys, targetKeys] = await Promise.all([keysOf(source), keysOf(target)]);
  return { source: sourceKeys, target: targetKeys };
}

const keyNames = (count: number, prefix = 'k'): string[] =>
  Array.from({ length: count }, (_, index) => `${prefix}${String(index).padStart(5, '0')}`);

/** A small deterministic generator, so a failing case can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('rangedListing', () => {
  it('gives the whole target in order, listing ranges that start at every rangeSize-th source key', async () => {
    const keys = keyNames(1050);
    const target = targetOf(keys);
    const ranged = rangedListing(listed(keys), target.listAfter, { rangeSize: 100, rangesAhead: 3 });
    const out = await readBoth(ranged.source, ranged.target);
    expect(out.source).toEqual(keys);
    expect(out.target).toEqual(keys);
    expect(target.starts[0]).toBeUndefined();
    expect(target.starts.slice(1)).toEqual(Array.from({ length: 10 }, (_, index) => keys[index * 100 + 99]));
    expect(target.open()).toBe(0);
  });

  it('lists several ranges at once while the first page is still on its way', async () => {
    const keys = keyNames(450);
    const pages = held();
    const target = targetOf(keys, () => pages.until);
    const ranged = rangedListing(listed(keys), target.listAfter, { rangeSize: 100, rangesAhead: 3 });
    const reading = readBoth(ranged.source, ranged.target);
    // The source is read through while every target listing waits for its first page.
    for (let turn = 0; turn < 200 && target.starts.length < 4; turn++)
      await new Promise((resolve) => setImmediate(resolve));
    expect(target.starts).toEqual([undefined, keys[99], keys[199], keys[299]]);
    expect(target.mostOpen()).toBe(4);
    pages.release();
    expect((await reading).target).toEqual(keys);
    expect(target.starts).toEqual([undefined, keys[99], keys[199], keys[299], keys[399]]);
  });

  it("stops each range at its end, so no range asks for the next range's keys", async () => {
    const keys = keyNames(450);
    const target = targetOf(keys);
    const ranged = rangedListing(listed(keys), target.listAfter, { rangeSize: 100, rangesAhead: 3 });
    await keysOf(ranged.source);
    expect(await keysOf(ranged.target)).toEqual(keys);
    expect(target.given).toEqual([100, 100, 100, 100, 50]);
  });

  it('gives every target key once whatever the target holds beside the source keys', async () => {
    const source = keyNames(700);
    const cases: Record<string, string[]> = {
      'empty target': [],
      'extra keys everywhere': [...source, ...keyNames(900, 'k0'), 'a', 'zz', ...keyNames(50, 'k00100-')],
      'fewer keys': source.filter((_, index) => index % 3 !== 0),
      'only keys past the source': keyNames(300, 'z'),
      'only keys before the source': keyNames(300, 'a'),
    };
    for (const [name, keys] of Object.entries(cases)) {
      const target = targetOf(keys);
      const ranged = rangedListing(listed(source), target.listAfter, { rangeSize: 50, rangesAhead: 2 });
      const out = await readBoth(ranged.source, ranged.target);
      expect(out.target, name).toEqual([...new Set(keys)].sort(compareKeys));
      expect(target.open(), name).toBe(0);
    }
  });

  it('gives the whole target when the source is empty or ends early in a range', async () => {
    for (const sourceCount of [0, 1, 99, 100, 101]) {
      const keys = keyNames(450);
      const target = targetOf(keys);
      const ranged = rangedListing(listed(keyNames(sourceCount)), target.listAfter, { rangeSize: 100, rangesAhead: 3 });
      expect((await readBoth(ranged.source, ranged.target)).target, `${sourceCount} source keys`).toEqual(keys);
    }
  });

  it('stays complete when the source learns a range end only after the target was read past it', async () => {
    const keys = keyNames(400);
    const sourceGate = held();
    // The source stops before its 150th key, so the end of the second range (its 200th key) is not known yet.
    const source = listed(keys, (key) => (key === keys[149] ? sourceGate.until : Promise.resolve()));
    const target = targetOf(keys);
    const ranged = rangedListing(source, target.listAfter, { rangeSize: 100, rangesAhead: 1 });
    const sourceRead = keysOf(ranged.source);
    const targetKeys: string[] = [];
    for (;;) {
      const step = await ranged.target.next();
      if (step.done === true) throw new Error('the target ended early');
      targetKeys.push(step.value.key);
      if (targetKeys.length === 250) break;
    }
    expect(target.starts).toEqual([undefined, keys[99]]);
    sourceGate.release();
    for await (const item of ranged.target) targetKeys.push(item.key);
    expect(await sourceRead).toEqual(keys);
    expect(targetKeys).toEqual(keys);
    // The third range took over from the second's listing, after the keys that one had already given.
    expect(target.starts).toContain(keys[199]);
  });

  it('matches a plain listing for random stores, range sizes and early keys (none, stale, out of order, failing)', async () => {
    const next = random(20_261_125);
    for (let round = 0; round < 120; round++) {
      const universe = keyNames(Math.floor(next() * 400) + 1);
      const source = universe.filter(() => next() < 0.7);
      const targetKeys = universe.filter(() => next() < 0.7);
      const rangeSize = Math.floor(next() * 40) + 1;
      const rangesAhead = Math.floor(next() * 4) + 1;
      const slowSource = next() < 0.5;
      const journaled = next() < 0.4 ? undefined : universe.filter(() => next() < 0.5);
      if (journaled !== undefined && journaled.length > 3 && next() < 0.3) journaled.reverse();
      const failAt = journaled !== undefined && next() < 0.3 ? Math.floor(next() * journaled.length) : undefined;
      const target = targetOf(targetKeys);
      const ranged = rangedListing(
        listed(source, slowSource ? () => new Promise((resolve) => setImmediate(resolve)) : undefined),
        target.listAfter,
        { rangeSize, rangesAhead },
        journaled === undefined ? undefined : keyBatches(journaled, 7, failAt).batches,
      );
      const out = await readBoth(ranged.source, ranged.target);
      expect(out.source, `round ${round}`).toEqual(source);
      expect(out.target, `round ${round}`).toEqual(targetKeys);
      expect(target.open(), `round ${round}`).toBe(0);
    }
  });

  it('starts ranges at early keys before the source gets that far', async () => {
    const keys = keyNames(450);
    const sourceGate = held();
    // The source is stuck at its first key; the journal's keys are every key in batches of 60.
    const source = listed(keys, (key) => (key === keys[1] ? sourceGate.until : Promise.resolve()));
    const target = targetOf(keys);
    const ranged = rangedListing(
      source,
      target.listAfter,
      { rangeSize: 100, rangesAhead: 3 },
      keyBatches(keys, 60).batches,
    );
    const sourceRead = keysOf(ranged.source);
    const targetKeys: string[] = [];
    const step = await ranged.target.next();
    if (step.done === true) throw new Error('the target ended early');
    targetKeys.push(step.value.key);
    for (let turn = 0; turn < 200 && target.starts.length < 4; turn++)
      await new Promise((resolve) => setImmediate(resolve));
    expect(target.starts).toEqual([undefined, keys[99], keys[199], keys[299]]);
    sourceGate.release();
    for await (const item of ranged.target) targetKeys.push(item.key);
    expect(await sourceRead).toEqual(keys);
    expect(targetKeys).toEqual(keys);
    expect(target.starts).toEqual([undefined, keys[99], keys[199], keys[299], keys[399]]);
  });

  it('reads early keys only as far as the ranges to start need, and closes them when the reader stops', async () => {
    const keys = keyNames(2000);
    const early = keyBatches(keys, 50);
    const target = targetOf(keys);
    const ranged = rangedListing(listed([]), target.listAfter, { rangeSize: 100, rangesAhead: 2 }, early.batches);
    await keysOf(ranged.source);
    let read = 0;
    for await (const item of ranged.target) {
      expect(item.key).toBe(keys[read]);
      if (++read === 150) break;
    }
    // Reading range 1 needs the ends of ranges 1 and 2 (keys 199 and 299): six batches, not forty.
    expect(early.state.read).toBeLessThanOrEqual(7);
    expect(early.state.closed).toBe(true);
    expect(target.open()).toBe(0);
  });

  it('closes every range listing when the reader stops early', async () => {
    const keys = keyNames(1000);
    const target = targetOf(keys);
    const ranged = rangedListing(listed(keys), target.listAfter, { rangeSize: 50, rangesAhead: 3 });
    await keysOf(ranged.source);
    let read = 0;
    for await (const item of ranged.target) {
      expect(item.key).toBe(keys[read]);
      if (++read === 120) break;
    }
    expect(target.mostOpen()).toBeGreaterThan(1);
    expect(target.open()).toBe(0);
  });

  it('fails the target listing with the range listing’s failure', async () => {
    const keys = keyNames(300);
    const ranged = rangedListing(
      listed(keys),
      async function* failing(after) {
        yield* listed(keys.filter((key) => after === undefined || key > after).slice(0, 10));
        throw new Error(`listing after ${after ?? 'the start'} failed`);
      },
      { rangeSize: 100, rangesAhead: 2 },
    );
    await expect(readBoth(ranged.source, ranged.target)).rejects.toThrow('listing after the start failed');
  });
});
