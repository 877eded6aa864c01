import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server } from '@stowage/s3-test-server';
import type { S3TestServer } from '@stowage/s3-test-server';
import { PUBLISHED } from './published.ts';

const run = promisify(execFile);
const WORKSPACE = fileURLToPath(new URL('../../..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../fixture/', import.meta.url));
const TSC = join(WORKSPACE, 'node_modules', 'typescript', 'bin', 'tsc');

let scratch: string | undefined;
let project: string;
let tarballs: string[];
let server: S3TestServer | undefined;

// npm's own environment from the test runner (a workspace, its config) must not leak into the scratch project.
const npmEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')),
);

beforeAll(async () => {
  const root = await mkdtemp(join(tmpdir(), 'stowage-consumer-'));
  scratch = root;
  const packed = join(root, 'tarballs');
  await mkdir(packed);
  // `npm pack` runs each package's prepack, which builds its dist/ as a publish would.
  await run('npm', ['pack', '--pack-destination', packed, ...PUBLISHED.flatMap((name) => ['--workspace', name])], {
    cwd: WORKSPACE,
    env: npmEnv,
  });
  tarballs = (await readdir(packed)).map((file) => join(packed, file));
  project = join(root, 'project');
  await mkdir(project);
  const dependencies = Object.fromEntries(
    PUBLISHED.map((name) => {
      const file = `${name.replace('@', '').replace('/', '-')}-0.1.0.tgz`;
      return [name, `file:${join(packed, file)}`];
    }),
  );
  await writeFile(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies }, null, 2),
  );
  await copyFile(join(FIXTURE, 'consumer.mjs'), join(project, 'consumer.mjs'));
  await copyFile(join(FIXTURE, 'consumer-types.ts'), join(project, 'consumer-types.ts'));
  // From the npm cache where it can; the registry only for what the cache lacks.
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], {
    cwd: project,
    env: npmEnv,
  });
  server = await startS3Server({ buckets: ['consumer-uploads', 'consumer-avatars'] });
}, 600_000);

afterAll(async () => {
  await server?.stop();
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

function started(): S3TestServer {
  if (server === undefined) throw new Error('the S3 server did not start');
  return server;
}

describe('the packed packages, installed outside the workspace', () => {
  it('packs one tarball per published package, without tests', async () => {
    expect(tarballs.map((file) => file.slice(file.lastIndexOf('/') + 1)).sort()).toEqual([
      'stowage-0.1.0.tgz',
      'stowage-contract-0.1.0.tgz',
      'stowage-core-0.1.0.tgz',
      'stowage-local-0.1.0.tgz',
      'stowage-migrate-0.1.0.tgz',
      'stowage-s3-0.1.0.tgz',
    ]);
    for (const tarball of tarballs) {
      const { stdout } = await run('tar', ['-tzf', tarball]);
      const files = stdout.trim().split('\n');
      expect(files).toContain('package/LICENSE');
      expect(files).toContain('package/README.md');
      expect(files.some((file) => file.startsWith('package/dist/') && file.endsWith('index.js'))).toBe(true);
      expect(files.filter((file) => /\.test\.|\/test\//u.test(file))).toEqual([]);
    }
  });

  it('stores, reads, lists and migrates with local and S3 stores, from plain Node', async () => {
    const { clientConfig, endpoint } = started();
    const { stdout } = await run(process.execPath, ['consumer.mjs'], {
      cwd: project,
      env: {
        ...npmEnv,
        S3_ENDPOINT_URL: endpoint,
        S3_KEY: clientConfig.credentials.accessKeyId,
        S3_SECRET_KEY: clientConfig.credentials.secretAccessKey,
        UPLOADS_BUCKET: 'consumer-uploads',
        AVATARS_BUCKET: 'consumer-avatars',
      },
    });
    const seen = JSON.parse(stdout) as Record<string, unknown> & { localRoot: string };
    try {
      const uploads = ['1/ab/Report-final.txt:21', '1/cd/photo.png:4'];
      expect(seen).toMatchObject({
        localUploads: uploads,
        read: 'hello from a consumer',
        notFound: true,
        s3Uploads: uploads,
        s3Avatars: ['1/avatar-hash.png:1000'],
        readFromS3: 'hello from a consumer',
        s3StoreClass: true,
        migrated: [
          { ok: true, copied: 2 },
          { ok: true, copied: 1 },
          { ok: true, copied: 2 },
          { ok: true, copied: 2 },
        ],
        readBack: 'hello from a consumer',
        memory: uploads,
      });
    } finally {
      await rm(seen.localRoot, { recursive: true, force: true });
    }
  }, 120_000);

  it('runs the installed stowage command: --version, and ls --json of the S3 buckets', async () => {
    const bin = join(project, 'node_modules', '.bin', 'stowage');
    expect((await run(bin, ['--version'], { cwd: project, env: npmEnv })).stdout).toBe('stowage 0.1.0\n');
    const settings = join(project, 'settings.env');
    const { clientConfig, endpoint } = started();
    await writeFile(
      settings,
      [
        'S3_AUTH_UPLOADS_BUCKET=consumer-uploads',
        'S3_AVATAR_BUCKET=consumer-avatars',
        `S3_ENDPOINT_URL=${endpoint}`,
        'S3_ADDRESSING_STYLE=path',
        `S3_KEY=${clientConfig.credentials.accessKeyId}`,
        `S3_SECRET_KEY=${clientConfig.credentials.secretAccessKey}`,
        '',
      ].join('\n'),
    );
    const { stdout } = await run(bin, ['ls', '--settings', settings, '--json'], { cwd: project, env: npmEnv });
    const listed = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { namespace: string; key: string });
    expect(listed.map((object) => `${object.namespace}/${object.key}`)).toEqual([
      'uploads/1/ab/Report-final.txt',
      'uploads/1/cd/photo.png',
      'avatars/1/avatar-hash.png',
    ]);
  }, 60_000);

  it('typechecks a TypeScript consumer against the installed declarations', async () => {
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        // Node's types as a Node project has them (the SDK's declarations name node:stream); taken from the workspace.
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
          typeRoots: [join(WORKSPACE, 'node_modules', '@types')],
        },
        files: ['consumer-types.ts'],
      }),
    );
    await expect(
      run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: project, env: npmEnv }),
    ).resolves.toMatchObject({ stdout: '' });
  }, 120_000);
});
