import { keyProblem } from '@stowage/core';
import { ApiError, notFound } from './api-error.ts';
import type { Handler } from './chat-app.ts';
import { PRIVATE_CACHE_CONTROL, PUBLIC_CACHE_CONTROL, serveObject } from './serve-object.ts';
import { SIGNED_LINK_SECONDS, uploadTarget } from './upload-routes.ts';
import type { UploadTarget } from './upload-routes.ts';

/** The key in a `/prefix/{key}` path, or `undefined` for a path that cannot name a valid key. */
function keyFromPath(pathname: string, prefix: string): string | undefined {
  let key: string;
  try {
    key = decodeURIComponent(pathname.slice(prefix.length));
  } catch {
    return undefined;
  }
  return keyProblem(key) === undefined ? key : undefined;
}

/**
 * `GET|HEAD /user_uploads/{key}`: Zulip's access rule, checked before the store is touched, so a refused request
 * costs no storage read and reveals nothing: a missing file and a forbidden one get the same 404.
 */
export const serveUpload: Handler = async (app, req, res, url) => {
  const key = keyFromPath(url.pathname, '/user_uploads/');
  let target: UploadTarget | undefined;
  let disposition: 'inline' | 'attachment' = url.searchParams.get('download') === '1' ? 'attachment' : 'inline';
  const signed = app.stores.checkSignedLink?.(url, new Date(app.now()));
  if (signed !== undefined && signed.kind !== 'absent') {
    if (signed.kind === 'invalid' || signed.key !== key) {
      throw new ApiError(403, 'Forbidden', 'this link has expired or is not valid; open the file from the chat again');
    }
    // The record is still consulted: a deleted upload stops working even through a link signed before.
    target = uploadTarget(app, signed.key);
    disposition = signed.disposition ?? disposition;
  } else {
    const session = app.session(req);
    if (session === undefined) {
      if ((req.headers.accept ?? '').includes('text/html')) {
        res.writeHead(302, { location: `/?next=${encodeURIComponent(url.pathname)}`, 'cache-control': 'no-store' });
        res.end();
        return;
      }
      throw new ApiError(401, 'Unauthenticated', 'log in to see this file');
    }
    target = key === undefined ? undefined : app.readableUpload(session.user, key);
  }
  if (target === undefined || key === undefined) throw notFound();
  if (app.stores.redirectUploads) {
    const location = await app.stores.uploads.signedUrl(key, { expiresIn: SIGNED_LINK_SECONDS, disposition, filename: target.filename });
    res.writeHead(302, { location, 'cache-control': 'private, no-store' });
    res.end();
    return;
  }
  await serveObject(req, res, app.stores.uploads, key, {
    cacheControl: PRIVATE_CACHE_CONTROL, filename: target.filename, disposition, csp: true,
  }, app.uploadCache);
};

/** `GET|HEAD /user_avatars/{key}`: public, cached by browsers for a year (every new image has a new key). */
export const serveAvatar: Handler = async (app, req, res, url) => {
  const key = keyFromPath(url.pathname, '/user_avatars/');
  if (key === undefined) throw notFound();
  const publicUrl = app.stores.avatarPublicUrl;
  if (publicUrl !== undefined) {
    res.writeHead(302, { location: publicUrl(key), 'cache-control': PUBLIC_CACHE_CONTROL });
    res.end();
    return;
  }
  await serveObject(req, res, app.stores.avatars, key, {
    cacheControl: PUBLIC_CACHE_CONTROL, filename: key.slice(key.lastIndexOf('/') + 1), disposition: 'inline', csp: true,
  }, app.avatarCache);
};
