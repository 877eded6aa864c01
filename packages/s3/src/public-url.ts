import type { S3Settings } from '@stowage/core';
import { s3EndpointUrl, usesPathStyle } from './s3-client.ts';

/**
 * Where a public bucket's objects are served: `S3_AVATAR_PUBLIC_URL_PREFIX` when set (a CDN or proxy), else the
 * endpoint addressed as the settings say: `https://bucket.host` (virtual-hosted) or `https://host/bucket` (path).
 */
export function publicUrlBase(settings: S3Settings, bucket: string): string {
  if (settings.avatarPublicUrlPrefix !== undefined) return settings.avatarPublicUrlPrefix.replace(/\/+$/u, '');
  const endpoint = new URL(s3EndpointUrl(settings));
  const path = endpoint.pathname.replace(/\/+$/u, '');
  if (usesPathStyle(settings)) return `${endpoint.protocol}//${endpoint.host}${path}/${bucket}`;
  return `${endpoint.protocol}//${bucket}.${endpoint.host}${path}`;
}
