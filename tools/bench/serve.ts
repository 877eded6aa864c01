// `npm run bench -- serve [seconds] [rounds]`: a 32 KiB private upload served by the chat app (Hono on node:http:
// session check, access check, store read), with and without its small-object memory cache, and behind nginx with
// X-Accel-Redirect (the app checks, nginx sends), beside nginx serving the same file statically and plain node:http
// servers. One wrk run per server on loopback; wrk's one thread and the server each get one of the machine's cores.
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { chooseSqliteDriver } from '../../apps/chat/src/sqlite-driver.ts';
import { ChatData } from '../../apps/chat/src/chat-data.ts';
import { startChatServer } from '../../apps/chat/src/chat-server.ts';
import type { RunningChatServer } from '../../apps/chat/src/chat-server.ts';
import { nginxConfig } from '../../apps/chat/src/nginx-mode.ts';
import { parseStorageSettings } from '@stowage/core';
import { localChatStores } from '../../apps/chat/src/open-chat-stores.ts';
import { ensureSchema } from '../../apps/chat/src/schema.ts';
import { seedDatabase } from '../../apps/chat/src/seed.ts';
import { printTable } from './_table.ts';

const FILE_BYTES = 32 * 1024;
const NGINX_STATIC = 'nginx 1 worker, static file';
const CONNECTIONS = 32;
const seconds = Number(process.argv[2] ?? 10);
const ROUNDS = Number(process.argv[3] ?? 3);

interface WrkResult {
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: string;
}

function requireTool(name: string, debianPackage: string): void {
  if (spawnSync('sh', ['-c', `command -v ${name}`]).status !== 0) {
    console.error(`${name} is missing: install it with apt-get install ${debianPackage}`);
    process.exit(1);
  }
}

function toMs(value: string, unit: string): number {
  const factor = unit === 'us' ? 0.001 : unit === 'ms' ? 1 : unit === 's' ? 1000 : Number.NaN;
  return Number(value) * factor;
}

/** Runs wrk without blocking this process's event loop (the app under test may live in it). */
function wrk(url: string, headers: readonly string[], duration: number): Promise<WrkResult> {
  const args = [
    '-t1',
    `-c${CONNECTIONS}`,
    `-d${duration}s`,
    '--latency',
    ...headers.flatMap((header) => ['-H', header]),
    url,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', () => {
      const rate = /Requests\/sec:\s+([\d.]+)/u.exec(output);
      const requests = /(\d+) requests in/u.exec(output);
      const p50 = /\s50%\s+([\d.]+)(us|ms|s)/u.exec(output);
      const p99 = /\s99%\s+([\d.]+)(us|ms|s)/u.exec(output);
      const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: .*/u.exec(output);
      if (rate?.[1] === undefined || requests?.[1] === undefined || p50 === null || p99 === null) {
        reject(new Error(`could not read wrk's output:\n${output}`));
        return;
      }
      resolve({
        requests: Number(requests[1]),
        requestsPerSecond: Number(rate[1]),
        p50Ms: toMs(p50[1] ?? '', p50[2] ?? ''),
        p99Ms: toMs(p99[1] ?? '', p99[2] ?? ''),
        errors: errors?.[0] ?? 'none',
      });
    });
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await listen(probe);
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) =>
    probe.close(() => {
      resolve();
    }),
  );
  return port;
}

interface Target {
  readonly name: string;
  readonly url: string;
  readonly headers: readonly string[];
}

/** Checks the target answers the whole file, warms it up for 2 s, then measures; counts every request it sent. */
async function measure({ name, url, headers }: Target): Promise<{ result: WrkResult }> {
  const check = await fetch(url, {
    headers: Object.fromEntries(headers.map((header) => header.split(/:\s*/u, 2) as [string, string])),
  });
  const body = new Uint8Array(await check.arrayBuffer());
  if (check.status !== 200 || body.byteLength !== FILE_BYTES)
    throw new Error(`${name} answered ${check.status} with ${body.byteLength} bytes`);
  await wrk(url, headers, 2);
  const result = await wrk(url, headers, seconds);
  return { result };
}

requireTool('wrk', 'wrk');
requireTool('nginx', 'nginx-light');
const dir = await mkdtemp(join(tmpdir(), 'stowage-bench-serve-'));
const bytes = new Uint8Array(FILE_BYTES).map((_, index) => (index * 31) % 256);
const targets: Target[] = [];
const closers: (() => Promise<void>)[] = [];
const best = new Map<string, WrkResult>();
try {
  targets.push(await startChatTarget('chat app direct (Hono on node:http), memory cache', {}));
  targets.push(await startChatTarget('chat app direct, no memory cache', { memoryCacheObjectBytes: 0 }));
  targets.push(await startChatTarget('chat app behind nginx (X-Accel-Redirect)', { nginx: true }));
  const staticRoot = join(dir, 'static');
  await mkdir(staticRoot);
  const filePathOnDisk = join(staticRoot, 'bench.bin');
  await writeFile(filePathOnDisk, bytes);
  targets.push(
    await startNodeTarget('node:http + createReadStream', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': FILE_BYTES });
      createReadStream(filePathOnDisk).pipe(res);
    }),
  );
  // The ceiling for any Node server: the same bytes from memory with no checks at all.
  targets.push(
    await startNodeTarget('node:http from memory, no checks', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': FILE_BYTES });
      res.end(bytes);
    }),
  );
  targets.push(await startNginxTarget(staticRoot));
  // The machine is shared: rounds interleave the servers so a burst of other work does not land on one of them,
  // and each server's best round is reported.
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of targets) {
      const { result } = await measure(target);
      const previous = best.get(target.name);
      if (previous === undefined || result.requestsPerSecond > previous.requestsPerSecond)
        best.set(target.name, result);
    }
  }
} finally {
  for (const close of closers.reverse()) await close();
  await rm(dir, { recursive: true, force: true });
}

const nginxRate = best.get(NGINX_STATIC)?.requestsPerSecond ?? Number.NaN;
printTable(
  `32 KiB private upload, wrk -t1 -c${CONNECTIONS} -d${seconds}s, loopback, best of ${ROUNDS} interleaved rounds`,
  ['server', 'requests/s', 'p50 ms', 'p99 ms', 'x nginx static', 'errors'],
  targets.map(({ name }) => {
    const result = best.get(name);
    if (result === undefined) return [name, '-', '-', '-', '-', '-'];
    return [
      name,
      result.requestsPerSecond.toFixed(0),
      result.p50Ms.toFixed(2),
      result.p99Ms.toFixed(2),
      (result.requestsPerSecond / nginxRate).toFixed(2),
      result.errors,
    ];
  }),
);

async function startChatTarget(
  name: string,
  options: { readonly memoryCacheObjectBytes?: number; readonly nginx?: boolean },
): Promise<Target> {
  // The chat app: a logged-in user fetching a file posted in a private channel they are subscribed to.
  const db = (await chooseSqliteDriver()).open(':memory:');
  ensureSchema(db);
  const data = new ChatData(db);
  await seedDatabase(data, Date.now());
  const uploadsDir = join(dir, `uploads-${targets.length}`);
  const chat: RunningChatServer = await startChatServer({
    data,
    stores: localChatStores(uploadsDir, 'bench-signing-secret-of-at-least-32-bytes'),
    maxFileUploadBytes: 100 * 1024 * 1024,
    avatarSalt: 'bench',
    memoryCacheObjectBytes: options.memoryCacheObjectBytes,
    serveVia: options.nginx === true ? 'nginx' : 'app',
  });
  closers.push(async () => {
    await chat.close();
    db.close();
  });
  const anonymous = await fetch(`${chat.url}/api/session`);
  const csrfCookie = (anonymous.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
  const { csrfToken: anonymousToken } = (await anonymous.json()) as { csrfToken: string };
  const login = async (email: string, password: string): Promise<{ cookie: string; csrfToken: string }> => {
    const response = await fetch(`${chat.url}/api/login`, {
      method: 'POST',
      headers: { cookie: csrfCookie, 'x-csrf-token': anonymousToken, 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    const cookie = response.headers
      .getSetCookie()
      .map((header) => header.split(';')[0])
      .join('; ');
    const { csrfToken } = (await response.json()) as { csrfToken: string };
    return { cookie, csrfToken };
  };
  const hamlet = await login('hamlet@zulip.test', 'hamlet-stowage');
  const headers = { cookie: hamlet.cookie, 'x-csrf-token': hamlet.csrfToken };
  const uploaded = await fetch(`${chat.url}/api/uploads?name=bench.bin`, { method: 'POST', headers, body: bytes });
  const { url: filePath } = (await uploaded.json()) as { url: string };
  const channels = (await (await fetch(`${chat.url}/api/channels`, { headers })).json()) as {
    channels: { id: number; name: string }[];
  };
  const coreTeam = channels.channels.find((channel) => channel.name === 'core team')?.id ?? 0;
  await fetch(`${chat.url}/api/channels/${coreTeam}/messages`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ content: filePath }),
  });
  // Measured as another subscriber, so the access rule goes through message, channel and subscription.
  const iago = await login('iago@zulip.test', 'iago-stowage');
  if (options.nginx !== true) return { name, url: `${chat.url}${filePath}`, headers: [`Cookie: ${iago.cookie}`] };
  const front = await startNginx(
    nginxConfig({
      storage: parseStorageSettings({ LOCAL_UPLOADS_DIR: uploadsDir }),
      listen: '127.0.0.1:0',
      app: new URL(chat.url).host,
      cacheDir: join(dir, 'unused'),
      cache: { memoryCacheSize: '1m', diskCacheSize: '200m', cacheInactiveTime: '30d' },
    }),
    'front',
  );
  return { name, url: `${front}${filePath}`, headers: [`Cookie: ${iago.cookie}`] };
}

async function startNodeTarget(name: string, listener: RequestListener): Promise<Target> {
  const server = createServer(listener);
  const url = await listen(server);
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  );
  return { name, url: `${url}/bench.bin`, headers: [] };
}

async function startNginxTarget(staticRoot: string): Promise<Target> {
  const base = await startNginx('server { listen 127.0.0.1:0; root ' + staticRoot + '; }', 'static');
  return { name: NGINX_STATIC, url: `${base}/bench.bin`, headers: [] };
}

/** Starts nginx (one worker, as the app has one thread) with `server` blocks; resolves to its base URL. */
async function startNginx(servers: string, name: string): Promise<string> {
  const port = await freePort();
  const prefix = join(dir, `nginx-${name}`);
  await mkdir(prefix, { recursive: true });
  const conf = join(prefix, 'nginx.conf');
  await writeFile(
    conf,
    `user ${userInfo().username};
worker_processes 1;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'nginx-error.log')};
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  default_type application/octet-stream;
  client_body_temp_path ${prefix};
  proxy_temp_path ${prefix};
  fastcgi_temp_path ${prefix};
  uwsgi_temp_path ${prefix};
  scgi_temp_path ${prefix};
  ${servers.replace('listen 127.0.0.1:0;', `listen 127.0.0.1:${port};`)}
}
`,
  );
  const nginx = spawn('nginx', ['-c', conf, '-p', prefix, '-g', 'daemon off;'], { stdio: 'inherit' });
  closers.push(async () => {
    const exited = new Promise((resolve) => nginx.once('exit', resolve));
    nginx.kill('SIGTERM');
    await exited;
  });
  const url = `http://127.0.0.1:${port}`;
  let ready = false;
  for (let attempt = 0; attempt < 50 && !ready; attempt++) {
    ready = await fetch(url).then(
      (response) => response.arrayBuffer().then(() => true),
      () => false,
    );
    if (!ready) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return url;
}
