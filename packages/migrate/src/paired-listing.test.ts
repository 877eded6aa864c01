import { describe, expect, it } from 'vitest';
import type { ObjectSummary } from '@stowage/core';
import { pairListings } from './paired-listing.ts';

async function* summaries(keys: readonly string[]): AsyncGenerator<ObjectSummary> {
  for (const key of keys) {
    await Promise.resolve();
    yield { key, size: key.length, lastModified: new Date(0), etag: '"x"' };
  }
}

async function pairs(source: readonly string[], target: readonly string[] | undefined): Promise<string[]> {
  const out: string[] = [];
  for await (const pair of pairListings(summaries(source), target === undefined ? undefined : summaries(target))) {
    out.push(`${pair.key}:${pair.source === undefined ? '-' : 'S'}${pair.target === undefined ? '-' : 'T'}`);
  }
  return out;
}

describe('pairListings', () => {
  it('joins two ordered listings key by key', async () => {
    expect(await pairs(['a', 'b', 'd', 'e'], ['b', 'c', 'e', 'f'])).toEqual([
      'a:S-',
      'b:ST',
      'c:-T',
      'd:S-',
      'e:ST',
      'f:-T',
    ]);
  });

  it('handles an empty side and a missing target listing', async () => {
    expect(await pairs([], ['x'])).toEqual(['x:-T']);
    expect(await pairs(['x'], [])).toEqual(['x:S-']);
    expect(await pairs(['x', 'y'], undefined)).toEqual(['x:S-', 'y:S-']);
    expect(await pairs([], [])).toEqual([]);
  });

  it('uses UTF-8 byte order, as stores list', async () => {
    expect(await pairs(['\uffff', '\u{1f600}'], ['\u{1f600}'])).toEqual(['\uffff:S-', '\u{1f600}:ST']);
  });

  it('closes both listings when the consumer stops early', async () => {
    const closed: string[] = [];
    async function* tracked(name: string): AsyncGenerator<ObjectSummary> {
      try {
        yield* summaries(['a', 'b', 'c']);
      } finally {
        closed.push(name);
      }
    }
    for await (const pair of pairListings(tracked('source'), tracked('target'))) {
      expect(pair.key).toBe('a');
      break;
    }
    expect(closed.sort()).toEqual(['source', 'target']);
  });
});
