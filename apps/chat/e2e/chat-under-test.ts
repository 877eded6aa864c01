import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStorageSettings } from '@stowage/core';
import type { Environment } from '@stowage/core';
import { S3RVER_CREDENTIALS, startS3Server } from '@stowage/s3-test-server';
import type { S3TestServer } from '@stowage/s3-test-server';
import { chooseSqliteDriver } from '../src/sqlite-driver.ts';
import { ChatData } from '../src/chat-data.ts';
import { startChatServer } from '../src/chat-server.ts';
import type { RunningChatServer } from '../src/chat-server.ts';
import { openChatStores } from '../src/open-chat-stores.ts';
import { ensureSchema } from '../src/schema.ts';
import { seedDatabase } from '../src/seed.ts';
import type { SqlDatabase } from '../src/sql-database.ts';
import { WEB_ROOT } from './build-web.ts';

export type Backend = 'local' | 's3';

export interface ChatUnderTest {
  readonly backend: Backend;
  /** `http://127.0.0.1:{port}` */
  readonly url: string;
  readonly server: RunningChatServer;
  readonly data: ChatData;
  /** Where the public avatar store's objects are fetched from (the app, or the S3 server). */
  readonly avatarOrigin: string;
  /** Changes an organization's quota behind the web page's back (to provoke a refusal the page did not foresee). */
  setQuota(realmName: string, bytes: number): void;
  close(): Promise<void>;
}

const BUCKETS = { uploads: 'chat-uploads', avatars: 'chat-avatars' } as const;

/**
 * The app's clock starts at this moment and runs at real speed, so message times (and the committed screenshots
 * that show them) are the same on every run. The browser is pinned to the same day (see `SHOWN_DAY`).
 */
export const CLOCK_START: Date = new Date('2026-05-04T09:30:00Z');

/**
 * The chat app as `npm start` assembles it (settings from the environment, the stores they select, the seeded
 * database, the web UI) on 127.0.0.1 and a free port; in S3 mode over an S3-compatible server on 127.0.0.1.
 */
export async function startChatUnderTest(backend: Backend, maxFileUploadBytes: number): Promise<ChatUnderTest> {
  const dir = await mkdtemp(join(tmpdir(), `stowage-chat-e2e-${backend}-`));
  let s3: S3TestServer | undefined;
  let db: SqlDatabase | undefined;
  try {
    const maxMiB = String(Math.ceil(maxFileUploadBytes / (1024 * 1024)));
    let env: Environment = { LOCAL_UPLOADS_DIR: join(dir, 'uploads'), MAX_FILE_UPLOAD_SIZE: maxMiB };
    if (backend === 's3') {
      s3 = await startS3Server({ buckets: [BUCKETS.uploads, BUCKETS.avatars] });
      env = {
        MAX_FILE_UPLOAD_SIZE: maxMiB,
        S3_AUTH_UPLOADS_BUCKET: BUCKETS.uploads,
        S3_AVATAR_BUCKET: BUCKETS.avatars,
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
    const openedDb = (await chooseSqliteDriver()).open(join(dir, 'chat.sqlite3'));
    db = openedDb;
    ensureSchema(openedDb);
    const data = new ChatData(openedDb);
    const realStart = Date.now();
    const now = (): number => CLOCK_START.getTime() + (Date.now() - realStart);
    await seedDatabase(data, now());
    const stores = openChatStores(settings, {
      signingSecret: 'e2e-signing-secret-of-at-least-32-bytes',
      cacheDir: join(dir, 's3-cache'),
    });
    const server = await startChatServer({
      data,
      stores,
      maxFileUploadBytes: settings.maxFileUploadBytes,
      avatarSalt: 'e2e-avatar-salt',
      webRoot: WEB_ROOT,
      now,
      logError: () => undefined,
    });
    const s3Server = s3;
    return {
      backend,
      url: server.url,
      server,
      data,
      avatarOrigin: s3Server?.endpoint ?? server.url,
      setQuota(realmName, bytes) {
        openedDb.prepare('UPDATE realms SET quota_bytes = ? WHERE name = ?').run(bytes, realmName);
      },
      async close() {
        await server.close();
        openedDb.close();
        await s3Server?.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    db?.close();
    await s3?.stop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
