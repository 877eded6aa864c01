import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStorageSettings } from '@stowage/core';
import { S3RVER_CREDENTIALS, TEST_TLS_FILES, startS3Server } from '@stowage/s3-test-server';
import type { S3TestServer } from '@stowage/s3-test-server';
import { describeStowageOnS3 } from '../../test/s3-command-suite.ts';
import { expectFaithfulCopy } from '../../test/zulip-uploads.ts';
import { openStores } from '../open-stores.ts';

const BUCKETS = { uploads: 'uploads-bucket', avatars: 'avatars-bucket', copy: 'copy-bucket' };

const shared = describeStowageOnS3('s3rver 3.7.1 (an S3-compatible server that checks no signature)', async () => {
  const server = await startS3Server({ buckets: Object.values(BUCKETS) });
  return {
    endpoint: server.endpoint,
    credentials: S3RVER_CREDENTIALS,
    buckets: BUCKETS,
    // s3rver stores what an interrupted PutObject carried: a killed run must not leave that behind.
    extraSettings: { S3_KEEPS_INTERRUPTED_UPLOADS: 'true' },
    enforcesAccess: false,
    stop: () => server.stop(),
  };
});

describe('stowage against an S3-compatible server over HTTPS', () => {
  let tlsServer: S3TestServer;
  let tlsS3Env: Record<string, string>;
  let tlsEnv: Record<string, string>;

  beforeAll(async () => {
    const { s3Env, source } = shared();
    tlsServer = await startS3Server({ buckets: ['tls-uploads', 'tls-avatars'], tls: true });
    tlsS3Env = {
      ...s3Env,
      S3_AUTH_UPLOADS_BUCKET: 'tls-uploads',
      S3_AVATAR_BUCKET: 'tls-avatars',
      S3_ENDPOINT_URL: tlsServer.endpoint,
    };
    tlsEnv = { ...tlsS3Env, LOCAL_UPLOADS_DIR: source };
  }, 60_000);

  afterAll(async () => {
    await tlsServer.stop();
  });

  it('refuses a server certificate from an authority it was not told to trust, at once and writing nothing', async () => {
    const refused = await shared().run(['migrate', '--progress', 'none'], tlsEnv);
    // A settings error (2), not an outage (1) retried with backoff: a retry would meet the same certificate.
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toContain(
      `list of s3://tls-uploads failed: ${tlsServer.endpoint} presented a TLS certificate this process does not accept ` +
        '(UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate)',
    );
    expect(refused.stderr).toContain('NODE_EXTRA_CA_CERTS');
    const listed = await shared().run(['ls'], {
      ...tlsS3Env,
      NODE_EXTRA_CA_CERTS: TEST_TLS_FILES.certificateAuthority,
    });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toBe('');
  }, 120_000);

  it('migrates to the buckets and back, byte for byte with metadata, trusting the authority named in NODE_EXTRA_CA_CERTS', async () => {
    const trusted = { ...tlsEnv, NODE_EXTRA_CA_CERTS: TEST_TLS_FILES.certificateAuthority };
    const there = await shared().run(['migrate', '--progress', 'none'], trusted);
    expect(there.code, there.stderr).toBe(0);
    expect(there.stdout).toMatch(/^uploads: copied \d+ objects .* 0 failed/mu);

    const { scratch, fixture, local } = shared();
    const settingsFile = join(scratch, 'tls.env');
    await writeFile(
      settingsFile,
      Object.entries(tlsS3Env)
        .map(([name, value]) => `${name}=${value}`)
        .join('\n'),
    );
    const back = join(scratch, 'back-over-tls');
    const home = await shared().run(
      ['migrate', '--from', `env:${settingsFile}`, '--to', `local:${back}`, '--progress', 'none'],
      {
        NODE_EXTRA_CA_CERTS: TEST_TLS_FILES.certificateAuthority,
      },
    );
    expect(home.code, home.stderr).toBe(0);
    await expectFaithfulCopy(fixture, local, openStores(parseStorageSettings({ LOCAL_UPLOADS_DIR: back })), true);

    const checked = await shared().run(['check'], {
      ...tlsS3Env,
      NODE_EXTRA_CA_CERTS: TEST_TLS_FILES.certificateAuthority,
    });
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
      const run = await shared().run(['migrate', '--progress', 'none'], { ...shared().env, S3_ENDPOINT_URL: endpoint });
      // From the command's first line ("migrating ..."), so a slow start of Node on a busy machine does not count.
      const seconds = (Date.now() - (run.firstStderrAt ?? 0)) / 1000;
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toMatch(
        new RegExp(`failed: ${endpoint.replace(/[.]/gu, '\\.')} is unavailable \\((TimeoutError|ETIMEDOUT)`, 'u'),
      );
      // Two socket timeouts of 20 s under the SDK's strategy, and no second layer stacked on them.
      expect(seconds).toBeLessThan(60);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 120_000);
});
