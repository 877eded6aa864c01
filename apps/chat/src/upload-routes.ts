import type { IncomingMessage } from 'node:http';
import { guessContentType, isStorageError, mediaType, sanitizeFilename } from '@stowage/core';
import type { ObjectInfo } from '@stowage/core';
import { ApiError, badRequest, notFound } from './api-error.ts';
import type { ChatApp, Handler } from './chat-app.ts';
import type { AttachmentRecord, UserRecord } from './chat-data.ts';
import { formatBytes, parseId, sendJson } from './http-io.ts';
import { thumbnailWebp } from './images.ts';
import { attachmentKey, attachmentKeyOfThumbnail, thumbnailKey } from './upload-keys.ts';

/** Raster types sharp thumbnails; SVG is left out on purpose (it is a document that can carry script). */
const THUMBNAIL_TYPES: ReadonlySet<string> = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/avif', 'image/tiff', 'image/apng']);
export const SIGNED_LINK_SECONDS = 60;
const CONTENT_TYPE_SHAPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/u;

/** The sender's type when it is a plausible media type and not the generic one; else one guessed from the name. */
function uploadContentType(req: IncomingMessage, filename: string): string {
  const sent = mediaType(req.headers['content-type'] ?? '');
  if (CONTENT_TYPE_SHAPE.test(sent) && sent !== 'application/octet-stream') return sent;
  return guessContentType(filename);
}

/** `Content-Length` as a number, `undefined` when absent; a malformed one is a `BadRequest`. */
export function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  if (header === undefined) return undefined;
  if (!/^\d{1,15}$/u.test(header)) throw badRequest('Content-Length must be a whole number of bytes');
  return Number(header);
}

function fileTooLarge(limit: number): ApiError {
  return new ApiError(413, 'FileTooLarge', `the file is larger than the ${formatBytes(limit)} upload limit`);
}

function quotaExceeded(size: number | undefined, quota: number, used: number): ApiError {
  const what = size === undefined ? 'this upload' : `this upload of ${formatBytes(size)}`;
  return new ApiError(413, 'QuotaExceeded', `${what} would exceed your organization's upload quota of ${formatBytes(quota)} (${formatBytes(used)} used)`);
}

async function makeThumbnail(app: ChatApp, attachment: AttachmentRecord): Promise<string | null> {
  if (!THUMBNAIL_TYPES.has(attachment.contentType)) return null;
  try {
    const original = await app.stores.uploads.get(attachment.key);
    const bytes = await thumbnailWebp(original.body);
    const key = thumbnailKey(attachment.key);
    await app.stores.uploads.put(key, bytes, { contentType: 'image/webp' });
    return key;
  } catch {
    // A file named like an image that is not one (or a bomb) is still a valid attachment: it just has no preview.
    return null;
  }
}

/** `POST /api/uploads?name=...`: the raw body is streamed to the uploads store. */
export const upload: Handler = async (app, req, res, url) => {
  const { user } = app.requireWrite(req);
  const realm = app.data.realm(user.realmId);
  if (realm === undefined) throw notFound();
  const filename = sanitizeFilename(url.searchParams.get('name') ?? '');
  const size = declaredLength(req);
  // Uploads still streaming count against the quota too, so two at once cannot both take the last bytes.
  const pending = app.pendingUploadBytes.get(realm.id) ?? 0;
  const used = app.data.realmUsedBytes(realm.id) + pending;
  const remaining = Math.max(0, realm.quotaBytes - used);
  // Refused before a byte is read or stored, so a browser learns at once.
  if (size !== undefined && size > app.maxFileUploadBytes) throw fileTooLarge(app.maxFileUploadBytes);
  if (size !== undefined && size > remaining) throw quotaExceeded(size, realm.quotaBytes, used);
  const limit = Math.min(app.maxFileUploadBytes, remaining);
  const contentType = uploadContentType(req, filename);
  const key = attachmentKey(realm.id, filename, app.stores.shardAttachmentKeys);
  let info: ObjectInfo;
  const reserved = size ?? 0;
  app.pendingUploadBytes.set(realm.id, pending + reserved);
  try {
    info = await app.stores.uploads.put(key, req, { contentType, size, maxSize: limit, ifNoneMatch: '*' });
  } catch (error) {
    if (isStorageError(error, 'TooLarge')) {
      throw limit === app.maxFileUploadBytes ? fileTooLarge(limit) : quotaExceeded(undefined, realm.quotaBytes, used);
    }
    if (isStorageError(error, 'IntegrityError')) throw badRequest('the upload ended before Content-Length bytes arrived');
    throw error;
  } finally {
    const left = (app.pendingUploadBytes.get(realm.id) ?? reserved) - reserved;
    if (left > 0) app.pendingUploadBytes.set(realm.id, left);
    else app.pendingUploadBytes.delete(realm.id);
  }
  const created = app.now();
  const id = app.data.createAttachment({
    realmId: realm.id, ownerId: user.id, key, name: filename, size: info.size, contentType, thumbnailKey: null, createdAt: created,
  });
  let attachment = app.data.attachment(id);
  if (attachment === undefined) throw notFound();
  const thumbnail = await makeThumbnail(app, attachment);
  if (thumbnail !== null) {
    app.data.setThumbnailKey(id, thumbnail);
    attachment = { ...attachment, thumbnailKey: thumbnail };
  }
  sendJson(res, 201, app.attachmentView(attachment));
};

/** `GET /api/attachments`: the caller's uploads, where each is linked, and the realm's quota use. */
export const listAttachments: Handler = (app, req, res) => {
  const { user } = app.requireSession(req);
  const realm = app.data.realm(user.realmId);
  const attachments = app.data.attachmentsOfOwner(user.id).map((attachment) => ({
    ...app.attachmentView(attachment),
    messages: app.data.messagesLinking(attachment.id),
  }));
  sendJson(res, 200, { attachments, usedBytes: app.data.realmUsedBytes(user.realmId), quotaBytes: realm?.quotaBytes ?? 0 });
  return Promise.resolve();
};

/** Removes an attachment's objects, then its record (so a failure leaves it listed and retryable). */
export async function removeAttachment(app: ChatApp, attachment: AttachmentRecord): Promise<void> {
  const keys = attachment.thumbnailKey === null ? [attachment.key] : [attachment.key, attachment.thumbnailKey];
  await app.stores.uploads.deleteMany(keys);
  for (const key of keys) app.uploadCache.delete(key);
  app.data.deleteAttachment(attachment.id);
}

/** `DELETE /api/attachments/{id}`: owner only; others learn nothing (404). */
export const deleteAttachment: Handler = async (app, req, res, url) => {
  const { user } = app.requireWrite(req);
  const attachment = app.data.attachment(parseId(url.pathname.split('/')[3], 'attachment id'));
  if (attachment?.ownerId !== user.id) throw notFound();
  await removeAttachment(app, attachment);
  sendJson(res, 200, {});
};

export interface UploadTarget {
  readonly attachment: AttachmentRecord;
  /** The name a browser is offered for this object. */
  readonly filename: string;
}

/**
 * The attachment a `/user_uploads/` key belongs to (the file itself, or its thumbnail), or `undefined` when there
 * is no such attachment or thumbnail.
 */
export function uploadTarget(app: ChatApp, key: string): UploadTarget | undefined {
  const ofThumbnail = attachmentKeyOfThumbnail(key);
  if (ofThumbnail === undefined) {
    const attachment = app.data.attachmentByKey(key);
    return attachment === undefined ? undefined : { attachment, filename: attachment.name };
  }
  const attachment = app.data.attachmentByKey(ofThumbnail);
  if (attachment?.thumbnailKey !== key) return undefined;
  return { attachment, filename: `${attachment.name}.webp` };
}

/** The target when `user` may read it; missing and forbidden are the same `undefined`. */
export function readableTarget(app: ChatApp, user: UserRecord, key: string): UploadTarget | undefined {
  const target = uploadTarget(app, key);
  return target !== undefined && app.data.canRead(user, target.attachment) ? target : undefined;
}

/** `GET /api/signed-url?path=/user_uploads/{key}`: a 60 s link for clients that cannot send the cookie. */
export const signedUrl: Handler = async (app, req, res, url) => {
  const { user } = app.requireSession(req);
  const path = url.searchParams.get('path') ?? '';
  if (!path.startsWith('/user_uploads/')) throw badRequest('"path" must be a /user_uploads/ path');
  let key: string;
  try {
    key = decodeURIComponent(path.slice('/user_uploads/'.length));
  } catch {
    throw notFound();
  }
  const target = readableTarget(app, user, key);
  if (target === undefined) throw notFound();
  const link = await app.stores.uploads.signedUrl(key, { expiresIn: SIGNED_LINK_SECONDS, disposition: 'inline', filename: target.filename });
  sendJson(res, 200, { url: link, expiresIn: SIGNED_LINK_SECONDS });
};
