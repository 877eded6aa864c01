import { StorageError, isStorageError } from '@stowage/core';
import type { StorageErrorCode } from '@stowage/core';

/** What an operation was doing when the SDK failed: everything a useful message names. */
export interface S3ErrorContext {
  /** The store's name, e.g. `s3://uploads` at `http://127.0.0.1:9000`. */
  readonly store: string;
  /** The endpoint the request went to, named in `Unavailable` messages. */
  readonly endpoint: string;
  /** What was being done: `put`, `get`, `list`, ... */
  readonly operation: string;
  /** The object key concerned, when there is one. */
  readonly key?: string | undefined;
  /** Set for a create-only put, where a failed precondition means the key is taken. */
  readonly createOnly?: boolean | undefined;
  /** The attempts made under the store's retry strategy, when it ran; kept on the error. */
  readonly attempts?: number | undefined;
}

interface SdkErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown } | undefined;
}

const NOT_FOUND = new Set(['NoSuchKey', 'NotFound', 'NoSuchVersion']);
const ACCESS_DENIED = new Set([
  'AccessDenied',
  'AllAccessDisabled',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'AccountProblem',
  'InvalidObjectState',
  'CredentialsProviderError',
  'Forbidden',
]);
const INTEGRITY = new Set([
  'BadDigest',
  'InvalidDigest',
  'XAmzContentSHA256Mismatch',
  'InvalidChecksum',
  'IncompleteBody',
]);
const TOO_LARGE = new Set(['EntityTooLarge', 'MaxMessageLengthExceeded']);
// S3 answers these with a 4xx status, yet they are about the connection or the load, not the request.
const TRANSIENT = new Set([
  'RequestTimeout',
  'TimeoutError',
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequests',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);

/**
 * Node's codes for a server certificate this process does not accept: OpenSSL's verification results, and Node's own
 * name check. Retrying cannot help; the operator must fix the trust or the endpoint.
 */
const TLS_CERTIFICATE_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function shape(error: unknown): SdkErrorShape {
  return typeof error === 'object' && error !== null ? error : {};
}

/** The S3 error name (`NoSuchKey`, `SlowDown`, ...), or Node's network or certificate code, of an SDK failure. */
export function s3ErrorName(error: unknown): string {
  const { name, code } = shape(error);
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || TLS_CERTIFICATE_CODES.has(code))) return code;
  return typeof name === 'string' ? name : 'Error';
}

/** The HTTP status the server answered with, when there was an answer. */
export function s3HttpStatus(error: unknown): number | undefined {
  const status = shape(error).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Whether the SDK error means "no such object" (HEAD answers a bare 404 `NotFound`, GET a `NoSuchKey`). */
export function isS3NotFound(error: unknown): boolean {
  return NOT_FOUND.has(s3ErrorName(error)) || (s3HttpStatus(error) === 404 && s3ErrorName(error) !== 'NoSuchBucket');
}

function classify(error: unknown, context: S3ErrorContext): StorageErrorCode {
  const name = s3ErrorName(error);
  const status = s3HttpStatus(error);
  if (name === 'AbortError') return 'Aborted';
  if (name === 'NoSuchBucket' || TLS_CERTIFICATE_CODES.has(name)) return 'InvalidSettings';
  if (isS3NotFound(error)) return 'NotFound';
  if (ACCESS_DENIED.has(name) || status === 401 || status === 403) return 'AccessDenied';
  if (name === 'PreconditionFailed' || status === 412 || name === 'ConditionalRequestConflict') {
    return context.createOnly === true ? 'AlreadyExists' : 'Unavailable';
  }
  if (name === 'InvalidRange' || status === 416) return 'InvalidRange';
  if (INTEGRITY.has(name)) return 'IntegrityError';
  if (TOO_LARGE.has(name) || status === 413) return 'TooLarge';
  if (name === 'NotImplemented' || status === 501) return 'Unsupported';
  if (TRANSIENT.has(name)) return 'Unavailable';
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429)
    return 'InvalidArgument';
  // 5xx, SlowDown, throttling, timeouts, refused or dropped connections, and anything unexplained.
  return 'Unavailable';
}

function describe(error: unknown): string {
  const { message } = shape(error);
  const name = s3ErrorName(error);
  const status = s3HttpStatus(error);
  const text = typeof message === 'string' && message !== '' && message !== name ? `: ${message}` : '';
  return `${name}${status === undefined ? '' : ` (HTTP ${status})`}${text}`;
}

/**
 * The one place an SDK or network failure becomes a `StorageError`. The message names the operation, the key, the
 * store and the S3 error; `Unavailable` also names the endpoint; the SDK error stays reachable as `cause`. A
 * `StorageError` passes through unchanged.
 */
export function toStorageError(error: unknown, context: S3ErrorContext): StorageError {
  if (isStorageError(error)) return error;
  const code = classify(error, context);
  const subject = context.key === undefined ? context.store : `"${context.key}" in ${context.store}`;
  const what = `${context.operation} of ${subject}`;
  const detail = describe(error);
  const messages: Record<StorageErrorCode, string> = {
    NotFound: `${what} failed: no such object (${detail})`,
    InvalidKey: `${what} failed: invalid key (${detail})`,
    InvalidRange: `${what} failed: the range is not satisfiable (${detail})`,
    InvalidArgument: `${what} was refused by the server: ${detail}`,
    AlreadyExists: `${what} failed: the key already exists (${detail})`,
    IntegrityError: `${what} failed: the server found the bytes corrupt (${detail})`,
    TooLarge: `${what} failed: the object is too large (${detail})`,
    AccessDenied: `${what} failed: access denied (${detail})`,
    Unavailable: `${what} failed: ${context.endpoint} is unavailable (${detail})`,
    Aborted: `${what} was aborted`,
    InvalidSettings: TLS_CERTIFICATE_CODES.has(s3ErrorName(error))
      ? `${what} failed: ${context.endpoint} presented a TLS certificate this process does not accept (${detail}); ` +
        "check the endpoint, and if its certificate authority is a private one, name that authority's certificate " +
        'file in NODE_EXTRA_CA_CERTS'
      : `${what} failed: the bucket does not exist (${detail}); check the bucket settings`,
    Unsupported: `${what} failed: the server does not support it (${detail})`,
  };
  return new StorageError(code, messages[code], { key: context.key, cause: error, attempts: context.attempts });
}
