import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectBytes } from '@stowage/core';
import type { Environment } from '@stowage/core';
import { runCli } from './cli.ts';
import { parseEnvFile } from '../env-file.ts';
import { blockingNodeFileSystem } from '@stowage/local';
import type { LocalFileSystem } from '@stowage/local';
import { openSpec, parseStoreSpec, storeOf } from './store-spec.ts';

interface Captured {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function run(argv: readonly string[], env: Environment = {}): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    // Journals go to the scratch directory, not the home of whoever runs the tests.
    env: { XDG_STATE_HOME: join(scratch, 'state'), ...env },
    stdout: {
      write: (text) => {
        stdout += text;
      },
    },
    stderr: {
      write: (text) => {
        stderr += text;
      },
    },
    interactive: false,
    signal: new AbortController().signal,
  });
  return { code, stdout, stderr };
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'stowage-cli-unit-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('stowage command line', () => {
  it('prints usage with exit code 2 for no command or an unknown one, and help with 0', async () => {
    expect(await run([])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('usage: stowage <command>') as string,
    });
    expect(await run(['frobnicate'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown command "frobnicate"') as string,
    });
    expect(await run(['migrate', '--help'])).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('--dry-run') as string,
    });
  });

  it('names an unknown option, a missing value and a bad number, with the command usage and exit code 2', async () => {
    const unknown = await run(['ls', '--colour']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--colour'");
    expect(unknown.stderr).toContain('usage: stowage ls');
    const concurrency = await run(['migrate', '--concurrency', 'lots'], {
      LOCAL_UPLOADS_DIR: scratch,
      S3_AUTH_UPLOADS_BUCKET: 'up-bucket',
      S3_AVATAR_BUCKET: 'av-bucket',
    });
    expect(concurrency).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--concurrency must be a whole number from 1 to 256, not "lots"') as string,
    });
    expect(
      (await run(['migrate', '--dry-run', '--verify-only', '--from', `dir:${scratch}`, '--to', `dir:${scratch}/x`]))
        .stderr,
    ).toContain('exclude each other');
    expect((await run(['migrate', '--from', 'ftp://host'])).stderr).toContain('"ftp://host" is not a store');
  });

  it('says which setting is missing or wrong, with exit code 2', async () => {
    expect(await run(['migrate'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('LOCAL_UPLOADS_DIR is not set') as string,
    });
    expect(await run(['migrate'], { LOCAL_UPLOADS_DIR: scratch })).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('S3_AUTH_UPLOADS_BUCKET and S3_AVATAR_BUCKET are not set') as string,
    });
    const bad = await run(['check'], { S3_AUTH_UPLOADS_BUCKET: 'Bad_Bucket', S3_AVATAR_BUCKET: 'av-bucket' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('S3_AUTH_UPLOADS_BUCKET "Bad_Bucket" is not a valid bucket name');
  });

  it('refuses to migrate a store onto itself, and a deployment onto one store without --namespace', async () => {
    expect((await run(['migrate', '--from', `dir:${scratch}`, '--to', `dir:${scratch}`])).stderr).toContain(
      'the same store',
    );
    const mixed = await run(['migrate', '--from', `local:${scratch}`, '--to', `dir:${join(scratch, 'one')}`]);
    expect(mixed).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('choose one with --namespace uploads|avatars') as string,
    });
  });

  it('prints both bucket policies as valid JSON, or one with --only', async () => {
    const both = await run([
      'policy',
      '--uploads-bucket',
      'chat-uploads',
      '--avatars-bucket',
      'chat-avatars',
      '--principal',
      'arn:aws:iam::123456789012:role/chat',
    ]);
    expect(both.code).toBe(0);
    const parsed = JSON.parse(both.stdout) as {
      uploads: { Statement: { Principal: unknown }[] };
      avatars: { Statement: { Principal: unknown; Action: unknown }[] };
    };
    expect(parsed.uploads.Statement.some((statement) => statement.Principal === '*')).toBe(false);
    expect(parsed.avatars.Statement).toContainEqual(
      expect.objectContaining({ Principal: '*', Action: 's3:GetObject' }),
    );
    const only = JSON.parse(
      (
        await run([
          'policy',
          '--uploads-bucket',
          'chat-uploads',
          '--avatars-bucket',
          'chat-avatars',
          '--principal',
          'x',
          '--only',
          'uploads',
        ])
      ).stdout,
    ) as { Version: string };
    expect(only.Version).toBe('2012-10-17');
    expect(
      await run(['policy', '--uploads-bucket', 'same-name', '--avatars-bucket', 'same-name', '--principal', 'x']),
    ).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('must differ') as string,
    });
  });

  it('checks a local deployment, and fails with the reason when LOCAL_UPLOADS_DIR is missing', async () => {
    const good = await run(['check'], { LOCAL_UPLOADS_DIR: scratch });
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/^ok\s+uploads\s+temporary files: .* same file system/mu);
    expect(good.stdout).toMatch(/^ok\s+avatars\s+delete: deleted stowage-check\//mu);
    const missing = await run(['check'], { LOCAL_UPLOADS_DIR: join(scratch, 'nowhere') });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/^FAIL\s+settings\s+LOCAL_UPLOADS_DIR: .*nowhere cannot be read/mu);
  });

  it('dry-runs and copies between two local deployments, with a JSON report', async () => {
    const from = join(scratch, 'from');
    await mkdir(join(from, 'files'), { recursive: true });
    await mkdir(join(from, 'avatars'), { recursive: true });
    await writeFile(join(from, 'files', 'a.txt'), 'attachment');
    await writeFile(join(from, 'avatars', 'b.png'), 'avatar');
    const to = join(scratch, 'to');
    const planned = await run([
      'migrate',
      '--from',
      `local:${from}`,
      '--to',
      `local:${to}`,
      '--dry-run',
      '--progress',
      'none',
    ]);
    expect(planned.code).toBe(0);
    expect(planned.stdout).toContain('uploads: would copy 1 objects (10 B)');
    const report = join(scratch, 'report.json');
    const copied = await run([
      'migrate',
      '--from',
      `local:${from}`,
      '--to',
      `local:${to}`,
      '--report',
      report,
      '--progress',
      'lines',
    ]);
    expect(copied.code).toBe(0);
    expect(copied.stderr).toMatch(/^avatars: 1\/1 objects/mu);
    const listed = await run(['ls', '--store', `local:${to}`]);
    expect(listed.stdout).toBe('uploads/a.txt\navatars/b.png\n');
  });
});

describe('stowage migrate journal', () => {
  it('keeps a journal per source and target in --journal-dir, none with --no-journal, and a rerun skips by it', async () => {
    const from = join(scratch, 'journal-from');
    await mkdir(join(from, 'x'), { recursive: true });
    await writeFile(join(from, 'x', 'a.txt'), 'one');
    await writeFile(join(from, 'x', 'b.txt'), 'two');
    const to = join(scratch, 'journal-to');
    const journals = join(scratch, 'journals');
    const args = [
      'migrate',
      '--from',
      `dir:${from}`,
      '--to',
      `dir:${to}`,
      '--progress',
      'none',
      '--journal-dir',
      journals,
    ];
    expect((await run(args)).stdout).toContain('copied 2 objects');
    const [file] = await readdir(journals);
    expect(file).toMatch(/^[0-9a-f]{32}\.journal$/u);
    const lines = (await readFile(join(journals, file ?? ''), 'utf8')).trim().split('\n');
    expect(lines.slice(1).map((line) => (JSON.parse(line) as unknown[])[0])).toEqual(['x/a.txt', 'x/b.txt']);
    expect((await run(args)).stdout).toContain('skipped 2 already there');
    await writeFile(join(from, 'x', 'b.txt'), 'TWO');
    expect((await run(args)).stdout).toContain('copied 1 objects');
    const unjournaled = join(scratch, 'unjournaled');
    await run([
      'migrate',
      '--from',
      `dir:${from}`,
      '--to',
      `dir:${join(scratch, 'journal-to-2')}`,
      '--progress',
      'none',
      '--no-journal',
      '--journal-dir',
      unjournaled,
    ]);
    await expect(readdir(unjournaled)).rejects.toThrow(/ENOENT/u);
  });
});

describe('settings files and store specs', () => {
  it('reads KEY=value lines with comments, export and quotes, and names a bad line', () => {
    expect(
      parseEnvFile(
        '# storage\nexport S3_REGION=eu-west-1\nS3_KEY="a b"\nS3_SECRET_KEY=\'c#d\'\nEMPTY=\nTRAIL=x # note\n',
        'f.env',
      ),
    ).toEqual({
      S3_REGION: 'eu-west-1',
      S3_KEY: 'a b',
      S3_SECRET_KEY: 'c#d',
      EMPTY: '',
      TRAIL: 'x',
    });
    expect(() => parseEnvFile('OK=1\nnot a setting\n', 'f.env')).toThrow('f.env line 2 is not a KEY=value setting');
  });

  it('parses each spec form and rejects bad ones with the reason', () => {
    expect(parseStoreSpec('s3://chat-uploads')).toMatchObject({ kind: 'bucket', bucket: 'chat-uploads' });
    expect(parseStoreSpec('dir:/srv/x')).toMatchObject({ kind: 'directory', path: '/srv/x' });
    expect(parseStoreSpec('local:/srv/uploads')).toMatchObject({
      kind: 'deployment',
      settings: { backend: 'local', localUploadsDir: '/srv/uploads' },
    });
    expect(() => parseStoreSpec('s3://No')).toThrow('is not a valid bucket name');
    expect(() => parseStoreSpec('local:')).toThrow('names no directory');
    expect(() => parseStoreSpec('env:/no/such/file.env')).toThrow('cannot read the settings file');
  });

  it('opens local stores, one directory or both namespaces, on the file system it is given', async () => {
    const root = await mkdtemp(join(tmpdir(), 'stowage-spec-fs-'));
    try {
      const calls: string[] = [];
      // The blocking file system with every call recorded by name: the stores must reach the disk through it.
      const recorded =
        (name: string, call: (...args: never[]) => unknown) =>
        (...args: never[]): unknown => {
          calls.push(name);
          return call(...args);
        };
      const recording = Object.fromEntries(
        Object.entries(blockingNodeFileSystem).map(([name, value]: [string, unknown]) => [
          name,
          typeof value === 'function' ? recorded(name, value as (...args: never[]) => unknown) : value,
        ]),
      ) as unknown as LocalFileSystem;
      const single = openSpec(parseStoreSpec(`dir:${join(root, 'one')}`), { env: {}, localFileSystem: recording });
      await storeOf(single, 'uploads').put('a/b.txt', 'x');
      expect(calls).toContain('open');
      calls.length = 0;
      const deployment = openSpec(parseStoreSpec(`local:${join(root, 'deployment')}`), {
        env: {},
        localFileSystem: recording,
      });
      for (const namespace of ['uploads', 'avatars'] as const) {
        const store = storeOf(deployment, namespace);
        await store.put('c.txt', namespace);
        expect(new TextDecoder().decode(await collectBytes((await store.get('c.txt')).body))).toBe(namespace);
      }
      expect(calls.filter((name) => name === 'open').length).toBeGreaterThanOrEqual(4);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('what an operator expects of the command', () => {
  it('prints its version with --version, from its package.json', async () => {
    const manifest = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(await run(['--version'])).toEqual({ code: 0, stdout: `stowage ${manifest.version}\n`, stderr: '' });
    expect((await run(['--help'])).stdout).toMatch(/Exit codes: 0 success; 1 .*; 2 /su);
  });

  it('answers a settings file that does not exist with exit code 2 naming it, for --settings and --env-file', async () => {
    const missing = join(scratch, 'no-such-settings.env');
    for (const option of ['--settings', '--env-file']) {
      for (const command of ['migrate', 'check', 'ls']) {
        const result = await run([command, option, missing]);
        expect(result.code, `${command} ${option}`).toBe(2);
        expect(result.stderr).toContain(`cannot read the settings file ${missing}`);
      }
    }
  });

  it('refuses to migrate from a directory that does not exist or holds no uploads, naming it, with exit code 2', async () => {
    const target = join(scratch, 'refused-target');
    const nowhere = join(scratch, 'no-such-uploads');
    const absent = await run(['migrate', '--from', `local:${nowhere}`, '--to', `local:${target}`]);
    expect(absent).toMatchObject({ code: 2, stdout: '' });
    expect(absent.stderr).toContain(`the source directory ${nowhere} (local:${nowhere}) does not exist`);
    const bare = join(scratch, 'not-uploads');
    await mkdir(join(bare, 'something-else'), { recursive: true });
    const wrong = await run(['migrate', '--progress', 'none'], {
      LOCAL_UPLOADS_DIR: bare,
      S3_AUTH_UPLOADS_BUCKET: 'up-bucket',
      S3_AVATAR_BUCKET: 'av-bucket',
    });
    expect(wrong).toMatchObject({ code: 2, stdout: '' });
    expect(wrong.stderr).toContain(
      `the source directory ${bare} (local:${bare}) holds no files in files/ and avatars/`,
    );
    await mkdir(join(bare, 'files'));
    expect(
      (await run(['migrate', '--from', `local:${bare}`, '--to', `local:${target}`, '--namespace', 'uploads'])).stderr,
    ).toContain('holds no files in files/:');
    const emptyDir = await run(['migrate', '--from', `dir:${join(bare, 'files')}`, '--to', `dir:${target}`]);
    expect(emptyDir.code).toBe(2);
    expect(emptyDir.stderr).toContain(
      `the source directory ${join(bare, 'files')} (dir:${join(bare, 'files')}) is empty`,
    );
    expect((await run(['migrate', '--from', `dir:${nowhere}`, '--to', `dir:${target}`])).stderr).toContain(
      `${nowhere} (dir:${nowhere}) does not exist`,
    );
  });

  it('lists as JSON lines with --json, and checks both sides of a migration as one JSON document', async () => {
    const from = join(scratch, 'json-from');
    const to = join(scratch, 'json-to');
    await mkdir(join(from, 'files', 'ab'), { recursive: true });
    await mkdir(join(from, 'avatars'), { recursive: true });
    await mkdir(join(to, 'files'), { recursive: true });
    await mkdir(join(to, 'avatars'), { recursive: true });
    await writeFile(join(from, 'files', 'ab', 'note.txt'), 'hello');
    const listed = await run(['ls', '--store', `local:${from}`, '--json']);
    expect(listed.code).toBe(0);
    const lines = listed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      {
        namespace: 'uploads',
        key: 'ab/note.txt',
        size: 5,
        lastModified: expect.stringMatching(/^\d{4}-\d\d-\d\dT/u) as string,
        etag: expect.any(String) as string,
      },
    ]);
    const single = await run(['ls', '--store', `dir:${join(from, 'files')}`, '--json']);
    expect(JSON.parse(single.stdout) as unknown).toMatchObject({ namespace: null, key: 'ab/note.txt' });
    expect((await run(['ls', '--json', '--long', '--store', `local:${from}`])).code).toBe(2);

    const settings = join(scratch, 'migration.env');
    await writeFile(settings, `LOCAL_UPLOADS_DIR=${from}\n`);
    const checked = await run(['check', '--settings', settings, '--to', `local:${to}`, '--json']);
    expect(checked.code).toBe(0);
    const report = JSON.parse(checked.stdout) as {
      ok: boolean;
      failed: number;
      results: { side: string; store: string; status: string; namespace: string; check: string }[];
    };
    expect(report).toMatchObject({ ok: true, failed: 0 });
    expect(new Set(report.results.map((result) => `${result.side} ${result.store}`))).toEqual(
      new Set([`from local:${from}`, `to local:${to}`]),
    );
    expect(
      report.results
        .filter((result) => result.check === 'write')
        .map((result) => `${result.side} ${result.namespace} ${result.status}`)
        .sort(),
    ).toEqual(['from avatars ok', 'from uploads ok', 'to avatars ok', 'to uploads ok']);
    const broken = await run(['check', '--from', `local:${from}`, '--to', `local:${join(scratch, 'json-nowhere')}`]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`from local:${from}\n`);
    expect(broken.stdout).toMatch(/^FAIL\s+settings\s+LOCAL_UPLOADS_DIR/mu);
    expect((await run(['check', '--to', `dir:${to}`], { LOCAL_UPLOADS_DIR: from })).stderr).toContain(
      'check takes a deployment',
    );
  });
});
