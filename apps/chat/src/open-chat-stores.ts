import { join } from 'node:path';
import type { StorageSettings } from '@stowage/core';
import { LocalStore, verifySignedUrl } from '@stowage/local';
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

/** The stores the settings select. `redirectUploads` applies to S3 only. */
export function openChatStores(settings: StorageSettings, signingSecret: string, redirectUploads: boolean): Promise<ChatStores> {
  if (settings.backend === 'local') return Promise.resolve(localChatStores(settings.localUploadsDir, signingSecret));
  return Promise.reject(new Error(`S3 storage for the chat app is not wired yet (redirect ${redirectUploads})`));
}
