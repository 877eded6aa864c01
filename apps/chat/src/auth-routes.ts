import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { ApiError } from './api-error.ts';
import type { Handler } from './chat-app.ts';
import { readJsonObject, requireString, sendJson } from './http-io.ts';
import { verifyPassword } from './password.ts';
import { newApiKey } from './zulip-api.ts';
import { CSRF_COOKIE, SESSION_COOKIE, randomToken } from './sessions.ts';

const SESSION_MAX_AGE_S = 14 * 24 * 60 * 60;
// Compared against when the email is unknown, so a wrong email costs as long as a wrong password.
const UNKNOWN_USER_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

function setCsrfCookie(c: Context, token: string): void {
  setCookie(c, CSRF_COOKIE, token, { path: '/', httpOnly: false, sameSite: 'Strict', maxAge: SESSION_MAX_AGE_S });
}

function setSessionCookie(c: Context, token: string, maxAge: number): void {
  setCookie(c, SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'Lax', maxAge });
}

/** `GET /api/session`: who is logged in, and the CSRF token to send. */
export const getSession: Handler = (app, c) => {
  const session = app.session(c);
  if (session !== undefined)
    return sendJson(c, 200, { user: app.userView(session.user), csrfToken: session.csrfToken });
  const existing = getCookie(c, CSRF_COOKIE);
  const token = existing !== undefined && existing.length >= 16 ? existing : randomToken();
  setCsrfCookie(c, token);
  return sendJson(c, 200, { user: null, csrfToken: token });
};

/** `POST /api/login`. */
export const login: Handler = async (app, c) => {
  app.requireCsrf(c, undefined);
  const body = await readJsonObject(app.runtime, c);
  const email = requireString(body, 'email').trim();
  const password = requireString(body, 'password');
  const found = app.data.userWithPassword(email);
  const matches = await verifyPassword(password, found?.passwordHash ?? UNKNOWN_USER_HASH);
  if (found === undefined || !matches) throw new ApiError(401, 'InvalidCredentials', 'wrong email or password');
  const previous = getCookie(c, SESSION_COOKIE);
  if (previous !== undefined) app.sessions.end(previous);
  const session = app.sessions.create(found.user);
  setSessionCookie(c, session.token, SESSION_MAX_AGE_S);
  setCsrfCookie(c, session.csrfToken);
  return sendJson(c, 200, { user: app.userView(session.user), csrfToken: session.csrfToken });
};

/** `POST /api/logout`. */
export const logout: Handler = (app, c) => {
  const session = app.requireWrite(c);
  app.sessions.end(session.token);
  setSessionCookie(c, '', 0);
  setCsrfCookie(c, randomToken());
  return sendJson(c, 200, {});
};

/** `GET /api/api-key`: the logged-in user's Zulip API key, for the settings page (made on first request). */
export const getApiKey: Handler = (app, c) => {
  const { user } = app.requireSession(c);
  return sendJson(c, 200, { email: user.email, apiKey: app.data.apiKey(user.id, newApiKey) });
};
