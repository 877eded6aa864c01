import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { loadChatConfig } from './chat-config.ts';
import { nginxConfig } from './nginx-mode.ts';

// `npm run nginx-config -w @stowage/chat -- --listen 0.0.0.0:80`: prints the nginx configuration (for nginx's
// `http` block) that serves this app's files as Zulip does, for the settings in the environment.
const { values } = parseArgs({
  options: { listen: { type: 'string', default: '127.0.0.1:8080' }, resolver: { type: 'string' } },
});
const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const config = await loadChatConfig(process.env, join(appDir, '.data'));
if (config.serveVia !== 'nginx')
  console.error('note: SERVE_UPLOADS_VIA is not "nginx"; the app sends files itself until it is set');
process.stdout.write(
  nginxConfig({
    storage: config.storage,
    listen: values.listen,
    app: `${config.host}:${config.port}`,
    cacheDir: join(config.dataDir, 'nginx-s3-cache'),
    cache: config.nginxCache,
    resolver: values.resolver,
  }),
);
