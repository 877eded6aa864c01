import { ApiError } from './api-error.ts';
import type { Handler } from './chat-app.ts';
import { cookieHeader, readCookie, readJsonObject, requireString, sendJson } from './http-io.ts';
import { verifyPassword } from './password.ts';
import { CSRF_COOKIE, SESSION_COOKIE, randomToken } from './sessions.ts';

const SESSION_MAX_AGE_S = 14 * 24 * 60 * 60;
// Compared against when the email is unknown, so a wrong email costs as long as a wrong password.
const UNKNOWN_USER_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

function csrfCookie(token: string): string {
  return cookieHeader(CSRF_COOKIE, token, { httpOnly: false, sameSite: 'Strict', maxAge: SESSION_MAX_AGE_S });
}

/** `GET /api/session`: who is logged in, and the CSRF token to send. */
export const getSession: Handler = (app, req, res) => {
  const session = app.session(req);
  if (session !== undefined) {
    sendJson(res, 200, { user: app.userView(session.user), csrfToken: session.csrfToken });
    return Promise.resolve();
  }
  const existing = readCookie(req.headers.cookie, CSRF_COOKIE);
  const token = existing !== undefined && existing.length >= 16 ? existing : randomToken();
  sendJson(res, 200, { user: null, csrfToken: token }, { 'set-cookie': csrfCookie(token) });
  return Promise.resolve();
};

/** `POST /api/login`. */
export const login: Handler = async (app, req, res) => {
  app.requireCsrf(req, undefined);
  const body = await readJsonObject(req);
  const email = requireString(body, 'email').trim();
  const password = requireString(body, 'password');
  const found = app.data.userWithPassword(email);
  const matches = await verifyPassword(password, found?.passwordHash ?? UNKNOWN_USER_HASH);
  if (found === undefined || !matches) throw new ApiError(401, 'InvalidCredentials', 'wrong email or password');
  const previous = readCookie(req.headers.cookie, SESSION_COOKIE);
  if (previous !== undefined) app.sessions.end(previous);
  const session = app.sessions.create(found.user);
  sendJson(res, 200, { user: app.userView(session.user), csrfToken: session.csrfToken }, {
    'set-cookie': [
      cookieHeader(SESSION_COOKIE, session.token, { httpOnly: true, sameSite: 'Lax', maxAge: SESSION_MAX_AGE_S }),
      csrfCookie(session.csrfToken),
    ],
  });
};

/** `POST /api/logout`. */
export const logout: Handler = (app, req, res) => {
  const session = app.requireWrite(req);
  app.sessions.end(session.token);
  sendJson(res, 200, {}, {
    'set-cookie': [
      cookieHeader(SESSION_COOKIE, '', { httpOnly: true, sameSite: 'Lax', maxAge: 0 }),
      csrfCookie(randomToken()),
    ],
  });
  return Promise.resolve();
};
