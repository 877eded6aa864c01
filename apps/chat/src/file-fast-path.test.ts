import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeS3ChatStores, startTestChat } from '../test/chat-fixture.ts';
import type { Client, TestChat, UploadedAttachment } from '../test/chat-fixture.ts';
import { RawConnection, cookieOf, fileGet } from '../test/raw-http.ts';
import { parseFileRequest } from './file-fast-path.ts';

const FILE_PATH = '/user_uploads/2/ab/cd/notes.txt';

describe('parseFileRequest', () => {
  const head = (...lines: string[]): string => lines.join('\r\n');

  it('reads a plain file GET or HEAD and the headers that shape its answer', () => {
    expect(parseFileRequest(head(`GET ${FILE_PATH}?download=1 HTTP/1.1`, 'Host: chat', 'Cookie:  a=1; b=2 \t', 'ACCEPT: */*', 'range: bytes=0-1', 'If-None-Match: "x"', 'User-Agent: t')))
      .toEqual({ method: 'GET', target: `${FILE_PATH}?download=1`, cookie: 'a=1; b=2', accept: '*/*', range: 'bytes=0-1', 'if-none-match': '"x"' });
    expect(parseFileRequest(head(`HEAD /user_avatars/1/a.png HTTP/1.1`, 'host: chat', 'Connection: Keep-Alive')))
      .toEqual({ method: 'HEAD', target: '/user_avatars/1/a.png', cookie: undefined, accept: undefined, range: undefined, 'if-none-match': undefined });
  });

  it.each([
    ['another method', head(`POST ${FILE_PATH} HTTP/1.1`, 'Host: chat')],
    ['another route', head('GET /api/session HTTP/1.1', 'Host: chat')],
    ['HTTP/1.0', head(`GET ${FILE_PATH} HTTP/1.0`, 'Host: chat')],
    ['a space in the target', head(`GET ${FILE_PATH} x HTTP/1.1`, 'Host: chat')],
    ['a non-ASCII target', head(`GET /user_uploads/\u00e9 HTTP/1.1`, 'Host: chat')],
    ['no Host', head(`GET ${FILE_PATH} HTTP/1.1`)],
    ['two Hosts', head(`GET ${FILE_PATH} HTTP/1.1`, 'Host: chat', 'Host: other')],
    ['a Content-Length', head(`GET ${FILE_PATH} HTTP/1.1`, 'Host: chat', 'Content-Length: 0')],
    ['a Transfer-Encoding', head(`GET ${FILE_PATH} HTTP/1.1`, 'Host: chat', 'Transfer-Encoding: chunked')],
    ['Expect', head(`GET ${FILE_PATH} HTTP/1.1`, 'Host: chat', 'Expect: 100-continue')],
    ['Upgrade', head(`GET ${FILE_PATH} HTTP/1.1`, 'Host: chat', 'Connection: Upgrade', 'Upgrade: websocket')],
    ['Connection: close', head(`GET ${FILE_PATH} HTTP/1.1`, 'Host: chat', 'Connection: close')],
    ['two Cookie headers', head(`GET ${FILE_PATH} HTTP/1.1`, 'Host: chat', 'Cookie: a=1', 'Cookie: b=2')],
    ['two Range headers', head(`GET ${FILE_PATH} HTTP/1.1`, 'Host: chat', 'Range: bytes=0-1', 'Range: bytes=2-3')],
    ['a folded line', head(`GET ${FILE_PATH} HTTP/1.1`, 'Host: chat', 'Cookie: a=1', ' b=2')],
    ['a bare LF', `GET ${FILE_PATH} HTTP/1.1\nHost: chat`],
    ['a bare CR inside a value', head(`GET ${FILE_PATH} HTTP/1.1`, 'Host: chat', 'Cookie: a=1\rX: y')],
    ['a control character in a value', head(`GET ${FILE_PATH} HTTP/1.1`, 'Host: chat', 'Cookie: a=\u0001')],
    ['a NUL in the request line', head(`GET ${FILE_PATH}\u0000 HTTP/1.1`, 'Host: chat')],
    ['a space before the colon', head(`GET ${FILE_PATH} HTTP/1.1`, 'Host : chat')],
    ['a line without a colon', head(`GET ${FILE_PATH} HTTP/1.1`, 'Host: chat', 'nonsense')],
    ['an empty header name', head(`GET ${FILE_PATH} HTTP/1.1`, 'Host: chat', ': x')],
  ])('leaves to node:http a request with %s', (_what, text) => {
    expect(parseFileRequest(text)).toBeUndefined();
  });
});

describe('the file fast path on a running chat server', () => {
  let chat: TestChat;
  let hamlet: Client;
  let hamletCookie: string;
  let text: UploadedAttachment;
  let large: UploadedAttachment;
  const content = 'The fast path answers this file from memory.\n';
  const largeBytes = new Uint8Array(64 * 1024).map((_, index) => (index * 7) % 251);

  beforeAll(async () => {
    chat = await startTestChat();
    hamlet = await chat.login('hamlet@zulip.test');
    hamletCookie = cookieOf(hamlet);
    text = await hamlet.upload('notes.txt', content, 'text/plain');
    large = await hamlet.upload('large.bin', largeBytes);
  });

  afterAll(async () => {
    await chat.close();
  });

  const counts = (): { answered: number; handedOff: number } => ({
    answered: chat.server.fileFastPath.answered, handedOff: chat.server.fileFastPath.handedOff,
  });

  it('answers a file in memory with the very bytes node:http sends for it, Date aside', async () => {
    const first = await RawConnection.open(chat.url);
    const before = counts();
    // Not in memory yet: node:http reads it from the store and keeps it.
    first.send(fileGet(text.url, hamletCookie));
    const [fromNodeHttp] = await first.read(['GET']);
    expect(counts()).toEqual({ answered: before.answered, handedOff: before.handedOff + 1 });
    const second = await RawConnection.open(chat.url);
    second.send(fileGet(text.url, hamletCookie));
    const [fromFastPath] = await second.read(['GET']);
    expect(counts()).toEqual({ answered: before.answered + 1, handedOff: before.handedOff + 1 });
    const withoutDate = (head: string): string => head.replace(/\r\nDate: [^\r]+/u, '');
    expect(fromFastPath?.status).toBe(200);
    expect(withoutDate(fromFastPath?.head ?? '')).toBe(withoutDate(fromNodeHttp?.head ?? 'missing'));
    expect(fromFastPath?.headers.get('date')).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/u);
    expect(fromFastPath?.body.toString()).toBe(content);
    first.close();
    second.close();
  });

  it('answers pipelined HEAD, range and conditional requests in order, then hands a body-carrying request to node:http', async () => {
    const connection = await RawConnection.open(chat.url);
    connection.send(fileGet(text.url, hamletCookie));
    const [warm] = await connection.read(['GET']);
    const etag = warm?.headers.get('etag') ?? '';
    const before = counts();
    const upload = 'uploaded on a connection the fast path handed over';
    connection.send([
      fileGet(text.url, hamletCookie),
      fileGet(text.url, hamletCookie).replace('GET', 'HEAD'),
      fileGet(text.url, hamletCookie, 'Range: bytes=4-7'),
      fileGet(text.url, hamletCookie, `If-None-Match: ${etag}`),
      [
        'POST /api/uploads?name=pipelined.txt HTTP/1.1', 'Host: 127.0.0.1', `Cookie: ${hamletCookie}`, `X-CSRF-Token: ${hamlet.csrfToken ?? ''}`,
        'Content-Type: text/plain', `Content-Length: ${upload.length}`, '', upload,
      ].join('\r\n'),
      fileGet(text.url, hamletCookie, 'Range: bytes=0-2'),
    ].join(''));
    const [full, head, range, notModified, uploaded, afterHandOff] = await connection.read(['GET', 'HEAD', 'GET', 'GET', 'POST', 'GET']);
    expect(full?.status).toBe(200);
    expect(full?.body.toString()).toBe(content);
    expect(head?.status).toBe(200);
    expect(head?.headers.get('content-length')).toBe(String(content.length));
    expect(head?.body.byteLength).toBe(0);
    expect(range?.status).toBe(206);
    expect(range?.headers.get('content-range')).toBe(`bytes 4-7/${content.length}`);
    expect(range?.body.toString()).toBe(content.slice(4, 8));
    expect(notModified?.status).toBe(304);
    expect(uploaded?.status).toBe(201);
    expect(JSON.parse(uploaded?.body.toString() ?? '{}')).toMatchObject({ name: 'pipelined.txt', size: upload.length });
    expect(afterHandOff?.status).toBe(206);
    expect(afterHandOff?.body.toString()).toBe(content.slice(0, 3));
    expect(counts()).toEqual({ answered: before.answered + 4, handedOff: before.handedOff + 1 });
    connection.close();
  });

  it('answers a public avatar without a session, cached for a year', async () => {
    const png = new Uint8Array(await sharp({ create: { width: 120, height: 120, channels: 3, background: '#205080' } }).png().toBuffer());
    const { status, body } = await hamlet.json<{ avatarUrl: string }>('POST', '/api/users/me/avatar', { body: png });
    expect(status).toBe(200);
    const viaNodeHttp = await fetch(`${chat.url}${body.avatarUrl}`);
    const expected = Buffer.from(await viaNodeHttp.arrayBuffer());
    const before = counts();
    const connection = await RawConnection.open(chat.url);
    connection.send(`GET ${body.avatarUrl} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    const [avatar] = await connection.read(['GET']);
    expect(avatar?.status).toBe(200);
    expect(avatar?.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(Buffer.compare(avatar?.body ?? Buffer.alloc(0), expected)).toBe(0);
    expect(counts()).toEqual({ answered: before.answered + 1, handedOff: before.handedOff });
    connection.close();
  });

  it('reads a request that arrives a byte at a time', async () => {
    await hamlet.request('GET', text.url);
    const connection = await RawConnection.open(chat.url);
    const before = counts();
    for (const byte of Buffer.from(fileGet(text.url, hamletCookie))) {
      connection.send(Buffer.from([byte]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const [response] = await connection.read(['GET']);
    expect(response?.body.toString()).toBe(content);
    expect(counts()).toEqual({ answered: before.answered + 1, handedOff: before.handedOff });
    connection.close();
  });

  it('leaves refusals to node:http: anonymous gets 401, another realm 404, as before', async () => {
    await hamlet.request('GET', text.url);
    const before = counts();
    const anonymous = await RawConnection.open(chat.url);
    anonymous.send(`GET ${text.url} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    const [unauthenticated] = await anonymous.read(['GET']);
    expect(unauthenticated?.status).toBe(401);
    expect(unauthenticated?.body.toString()).not.toContain(content);
    const otherRealm = await chat.login('cordelia@lear.test');
    const stranger = await RawConnection.open(chat.url);
    stranger.send(fileGet(text.url, cookieOf(otherRealm)));
    const [forbidden] = await stranger.read(['GET']);
    expect(forbidden?.status).toBe(404);
    expect(forbidden?.body.toString()).not.toContain(content);
    expect(counts()).toEqual({ answered: before.answered, handedOff: before.handedOff + 2 });
    anonymous.close();
    stranger.close();
  });

  it.each([
    ['Content-Length', (next: string) => `Content-Length: ${next.length}\r\n\r\n${next}`],
    ['Transfer-Encoding', (next: string) => `Transfer-Encoding: chunked\r\n\r\n${next.length.toString(16)}\r\n${next}\r\n0\r\n\r\n`],
  ])('never answers a request with a body (%s): node:http reads what follows as that body', async (_header, withBody) => {
    await hamlet.request('GET', text.url);
    const before = counts();
    const connection = await RawConnection.open(chat.url);
    const smuggled = fileGet(text.url, hamletCookie);
    connection.send(`${fileGet(text.url, hamletCookie).slice(0, -2)}${withBody(smuggled)}`);
    const [response] = await connection.read(['GET']);
    expect(response?.status).toBe(200);
    // The smuggled request was body bytes: nothing else comes back.
    await new Promise((resolve) => setTimeout(resolve, 100));
    connection.send(fileGet('/user_uploads/none/such', hamletCookie));
    const [next] = await connection.read(['GET']);
    expect(next?.status).toBe(404);
    expect(counts()).toEqual({ answered: before.answered, handedOff: before.handedOff + 1 });
    connection.close();
  });

  it('leaves a head larger than node:http accepts to node:http (431)', async () => {
    const before = counts();
    const connection = await RawConnection.open(chat.url);
    connection.send(fileGet(text.url, `${hamletCookie}; filler=${'x'.repeat(20_000)}`));
    const [response] = await connection.read(['GET']);
    expect(response?.status).toBe(431);
    expect(counts()).toEqual({ answered: before.answered, handedOff: before.handedOff + 1 });
    connection.close();
  });

  it('stops answering while the client does not read, and answers everything once it does', async () => {
    await hamlet.request('GET', large.url);
    const requests = 400;
    const connection = await RawConnection.open(chat.url);
    connection.socket.pause();
    const before = counts();
    connection.send(fileGet(large.url, hamletCookie).repeat(requests));
    await new Promise((resolve) => setTimeout(resolve, 300));
    // 400 answers are 26 MB: far more than the socket buffers hold, so the server must have stopped.
    expect(counts().answered - before.answered).toBeLessThan(requests);
    connection.socket.resume();
    const responses = await connection.read(Array.from({ length: requests }, () => 'GET'));
    expect(responses.every((response) => response.status === 200 && Buffer.compare(response.body, largeBytes) === 0)).toBe(true);
    expect(counts()).toEqual({ answered: before.answered + requests, handedOff: before.handedOff });
    connection.close();
  });

  it('leaves a failure in the checks to node:http, which answers 500, and goes on serving', async () => {
    await hamlet.request('GET', text.url);
    const app = chat.server.app;
    const readableUpload = app.readableUpload.bind(app);
    app.readableUpload = () => {
      throw new Error('the database is gone');
    };
    const before = counts();
    const connection = await RawConnection.open(chat.url);
    try {
      connection.send(fileGet(text.url, hamletCookie));
      const [failed] = await connection.read(['GET']);
      expect(failed?.status).toBe(500);
    } finally {
      app.readableUpload = readableUpload;
    }
    expect(counts()).toEqual({ answered: before.answered, handedOff: before.handedOff + 1 });
    const again = await RawConnection.open(chat.url);
    again.send(fileGet(text.url, hamletCookie));
    const [served] = await again.read(['GET']);
    expect(served?.body.toString()).toBe(content);
    connection.close();
    again.close();
  });

  it('stops serving a file the moment its upload is deleted', async () => {
    const doomed = await hamlet.upload('doomed.txt', 'short-lived', 'text/plain');
    await hamlet.request('GET', doomed.url);
    const connection = await RawConnection.open(chat.url);
    connection.send(fileGet(doomed.url, hamletCookie));
    const [served] = await connection.read(['GET']);
    expect(served?.body.toString()).toBe('short-lived');
    expect((await hamlet.request('DELETE', `/api/attachments/${doomed.id}`)).status).toBe(200);
    connection.send(fileGet(doomed.url, hamletCookie));
    const [gone] = await connection.read(['GET']);
    expect(gone?.status).toBe(404);
    connection.close();
  });

  it('closes idle fast-path connections when the server closes', async () => {
    const own = await startTestChat();
    const connection = await RawConnection.open(own.url);
    connection.send(`GET ${FILE_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await own.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(connection.closed).toBe(true);
  });
});

describe('the file fast path in S3 mode (mocked S3, uploads read through the slice cache)', () => {
  it('answers a file in memory with the bytes node:http sends for it', async () => {
    const chat = await startTestChat({ stores: fakeS3ChatStores() });
    try {
      const hamlet = await chat.login('hamlet@zulip.test');
      const file = await hamlet.upload('s3.txt', 'kept in a bucket\n', 'text/plain');
      const first = await RawConnection.open(chat.url);
      first.send(fileGet(file.url, cookieOf(hamlet)));
      const [fromNodeHttp] = await first.read(['GET']);
      const answeredBefore = chat.server.fileFastPath.answered;
      const second = await RawConnection.open(chat.url);
      second.send(fileGet(file.url, cookieOf(hamlet)));
      const [fromFastPath] = await second.read(['GET']);
      expect(chat.server.fileFastPath.answered).toBe(answeredBefore + 1);
      const withoutDate = (head: string): string => head.replace(/\r\nDate: [^\r]+/u, '');
      expect(withoutDate(fromFastPath?.head ?? '')).toBe(withoutDate(fromNodeHttp?.head ?? 'missing'));
      expect(fromFastPath?.body.toString()).toBe('kept in a bucket\n');
      first.close();
      second.close();
    } finally {
      await chat.close();
    }
  });
});
