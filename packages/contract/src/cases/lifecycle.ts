import { expect, it } from 'vitest';
import { isMissing } from '../capabilities.ts';
import { assertStorageError, expectStorageError } from '../storage-error-assertions.ts';
import { getText, listKeys } from '../store-helpers.ts';
import type { SuiteContext } from '../suite-context.ts';

/** Missing objects, deletes, overwrites and create-only puts. */
export function lifecycleCases({ store, capabilities }: SuiteContext): void {
  it('rejects get of a missing object with NotFound naming the key', async () => {
    const error = await expectStorageError(store().get('missing/object.txt'), 'NotFound');
    expect(error.key).toBe('missing/object.txt');
  });

  it('reports a missing object from head as undefined', async () => {
    await store().put('missing/neighbour', 'x');
    expect(await store().head('missing/object.txt')).toBeUndefined();
    expect(await store().head('missing')).toBeUndefined();
  });

  it('treats a key that is only a prefix of other keys (a "directory") as missing everywhere', async () => {
    await store().put('folder/child.txt', 'child');
    expect(await store().head('folder')).toBeUndefined();
    expect((await expectStorageError(store().get('folder'), 'NotFound')).key).toBe('folder');
    expect((await expectStorageError(store().copy('folder', 'elsewhere'), 'NotFound')).key).toBe('folder');
    await store().delete('folder');
    await store().deleteMany(['folder']);
    expect(await getText(store(), 'folder/child.txt')).toBe('child');
    expect(await listKeys(store())).toEqual(['folder/child.txt']);
  });

  it('frees a name for an object once every key below it is deleted, and the reverse', async () => {
    await store().put('tree/leaf/one', '1');
    await store().put('tree/leaf/two', '2');
    await store().delete('tree/leaf/one');
    await store().deleteMany(['tree/leaf/two']);
    expect(await listKeys(store())).toEqual([]);
    await store().put('tree/leaf', 'now an object');
    expect(await getText(store(), 'tree/leaf')).toBe('now an object');
    await store().delete('tree/leaf');
    await store().put('tree/leaf/again', 'below again');
    expect(await listKeys(store())).toEqual(['tree/leaf/again']);
  });

  it('deletes an object, and deleting it again or a never-stored key is fine', async () => {
    await store().put('delete/me', 'doomed');
    await store().put('delete/keep', 'kept');
    await store().delete('delete/me');
    expect(await store().head('delete/me')).toBeUndefined();
    await expectStorageError(store().get('delete/me'), 'NotFound');
    await store().delete('delete/me');
    await store().delete('delete/never-existed');
    expect(await listKeys(store())).toEqual(['delete/keep']);
  });

  it('overwrites an object completely: bytes, size, content type and metadata', async () => {
    await store().put('overwrite/object', 'the first, longer version', {
      contentType: 'text/plain',
      metadata: { first: 'yes' },
      cacheControl: 'no-store',
    });
    await store().put('overwrite/object', 'second', { contentType: 'application/json', metadata: { second: 'yes' } });
    expect(await getText(store(), 'overwrite/object')).toBe('second');
    const info = await store().head('overwrite/object');
    expect(info?.size).toBe(6);
    expect(info?.contentType).toBe('application/json');
    expect(info?.metadata).toEqual({ second: 'yes' });
    expect(info?.cacheControl).toBeUndefined();
    expect(await listKeys(store())).toEqual(['overwrite/object']);
  });

  if (isMissing(capabilities.createOnly)) {
    it(`rejects create-only puts with Unsupported and stores nothing (missing: ${capabilities.createOnly.missing})`, async () => {
      await expectStorageError(store().put('create-only/new', 'x', { ifNoneMatch: '*' }), 'Unsupported');
      expect(await store().head('create-only/new')).toBeUndefined();
    });
    return;
  }

  it('creates with ifNoneMatch when the key is free, also after a delete', async () => {
    await store().put('create-only/new', 'first', { ifNoneMatch: '*' });
    expect(await getText(store(), 'create-only/new')).toBe('first');
    await store().delete('create-only/new');
    await store().put('create-only/new', 'again', { ifNoneMatch: '*' });
    expect(await getText(store(), 'create-only/new')).toBe('again');
  });

  it('refuses a create-only put on a taken key with AlreadyExists and keeps the old object', async () => {
    const old = await store().put('create-only/taken', 'the original', { metadata: { version: '1' } });
    const error = await expectStorageError(
      store().put('create-only/taken', 'an intruder', { ifNoneMatch: '*', metadata: { version: '2' } }),
      'AlreadyExists',
    );
    expect(error.key).toBe('create-only/taken');
    expect(await getText(store(), 'create-only/taken')).toBe('the original');
    const info = await store().head('create-only/taken');
    expect(info?.etag).toBe(old.etag);
    expect(info?.metadata).toEqual({ version: '1' });
  });

  it('lets exactly one of many concurrent create-only puts of one key win', async () => {
    const attempts = Array.from({ length: 8 }, (_unused, index) =>
      store()
        .put('create-only/race', `contender ${index}`, { ifNoneMatch: '*' })
        .then(
          () => index,
          (error: unknown) => error,
        ),
    );
    const outcomes = await Promise.all(attempts);
    const winners = outcomes.filter((outcome): outcome is number => typeof outcome === 'number');
    expect(winners).toHaveLength(1);
    for (const outcome of outcomes) {
      if (typeof outcome !== 'number') assertStorageError(outcome, 'AlreadyExists');
    }
    expect(await getText(store(), 'create-only/race')).toBe(`contender ${winners[0] ?? -1}`);
  });
}
