import type { Context } from 'hono';
import { isStorageError, sanitizeFilename } from '@stowage/core';
import type { ObjectInfo } from '@stowage/core';
import { ApiError, badRequest, notFound } from './api-error.ts';
import type { ChatApp, Handler } from './chat-app.ts';
import type { AttachmentRecord, RealmRecord, UserRecord } from './chat-data.ts';
import { declaredLength, formatBytes, parseId, sendJson } from './http-io.ts';
import { thumbnailWebp } from './images.ts';
import { storedContentType } from './safe-content-type.ts';
import { SIGNED_LINK_SECONDS, readableTarget } from './upload-access.ts';
import { attachmentKey, thumbnailKey } from './upload-keys.ts';
import type { QuotaClaim } from './upload-reservations.ts';

/** Largest attachment read into memory for a thumbnail; larger images are kept without one. */
const MAX_THUMBNAIL_SOURCE_BYTES = 25 * 1024 * 1024;

export function fileTooLarge(limit: number): ApiError {
  return new ApiError(413, 'FileTooLarge', `the file is larger than the ${formatBytes(limit)} upload limit`);
}

export function quotaExceeded(size: number | undefined, quota: number, used: number): ApiError {
  const what = size === undefined ? 'this upload' : `this upload of ${formatBytes(size)}`;
  return new ApiError(
    413,
    'QuotaExceeded',
    `${what} would exceed your organization's upload quota of ${formatBytes(quota)} (${formatBytes(used)} used)`,
  );
}

export function userQuotaExceeded(size: number | undefined, quota: number, used: number): ApiError {
  const what = size === undefined ? 'this upload' : `this upload of ${formatBytes(size)}`;
  const left = Math.max(0, quota - used);
  return new ApiError(
    413,
    'QuotaExceeded',
    `${what} would exceed your personal upload quota of ${formatBytes(quota)} (${formatBytes(used)} used, ${formatBytes(left)} left)`,
  );
}

/** The quotas an upload by `user` counts against: the realm's, and the per-user one when the realm sets it. */
export function quotaClaims(app: ChatApp, realm: RealmRecord, user: UserRecord): QuotaClaim[] {
  // Resumable uploads in progress hold their whole declared length, from creation until complete or gone.
  const claims: QuotaClaim[] = [
    {
      scope: `realm:${realm.id}`,
      stored: () => app.data.realmUsedBytes(realm.id) + app.data.realmTusReservedBytes(realm.id),
      quota: realm.quotaBytes,
    },
  ];
  if (realm.userQuotaBytes !== null) {
    claims.push({
      scope: `user:${user.id}`,
      stored: () => app.data.userUsedBytes(user.id) + app.data.userTusReservedBytes(user.id),
      quota: realm.userQuotaBytes,
    });
  }
  return claims;
}

/** The refusal for an upload of `size` bytes (when known) that `claim` would not take. */
export function quotaRefusal(app: ChatApp, claim: QuotaClaim, size: number | undefined): ApiError {
  const used = claim.stored() + app.pendingUploads.reserved(claim.scope);
  return claim.scope.startsWith('user:')
    ? userQuotaExceeded(size, claim.quota, used)
    : quotaExceeded(size, claim.quota, used);
}

/** Whether `bytes` more would fit every quota the upload counts against now (a check that reserves nothing). */
export function quotaCheck(app: ChatApp, claims: readonly QuotaClaim[], bytes: number): ApiError | undefined {
  const refused = claims.find(
    (claim) => claim.stored() + app.pendingUploads.reserved(claim.scope) + bytes > claim.quota,
  );
  return refused === undefined ? undefined : quotaRefusal(app, refused, undefined);
}

async function makeThumbnail(app: ChatApp, attachment: AttachmentRecord): Promise<string | null> {
  if (attachment.size > MAX_THUMBNAIL_SOURCE_BYTES) return null;
  try {
    const original = await app.stores.uploads.get(attachment.key);
    const bytes = await thumbnailWebp(original.body);
    if (bytes === undefined) return null;
    const key = thumbnailKey(attachment.key);
    await app.stores.uploads.put(key, bytes, { contentType: 'image/webp' });
    return key;
  } catch {
    // A file named like an image that is not one (or a bomb) is still a valid attachment: it just has no preview.
    return null;
  }
}

/** An upload's body, counted as it arrives against the size limit and the realm's quota. */
export interface MeteredBody {
  readonly body: ReadableStream<Uint8Array>;
  /** Gives back whatever this upload still holds of the quota (after its bytes are recorded, or on failure). */
  release(): void;
  /** Why the stream was cut, when the meter cut it. */
  refusal(): ApiError | undefined;
}

/**
 * Checks an upload of `declared` bytes (when the client said) against `MAX_FILE_UPLOAD_SIZE`, the realm's quota and
 * the user's before a byte is read, reserves them, and meters the body: every byte beyond what was reserved is
 * reserved as it arrives, so concurrent uploads of unknown length cannot together pass either quota.
 */
export function meterUpload(
  app: ChatApp,
  realm: RealmRecord,
  user: UserRecord,
  declared: number | undefined,
  source: ReadableStream<Uint8Array>,
): MeteredBody {
  const limit = app.maxFileUploadBytes;
  const claims = quotaClaims(app, realm, user);
  if (declared !== undefined && declared > limit) throw fileTooLarge(limit);
  if (declared !== undefined) {
    const refused = app.pendingUploads.tryReserve(claims, declared);
    if (refused !== undefined) throw quotaRefusal(app, refused, declared);
  }
  let reserved = declared ?? 0;
  let received = 0;
  let refusal: ApiError | undefined;
  const meter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      received += chunk.byteLength;
      if (received > limit) refusal = fileTooLarge(limit);
      else if (received > reserved) {
        const more = received - reserved;
        const refused = app.pendingUploads.tryReserve(claims, more);
        if (refused === undefined) reserved += more;
        else refusal = quotaRefusal(app, refused, undefined);
      }
      if (refusal === undefined) controller.enqueue(chunk);
      else controller.error(refusal);
    },
    flush(controller) {
      // A body cut short must fail the put on every store, whether or not the store checks the size itself.
      if (declared !== undefined && received !== declared) {
        refusal = badRequest(`the upload ended after ${received} of its ${declared} bytes (Content-Length)`);
        controller.error(refusal);
      }
    },
  });
  return {
    body: source.pipeThrough(meter),
    release() {
      app.pendingUploads.release(claims, reserved);
      reserved = 0;
    },
    refusal: () => refusal,
  };
}

/** Stores a metered upload under a new attachment key; a refusal of the meter or the store becomes its `ApiError`. */
export async function storeUpload(
  app: ChatApp,
  c: Context,
  user: UserRecord,
  filename: string,
  declaredType: string | undefined,
  source: ReadableStream<Uint8Array>,
  declared: number | undefined,
): Promise<AttachmentRecord> {
  const realm = app.data.realm(user.realmId);
  if (realm === undefined) throw notFound();
  const metered = meterUpload(app, realm, user, declared, source);
  try {
    app.runtime.continueBody(c);
    const contentType = storedContentType(declaredType, filename);
    const key = attachmentKey(realm.id, filename, app.stores.shardAttachmentKeys);
    let info: ObjectInfo;
    try {
      info = await app.stores.uploads.put(key, metered.body, {
        contentType,
        size: declared,
        ifNoneMatch: '*',
        signal: c.req.raw.signal,
      });
    } catch (error) {
      const refusal = metered.refusal();
      if (refusal !== undefined) throw refusal;
      if (isStorageError(error, 'TooLarge')) throw fileTooLarge(app.maxFileUploadBytes);
      if (isStorageError(error, 'IntegrityError'))
        throw badRequest('the upload ended before Content-Length bytes arrived');
      throw error;
    }
    const id = app.data.createAttachment({
      realmId: realm.id,
      ownerId: user.id,
      key,
      name: filename,
      size: info.size,
      contentType,
      thumbnailKey: null,
      createdAt: app.now(),
    });
    const attachment = app.data.attachment(id);
    if (attachment === undefined) throw notFound();
    return attachment;
  } finally {
    metered.release();
  }
}

/** Adds the feed thumbnail of an image attachment, when its bytes are a raster image sharp reads. */
export async function withThumbnail(app: ChatApp, attachment: AttachmentRecord): Promise<AttachmentRecord> {
  const thumbnail = await makeThumbnail(app, attachment);
  if (thumbnail === null) return attachment;
  app.data.setThumbnailKey(attachment.id, thumbnail);
  return { ...attachment, thumbnailKey: thumbnail };
}

/** `POST /api/uploads?name=...`: the raw body is streamed to the uploads store. */
export const upload: Handler = async (app, c) => {
  const { user } = app.requireWrite(c);
  const filename = sanitizeFilename(c.req.query('name') ?? '');
  const body =
    c.req.raw.body ??
    new ReadableStream<Uint8Array>({
      start: (controller) => {
        controller.close();
      },
    });
  const stored = await storeUpload(app, c, user, filename, c.req.header('content-type'), body, declaredLength(c));
  return sendJson(c, 201, app.attachmentView(await withThumbnail(app, stored)));
};

/** `GET /api/attachments`: the caller's uploads, where each is linked, and the realm's quota use. */
export const listAttachments: Handler = (app, c) => {
  const { user } = app.requireSession(c);
  const realm = app.data.realm(user.realmId);
  const attachments = app.data.attachmentsOfOwner(user.id).map((attachment) => ({
    ...app.attachmentView(attachment),
    messages: app.data.messagesLinking(attachment.id),
  }));
  return sendJson(c, 200, {
    attachments,
    usedBytes: app.data.realmUsedBytes(user.realmId),
    quotaBytes: realm?.quotaBytes ?? 0,
    userUsedBytes: app.data.userUsedBytes(user.id),
    userQuotaBytes: realm?.userQuotaBytes ?? null,
    // Declared lengths of resumable uploads not yet complete: held against the quotas, not yet in `usedBytes`.
    pendingBytes: app.data.realmTusReservedBytes(user.realmId),
    userPendingBytes: app.data.userTusReservedBytes(user.id),
  });
};

/** Removes an attachment's objects, then its record (so a failure leaves it listed and retryable). */
export async function removeAttachment(app: ChatApp, attachment: AttachmentRecord): Promise<void> {
  const keys = attachment.thumbnailKey === null ? [attachment.key] : [attachment.key, attachment.thumbnailKey];
  await app.stores.uploads.deleteMany(keys);
  for (const key of keys) app.uploadCache.delete(key);
  app.data.deleteAttachment(attachment.id);
}

/** `DELETE /api/attachments/{id}`: owner only; others learn nothing (404). */
export const deleteAttachment: Handler = async (app, c) => {
  const { user } = app.requireWrite(c);
  const attachment = app.data.attachment(parseId(c.req.param('id'), 'attachment id'));
  if (attachment?.ownerId !== user.id) throw notFound();
  await removeAttachment(app, attachment);
  return sendJson(c, 200, {});
};

/** `GET /api/signed-url?path=/user_uploads/{key}`: a 60 s link for clients that cannot send the cookie. */
export const signedUrl: Handler = async (app, c) => {
  const { user } = app.requireSession(c);
  const path = c.req.query('path') ?? '';
  if (!path.startsWith('/user_uploads/')) throw badRequest('"path" must be a /user_uploads/ path');
  let key: string;
  try {
    key = decodeURIComponent(path.slice('/user_uploads/'.length));
  } catch {
    throw notFound();
  }
  const target = readableTarget(app.data, user, key);
  if (target === undefined) throw notFound();
  const link = await app.stores.uploads.signedUrl(key, {
    expiresIn: SIGNED_LINK_SECONDS,
    disposition: 'inline',
    filename: target.filename,
  });
  return sendJson(c, 200, { url: link, expiresIn: SIGNED_LINK_SECONDS });
};
