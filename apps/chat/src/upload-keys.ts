import { createHash, randomBytes } from 'node:crypto';
import { sanitizeFilename, validateKey } from '@stowage/core';
import type { RealmImage } from './chat-data.ts';
import { THUMBNAIL_HEIGHT, THUMBNAIL_WIDTH } from './images.ts';

/**
 * Zulip's attachment key: `{realm}/{random}/{sanitized name}`; the local store adds a two-hex-digit shard level
 * (`{realm}/{xx}/{random}/{name}`) so no directory grows too large. The random part makes keys unguessable and
 * immutable: a new upload never reuses one.
 */
export function attachmentKey(realmId: number, filename: string, shard: boolean): string {
  const random = randomBytes(18).toString('base64url');
  const shardLevel = shard ? `${randomBytes(1).toString('hex')}/` : '';
  return validateKey(`${realmId}/${shardLevel}${random}/${sanitizeFilename(filename)}`);
}

/** Where an attachment's feed thumbnail lives. */
export function thumbnailKey(attachmentKey: string): string {
  return `thumbnail/${attachmentKey}/${THUMBNAIL_WIDTH}x${THUMBNAIL_HEIGHT}.webp`;
}

const THUMBNAIL_PATH = /^thumbnail\/(.+)\/\d+x\d+\.webp$/u;

/** The attachment key a thumbnail key belongs to, or `undefined` for a key that is not a thumbnail's. */
export function attachmentKeyOfThumbnail(key: string): string | undefined {
  return THUMBNAIL_PATH.exec(key)?.[1];
}

/**
 * The avatar hash covers the user id, the avatar version and a server secret, so avatar URLs cannot be guessed
 * from a user id, and every new avatar (a new version) gets new keys that can be cached for a year.
 */
export function avatarHash(userId: number, version: number, salt: string): string {
  return createHash('sha256').update(`${salt}:${userId}:${version}`).digest('hex').slice(0, 40);
}

export interface AvatarKeys {
  readonly original: string;
  /** 100 px square. */
  readonly small: string;
  /** 500 px square. */
  readonly medium: string;
}

export function avatarKeys(realmId: number, hash: string): AvatarKeys {
  return {
    original: `${realmId}/${hash}.original`,
    small: `${realmId}/${hash}.png`,
    medium: `${realmId}/${hash}-medium.png`,
  };
}

/** `{realm}/realm/icon.png`, `logo.png`, `night_logo.png`, each with its `.original`. */
export function realmImageKeys(
  realmId: number,
  image: RealmImage,
): { readonly image: string; readonly original: string } {
  return { image: `${realmId}/realm/${image}.png`, original: `${realmId}/realm/${image}.original` };
}

/** `{realm}/emoji/images/{file}` (64 px PNG) and the uploaded `.original` beside it. */
export function emojiKeys(realmId: number): { readonly image: string; readonly original: string } {
  const file = `${randomBytes(12).toString('hex')}.png`;
  return { image: `${realmId}/emoji/images/${file}`, original: `${realmId}/emoji/images/${file}.original` };
}
