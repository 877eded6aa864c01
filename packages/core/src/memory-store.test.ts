import { describe, expect, it } from 'vitest';
import { collectBytes } from './body.ts';
import { StorageError } from './errors.ts';
import { MemoryStore } from './memory-store.ts';

async function storageError(promise: Promise<unknown>): Promise<StorageError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(StorageError);
    return error as StorageError;
  }
  throw new Error('expected a StorageError');
}

// The contract suite (packages/contract) covers MemoryStore's behaviour as an ObjectStore; these cover its options.
describe('MemoryStore options', () => {
  it('is named "memory" unless named otherwise', () => {
    expect(new MemoryStore().name).toBe('memory');
    expect(new MemoryStore({ name: 'avatars' }).name).toBe('avatars');
  });

  it('builds public URLs from the prefix, percent-encoding each segment and keeping the slashes', () => {
    const store = new MemoryStore({ publicUrlPrefix: 'https://cdn.example.com/avatars/' });
    expect(store.publicUrl('2/emoji/images/party popper?.png')).toBe(
      'https://cdn.example.com/avatars/2/emoji/images/party%20popper%3F.png',
    );
    expect(store.publicUrl('é/#')).toBe('https://cdn.example.com/avatars/%C3%A9/%23');
    expect(new MemoryStore({ publicUrlPrefix: 'https://cdn.example.com' }).publicUrl('a')).toBe(
      'https://cdn.example.com/a',
    );
  });

  it('throws Unsupported for URLs it was not configured to make', async () => {
    const store = new MemoryStore();
    expect(() => store.publicUrl('a')).toThrow(expect.objectContaining({ code: 'Unsupported' }) as Error);
    expect((await storageError(store.signedUrl('a', { expiresIn: 60 }))).code).toBe('Unsupported');
  });

  it('delegates signed URLs to signUrl after validating the key', async () => {
    const calls: [string, number][] = [];
    const store = new MemoryStore({
      signUrl: (key, { expiresIn }) => {
        calls.push([key, expiresIn]);
        return Promise.resolve(`signed:${key}`);
      },
    });
    expect(await store.signedUrl('x/y', { expiresIn: 60 })).toBe('signed:x/y');
    expect((await storageError(store.signedUrl('../x', { expiresIn: 60 }))).code).toBe('InvalidKey');
    expect(calls).toEqual([['x/y', 60]]);
  });

  it('uses defaultPageSize when listing without a pageSize', async () => {
    const store = new MemoryStore({ defaultPageSize: 2 });
    for (const key of ['c', 'a', 'b', 'd', 'e']) await store.put(key, key);
    const keys: string[] = [];
    for await (const summary of store.list()) keys.push(summary.key);
    expect(keys).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('uses the injected SHA-256', async () => {
    let used = 0;
    const store = new MemoryStore({
      sha256: () => {
        used++;
        return { update: () => undefined, digest: () => new Uint8Array(32).fill(1) };
      },
    });
    const info = await store.put('k', 'body');
    expect(used).toBe(1);
    expect(info.sha256).toBe('AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=');
  });

  it('rejects invalid numeric options with InvalidArgument', async () => {
    const store = new MemoryStore();
    expect((await storageError(store.put('k', 'x', { size: -1 }))).code).toBe('InvalidArgument');
    expect((await storageError(store.put('k', 'x', { maxSize: 1.5 }))).code).toBe('InvalidArgument');
    const listing = (async () => {
      for await (const summary of store.list({ pageSize: 0 })) expect(summary).toBeUndefined();
    })();
    expect((await storageError(listing)).code).toBe('InvalidArgument');
    expect(await store.head('k')).toBeUndefined();
  });

  it('rejects (never throws synchronously) from every async method', () => {
    const store = new MemoryStore();
    const calls = [
      () => store.put('/bad', 'x'),
      () => store.get('/bad'),
      () => store.head('/bad'),
      () => store.delete('/bad'),
      () => store.deleteMany(['/bad']),
      () => store.copy('/bad', 'ok'),
      () => store.signedUrl('/bad', { expiresIn: 1 }),
    ];
    for (const call of calls) {
      let promise: Promise<unknown> | undefined;
      expect(() => {
        promise = call();
      }).not.toThrow();
      promise?.catch(() => undefined);
    }
  });

  it('returns copies of its records, so callers cannot change what is stored', async () => {
    const store = new MemoryStore();
    const info = await store.put('k', 'v', { metadata: { a: '1' } });
    (info.metadata as Record<string, string>).a = 'changed';
    const head = await store.head('k');
    (head?.metadata as Record<string, string>).b = 'added';
    expect((await store.head('k'))?.metadata).toEqual({ a: '1' });
    expect(new TextDecoder().decode(await collectBytes((await store.get('k')).body))).toBe('v');
  });
});
