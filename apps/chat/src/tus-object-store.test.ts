import { Readable } from 'node:stream';
import { MemoryStore } from '@stowage/core';
import { Upload } from '@tus/utils';
import { describe, expect, it } from 'vitest';
import { ObjectStoreTusStore, TusError } from './tus-object-store.ts';

const KIB = 1024;

function setup(expirationMs = 60_000): { store: MemoryStore; tus: ObjectStoreTusStore; clock: { now: number } } {
  const store = new MemoryStore();
  // The store stamps objects with the real time; the expiry's clock starts there and is moved by the tests.
  const clock = { now: Date.now() };
  const tus = new ObjectStoreTusStore({ store, segmentBytes: 16 * KIB, expirationMs, now: () => clock.now });
  return { store, tus, clock };
}

async function keys(store: MemoryStore): Promise<string[]> {
  const found: string[] = [];
  for await (const object of store.list({ prefix: 'tus/' })) found.push(`${object.key}:${object.size}`);
  return found;
}

/** A body that sends `bytes`, then fails as a request body does when the client's connection is cut. */
function cutBody(bytes: number): Readable {
  return Readable.from(
    (async function* () {
      yield new Uint8Array(bytes).fill(5);
      await Promise.resolve();
      throw new Error('socket hang up');
    })(),
  );
}

describe('ObjectStoreTusStore', () => {
  it('stores a body in bounded segments and counts the offset from them', async () => {
    const { store, tus } = setup();
    await tus.create(new Upload({ id: 'a1', size: 40 * KIB, offset: 0, metadata: { filename: 'x' } }));
    expect(
      await tus.write(Readable.from([new Uint8Array(20 * KIB).fill(1), new Uint8Array(5 * KIB).fill(2)]), 'a1', 0),
    ).toBe(25 * KIB);
    expect(await keys(store)).toEqual([
      `tus/a1/info.json:${(await store.head('tus/a1/info.json'))?.size ?? 0}`,
      `tus/a1/parts/0000000000000000:${16 * KIB}`,
      `tus/a1/parts/0000000000016384:${9 * KIB}`,
    ]);
    const upload = await tus.getUpload('a1');
    expect([upload.offset, upload.size, upload.metadata]).toEqual([25 * KIB, 40 * KIB, { filename: 'x' }]);
    expect(await tus.write(Readable.from([new Uint8Array(15 * KIB).fill(3)]), 'a1', 25 * KIB)).toBe(40 * KIB);
    const joined = new Uint8Array(await new Response(tus.readSegments('a1')).arrayBuffer());
    expect(joined.byteLength).toBe(40 * KIB);
    expect([joined[0], joined[20 * KIB], joined[25 * KIB], joined[40 * KIB - 1]]).toEqual([1, 2, 3, 3]);
  });

  it('keeps what arrived before the body failed, so the client resumes after it', async () => {
    const { tus } = setup();
    await tus.create(new Upload({ id: 'cut', size: 100 * KIB, offset: 0 }));
    await expect(tus.write(cutBody(21 * KIB), 'cut', 0)).rejects.toThrow('socket hang up');
    expect((await tus.getUpload('cut')).offset).toBe(21 * KIB);
  });

  it('refuses a wrong offset and bytes beyond the upload length', async () => {
    const { store, tus } = setup();
    await tus.create(new Upload({ id: 'small', size: 10 * KIB, offset: 0 }));
    await expect(tus.write(Readable.from([new Uint8Array(KIB)]), 'small', 5)).rejects.toMatchObject({
      status_code: 409,
    });
    await expect(
      tus.write(Readable.from([new Uint8Array(6 * KIB), new Uint8Array(6 * KIB)]), 'small', 0),
    ).rejects.toMatchObject({ status_code: 413 });
    // The first chunk fit and is kept; nothing beyond the length was stored.
    expect((await tus.getUpload('small')).offset).toBe(6 * KIB);
    await expect(tus.create(new Upload({ id: 'deferred', offset: 0 }))).rejects.toBeInstanceOf(TusError);
    // Another server stores the same offset while this write is under way: a conflict, and its bytes stand.
    const racing = Readable.from(
      (async function* () {
        await store.put('tus/small/parts/0000000000006144', new Uint8Array(KIB));
        yield new Uint8Array(2 * KIB);
      })(),
    );
    await expect(tus.write(racing, 'small', 6 * KIB)).rejects.toMatchObject({ status_code: 409 });
    expect((await tus.getUpload('small')).offset).toBe(7 * KIB);
    await expect(tus.getUpload('../etc')).rejects.toMatchObject({ status_code: 404 });
  });

  it('removes an upload, expired uploads, and segments left without their info', async () => {
    const { store, tus, clock } = setup(60_000);
    await tus.create(new Upload({ id: 'old', size: 10 * KIB, offset: 0 }));
    await tus.write(Readable.from([new Uint8Array(KIB)]), 'old', 0);
    await store.put('tus/orphan/parts/0000000000000000', new Uint8Array(KIB));
    clock.now += 30_000;
    await tus.create(new Upload({ id: 'young', size: 10 * KIB, offset: 0 }));
    await tus.create(new Upload({ id: 'gone', size: 10 * KIB, offset: 0 }));
    await tus.write(Readable.from([new Uint8Array(KIB)]), 'gone', 0);
    await tus.remove('gone');
    await expect(tus.getUpload('gone')).rejects.toMatchObject({ status_code: 404 });
    expect(await tus.deleteExpired()).toBe(0);
    clock.now += 31_000;
    // "old" and the orphan segment are past the expiry, "young" is not.
    expect(await tus.deleteExpired()).toBe(2);
    expect((await keys(store)).map((entry) => entry.split(':')[0])).toEqual(['tus/young/info.json']);
  });
});
