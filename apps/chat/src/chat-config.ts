import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { StorageError, parseBoolean, parsePositiveInteger, parseStorageSettings } from '@stowage/core';
import type { Environment, StorageSettings } from '@stowage/core';
import { DEFAULT_NGINX_CACHE } from './nginx-mode.ts';
import type { NginxCacheSettings } from './nginx-mode.ts';

export interface ChatConfig {
  /** Holds the database, the secrets and (by default) the uploads. */
  readonly dataDir: string;
  readonly databasePath: string;
  readonly host: string;
  readonly port: number;
  readonly storage: StorageSettings;
  /** `CHAT_S3_UPLOADS_REDIRECT`: in S3 mode, answer uploads with a redirect to a presigned URL. */
  readonly redirectUploads: boolean;
  readonly signingSecret: string;
  readonly avatarSalt: string;
  /** `SERVE_UPLOADS_VIA`: `app` (default) or `nginx` (answer with `X-Accel-Redirect`). */
  readonly serveVia: 'app' | 'nginx';
  /** `S3_MEMORY_CACHE_SIZE`, `S3_DISK_CACHE_SIZE`, `S3_CACHE_INACTIVE_TIME`: nginx's cache in front of S3. */
  readonly nginxCache: NginxCacheSettings;
  /** `CHAT_TUS_EXPIRATION_HOURS` (default 24): when an incomplete resumable upload is abandoned. */
  readonly tusExpirationMs: number;
}

/** An nginx size (`1m`, `200m`, `1g`) or time (`30d`, `12h`) setting, checked so the printed config loads. */
function nginxValue(env: Environment, name: string, fallback: string, shape: RegExp): string {
  const value = env[name] ?? fallback;
  if (!shape.test(value))
    throw new StorageError('InvalidSettings', `${name} must look like ${fallback}, not ${JSON.stringify(value)}`);
  return value;
}

interface Secrets {
  readonly signingSecret: string;
  readonly avatarSalt: string;
}

/** Secrets made on first start and kept in the data folder, so links and avatar URLs survive restarts. */
async function loadSecrets(dataDir: string): Promise<Secrets> {
  const path = join(dataDir, 'secrets.json');
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Secrets;
  } catch {
    const secrets: Secrets = {
      signingSecret: randomBytes(32).toString('base64url'),
      avatarSalt: randomBytes(16).toString('base64url'),
    };
    await writeFile(path, JSON.stringify(secrets), { mode: 0o600, flag: 'wx' });
    return secrets;
  }
}

/**
 * Reads the chat app's configuration: `CHAT_DATA_DIR` (default `defaultDataDir`), `HOST`, `PORT`, and Zulip's
 * storage variables. Without `LOCAL_UPLOADS_DIR` or S3 buckets, uploads live in `{data dir}/uploads`.
 */
export async function loadChatConfig(env: Environment, defaultDataDir: string): Promise<ChatConfig> {
  const dataDir = resolve(env.CHAT_DATA_DIR ?? defaultDataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const selectsS3 = env.S3_AUTH_UPLOADS_BUCKET !== undefined || env.S3_AVATAR_BUCKET !== undefined;
  const storageEnv =
    env.LOCAL_UPLOADS_DIR === undefined && !selectsS3 ? { ...env, LOCAL_UPLOADS_DIR: join(dataDir, 'uploads') } : env;
  const secrets = await loadSecrets(dataDir);
  return {
    dataDir,
    databasePath: join(dataDir, 'chat.sqlite3'),
    host: env.HOST ?? '127.0.0.1',
    port: parsePositiveInteger('PORT', env.PORT, 9991),
    storage: parseStorageSettings(storageEnv),
    redirectUploads: parseBoolean('CHAT_S3_UPLOADS_REDIRECT', env.CHAT_S3_UPLOADS_REDIRECT, false),
    signingSecret: secrets.signingSecret,
    avatarSalt: secrets.avatarSalt,
    serveVia: parseServeVia(env.SERVE_UPLOADS_VIA),
    tusExpirationMs:
      parsePositiveInteger('CHAT_TUS_EXPIRATION_HOURS', env.CHAT_TUS_EXPIRATION_HOURS, 24) * 60 * 60 * 1000,
    nginxCache: {
      memoryCacheSize: nginxValue(env, 'S3_MEMORY_CACHE_SIZE', DEFAULT_NGINX_CACHE.memoryCacheSize, /^\d+[kmg]?$/iu),
      diskCacheSize: nginxValue(env, 'S3_DISK_CACHE_SIZE', DEFAULT_NGINX_CACHE.diskCacheSize, /^\d+[kmg]?$/iu),
      cacheInactiveTime: nginxValue(
        env,
        'S3_CACHE_INACTIVE_TIME',
        DEFAULT_NGINX_CACHE.cacheInactiveTime,
        /^\d+(?:ms|[smhdwMy])?$/u,
      ),
    },
  };
}

function parseServeVia(value: string | undefined): 'app' | 'nginx' {
  if (value === undefined || value === '' || value === 'app') return 'app';
  if (value === 'nginx') return 'nginx';
  throw new StorageError('InvalidSettings', `SERVE_UPLOADS_VIA must be "app" or "nginx", not ${JSON.stringify(value)}`);
}
