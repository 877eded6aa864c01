import { isStorageError, keyProblem } from '@stowage/core';
import type { ObjectStore } from '@stowage/core';
import { ApiError, notFound } from './api-error.ts';
import type { ChatApp, Handler } from './chat-app.ts';
import type { ActiveSession } from './sessions.ts';
import { localAccelPath, s3AccelPath } from './nginx-mode.ts';
import { PRIVATE_CACHE_CONTROL, PUBLIC_CACHE_CONTROL, objectHeaders, serveObject } from './serve-object.ts';
import type { ServeObjectOptions } from './serve-object.ts';
import type { SmallObjectCache } from './small-object-cache.ts';
import { SIGNED_LINK_SECONDS, uploadTarget } from './upload-access.ts';
import type { UploadTarget } from './upload-access.ts';

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

/** What a file request comes to once the access rules are checked, before any storage is touched. */
export type FilePlan =
  | {
      readonly kind: 'object';
      readonly store: ObjectStore;
      readonly key: string;
      readonly options: ServeObjectOptions;
      readonly cache: SmallObjectCache;
    }
  | { readonly kind: 'redirect'; readonly location: string; readonly cacheControl: string }
  | {
      readonly kind: 'presigned';
      readonly key: string;
      readonly disposition: 'inline' | 'attachment';
      readonly filename: string;
    }
  | {
      readonly kind: 'accel';
      readonly key: string;
      readonly options: ServeObjectOptions;
      readonly contentType: string;
    };

const UPLOADS_PREFIX = '/user_uploads/';
const AVATARS_PREFIX = '/user_avatars/';

/** A file route's URL, read once: which route, and the key its path names (`undefined`: no valid key). */
export interface FileTarget {
  readonly url: URL;
  readonly route: 'upload' | 'avatar';
  readonly key: string | undefined;
}

/** The file route a URL names, or `undefined` for any other path. */
export function fileTarget(url: URL): FileTarget | undefined {
  if (url.pathname.startsWith(UPLOADS_PREFIX))
    return { url, route: 'upload', key: keyFromPath(url.pathname, UPLOADS_PREFIX) };
  if (url.pathname.startsWith(AVATARS_PREFIX))
    return { url, route: 'avatar', key: keyFromPath(url.pathname, AVATARS_PREFIX) };
  return undefined;
}

/** What the file routes read of a request besides its URL. */
export interface FileRequestHeaders {
  /** The live session the request's cookie names. */
  readonly session: ActiveSession | undefined;
  readonly accept?: string | undefined;
}

/**
 * `GET|HEAD /user_uploads/{key}`: Zulip's access rule, checked before the store is touched, so a refused request
 * costs no storage read and reveals nothing: a missing file and a forbidden one get the same 404.
 */
function planUpload(app: ChatApp, { url, key }: FileTarget, headers: FileRequestHeaders): FilePlan {
  let target: UploadTarget | undefined;
  let disposition: 'inline' | 'attachment' = url.searchParams.get('download') === '1' ? 'attachment' : 'inline';
  const signed = app.stores.checkSignedLink?.(url, new Date(app.now()));
  if (signed !== undefined && signed.kind !== 'absent') {
    if (signed.kind === 'invalid' || signed.key !== key) {
      throw new ApiError(403, 'Forbidden', 'this link has expired or is not valid; open the file from the chat again');
    }
    // The record is still consulted: a deleted upload stops working even through a link signed before.
    target = uploadTarget(app.data, signed.key);
    disposition = signed.disposition ?? disposition;
  } else {
    const session = headers.session;
    if (session === undefined) {
      if ((headers.accept ?? '').includes('text/html')) {
        return { kind: 'redirect', location: `/?next=${encodeURIComponent(url.pathname)}`, cacheControl: 'no-store' };
      }
      throw new ApiError(401, 'Unauthenticated', 'log in to see this file');
    }
    target = key === undefined ? undefined : app.readableUpload(session.user, key);
  }
  if (target === undefined || key === undefined) throw notFound();
  if (app.stores.redirectUploads) return { kind: 'presigned', key, disposition, filename: target.filename };
  const options: ServeObjectOptions = {
    cacheControl: PRIVATE_CACHE_CONTROL,
    filename: target.filename,
    disposition,
    csp: true,
  };
  if (app.serveVia === 'nginx') {
    const contentType = key === target.attachment.key ? target.attachment.contentType : 'image/webp';
    return { kind: 'accel', key, options, contentType };
  }
  return { kind: 'object', store: app.stores.uploads, key, cache: app.uploadCache, options };
}

/** `GET|HEAD /user_avatars/{key}`: public, cached by browsers for a year (every new image has a new key). */
function planAvatar(app: ChatApp, { key }: FileTarget): FilePlan {
  if (key === undefined) throw notFound();
  const publicUrl = app.stores.avatarPublicUrl;
  if (publicUrl !== undefined)
    return { kind: 'redirect', location: publicUrl(key), cacheControl: PUBLIC_CACHE_CONTROL };
  return {
    kind: 'object',
    store: app.stores.avatars,
    key,
    cache: app.avatarCache,
    options: {
      cacheControl: PUBLIC_CACHE_CONTROL,
      filename: key.slice(key.lastIndexOf('/') + 1),
      disposition: 'inline',
      csp: true,
    },
  };
}

/** What a request for a file route comes to; a refusal is thrown as the `ApiError` to answer. */
export function planFile(app: ChatApp, target: FileTarget, headers: FileRequestHeaders): FilePlan {
  return target.route === 'upload' ? planUpload(app, target, headers) : planAvatar(app, target);
}

async function carryOut(app: ChatApp, plan: FilePlan, request: Request): Promise<Response> {
  switch (plan.kind) {
    case 'redirect':
      return new Response(null, {
        status: 302,
        headers: { location: plan.location, 'cache-control': plan.cacheControl },
      });
    case 'presigned': {
      const location = await app.stores.uploads.signedUrl(plan.key, {
        expiresIn: SIGNED_LINK_SECONDS,
        disposition: plan.disposition,
        filename: plan.filename,
      });
      return new Response(null, { status: 302, headers: { location, 'cache-control': 'private, no-store' } });
    }
    case 'object':
      return serveObject(request, plan.store, plan.key, plan.options, plan.cache);
    case 'accel':
      return accelRedirect(app, plan);
  }
}

/**
 * nginx mode: the answer names where nginx finds the bytes (`X-Accel-Redirect`) and carries the headers the app
 * decided; nginx keeps the type, disposition and cache headers of this answer and sends the file, ranges included.
 */
async function accelRedirect(
  app: ChatApp,
  plan: { readonly key: string; readonly options: ServeObjectOptions; readonly contentType: string },
): Promise<Response> {
  const headers = objectHeaders({ contentType: plan.contentType, etag: '', lastModified: new Date(0) }, plan.options);
  delete headers.etag;
  delete headers['last-modified'];
  if (app.stores.backend === 'local') {
    headers['x-accel-redirect'] = localAccelPath(plan.key);
  } else {
    const presigned = await app.stores.uploads.signedUrl(plan.key, { expiresIn: SIGNED_LINK_SECONDS });
    headers['x-accel-redirect'] = s3AccelPath(presigned);
  }
  return new Response(null, { status: 200, headers });
}

/**
 * The path a request names is served only when the client wrote it in its canonical form: a target with dot
 * segments (plain or percent-encoded) or backslashes is routed here only after the server normalised it, and a
 * proxy or CDN in front that does not normalise would have routed it elsewhere.
 */
function isCanonicalTarget(target: string | undefined, url: URL): boolean {
  if (target === undefined) return true;
  const query = target.indexOf('?');
  const path = query === -1 ? target : target.slice(0, query);
  if (path !== url.pathname) return false;
  return !/(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/iu.test(path) && !/%5c|\\/iu.test(path);
}

const PAGE_TEXT: Readonly<Record<number, { readonly title: string; readonly text: string }>> = {
  403: {
    title: 'This link no longer works',
    text: 'Links to files work for a short time only. Open the file from the chat again.',
  },
  404: {
    title: 'File not available',
    text: 'This file was deleted, or it was shared somewhere you cannot see. Ask the person who shared it.',
  },
};

const escapeHtml = (text: string): string => text.replace(/[&<>"']/gu, (char) => `&#${char.charCodeAt(0)};`);

/**
 * A refusal a person sees when they open a file link in the browser: a short page in words instead of the JSON
 * the API answers. The same page for a missing and a forbidden file, so it reveals no more than the JSON does.
 */
function refusalPage(error: ApiError): Response {
  const page = PAGE_TEXT[error.status] ?? { title: 'File not available', text: error.message };
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)} · Stowage chat</title>
<style>body{font:16px/1.5 system-ui,sans-serif;color:#1d2433;background:#f4f5f7;margin:0;display:grid;place-items:center;min-height:100vh}
main{background:#fff;border:1px solid #dde1e8;border-radius:10px;padding:2rem;max-width:32rem;margin:1rem}h1{font-size:1.3rem;margin:0 0 .5rem}a{color:#1f5fd6}</style>
</head><body><main><h1>${escapeHtml(page.title)}</h1><p>${escapeHtml(page.text)}</p><p><a href="/">Back to the chat</a></p></main></body></html>
`;
  return new Response(html, {
    status: error.status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      // Only the inline style above may apply; no script, no other resource.
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    },
  });
}

/** `GET|HEAD /user_uploads/...` and `/user_avatars/...`. */
export const serveFile: Handler = async (app, c) => {
  const url = new URL(c.req.url);
  const accept = c.req.header('accept');
  try {
    if (!isCanonicalTarget(app.runtime.requestTarget(c), url)) throw notFound();
    const target = fileTarget(url);
    if (target === undefined) throw notFound();
    const plan = planFile(app, target, { session: app.session(c), accept });
    return await carryOut(app, plan, c.req.raw);
  } catch (error) {
    // A browser opening the link (it asks for HTML first) gets a page; API clients keep the JSON error.
    if ((accept ?? '').includes('text/html')) {
      if (error instanceof ApiError && (error.status === 403 || error.status === 404)) return refusalPage(error);
      if (isStorageError(error, 'NotFound') || isStorageError(error, 'InvalidKey')) return refusalPage(notFound());
    }
    throw error;
  }
};
