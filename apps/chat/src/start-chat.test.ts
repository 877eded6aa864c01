import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore } from '@stowage/local';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Client } from '../test/chat-fixture.ts';
import { freePort } from '../test/free-port.ts';
import { startChatServer } from './chat-server.ts';
import { chooseSqliteDriver } from './sqlite-driver.ts';
import { startChat } from './start-chat.ts';
import type { StartedServer } from './start-chat.ts';

async function loggedIn(base: string): Promise<Client> {
  const client = new Client(base);
  client.csrfToken = (await client.json<{ csrfToken: string }>('GET', '/api/session')).body.csrfToken;
  const login = await client.json<{ csrfToken: string }>('POST', '/api/login', {
    body: { email: 'hamlet@zulip.test', password: 'hamlet-stowage' },
  });
  client.csrfToken = login.body.csrfToken;
  return client;
}

describe('starting the chat app', () => {
  let dir: string | undefined;
  let running: StartedServer | undefined;

  afterEach(async () => {
    await running?.close();
    running = undefined;
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    vi.restoreAllMocks();
  });

  async function start(env: Record<string, string>, warnings: string[]): Promise<StartedServer> {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    running = await startChat({
      env: { HOST: '127.0.0.1', PORT: String(await freePort()), ...env },
      openDatabase: (await chooseSqliteDriver()).open,
      serve: startChatServer,
      defaultDataDir: join(dir ?? '', 'data'),
      webRoot: join(dir ?? '', 'no-web'),
      warn: (line) => warnings.push(line),
    });
    return running;
  }

  it('removes the temporary files of uploads a crash cut, however young, before serving', async () => {
    dir = await mkdtemp(join(tmpdir(), 'stowage-chat-start-'));
    const uploads = join(dir, 'uploads');
    await LocalStore.open({ root: join(uploads, 'files') });
    const temporaries = join(uploads, 'files', '.stowage', 'tmp');
    await mkdir(temporaries, { recursive: true });
    await writeFile(join(temporaries, 'cut-by-a-crash.tmp'), new Uint8Array(4096));
    const warnings: string[] = [];
    await start({ CHAT_DATA_DIR: join(dir, 'data'), LOCAL_UPLOADS_DIR: uploads }, warnings);
    expect(await readdir(temporaries)).toEqual([]);
    expect(warnings.filter((line) => !line.startsWith('removed'))).toEqual([]);
  });

  it('warns about an unreachable S3 naming the settings, starts anyway, and answers 503 while the store is away', async () => {
    dir = await mkdtemp(join(tmpdir(), 'stowage-chat-start-'));
    const closedPort = await freePort();
    const warnings: string[] = [];
    const server = await start(
      {
        CHAT_DATA_DIR: join(dir, 'data'),
        S3_AUTH_UPLOADS_BUCKET: 'uploads',
        S3_AVATAR_BUCKET: 'avatars',
        S3_ENDPOINT_URL: `http://127.0.0.1:${closedPort}`,
        S3_REGION: 'us-east-1',
        S3_ADDRESSING_STYLE: 'path',
        S3_KEY: 'key',
        S3_SECRET_KEY: 'secret',
      },
      warnings,
    );
    expect(
      warnings.some(
        (line) =>
          line.includes('uploads store') && line.includes('S3_AUTH_UPLOADS_BUCKET') && line.includes('S3_ENDPOINT_URL'),
      ),
    ).toBe(true);
    expect(warnings.some((line) => line.includes('avatars store') && line.includes('S3_AVATAR_BUCKET'))).toBe(true);
    const hamlet = await loggedIn(server.url);
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const answer = await hamlet.json<{ error: { code: string; message: string } }>('POST', '/api/uploads?name=a.txt', {
      body: 'abc',
    });
    expect(answer.status).toBe(503);
    expect(answer.body.error.code).toBe('StoreUnavailable');
    expect(answer.body.error.message).toMatch(/file store is unavailable/u);
  }, 120_000);
});
