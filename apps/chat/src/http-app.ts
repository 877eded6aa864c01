import { Hono } from 'hono';
import type { Context, MiddlewareHandler } from 'hono';
import { ApiError } from './api-error.ts';
import { getApiKey, getSession, login, logout } from './auth-routes.ts';
import type { ChatApp, Handler } from './chat-app.ts';
import { errorResponse } from './http-io.ts';
import { deleteAvatar, deleteEmoji, listEmoji, uploadAvatar, uploadEmoji, uploadRealmImage } from './image-routes.ts';
import {
  deleteMessage,
  getChannels,
  getDirectConversations,
  getMessages,
  getRealm,
  getUsers,
  postMessage,
  setRealmQuotas,
  startDirectConversation,
} from './message-routes.ts';
import { serveFile } from './serve-routes.ts';
import { deleteAttachment, listAttachments, signedUrl, upload } from './upload-routes.ts';
import { zulipApi } from './zulip-api.ts';

/** The web UI's own files (HTML, scripts, styles): same origin, so a strict CSP allowing only 'self'. */
const PAGE_CSP =
  "default-src 'self'; img-src 'self' data: blob: https: http:; media-src 'self' blob: https: http:; object-src 'none'; frame-ancestors 'none'";

const methodNotAllowed = (): never => {
  throw new ApiError(405, 'MethodNotAllowed', 'this method is not allowed here');
};

/**
 * The chat app's HTTP interface as one Hono app: the same object is served by `@hono/node-server` on Node and by
 * `Deno.serve` on Deno. Every failure becomes the JSON error API.md describes.
 */
export function chatHttpApp(app: ChatApp): Hono {
  const http = new Hono();
  const route =
    (handler: Handler) =>
    (c: Context): Response | Promise<Response> =>
      handler(app, c);

  http.onError((error) => app.failure(error));
  http.notFound(() => errorResponse(new ApiError(404, 'NotFound', 'not found')));

  // The file routes first: they are the hot path.
  http.get('/user_uploads/*', route(serveFile));
  http.get('/user_avatars/*', route(serveFile));
  http.all('/user_uploads/*', methodNotAllowed);
  http.all('/user_avatars/*', methodNotAllowed);

  // tus before the rest of Zulip's API: it authenticates by API key or by session (the web UI).
  const tus = (c: Context): Promise<Response> => app.tus.handle(c);
  http.all('/api/v1/tus', tus);
  http.all('/api/v1/tus/*', tus);
  http.route('/api/v1', zulipApi(app));
  http.get('/api/session', route(getSession));
  http.post('/api/login', route(login));
  http.post('/api/logout', route(logout));
  http.get('/api/realm', route(getRealm));
  http.patch('/api/realm/quotas', route(setRealmQuotas));
  http.get('/api/users', route(getUsers));
  http.post('/api/users/me/avatar', route(uploadAvatar));
  http.delete('/api/users/me/avatar', route(deleteAvatar));
  http.get('/api/channels', route(getChannels));
  http.get('/api/channels/:id/messages', route(getMessages));
  http.post('/api/channels/:id/messages', route(postMessage));
  http.delete('/api/messages/:id', route(deleteMessage));
  http.get('/api/direct-messages', route(getDirectConversations));
  http.post('/api/direct-messages', route(startDirectConversation));
  http.post('/api/uploads', route(upload));
  http.get('/api/attachments', route(listAttachments));
  http.delete('/api/attachments/:id', route(deleteAttachment));
  http.get('/api/signed-url', route(signedUrl));
  http.get('/api/api-key', route(getApiKey));
  http.post('/api/realm/icon', route(uploadRealmImage('icon')));
  http.post('/api/realm/logo', route(uploadRealmImage('logo')));
  http.get('/api/realm/emoji', route(listEmoji));
  http.post('/api/realm/emoji', route(uploadEmoji));
  http.delete('/api/realm/emoji/:id', route(deleteEmoji));
  http.all('/api/*', () => errorResponse(new ApiError(404, 'NotFound', 'not found')));

  if (app.webRoot !== undefined) {
    const root = app.webRoot;
    const index = app.runtime.serveStatic({ root, path: 'index.html' });
    http.get('*', pageHeaders(), app.runtime.serveStatic({ root }), (c, next) => {
      // Paths without an extension that match no file are the UI's own routes: they get index.html.
      if (/\.[a-z0-9]+$/iu.test(c.req.path)) return next();
      return index(c, next);
    });
  }
  http.all('*', (c) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD')
      return errorResponse(new ApiError(404, 'NotFound', 'not found'));
    return methodNotAllowed();
  });
  return http;
}

/** Files of the web UI are revalidated on every load (`no-cache`) so a new build shows at once. */
function pageHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (c.res.status !== 200) return;
    c.header('cache-control', 'no-cache');
    c.header('x-content-type-options', 'nosniff');
    c.header('content-security-policy', PAGE_CSP);
    c.header('referrer-policy', 'same-origin');
  };
}
