import { describe, expect, it } from 'vitest';
import type { ObjectInfo } from '../object-store.ts';
import { CacheIndex } from './cache-index.ts';

function infoOf(key: string, etag = '"v1"'): ObjectInfo {
  return { key, size: 100, contentType: 'application/octet-stream', lastModified: new Date(0), etag, metadata: {} };
}

function sliceOf(
  key: string,
  sliceNumber: number,
  size: number,
): { sliceNumber: number; tierKey: string; size: number; sha256: string } {
  return { sliceNumber, tierKey: `${key}#${sliceNumber}`, size, sha256: 'x' };
}

function setup(limits: { maxEntries?: number; maxBytes?: number; inactiveMs?: number } = {}): {
  index: CacheIndex;
  clock: { now: number };
} {
  const clock = { now: 1_000 };
  const index = new CacheIndex(
    {
      maxEntries: limits.maxEntries ?? 100,
      maxBytes: limits.maxBytes ?? 1_000_000,
      inactiveMs: limits.inactiveMs ?? 1_000,
    },
    () => clock.now,
  );
  return { index, clock };
}

describe('CacheIndex', () => {
  it('holds exactly maxEntries slices and evicts the least recently used beyond', () => {
    const { index } = setup({ maxEntries: 3 });
    for (const key of ['a', 'b', 'c']) expect(index.add(infoOf(key), sliceOf(key, 0, 10))).toEqual([]);
    expect(index.entries).toBe(3);
    const a = index.slice('a', '"v1"', 0);
    if (a === undefined) throw new Error('a was not indexed');
    index.touch(a);
    const evicted = index.add(infoOf('d'), sliceOf('d', 0, 10));
    expect(evicted.map((slice) => slice.key)).toEqual(['b']);
    expect(index.entries).toBe(3);
    expect(index.evictions).toBe(1);
    expect(index.info('b')).toBeUndefined();
    expect(index.info('a')).toBeDefined();
  });

  it('holds exactly maxBytes and evicts as many old slices as the new one needs', () => {
    const { index } = setup({ maxBytes: 300 });
    index.add(infoOf('a'), sliceOf('a', 0, 100));
    index.add(infoOf('b'), sliceOf('b', 0, 100));
    expect(index.add(infoOf('c'), sliceOf('c', 0, 100))).toEqual([]);
    expect(index.bytes).toBe(300);
    const evicted = index.add(infoOf('d'), sliceOf('d', 0, 150));
    expect(evicted.map((slice) => slice.key)).toEqual(['a', 'b']);
    expect(index.bytes).toBe(250);
    expect(index.entries).toBe(2);
  });

  it('refuses nothing it fits and fits nothing larger than maxBytes', () => {
    const { index } = setup({ maxBytes: 300 });
    expect(index.fits(300)).toBe(true);
    expect(index.fits(301)).toBe(false);
  });

  it('expires slices idle for the inactive time, not a millisecond earlier', () => {
    const { index, clock } = setup({ inactiveMs: 1_000 });
    index.add(infoOf('a'), sliceOf('a', 0, 10));
    clock.now += 500;
    index.add(infoOf('b'), sliceOf('b', 0, 10));
    clock.now += 499;
    expect(index.expireIdle()).toEqual([]);
    clock.now += 1;
    expect(index.expireIdle().map((slice) => slice.key)).toEqual(['a']);
    expect(index.expirations).toBe(1);
    expect(index.info('b')).toBeDefined();
  });

  it('keeps a slice that is read alive', () => {
    const { index, clock } = setup({ inactiveMs: 1_000 });
    index.add(infoOf('a'), sliceOf('a', 0, 10));
    clock.now += 999;
    const a = index.slice('a', '"v1"', 0);
    if (a === undefined) throw new Error('a was not indexed');
    index.touch(a);
    clock.now += 999;
    expect(index.expireIdle()).toEqual([]);
  });

  it('drops the slices of an older version when a slice of a new version arrives', () => {
    const { index } = setup();
    index.add(infoOf('a', '"v1"'), sliceOf('a', 0, 10));
    index.add(infoOf('a', '"v1"'), sliceOf('a', 1, 10));
    const replaced = index.add(infoOf('a', '"v2"'), sliceOf('a', 2, 10));
    expect(replaced.map((slice) => slice.sliceNumber).sort()).toEqual([0, 1]);
    expect(index.slice('a', '"v1"', 0)).toBeUndefined();
    expect(index.slice('a', '"v2"', 2)).toBeDefined();
    expect(index.entries).toBe(1);
    expect(index.bytes).toBe(10);
  });

  it('removes every slice of an object and keeps the byte count exact', () => {
    const { index } = setup();
    index.add(infoOf('a'), sliceOf('a', 0, 10));
    index.add(infoOf('a'), sliceOf('a', 1, 5));
    index.add(infoOf('b'), sliceOf('b', 0, 7));
    expect(index.remove('a')).toHaveLength(2);
    expect(index.bytes).toBe(7);
    expect(index.entries).toBe(1);
    expect(index.remove('a')).toEqual([]);
  });

  it('replacing a slice in place does not count its bytes twice', () => {
    const { index } = setup();
    index.add(infoOf('a'), sliceOf('a', 0, 10));
    index.add(infoOf('a'), sliceOf('a', 0, 10));
    expect(index.bytes).toBe(10);
    expect(index.entries).toBe(1);
  });
});
