import { Buffer } from 'node:buffer';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { decodeKeyPath, encodeKeyPath, keyProblem } from '@stowage/core';
import { invalidArgumentError, invalidSettingsError } from './errors.ts';

/** Shorter secrets are refused: the HMAC is only as strong as its key. */
export const MIN_SIGNING_SECRET_BYTES: number = 32;

/** Longest lifetime a signed URL may have (S3's limit for presigned URLs: seven days). */
export const MAX_SIGNED_URL_SECONDS: number = 7 * 24 * 60 * 60;

/** How the local store signs URLs that the serving app later verifies. */
export interface UrlSigning {
  /** The HMAC-SHA256 key: at least 32 bytes, shared by the store and the verifier. */
  readonly secret: string | Uint8Array;
  /** Where the serving app answers signed requests, e.g. `https://chat.example.com/user_uploads/signed` or a path. */
  readonly urlBase: string;
}

export interface SignUrlRequest {
  /** The object the URL grants; a valid key. */
  readonly key: string;
  /** Lifetime in seconds: a positive integer up to `MAX_SIGNED_URL_SECONDS`. */
  readonly expiresIn: number;
  /** How the serving app should present the object; bound into the signature. */
  readonly disposition?: 'inline' | 'attachment' | undefined;
  /** The download name the serving app should offer; bound into the signature. */
  readonly filename?: string | undefined;
  /** The signing time; defaults to now. */
  readonly now?: Date | undefined;
}

/** A URL that passed verification: serve `key` with this disposition and file name. */
export interface ValidSignedUrl {
  readonly valid: true;
  /** The key decoded from the URL's path: the only object this URL grants. */
  readonly key: string;
  /** The moment the URL stops being valid. */
  readonly expiresAt: Date;
  /** The signed disposition, when one was signed. */
  readonly disposition?: 'inline' | 'attachment' | undefined;
  /** The signed download name, when one was signed. */
  readonly filename?: string | undefined;
}

/**
 * Why a URL was refused: `malformed` (not under the base, missing or unparsable fields, an invalid key),
 * `bad-signature` (anything altered: key, expiry, disposition, file name, or another secret), `expired`.
 */
export interface InvalidSignedUrl {
  readonly valid: false;
  /** Why it was refused; the serving app answers 403 (or 404) whatever the reason. */
  readonly reason: 'malformed' | 'bad-signature' | 'expired';
}

export type SignedUrlVerdict = ValidSignedUrl | InvalidSignedUrl;

function secretBytes(secret: string | Uint8Array): Uint8Array {
  const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  if (bytes.byteLength < MIN_SIGNING_SECRET_BYTES) {
    throw invalidSettingsError(
      `the URL signing secret has ${bytes.byteLength} bytes; at least ${MIN_SIGNING_SECRET_BYTES} are required`,
    );
  }
  return bytes;
}

/** Every signed field, unambiguously joined: no choice of values can make two requests sign the same text. */
function signature(secret: Uint8Array, key: string, expires: number, disposition: string, filename: string): Buffer {
  return createHmac('sha256', secret)
    .update(JSON.stringify(['stowage-local-v1', key, expires, disposition, filename]))
    .digest();
}

function basePath(urlBase: string): string {
  return new URL(urlBase, 'http://base.invalid').pathname.replace(/\/+$/u, '');
}

/**
 * A URL under `urlBase` granting read access to `key` until it expires, bound to the disposition and file name.
 * Throws `InvalidSettings` (short secret), `InvalidArgument` (bad lifetime), `InvalidKey`.
 */
export function signObjectUrl(signing: UrlSigning, request: SignUrlRequest): string {
  const secret = secretBytes(signing.secret);
  const { key, expiresIn } = request;
  const problem = keyProblem(key);
  if (problem !== undefined) throw invalidArgumentError(`cannot sign a URL for key "${key}": it ${problem}`, key);
  if (!Number.isInteger(expiresIn) || expiresIn <= 0 || expiresIn > MAX_SIGNED_URL_SECONDS) {
    throw invalidArgumentError(
      `expiresIn must be a whole number of seconds from 1 to ${MAX_SIGNED_URL_SECONDS}, got ${expiresIn}`,
      key,
    );
  }
  const expires = Math.floor((request.now ?? new Date()).getTime() / 1000) + expiresIn;
  const disposition = request.disposition ?? '';
  const filename = request.filename ?? '';
  const query = new URLSearchParams({ expires: String(expires) });
  if (disposition !== '') query.set('disposition', disposition);
  if (filename !== '') query.set('filename', filename);
  query.set('signature', signature(secret, key, expires, disposition, filename).toString('base64url'));
  return `${signing.urlBase.replace(/\/+$/u, '')}/${encodeKeyPath(key)}?${query.toString()}`;
}

function isDisposition(value: string): value is 'inline' | 'attachment' {
  return value === 'inline' || value === 'attachment';
}

const MALFORMED: InvalidSignedUrl = { valid: false, reason: 'malformed' };

/**
 * Checks a signed URL (absolute, or the request's path and query) the way the serving app must before it serves
 * anything: the key comes from the path under `urlBase`, the signature is compared in constant time, then the
 * expiry. Never throws for a bad URL; returns why it was refused. Throws `InvalidSettings` for a short secret.
 */
export function verifySignedUrl(url: string | URL, signing: UrlSigning, now: Date = new Date()): SignedUrlVerdict {
  const secret = secretBytes(signing.secret);
  let parsed: URL;
  try {
    parsed = new URL(url, 'http://base.invalid');
  } catch {
    return MALFORMED;
  }
  const base = `${basePath(signing.urlBase)}/`;
  if (!parsed.pathname.startsWith(base)) return MALFORMED;
  const key = decodeKeyPath(parsed.pathname.slice(base.length));
  if (key === undefined || keyProblem(key) !== undefined) return MALFORMED;
  const params = parsed.searchParams;
  const expiresText = params.get('expires') ?? '';
  const given = params.get('signature');
  const disposition = params.get('disposition') ?? '';
  if (disposition !== '' && !isDisposition(disposition)) return MALFORMED;
  const filename = params.get('filename') ?? '';
  if (!/^\d{1,15}$/u.test(expiresText) || given === null) return MALFORMED;
  const expires = Number(expiresText);
  // Compared as text: base64url ignores a last character's spare bits, so bytes alone would take other spellings
  // of the same signature (a link changed in its last character would still open).
  const expected = Buffer.from(signature(secret, key, expires, disposition, filename).toString('base64url'));
  const presented = Buffer.from(given);
  if (presented.byteLength !== expected.byteLength || !timingSafeEqual(presented, expected)) {
    return { valid: false, reason: 'bad-signature' };
  }
  if (now.getTime() >= expires * 1000) return { valid: false, reason: 'expired' };
  return {
    valid: true,
    key,
    expiresAt: new Date(expires * 1000),
    disposition: isDisposition(disposition) ? disposition : undefined,
    filename: filename === '' ? undefined : filename,
  };
}
