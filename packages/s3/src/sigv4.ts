import { createHash, createHmac } from 'node:crypto';
import type { AwsCredentialIdentity } from '@smithy/types';

/** The request parts SigV4 covers, as they go on the wire (the path already percent-encoded once, as S3 wants). */
export interface SignableRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** Lower-case names. `host` and `x-amz-content-sha256` must be present. */
  readonly headers: Record<string, string>;
}

/** Headers the SDK's signer never signs (proxies may change them); the same here, so both sign alike. */
const UNSIGNABLE = new Set([
  'authorization', 'cache-control', 'connection', 'expect', 'from', 'keep-alive', 'max-forwards', 'pragma', 'referer', 'te',
  'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'x-amzn-trace-id',
]);

/** Percent-encodes as SigV4 and S3 want: also the characters `encodeURIComponent` keeps (`!'()*`). */
export function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/gu, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * AWS Signature Version 4 for S3 requests of the store's lean path, equal to the SDK signer's output for the same
 * request (tested against it) but keeping the derived signing key per day, region and credentials: the SDK's
 * signer spends two HMACs per request only to find its cached key. Adds `x-amz-date`, `x-amz-security-token`
 * (with session credentials) and `authorization` to `request.headers`.
 */
export class SigV4Signer {
  readonly #region: string;
  #key: { readonly id: string; readonly value: Buffer } | undefined;

  constructor(region: string) {
    this.#region = region;
  }

  sign(request: SignableRequest, credentials: AwsCredentialIdentity, now: Date): void {
    const longDate = now.toISOString().replace(/[-:]/gu, '').replace(/\.\d{3}/u, '');
    const shortDate = longDate.slice(0, 8);
    const headers = request.headers;
    headers['x-amz-date'] = longDate;
    if (credentials.sessionToken !== undefined) headers['x-amz-security-token'] = credentials.sessionToken;
    const names = Object.keys(headers)
      .filter((name) => !UNSIGNABLE.has(name))
      .sort();
    let canonicalHeaders = '';
    for (const name of names) canonicalHeaders += `${name}:${(headers[name] ?? '').trim().replace(/\s+/gu, ' ')}\n`;
    const signedHeaders = names.join(';');
    const query = Object.keys(request.query)
      .sort()
      .map((name) => `${encodeRfc3986(name)}=${encodeRfc3986(request.query[name] ?? '')}`)
      .join('&');
    const payloadHash = headers['x-amz-content-sha256'] ?? 'UNSIGNED-PAYLOAD';
    const canonicalRequest = `${request.method}\n${request.path}\n${query}\n${canonicalHeaders}\n${signedHeaders}\n${payloadHash}`;
    const scope = `${shortDate}/${this.#region}/s3/aws4_request`;
    const stringToSign = `AWS4-HMAC-SHA256\n${longDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
    const signature = createHmac('sha256', this.#signingKey(credentials, shortDate)).update(stringToSign, 'utf8').digest('hex');
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  }

  #signingKey(credentials: AwsCredentialIdentity, shortDate: string): Buffer {
    const id = `${shortDate}\n${credentials.accessKeyId}\n${credentials.secretAccessKey}\n${credentials.sessionToken ?? ''}`;
    if (this.#key?.id === id) return this.#key.value;
    const dateKey = createHmac('sha256', `AWS4${credentials.secretAccessKey}`).update(shortDate).digest();
    const regionKey = createHmac('sha256', dateKey).update(this.#region).digest();
    const serviceKey = createHmac('sha256', regionKey).update('s3').digest();
    const value = createHmac('sha256', serviceKey).update('aws4_request').digest();
    this.#key = { id, value };
    return value;
  }
}
