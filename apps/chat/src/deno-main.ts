import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { openNodeSqliteDatabase } from './node-sqlite-database.ts';
import { startDenoChatServer } from './deno-server.ts';
import { startChat } from './start-chat.ts';

// Deno entry point: the same app with the runtime's built-in SQLite, since Deno cannot load better-sqlite3.
const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');
await startChat({
  env: process.env,
  openDatabase: openNodeSqliteDatabase,
  serve: startDenoChatServer,
  defaultDataDir: join(appDir, '.data'),
  webRoot: join(appDir, 'web'),
});
