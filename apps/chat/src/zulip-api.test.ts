import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeS3ChatStores, startTestChat } from '../test/chat-fixture.ts';
import type { TestChat, TestChatOptions } from '../test/chat-fixture.ts';
import { RawConnection } from '../test/raw-http.ts';

interface ZulipAnswer {
  readonly result: 'success' | 'error';
  readonly msg: string;
  readonly code?: string;
  readonly [field: string]: unknown;
}

const BACKENDS: [string, TestChatOptions][] = [
  ['local store', { maxFileUploadBytes: 64 * 1024 }],
  ['mocked S3', { maxFileUploadBytes: 64 * 1024, stores: fakeS3ChatStores() }],
];

// Calls made as Zulip's API documentation shows them: form-encoded parameters, HTTP Basic auth with the email and
// the API key, and uploads as multipart/form-data with one file (what `curl -F filename=@file` sends).
describe.each(BACKENDS)("Zulip's upload API (%s)", (_backend, options) => {
  let chat: TestChat;
  let hamletKey: string;

  beforeAll(async () => {
    chat = await startTestChat(options);
  });

  afterAll(async () => {
    await chat.close();
  });

  function basic(email: string, key: string): string {
    return `Basic ${Buffer.from(`${email}:${key}`).toString('base64')}`;
  }

  async function call(
    method: string,
    path: string,
    init: { auth?: string; form?: Record<string, string>; body?: FormData } = {},
  ): Promise<{ status: number; body: ZulipAnswer }> {
    const headers: Record<string, string> = {};
    if (init.auth !== undefined) headers.authorization = init.auth;
    const response = await fetch(`${chat.url}${path}`, {
      method,
      headers,
      body: init.form === undefined ? init.body : new URLSearchParams(init.form),
    });
    return { status: response.status, body: (await response.json()) as ZulipAnswer };
  }

  async function fetchKey(email: string, password: string): Promise<string> {
    const { status, body } = await call('POST', '/api/v1/fetch_api_key', { form: { username: email, password } });
    expect(status).toBe(200);
    expect(body).toMatchObject({ result: 'success', msg: '', email });
    return String(body.api_key);
  }

  it('gives the API key for the right password, the same each time, and refuses a wrong one', async () => {
    hamletKey = await fetchKey('hamlet@zulip.test', 'hamlet-stowage');
    expect(hamletKey).toMatch(/^[A-Za-z0-9]{32}$/u);
    expect(await fetchKey('hamlet@zulip.test', 'hamlet-stowage')).toBe(hamletKey);
    const wrong = await call('POST', '/api/v1/fetch_api_key', {
      form: { username: 'hamlet@zulip.test', password: 'nope' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ result: 'error', code: 'AUTHENTICATION_FAILED' });
  });

  it('shows the key on the session API the settings page reads', async () => {
    const hamlet = await chat.login('hamlet@zulip.test');
    const { status, body } = await hamlet.json<{ apiKey: string }>('GET', '/api/api-key');
    expect(status).toBe(200);
    expect(body.apiKey).toBe(hamletKey);
  });

  it("answers GET /api/v1/users/me with Basic auth, and refuses a wrong key or none in Zulip's shape", async () => {
    const me = await call('GET', '/api/v1/users/me', { auth: basic('hamlet@zulip.test', hamletKey) });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ result: 'success', email: 'hamlet@zulip.test', full_name: 'King Hamlet' });
    const wrong = await call('GET', '/api/v1/users/me', { auth: basic('hamlet@zulip.test', 'A'.repeat(32)) });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ result: 'error', code: 'INVALID_API_KEY' });
    const swapped = await call('GET', '/api/v1/users/me', { auth: basic('othello@zulip.test', hamletKey) });
    expect(swapped.status).toBe(401);
    expect((await fetch(`${chat.url}/api/v1/users/me`)).status).toBe(401);
  });

  it('uploads a file as multipart/form-data, links it in a message, and the usual access rule follows', async () => {
    const form = new FormData();
    form.append('filename', new Blob(['the zulip client was here\n'], { type: 'text/plain' }), 'zulip notes.txt');
    const uploaded = await call('POST', '/api/v1/user_uploads', {
      auth: basic('hamlet@zulip.test', hamletKey),
      body: form,
    });
    expect(uploaded.status).toBe(200);
    expect(uploaded.body).toMatchObject({ result: 'success', msg: '', filename: 'zulip-notes.txt' });
    const url = String(uploaded.body.url);
    expect(uploaded.body.uri).toBe(url);
    expect(url).toMatch(/^\/user_uploads\/1\/.+\/zulip-notes\.txt$/u);
    const hamlet = await chat.login('hamlet@zulip.test');
    expect(await (await hamlet.request('GET', url)).text()).toBe('the zulip client was here\n');
    const othello = await chat.login('othello@zulip.test');
    expect((await othello.request('GET', url)).status).toBe(404);
    const sent = await call('POST', '/api/v1/messages', {
      auth: basic('hamlet@zulip.test', hamletKey),
      form: { type: 'stream', to: 'general', topic: 'files', content: `[notes](${url})` },
    });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ result: 'success' });
    expect(typeof sent.body.id).toBe('number');
    expect(await (await othello.request('GET', url)).text()).toBe('the zulip client was here\n');
    const lear = await chat.login('lear@lear.test');
    expect((await lear.request('GET', url)).status).toBe(404);
  });

  it('sends a direct message to users by email or id, and only its recipients may read its file', async () => {
    const auth = basic('hamlet@zulip.test', hamletKey);
    const form = new FormData();
    form.append('file', new Blob(['between us\n'], { type: 'text/plain' }), 'dm.txt');
    const url = String((await call('POST', '/api/v1/user_uploads', { auth, body: form })).body.url);
    const sent = await call('POST', '/api/v1/messages', {
      auth,
      form: { type: 'direct', to: '["othello@zulip.test"]', content: url },
    });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ result: 'success' });
    const othello = await chat.login('othello@zulip.test');
    expect(await (await othello.request('GET', url)).text()).toBe('between us\n');
    for (const email of ['iago@zulip.test', 'prospero@zulip.test', 'lear@lear.test']) {
      expect((await (await chat.login(email)).request('GET', url)).status).toBe(404);
    }
    // `private` is Zulip's older name; a comma-separated list of emails works too.
    expect(
      (
        await call('POST', '/api/v1/messages', {
          auth,
          form: { type: 'private', to: 'othello@zulip.test', content: 'again' },
        })
      ).status,
    ).toBe(200);
    const unknown = await call('POST', '/api/v1/messages', {
      auth,
      form: { type: 'direct', to: '["lear@lear.test"]', content: 'hi' },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({
      result: 'error',
      code: 'BAD_REQUEST',
      msg: "Invalid user email 'lear@lear.test'",
    });
  });

  it('answers 413 to a client still sending a body over the limit, rather than cutting the connection', async () => {
    const auth = basic('hamlet@zulip.test', hamletKey);
    // 100 KiB: declared within the multipart allowance, refused while it streams in; 8 MiB: refused on its length.
    for (const size of [100 * 1024, 8 * 1024 * 1024]) {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(size)]), 'big.bin');
      const answer = await call('POST', '/api/v1/user_uploads', { auth, body: form });
      expect(answer.status, `${size} bytes`).toBe(413);
      expect(answer.body.msg).toMatch(/upload limit/u);
    }
  });

  it("refuses a file over the limit and one past the quota with Zulip's error shape, storing nothing", async () => {
    const auth = basic('hamlet@zulip.test', hamletKey);
    const keysBefore: string[] = [];
    for await (const object of chat.stores.uploads.list()) keysBefore.push(object.key);
    const big = new FormData();
    big.append('file', new Blob([new Uint8Array(65 * 1024)]), 'big.bin');
    const tooBig = await call('POST', '/api/v1/user_uploads', { auth, body: big });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body).toMatchObject({ result: 'error', code: 'BAD_REQUEST' });
    expect(tooBig.body.msg).toMatch(/upload limit/u);
    chat.data.db.prepare('UPDATE realms SET quota_bytes = ? WHERE id = 1').run(chat.data.realmUsedBytes(1) + 1000);
    try {
      const over = new FormData();
      over.append('file', new Blob([new Uint8Array(2000)]), 'over.bin');
      const refused = await call('POST', '/api/v1/user_uploads', { auth, body: over });
      expect(refused.status).toBe(413);
      expect(refused.body).toMatchObject({ result: 'error', code: 'BAD_REQUEST' });
      expect(refused.body.msg).toMatch(/quota/u);
    } finally {
      chat.data.db.prepare('UPDATE realms SET quota_bytes = ? WHERE id = 1').run(1024 ** 3);
    }
    // A declared body too large for the limit, or for the quota left, is refused before the client sends it.
    for (const [length, quotaLeft, expected] of [
      [4 * 1024 * 1024, 1024 ** 3, /upload limit/u],
      [64 * 1024 + 10 * 1024, 1000, /quota/u],
    ] as const) {
      chat.data.db
        .prepare('UPDATE realms SET quota_bytes = ? WHERE id = 1')
        .run(chat.data.realmUsedBytes(1) + quotaLeft);
      const raw = await RawConnection.open(chat.url);
      try {
        raw.send(
          [
            'POST /api/v1/user_uploads HTTP/1.1',
            'Host: 127.0.0.1',
            `Authorization: ${auth}`,
            'Content-Type: multipart/form-data; boundary=x',
            `Content-Length: ${length}`,
            'Expect: 100-continue',
            '',
            '',
          ].join('\r\n'),
        );
        const [answer] = await raw.read(['POST']);
        expect(answer?.status).toBe(413);
        expect(JSON.parse(answer?.body.toString() ?? '{}')).toMatchObject({
          result: 'error',
          code: 'BAD_REQUEST',
          msg: expect.stringMatching(expected) as unknown,
        });
      } finally {
        raw.close();
        chat.data.db.prepare('UPDATE realms SET quota_bytes = ? WHERE id = 1').run(1024 ** 3);
      }
    }
    // The per-user quota refuses in Zulip's shape too, naming the personal quota.
    chat.data.setQuotas(1, 1024 ** 3, chat.data.userUsedBytes(2) + 1000);
    try {
      const over = new FormData();
      over.append('file', new Blob([new Uint8Array(2000)]), 'mine.bin');
      const refused = await call('POST', '/api/v1/user_uploads', { auth, body: over });
      expect(refused.status).toBe(413);
      expect(refused.body).toMatchObject({ result: 'error', code: 'BAD_REQUEST' });
      expect(refused.body.msg).toMatch(
        /^this upload would exceed your personal upload quota of [\d.]+ (bytes|KiB) \(/u,
      );
    } finally {
      chat.data.setQuotas(1, 1024 ** 3, null);
    }
    const none = await call('POST', '/api/v1/user_uploads', { auth, form: { nothing: 'here' } });
    expect(none.status).toBe(400);
    expect(none.body).toMatchObject({ result: 'error', code: 'BAD_REQUEST' });
    const keysAfter: string[] = [];
    for await (const object of chat.stores.uploads.list()) keysAfter.push(object.key);
    expect(keysAfter).toEqual(keysBefore);
  });
});
