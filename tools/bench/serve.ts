// `npm run bench -- serve [seconds]`: a 32 KiB private upload served by the chat app (session check, access check,
// store read) beside nginx serving the same file statically and a plain node:http server with createReadStream.
// One wrk run per server on loopback; wrk's one thread and the server each get one of the machine's cores.
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBetterSqliteDatabase } from '../../apps/chat/src/better-sqlite-database.ts';
import { ChatData } from '../../apps/chat/src/chat-data.ts';
import { startChatServer } from '../../apps/chat/src/chat-server.ts';
import { localChatStores } from '../../apps/chat/src/open-chat-stores.ts';
import { ensureSchema } from '../../apps/chat/src/schema.ts';
import { seedDatabase } from '../../apps/chat/src/seed.ts';
import { printTable } from './_table.ts';

const FILE_BYTES = 32 * 1024;
const CONNECTIONS = 32;
const seconds = Number(process.argv[2] ?? 10);

interface WrkResult {
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
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${duration}s`, '--latency', ...headers.flatMap((header) => ['-H', header]), url];
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', () => {
      const rate = /Requests\/sec:\s+([\d.]+)/u.exec(output);
      const p50 = /\s50%\s+([\d.]+)(us|ms|s)/u.exec(output);
      const p99 = /\s99%\s+([\d.]+)(us|ms|s)/u.exec(output);
      const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: .*/u.exec(output);
      if (rate?.[1] === undefined || p50 === null || p99 === null) {
        reject(new Error(`could not read wrk's output:\n${output}`));
        return;
      }
      resolve({
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
  await new Promise<void>((resolve) => probe.close(() => { resolve(); }));
  return port;
}

async function measure(name: string, url: string, headers: readonly string[]): Promise<WrkResult> {
  const check = await fetch(url, { headers: Object.fromEntries(headers.map((header) => header.split(/:\s*/u, 2) as [string, string])) });
  const body = new Uint8Array(await check.arrayBuffer());
  if (check.status !== 200 || body.byteLength !== FILE_BYTES) throw new Error(`${name} answered ${check.status} with ${body.byteLength} bytes`);
  await wrk(url, headers, 2);
  return wrk(url, headers, seconds);
}

requireTool('wrk', 'wrk');
requireTool('nginx', 'nginx-light');
const dir = await mkdtemp(join(tmpdir(), 'stowage-bench-serve-'));
const bytes = new Uint8Array(FILE_BYTES).map((_, index) => (index * 31) % 256);
const results: [string, WrkResult][] = [];
try {
  // The chat app: a logged-in user fetching a file posted in a private channel they are subscribed to.
  const db = openBetterSqliteDatabase(':memory:');
  ensureSchema(db);
  const data = new ChatData(db);
  await seedDatabase(data, Date.now());
  const chat = await startChatServer({
    data, stores: localChatStores(join(dir, 'uploads'), 'bench-signing-secret-of-at-least-32-bytes'), maxFileUploadBytes: 100 * 1024 * 1024, avatarSalt: 'bench',
  });
  const anonymous = await fetch(`${chat.url}/api/session`);
  const csrfCookie = (anonymous.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
  const { csrfToken: anonymousToken } = (await anonymous.json()) as { csrfToken: string };
  const login = await fetch(`${chat.url}/api/login`, {
    method: 'POST', headers: { cookie: csrfCookie, 'x-csrf-token': anonymousToken, 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'hamlet@zulip.test', password: 'hamlet-stowage' }),
  });
  const cookie = login.headers.getSetCookie().map((header) => header.split(';')[0]).join('; ');
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  const headers = { cookie, 'x-csrf-token': csrfToken };
  const uploaded = await fetch(`${chat.url}/api/uploads?name=bench.bin`, { method: 'POST', headers, body: bytes });
  const { url: filePath } = (await uploaded.json()) as { url: string };
  const channels = (await (await fetch(`${chat.url}/api/channels`, { headers })).json()) as { channels: { id: number; name: string }[] };
  const coreTeam = channels.channels.find((channel) => channel.name === 'core team')?.id ?? 0;
  await fetch(`${chat.url}/api/channels/${coreTeam}/messages`, {
    method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ content: filePath }),
  });
  // Measured as another subscriber, so the access check walks message, channel and subscription.
  const iagoLogin = await fetch(`${chat.url}/api/login`, {
    method: 'POST', headers: { cookie: csrfCookie, 'x-csrf-token': anonymousToken, 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'iago@zulip.test', password: 'iago-stowage' }),
  });
  const iagoCookie = iagoLogin.headers.getSetCookie().map((header) => header.split(';')[0]).join('; ');
  results.push(['chat app (session + access check + store)', await measure('chat app', `${chat.url}${filePath}`, [`Cookie: ${iagoCookie}`])]);
  await chat.close();
  db.close();

  // The same bytes as a plain file for the two peers.
  const staticRoot = join(dir, 'static');
  await mkdir(staticRoot);
  const filePathOnDisk = join(staticRoot, 'bench.bin');
  await writeFile(filePathOnDisk, bytes);

  const plain = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': FILE_BYTES });
    createReadStream(filePathOnDisk).pipe(res);
  });
  const plainUrl = await listen(plain);
  results.push(['node:http + createReadStream', await measure('node:http', `${plainUrl}/bench.bin`, [])]);
  await new Promise<void>((resolve) => {
    plain.close(() => { resolve(); });
    plain.closeAllConnections();
  });

  const nginxPort = await freePort();
  const nginxConf = join(dir, 'nginx.conf');
  await writeFile(nginxConf, `worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'nginx-error.log')};
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  client_body_temp_path ${dir};
  proxy_temp_path ${dir};
  fastcgi_temp_path ${dir};
  uwsgi_temp_path ${dir};
  scgi_temp_path ${dir};
  server { listen 127.0.0.1:${nginxPort}; root ${staticRoot}; }
}
`);
  const nginx = spawn('nginx', ['-c', nginxConf, '-p', dir, '-g', 'daemon off;'], { stdio: 'inherit' });
  try {
    let ready = false;
    for (let attempt = 0; attempt < 50 && !ready; attempt++) {
      ready = await fetch(`http://127.0.0.1:${nginxPort}/bench.bin`).then((response) => response.arrayBuffer().then(() => true), () => false);
      if (!ready) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    results.push(['nginx 1 worker, static file', await measure('nginx', `http://127.0.0.1:${nginxPort}/bench.bin`, [])]);
  } finally {
    nginx.kill('SIGTERM');
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

const plainRate = results.find(([name]) => name.startsWith('node:http'))?.[1].requestsPerSecond ?? Number.NaN;
printTable(
  `32 KiB private upload, wrk -t1 -c${CONNECTIONS} -d${seconds}s, loopback`,
  ['server', 'requests/s', 'p50 ms', 'p99 ms', 'x node:http', 'errors'],
  results.map(([name, result]) => [
    name, result.requestsPerSecond.toFixed(0), result.p50Ms.toFixed(2), result.p99Ms.toFixed(2), (result.requestsPerSecond / plainRate).toFixed(2), result.errors,
  ]),
);
