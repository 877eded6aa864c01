import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ObjectStore } from '@stowage/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatData } from './chat-data.ts';
import { startChatServer } from './chat-server.ts';
import { localChatStores } from './open-chat-stores.ts';
import { ensureSchema } from './schema.ts';
import { chooseSqliteDriver } from './sqlite-driver.ts';
import { startTestChat } from '../test/chat-fixture.ts';
import type { Client, TestChat, UploadedAttachment } from '../test/chat-fixture.ts';

describe('serving /user_uploads', () => {
  let chat: TestChat;
  let hamlet: Client;
  let text: UploadedAttachment;
  const content = 'abcdefghijklmnopqrstuvwxyz0123456789\n';

  beforeAll(async () => {
    chat = await startTestChat();
    hamlet = await chat.login('hamlet@zulip.test');
    text = await hamlet.upload('notes.txt', content, 'text/plain');
  });

  afterAll(async () => {
    await chat.close();
  });

  it('sends the safety and caching headers', async () => {
    const response = await hamlet.request('GET', text.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cache-control')).toBe('private, immutable');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(response.headers.get('content-disposition')).toMatch(/^inline; filename="notes\.txt"/u);
    expect(response.headers.get('etag')).toMatch(/^(W\/)?".+"$/u);
    expect(response.headers.get('accept-ranges')).toBe('bytes');
    expect(await response.text()).toBe(content);
  });

  it('serves HTML and SVG as attachments, never inline', async () => {
    const html = await hamlet.upload('page.html', '<script>alert(1)</script>', 'text/html');
    const svg = await hamlet.upload(
      'logo.svg',
      '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
      'image/svg+xml',
    );
    for (const file of [html, svg]) {
      const response = await hamlet.request('GET', file.url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-disposition')).toMatch(/^attachment;/u);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      await response.arrayBuffer();
    }
  });

  it('forces a download with ?download=1', async () => {
    const response = await hamlet.request('GET', `${text.url}?download=1`);
    expect(response.headers.get('content-disposition')).toMatch(/^attachment;/u);
    await response.arrayBuffer();
  });

  it('answers 304 to a matching If-None-Match, from the store and from memory', async () => {
    const fresh = await hamlet.upload('etag.txt', 'etag test\n', 'text/plain');
    const first = await hamlet.request('GET', fresh.url);
    const etag = first.headers.get('etag') ?? '';
    await first.arrayBuffer();
    for (let round = 0; round < 2; round++) {
      const again = await hamlet.request('GET', fresh.url, { headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
      expect(await again.text()).toBe('');
    }
    const other = await hamlet.request('GET', fresh.url, { headers: { 'if-none-match': '"something-else"' } });
    expect(other.status).toBe(200);
    expect(await other.text()).toBe('etag test\n');
  });

  it('answers ranges with 206 and the exact bytes, and 416 past the end', async () => {
    const cases: [string, string, string][] = [
      ['bytes=0-3', 'abcd', `bytes 0-3/${content.length}`],
      ['bytes=26-', content.slice(26), `bytes 26-${content.length - 1}/${content.length}`],
      ['bytes=-5', content.slice(-5), `bytes ${content.length - 5}-${content.length - 1}/${content.length}`],
      ['bytes=10-1000', content.slice(10), `bytes 10-${content.length - 1}/${content.length}`],
    ];
    for (const [range, expected, contentRange] of cases) {
      const response = await hamlet.request('GET', text.url, { headers: { range } });
      expect(response.status).toBe(206);
      expect(response.headers.get('content-range')).toBe(contentRange);
      expect(await response.text()).toBe(expected);
    }
    const beyond = await hamlet.request('GET', text.url, { headers: { range: 'bytes=1000-' } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${content.length}`);
    await beyond.arrayBuffer();
  });

  it('streams files larger than the memory cache, with ranges', async () => {
    const big = new Uint8Array(600 * 1024).map((_, index) => index % 251);
    const file = await hamlet.upload('big.bin', big);
    const whole = new Uint8Array(await (await hamlet.request('GET', file.url)).arrayBuffer());
    // Buffer comparison: a deep equal over 600 K elements would take seconds.
    expect(Buffer.from(whole).equals(big)).toBe(true);
    const part = await hamlet.request('GET', file.url, { headers: { range: 'bytes=300000-300009' } });
    expect(part.status).toBe(206);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(big.subarray(300000, 300010));
  });

  it('rejects keys that cannot exist with a plain 404', async () => {
    for (const path of ['/user_uploads/..%2F..%2Fetc%2Fpasswd', '/user_uploads/a//b', '/user_uploads/%E0%A4%A']) {
      const response = await hamlet.request('GET', path);
      expect(response.status).toBe(404);
      await response.arrayBuffer();
    }
  });
});

describe('uploads', () => {
  let chat: TestChat;
  let hamlet: Client;
  const limit = 64 * 1024;

  beforeAll(async () => {
    chat = await startTestChat({ maxFileUploadBytes: limit });
    hamlet = await chat.login('hamlet@zulip.test');
  });

  afterAll(async () => {
    await chat.close();
  });

  async function storedKeys(): Promise<string[]> {
    const keys: string[] = [];
    for await (const object of chat.stores.uploads.list()) keys.push(object.key);
    return keys;
  }

  it('stores under {realm}/{shard}/{random}/{sanitized name} and records the attachment', async () => {
    const file = await hamlet.upload('My Résumé (final)!!.txt', 'cv', 'text/plain');
    expect(file.name).toBe('My-Résumé-final.txt');
    const key = decodeURIComponent(file.url.slice('/user_uploads/'.length));
    expect(key).toMatch(/^1\/[0-9a-f]{2}\/[A-Za-z0-9_-]{24}\/My-Résumé-final\.txt$/u);
    expect(await storedKeys()).toContain(key);
    const { body } = await hamlet.json<{ attachments: { id: number; size: number }[]; usedBytes: number }>(
      'GET',
      '/api/attachments',
    );
    expect(body.attachments.find((item) => item.id === file.id)?.size).toBe(2);
  });

  it('refuses a Content-Length over MAX_FILE_UPLOAD_SIZE before storing anything', async () => {
    const before = await storedKeys();
    const { status, body } = await hamlet.json<{ error: { code: string; message: string } }>(
      'POST',
      '/api/uploads?name=big.bin',
      { body: new Uint8Array(limit + 1) },
    );
    expect(status).toBe(413);
    expect(body.error.code).toBe('FileTooLarge');
    expect(body.error.message).toContain('64.0 KiB');
    expect(await storedKeys()).toEqual(before);
  });

  it('cuts off a streamed body without length at the limit, storing nothing', async () => {
    const before = await storedKeys();
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= limit * 4) {
          controller.close();
          return;
        }
        sent += 8192;
        controller.enqueue(new Uint8Array(8192));
      },
    });
    const response = await hamlet
      .request('POST', '/api/uploads?name=stream.bin', { body: stream })
      .catch(() => undefined);
    if (response !== undefined) {
      expect(response.status).toBe(413);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('FileTooLarge');
    }
    expect(await storedKeys()).toEqual(before);
  });

  it('refuses an upload past the realm quota with a clear message', async () => {
    chat.data.db.prepare('UPDATE realms SET quota_bytes = ? WHERE id = 1').run(chat.data.realmUsedBytes(1) + 1000);
    try {
      const { status, body } = await hamlet.json<{ error: { code: string; message: string } }>(
        'POST',
        '/api/uploads?name=q.bin',
        { body: new Uint8Array(2000) },
      );
      expect(status).toBe(413);
      expect(body.error.code).toBe('QuotaExceeded');
      expect(body.error.message).toMatch(/quota/u);
      expect((await hamlet.json('POST', '/api/uploads?name=ok.bin', { body: new Uint8Array(900) })).status).toBe(201);
    } finally {
      chat.data.db.prepare('UPDATE realms SET quota_bytes = ? WHERE id = 1').run(1024 ** 3);
    }
  });

  it('counts uploads still streaming against the quota', async () => {
    chat.data.db.prepare('UPDATE realms SET quota_bytes = ? WHERE id = 1').run(chat.data.realmUsedBytes(1) + 3000);
    const target = new URL('/api/uploads?name=slow.bin', chat.url);
    const slow = request(target, {
      method: 'POST',
      headers: {
        'content-length': '2000',
        cookie: [...hamlet.cookies].map(([name, value]) => `${name}=${value}`).join('; '),
        'x-csrf-token': hamlet.csrfToken ?? '',
      },
    });
    const answered = new Promise<number>((resolve, reject) => {
      slow.on('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      slow.on('error', reject);
    });
    try {
      slow.write(new Uint8Array(1000));
      // Wait until the server has reserved the first upload's bytes.
      while (chat.server.app.pendingUploads.reserved('realm:1') !== 2000)
        await new Promise((resolve) => setTimeout(resolve, 10));
      const second = await hamlet.json<{ error: { code: string } }>('POST', '/api/uploads?name=fast.bin', {
        body: new Uint8Array(2000),
      });
      expect(second.status).toBe(413);
      expect(second.body.error.code).toBe('QuotaExceeded');
      slow.end(new Uint8Array(1000));
      expect(await answered).toBe(201);
      expect(chat.server.app.pendingUploads.reserved('realm:1')).toBe(0);
    } finally {
      chat.data.db.prepare('UPDATE realms SET quota_bytes = ? WHERE id = 1').run(1024 ** 3);
    }
  });

  it('refuses state changes without the CSRF header, changing nothing', async () => {
    const before = await storedKeys();
    const response = await hamlet.json<{ error: { code: string } }>('POST', '/api/uploads?name=x.txt', {
      body: 'x',
      noCsrf: true,
    });
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('CsrfFailed');
    const channel = await hamlet.channelId('general');
    expect(
      (await hamlet.json('POST', `/api/channels/${channel}/messages`, { body: { content: 'hi' }, noCsrf: true }))
        .status,
    ).toBe(403);
    expect(await storedKeys()).toEqual(before);
  });

  it('refuses anonymous uploads', async () => {
    const anonymous = chat.anonymous();
    const session = await anonymous.json<{ csrfToken: string }>('GET', '/api/session');
    anonymous.csrfToken = session.body.csrfToken;
    expect((await anonymous.json('POST', '/api/uploads?name=x.txt', { body: 'x' })).status).toBe(401);
  });
});

describe('sessions', () => {
  let chat: TestChat;

  beforeAll(async () => {
    chat = await startTestChat();
  });

  afterAll(async () => {
    await chat.close();
  });

  it('logs in, reports the user, and logs out', async () => {
    const hamlet = await chat.login('hamlet@zulip.test');
    const me = await hamlet.json<{ user: { email: string } | null }>('GET', '/api/session');
    expect(me.body.user?.email).toBe('hamlet@zulip.test');
    expect((await hamlet.json('POST', '/api/logout')).status).toBe(200);
    expect((await hamlet.json<{ user: unknown }>('GET', '/api/session')).body.user).toBeNull();
    expect((await hamlet.json('GET', '/api/channels')).status).toBe(401);
  });

  it('ends a session after 14 days', async () => {
    const hamlet = await chat.login('hamlet@zulip.test');
    expect((await hamlet.json('GET', '/api/channels')).status).toBe(200);
    chat.advance(14 * 24 * 60 * 60 * 1000 + 1000);
    try {
      expect((await hamlet.json('GET', '/api/channels')).status).toBe(401);
    } finally {
      chat.advance(-(14 * 24 * 60 * 60 * 1000 + 1000));
    }
    // An expired session is gone for good, not revived when the clock is back.
    expect((await hamlet.json('GET', '/api/channels')).status).toBe(401);
  });

  it('refuses a wrong password and a login without the CSRF cookie echo', async () => {
    const client = chat.anonymous();
    client.csrfToken = (await client.json<{ csrfToken: string }>('GET', '/api/session')).body.csrfToken;
    const wrong = await client.json<{ error: { code: string } }>('POST', '/api/login', {
      body: { email: 'hamlet@zulip.test', password: 'nope' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('InvalidCredentials');
    const forged = await client.json('POST', '/api/login', {
      body: { email: 'hamlet@zulip.test', password: 'hamlet-stowage' },
      noCsrf: true,
    });
    expect(forged.status).toBe(403);
  });

  it('shows each user only the channels of their realm that they may see', async () => {
    const othello = await chat.login('othello@zulip.test');
    const iago = await chat.login('iago@zulip.test');
    const names = async (client: Client): Promise<string[]> =>
      (await client.json<{ channels: { name: string }[] }>('GET', '/api/channels')).body.channels.map(
        (channel) => channel.name,
      );
    expect(await names(othello)).toEqual(['design', 'general']);
    expect(await names(iago)).toEqual(['core team', 'design', 'general']);
    const lear = await chat.login('lear@lear.test');
    const coreTeam = await iago.channelId('core team');
    expect((await lear.json('GET', `/api/channels/${coreTeam}/messages`)).status).toBe(404);
    expect((await othello.json('GET', `/api/channels/${coreTeam}/messages`)).status).toBe(404);
  });
});

describe('the web UI folder', () => {
  it('serves its files, index.html for client routes, and nothing outside it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stowage-chat-web-'));
    const web = join(dir, 'web');
    await mkdir(web);
    await writeFile(join(web, 'index.html'), '<!doctype html><title>chat</title>');
    await writeFile(join(web, 'app.js'), 'console.log(1)');
    await writeFile(join(dir, 'secret.txt'), 'outside the web folder');
    const db = (await chooseSqliteDriver()).open(':memory:');
    ensureSchema(db);
    const server = await startChatServer({
      data: new ChatData(db),
      stores: localChatStores(join(dir, 'uploads'), 'web-test-secret-of-at-least-32-bytes!!'),
      maxFileUploadBytes: 1024,
      avatarSalt: 'salt',
      webRoot: web,
      logError: () => undefined,
    });
    try {
      const index = await fetch(`${server.url}/`);
      expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await index.text()).toContain('<title>chat</title>');
      const script = await fetch(`${server.url}/app.js`);
      expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(await script.text()).toBe('console.log(1)');
      expect(await (await fetch(`${server.url}/channels/general`)).text()).toContain('<title>chat</title>');
      for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/missing.css']) {
        const response = await fetch(`${server.url}${path}`);
        expect(response.status).toBe(404);
        expect(await response.text()).not.toContain('outside the web folder');
      }
      expect((await fetch(`${server.url}/api/nothing-here`)).status).toBe(404);
      expect((await fetch(`${server.url}/`, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.close();
      db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('reading a new small file for many readers at once', () => {
  it('reads the store once and answers everyone from that read', async () => {
    let gets = 0;
    const chat = await startTestChat({
      stores: (dir) => {
        const stores = localChatStores(join(dir, 'uploads'), 'count-secret-of-at-least-32-bytes-long!');
        const uploads = stores.uploads;
        const counting: ObjectStore = {
          name: uploads.name,
          put: (key, body, options) => uploads.put(key, body, options),
          get: (key, options) => {
            gets++;
            return uploads.get(key, options);
          },
          head: (key) => uploads.head(key),
          delete: (key) => uploads.delete(key),
          deleteMany: (keys) => uploads.deleteMany(keys),
          copy: (from, to) => uploads.copy(from, to),
          list: (options) => uploads.list(options),
          signedUrl: (key, options) => uploads.signedUrl(key, options),
          publicUrl: (key) => uploads.publicUrl(key),
        };
        return { ...stores, uploads: counting };
      },
    });
    try {
      const hamlet = await chat.login('hamlet@zulip.test');
      const content = 'x'.repeat(20_000);
      const file = await hamlet.upload('popular.txt', content, 'text/plain');
      gets = 0;
      const bodies = await Promise.all(
        Array.from({ length: 20 }, async () => (await hamlet.request('GET', file.url)).text()),
      );
      expect(bodies.every((body) => body === content)).toBe(true);
      expect(gets).toBe(1);
      // Once cached, ranges are cut from memory too.
      const part = await hamlet.request('GET', file.url, { headers: { range: 'bytes=5-9' } });
      expect(part.status).toBe(206);
      expect(await part.text()).toBe('xxxxx');
      expect(gets).toBe(1);
    } finally {
      await chat.close();
    }
  });
});
