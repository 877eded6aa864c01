import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Environment } from '@stowage/core';
import { ChatData } from './chat-data.ts';
import { loadChatConfig } from './chat-config.ts';
import { startChatServer } from './chat-server.ts';
import type { RunningChatServer } from './chat-server.ts';
import { openChatStores } from './open-chat-stores.ts';
import { ensureSchema } from './schema.ts';
import { SEED_ACCOUNTS, seedDatabase } from './seed.ts';
import type { SqlDatabase } from './sql-database.ts';

export interface StartChatOptions {
  readonly env: Environment;
  /** The SQLite driver of the runtime (better-sqlite3 on Node, node:sqlite on Deno). */
  readonly openDatabase: (path: string) => SqlDatabase | Promise<SqlDatabase>;
  readonly defaultDataDir: string;
  /** The web UI's folder; served when it exists. */
  readonly webRoot: string;
}

/** Opens (creating and seeding on first start) the database and stores, starts the server, prints how to log in. */
export async function startChat(options: StartChatOptions): Promise<RunningChatServer> {
  const config = await loadChatConfig(options.env, options.defaultDataDir);
  const db = await options.openDatabase(config.databasePath);
  const data = new ChatData(db);
  const created = ensureSchema(db);
  if (created) await seedDatabase(data, Date.now());
  const stores = openChatStores(config.storage, config.signingSecret, join(config.dataDir, 's3-cache'), config.redirectUploads);
  const running = await startChatServer(
    {
      data,
      stores,
      maxFileUploadBytes: config.storage.maxFileUploadBytes,
      avatarSalt: config.avatarSalt,
      webRoot: existsSync(options.webRoot) ? options.webRoot : undefined,
    },
    config.host,
    config.port,
  );
  const storage = config.storage.backend === 'local' ? `local disk (${config.storage.localUploadsDir})` : `S3 (${config.storage.s3.uploadsBucket}, ${config.storage.s3.avatarsBucket})`;
  console.log(`Stowage chat ${created ? 'created its database and ' : ''}listens on ${running.url}/`);
  console.log(`data: ${config.dataDir}; uploads: ${storage}`);
  console.log('Log in as (email / password):');
  for (const account of SEED_ACCOUNTS) {
    console.log(`  ${account.email.padEnd(22)} ${account.password.padEnd(18)} ${account.realm}${account.isAdmin ? ' (admin)' : ''}`);
  }
  return running;
}
