import { join } from 'node:path';
import { withCache } from '@stowage/core';
import type { ObjectStore, StorageSettings } from '@stowage/core';
import { LocalStore, verifySignedUrl } from '@stowage/local';
import { S3Store } from '@stowage/s3';
import type { LocalFileSystem, UrlSigning } from '@stowage/local';
import type { ChatStores, SignedLinkCheck } from './chat-stores.ts';

/** The path the app serves uploads under; local signed links point back at it. */
export const UPLOADS_URL_BASE = '/user_uploads';

/** The signed-link check for links the local uploads store made: only requests carrying a signature are judged. */
export function localSignedLinkCheck(signing: UrlSigning): (url: URL, now: Date) => SignedLinkCheck {
  return (url, now) => {
    if (!url.searchParams.has('signature') && !url.searchParams.has('expires')) return { kind: 'absent' };
    const verdict = verifySignedUrl(`${url.pathname}${url.search}`, signing, now);
    if (!verdict.valid) return { kind: 'invalid', reason: verdict.reason };
    return { kind: 'valid', key: verdict.key, disposition: verdict.disposition, filename: verdict.filename };
  };
}

/**
 * Zulip's local layout: `LOCAL_UPLOADS_DIR/files` (private uploads, HMAC-signed links verified by this app) and
 * `LOCAL_UPLOADS_DIR/avatars` (public, served by this app under `/user_avatars/`).
 */
export function localChatStores(uploadsDir: string, signingSecret: string, fs?: LocalFileSystem): ChatStores {
  const signing: UrlSigning = { secret: signingSecret, urlBase: UPLOADS_URL_BASE };
  return {
    uploads: new LocalStore({ root: join(uploadsDir, 'files'), signing, fs }),
    avatars: new LocalStore({ root: join(uploadsDir, 'avatars'), publicUrlPrefix: '/user_avatars', fs }),
    shardAttachmentKeys: true,
    redirectUploads: false,
    avatarPublicUrl: undefined,
    checkSignedLink: localSignedLinkCheck(signing),
  };
}

export interface S3ChatStoresOptions {
  /** Where `withCache` keeps slices of uploads read from the bucket (Zulip's nginx cache). */
  readonly cacheTier: ObjectStore;
  /** Redirect upload requests to a 60 s presigned URL instead of streaming them through the app and its cache. */
  readonly redirectUploads: boolean;
}

/**
 * S3 mode: uploads are read through the slice cache (or redirected to presigned URLs), signed links are S3's own
 * presigned URLs, and avatars are fetched straight from the public bucket URL.
 */
export function s3ChatStores(uploads: ObjectStore, avatars: ObjectStore, options: S3ChatStoresOptions): ChatStores {
  return {
    uploads: options.redirectUploads ? uploads : withCache(uploads, { tier: options.cacheTier }),
    avatars,
    shardAttachmentKeys: false,
    redirectUploads: options.redirectUploads,
    avatarPublicUrl: (key) => avatars.publicUrl(key),
    checkSignedLink: undefined,
  };
}

/**
 * The stores the settings select. `cacheDir` holds the S3 read cache; `redirectUploads` applies to S3 only.
 */
export function openChatStores(settings: StorageSettings, signingSecret: string, cacheDir: string, redirectUploads: boolean): ChatStores {
  if (settings.backend === 'local') return localChatStores(settings.localUploadsDir, signingSecret);
  // The S3 stores straight from @stowage/s3, as `openStores` builds them: importing the `stowage` package would
  // also load its CLI, which Deno cannot evaluate (an import cycle reaches a constant before it is initialized).
  const uploads = S3Store.fromSettings(settings.s3, 'uploads');
  const avatars = S3Store.fromSettings(settings.s3, 'avatars');
  return s3ChatStores(uploads, avatars, { cacheTier: new LocalStore({ root: cacheDir }), redirectUploads });
}
