import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeS3ChatStores, startTestChat } from '../test/chat-fixture.ts';
import type { Client, TestChat, TestChatOptions } from '../test/chat-fixture.ts';
import { RawConnection, cookieOf } from '../test/raw-http.ts';

const KIB = 1024;

const BACKENDS: [string, TestChatOptions][] = [
  ['local store', { maxFileUploadBytes: 1024 * KIB }],
  ['mocked S3', { maxFileUploadBytes: 1024 * KIB, stores: fakeS3ChatStores() }],
];

/** A body that sends `first` bytes, then waits for `release()` before sending `rest` bytes. */
function gatedBody(first: number, rest: number): { body: ReadableStream<Uint8Array>; release: () => void } {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let step = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      step++;
      if (step === 1) controller.enqueue(new Uint8Array(first).fill(1));
      else if (step === 2) {
        await gate;
        controller.enqueue(new Uint8Array(rest).fill(2));
      } else controller.close();
    },
  });
  return { body, release };
}

describe.each(BACKENDS)('upload limits (%s)', (_backend, options) => {
  let chat: TestChat;
  let hamlet: Client;

  beforeAll(async () => {
    chat = await startTestChat(options);
    hamlet = await chat.login('hamlet@zulip.test');
  });

  afterAll(async () => {
    await chat.close();
  });

  function setQuotaLeft(bytes: number): void {
    chat.data.db.prepare('UPDATE realms SET quota_bytes = ? WHERE id = 1').run(chat.data.realmUsedBytes(1) + bytes);
  }

  function resetQuota(): void {
    chat.data.db.prepare('UPDATE realms SET quota_bytes = ? WHERE id = 1').run(1024 ** 3);
  }

  it('counts chunked uploads against the quota as their bytes arrive, so two at once cannot both pass it', async () => {
    setQuotaLeft(100 * KIB);
    const before = chat.data.attachmentsOfOwner(1).length + chat.data.attachmentsOfOwner(2).length;
    try {
      const a = gatedBody(40 * KIB, 50 * KIB);
      const b = gatedBody(40 * KIB, 50 * KIB);
      const first = hamlet.json<{ error?: { code: string } }>('POST', '/api/uploads?name=a.bin', { body: a.body });
      const second = hamlet.json<{ error?: { code: string } }>('POST', '/api/uploads?name=b.bin', { body: b.body });
      // Both are under way (their first 40 KiB counted) before either can finish.
      while (chat.server.app.pendingUploads.reserved('realm:1') < 80 * KIB)
        await new Promise((resolve) => setTimeout(resolve, 10));
      a.release();
      b.release();
      const answers = await Promise.all([first, second]);
      // 180 KiB cannot fit in 100: at most one is stored (both may be refused, each having held its bytes).
      const stored = answers.filter((answer) => answer.status === 201).length;
      expect(stored).toBeLessThanOrEqual(1);
      for (const answer of answers.filter((candidate) => candidate.status !== 201)) {
        expect(answer.status).toBe(413);
        expect(answer.body.error?.code).toBe('QuotaExceeded');
      }
      const realm = chat.data.realm(1);
      expect(chat.data.realmUsedBytes(1)).toBeLessThanOrEqual(realm?.quotaBytes ?? 0);
      expect(chat.data.attachmentsOfOwner(1).length + chat.data.attachmentsOfOwner(2).length).toBe(before + stored);
      expect(chat.server.app.pendingUploads.reserved('realm:1')).toBe(0);
    } finally {
      resetQuota();
    }
  });

  it('holds each user to the per-user quota, reserved as bytes arrive, while the realm quota still has room', async () => {
    const othello = await chat.login('othello@zulip.test');
    const hamletId = 2;
    chat.data.setQuotas(1, 1024 ** 3, chat.data.userUsedBytes(hamletId) + 100 * KIB);
    const before = chat.data.attachmentsOfOwner(hamletId).length;
    try {
      const a = gatedBody(40 * KIB, 50 * KIB);
      const b = gatedBody(40 * KIB, 50 * KIB);
      // The server may answer 413 and close before the client has sent the rest: fetch then fails (status 0).
      const cut = { status: 0, body: {} as { error?: { code: string; message: string } } };
      const first = hamlet
        .json<{ error?: { code: string; message: string } }>('POST', '/api/uploads?name=a.bin', { body: a.body })
        .catch(() => cut);
      const second = hamlet
        .json<{ error?: { code: string; message: string } }>('POST', '/api/uploads?name=b.bin', { body: b.body })
        .catch(() => cut);
      while (chat.server.app.pendingUploads.reserved(`user:${hamletId}`) < 80 * KIB)
        await new Promise((resolve) => setTimeout(resolve, 10));
      // Another user of the realm has a quota of the same size of their own: Hamlet's reservations do not count.
      expect(chat.data.userUsedBytes(3)).toBe(0);
      expect((await othello.upload('other.bin', new Uint8Array(90 * KIB))).size).toBe(90 * KIB);
      a.release();
      b.release();
      const answers = await Promise.all([first, second]);
      const stored = answers.filter((answer) => answer.status === 201).length;
      expect(stored).toBeLessThanOrEqual(1);
      for (const answer of answers.filter((candidate) => candidate.status !== 201 && candidate.status !== 0)) {
        expect(answer.status).toBe(413);
        expect(answer.body.error?.code).toBe('QuotaExceeded');
        expect(answer.body.error?.message).toMatch(
          /^this upload would exceed your personal upload quota of [\d.]+ KiB \(/u,
        );
      }
      expect(chat.data.attachmentsOfOwner(hamletId).length).toBe(before + stored);
      // A refusal that cut the connection may reach the client before the server has released the bytes.
      while (chat.server.app.pendingUploads.reserved(`user:${hamletId}`) !== 0)
        await new Promise((resolve) => setTimeout(resolve, 10));
      expect(chat.server.app.pendingUploads.reserved('realm:1')).toBe(0);
      // A declared length over what is left is refused before a byte is stored, saying how much is left.
      const declared = await hamlet.json<{ error: { code: string; message: string } }>(
        'POST',
        '/api/uploads?name=c.bin',
        { body: new Uint8Array(101 * KIB) },
      );
      expect(declared.status).toBe(413);
      expect(declared.body.error.message).toMatch(
        /^this upload of 101\.0 KiB would exceed your personal upload quota of [\d.]+ KiB \(.+ used, .+ left\)$/u,
      );
      const { body: realm } = await hamlet.json<{ userQuotaBytes: number; userUsedBytes: number }>('GET', '/api/realm');
      expect(realm.userQuotaBytes).toBe(chat.data.realm(1)?.userQuotaBytes);
      expect(realm.userUsedBytes).toBe(chat.data.userUsedBytes(hamletId));
    } finally {
      chat.data.setQuotas(1, 1024 ** 3, null);
    }
  });

  it('lets an administrator set both quotas, and nobody else', async () => {
    const iago = await chat.login('iago@zulip.test');
    expect((await hamlet.request('PATCH', '/api/realm/quotas', { body: { userQuotaMiB: 1 } })).status).toBe(403);
    const bad = await iago.json<{ error: { message: string } }>('PATCH', '/api/realm/quotas', {
      body: { userQuotaMiB: 0.5 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/userQuotaMiB/u);
    try {
      const set = await iago.json('PATCH', '/api/realm/quotas', { body: { quotaMiB: 2048, userQuotaMiB: 5 } });
      expect(set.status).toBe(200);
      expect(chat.data.realm(1)).toMatchObject({ quotaBytes: 2048 * 1024 * 1024, userQuotaBytes: 5 * 1024 * 1024 });
      expect((await iago.json('PATCH', '/api/realm/quotas', { body: { userQuotaMiB: null } })).status).toBe(200);
      expect(chat.data.realm(1)).toMatchObject({ quotaBytes: 2048 * 1024 * 1024, userQuotaBytes: null });
    } finally {
      chat.data.setQuotas(1, 1024 ** 3, null);
    }
  });

  it('stores nothing and releases the reservation when the client goes away mid-upload', async () => {
    const keysBefore: string[] = [];
    for await (const object of chat.stores.uploads.list()) keysBefore.push(object.key);
    const attachmentsBefore = chat.data.attachmentsOfOwner(2).length;
    const cut = request(new URL('/api/uploads?name=cut.bin', chat.url), {
      method: 'POST',
      headers: {
        'content-length': String(200 * KIB),
        cookie: cookieOf(hamlet),
        'x-csrf-token': hamlet.csrfToken ?? '',
      },
    });
    cut.on('error', () => undefined);
    cut.write(new Uint8Array(100 * KIB));
    while (chat.server.app.pendingUploads.reserved('realm:1') === 0)
      await new Promise((resolve) => setTimeout(resolve, 10));
    cut.destroy();
    while (chat.server.app.pendingUploads.reserved('realm:1') !== 0)
      await new Promise((resolve) => setTimeout(resolve, 10));
    // The upload has failed on the server: nothing recorded, nothing stored.
    expect(chat.data.attachmentsOfOwner(2).length).toBe(attachmentsBefore);
    const keysAfter: string[] = [];
    for await (const object of chat.stores.uploads.list()) keysAfter.push(object.key);
    expect(keysAfter).toEqual(keysBefore);
  });

  it('refuses an upload over the limit before telling the client to send its body (no 100 Continue)', async () => {
    const raw = await RawConnection.open(chat.url);
    try {
      raw.send(
        [
          'POST /api/uploads?name=huge.bin HTTP/1.1',
          'Host: 127.0.0.1',
          `Cookie: ${cookieOf(hamlet)}`,
          `X-CSRF-Token: ${hamlet.csrfToken ?? ''}`,
          `Content-Length: ${2048 * KIB}`,
          'Expect: 100-continue',
          '',
          '',
        ].join('\r\n'),
      );
      const [answer] = await raw.read(['POST']);
      expect(answer?.status).toBe(413);
      expect(JSON.parse(answer?.body.toString() ?? '{}')).toMatchObject({ error: { code: 'FileTooLarge' } });
    } finally {
      raw.close();
    }
  });

  it('tells a client within the limit to go on (100 Continue), then stores its body', async () => {
    const raw = await RawConnection.open(chat.url);
    try {
      raw.send(
        [
          'POST /api/uploads?name=small.txt HTTP/1.1',
          'Host: 127.0.0.1',
          `Cookie: ${cookieOf(hamlet)}`,
          `X-CSRF-Token: ${hamlet.csrfToken ?? ''}`,
          'Content-Type: text/plain',
          'Content-Length: 5',
          'Expect: 100-continue',
          '',
          '',
        ].join('\r\n'),
      );
      const [go] = await raw.read(['HEAD']);
      expect(go?.status).toBe(100);
      raw.send('hello');
      const [stored] = await raw.read(['POST']);
      expect(stored?.status).toBe(201);
      const { url } = JSON.parse(stored?.body.toString() ?? '{}') as { url: string };
      expect(await (await hamlet.request('GET', url)).text()).toBe('hello');
    } finally {
      raw.close();
    }
  });
});
