import { expect, it } from 'vitest';
import { expectSameBytes } from '../byte-assertions.ts';
import { pseudoRandomBytes } from '../pseudo-random.ts';
import { expectStorageError } from '../storage-error-assertions.ts';
import { getBytes, getText, listKeys } from '../store-helpers.ts';
import type { SuiteContext } from '../suite-context.ts';

/** Copies keep bytes and every attribute, leave the source alone, and fail cleanly without a source. */
export function copyCases({ store }: SuiteContext): void {
  it('copies bytes, content type, disposition, cache control, metadata and checksum', async () => {
    const bytes = pseudoRandomBytes(30, 70_000);
    const source = await store().put('copy/source.bin', bytes, {
      contentType: 'image/webp',
      contentDisposition: 'inline; filename="a.webp"',
      cacheControl: 'public, max-age=31536000, immutable',
      metadata: { 'user-id': '7', kind: 'avatar' },
    });
    const copied = await store().copy('copy/source.bin', 'copy/target.bin');
    expect(copied.key).toBe('copy/target.bin');
    expect(copied.size).toBe(70_000);
    const target = await store().head('copy/target.bin');
    expect(target?.key).toBe('copy/target.bin');
    expect(target?.contentType).toBe('image/webp');
    expect(target?.contentDisposition).toBe('inline; filename="a.webp"');
    expect(target?.cacheControl).toBe('public, max-age=31536000, immutable');
    expect(target?.metadata).toEqual({ 'user-id': '7', kind: 'avatar' });
    expect(target?.sha256).toBe(source.sha256);
    expectSameBytes(await getBytes(store(), 'copy/target.bin'), bytes);
  });

  it('leaves the source unchanged, and later changes to either side do not affect the other', async () => {
    const source = await store().put('copy/a', 'source bytes', { metadata: { side: 'source' } });
    await store().copy('copy/a', 'copy/b');
    const after = await store().head('copy/a');
    expect(after?.etag).toBe(source.etag);
    expect(after?.metadata).toEqual({ side: 'source' });
    await store().put('copy/a', 'source changed');
    expect(await getText(store(), 'copy/b')).toBe('source bytes');
    await store().put('copy/b', 'target changed');
    expect(await getText(store(), 'copy/a')).toBe('source changed');
  });

  it('replaces an existing target', async () => {
    await store().put('copy/from', 'new', { contentType: 'text/plain' });
    await store().put('copy/to', 'old and longer', { contentType: 'application/json', metadata: { stale: 'yes' } });
    await store().copy('copy/from', 'copy/to');
    expect(await getText(store(), 'copy/to')).toBe('new');
    const info = await store().head('copy/to');
    expect(info?.contentType).toBe('text/plain');
    expect(info?.metadata).toEqual({});
  });

  it('copies to a key in another "directory", under Unicode names', async () => {
    await store().put('copy/ünïcode/源.txt', 'moved');
    await store().copy('copy/ünïcode/源.txt', 'elsewhere/deep/er/目标.txt');
    expect(await getText(store(), 'elsewhere/deep/er/目标.txt')).toBe('moved');
    expect(await listKeys(store())).toEqual(['copy/ünïcode/源.txt', 'elsewhere/deep/er/目标.txt']);
  });

  it('rejects a copy of a missing source with NotFound naming the source, creating nothing', async () => {
    await store().put('copy/existing-target', 'untouched');
    const error = await expectStorageError(store().copy('copy/missing', 'copy/existing-target'), 'NotFound');
    expect(error.key).toBe('copy/missing');
    await expectStorageError(store().copy('copy/missing', 'copy/new-target'), 'NotFound');
    expect(await getText(store(), 'copy/existing-target')).toBe('untouched');
    expect(await listKeys(store())).toEqual(['copy/existing-target']);
  });
}
