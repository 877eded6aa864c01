import { encodeKeyPath } from '@stowage/core';
import type { StorageSettings } from '@stowage/core';
import { LOCAL_NAMESPACE_DIRECTORIES } from 'stowage';
import { UPLOAD_CSP } from './serve-object.ts';

/** Internal locations the app names in `X-Accel-Redirect`; nginx refuses them to clients (`internal`). */
export const LOCAL_UPLOADS_LOCATION = '/internal/local/uploads/';
export const S3_LOCATION = '/internal/s3/';

/**
 * The `X-Accel-Redirect` target for a local upload: nginx decodes the path once to find the file, so the key's
 * segments are percent-encoded once (as in the app's own URLs).
 */
export function localAccelPath(key: string): string {
  return `${LOCAL_UPLOADS_LOCATION}${encodeKeyPath(key)}`;
}

/**
 * The `X-Accel-Redirect` target for an S3 object behind a presigned URL: `/internal/s3/{scheme}/{host}/{path}?{query}`.
 * nginx decodes the path before matching, and the upstream needs it still encoded, so it is encoded twice here
 * (Zulip does the same); the query, with the signature, is passed on untouched.
 */
export function s3AccelPath(presignedUrl: string): string {
  const url = new URL(presignedUrl);
  const scheme = url.protocol.replace(/:$/u, '');
  return `${S3_LOCATION}${scheme}/${url.host}${url.pathname.replaceAll('%', '%25')}${url.search}`;
}

/** The sizes of nginx's cache in front of S3 (Zulip's `s3_memory_cache_size`, `s3_disk_cache_size`, `s3_cache_inactive_time`). */
export interface NginxCacheSettings {
  /** `keys_zone` size: the index in shared memory (1 MiB holds about 8,000 keys). */
  readonly memoryCacheSize: string;
  /** `max_size`: bytes of cached objects on disk. */
  readonly diskCacheSize: string;
  /** `inactive`: entries unread this long are dropped. */
  readonly cacheInactiveTime: string;
}

export const DEFAULT_NGINX_CACHE: NginxCacheSettings = {
  memoryCacheSize: '1m',
  diskCacheSize: '200m',
  cacheInactiveTime: '30d',
};

export interface NginxConfigOptions {
  readonly storage: StorageSettings;
  /** Where nginx listens, as its `listen` directive takes it (`127.0.0.1:8080`). */
  readonly listen: string;
  /** The chat app's address (`127.0.0.1:9991`). */
  readonly app: string;
  /** Folder of nginx's S3 cache (S3 only). */
  readonly cacheDir: string;
  readonly cache: NginxCacheSettings;
  /** DNS resolver for S3 host names (S3 only; not needed for an IP address endpoint). */
  readonly resolver?: string | undefined;
}

const SECURITY_HEADERS = `add_header Content-Security-Policy "${UPLOAD_CSP}" always;
    add_header X-Content-Type-Options nosniff always;`;

/**
 * The nginx configuration (for nginx's `http` context) that puts nginx in front of the app as Zulip runs it: the
 * app checks access and answers `X-Accel-Redirect`; nginx sends the bytes, from disk (local) or through its own
 * `proxy_cache` in front of presigned S3 URLs, the cache key leaving out the signature. Public avatars are served
 * by nginx straight from disk (local); on S3 clients fetch them from the bucket.
 */
export function nginxConfig(options: NginxConfigOptions): string {
  const { storage, cache } = options;
  const lines: string[] = [];
  if (storage.backend === 's3') {
    lines.push(
      `proxy_cache_path ${options.cacheDir} levels=1:2 keys_zone=stowage_uploads:${cache.memoryCacheSize} max_size=${cache.diskCacheSize} inactive=${cache.cacheInactiveTime} use_temp_path=off;`,
    );
  }
  lines.push(`upstream stowage_chat {
  server ${options.app};
  keepalive 32;
}

server {
  listen ${options.listen};
  client_max_body_size ${Math.ceil(storage.maxFileUploadBytes / (1024 * 1024)) + 1}m;

  location / {
    proxy_pass http://stowage_chat;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $http_host;
    proxy_request_buffering off;
    proxy_buffering off;
  }
`);
  if (storage.backend === 'local') {
    const uploads = `${storage.localUploadsDir}/${LOCAL_NAMESPACE_DIRECTORIES.uploads}/`;
    const avatars = `${storage.localUploadsDir}/${LOCAL_NAMESPACE_DIRECTORIES.avatars}/`;
    lines.push(`  # Private uploads: only after the app said yes (X-Accel-Redirect); the app's type, disposition and
  # cache headers come with the redirect.
  location ${LOCAL_UPLOADS_LOCATION} {
    internal;
    alias ${uploads};
    ${SECURITY_HEADERS}
  }

  # Public avatars, icons, logos and emoji: straight from disk, cached for a year (every new image has a new key).
  location /user_avatars/ {
    alias ${avatars};
    default_type application/octet-stream;
    add_header Cache-Control "public, max-age=31536000, immutable" always;
    ${SECURITY_HEADERS}
    location ~ /\\.stowage/ { return 404; }
  }
}
`);
    return lines.join('\n');
  }
  lines.push(`  # Private uploads on S3: the app names a presigned URL; nginx fetches it through its cache. The key leaves
  # out the query (the signature changes every time); slices let many readers of a large file share one fetch.
  location ~ ^${S3_LOCATION}(?<s3_scheme>https?)/(?<s3_host>[^/]+)/(?<s3_path>.*)$ {
    internal;
    ${options.resolver === undefined ? '' : `resolver ${options.resolver};`}
    slice 5m;
    proxy_cache stowage_uploads;
    proxy_cache_key $s3_host/$s3_path$slice_range;
    proxy_cache_valid 200 206 1y;
    proxy_cache_lock on;
    proxy_set_header Range $slice_range;
    proxy_set_header Host $s3_host;
    proxy_set_header Authorization "";
    proxy_set_header Cookie "";
    proxy_http_version 1.1;
    proxy_ssl_server_name on;
    proxy_ssl_name $s3_host;
    proxy_ignore_headers Cache-Control Expires Set-Cookie X-Accel-Expires;
    # The app's type, disposition and cache headers came with the redirect; S3's own must not replace them.
    proxy_hide_header Content-Type;
    proxy_hide_header Content-Disposition;
    proxy_hide_header Cache-Control;
    proxy_hide_header Expires;
    proxy_hide_header Set-Cookie;
    proxy_hide_header x-amz-request-id;
    proxy_hide_header x-amz-id-2;
    ${SECURITY_HEADERS}
    add_header X-Cache-Status $upstream_cache_status always;
    proxy_pass $s3_scheme://$s3_host/$s3_path$is_args$args;
  }
}
`);
  return lines.join('\n');
}
