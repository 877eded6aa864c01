import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../test/chat-fixture.ts';
import { freePort } from '../test/free-port.ts';
import { RawConnection, cookieOf, fileGet } from '../test/raw-http.ts';
import { tusUpload } from '../test/tus-client.ts';

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const deno = join(appDir, '..', '..', 'node_modules', '.bin', 'deno');

// The same server on Deno: node:http, node:sqlite instead of better-sqlite3, sharp, LocalStore.
describe('the chat server on Deno', () => {
  let child: ChildProcess;
  let dataDir: string;
  let base: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'stowage-chat-deno-'));
    const port = await freePort();
    child = spawn(deno, ['run', '--allow-all', '--conditions=@stowage/source', 'src/deno-main.ts'], {
      cwd: appDir,
      env: { ...process.env, CHAT_DATA_DIR: dataDir, PORT: String(port), NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    base = await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        const match = /listens on (http:\/\/[\d.:]+)\//u.exec(output);
        if (match?.[1] !== undefined) resolve(match[1]);
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.on('exit', (code) => {
        reject(new Error(`deno exited with ${code}:\n${output}`));
      });
    });
  }, 180_000);

  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('seeds, logs in, streams an upload, serves it, and resizes an avatar', async () => {
    const client = new Client(base);
    client.csrfToken = (await client.json<{ csrfToken: string }>('GET', '/api/session')).body.csrfToken;
    const login = await client.json<{ csrfToken: string }>('POST', '/api/login', {
      body: { email: 'hamlet@zulip.test', password: 'hamlet-stowage' },
    });
    expect(login.status).toBe(200);
    client.csrfToken = login.body.csrfToken;
    const file = await client.upload('deno.txt', 'served by Deno\n', 'text/plain');
    const served = await client.request('GET', file.url);
    expect(served.status).toBe(200);
    expect(served.headers.get('cache-control')).toBe('private, immutable');
    expect(await served.text()).toBe('served by Deno\n');
    // One connection, three pipelined requests: Deno's server answers them in order.
    const raw = await RawConnection.open(base);
    raw.send(
      `${fileGet(file.url, cookieOf(client))}${fileGet(file.url, cookieOf(client))}GET /api/session HTTP/1.1\r\nHost: deno\r\nCookie: ${cookieOf(client)}\r\n\r\n`,
    );
    const [first, second, session] = await raw.read(['GET', 'GET', 'GET']);
    expect([first?.body.toString(), second?.body.toString()]).toEqual(['served by Deno\n', 'served by Deno\n']);
    expect(JSON.parse(session?.body.toString() ?? '{}')).toMatchObject({ user: { email: 'hamlet@zulip.test' } });
    raw.close();
    // Deno's server keeps dot segments in the target; the app serves only the canonical path.
    const dotted = await RawConnection.open(base);
    dotted.send(fileGet(`/user_avatars/%2e%2e${file.url}`, cookieOf(client)));
    const [refused] = await dotted.read(['GET']);
    expect(refused?.status).toBe(404);
    dotted.close();
    const png = new Uint8Array(
      await sharp({ create: { width: 300, height: 200, channels: 3, background: '#808000' } })
        .png()
        .toBuffer(),
    );
    const avatar = await client.json<{ avatarUrl: string }>('POST', '/api/users/me/avatar', { body: png });
    expect(avatar.status).toBe(200);
    const small = await fetch(`${base}${avatar.body.avatarUrl}`);
    const metadata = await sharp(new Uint8Array(await small.arrayBuffer())).metadata();
    expect([metadata.width, metadata.height]).toEqual([100, 100]);
    // Zulip's API on Deno: busboy reads the multipart body through node:stream, streamed into the store.
    const keyAnswer = await fetch(`${base}/api/v1/fetch_api_key`, {
      method: 'POST',
      body: new URLSearchParams({ username: 'hamlet@zulip.test', password: 'hamlet-stowage' }),
    });
    const { api_key: apiKey } = (await keyAnswer.json()) as { api_key: string };
    const form = new FormData();
    form.append('file', new Blob(['multipart on Deno\n'], { type: 'text/plain' }), 'deno-form.txt');
    const uploaded = await fetch(`${base}/api/v1/user_uploads`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Basic ${Buffer.from(`hamlet@zulip.test:${apiKey}`).toString('base64')}` },
    });
    expect(uploaded.status).toBe(200);
    const { url: formUrl } = (await uploaded.json()) as { url: string };
    expect(await (await client.request('GET', formUrl)).text()).toBe('multipart on Deno\n');
    // A resumable upload by tus-js-client through @tus/server's handleWeb on Deno's server, in three PATCHes.
    const tusBytes = Buffer.alloc(300 * 1024, 'tus on Deno\n');
    const { done } = tusUpload(tusBytes, `${base}/api/v1/tus`, client, {
      chunkSize: 128 * 1024,
      metadata: { filename: 'deno-tus.txt', filetype: 'text/plain' },
    });
    const finished = await done;
    expect(finished.filename).toBe('deno-tus.txt');
    expect(Buffer.from(await (await client.request('GET', finished.url)).arrayBuffer()).equals(tusBytes)).toBe(true);
    // The web UI's files through Hono's static middleware for Deno.
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    await page.text();
    const lear = new Client(base);
    lear.csrfToken = (await lear.json<{ csrfToken: string }>('GET', '/api/session')).body.csrfToken;
    lear.csrfToken = (
      await lear.json<{ csrfToken: string }>('POST', '/api/login', {
        body: { email: 'lear@lear.test', password: 'lear-stowage' },
      })
    ).body.csrfToken;
    expect((await lear.request('GET', file.url)).status).toBe(404);
  }, 60_000);
});
