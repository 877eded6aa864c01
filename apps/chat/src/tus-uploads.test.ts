import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryStore } from '@stowage/core';
import type { ListOptions, ObjectStore, ObjectSummary } from '@stowage/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeS3ChatStores, startTestChat } from '../test/chat-fixture.ts';
import type { Client, TestChat, TestChatOptions } from '../test/chat-fixture.ts';
import { sessionHeaders, tusUpload } from '../test/tus-client.ts';
import { sweepOrphans } from './orphan-cleanup.ts';

const KIB = 1024;
const SEGMENT = 64 * KIB;
const EXPIRY_MS = 60 * 60 * 1000;

const BACKENDS: [string, TestChatOptions][] = [
  [
    'local store',
    { maxFileUploadBytes: 1024 * KIB, tus: { segmentBytes: SEGMENT, expirationMs: EXPIRY_MS, sweepIntervalMs: 0 } },
  ],
  [
    'mocked S3',
    {
      maxFileUploadBytes: 1024 * KIB,
      stores: fakeS3ChatStores(),
      tus: { segmentBytes: SEGMENT, expirationMs: EXPIRY_MS, sweepIntervalMs: 0 },
    },
  ],
];

/** Deterministic bytes: the same `length` always gives the same content. */
function bytes(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('base64');
}

describe.each(BACKENDS)('tus uploads at /api/v1/tus (%s)', (_backend, options) => {
  let chat: TestChat;
  let hamlet: Client;
  let endpoint: string;

  beforeAll(async () => {
    chat = await startTestChat(options);
    hamlet = await chat.login('hamlet@zulip.test');
    endpoint = `${chat.url}/api/v1/tus`;
  });

  afterAll(async () => {
    await chat.close();
  });

  const tus = (
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: Uint8Array,
  ): Promise<Response> =>
    fetch(`${chat.url}${path}`, {
      method,
      headers: { 'tus-resumable': '1.0.0', ...sessionHeaders(hamlet), ...headers },
      body: body as Uint8Array<ArrayBuffer> | undefined,
    });

  const create = (size: number, filename = 'part.bin'): Promise<Response> =>
    tus('POST', '/api/v1/tus', {
      'upload-length': String(size),
      'upload-metadata': `filename ${Buffer.from(filename).toString('base64')}`,
    });

  async function tusKeys(): Promise<{ key: string; size: number }[]> {
    const keys: { key: string; size: number }[] = [];
    for await (const object of chat.server.app.tus.dataStore.store.list({ prefix: 'tus/' }))
      keys.push({ key: object.key, size: object.size });
    return keys;
  }

  const attachmentCount = (): number =>
    (chat.data.db.prepare('SELECT COUNT(*) AS n FROM attachments').get() as { n: number }).n;

  it("takes a file from tus-js-client in chunks and answers Zulip's {url, filename} when it completes", async () => {
    const source = bytes(300 * KIB);
    const before = attachmentCount();
    const { done } = tusUpload(source, endpoint, hamlet, {
      chunkSize: 100 * KIB,
      metadata: { filename: 'report 2026.bin', filetype: 'application/octet-stream' },
    });
    const finished = await done;
    expect(finished.filename).toBe('report-2026.bin');
    expect(finished.url).toMatch(/^\/user_uploads\/1\/.+\/report-2026\.bin$/u);
    const served = await hamlet.request('GET', finished.url);
    expect(served.status).toBe(200);
    const received = new Uint8Array(await served.arrayBuffer());
    expect(sha256(received)).toBe(sha256(source));
    expect(attachmentCount()).toBe(before + 1);
    // The store recorded the SHA-256 of the attachment, as for any upload; the partial upload's objects are gone.
    const key = decodeURIComponent(finished.url.slice('/user_uploads/'.length));
    expect((await chat.stores.uploads.head(key))?.sha256).toBe(sha256(source));
    expect(await tusKeys()).toEqual([]);
  });

  it('keeps a partial upload in segments of bounded size, shows no attachment before it is complete, and resumes', async () => {
    const source = bytes(200 * KIB, 7);
    const before = attachmentCount();
    const created = await create(source.byteLength);
    expect(created.status).toBe(201);
    const location = created.headers.get('location') ?? '';
    expect(location).toMatch(/^\/api\/v1\/tus\/[0-9a-f]+$/u);
    expect(created.headers.get('upload-expires')).not.toBeNull();
    // One PATCH of 150 KiB becomes segments of 64, 64 and 22 KiB.
    const first = await tus(
      'PATCH',
      location,
      { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      source.subarray(0, 150 * KIB),
    );
    expect(first.status).toBe(204);
    expect(first.headers.get('upload-offset')).toBe(String(150 * KIB));
    const parts = (await tusKeys()).filter((object) => object.key.includes('/parts/'));
    expect(parts.map((part) => part.size)).toEqual([SEGMENT, SEGMENT, 150 * KIB - 2 * SEGMENT]);
    expect(parts.every((part) => part.size <= SEGMENT)).toBe(true);
    expect(attachmentCount()).toBe(before);
    const head = await tus('HEAD', location);
    expect(head.headers.get('upload-offset')).toBe(String(150 * KIB));
    expect(head.headers.get('upload-length')).toBe(String(200 * KIB));
    // A wrong offset is a conflict; the right one completes it.
    expect(
      (
        await tus(
          'PATCH',
          location,
          { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
          source.subarray(0, 10),
        )
      ).status,
    ).toBe(409);
    const last = await tus(
      'PATCH',
      location,
      { 'upload-offset': String(150 * KIB), 'content-type': 'application/offset+octet-stream' },
      source.subarray(150 * KIB),
    );
    expect(last.status).toBe(200);
    const finished = (await last.json()) as { url: string; filename: string };
    expect(finished.filename).toBe('part.bin');
    expect(sha256(new Uint8Array(await (await hamlet.request('GET', finished.url)).arrayBuffer()))).toBe(
      sha256(source),
    );
    expect(attachmentCount()).toBe(before + 1);
    // After completion HEAD reports it whole with its URL; it cannot be terminated.
    const done = await tus('HEAD', location);
    expect(done.headers.get('upload-offset')).toBe(String(200 * KIB));
    expect(done.headers.get('upload-metadata')).toContain(`url ${Buffer.from(finished.url).toString('base64')}`);
    expect((await tus('DELETE', location)).status).toBe(400);
  });

  it('refuses a creation over the size limit or the quota, and reserves the quota at creation', async () => {
    const tooBig = await create(1024 * KIB + 1);
    expect(tooBig.status).toBe(413);
    expect(await tooBig.text()).toMatch(/larger than the 1\.0 MiB upload limit/u);
    const realm = chat.data.realm(1);
    const used = chat.data.realmUsedBytes(1);
    chat.data.db.prepare('UPDATE realms SET quota_bytes = ? WHERE id = 1').run(used + 500 * KIB);
    try {
      const overQuota = await create(501 * KIB);
      expect(overQuota.status).toBe(413);
      expect(await overQuota.text()).toMatch(/exceed your organization's upload quota/u);
      // Two uploads of 300 KiB cannot both hold 500 KiB: the second is refused before a byte is sent.
      const first = await create(300 * KIB);
      expect(first.status).toBe(201);
      const second = await create(300 * KIB);
      expect(second.status).toBe(413);
      // Terminating the first gives its reservation back and removes its objects.
      const location = first.headers.get('location') ?? '';
      await tus(
        'PATCH',
        location,
        { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
        bytes(100 * KIB),
      );
      expect((await tusKeys()).length).toBeGreaterThan(0);
      expect((await tus('DELETE', location)).status).toBe(204);
      expect(await tusKeys()).toEqual([]);
      expect((await tus('HEAD', location)).status).toBe(404);
      const third = await create(300 * KIB);
      expect(third.status).toBe(201);
      expect((await tus('DELETE', third.headers.get('location') ?? '')).status).toBe(204);
    } finally {
      chat.data.db.prepare('UPDATE realms SET quota_bytes = ? WHERE id = 1').run(realm?.quotaBytes ?? 1024 ** 3);
    }
  });

  it('refuses bytes beyond Upload-Length and deferred lengths', async () => {
    const created = await create(10 * KIB);
    const location = created.headers.get('location') ?? '';
    const over = await tus(
      'PATCH',
      location,
      { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      bytes(10 * KIB + 1),
    );
    expect(over.status).toBe(413);
    expect((await tus('HEAD', location)).headers.get('upload-offset')).toBe('0');
    const deferred = await tus('POST', '/api/v1/tus', { 'upload-defer-length': '1' });
    expect(deferred.status).toBe(411);
    expect(await deferred.text()).toMatch(/Upload-Length/u);
    expect((await tus('DELETE', location)).status).toBe(204);
  });

  it("answers only the upload's creator, and only authenticated requests", async () => {
    const created = await create(10 * KIB);
    const location = created.headers.get('location') ?? '';
    const anonymous = await fetch(`${chat.url}${location}`, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0' } });
    expect(anonymous.status).toBe(401);
    const noCsrf = await fetch(`${chat.url}${location}`, {
      method: 'DELETE',
      headers: { 'tus-resumable': '1.0.0', cookie: sessionHeaders(hamlet).cookie ?? '' },
    });
    expect(noCsrf.status).toBe(403);
    const othello = await chat.login('othello@zulip.test');
    const foreign = await fetch(`${chat.url}${location}`, {
      method: 'HEAD',
      headers: { 'tus-resumable': '1.0.0', ...sessionHeaders(othello) },
    });
    expect(foreign.status).toBe(404);
    // Zulip's API key over HTTP Basic works as well as the session.
    const key = (await (
      await fetch(`${chat.url}/api/v1/fetch_api_key`, {
        method: 'POST',
        body: new URLSearchParams({ username: 'hamlet@zulip.test', password: 'hamlet-stowage' }),
      })
    ).json()) as { api_key: string };
    const basic = `Basic ${Buffer.from(`hamlet@zulip.test:${key.api_key}`).toString('base64')}`;
    const viaKey = await fetch(`${chat.url}${location}`, {
      method: 'HEAD',
      headers: { 'tus-resumable': '1.0.0', authorization: basic },
    });
    expect(viaKey.status).toBe(200);
    expect((await tus('DELETE', location)).status).toBe(204);
  });

  it('removes an abandoned upload once it expires', async () => {
    const created = await create(100 * KIB);
    const location = created.headers.get('location') ?? '';
    await tus(
      'PATCH',
      location,
      { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      bytes(70 * KIB),
    );
    expect(await chat.server.app.tus.sweep()).toEqual({ expired: 0, leftovers: 0 });
    expect((await tusKeys()).length).toBe(3);
    // The storage-side cleanup takes only attachment and thumbnail keys: partial uploads are the expiry's.
    const report = await sweepOrphans(chat.data, chat.server.app.tus.dataStore.store, {
      delete: true,
      graceMs: 0,
      now: Date.now() + EXPIRY_MS * 2,
    });
    expect(report.otherKeys).toBeGreaterThanOrEqual(3);
    expect((await tusKeys()).length).toBe(3);
    // Until it expires, its declared length is held and shown as pending.
    const listing = await hamlet.json<{ pendingBytes: number; userPendingBytes: number }>('GET', '/api/attachments');
    expect(listing.body.pendingBytes).toBe(100 * KIB);
    expect(listing.body.userPendingBytes).toBe(100 * KIB);
    chat.advance(EXPIRY_MS + 1000);
    expect(await chat.server.app.tus.sweep()).toEqual({ expired: 1, leftovers: 0 });
    expect(await tusKeys()).toEqual([]);
    expect(chat.data.tusUpload(location.split('/').pop() ?? '')).toBeUndefined();
    expect((await tus('HEAD', location)).status).toBe(404);
  });
});

/** A store whose next listing of an upload's segments waits, once armed, until released. */
function gatedStore(): { store: ObjectStore; arm(): Promise<void>; release(): void } {
  const inner = new MemoryStore();
  let armed = false;
  let reached: () => void = () => undefined;
  let opened: Promise<void> = Promise.resolve();
  let open: () => void = () => undefined;
  const store = new Proxy(inner, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (property !== 'list') return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      return (options?: ListOptions): AsyncIterable<ObjectSummary> => {
        const waits = armed && options?.prefix?.endsWith('/parts/') === true;
        if (waits) armed = false;
        return (async function* listing() {
          if (waits) {
            reached();
            await opened;
          }
          yield* target.list(options);
        })();
      };
    },
  });
  return {
    store,
    arm: () => {
      armed = true;
      opened = new Promise((resolve) => (open = resolve));
      return new Promise((resolve) => (reached = resolve));
    },
    release: () => {
      open();
    },
  };
}

describe('a tus request whose upload another request took over', () => {
  const gate = gatedStore();
  let chat: TestChat;
  let hamlet: Client;

  beforeAll(async () => {
    chat = await startTestChat({ tus: { store: gate.store, segmentBytes: SEGMENT, sweepIntervalMs: 0 } });
    hamlet = await chat.login('hamlet@zulip.test');
  });

  afterAll(async () => {
    gate.release();
    await chat.close();
  });

  const tus = (method: string, path: string, headers: Record<string, string> = {}, body?: Uint8Array) =>
    fetch(`${chat.url}${path}`, {
      method,
      headers: { 'tus-resumable': '1.0.0', ...sessionHeaders(hamlet), ...headers },
      body: body as Uint8Array<ArrayBuffer> | undefined,
    });

  it('is answered 423 (which tus clients retry), not 400, and the upload goes on', async () => {
    const source = bytes(10 * KIB, 3);
    const created = await tus('POST', '/api/v1/tus', {
      'upload-length': String(source.byteLength),
      'upload-metadata': `filename ${Buffer.from('taken.bin').toString('base64')}`,
    });
    const location = created.headers.get('location') ?? '';
    const patching = { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' };
    // The first PATCH holds the upload's lock while it reads the stored offset, which waits here.
    const reached = gate.arm();
    const first = tus('PATCH', location, patching, source);
    await reached;
    // A HEAD asks for the lock: @tus/server tells the holder to let go and aborts it after its drain time (3 s),
    // counted from just after the HEAD has been let in (timers fire in the order they fall due, even under load).
    const options = chat.server.app.tus.server.options;
    const letIn = options.onIncomingRequest;
    const headLetIn = new Promise<void>((resolve) => {
      options.onIncomingRequest = async (request, id) => {
        await letIn?.(request, id);
        if (request.method === 'HEAD') resolve();
      };
    });
    const head = tus('HEAD', location);
    await headLetIn;
    options.onIncomingRequest = letIn;
    await sleep(3500);
    gate.release();
    const taken = await first;
    expect(taken.status).toBe(423);
    expect(await taken.text()).toMatch(/took it over: ask for its offset/u);
    const asked = await head;
    expect(asked.status).toBe(200);
    expect(asked.headers.get('upload-offset')).toBe('0');
    const resumed = await tus('PATCH', location, patching, source);
    expect(resumed.status).toBe(200);
    expect(((await resumed.json()) as { filename: string }).filename).toBe('taken.bin');
  }, 20_000);
});
