import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openBetterSqliteDatabase } from './better-sqlite-database.ts';
import { startChatServer } from './chat-server.ts';
import { startChat } from './start-chat.ts';

// Node entry point (`npm start`); the app folder is one level above both src/ and dist/.
const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const running = await startChat({
  env: process.env,
  openDatabase: openBetterSqliteDatabase,
  serve: startChatServer,
  defaultDataDir: join(appDir, '.data'),
  webRoot: join(appDir, 'web'),
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void running.close().then(() => process.exit(0));
  });
}
