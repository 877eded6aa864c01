import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChatServer } from './chat-server.ts';
import { chooseSqliteDriver } from './sqlite-driver.ts';
import { startChat } from './start-chat.ts';

// Node entry point (`npm start`); the app folder is one level above both src/ and dist/.
const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const running = await startChat({
  env: process.env,
  openDatabase: (await chooseSqliteDriver()).open,
  serve: startChatServer,
  defaultDataDir: join(appDir, '.data'),
  webRoot: join(appDir, 'web'),
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void running.close().then(() => process.exit(0));
  });
}
