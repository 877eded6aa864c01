import sharp from 'sharp';
import { StorageError } from '@stowage/core';
import type { ObjectStore } from '@stowage/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestChat } from '../test/chat-fixture.ts';
import type { Client, TestChat, UploadedAttachment } from '../test/chat-fixture.ts';
import { RawConnection, cookieOf, fileGet } from '../test/raw-http.ts';
import { localChatStores } from './open-chat-stores.ts';

const CONTENT = 'abcdefghijklmnopqrstuvwxyz0123456789\n';

describe('ranges, HEAD and If-Range', () => {
  let chat: TestChat;
  let hamlet: Client;

  beforeAll(async () => {
    chat = await startTestChat();
    hamlet = await chat.login('hamlet@zulip.test');
  });

  afterAll(async () => {
    await chat.close();
  });

  it('ignores a Range on HEAD, the same whether the file is in memory or not', async () => {
    const file = await hamlet.upload('head.txt', CONTENT, 'text/plain');
    const fromStore = await hamlet.request('HEAD', file.url, { headers: { range: 'bytes=0-3' } });
    expect(fromStore.status).toBe(200);
    expect(fromStore.headers.get('content-length')).toBe(String(CONTENT.length));
    expect(fromStore.headers.get('content-range')).toBeNull();
    await (await hamlet.request('GET', file.url)).text();
    const fromMemory = await hamlet.request('HEAD', file.url, { headers: { range: 'bytes=0-3' } });
    expect(fromMemory.status).toBe(200);
    expect(fromMemory.headers.get('content-length')).toBe(String(CONTENT.length));
    expect(fromMemory.headers.get('content-range')).toBeNull();
  });

  it('honours If-Range: the range while the validator matches, the whole file once it does not', async () => {
    const file = await hamlet.upload('if-range.txt', CONTENT, 'text/plain');
    for (let round = 0; round < 2; round++) {
      // Round 0 reads the store, round 1 the memory copy: one answer either way.
      const whole = await hamlet.request('GET', file.url);
      const etag = whole.headers.get('etag') ?? '';
      const lastModified = whole.headers.get('last-modified') ?? '';
      await whole.text();
      const stale = await hamlet.request('GET', file.url, {
        headers: { range: 'bytes=0-3', 'if-range': '"not-this-version"' },
      });
      expect(stale.status).toBe(200);
      expect(await stale.text()).toBe(CONTENT);
      const staleDate = await hamlet.request('GET', file.url, {
        headers: { range: 'bytes=0-3', 'if-range': 'Thu, 01 Jan 1970 00:00:00 GMT' },
      });
      expect(staleDate.status).toBe(200);
      expect(await staleDate.text()).toBe(CONTENT);
      const current = await hamlet.request('GET', file.url, {
        headers: { range: 'bytes=0-3', 'if-range': etag.startsWith('W/') ? lastModified : etag },
      });
      expect(current.status).toBe(206);
      expect(await current.text()).toBe('abcd');
    }
  });
});

describe('non-canonical file paths', () => {
  let chat: TestChat;
  let hamlet: Client;
  let file: UploadedAttachment;

  beforeAll(async () => {
    chat = await startTestChat();
    hamlet = await chat.login('hamlet@zulip.test');
    file = await hamlet.upload('canonical.txt', CONTENT, 'text/plain');
  });

  afterAll(async () => {
    await chat.close();
  });

  it('serves a file only at its canonical path: dot segments and backslashes are refused', async () => {
    const key = file.url.slice('/user_uploads/'.length);
    const [realm = '', ...rest] = key.split('/');
    const paths = [
      `/user_avatars/%2e%2e/user_uploads/${key}`,
      `/user_avatars/../user_uploads/${key}`,
      `/user_uploads/./${key}`,
      `/user_uploads/%2e/${key}`,
      `/user_uploads/${realm}/x/../${rest.join('/')}`,
      `/user_uploads/${realm}\\${rest.join('\\')}`,
      `/user_uploads/${realm}%5c${rest.join('%5c')}`,
    ];
    const raw = await RawConnection.open(chat.url);
    try {
      raw.send(fileGet(file.url, cookieOf(hamlet)));
      const [canonical] = await raw.read(['GET']);
      expect(canonical?.status).toBe(200);
      expect(canonical?.body.toString()).toBe(CONTENT);
    } finally {
      raw.close();
    }
    for (const path of paths) {
      // One connection each: a server may close after refusing a malformed target.
      const probe = await RawConnection.open(chat.url);
      try {
        probe.send(fileGet(path, cookieOf(hamlet)));
        const [answer] = await probe.read(['GET']);
        expect({ path, status: answer?.status }).toEqual({ path, status: answer?.status === 400 ? 400 : 404 });
        expect(answer?.body.toString()).not.toContain(CONTENT.trim());
      } finally {
        probe.close();
      }
    }
  });
});

describe('types that can run script', () => {
  let chat: TestChat;
  let hamlet: Client;

  beforeAll(async () => {
    chat = await startTestChat();
    hamlet = await chat.login('hamlet@zulip.test');
  });

  afterAll(async () => {
    await chat.close();
  });

  it('stores and serves HTML, SVG, XML and script as application/octet-stream, whatever the client claims', async () => {
    const cases: [string, string][] = [
      ['x.png', 'text/html'],
      ['page.html', 'text/html'],
      ['logo.svg', 'image/svg+xml'],
      ['doc.xhtml', 'application/xhtml+xml'],
      ['feed.xml', 'application/xml'],
      ['app.js', 'text/javascript'],
      ['page.html', 'application/octet-stream'],
    ];
    for (const [name, type] of cases) {
      const file = await hamlet.upload(name, '<script>alert(1)</script>', type);
      expect({ name, type, stored: file.contentType }).toEqual({ name, type, stored: 'application/octet-stream' });
      const served = await hamlet.request('GET', file.url);
      expect(served.headers.get('content-type')).toBe('application/octet-stream');
      expect(served.headers.get('content-disposition')).toMatch(/^attachment;/u);
      await served.text();
    }
  });

  it('bounds the stored type: an overlong or malformed one gives way to the name', async () => {
    const long = await hamlet.upload('notes.txt', 'text', `text/${'x'.repeat(300)}`);
    expect(long.contentType).toBe('text/plain');
    const malformed = await hamlet.upload('notes.txt', 'text', 'not a type');
    expect(malformed.contentType).toBe('text/plain');
    const withParameters = await hamlet.upload('notes.txt', 'text', 'text/plain; charset=utf-7');
    expect(withParameters.contentType).toBe('text/plain');
  });

  it('never hands an SVG to the resizer: no thumbnail for one named or typed as PNG, and no avatar made of one', async () => {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="4000" height="4000"><rect width="4000" height="4000" fill="red"/></svg>`;
    const disguised = await hamlet.upload('picture.png', svg, 'image/png');
    expect(disguised.thumbnailUrl).toBeNull();
    const avatar = await hamlet.json<{ error: { code: string } }>('POST', '/api/users/me/avatar', {
      body: svg,
      headers: { 'content-type': 'image/png' },
    });
    expect(avatar.status).toBe(400);
    expect(avatar.body.error.code).toBe('InvalidImage');
    // A real raster image still gets its thumbnail.
    const png = new Uint8Array(
      await sharp({ create: { width: 50, height: 40, channels: 3, background: '#336699' } })
        .png()
        .toBuffer(),
    );
    expect((await hamlet.upload('real.png', png, 'image/png')).thumbnailUrl).not.toBeNull();
  });
});

/** The local stores, with puts that fail as a full or unreadable disk makes them fail. */
function failingPuts(errno: string): (dir: string) => ReturnType<typeof localChatStores> {
  return (dir) => {
    const stores = localChatStores(`${dir}/uploads`, 'failing-secret-of-at-least-32-bytes-long!');
    const uploads: ObjectStore = Object.create(stores.uploads) as ObjectStore;
    Object.defineProperty(uploads, 'put', {
      value: (key: string) =>
        Promise.reject(
          new StorageError(
            errno === 'ENOSPC' ? 'Unavailable' : 'AccessDenied',
            `local store cannot write "${key}" (${errno})`,
            {
              key,
              cause: Object.assign(new Error(errno), { code: errno }),
            },
          ),
        ),
    });
    return { ...stores, uploads };
  };
}

describe.each([
  ['ENOSPC', 507, 'StoreFull'],
  ['EACCES', 503, 'StoreUnavailable'],
])('a store failing with %s', (errno, status, code) => {
  it(`answers ${status} ${code} and logs the cause`, async () => {
    const logged: unknown[] = [];
    const chat = await startTestChat({ stores: failingPuts(errno), logError: (error) => logged.push(error) });
    try {
      const hamlet = await chat.login('hamlet@zulip.test');
      const answer = await hamlet.json<{ error: { code: string; message: string } }>(
        'POST',
        '/api/uploads?name=a.txt',
        { body: 'abc' },
      );
      expect(answer.status).toBe(status);
      expect(answer.body.error.code).toBe(code);
      expect(logged.some((error) => error instanceof StorageError && error.message.includes(errno))).toBe(true);
    } finally {
      await chat.close();
    }
  });
});
