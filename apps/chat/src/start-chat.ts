import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Environment } from '@stowage/core';
import type { ChatAppOptions } from './chat-app.ts';
import { ChatData } from './chat-data.ts';
import { loadChatConfig } from './chat-config.ts';
import { openChatStores } from './open-chat-stores.ts';
import { ensureSchema } from './schema.ts';
import { SEED_ACCOUNTS, seedDatabase } from './seed.ts';
import { prepareStores } from './store-start.ts';
import type { SqlDatabase } from './sql-database.ts';

/** A started server of either runtime. */
export interface StartedServer {
  /** `http://host:port` */
  readonly url: string;
  close(): Promise<void>;
}

export interface StartChatOptions {
  readonly env: Environment;
  /** The SQLite driver the entry point chose (`chooseSqliteDriver`: node:sqlite where importable, else better-sqlite3). */
  readonly openDatabase: (path: string) => SqlDatabase | Promise<SqlDatabase>;
  /** The runtime's server: `startChatServer` on Node, `startDenoChatServer` on Deno. */
  readonly serve: (options: ChatAppOptions, host: string, port: number) => Promise<StartedServer>;
  readonly defaultDataDir: string;
  /** The web UI's folder; served when it exists. */
  readonly webRoot: string;
  /** Where start-up warnings go (default: the console). */
  readonly warn?: ((line: string) => void) | undefined;
}

/** Opens (creating and seeding on first start) the database and stores, starts the server, prints how to log in. */
export async function startChat(options: StartChatOptions): Promise<StartedServer> {
  const config = await loadChatConfig(options.env, options.defaultDataDir);
  const db = await options.openDatabase(config.databasePath);
  const data = new ChatData(db);
  const created = ensureSchema(db);
  if (created) await seedDatabase(data, Date.now());
  const stores = openChatStores(config.storage, {
    signingSecret: config.signingSecret,
    cacheDir: join(config.dataDir, 's3-cache'),
    redirectUploads: config.redirectUploads,
  });
  await prepareStores(
    config.storage,
    stores,
    options.warn ??
      ((line) => {
        console.warn(`warning: ${line}`);
      }),
  );
  const running = await options.serve(
    {
      data,
      stores,
      maxFileUploadBytes: config.storage.maxFileUploadBytes,
      avatarSalt: config.avatarSalt,
      serveVia: config.serveVia,
      webRoot: existsSync(options.webRoot) ? options.webRoot : undefined,
      tus: { expirationMs: config.tusExpirationMs },
    },
    config.host,
    config.port,
  );
  const storage =
    config.storage.backend === 'local'
      ? `local disk (${config.storage.localUploadsDir})`
      : `S3 (${config.storage.s3.uploadsBucket}, ${config.storage.s3.avatarsBucket})`;
  console.log(`Stowage chat ${created ? 'created its database and ' : ''}listens on ${running.url}/`);
  console.log(`data: ${config.dataDir}; uploads: ${storage}`);
  console.log('Log in as (email / password):');
  for (const account of SEED_ACCOUNTS) {
    console.log(
      `  ${account.email.padEnd(22)} ${account.password.padEnd(18)} ${account.realm}${account.isAdmin ? ' (admin)' : ''}`,
    );
  }
  return {
    url: running.url,
    close: async () => {
      await running.close();
      stores.close();
      db.close();
    },
  };
}
