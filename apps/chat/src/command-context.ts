import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadChatConfig } from './chat-config.ts';
import type { ChatConfig } from './chat-config.ts';
import { openChatStores } from './open-chat-stores.ts';
import { ensureSchema } from './schema.ts';
import type { SqlDatabase } from './sql-database.ts';
import { chooseSqliteDriver } from './sqlite-driver.ts';

/** What an operator command of the app works on: its settings, database (schema ensured) and stores, as the server opens them. */
export interface CommandContext {
  readonly config: ChatConfig;
  readonly db: SqlDatabase;
  readonly stores: ReturnType<typeof openChatStores>;
}

/** Opens the app's settings, database and stores for a command run from the app's directory. */
export async function openCommandContext(): Promise<CommandContext> {
  const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');
  const config = await loadChatConfig(process.env, join(appDir, '.data'));
  const db = (await chooseSqliteDriver()).open(config.databasePath);
  ensureSchema(db);
  const stores = openChatStores(config.storage, {
    signingSecret: config.signingSecret,
    cacheDir: join(config.dataDir, 's3-cache'),
  });
  return { config, db, stores };
}
