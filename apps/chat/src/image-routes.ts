import type { Context } from 'hono';
import { ApiError, badRequest, notFound } from './api-error.ts';
import type { ChatApp, Handler } from './chat-app.ts';
import type { RealmImage } from './chat-data.ts';
import { formatBytes, parseId, readSmallBody, sendJson } from './http-io.ts';
import {
  AVATAR_MEDIUM_SIZE,
  AVATAR_SIZE,
  EMOJI_SIZE,
  LOGO_HEIGHT,
  LOGO_WIDTH,
  REALM_ICON_SIZE,
  checkImage,
  fittedPng,
  squarePng,
} from './images.ts';
import { avatarHash, avatarKeys, emojiKeys, realmImageKeys } from './upload-keys.ts';

const EMOJI_NAME = /^[a-z0-9_-]{1,60}$/u;

/**
 * Reads an image upload into memory: images are small (5 MiB by default) and sharp needs the whole file. The
 * limit is checked on `Content-Length` first and again while reading.
 */
async function readImageBody(app: ChatApp, c: Context): Promise<{ bytes: Uint8Array; contentType: string }> {
  const limit = app.maxImageUploadBytes;
  const bytes = await readSmallBody(
    app.runtime,
    c,
    limit,
    () => new ApiError(413, 'FileTooLarge', `images may be at most ${formatBytes(limit)}`),
  );
  if (bytes.byteLength === 0) throw new ApiError(400, 'InvalidImage', 'the request has no image in its body');
  const { format } = await checkImage(bytes);
  return { bytes, contentType: `image/${format}` };
}

/** `POST /api/users/me/avatar`: new version, new hash, new keys; the old images are removed. */
export const uploadAvatar: Handler = async (app, c) => {
  const { user } = app.requireWrite(c);
  const { bytes, contentType } = await readImageBody(app, c);
  const [small, medium] = await Promise.all([squarePng(bytes, AVATAR_SIZE), squarePng(bytes, AVATAR_MEDIUM_SIZE)]);
  const hash = avatarHash(user.id, app.data.nextAvatarVersion(user.id), app.avatarSalt);
  const keys = avatarKeys(user.realmId, hash);
  const avatars = app.stores.avatars;
  await avatars.put(keys.original, bytes, { contentType });
  await avatars.put(keys.medium, medium, { contentType: 'image/png' });
  await avatars.put(keys.small, small, { contentType: 'image/png' });
  app.data.setAvatarHash(user.id, hash);
  app.sessions.userChanged(user.id);
  if (user.avatarHash !== null) await removeAvatarObjects(app, user.realmId, user.avatarHash);
  const updated = app.data.user(user.id);
  if (updated === undefined) throw notFound();
  return sendJson(c, 200, {
    avatarUrl: app.userView(updated).avatarUrl,
    avatarMediumUrl: app.userView(updated).avatarMediumUrl,
  });
};

async function removeAvatarObjects(app: ChatApp, realmId: number, hash: string): Promise<void> {
  const old = avatarKeys(realmId, hash);
  await app.stores.avatars.deleteMany([old.original, old.small, old.medium]);
  for (const key of [old.original, old.small, old.medium]) app.avatarCache.delete(key);
}

/** `DELETE /api/users/me/avatar`. */
export const deleteAvatar: Handler = async (app, c) => {
  const { user } = app.requireWrite(c);
  app.data.setAvatarHash(user.id, null);
  app.sessions.userChanged(user.id);
  if (user.avatarHash !== null) await removeAvatarObjects(app, user.realmId, user.avatarHash);
  return sendJson(c, 200, { avatarUrl: null, avatarMediumUrl: null });
};

/** `POST /api/realm/icon` and `POST /api/realm/logo[?night=1]` (admins). */
export function uploadRealmImage(kind: 'icon' | 'logo'): Handler {
  return async (app, c) => {
    const { user } = app.requireAdmin(c);
    const image: RealmImage = kind === 'icon' ? 'icon' : c.req.query('night') === '1' ? 'night_logo' : 'logo';
    const { bytes, contentType } = await readImageBody(app, c);
    const resized =
      image === 'icon' ? await squarePng(bytes, REALM_ICON_SIZE) : await fittedPng(bytes, LOGO_WIDTH, LOGO_HEIGHT);
    const keys = realmImageKeys(user.realmId, image);
    await app.stores.avatars.put(keys.original, bytes, { contentType });
    await app.stores.avatars.put(keys.image, resized, { contentType: 'image/png' });
    // These keys are reused (the URL's ?version= changes instead), so the memory copy must go.
    app.avatarCache.delete(keys.original);
    app.avatarCache.delete(keys.image);
    app.data.bumpRealmImage(user.realmId, image);
    const realm = app.data.realm(user.realmId);
    if (realm === undefined) throw notFound();
    const field = image === 'icon' ? 'iconUrl' : image === 'logo' ? 'logoUrl' : 'nightLogoUrl';
    return sendJson(c, 200, { [field]: app.realmImageUrl(realm, image) });
  };
}

/** `GET /api/realm/emoji`. */
export const listEmoji: Handler = (app, c) => {
  const { user } = app.requireSession(c);
  const emoji = app.data
    .emojiOfRealm(user.realmId)
    .map((item) => ({ id: item.id, name: item.name, url: app.avatarUrl(item.key), authorId: item.authorId }));
  return sendJson(c, 200, { emoji });
};

/** `POST /api/realm/emoji?name=...`. */
export const uploadEmoji: Handler = async (app, c) => {
  const { user } = app.requireWrite(c);
  const name = c.req.query('name') ?? '';
  if (!EMOJI_NAME.test(name)) throw badRequest('emoji names are 1 to 60 of a-z, 0-9, "_" and "-"');
  if (app.data.emojiByName(user.realmId, name) !== undefined)
    throw badRequest(`there is already an emoji named "${name}"`);
  const { bytes, contentType } = await readImageBody(app, c);
  const resized = await fittedPng(bytes, EMOJI_SIZE, EMOJI_SIZE);
  const keys = emojiKeys(user.realmId);
  await app.stores.avatars.put(keys.original, bytes, { contentType });
  await app.stores.avatars.put(keys.image, resized, { contentType: 'image/png' });
  let id: number;
  try {
    id = app.data.createEmoji(user.realmId, name, keys.image, user.id);
  } catch (error) {
    // Lost a race for the name: leave nothing behind.
    await app.stores.avatars.deleteMany([keys.original, keys.image]);
    throw badRequest(`there is already an emoji named "${name}"`, error);
  }
  return sendJson(c, 201, { id, name, url: app.avatarUrl(keys.image), authorId: user.id });
};

/** `DELETE /api/realm/emoji/{id}`: its author or an admin. */
export const deleteEmoji: Handler = async (app, c) => {
  const { user } = app.requireWrite(c);
  const emoji = app.data.emoji(parseId(c.req.param('id'), 'emoji id'));
  if (emoji?.realmId !== user.realmId) throw notFound();
  if (emoji.authorId !== user.id && !user.isAdmin)
    throw new ApiError(403, 'Forbidden', 'only its author or an administrator may remove an emoji');
  app.data.deleteEmoji(emoji.id);
  await app.stores.avatars.deleteMany([emoji.key, `${emoji.key}.original`]);
  app.avatarCache.delete(emoji.key);
  return sendJson(c, 200, {});
};
