import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStorageSettings } from '@stowage/core';
import { openStores } from '../src/open-stores.ts';
import type { Stores } from '../src/open-stores.ts';
import { closeSpec, openSpec, parseStoreSpec } from '../src/cli/store-spec.ts';
import { runStowage } from './run-stowage.ts';
import type { RunOptions, RunResult, RunState } from './run-stowage.ts';
import { expectFaithfulCopy, listKeys, writeZulipUploads } from './zulip-uploads.ts';
import type { FixtureObject } from './zulip-uploads.ts';

const MIB = 1024 * 1024;

/** An S3 server the command's end-to-end tests run against, with three empty buckets made for them. */
export interface S3ServerUnderTest {
  readonly endpoint: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly buckets: { readonly uploads: string; readonly avatars: string; readonly copy: string };
  /** Settings the server needs beyond the endpoint and keys (s3rver: `S3_KEEPS_INTERRUPTED_UPLOADS`). */
  readonly extraSettings: Readonly<Record<string, string>>;
  /**
   * Whether the server enforces access control: a real S3 keeps the uploads bucket private, so `stowage check` must
   * pass every check; s3rver lets anyone read it, so the check must say so and fail.
   */
  readonly enforcesAccess: boolean;
  readonly stop: () => Promise<void>;
}

/** What the suite's tests share once the server is up. */
export interface S3CommandContext {
  readonly server: S3ServerUnderTest;
  readonly scratch: string;
  /** The Zulip uploads directory the tests migrate from. */
  readonly source: string;
  readonly fixture: readonly FixtureObject[];
  /** The S3 settings (both buckets), and the same with `LOCAL_UPLOADS_DIR` for a local-to-S3 migration. */
  readonly s3Env: Record<string, string>;
  readonly env: Record<string, string>;
  readonly local: Stores;
  readonly s3: Stores;
  readonly run: (
    args: readonly string[],
    env: Record<string, string>,
    options?: Omit<RunOptions, 'stateHome'>,
  ) => Promise<RunResult>;
}

/**
 * The `stowage` command against one S3 server, end to end: a migration killed with SIGKILL three times and resumed,
 * S3 back to a local directory (killed once and resumed) and bucket to bucket with verify-only, `check` and `ls`. Returns the context for
 * server-specific tests in the same file.
 */
export function describeStowageOnS3(
  serverName: string,
  startServer: () => Promise<S3ServerUnderTest>,
): () => S3CommandContext {
  let context: S3CommandContext | undefined;
  const shared = (): S3CommandContext => {
    if (context === undefined) throw new Error('the S3 command suite is only available inside its tests');
    return context;
  };

  beforeAll(async () => {
    const server = await startServer();
    const scratch = await mkdtemp(join(tmpdir(), 'stowage-cli-'));
    const source = join(scratch, 'uploads');
    const fixture = await writeZulipUploads(source, { largeSizes: [24 * MIB, 20 * MIB, 16 * MIB], attachments: 40 });
    const s3Env = {
      S3_AUTH_UPLOADS_BUCKET: server.buckets.uploads,
      S3_AVATAR_BUCKET: server.buckets.avatars,
      S3_ENDPOINT_URL: server.endpoint,
      S3_REGION: 'us-east-1',
      S3_ADDRESSING_STYLE: 'path',
      S3_KEY: server.credentials.accessKeyId,
      S3_SECRET_KEY: server.credentials.secretAccessKey,
      ...server.extraSettings,
    };
    const stateHome = join(scratch, 'state');
    context = {
      server,
      scratch,
      source,
      fixture,
      s3Env,
      env: { ...s3Env, LOCAL_UPLOADS_DIR: source },
      local: openStores(parseStorageSettings({ LOCAL_UPLOADS_DIR: source })),
      s3: openStores(parseStorageSettings(s3Env)),
      run: (args, env, options = {}) => runStowage(args, env, { ...options, stateHome }),
    };
  }, 300_000);

  afterAll(async () => {
    context?.s3.close();
    await context?.server.stop();
    if (context !== undefined) await rm(context.scratch, { recursive: true, force: true });
  });

  describe(`stowage against ${serverName}`, () => {
    it('survives SIGKILL early, during a large object and near the end: the rerun leaves every object intact, nothing partial', async () => {
      const { run, env, fixture, local, s3, scratch } = shared();
      const args = [
        'migrate',
        '--progress',
        'json',
        '--progress-interval',
        '0',
        '--concurrency',
        '2',
        '--part-size',
        '5',
      ];
      const killPoints: [string, (state: RunState) => boolean][] = [
        ['early', (state) => state.namespace === 'uploads' && state.objectsDone >= 3],
        [
          'during a large object',
          (state) => state.namespace === 'uploads' && state.bytesCopied - state.copiedBytesOfDoneObjects >= 3 * MIB,
        ],
        [
          'near the end',
          (state) =>
            state.namespace === 'avatars' &&
            state.objectsTotal !== undefined &&
            state.objectsDone >= state.objectsTotal - 3,
        ],
      ];
      for (const [when, condition] of killPoints) {
        const killed = await run(args, env, { killWhen: condition });
        expect(killed.signal, `killed ${when} (stderr: ${killed.stderr.slice(-500)})`).toBe('SIGKILL');
        // Whatever the killed run left: every object there is whole, with its metadata, or absent.
        await expectFaithfulCopy(fixture, local, s3, false);
      }
      const uploadsBeforeRerun = (await listKeys(s3.uploads)).length;
      expect(uploadsBeforeRerun).toBeGreaterThan(3);

      const reportFile = join(scratch, 'rerun.json');
      const rerun = await run(['migrate', '--progress', 'none', '--report', reportFile], env);
      expect(rerun.code, rerun.stderr).toBe(0);
      await expectFaithfulCopy(fixture, local, s3, true);
      const report = JSON.parse(await readFile(reportFile, 'utf8')) as {
        ok: boolean;
        copied: number;
        skipped: number;
        failed: number;
      };
      expect(report.ok).toBe(true);
      expect(report.failed).toBe(0);
      expect(report.copied + report.skipped).toBe(fixture.length);
      expect(report.skipped).toBeGreaterThanOrEqual(uploadsBeforeRerun);
      expect(rerun.stdout).toMatch(/^uploads: copied \d+ objects .* skipped \d+ already there, 0 failed/mu);

      const resumedFile = join(scratch, 'resumed.json');
      const resumed = await run(['migrate', '--report', resumedFile], env);
      expect(resumed.code, resumed.stderr).toBe(0);
      const again = JSON.parse(await readFile(resumedFile, 'utf8')) as {
        copied: number;
        skipped: number;
        bytes: number;
      };
      expect(again).toMatchObject({ copied: 0, skipped: fixture.length, bytes: 0 });
      // Not a terminal: periodic plain lines, never a redrawn bar.
      expect(resumed.stderr).toMatch(/^uploads: \d+\/\d+ objects/mu);
      expect(resumed.stderr).not.toContain('\r');
    }, 600_000);

    it('migrates S3 back to a local directory (killed midway, then resumed), and one bucket to another, and verify-only finds differences', async () => {
      const { run, server, s3Env, env, fixture, local, scratch } = shared();
      // The buckets hold the fixture whether or not the test above ran first.
      expect((await run(['migrate', '--progress', 'none'], env)).code).toBe(0);
      const settingsFile = join(scratch, 's3.env');
      await writeFile(
        settingsFile,
        Object.entries(s3Env)
          .map(([name, value]) => `${name}=${value}`)
          .join('\n'),
      );
      const back = join(scratch, 'back');
      const backArgs = ['migrate', '--from', `env:${settingsFile}`, '--to', `local:${back}`];
      const backStores = openStores(parseStorageSettings({ LOCAL_UPLOADS_DIR: back }));
      const killed = await run(
        [...backArgs, '--progress', 'json', '--progress-interval', '0', '--concurrency', '2'],
        {},
        {
          killWhen: (state) =>
            state.namespace === 'uploads' && state.bytesCopied - state.copiedBytesOfDoneObjects >= 3 * MIB,
        },
      );
      expect(killed.signal, killed.stderr.slice(-500)).toBe('SIGKILL');
      await expectFaithfulCopy(fixture, local, backStores, false);
      const toLocal = await run([...backArgs, '--progress', 'none'], {});
      expect(toLocal.code, toLocal.stderr).toBe(0);
      // One signal is shared by every request of the run: it must gather no listener per request.
      expect(toLocal.stderr).not.toContain('MaxListenersExceededWarning');
      await expectFaithfulCopy(fixture, local, backStores, true);

      const { avatars, copy: copyBucket } = server.buckets;
      const bucketArgs = [
        '--from',
        `s3://${avatars}`,
        '--to',
        `s3://${copyBucket}`,
        '--endpoint',
        server.endpoint,
        '--progress',
        'none',
      ];
      const bucketEnv = {
        S3_KEY: server.credentials.accessKeyId,
        S3_SECRET_KEY: server.credentials.secretAccessKey,
        S3_ADDRESSING_STYLE: 'path',
        ...server.extraSettings,
      };
      const copied = await run(['migrate', ...bucketArgs], bucketEnv);
      expect(copied.code, copied.stderr).toBe(0);
      const copy = openSpec(parseStoreSpec(`s3://${copyBucket}`), {
        env: { ...bucketEnv, S3_ENDPOINT_URL: server.endpoint },
      });
      const copyStore = copy.kind === 'single' ? copy.store : copy.stores.uploads;
      const avatarObjects = fixture.filter((object) => object.namespace === 'avatars');
      await expectFaithfulCopy(avatarObjects, local, { uploads: copyStore, avatars: copyStore }, false);
      expect((await listKeys(copyStore)).length).toBe(avatarObjects.length);

      const verified = await run(['migrate', '--verify-only', ...bucketArgs], bucketEnv);
      expect(verified.code, verified.stderr).toBe(0);
      const gone = fixture.find((object) => object.key.endsWith('/realm/icon.png'));
      await copyStore.delete(gone?.key ?? '');
      await copyStore.put('stray/object.txt', 'only in the copy');
      const differs = await run(['migrate', '--verify-only', ...bucketArgs], bucketEnv);
      expect(differs.code).toBe(1);
      expect(differs.stdout).toContain(`missing     ${gone?.key ?? ''}`);
      expect(differs.stdout).toContain('only-target stray/object.txt');
      closeSpec(copy);
    }, 600_000);

    it('stowage check reports each store, and stowage ls lists both namespaces', async () => {
      const { run, server, s3Env, env, fixture } = shared();
      expect((await run(['migrate', '--progress', 'none'], env)).code).toBe(0);
      const checked = await run(['check'], s3Env);
      const lines = checked.stdout.trim().split('\n');
      for (const namespace of ['uploads', 'avatars']) {
        for (const check of ['credentials', 'bucket', 'write', 'read', 'delete']) {
          expect(
            lines.some(
              (line) => line.startsWith('ok') && line.includes(`${namespace} `) && line.includes(` ${check}:`),
            ),
            `${namespace} ${check}\n${checked.stdout}`,
          ).toBe(true);
        }
      }
      expect(
        lines.some((line) => /^ok\s+avatars\s+public read: readable without credentials/u.test(line)),
        checked.stdout,
      ).toBe(true);
      if (server.enforcesAccess) {
        expect(
          lines.filter((line) => !line.startsWith('ok')),
          checked.stdout,
        ).toEqual(['all checks passed']);
        expect(checked.code).toBe(0);
      } else {
        // s3rver enforces no access control at all, so the uploads bucket is readable anonymously: check must say so.
        expect(lines.some((line) => /^FAIL\s+uploads\s+private: .* anyone can read uploads/u.test(line))).toBe(true);
        expect(checked.code).toBe(1);
      }

      const missingBucket = await run(['check'], { ...s3Env, S3_AUTH_UPLOADS_BUCKET: 'no-such-bucket' });
      expect(missingBucket.code).toBe(1);
      expect(missingBucket.stdout).toMatch(/^FAIL\s+uploads\s+bucket: bucket no-such-bucket .*does not exist/mu);

      const listed = await run(['ls', '--prefix', '2/realm/'], s3Env);
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout.trim().split('\n')).toEqual(
        fixture
          .filter((object) => object.key.startsWith('2/realm/'))
          .map((object) => `${object.namespace}/${object.key}`)
          .sort(),
      );
    }, 300_000);

    it('stowage check takes the settings file migrate reads and checks both sides of the migration', async () => {
      const { run, server, scratch, env, source } = shared();
      const settings = join(scratch, 'migration.env');
      await writeFile(
        settings,
        Object.entries(env)
          .map(([name, value]) => `${name}=${value}`)
          .join('\n'),
      );
      const checked = await run(['check', '--settings', settings, '--json'], {});
      const report = JSON.parse(checked.stdout) as {
        ok: boolean;
        results: { side: string; store: string; status: string; namespace: string; check: string }[];
      };
      expect(new Set(report.results.map((result) => `${result.side} ${result.store}`))).toEqual(
        new Set([`from local:${source}`, `to s3://${server.buckets.uploads} and s3://${server.buckets.avatars}`]),
      );
      expect(report.results.filter((result) => result.side === 'from' && result.status === 'fail')).toEqual([]);
      for (const namespace of ['uploads', 'avatars']) {
        expect(
          report.results.some(
            (result) =>
              result.side === 'to' &&
              result.namespace === namespace &&
              result.check === 'write' &&
              result.status === 'ok',
          ),
        ).toBe(true);
      }
      expect(checked.code).toBe(server.enforcesAccess ? 0 : 1);
      expect(report.ok).toBe(server.enforcesAccess);
    }, 120_000);

    it('prints process warnings (the SDK on Node 20) above the progress bar, never into it', async () => {
      const { run, env } = shared();
      const planned = await run(['migrate', '--dry-run', '--progress', 'bar', '--progress-interval', '0'], env);
      expect(planned.code, planned.stderr).toBe(0);
      expect(planned.stderr).toMatch(/\] +\d+%/u);
      // Node's own printer, bypassed: it writes "(node:PID)" wherever the cursor is.
      expect(planned.stderr).not.toContain('(node:');
      const warned = planned.stderr.split('\n').filter((line) => line.includes('NodeVersionSupportWarning'));
      if (Number(process.versions.node.split('.')[0]) < 22) {
        expect(warned).toHaveLength(1);
        const shown = (warned[0] ?? '').split('\r').pop() ?? '';
        // What is left on screen after the bar's last carriage return: an erased line, then the warning alone.
        expect(shown.replace('\x1b[2K', '')).toMatch(/^\(stowage:\d+\) Warning: NodeVersionSupportWarning: /u);
      } else {
        expect(warned).toEqual([]);
      }
    }, 120_000);
  });

  return shared;
}
