import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStorageSettings } from '@stowage/core';
import { describe, expect, it } from 'vitest';
import { loadChatConfig } from './chat-config.ts';
import { localAccelPath, nginxConfig, s3AccelPath } from './nginx-mode.ts';

const S3_ENV = {
  S3_AUTH_UPLOADS_BUCKET: 'chat-uploads',
  S3_AVATAR_BUCKET: 'chat-avatars',
  S3_ENDPOINT_URL: 'http://127.0.0.1:9000',
  S3_ADDRESSING_STYLE: 'path',
};

describe('nginx mode', () => {
  it('reads SERVE_UPLOADS_VIA and the three cache settings, refusing values nginx would not load', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stowage-chat-config-'));
    try {
      const defaults = await loadChatConfig({ ...S3_ENV }, dir);
      expect(defaults.serveVia).toBe('app');
      expect(defaults.nginxCache).toEqual({ memoryCacheSize: '1m', diskCacheSize: '200m', cacheInactiveTime: '30d' });
      const set = await loadChatConfig(
        {
          ...S3_ENV,
          SERVE_UPLOADS_VIA: 'nginx',
          S3_MEMORY_CACHE_SIZE: '2m',
          S3_DISK_CACHE_SIZE: '1g',
          S3_CACHE_INACTIVE_TIME: '7d',
        },
        dir,
      );
      expect(set.serveVia).toBe('nginx');
      const config = nginxConfig({
        storage: set.storage,
        listen: '127.0.0.1:8080',
        app: '127.0.0.1:9991',
        cacheDir: '/var/cache/stowage',
        cache: set.nginxCache,
      });
      expect(config).toContain(
        'proxy_cache_path /var/cache/stowage levels=1:2 keys_zone=stowage_uploads:2m max_size=1g inactive=7d',
      );
      // The cache key names the object, never the signed query.
      expect(config).toContain('proxy_cache_key $s3_host/$s3_path$slice_range;');
      expect(config).toMatch(/location ~ \^\/internal\/s3\/[^{]+\{\s+internal;/u);
      await expect(loadChatConfig({ ...S3_ENV, SERVE_UPLOADS_VIA: 'apache' }, dir)).rejects.toThrow(
        /SERVE_UPLOADS_VIA/u,
      );
      await expect(loadChatConfig({ ...S3_ENV, S3_DISK_CACHE_SIZE: '200 MB; evil' }, dir)).rejects.toThrow(
        /S3_DISK_CACHE_SIZE/u,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives local uploads an internal alias and serves avatars from disk', () => {
    const config = nginxConfig({
      storage: parseStorageSettings({ LOCAL_UPLOADS_DIR: '/srv/uploads' }),
      listen: '127.0.0.1:8080',
      app: '127.0.0.1:9991',
      cacheDir: '/unused',
      cache: { memoryCacheSize: '1m', diskCacheSize: '200m', cacheInactiveTime: '30d' },
    });
    expect(config).toMatch(/location \/internal\/local\/uploads\/ \{\s+internal;\s+alias \/srv\/uploads\/files\/;/u);
    expect(config).toMatch(/location \/user_avatars\/ \{\s+alias \/srv\/uploads\/avatars\/;/u);
    expect(config).not.toContain('proxy_cache_path');
  });

  it('names the file in X-Accel-Redirect so nginx, decoding once, reaches the right object', () => {
    expect(localAccelPath('1/ab/R4nd0m/My Résumé.txt')).toBe(
      '/internal/local/uploads/1/ab/R4nd0m/My%20R%C3%A9sum%C3%A9.txt',
    );
    expect(
      s3AccelPath('https://bucket.s3.example.com/1/R4nd0m/My%20file.txt?X-Amz-Signature=abc&X-Amz-Expires=60'),
    ).toBe('/internal/s3/https/bucket.s3.example.com/1/R4nd0m/My%2520file.txt?X-Amz-Signature=abc&X-Amz-Expires=60');
  });
});
