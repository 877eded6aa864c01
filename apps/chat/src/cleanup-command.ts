import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { openBetterSqliteDatabase } from './better-sqlite-database.ts';
import { ChatData } from './chat-data.ts';
import { loadChatConfig } from './chat-config.ts';
import { deleteUnlinkedAttachments } from './cleanup.ts';
import { formatBytes } from './http-io.ts';
import { openChatStores } from './open-chat-stores.ts';
import { ensureSchema } from './schema.ts';

// `npm run cleanup -w @stowage/chat -- --days N`: deletes attachments no message has linked for N days (default 7).
const { values } = parseArgs({ options: { days: { type: 'string', default: '7' } } });
const days = Number(values.days);
if (!Number.isFinite(days) || days < 0) {
  console.error(`--days must be a number of days (0 or more), not ${JSON.stringify(values.days)}`);
  process.exit(2);
}
const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const config = await loadChatConfig(process.env, join(appDir, '.data'));
const db = openBetterSqliteDatabase(config.databasePath);
ensureSchema(db);
const stores = openChatStores(config.storage, { signingSecret: config.signingSecret, cacheDir: join(config.dataDir, 's3-cache') });
const result = await deleteUnlinkedAttachments(new ChatData(db), stores, days * 24 * 60 * 60 * 1000, Date.now());
console.log(`deleted ${result.deleted} attachments (${formatBytes(result.bytes)}) unlinked for ${days} days or more`);
db.close();
