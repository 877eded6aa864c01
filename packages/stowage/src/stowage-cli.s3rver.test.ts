import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStorageSettings } from '@stowage/core';
import { S3RVER_CREDENTIALS, TEST_TLS_FILES, startS3Server } from '@stowage/s3-test-server';
import type { S3TestServer } from '@stowage/s3-test-server';
import { PACKAGE_DIRECTORY, SOURCE_BIN } from '../test/commands.ts';
import { expectFaithfulCopy, listKeys, writeZulipUploads } from '../test/zulip-uploads.ts';
import type { FixtureObject } from '../test/zulip-uploads.ts';
import { openStores } from './open-stores.ts';
import type { Stores } from './open-stores.ts';
import { closeSpec, openSpec, parseStoreSpec } from './store-spec.ts';

const MIB = 1024 * 1024;
interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface RunState {
  objectsDone: number;
  copiedBytesOfDoneObjects: number;
  bytesCopied: number;
  namespace: string;
  objectsTotal: number | undefined;
}

/**
 * Runs the real `stowage` command in its own process, as an operator would (from source through tsx). With
 * `killWhen`, follows its JSON progress and sends SIGKILL the moment the condition holds.
 */
function runStowage(
  args: readonly string[],
  env: Record<string, string>,
  killWhen?: (state: RunState) => boolean,
  signal: NodeJS.Signals = 'SIGKILL',
): Promise<RunResult> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', SOURCE_BIN, ...args], {
    cwd: PACKAGE_DIRECTORY,
    // Journals go to the scratch directory, not the home of whoever runs the tests.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), XDG_STATE_HOME: join(scratch, 'state'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let pending = '';
  const state: RunState = { objectsDone: 0, copiedBytesOfDoneObjects: 0, bytesCopied: 0, namespace: '', objectsTotal: undefined };
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    stderr += text;
    if (killWhen === undefined) return;
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const event = JSON.parse(line) as { event: string; namespace: string; outcome?: string; size?: number; bytesCopied?: number; objectsTotal?: number };
      if (event.namespace !== state.namespace) {
        Object.assign(state, { namespace: event.namespace, objectsDone: 0, copiedBytesOfDoneObjects: 0, bytesCopied: 0, objectsTotal: undefined });
      }
      if (event.event === 'object') {
        state.objectsDone++;
        if (event.outcome === 'copied') state.copiedBytesOfDoneObjects += event.size ?? 0;
      } else {
        state.bytesCopied = event.bytesCopied ?? 0;
        state.objectsTotal = event.objectsTotal ?? undefined;
      }
      if (child.exitCode === null && !child.killed && killWhen(state)) child.kill(signal);
    }
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      resolve({ code, signal, stdout, stderr });
    });
  });
}

let server: S3TestServer;
let scratch: string;
let source: string;
let fixture: FixtureObject[];
let env: Record<string, string>;
let s3Env: Record<string, string>;
let local: Stores;
let s3: Stores;

beforeAll(async () => {
  server = await startS3Server({ buckets: ['uploads-bucket', 'avatars-bucket', 'copy-bucket'] });
  scratch = await mkdtemp(join(tmpdir(), 'stowage-cli-'));
  source = join(scratch, 'uploads');
  fixture = await writeZulipUploads(source, { largeSizes: [24 * MIB, 20 * MIB, 16 * MIB], attachments: 40 });
  s3Env = {
    S3_AUTH_UPLOADS_BUCKET: 'uploads-bucket',
    S3_AVATAR_BUCKET: 'avatars-bucket',
    S3_ENDPOINT_URL: server.endpoint,
    S3_REGION: 'us-east-1',
    S3_ADDRESSING_STYLE: 'path',
    // s3rver stores what an interrupted PutObject carried: a killed run must not leave that behind.
    S3_KEEPS_INTERRUPTED_UPLOADS: 'true',
    S3_KEY: S3RVER_CREDENTIALS.accessKeyId,
    S3_SECRET_KEY: S3RVER_CREDENTIALS.secretAccessKey,
  };
  env = { ...s3Env, LOCAL_UPLOADS_DIR: source };
  local = openStores(parseStorageSettings({ LOCAL_UPLOADS_DIR: source }));
  s3 = openStores(parseStorageSettings(s3Env));
}, 120_000);

afterAll(async () => {
  s3.close();
  await server.stop();
  await rm(scratch, { recursive: true, force: true });
});

describe('stowage migrate against an S3-compatible server', () => {
  it('survives SIGKILL early, during a large object and near the end: the rerun leaves every object intact, nothing partial', async () => {
    const args = ['migrate', '--progress', 'json', '--progress-interval', '0', '--concurrency', '2', '--part-size', '5'];
    const killPoints: [string, (state: RunState) => boolean][] = [
      ['early', (state) => state.namespace === 'uploads' && state.objectsDone >= 3],
      ['during a large object', (state) => state.namespace === 'uploads' && state.bytesCopied - state.copiedBytesOfDoneObjects >= 3 * MIB],
      ['near the end', (state) => state.namespace === 'avatars' && state.objectsTotal !== undefined && state.objectsDone >= state.objectsTotal - 3],
    ];
    for (const [when, condition] of killPoints) {
      const killed = await runStowage(args, env, condition);
      expect(killed.signal, `killed ${when} (stderr: ${killed.stderr.slice(-500)})`).toBe('SIGKILL');
      await expectFaithfulCopy(fixture, local, s3, false);
    }
    const uploadsBeforeRerun = (await listKeys(s3.uploads)).length;
    expect(uploadsBeforeRerun).toBeGreaterThan(3);

    const reportFile = join(scratch, 'rerun.json');
    const rerun = await runStowage(['migrate', '--progress', 'none', '--report', reportFile], env);
    expect(rerun.code, rerun.stderr).toBe(0);
    await expectFaithfulCopy(fixture, local, s3, true);
    const report = JSON.parse(await readFile(reportFile, 'utf8')) as { ok: boolean; copied: number; skipped: number; failed: number };
    expect(report.ok).toBe(true);
    expect(report.failed).toBe(0);
    expect(report.copied + report.skipped).toBe(fixture.length);
    expect(report.skipped).toBeGreaterThanOrEqual(uploadsBeforeRerun);
    expect(rerun.stdout).toMatch(/^uploads: copied \d+ objects .* skipped \d+ already there, 0 failed/mu);

    const resumedFile = join(scratch, 'resumed.json');
    const resumed = await runStowage(['migrate', '--report', resumedFile], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    const again = JSON.parse(await readFile(resumedFile, 'utf8')) as { copied: number; skipped: number; bytes: number };
    expect(again).toMatchObject({ copied: 0, skipped: fixture.length, bytes: 0 });
    // Not a terminal: periodic plain lines, never a redrawn bar.
    expect(resumed.stderr).toMatch(/^uploads: \d+\/\d+ objects/mu);
    expect(resumed.stderr).not.toContain('\r');
  }, 300_000);

  it('stops cleanly on SIGINT with exit code 130, leaving only whole objects, and a rerun finishes', async () => {
    const target = join(scratch, 'interrupted');
    const args = ['migrate', '--from', `local:${source}`, '--to', `local:${target}`, '--progress', 'json', '--progress-interval', '0', '--concurrency', '2'];
    const stopped = await runStowage(args, {}, (state) => state.namespace === 'uploads' && state.objectsDone >= 5, 'SIGINT');
    expect(stopped.code, stopped.stderr.slice(-500)).toBe(130);
    expect(stopped.stderr).toContain('run the same command again to resume');
    const targets = openStores(parseStorageSettings({ LOCAL_UPLOADS_DIR: target }));
    await expectFaithfulCopy(fixture, local, targets, false);
    const finished = await runStowage([...args.slice(0, 5), '--progress', 'none'], {});
    expect(finished.code, finished.stderr).toBe(0);
    await expectFaithfulCopy(fixture, local, targets, true);
  }, 120_000);

  it('migrates S3 back to a local directory, and one bucket to another, and verify-only finds differences', async () => {
    const settingsFile = join(scratch, 's3.env');
    await writeFile(settingsFile, Object.entries(s3Env).map(([name, value]) => `${name}=${value}`).join('\n'));
    const back = join(scratch, 'back');
    const toLocal = await runStowage(['migrate', '--from', `env:${settingsFile}`, '--to', `local:${back}`, '--progress', 'none'], {});
    expect(toLocal.code, toLocal.stderr).toBe(0);
    // One signal is shared by every request of the run: it must gather no listener per request.
    expect(toLocal.stderr).not.toContain('MaxListenersExceededWarning');
    const backStores = openStores(parseStorageSettings({ LOCAL_UPLOADS_DIR: back }));
    await expectFaithfulCopy(fixture, local, backStores, true);

    const bucketArgs = ['--from', 's3://avatars-bucket', '--to', 's3://copy-bucket', '--endpoint', server.endpoint, '--progress', 'none'];
    const bucketEnv = { S3_KEY: s3Env.S3_KEY ?? '', S3_SECRET_KEY: s3Env.S3_SECRET_KEY ?? '', S3_ADDRESSING_STYLE: 'path', S3_KEEPS_INTERRUPTED_UPLOADS: 'true' };
    const copied = await runStowage(['migrate', ...bucketArgs], bucketEnv);
    expect(copied.code, copied.stderr).toBe(0);
    const copy = openSpec(parseStoreSpec('s3://copy-bucket'), { env: { ...bucketEnv, S3_ENDPOINT_URL: server.endpoint } });
    const copyStore = copy.kind === 'single' ? copy.store : copy.stores.uploads;
    await expectFaithfulCopy(fixture.filter((object) => object.namespace === 'avatars'), local, { uploads: copyStore, avatars: copyStore }, false);
    expect((await listKeys(copyStore)).length).toBe(fixture.filter((object) => object.namespace === 'avatars').length);

    const verified = await runStowage(['migrate', '--verify-only', ...bucketArgs], bucketEnv);
    expect(verified.code, verified.stderr).toBe(0);
    const gone = fixture.find((object) => object.key.endsWith('/realm/icon.png'));
    await copyStore.delete(gone?.key ?? '');
    await copyStore.put('stray/object.txt', 'only in the copy');
    const differs = await runStowage(['migrate', '--verify-only', ...bucketArgs], bucketEnv);
    expect(differs.code).toBe(1);
    expect(differs.stdout).toContain(`missing     ${gone?.key ?? ''}`);
    expect(differs.stdout).toContain('only-target stray/object.txt');
    closeSpec(copy);
  }, 300_000);

  it('stowage check reports each store, and stowage ls lists both namespaces', async () => {
    const checked = await runStowage(['check'], s3Env);
    const lines = checked.stdout.trim().split('\n');
    for (const namespace of ['uploads', 'avatars']) {
      for (const check of ['credentials', 'bucket', 'write', 'read', 'delete']) {
        expect(lines.some((line) => line.startsWith('ok') && line.includes(`${namespace} `) && line.includes(` ${check}:`)), `${namespace} ${check}\n${checked.stdout}`).toBe(true);
      }
    }
    expect(lines.some((line) => /^ok\s+avatars\s+public read: readable without credentials/u.test(line))).toBe(true);
    // s3rver enforces no access control at all, so the uploads bucket is readable anonymously: check must say so.
    expect(lines.some((line) => /^FAIL\s+uploads\s+private: .* anyone can read uploads/u.test(line))).toBe(true);
    expect(checked.code).toBe(1);

    const missingBucket = await runStowage(['check'], { ...s3Env, S3_AUTH_UPLOADS_BUCKET: 'no-such-bucket' });
    expect(missingBucket.code).toBe(1);
    expect(missingBucket.stdout).toMatch(/^FAIL\s+uploads\s+bucket: bucket no-such-bucket .*does not exist/mu);

    const listed = await runStowage(['ls', '--prefix', '2/realm/'], s3Env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout.trim().split('\n')).toEqual(
      fixture.filter((object) => object.key.startsWith('2/realm/')).map((object) => `${object.namespace}/${object.key}`).sort(),
    );
  }, 120_000);
});

describe('stowage against an S3-compatible server over HTTPS', () => {
  let tlsServer: S3TestServer;
  let tlsS3Env: Record<string, string>;
  let tlsEnv: Record<string, string>;

  beforeAll(async () => {
    tlsServer = await startS3Server({ buckets: ['tls-uploads', 'tls-avatars'], tls: true });
    tlsS3Env = { ...s3Env, S3_AUTH_UPLOADS_BUCKET: 'tls-uploads', S3_AVATAR_BUCKET: 'tls-avatars', S3_ENDPOINT_URL: tlsServer.endpoint };
    tlsEnv = { ...tlsS3Env, LOCAL_UPLOADS_DIR: source };
  }, 60_000);

  afterAll(async () => {
    await tlsServer.stop();
  });

  it('refuses a server certificate from an authority it was not told to trust, at once and writing nothing', async () => {
    const refused = await runStowage(['migrate', '--progress', 'none'], tlsEnv);
    // A settings error (2), not an outage (1) retried with backoff: a retry would meet the same certificate.
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toContain(
      `list of s3://tls-uploads failed: ${tlsServer.endpoint} presented a TLS certificate this process does not accept ` +
        '(UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate)',
    );
    expect(refused.stderr).toContain('NODE_EXTRA_CA_CERTS');
    const listed = await runStowage(['ls'], { ...tlsS3Env, NODE_EXTRA_CA_CERTS: TEST_TLS_FILES.certificateAuthority });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toBe('');
  }, 120_000);

  it('migrates to the buckets and back, byte for byte with metadata, trusting the authority named in NODE_EXTRA_CA_CERTS', async () => {
    const trusted = { ...tlsEnv, NODE_EXTRA_CA_CERTS: TEST_TLS_FILES.certificateAuthority };
    const there = await runStowage(['migrate', '--progress', 'none'], trusted);
    expect(there.code, there.stderr).toBe(0);
    expect(there.stdout).toMatch(/^uploads: copied \d+ objects .* 0 failed/mu);

    const settingsFile = join(scratch, 'tls.env');
    await writeFile(settingsFile, Object.entries(tlsS3Env).map(([name, value]) => `${name}=${value}`).join('\n'));
    const back = join(scratch, 'back-over-tls');
    const home = await runStowage(['migrate', '--from', `env:${settingsFile}`, '--to', `local:${back}`, '--progress', 'none'], {
      NODE_EXTRA_CA_CERTS: TEST_TLS_FILES.certificateAuthority,
    });
    expect(home.code, home.stderr).toBe(0);
    await expectFaithfulCopy(fixture, local, openStores(parseStorageSettings({ LOCAL_UPLOADS_DIR: back })), true);

    const checked = await runStowage(['check'], { ...tlsS3Env, NODE_EXTRA_CA_CERTS: TEST_TLS_FILES.certificateAuthority });
    expect(checked.stdout).toMatch(/^ok\s+uploads\s+read: read \S+ back, bytes identical$/mu);
    expect(checked.stdout).toMatch(/^ok\s+avatars\s+public read: readable without credentials at https:/mu);
  }, 300_000);
});

describe('stowage migrate against an endpoint that accepts connections and never answers', () => {
  it('ends within 60 s with Unavailable naming the endpoint, not a wait per retry layer', async () => {
    const sockets = new Set<Socket>();
    const silent = createTcpServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const started = Date.now();
      const run = await runStowage(['migrate', '--progress', 'none'], { ...env, S3_ENDPOINT_URL: endpoint });
      const seconds = (Date.now() - started) / 1000;
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`failed: ${endpoint.replace(/[.]/gu, '\\.')} is unavailable \\((TimeoutError|ETIMEDOUT)`, 'u'));
      // Two socket timeouts of 20 s under the SDK's strategy, and no second layer stacked on them.
      expect(seconds).toBeLessThan(60);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 120_000);
});
