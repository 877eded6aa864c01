import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeS3ChatStores, startTestChat } from '../test/chat-fixture.ts';
import type { Client, TestChat, TestChatOptions, UploadedAttachment } from '../test/chat-fixture.ts';
import { sweepOrphans } from './orphan-cleanup.ts';
import type { OrphanOptions } from './orphan-cleanup.ts';

const DAY = 24 * 60 * 60 * 1000;

const BACKENDS: [string, TestChatOptions][] = [
  ['local store', {}],
  ['mocked S3', { stores: fakeS3ChatStores() }],
];

function keyOf(url: string): string {
  return decodeURIComponent(url.slice('/user_uploads/'.length));
}

describe.each(BACKENDS)('storage-side cleanup of objects no attachment references (%s)', (_backend, options) => {
  let chat: TestChat;
  let hamlet: Client;
  let kept: UploadedAttachment;
  let image: UploadedAttachment;
  let keptImage: UploadedAttachment;
  const strayUpload = '1/AAAAAAAAAAAAAAAAAAAAAAAA/stray.txt';
  const strayThumbnail = 'thumbnail/1/BBBBBBBBBBBBBBBBBBBBBBBB/gone.png/840x560.webp';
  const otherKey = 'partial/upload-in-another-namespace';

  beforeAll(async () => {
    chat = await startTestChat({ ...options, maxFileUploadBytes: 4 * 1024 * 1024 });
    hamlet = await chat.login('hamlet@zulip.test');
    const png = new Uint8Array(
      await sharp({ create: { width: 64, height: 48, channels: 3, background: '#884422' } })
        .png()
        .toBuffer(),
    );
    kept = await hamlet.upload('kept.txt', 'still referenced', 'text/plain');
    keptImage = await hamlet.upload('kept.png', png, 'image/png');
    image = await hamlet.upload('dropped.png', png, 'image/png');
    expect(image.thumbnailUrl).not.toBeNull();
    expect(keptImage.thumbnailUrl).not.toBeNull();
    // Objects whose row is gone: a crash between the store and the database, or a row removed by hand.
    await chat.stores.uploads.put(strayUpload, 'no row', { contentType: 'text/plain' });
    await chat.stores.uploads.put(strayThumbnail, 'no row either', { contentType: 'image/webp' });
    await chat.stores.uploads.put(otherKey, 'not ours to judge', { contentType: 'application/octet-stream' });
    chat.data.deleteAttachment(image.id);
  });

  afterAll(async () => {
    await chat.close();
  });

  async function sweep(
    overrides: Partial<OrphanOptions>,
  ): Promise<{ report: Awaited<ReturnType<typeof sweepOrphans>>; listed: string[]; largestLookup: number }> {
    const listed: string[] = [];
    let largestLookup = 0;
    const lookup = chat.data.referencedUploadKeys.bind(chat.data);
    chat.data.referencedUploadKeys = (keys) => {
      largestLookup = Math.max(largestLookup, keys.length);
      return lookup(keys);
    };
    try {
      const report = await sweepOrphans(chat.data, chat.stores.uploads, {
        delete: false,
        now: Date.now(),
        batchSize: 2,
        onOrphan: (orphan) => listed.push(orphan.key),
        ...overrides,
      });
      return { report, listed, largestLookup };
    } finally {
      chat.data.referencedUploadKeys = lookup;
    }
  }

  const orphanKeys = (): string[] =>
    [strayUpload, strayThumbnail, keyOf(image.url), keyOf(image.thumbnailUrl ?? '')].sort();

  it('leaves everything younger than the grace period (default one day)', async () => {
    const { report, listed } = await sweep({ now: Date.now(), batchSize: undefined });
    expect(report.graceSeconds).toBe(86_400);
    expect(listed).toEqual([]);
    expect(report.tooRecent.count).toBe(4);
    expect(report.referenced).toBe(3);
  });

  it('lists the orphans in a dry run, deleting nothing, looking keys up a batch at a time', async () => {
    const { report, listed, largestLookup } = await sweep({ now: Date.now() + 2 * DAY });
    expect(listed).toEqual(orphanKeys());
    expect(report).toMatchObject({
      dryRun: true,
      scanned: { uploads: 4, thumbnails: 3 },
      referenced: 3,
      otherKeys: 1,
      orphans: { uploads: { count: 2 }, thumbnails: { count: 2 } },
      deleted: { count: 0, bytes: 0 },
    });
    expect(largestLookup).toBe(2);
    for (const key of orphanKeys()) expect(await chat.stores.uploads.head(key)).toBeDefined();
  });

  it('deletes only the orphans older than the grace period, and a second run finds none', async () => {
    const { report, listed } = await sweep({ delete: true, now: Date.now() + 2 * DAY });
    expect(listed).toEqual(orphanKeys());
    expect(report.deleted.count).toBe(4);
    expect(report.deleted.bytes).toBe(report.orphans.uploads.bytes + report.orphans.thumbnails.bytes);
    for (const key of orphanKeys()) expect(await chat.stores.uploads.head(key)).toBeUndefined();
    for (const key of [keyOf(kept.url), keyOf(keptImage.url), keyOf(keptImage.thumbnailUrl ?? ''), otherKey]) {
      expect(await chat.stores.uploads.head(key)).toBeDefined();
    }
    expect((await hamlet.request('GET', kept.url)).status).toBe(200);
    const again = await sweep({ delete: true, now: Date.now() + 2 * DAY });
    expect(again.listed).toEqual([]);
    expect(again.report.referenced).toBe(3);
  });
});
