import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { parseStorageSettings } from '@stowage/core';
import type { Environment } from '@stowage/core';
import { S3RVER_CREDENTIALS, startS3Server } from '@stowage/s3-test-server';
import type { S3TestServer } from '@stowage/s3-test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../test/chat-fixture.ts';
import { freePort } from '../test/free-port.ts';
import { chooseSqliteDriver } from '../src/sqlite-driver.ts';
import { ChatData } from '../src/chat-data.ts';
import { startChatServer } from '../src/chat-server.ts';
import type { RunningChatServer } from '../src/chat-server.ts';
import { DEFAULT_NGINX_CACHE, nginxConfig } from '../src/nginx-mode.ts';
import { openChatStores } from '../src/open-chat-stores.ts';
import { ensureSchema } from '../src/schema.ts';
import { SEED_ACCOUNTS, seedDatabase } from '../src/seed.ts';
import type { SqlDatabase } from '../src/sql-database.ts';

const CONTENT = 'served by nginx after the app said yes\n'.repeat(200);

// Debian's nginx in front of the app in nginx mode (SERVE_UPLOADS_VIA=nginx), with the configuration the app prints.
describe.each(['local', 's3'] as const)('behind nginx, as Zulip runs (%s)', (backend) => {
  let dir: string;
  let s3: S3TestServer | undefined;
  let db: SqlDatabase;
  let app: RunningChatServer;
  let nginx: ChildProcess;
  let base: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `stowage-chat-nginx-${backend}-`));
    let env: Environment = { LOCAL_UPLOADS_DIR: join(dir, 'uploads') };
    if (backend === 's3') {
      s3 = await startS3Server({ buckets: ['chat-uploads', 'chat-avatars'] });
      env = {
        S3_AUTH_UPLOADS_BUCKET: 'chat-uploads',
        S3_AVATAR_BUCKET: 'chat-avatars',
        S3_ENDPOINT_URL: s3.endpoint,
        S3_REGION: 'us-east-1',
        S3_ADDRESSING_STYLE: 'path',
        S3_SKIP_CHECKSUM: 'true',
        S3_KEEPS_INTERRUPTED_UPLOADS: 'true',
        S3_KEY: S3RVER_CREDENTIALS.accessKeyId,
        S3_SECRET_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      };
    }
    const settings = parseStorageSettings(env);
    db = (await chooseSqliteDriver()).open(':memory:');
    ensureSchema(db);
    const data = new ChatData(db);
    await seedDatabase(data, Date.now());
    const stores = openChatStores(settings, {
      signingSecret: 'nginx-signing-secret-of-at-least-32-bytes',
      cacheDir: join(dir, 'app-cache'),
    });
    app = await startChatServer({
      data,
      stores,
      maxFileUploadBytes: settings.maxFileUploadBytes,
      avatarSalt: 'salt',
      serveVia: 'nginx',
      logError: () => undefined,
    });
    const port = await freePort();
    const prefix = join(dir, 'nginx');
    await mkdir(join(prefix, 'temp'), { recursive: true });
    const conf = join(prefix, 'nginx.conf');
    // Workers of a root master would run as nobody, who cannot enter the test's private folder.
    await writeFile(
      conf,
      `user ${userInfo().username};
worker_processes 1;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'error.log')};
events { worker_connections 256; }
http {
  access_log off;
  default_type application/octet-stream;
  client_body_temp_path ${join(prefix, 'temp')};
  proxy_temp_path ${join(prefix, 'temp')};
  fastcgi_temp_path ${join(prefix, 'temp')};
  uwsgi_temp_path ${join(prefix, 'temp')};
  scgi_temp_path ${join(prefix, 'temp')};
${nginxConfig({ storage: settings, listen: `127.0.0.1:${port}`, app: new URL(app.url).host, cacheDir: join(prefix, 's3-cache'), cache: DEFAULT_NGINX_CACHE })}
}
`,
    );
    nginx = spawn('nginx', ['-p', prefix, '-c', conf, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let errors = '';
    nginx.stderr?.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    base = `http://127.0.0.1:${port}`;
    for (let attempt = 0; ; attempt++) {
      if (nginx.exitCode !== null) throw new Error(`nginx exited with ${nginx.exitCode}: ${errors}`);
      const ready = await fetch(`${base}/api/session`).then(
        (response) => response.ok,
        () => false,
      );
      if (ready) break;
      if (attempt > 200) throw new Error(`nginx did not answer: ${errors}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, 120_000);

  afterAll(async () => {
    if (nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx.once('exit', resolve));
      nginx.kill('SIGTERM');
      await exited;
    }
    await app.close();
    db.close();
    await s3?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function login(email: string): Promise<Client> {
    const account = SEED_ACCOUNTS.find((candidate) => candidate.email === email);
    const client = new Client(base);
    client.csrfToken = (await client.json<{ csrfToken: string }>('GET', '/api/session')).body.csrfToken;
    const { body } = await client.json<{ csrfToken: string }>('POST', '/api/login', {
      body: { email, password: account?.password ?? '' },
    });
    client.csrfToken = body.csrfToken;
    return client;
  }

  it('lets nginx send an allowed file with the headers the app decided, and keeps the access rules', async () => {
    const hamlet = await login('hamlet@zulip.test');
    const file = await hamlet.upload('plan.txt', CONTENT, 'text/plain');
    // The app itself answers with a redirect into nginx, not with the bytes.
    const direct = await fetch(`${app.url}${file.url}`, {
      headers: { cookie: [...hamlet.cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
    });
    expect(direct.headers.get('x-accel-redirect')).toMatch(
      backend === 'local'
        ? /^\/internal\/local\/uploads\//
        : /^\/internal\/s3\/http\/127\.0\.0\.1:\d+\/chat-uploads\//u,
    );
    expect(await direct.text()).toBe('');

    const served = await hamlet.request('GET', file.url);
    expect(served.status).toBe(200);
    expect(await served.text()).toBe(CONTENT);
    expect(served.headers.get('x-accel-redirect')).toBeNull();
    expect(served.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(served.headers.get('content-disposition')).toMatch(/^inline; filename="plan\.txt"/u);
    expect(served.headers.get('cache-control')).toBe('private, immutable');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(served.headers.get('content-security-policy')).toContain("default-src 'none'");

    const lear = await login('lear@lear.test');
    const refused = await lear.request('GET', file.url);
    expect(refused.status).toBe(404);
    expect(await refused.text()).not.toContain('served by nginx');
    expect((await new Client(base).request('GET', file.url)).status).toBe(401);
    const page = await hamlet.request('GET', `${file.url}?download=1`);
    expect(page.headers.get('content-disposition')).toMatch(/^attachment;/u);
    await page.text();
  });

  it('never serves the internal locations to a client', async () => {
    const hamlet = await login('hamlet@zulip.test');
    const file = await hamlet.upload('inside.txt', CONTENT, 'text/plain');
    const direct = await fetch(`${app.url}${file.url}`, {
      headers: { cookie: [...hamlet.cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
    });
    const internal = direct.headers.get('x-accel-redirect') ?? '';
    expect(internal).not.toBe('');
    for (const path of [
      internal,
      internal.replace(/\?.*$/u, ''),
      '/internal/local/uploads/',
      '/internal/s3/http/127.0.0.1/x',
    ]) {
      const response = await fetch(`${base}${path}`);
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
      expect(await response.text()).not.toContain('served by nginx');
    }
  });

  it('answers ranges from nginx', async () => {
    const hamlet = await login('hamlet@zulip.test');
    const file = await hamlet.upload('range.txt', CONTENT, 'text/plain');
    const part = await hamlet.request('GET', file.url, { headers: { range: 'bytes=7-15' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 7-15/${CONTENT.length}`);
    expect(await part.text()).toBe(CONTENT.slice(7, 16));
  });

  if (backend === 's3') {
    it("serves a second read of an S3 file from nginx's cache", async () => {
      const hamlet = await login('hamlet@zulip.test');
      const file = await hamlet.upload('cached.txt', CONTENT, 'text/plain');
      const first = await hamlet.request('GET', file.url);
      expect(await first.text()).toBe(CONTENT);
      expect(first.headers.get('x-cache-status')).toBe('MISS');
      const second = await hamlet.request('GET', file.url);
      expect(await second.text()).toBe(CONTENT);
      expect(second.headers.get('x-cache-status')).toBe('HIT');
    });
  }
});
