import { sha256Base64 } from '@stowage/core';
import { expect, it } from 'vitest';
import { isMissing } from '../capabilities.ts';
import { pseudoRandomBytes, pseudoRandomChunks, pseudoRandomStream } from '../pseudo-random.ts';
import { expectStorageError } from '../storage-error-assertions.ts';
import { getText, listKeys } from '../store-helpers.ts';
import type { SuiteContext } from '../suite-context.ts';

/** Expected checksums and sizes, and size limits: a mismatch stores nothing and keeps the old object. */
export function integrityCases({ store, capabilities, sha256 }: SuiteContext): void {
  it('accepts a body whose SHA-256 matches the expected one, from bytes and from a stream', async () => {
    const bytes = pseudoRandomBytes(40, 50_000);
    const expected = sha256Base64(bytes, sha256);
    const info = await store().put('integrity/good', bytes, { sha256: expected });
    const streamed = await store().put('integrity/good-stream', pseudoRandomStream(40, 50_000, 999), {
      sha256: expected,
    });
    if (!isMissing(capabilities.reportsSha256)) {
      expect(info.sha256).toBe(expected);
      expect(streamed.sha256).toBe(expected);
    }
    expect((await store().head('integrity/good-stream'))?.size).toBe(50_000);
  });

  it('rejects a SHA-256 mismatch with IntegrityError and stores nothing under a new key', async () => {
    const wrong = sha256Base64('something else', sha256);
    const error = await expectStorageError(
      store().put('integrity/new', 'the real bytes', { sha256: wrong }),
      'IntegrityError',
    );
    expect(error.key).toBe('integrity/new');
    await expectStorageError(
      store().put('integrity/new', pseudoRandomStream(41, 300_000), { sha256: wrong }),
      'IntegrityError',
    );
    expect(await store().head('integrity/new')).toBeUndefined();
    expect(await listKeys(store())).toEqual([]);
  });

  it('rejects a SHA-256 mismatch on an existing key and keeps the old object intact', async () => {
    const old = await store().put('integrity/existing', 'old and good', { metadata: { v: '1' } });
    const wrong = sha256Base64('not this', sha256);
    await expectStorageError(
      store().put('integrity/existing', pseudoRandomChunks(42, 200_000), { sha256: wrong }),
      'IntegrityError',
    );
    expect(await getText(store(), 'integrity/existing')).toBe('old and good');
    const info = await store().head('integrity/existing');
    expect(info?.etag).toBe(old.etag);
    expect(info?.metadata).toEqual({ v: '1' });
    expect(await listKeys(store())).toEqual(['integrity/existing']);
  });

  it('rejects a body shorter or longer than the announced size with IntegrityError, keeping the old object', async () => {
    await store().put('integrity/sized', 'original');
    await expectStorageError(
      store().put('integrity/sized', pseudoRandomStream(43, 1000), { size: 1001 }),
      'IntegrityError',
    );
    await expectStorageError(
      store().put('integrity/sized', pseudoRandomStream(43, 1000), { size: 999 }),
      'IntegrityError',
    );
    await expectStorageError(store().put('integrity/sized', 'four', { size: 5 }), 'IntegrityError');
    expect(await getText(store(), 'integrity/sized')).toBe('original');
    await expectStorageError(
      store().put('integrity/unsized', pseudoRandomChunks(43, 10), { size: 11 }),
      'IntegrityError',
    );
    expect(await listKeys(store())).toEqual(['integrity/sized']);
    expect((await store().put('integrity/sized', pseudoRandomStream(43, 1000), { size: 1000 })).size).toBe(1000);
  });

  it('accepts a body of exactly maxSize and rejects a longer one with TooLarge, storing nothing', async () => {
    expect((await store().put('limit/exact', pseudoRandomBytes(44, 4096), { maxSize: 4096 })).size).toBe(4096);
    await store().put('limit/over', 'old');
    const error = await expectStorageError(
      store().put('limit/over', pseudoRandomBytes(44, 4097), { maxSize: 4096 }),
      'TooLarge',
    );
    expect(error.key).toBe('limit/over');
    await expectStorageError(
      store().put('limit/new', pseudoRandomStream(44, 4097, 100), { maxSize: 4096 }),
      'TooLarge',
    );
    expect(await getText(store(), 'limit/over')).toBe('old');
    expect(await listKeys(store())).toEqual(['limit/exact', 'limit/over']);
  });

  it('stops reading a streamed body soon after it passes maxSize', async () => {
    const total = 32 * 1024 * 1024;
    let produced = 0;
    async function* counted(): AsyncGenerator<Uint8Array> {
      for await (const chunk of pseudoRandomChunks(45, total, 64 * 1024)) {
        produced += chunk.byteLength;
        yield chunk;
      }
    }
    await expectStorageError(store().put('limit/stream', counted(), { maxSize: 1024 * 1024 }), 'TooLarge');
    expect(produced).toBeLessThan(total);
    expect(await store().head('limit/stream')).toBeUndefined();
  });

  it('rejects an announced size above maxSize with TooLarge', async () => {
    await expectStorageError(store().put('limit/announced', 'tiny', { size: 10_000, maxSize: 100 }), 'TooLarge');
    expect(await store().head('limit/announced')).toBeUndefined();
  });
}
