// `npm run bench -- tus [--mib=1024] [--backend=local|ceph|both]`: one resumable upload of a 1 GiB file over tus
// (tus-js-client, one PATCH as browsers send it; the app cuts it into 8 MiB segment objects and joins them into the
// attachment at the end) beside a plain single request of the same file (`POST /api/uploads`, streamed into the
// store), to the chat app on the local store and on S3 on Ceph's RADOS Gateway. Each upload goes to a fresh app
// process; its peak memory is the kernel's high-water mark of its resident set (VmHWM, reset after login) above its
// idle level.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';
import { createTestBucket, startCephServer } from '@stowage/ceph-server';
import type { CephTestServer } from '@stowage/ceph-server';
import { parseStorageSettings } from '@stowage/core';
import type { Environment } from '@stowage/core';
import { checksumConfig } from '@stowage/s3';
import { Upload } from 'tus-js-client';
import { chooseSqliteDriver } from '../../apps/chat/src/sqlite-driver.ts';
import { ChatData } from '../../apps/chat/src/chat-data.ts';
import { startChatServer } from '../../apps/chat/src/chat-server.ts';
import { openChatStores } from '../../apps/chat/src/open-chat-stores.ts';
import { ensureSchema } from '../../apps/chat/src/schema.ts';
import { SEED_ACCOUNTS, seedDatabase } from '../../apps/chat/src/seed.ts';
import { printTable } from './_table.ts';

const MiB = 1024 * 1024;
const argument = (name: string): string | undefined =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
const FILE_BYTES = Number(argument('mib') ?? 1024) * MiB;
const BACKENDS = (argument('backend') ?? 'both') === 'both' ? ['local', 'ceph'] : [argument('backend') ?? 'local'];

/** The app server of one measurement, in this script run again with `--serve=` (its settings in the environment). */
async function serve(): Promise<void> {
  const settings = parseStorageSettings(process.env);
  const dir = process.env.BENCH_DIR ?? tmpdir();
  const db = (await chooseSqliteDriver()).open(':memory:');
  ensureSchema(db);
  const data = new ChatData(db);
  await seedDatabase(data, Date.now());
  db.prepare('UPDATE realms SET quota_bytes = ?, user_quota_bytes = NULL').run(64 * 1024 * MiB);
  const stores = openChatStores(settings, {
    signingSecret: 'bench-signing-secret-0123456789',
    cacheDir: join(dir, 's3-cache'),
  });
  const server = await startChatServer({
    data,
    stores,
    maxFileUploadBytes: 4 * 1024 * MiB,
    avatarSalt: 'bench',
    tus: { sweepIntervalMs: 0 },
    memoryCacheObjectBytes: 0,
  });
  console.log(`LISTENING ${server.url}`);
}

interface AppProcess {
  readonly url: string;
  readonly child: ChildProcess;
}

async function startApp(env: Environment): Promise<AppProcess> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--serve=1'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /LISTENING (\S+)/u.exec(output);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once('exit', (code) => {
      reject(new Error(`the app exited with ${String(code)}: ${output}`));
    });
  });
  return { url, child };
}

/** Resident set now and its high-water mark, from the kernel. */
async function memoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number =>
    Number(new RegExp(`${field}:\\s+(\\d+) kB`, 'u').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

async function stopApp(app: AppProcess): Promise<void> {
  if (app.child.exitCode !== null) return;
  const exited = once(app.child, 'exit');
  app.child.kill('SIGTERM');
  await exited;
}

/** Logs in as a seeded user: the session cookie and CSRF token the web UI would send. */
async function login(base: string): Promise<Record<string, string>> {
  const account = SEED_ACCOUNTS.find((candidate) => candidate.email === 'hamlet@zulip.test');
  const first = await fetch(`${base}/api/session`);
  const csrfCookie = first.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ');
  const { csrfToken } = (await first.json()) as { csrfToken: string };
  const answer = await fetch(`${base}/api/login`, {
    method: 'POST',
    headers: { cookie: csrfCookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
    body: JSON.stringify({ email: account?.email, password: account?.password }),
  });
  if (answer.status !== 200) throw new Error(`login failed: ${answer.status}`);
  const session = answer.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ');
  const body = (await answer.json()) as { csrfToken: string };
  return { cookie: `${csrfCookie}; ${session}`, 'x-csrf-token': body.csrfToken };
}

function tusOnce(base: string, path: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const upload = new Upload(createReadStream(path), {
      endpoint: `${base}/api/v1/tus`,
      headers,
      metadata: { filename: 'bench.bin', filetype: 'application/octet-stream' },
      retryDelays: null,
      storeFingerprintForResuming: false,
      onSuccess: ({ lastResponse }) => {
        resolve((JSON.parse(lastResponse.getBody()) as { url: string }).url);
      },
      onError: reject,
    });
    upload.start();
  });
}

async function plainOnce(base: string, path: string, headers: Record<string, string>): Promise<string> {
  const init: RequestInit & { duplex: 'half' } = {
    method: 'POST',
    duplex: 'half',
    headers: { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(FILE_BYTES) },
    body: Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>,
  };
  const answer = await fetch(`${base}/api/uploads?name=bench.bin`, init);
  if (answer.status !== 201) throw new Error(`plain upload failed: ${answer.status} ${await answer.text()}`);
  return ((await answer.json()) as { url: string }).url;
}

interface Measured {
  readonly seconds: number;
  readonly idleMiB: number;
  readonly peakAboveIdleMiB: number;
}

async function measure(
  env: Environment,
  send: (base: string, headers: Record<string, string>) => Promise<string>,
): Promise<Measured> {
  const app = await startApp(env);
  try {
    const headers = await login(app.url);
    const pid = app.child.pid ?? 0;
    // Linux resets the high-water mark on this write, so the peak is the upload's (not the login's scrypt).
    await writeFile(`/proc/${pid}/clear_refs`, '5');
    const idle = await memoryOf(pid);
    const started = process.hrtime.bigint();
    await send(app.url, headers);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const after = await memoryOf(pid);
    return { seconds, idleMiB: idle.rss / MiB, peakAboveIdleMiB: (after.peak - idle.rss) / MiB };
  } finally {
    await stopApp(app);
  }
}

async function writeSource(path: string): Promise<void> {
  const cipher = createCipheriv('aes-256-ctr', Buffer.alloc(32, 5), Buffer.alloc(16, 9));
  const out = createWriteStream(path);
  const zeros = Buffer.alloc(MiB);
  for (let written = 0; written < FILE_BYTES; written += MiB) {
    if (!out.write(cipher.update(zeros.subarray(0, Math.min(MiB, FILE_BYTES - written))))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function benchmark(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-bench-tus-'));
  let ceph: CephTestServer | undefined;
  try {
    const source = join(dir, 'source.bin');
    await writeSource(source);
    const rows: string[][] = [];
    for (const backend of BACKENDS) {
      let env: Environment;
      if (backend === 'ceph') {
        ceph = await startCephServer();
        const client = new S3Client({ ...ceph.clientConfig, ...checksumConfig('s3-compatible') });
        env = {
          S3_AUTH_UPLOADS_BUCKET: await createTestBucket(client, 'uploads'),
          S3_AVATAR_BUCKET: await createTestBucket(client, 'avatars'),
          S3_ENDPOINT_URL: ceph.endpoint,
          S3_REGION: 'us-east-1',
          S3_ADDRESSING_STYLE: 'path',
          S3_KEY: ceph.credentials.accessKeyId,
          S3_SECRET_KEY: ceph.credentials.secretAccessKey,
          BENCH_DIR: dir,
        };
        client.destroy();
      } else {
        env = { LOCAL_UPLOADS_DIR: join(dir, 'uploads'), BENCH_DIR: dir };
      }
      const plain = await measure(env, (base, headers) => plainOnce(base, source, headers));
      const tus = await measure(env, (base, headers) => tusOnce(base, source, headers));
      const name = backend === 'ceph' ? 'S3 on Ceph RGW' : 'local disk';
      for (const [method, result] of [
        ['tus (resumable)', tus],
        ['plain POST', plain],
      ] as const) {
        rows.push([
          name,
          method,
          result.seconds.toFixed(1),
          (FILE_BYTES / MiB / result.seconds).toFixed(0),
          result.idleMiB.toFixed(0),
          result.peakAboveIdleMiB.toFixed(0),
        ]);
      }
      rows.push([name, 'tus / plain time', (tus.seconds / plain.seconds).toFixed(2), '', '', '']);
      await ceph?.stop();
      ceph = undefined;
    }
    printTable(
      `A ${FILE_BYTES / MiB} MiB upload to the chat app on 127.0.0.1: tus-js-client (one PATCH; 8 MiB segments, joined at the end) vs one plain POST of the same file; each in a fresh app process`,
      ['store', 'upload', 'seconds', 'MiB/s', 'app idle MiB', 'app peak above idle MiB'],
      rows,
    );
  } finally {
    await ceph?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (argument('serve') !== undefined) await serve();
else await benchmark();
