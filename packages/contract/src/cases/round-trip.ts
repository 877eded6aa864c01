import { collectBytes, sha256Base64 } from '@stowage/core';
import { expect, it } from 'vitest';
import { expectSameBytes } from '../byte-assertions.ts';
import { digestBody } from '../body-digest.ts';
import { isMissing } from '../capabilities.ts';
import { PseudoRandomBytes, pseudoRandomBytes, pseudoRandomChunks, pseudoRandomStream } from '../pseudo-random.ts';
import { getBytes, getText, listKeys } from '../store-helpers.ts';
import type { SuiteContext } from '../suite-context.ts';

const DEFAULT_LARGE_OBJECT_BYTES = 64 * 1024 * 1024;

/** Every body kind stored and read back byte for byte, empty objects, and a large streamed object. */
export function roundTripCases({ store, capabilities, sha256, slowTimeout }: SuiteContext): void {
  it('stores a Uint8Array body and reads back the same bytes', async () => {
    const bytes = pseudoRandomBytes(1, 10_000);
    const info = await store().put('round-trip/bytes.bin', bytes);
    expect(info.key).toBe('round-trip/bytes.bin');
    expect(info.size).toBe(10_000);
    expectSameBytes(await getBytes(store(), 'round-trip/bytes.bin'), bytes);
  });

  it('stores a string body as UTF-8', async () => {
    const text = 'héllo wörld: 日本語, emoji 🎉, RTL שלום\n';
    const info = await store().put('round-trip/text.txt', text);
    expect(info.size).toBe(new TextEncoder().encode(text).byteLength);
    expect(await getText(store(), 'round-trip/text.txt')).toBe(text);
  });

  it('stores a ReadableStream body of many uneven chunks', async () => {
    const info = await store().put('round-trip/stream.bin', pseudoRandomStream(2, 300_001, 7_777));
    expect(info.size).toBe(300_001);
    expectSameBytes(await getBytes(store(), 'round-trip/stream.bin'), pseudoRandomBytes(2, 300_001));
  });

  it('stores an AsyncIterable body', async () => {
    const info = await store().put('round-trip/iterable.bin', pseudoRandomChunks(3, 200_000, 4096));
    expect(info.size).toBe(200_000);
    expectSameBytes(await getBytes(store(), 'round-trip/iterable.bin'), pseudoRandomBytes(3, 200_000));
  });

  it('stores a stream of one-byte chunks', async () => {
    const info = await store().put('round-trip/tiny-chunks.bin', pseudoRandomChunks(4, 1_000, 1));
    expect(info.size).toBe(1_000);
    expectSameBytes(await getBytes(store(), 'round-trip/tiny-chunks.bin'), pseudoRandomBytes(4, 1_000));
  });

  it('is not affected when the caller reuses its buffer after the put', async () => {
    const bytes = new TextEncoder().encode('original');
    await store().put('round-trip/reused.txt', bytes);
    bytes.fill(0x58);
    expect(await getText(store(), 'round-trip/reused.txt')).toBe('original');
  });

  it('is not affected when a reader writes into the chunks it was given', async () => {
    await store().put('round-trip/read-only.bin', pseudoRandomBytes(8, 100_000));
    const result = await store().get('round-trip/read-only.bin');
    for await (const chunk of result.body) chunk.fill(0);
    expectSameBytes(await getBytes(store(), 'round-trip/read-only.bin'), pseudoRandomBytes(8, 100_000));
  });

  it('stores empty objects from every body kind, and lists them', async () => {
    const empty = [
      ['empty/bytes', new Uint8Array(0)],
      ['empty/string', ''],
      [
        'empty/stream',
        new ReadableStream<Uint8Array>({
          start: (controller) => {
            controller.close();
          },
        }),
      ],
      ['empty/iterable', pseudoRandomChunks(5, 0)],
    ] as const;
    for (const [key, body] of empty) {
      const info = await store().put(key, body);
      expect(info.size).toBe(0);
      const result = await store().get(key);
      expect(result.size).toBe(0);
      expect((await collectBytes(result.body)).byteLength).toBe(0);
      expect((await store().head(key))?.size).toBe(0);
    }
    expect(await listKeys(store(), { prefix: 'empty/' })).toEqual([
      'empty/bytes',
      'empty/iterable',
      'empty/stream',
      'empty/string',
    ]);
  });

  const large = capabilities.largeObject;
  const largeBytes = large?.bytes ?? DEFAULT_LARGE_OBJECT_BYTES;
  const largeName =
    large === undefined
      ? 'streams a 64 MiB object in and out without holding it whole, compared by SHA-256'
      : `streams a ${largeBytes}-byte object (reduced from 64 MiB: ${large.reason}) compared by SHA-256`;
  it(largeName, { timeout: slowTimeout }, async () => {
    const expected = await digestBody(pseudoRandomChunks(6, largeBytes), sha256);
    const info = await store().put('large/object.bin', pseudoRandomStream(6, largeBytes, 256 * 1024));
    expect(info.size).toBe(largeBytes);
    if (!isMissing(capabilities.reportsSha256)) expect(info.sha256).toBe(expected.sha256);
    const result = await store().get('large/object.bin');
    expect(result.size).toBe(largeBytes);
    expect(await digestBody(result.body, sha256)).toEqual(expected);

    // A range deep inside proves the store seeks rather than returning the start.
    const offset = largeBytes - 1_000_003;
    const source = new PseudoRandomBytes(6);
    source.skip(offset);
    const ranged = await getBytes(store(), 'large/object.bin', { range: { start: offset, end: offset + 99 } });
    expectSameBytes(ranged, source.next(100));
  });

  it('returns from put the same info that head and get report', async () => {
    const put = await store().put('agree/info.txt', 'agreeing', { metadata: { color: 'blue' } });
    const head = await store().head('agree/info.txt');
    const got = await store().get('agree/info.txt');
    await got.body.cancel();
    for (const info of [head, got]) {
      expect(info?.key).toBe(put.key);
      expect(info?.size).toBe(put.size);
      expect(info?.etag).toBe(put.etag);
      expect(info?.contentType).toBe(put.contentType);
      expect(info?.sha256).toBe(put.sha256);
      expect(info?.metadata).toEqual(put.metadata);
    }
    expect(head?.lastModified).toBeInstanceOf(Date);
    expect(Number.isNaN(head?.lastModified.getTime())).toBe(false);
    expect(got.range).toBeUndefined();
  });

  it(
    'returns from put and copy the etag that head reports, for every body shape',
    { timeout: slowTimeout },
    async () => {
      // Beyond a multipart part (5 MiB on S3): such a stream goes up in parts, whose completion answers its own ETag.
      const large = 6 * 1024 * 1024 + 1;
      const shapes = {
        bytes: () => store().put('etags/bytes', pseudoRandomBytes(11, 1_000)),
        text: () => store().put('etags/text', 'some text'),
        stream: () => store().put('etags/stream', pseudoRandomStream(12, 100_000, 9_999)),
        announcedStream: () =>
          store().put('etags/announced', pseudoRandomStream(13, 100_000, 9_999), { size: 100_000 }),
        iterable: () => store().put('etags/iterable', pseudoRandomChunks(14, 100_000, 4_096)),
        largeStream: () => store().put('etags/large', pseudoRandomStream(15, large, 65_536)),
        largeAnnouncedStream: () =>
          store().put('etags/large-announced', pseudoRandomStream(16, large, 65_536), { size: large }),
        copy: () => store().copy('etags/bytes', 'etags/copy'),
        largeCopy: () => store().copy('etags/large', 'etags/large-copy'),
      };
      for (const [shape, put] of Object.entries(shapes)) {
        const info = await put();
        expect(info.etag, shape).toMatch(/^(W\/)?".+"$/u);
        expect(info.etag, shape).toBe((await store().head(info.key))?.etag);
      }
    },
  );

  it('reports a quoted etag that changes when the bytes change and agrees across head, get and list', async () => {
    const first = await store().put('etag/object', 'version one');
    expect(first.etag).toMatch(/^(W\/)?".+"$/u);
    const second = await store().put('etag/object', 'version two, longer');
    expect(second.etag).not.toBe(first.etag);
    expect((await store().head('etag/object'))?.etag).toBe(second.etag);
    const got = await store().get('etag/object');
    await got.body.cancel();
    expect(got.etag).toBe(second.etag);
    const listed: string[] = [];
    for await (const summary of store().list({ prefix: 'etag/' })) listed.push(summary.etag);
    expect(listed).toEqual([second.etag]);
  });

  if (isMissing(capabilities.reportsSha256)) {
    it(`reports no sha256 rather than a wrong one (missing: ${capabilities.reportsSha256.missing})`, async () => {
      const info = await store().put('sha/object', 'bytes');
      expect(info.sha256).toBeUndefined();
      expect((await store().head('sha/object'))?.sha256).toBeUndefined();
    });
  } else {
    it('reports the SHA-256 of the stored bytes from put, head and get, for every body kind', async () => {
      const bytes = pseudoRandomBytes(7, 123_457);
      const expected = sha256Base64(bytes, sha256);
      for (const [key, body] of [
        ['sha/bytes', bytes],
        ['sha/stream', pseudoRandomStream(7, 123_457, 1000)],
        ['sha/iterable', pseudoRandomChunks(7, 123_457, 333)],
      ] as const) {
        expect((await store().put(key, body)).sha256).toBe(expected);
        expect((await store().head(key))?.sha256).toBe(expected);
        const got = await store().get(key);
        await got.body.cancel();
        expect(got.sha256).toBe(expected);
      }
      expect((await store().put('sha/empty', '')).sha256).toBe('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
    });
  }
}
