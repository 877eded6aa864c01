import { randomBytes, timingSafeEqual } from 'node:crypto';
import { encodeKeyPath, sanitizeFilename } from '@stowage/core';
import { Hono } from 'hono';
import type { Context } from 'hono';
import { basicAuth } from 'hono/basic-auth';
import { HTTPException } from 'hono/http-exception';
import { ApiError, badRequest } from './api-error.ts';
import type { ChatApp } from './chat-app.ts';
import type { UserRecord } from './chat-data.ts';
import { declaredLength, readSmallBody } from './http-io.ts';
import { directConversationWith, sendMessage } from './message-routes.ts';
import { receiveOneFile } from './multipart-file.ts';
import { verifyPassword } from './password.ts';
import { fileTooLarge, quotaCheck, quotaClaims, storeUpload } from './upload-routes.ts';

/** Largest form body of the small API calls (login, messages). */
const MAX_FORM_BYTES = 64 * 1024;
/** What a multipart body may carry besides the file: boundaries, part headers, a few small fields. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;
// Compared against when the email is unknown, so a wrong email costs as long as a wrong password.
const UNKNOWN_USER_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

/** A new API key: 32 letters and digits, as Zulip's. */
export function newApiKey(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(32)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

/** Zulip's `code` for a refusal of ours. */
function zulipCode(error: ApiError): string {
  switch (error.status) {
    case 401:
      return error.code === 'InvalidCredentials' ? 'AUTHENTICATION_FAILED' : 'UNAUTHORIZED';
    case 503:
    case 507:
      return 'SERVER_ERROR';
    default:
      return 'BAD_REQUEST';
  }
}

/** Zulip's JSON: `{ result: "success", msg: "", ... }`. */
function success(fields: Record<string, unknown>): Response {
  return Response.json({ result: 'success', msg: '', ...fields }, { headers: { 'cache-control': 'no-store' } });
}

/** Zulip's error JSON: `{ result: "error", msg, code }` with the refusal's status. */
export function zulipError(status: number, msg: string, code: string, headers: Record<string, string> = {}): Response {
  return Response.json(
    { result: 'error', msg, code },
    { status, headers: { 'cache-control': 'no-store', ...headers } },
  );
}

/** A small `application/x-www-form-urlencoded` (or JSON-free multipart-free) form body, as Zulip's API takes. */
async function readForm(app: ChatApp, c: Context): Promise<URLSearchParams> {
  const bytes = await readSmallBody(
    app.runtime,
    c,
    MAX_FORM_BYTES,
    () => new ApiError(413, 'BadRequest', `request body is larger than ${MAX_FORM_BYTES} bytes`),
  );
  const type = c.req.header('content-type') ?? '';
  const query = new URL(c.req.url).searchParams;
  if (bytes.byteLength === 0) return query;
  if (!/^application\/x-www-form-urlencoded/iu.test(type))
    throw badRequest('send the parameters as application/x-www-form-urlencoded');
  const form = new URLSearchParams(new TextDecoder().decode(bytes));
  for (const [name, value] of query) if (!form.has(name)) form.set(name, value);
  return form;
}

function required(form: URLSearchParams, name: string): string {
  const value = form.get(name);
  if (value === null) throw badRequest(`Missing '${name}' argument`);
  return value;
}

/** Zulip's `to` of a direct message: `[9, 10]`, `["a@x", "b@x"]` or `a@x,b@x`. */
function directRecipients(to: string): (number | string)[] {
  if (to.trim().startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(to);
    } catch {
      throw badRequest(`'to' is not a valid JSON list: ${to}`);
    }
    if (Array.isArray(parsed) && parsed.every((item) => typeof item === 'string' || Number.isSafeInteger(item)))
      return parsed as (number | string)[];
    throw badRequest("'to' must list user ids or emails");
  }
  return to
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => (/^\d+$/u.test(item) ? Number(item) : item));
}

function sameText(a: string, b: string): boolean {
  const left = new TextEncoder().encode(a);
  const right = new TextEncoder().encode(b);
  return left.byteLength === right.byteLength && timingSafeEqual(left, right);
}

/**
 * Zulip's REST API, the part its clients need for files: API keys, `POST /api/v1/user_uploads` (multipart, streamed
 * into the store), `POST /api/v1/messages` to link an upload, and `GET /api/v1/users/me`. Authenticated with HTTP
 * Basic (`email:api_key`), as Zulip does; answers and refusals in Zulip's JSON shapes.
 */
export function zulipApi(app: ChatApp): Hono {
  const api = new Hono();
  const users = new WeakMap<Request, UserRecord>();
  const userOf = (c: Context): UserRecord => {
    const user = users.get(c.req.raw);
    if (user === undefined) throw new ApiError(401, 'Unauthenticated', 'authentication is required');
    return user;
  };

  api.onError((error) => {
    if (error instanceof HTTPException) return error.getResponse();
    const failure = error instanceof ApiError ? error : undefined;
    if (failure !== undefined)
      return zulipError(
        failure.status,
        failure.message,
        zulipCode(failure),
        failure.status === 413 ? { connection: 'close' } : {},
      );
    // Storage failures: the app's mapping (503, 507, logged), in Zulip's shape.
    const answer = app.failure(error);
    return zulipError(
      answer.status,
      answer.status === 507
        ? 'the file store is full'
        : answer.status === 503
          ? 'the file store is unavailable right now; try again later'
          : 'Internal server error',
      'SERVER_ERROR',
    );
  });
  api.notFound(() => zulipError(404, 'Endpoint not found', 'BAD_REQUEST'));

  /** `POST /api/v1/fetch_api_key`: `username` (email) and `password` give the user's API key. */
  api.post('/fetch_api_key', async (c) => {
    const form = await readForm(app, c);
    const email = required(form, 'username').trim();
    const password = required(form, 'password');
    const found = app.data.userWithPassword(email);
    const matches = await verifyPassword(password, found?.passwordHash ?? UNKNOWN_USER_HASH);
    if (found === undefined || !matches)
      throw new ApiError(401, 'InvalidCredentials', 'Your username or password is incorrect');
    return success({
      api_key: app.data.apiKey(found.user.id, newApiKey),
      email: found.user.email,
      user_id: found.user.id,
    });
  });

  api.use(
    '*',
    basicAuth({
      realm: 'zulip',
      verifyUser: (email, key, c) => {
        const user = app.data.userWithApiKey(email, key);
        if (user === undefined || !sameText(app.data.apiKey(user.id, newApiKey), key)) return false;
        users.set(c.req.raw, user);
        return true;
      },
      invalidUserMessage: { result: 'error', msg: 'Invalid API key', code: 'INVALID_API_KEY' },
    }),
  );

  /** `GET /api/v1/users/me`. */
  api.get('/users/me', (c) => {
    const user = userOf(c);
    const view = app.userView(user);
    return success({
      user_id: user.id,
      email: user.email,
      full_name: user.fullName,
      is_admin: user.isAdmin,
      avatar_url: view.avatarUrl,
    });
  });

  /** `POST /api/v1/user_uploads`: one file in a multipart form, streamed into the uploads store. */
  api.post('/user_uploads', async (c) => {
    const user = userOf(c);
    // The whole body over the limit is refused before a byte is read (and before `100 Continue`).
    const length = declaredLength(c);
    if (length !== undefined && length > app.maxFileUploadBytes + MULTIPART_OVERHEAD_BYTES)
      throw fileTooLarge(app.maxFileUploadBytes);
    const realm = app.data.realm(user.realmId);
    if (length !== undefined && realm !== undefined) {
      const refusal = quotaCheck(app, quotaClaims(app, realm, user), length - MULTIPART_OVERHEAD_BYTES);
      if (refusal !== undefined) throw refusal;
    }
    app.runtime.continueBody(c);
    const attachment = await receiveOneFile(c.req.header('content-type'), c.req.raw.body, (file) =>
      storeUpload(app, c, user, sanitizeFilename(file.filename), file.contentType, file.body, undefined),
    );
    const uri = `/user_uploads/${encodeKeyPath(attachment.key)}`;
    return success({ uri, url: uri, filename: attachment.name });
  });

  /**
   * `POST /api/v1/messages`: `type` stream/channel with `to` (name or id) and `topic`, or `type` direct/private with
   * `to` the recipients (a JSON list of user ids or emails, or emails separated by commas); then `content`.
   */
  api.post('/messages', async (c) => {
    const user = userOf(c);
    const form = await readForm(app, c);
    const type = required(form, 'type');
    if (type === 'direct' || type === 'private') {
      const conversation = directConversationWith(app, user, directRecipients(required(form, 'to')));
      return success({ id: sendMessage(app, user, conversation.id, required(form, 'content')).id });
    }
    if (type !== 'stream' && type !== 'channel')
      throw badRequest(`Invalid message type '${type}': use "channel", "stream", "direct" or "private"`);
    const to = required(form, 'to').replace(/^\[?"?|"?\]?$/gu, '');
    const channel = /^\d+$/u.test(to)
      ? app.data.visibleChannel(user, Number(to))
      : app.data.visibleChannelNamed(user, to);
    if (channel === undefined) throw badRequest(`Channel '${to}' does not exist`);
    const message = sendMessage(app, user, channel.id, required(form, 'content'));
    return success({ id: message.id });
  });

  return api;
}
