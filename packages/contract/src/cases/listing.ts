import type { ListOptions, ObjectStore } from '@stowage/core';
import { expect, it } from 'vitest';
import { isMissing } from '../capabilities.ts';
import { expectStorageError } from '../storage-error-assertions.ts';
import { byteOrder, listKeys as listInStoreOrder, numberedKeys, putMany } from '../store-helpers.ts';
import type { SuiteContext } from '../suite-context.ts';

/** Listing: UTF-8 byte order, prefixes, startAfter, pagination over more than 1,000 keys. */
export function listingCases({ store, slowTimeout, capabilities }: SuiteContext): void {
  const unordered = capabilities.byteOrderListing;
  const orderNote = isMissing(unordered) ? ` (compared as sets: ${unordered.missing})` : '';
  const listKeys = async (target: ObjectStore, options?: ListOptions): Promise<string[]> => {
    const keys = await listInStoreOrder(target, options);
    return isMissing(unordered) ? keys.sort(byteOrder) : keys;
  };

  it('lists nothing in an empty store', async () => {
    expect(await listKeys(store())).toEqual([]);
    expect(await listKeys(store(), { prefix: 'any/' })).toEqual([]);
  });

  it(`lists keys in ascending UTF-8 byte order ("a-c" < "a/b" < "a0"; U+E000 < U+FFFD < emoji)${orderNote}`, async () => {
    // Expected order by code point, which is UTF-8 byte order. JavaScript's default sort compares UTF-16 units
    // and would put the emoji (a surrogate pair, 0xD83D...) before U+E000 and U+FFFD.
    const expected = [
      'B',
      'Z',
      'a-c',
      'a/b',
      'a/c/d',
      'a0',
      'b',
      'z',
      '~',
      '\u00e9',
      '\u4e2d',
      '\ue000',
      '\ufffd',
      '\u{1f600}',
    ];
    const shuffled = [
      '\u{1f600}',
      'a0',
      'z',
      'a/c/d',
      '\ue000',
      'B',
      '~',
      'a-c',
      '\u4e2d',
      'b',
      '\ufffd',
      'a/b',
      'Z',
      '\u00e9',
    ];
    await putMany(store(), shuffled);
    expect(await listKeys(store())).toEqual(expected);
    // Paging resumes after the last key returned, which skips keys when the server's order is not byte order.
    if (!isMissing(unordered)) expect(await listKeys(store(), { pageSize: 3 })).toEqual(expected);
  });

  it(`lists only keys starting with the prefix, which need not end at a segment boundary${orderNote}`, async () => {
    await putMany(store(), ['doc', 'docs-old/x', 'docs/a.txt', 'docs/b/c.txt', 'docs/bc', 'docsx', 'other/docs/y']);
    expect(await listKeys(store(), { prefix: 'docs/' })).toEqual(['docs/a.txt', 'docs/b/c.txt', 'docs/bc']);
    expect(await listKeys(store(), { prefix: 'docs' })).toEqual([
      'docs-old/x',
      'docs/a.txt',
      'docs/b/c.txt',
      'docs/bc',
      'docsx',
    ]);
    expect(await listKeys(store(), { prefix: 'docs/b' })).toEqual(['docs/b/c.txt', 'docs/bc']);
    expect(await listKeys(store(), { prefix: 'docs/b/' })).toEqual(['docs/b/c.txt']);
    expect(await listKeys(store(), { prefix: 'docs/b/c.txt' })).toEqual(['docs/b/c.txt']);
    expect(await listKeys(store(), { prefix: 'nothing' })).toEqual([]);
    expect(await listKeys(store(), { prefix: '' })).toHaveLength(7);
  });

  it('lists only keys after startAfter, alone and with a prefix', async () => {
    await putMany(store(), ['k/1', 'k/2', 'k/3', 'k/4/x', 'l/1']);
    expect(await listKeys(store(), { startAfter: 'k/2' })).toEqual(['k/3', 'k/4/x', 'l/1']);
    // startAfter need not be a stored key, and may fall inside a "directory".
    expect(await listKeys(store(), { startAfter: 'k/2x' })).toEqual(['k/3', 'k/4/x', 'l/1']);
    expect(await listKeys(store(), { startAfter: 'k/4/' })).toEqual(['k/4/x', 'l/1']);
    expect(await listKeys(store(), { startAfter: 'k/4/x' })).toEqual(['l/1']);
    expect(await listKeys(store(), { prefix: 'k/', startAfter: 'k/1' })).toEqual(['k/2', 'k/3', 'k/4/x']);
    expect(await listKeys(store(), { prefix: 'k/', startAfter: 'a' })).toEqual(['k/1', 'k/2', 'k/3', 'k/4/x']);
    expect(await listKeys(store(), { prefix: 'k/', startAfter: 'k/4/x' })).toEqual([]);
    expect(await listKeys(store(), { startAfter: 'z' })).toEqual([]);
  });

  it(
    'pages through more than 1,000 keys in order with a small page size and the default one',
    { timeout: slowTimeout },
    async () => {
      const keys = numberedKeys('many/', 1_050);
      await putMany(store(), [...keys, 'before', 'nz-after']);
      expect(await listKeys(store(), { prefix: 'many/', pageSize: 7 })).toEqual(keys);
      expect(await listKeys(store(), { prefix: 'many/' })).toEqual(keys);
      expect(await listKeys(store(), { prefix: 'many/', startAfter: 'many/0999', pageSize: 10 })).toEqual(
        keys.slice(1000),
      );
      expect(await listKeys(store())).toHaveLength(1_052);
    },
  );

  it('reports size, etag and lastModified in each listed summary, matching head', async () => {
    await store().put('summary/one', 'one');
    await store().put('summary/three', 'three three');
    for await (const summary of store().list({ prefix: 'summary/' })) {
      const head = await store().head(summary.key);
      expect(summary.size).toBe(head?.size);
      expect(summary.etag).toBe(head?.etag);
      expect(summary.lastModified).toBeInstanceOf(Date);
    }
  });

  it('stops when the caller breaks out of the listing early', async () => {
    await putMany(store(), numberedKeys('early/', 30));
    const seen: string[] = [];
    for await (const summary of store().list({ prefix: 'early/', pageSize: 4 })) {
      seen.push(summary.key);
      if (seen.length === 6) break;
    }
    expect(seen).toEqual(numberedKeys('early/', 6));
  });

  it('rejects a listing whose signal has already fired with Aborted', async () => {
    await store().put('aborted/list', 'x');
    const controller = new AbortController();
    controller.abort();
    await expectStorageError(listKeys(store(), { signal: controller.signal }), 'Aborted');
  });
}
