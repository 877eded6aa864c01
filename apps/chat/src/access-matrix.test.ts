import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeS3ChatStores, startTestChat } from '../test/chat-fixture.ts';
import type { Client, TestChat, TestChatOptions, UploadedAttachment } from '../test/chat-fixture.ts';

const PRIVATE_BYTES = 'core team only: the secret plan\n';
const PUBLIC_BYTES = 'general: the lunch menu\n';
const UNLINKED_BYTES = 'not posted anywhere yet\n';

interface Denial {
  readonly status: number;
  readonly body: string;
  readonly headers: Headers;
}

async function fetchDenial(client: Client, path: string): Promise<Denial> {
  const response = await client.request('GET', path);
  return { status: response.status, body: await response.text(), headers: response.headers };
}

/** A refused request must say nothing about the file: no bytes, no size, no type, no ETag. */
function expectNoLeak(denial: Denial, secret: string): void {
  expect(denial.body).not.toContain(secret.trim());
  expect(denial.headers.get('etag')).toBeNull();
  expect(denial.headers.get('content-disposition')).toBeNull();
  expect(denial.headers.get('content-type')).toBe('application/json; charset=utf-8');
}

const BACKENDS: [string, TestChatOptions][] = [
  ['local store', {}],
  ['mocked S3 through withCache', { stores: fakeS3ChatStores() }],
];

describe.each(BACKENDS)('who may read /user_uploads (%s)', (backend, options) => {
  const local = backend === 'local store';
  let chat: TestChat;
  let hamlet: Client;
  let iago: Client;
  let othello: Client;
  let lear: Client;
  let privateFile: UploadedAttachment;
  let publicFile: UploadedAttachment;
  let unlinkedFile: UploadedAttachment;
  let missing: Denial;

  beforeAll(async () => {
    chat = await startTestChat(options);
    [hamlet, iago, othello, lear] = await Promise.all([
      chat.login('hamlet@zulip.test'),
      chat.login('iago@zulip.test'),
      chat.login('othello@zulip.test'),
      chat.login('lear@lear.test'),
    ]);
    privateFile = await hamlet.upload('plan.txt', PRIVATE_BYTES, 'text/plain');
    await hamlet.post(await hamlet.channelId('core team'), `see [plan](${privateFile.url})`);
    publicFile = await othello.upload('menu.txt', PUBLIC_BYTES, 'text/plain');
    await othello.post(await othello.channelId('general'), `lunch: ${publicFile.url}`);
    unlinkedFile = await othello.upload('draft.txt', UNLINKED_BYTES, 'text/plain');
    // What a request for a file that never existed looks like: every refusal below must look the same.
    missing = await fetchDenial(
      othello,
      privateFile.url.replace(/\/[^/]+\/plan\.txt$/u, '/AAAAAAAAAAAAAAAAAAAAAAAA/plan.txt'),
    );
  });

  afterAll(async () => {
    await chat.close();
  });

  it('serves the owner', async () => {
    const response = await hamlet.request('GET', privateFile.url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(PRIVATE_BYTES);
  });

  it('serves a subscriber of the private channel the file was posted in', async () => {
    const response = await iago.request('GET', privateFile.url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(PRIVATE_BYTES);
  });

  it('serves a same-realm user who can see the public message', async () => {
    for (const client of [iago, hamlet]) {
      const response = await client.request('GET', publicFile.url);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(PUBLIC_BYTES);
    }
  });

  it('refuses a non-subscriber of the private channel exactly like a missing file', async () => {
    expect(missing.status).toBe(404);
    const denial = await fetchDenial(othello, privateFile.url);
    expect(denial.status).toBe(missing.status);
    expect(denial.body).toBe(missing.body);
    expectNoLeak(denial, PRIVATE_BYTES);
  });

  it('refuses another realm, for public and private files alike', async () => {
    for (const [file, bytes] of [
      [privateFile, PRIVATE_BYTES],
      [publicFile, PUBLIC_BYTES],
    ] as const) {
      const denial = await fetchDenial(lear, file.url);
      expect(denial.status).toBe(404);
      expect(denial.body).toBe(missing.body);
      expectNoLeak(denial, bytes);
    }
  });

  it('refuses everyone but the owner a file no message links', async () => {
    expect((await othello.request('GET', unlinkedFile.url)).status).toBe(200);
    for (const client of [hamlet, iago, lear]) {
      const denial = await fetchDenial(client, unlinkedFile.url);
      expect(denial.status).toBe(404);
      expect(denial.body).toBe(missing.body);
      expectNoLeak(denial, UNLINKED_BYTES);
    }
  });

  it('asks anonymous users to log in, for existing and missing files alike', async () => {
    const anonymous = chat.anonymous();
    const existing = await fetchDenial(anonymous, privateFile.url);
    const absent = await fetchDenial(anonymous, `${privateFile.url}-absent`);
    expect(existing.status).toBe(401);
    expect(existing.body).toBe(absent.body);
    expectNoLeak(existing, PRIVATE_BYTES);
    const browser = await anonymous.request('GET', privateFile.url, { headers: { accept: 'text/html' } });
    expect(browser.status).toBe(302);
    expect(browser.headers.get('location')).toBe(`/?next=${encodeURIComponent(privateFile.url)}`);
  });

  it('shows a browser a page in words, the same for a forbidden, a missing and a deleted file', async () => {
    const html = { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } };
    const forbidden = await othello.request('GET', privateFile.url, html);
    const absent = await othello.request('GET', `${privateFile.url}-absent`, html);
    expect(forbidden.status).toBe(404);
    expect(forbidden.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(forbidden.headers.get('content-security-policy')).toContain("default-src 'none'");
    const page = await forbidden.text();
    expect(page).toContain('<h1>File not available</h1>');
    expect(page).toContain('<a href="/">Back to the chat</a>');
    expect(page).not.toContain(PRIVATE_BYTES.trim());
    expect(page).not.toContain('plan.txt');
    expect(await absent.text()).toBe(page);
    // The API answer is unchanged: JSON.
    expect((await othello.request('GET', privateFile.url)).headers.get('content-type')).toBe(
      'application/json; charset=utf-8',
    );
  });

  it('refuses HEAD the same way as GET', async () => {
    expect((await othello.request('HEAD', privateFile.url)).status).toBe(404);
    expect((await lear.request('HEAD', publicFile.url)).status).toBe(404);
    const owner = await hamlet.request('HEAD', privateFile.url);
    expect(owner.status).toBe(200);
    expect(owner.headers.get('content-length')).toBe(String(PRIVATE_BYTES.length));
  });

  it('does not let a link in a message grant access to a file its sender cannot read', async () => {
    // Othello guesses the URL of the private file and posts it in a public channel.
    const message = await othello.post(await othello.channelId('general'), `look: ${privateFile.url}`);
    expect(message.attachments).toEqual([]);
    expect((await othello.request('GET', privateFile.url)).status).toBe(404);
  });

  describe('direct messages', () => {
    let prospero: Client;
    let cordelia: Client;

    beforeAll(async () => {
      [prospero, cordelia] = await Promise.all([chat.login('prospero@zulip.test'), chat.login('cordelia@lear.test')]);
    });

    async function startDirect(client: Client, userIds: number[]): Promise<{ status: number; id: number }> {
      const { status, body } = await client.json<{ id: number }>('POST', '/api/direct-messages', { body: { userIds } });
      return { status, id: body.id };
    }

    async function userId(email: string): Promise<number> {
      const { body } = await hamlet.json<{ users: { id: number; email: string }[] }>('GET', '/api/users');
      const found = body.users.find((user) => user.email === email);
      if (found === undefined) throw new Error(`no user ${email}`);
      return found.id;
    }

    it('a file in a one-to-one direct message is readable by its recipient and sender only', async () => {
      const secret = 'for Iago only\n';
      const file = await hamlet.upload('letter.txt', secret, 'text/plain');
      const { status, id } = await startDirect(hamlet, [await userId('iago@zulip.test')]);
      expect(status).toBe(200);
      const message = await hamlet.post(id, `read this ${file.url}`);
      expect(message.attachments.map((attachment) => attachment.id)).toEqual([file.id]);
      for (const reader of [hamlet, iago]) {
        const response = await reader.request('GET', file.url);
        expect(response.status).toBe(200);
        expect(await response.text()).toBe(secret);
      }
      for (const outsider of [othello, prospero, lear]) {
        const denial = await fetchDenial(outsider, file.url);
        expect(denial.status).toBe(404);
        expect(denial.body).toBe(missing.body);
        expectNoLeak(denial, secret);
      }
      // Outsiders can neither read the conversation nor post in it.
      expect((await othello.request('GET', `/api/channels/${id}/messages`)).status).toBe(404);
      expect((await othello.request('POST', `/api/channels/${id}/messages`, { body: { content: 'hi' } })).status).toBe(
        404,
      );
    });

    it('a file in a group direct message is readable by every member, nobody else', async () => {
      const secret = 'the group plan\n';
      const file = await othello.upload('group.txt', secret, 'text/plain');
      const { id } = await startDirect(othello, [await userId('hamlet@zulip.test'), await userId('iago@zulip.test')]);
      await othello.post(id, file.url);
      for (const reader of [othello, hamlet, iago]) expect((await reader.request('GET', file.url)).status).toBe(200);
      for (const outsider of [prospero, lear, cordelia]) {
        const denial = await fetchDenial(outsider, file.url);
        expect(denial.status).toBe(404);
        expect(denial.body).toBe(missing.body);
        expectNoLeak(denial, secret);
      }
      // The same people, in any order and from any member, find the same conversation.
      expect(
        (await startDirect(iago, [await userId('othello@zulip.test'), await userId('hamlet@zulip.test')])).id,
      ).toBe(id);
      const { body } = await iago.json<{ conversations: { id: number; members: { email: string }[] }[] }>(
        'GET',
        '/api/direct-messages',
      );
      const listed = body.conversations.find((conversation) => conversation.id === id);
      expect(listed?.members.map((member) => member.email).sort()).toEqual([
        'hamlet@zulip.test',
        'iago@zulip.test',
        'othello@zulip.test',
      ]);
      const { body: theirs } = await prospero.json<{ conversations: { id: number }[] }>('GET', '/api/direct-messages');
      expect(theirs.conversations.map((conversation) => conversation.id)).not.toContain(id);
    });

    it('a direct message is not a channel: not listed, and its file goes with a deleted message', async () => {
      const file = await iago.upload('brief.txt', 'short lived\n', 'text/plain');
      const { id } = await startDirect(iago, [await userId('prospero@zulip.test')]);
      const message = await iago.post(id, file.url);
      expect((await prospero.request('GET', file.url)).status).toBe(200);
      const { body } = await prospero.json<{ channels: { id: number }[] }>('GET', '/api/channels');
      expect(body.channels.map((channel) => channel.id)).not.toContain(id);
      expect((await iago.request('DELETE', `/api/messages/${message.id}`)).status).toBe(200);
      expect((await prospero.request('GET', file.url)).status).toBe(404);
      expect((await iago.request('GET', file.url)).status).toBe(200);
    });

    it('refuses a recipient of another organization or a link the sender cannot read', async () => {
      const refused = await hamlet.json<{ error: { message: string } }>('POST', '/api/direct-messages', {
        body: { userIds: [(await userId('hamlet@zulip.test')) + 1000] },
      });
      expect(refused.status).toBe(400);
      const { body: lears } = await lear.json<{ users: { id: number }[] }>('GET', '/api/users');
      expect((await startDirect(hamlet, [lears.users[0]?.id ?? 0])).status).toBe(400);
      // Othello cannot read the core team's file, so a direct message of its link grants Prospero nothing.
      const { id } = await startDirect(othello, [await userId('prospero@zulip.test')]);
      const message = await othello.post(id, privateFile.url);
      expect(message.attachments).toEqual([]);
      expect((await prospero.request('GET', privateFile.url)).status).toBe(404);
    });
  });

  describe('signed links', () => {
    async function signedPath(client: Client, file: UploadedAttachment): Promise<string> {
      const { status, body } = await client.json<{ url: string; expiresIn: number }>(
        'GET',
        `/api/signed-url?path=${encodeURIComponent(file.url)}`,
      );
      expect(status).toBe(200);
      expect(body.expiresIn).toBe(60);
      return body.url;
    }

    if (!local) {
      it('gives a readable user a 60 s presigned bucket URL, and the app ignores forged query tokens', async () => {
        const link = new URL(await signedPath(iago, privateFile));
        expect(link.pathname).toContain(new URL(privateFile.url, chat.url).pathname.slice('/user_uploads/'.length));
        expect(link.searchParams.get('X-Amz-Expires')).toBe('60');
        expect(link.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/u);
        const forged = await fetchDenial(chat.anonymous(), `${privateFile.url}?expires=9999999999&signature=AAAA`);
        expect(forged.status).toBe(401);
        expectNoLeak(forged, PRIVATE_BYTES);
      });
    }

    if (local) {
      it('serves a valid link without any cookie', async () => {
        const link = await signedPath(iago, privateFile);
        const response = await chat.anonymous().request('GET', link);
        expect(response.status).toBe(200);
        expect(await response.text()).toBe(PRIVATE_BYTES);
      });

      it('gives no link to a user who may not read the file', async () => {
        const { status } = await othello.json('GET', `/api/signed-url?path=${encodeURIComponent(privateFile.url)}`);
        expect(status).toBe(404);
        expect((await lear.json('GET', `/api/signed-url?path=${encodeURIComponent(publicFile.url)}`)).status).toBe(404);
      });

      it('refuses a tampered signature, a swapped key and a changed expiry', async () => {
        const link = await signedPath(hamlet, privateFile);
        const url = new URL(link, chat.url);
        const signature = url.searchParams.get('signature') ?? '';
        const tampered = new URL(url);
        tampered.searchParams.set('signature', `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`);
        const swapped = new URL(url);
        swapped.pathname = new URL(publicFile.url, chat.url).pathname;
        const extended = new URL(url);
        extended.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
        const anonymous = chat.anonymous();
        for (const bad of [tampered, swapped, extended]) {
          const denial = await fetchDenial(anonymous, `${bad.pathname}${bad.search}`);
          expect(denial.status).toBe(403);
          expectNoLeak(denial, PRIVATE_BYTES);
          expectNoLeak(denial, PUBLIC_BYTES);
        }
      });

      it('refuses a link once its 60 seconds are over', async () => {
        const link = await signedPath(hamlet, privateFile);
        expect((await chat.anonymous().request('GET', link)).status).toBe(200);
        chat.advance(61_000);
        try {
          const denial = await fetchDenial(chat.anonymous(), link);
          expect(denial.status).toBe(403);
          expectNoLeak(denial, PRIVATE_BYTES);
        } finally {
          chat.advance(-61_000);
        }
      });
    }
  });

  describe('after deletions', () => {
    it('a deleted message no longer grants access; the owner keeps it', async () => {
      const file = await hamlet.upload('once.txt', 'visible through one message\n', 'text/plain');
      const message = await hamlet.post(await hamlet.channelId('general'), `here ${file.url}`);
      expect((await othello.request('GET', file.url)).status).toBe(200);
      expect((await othello.request('DELETE', `/api/messages/${message.id}`)).status).toBe(403);
      expect((await hamlet.request('DELETE', `/api/messages/${message.id}`)).status).toBe(200);
      expect((await othello.request('GET', file.url)).status).toBe(404);
      expect((await hamlet.request('GET', file.url)).status).toBe(200);
    });

    it('a deleted attachment answers 404 to everyone, even through a signed link made before', async () => {
      const file = await hamlet.upload('gone.txt', 'soon gone\n', 'text/plain');
      await hamlet.post(await hamlet.channelId('general'), file.url);
      expect((await iago.request('GET', file.url)).status).toBe(200);
      const { body } = await hamlet.json<{ url: string }>(
        'GET',
        `/api/signed-url?path=${encodeURIComponent(file.url)}`,
      );
      expect((await iago.request('DELETE', `/api/attachments/${file.id}`)).status).toBe(404);
      expect((await hamlet.request('DELETE', `/api/attachments/${file.id}`)).status).toBe(200);
      for (const client of [hamlet, iago]) expect((await client.request('GET', file.url)).status).toBe(404);
      const general = await iago.channelId('general');
      const { body: feed } = await iago.json<{ messages: { content: string; attachments: unknown[] }[] }>(
        'GET',
        `/api/channels/${general}/messages`,
      );
      const linking = feed.messages.find((item) => item.content === file.url);
      expect(linking?.attachments).toEqual([]);
      if (local) expect((await chat.anonymous().request('GET', body.url)).status).toBe(404);
      const stored = new URL(file.url, chat.url).pathname.slice('/user_uploads/'.length);
      expect(await chat.stores.uploads.head(decodeURIComponent(stored))).toBeUndefined();
    });
  });
});

describe('S3 mode with redirects to presigned URLs', () => {
  let chat: TestChat;

  beforeAll(async () => {
    chat = await startTestChat({ stores: fakeS3ChatStores(true) });
  });

  afterAll(async () => {
    await chat.close();
  });

  it('redirects readers to a 60 s presigned URL and refuses everyone else without one', async () => {
    const [hamlet, othello, lear] = await Promise.all([
      chat.login('hamlet@zulip.test'),
      chat.login('othello@zulip.test'),
      chat.login('lear@lear.test'),
    ]);
    const file = await hamlet.upload('report.pdf', '%PDF-1.4 not really', 'application/pdf');
    await hamlet.post(await hamlet.channelId('general'), file.url);
    for (const reader of [hamlet, othello]) {
      const response = await reader.request('GET', file.url);
      expect(response.status).toBe(302);
      const location = new URL(response.headers.get('location') ?? '');
      expect(location.searchParams.get('X-Amz-Expires')).toBe('60');
      expect(location.searchParams.get('response-content-disposition')).toMatch(/^inline; filename="report\.pdf"/u);
    }
    const refused = await lear.request('GET', file.url);
    expect(refused.status).toBe(404);
    expect(refused.headers.get('location')).toBeNull();
    expect((await chat.anonymous().request('GET', file.url)).status).toBe(401);
  });

  it('gives avatars the public bucket URL', async () => {
    const iago = await chat.login('iago@zulip.test');
    const sharp = (await import('sharp')).default;
    const png = new Uint8Array(
      await sharp({ create: { width: 20, height: 20, channels: 3, background: '#336699' } })
        .png()
        .toBuffer(),
    );
    const { body } = await iago.json<{ avatarUrl: string }>('POST', '/api/users/me/avatar', { body: png });
    expect(body.avatarUrl).toMatch(/^https:\/\/chat-avatars\.s3\.test\/1\/[0-9a-f]{40}\.png$/u);
    const viaApp = await chat
      .anonymous()
      .request('GET', `/user_avatars/${body.avatarUrl.slice('https://chat-avatars.s3.test/'.length)}`);
    expect(viaApp.status).toBe(302);
    expect(viaApp.headers.get('location')).toBe(body.avatarUrl);
  });
});
