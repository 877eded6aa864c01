import { join } from 'node:path';
import { parseStorageSettings, withCache } from '@stowage/core';
import type { ObjectStore, StorageSettings } from '@stowage/core';
import { LocalStore, verifySignedUrl } from '@stowage/local';
import type { LocalFileSystem, UrlSigning } from '@stowage/local';
import { openStores } from 'stowage';
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

/** The local stores as `openStores` lays them out (Zulip's `files/` and `avatars/`), with the app's link signing. */
export function localChatStores(uploadsDir: string, signingSecret: string, fs?: LocalFileSystem): ChatStores {
  return openChatStores(parseStorageSettings({ LOCAL_UPLOADS_DIR: uploadsDir }), {
    signingSecret,
    cacheDir: join(uploadsDir, 's3-cache'),
    localFileSystem: fs,
  });
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
export function s3ChatStores(
  uploads: ObjectStore,
  avatars: ObjectStore,
  options: S3ChatStoresOptions,
  close: () => void = () => undefined,
): ChatStores {
  return {
    backend: 's3',
    uploads: options.redirectUploads ? uploads : withCache(uploads, { tier: options.cacheTier }),
    avatars,
    shardAttachmentKeys: false,
    redirectUploads: options.redirectUploads,
    avatarPublicUrl: (key) => avatars.publicUrl(key),
    checkSignedLink: undefined,
    close,
  };
}

export interface OpenChatStoresOptions {
  /** Signs and verifies local upload links (HMAC). */
  readonly signingSecret: string;
  /** S3 only: the folder of the read cache's slices. */
  readonly cacheDir: string;
  /** S3 only: answer uploads with a redirect to a presigned URL. */
  readonly redirectUploads?: boolean | undefined;
  /** Local only: the file system (memfs in tests). */
  readonly localFileSystem?: LocalFileSystem | undefined;
}

/**
 * The stores the settings select, opened by the `stowage` library's `openStores` (Zulip's layout and names), and
 * how the app serves each: local uploads with HMAC-signed links this app verifies, local avatars under
 * `/user_avatars/`; S3 uploads through a read cache in `cacheDir` (or redirected), S3 avatars at the bucket's URL.
 */
export function openChatStores(settings: StorageSettings, options: OpenChatStoresOptions): ChatStores {
  const signing: UrlSigning = { secret: options.signingSecret, urlBase: UPLOADS_URL_BASE };
  const stores = openStores(settings, { localUploadsSigning: signing, localFileSystem: options.localFileSystem });
  if (settings.backend === 'local') {
    return {
      backend: 'local',
      uploads: stores.uploads,
      avatars: stores.avatars,
      shardAttachmentKeys: true,
      redirectUploads: false,
      avatarPublicUrl: undefined,
      checkSignedLink: localSignedLinkCheck(signing),
      deployment: stores,
      close: () => {
        stores.close();
      },
    };
  }
  const cacheTier = new LocalStore({ root: options.cacheDir });
  const chatStores = s3ChatStores(
    stores.uploads,
    stores.avatars,
    { cacheTier, redirectUploads: options.redirectUploads ?? false },
    () => {
      stores.close();
    },
  );
  return { ...chatStores, deployment: stores };
}
