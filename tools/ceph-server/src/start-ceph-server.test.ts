import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { CephNotInstalledError, startCephServer } from './start-ceph-server.ts';
import { injectCephServer } from './vitest.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function eventually(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return true;
}

describe('startCephServer', () => {
  // Concurrent with the next test: both start a cluster, and the two starts overlap.
  it.concurrent(
    'runs a second gateway beside the project one, and stop() ends its processes and removes its directory',
    async () => {
      const first = injectCephServer();
      const second = await startCephServer({ buckets: ['second-bucket'], objectStore: 'memstore' });
      try {
        expect(second.port).not.toBe(first.port);
        expect(second.directory).not.toBe(first.directory);
        const pids = Object.values(second.pids);
        expect(pids.every(alive)).toBe(true);
        // The project's gateway uses the default object store (bluestore); this one the other.
        expect(await readFile(join(second.directory, 'ceph.conf'), 'utf8')).toContain('osd objectstore = memstore');
        expect(await readFile(join(first.directory, 'ceph.conf'), 'utf8')).toContain('osd objectstore = bluestore');

        const client = new S3Client({ ...second.clientConfig, requestChecksumCalculation: 'WHEN_REQUIRED' });
        try {
          await client.send(new PutObjectCommand({ Bucket: 'second-bucket', Key: 'k', Body: 'second' }));
          const got = await client.send(new GetObjectCommand({ Bucket: 'second-bucket', Key: 'k' }));
          expect(await got.Body?.transformToString()).toBe('second');
        } finally {
          client.destroy();
        }
        // The two clusters have their own users: the first gateway does not know the second's keys.
        const stranger = new S3Client({ ...first.clientConfig, credentials: second.credentials, maxAttempts: 1 });
        try {
          await expect(
            stranger.send(new GetObjectCommand({ Bucket: 'second-bucket', Key: 'k' })),
          ).rejects.toMatchObject({ name: 'InvalidAccessKeyId' });
        } finally {
          stranger.destroy();
        }

        await second.stop();
        await second.stop();
        expect(pids.filter(alive)).toEqual([]);
        expect(existsSync(second.directory)).toBe(false);
        await expect(fetch(second.endpoint)).rejects.toThrow();
      } finally {
        await second.stop();
      }
    },
    240_000,
  );

  it.concurrent(
    'leaves no daemon or directory behind when the process that started them is killed',
    async () => {
      const child = spawn(
        process.execPath,
        [
          '--conditions=@stowage/source',
          '--import',
          'tsx',
          fileURLToPath(new URL('../test/start-and-wait.ts', import.meta.url)),
        ],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString('utf8')).slice(-8_000);
      });
      try {
        const line = await new Promise<string>((resolve, reject) => {
          let stdout = '';
          child.stdout.on('data', (chunk: Buffer) => {
            stdout += chunk.toString('utf8');
            if (stdout.includes('\n')) resolve(stdout.slice(0, stdout.indexOf('\n')));
          });
          child.once('exit', (code) => {
            reject(new Error(`the child exited (code ${String(code)}) before starting Ceph:\n${stderr}`));
          });
        });
        const started = JSON.parse(line) as { pids: Record<string, number>; directory: string; endpoint: string };
        const pids = Object.values(started.pids);
        expect(pids.every(alive)).toBe(true);
        const answer = await fetch(started.endpoint);
        await answer.body?.cancel();
        expect(answer.status).toBe(200);

        child.kill('SIGKILL');
        expect(await eventually(() => pids.every((pid) => !alive(pid)), 60_000)).toBe(true);
        expect(await eventually(() => !existsSync(started.directory), 10_000)).toBe(true);
      } finally {
        child.kill('SIGKILL');
      }
    },
    240_000,
  );

  it('refuses an invalid bucket name, naming it', async () => {
    await expect(startCephServer({ buckets: ['Not_A_Bucket!'] })).rejects.toThrow(/"Not_A_Bucket!"/u);
  });

  it('names the Debian packages to install when Ceph is missing', async () => {
    const path = process.env.PATH;
    const empty = await mkdtemp(join(tmpdir(), 'stowage-empty-path-'));
    process.env.PATH = empty;
    try {
      const refusal = await startCephServer().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refusal).toBeInstanceOf(CephNotInstalledError);
      expect((refusal as CephNotInstalledError).missing).toContainEqual({
        program: 'radosgw',
        debianPackage: 'radosgw',
      });
      expect((refusal as CephNotInstalledError).message).toContain(
        'apt-get install --no-install-recommends ceph-mon ceph-osd radosgw ceph-common',
      );
    } finally {
      process.env.PATH = path;
      await rm(empty, { recursive: true });
    }
  });
});

describe('the watchdog', () => {
  it('ends the listed processes and removes the directory when its parent goes away', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'stowage-ceph-orphan-'));
    await writeFile(join(directory, 'ceph.conf'), '');
    const daemon = spawn('sleep', ['600'], { stdio: 'ignore', detached: true });
    const gone = spawn('sleep', ['600'], { stdio: 'ignore', detached: true });
    const watchdog = spawn(
      process.execPath,
      [fileURLToPath(new URL('../bin/ceph-watchdog.cjs', import.meta.url)), directory],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
        detached: true,
      },
    );
    try {
      await new Promise<void>((resolve) =>
        watchdog.stdout.once('data', () => {
          resolve();
        }),
      );
      const daemonExit = new Promise<NodeJS.Signals | null>((resolve) =>
        daemon.once('exit', (_code, signal) => {
          resolve(signal);
        }),
      );
      // A process reported as exited is not touched again: its pid may belong to someone else by then.
      watchdog.stdin.write(`+${String(daemon.pid)}\n+${String(gone.pid)}\n-${String(gone.pid)}\n`);
      const exited = new Promise<number | null>((resolve) => watchdog.once('exit', resolve));
      watchdog.stdin.destroy();
      expect(await exited).toBe(0);
      expect(await daemonExit).toBe('SIGTERM');
      expect(gone.pid !== undefined && alive(gone.pid)).toBe(true);
      expect(existsSync(directory)).toBe(false);
    } finally {
      daemon.kill('SIGKILL');
      gone.kill('SIGKILL');
      watchdog.kill('SIGKILL');
    }
  });
});
