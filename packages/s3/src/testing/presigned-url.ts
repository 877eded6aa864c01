import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The credentials a presigned URL must have been signed with. */
export interface SigningCredentials {
  /** Must match the one named in `X-Amz-Credential`. */
  readonly accessKeyId: string;
  /** Used to recompute the signature. */
  readonly secretAccessKey: string;
}

/** A presigned request as a client sends it. */
export interface PresignedRequest {
  readonly url: string;
  readonly method: string;
  /** Header names in any case. `host` is taken from the URL. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** When the request arrives; defaults to now. */
  readonly now?: Date | undefined;
}

/** RFC 3986 encoding, as SigV4 canonical query strings use it. */
function strictEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/gu,
    (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** Parses SigV4's `YYYYMMDDTHHMMSSZ`. */
function parseAmzDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/u.exec(value);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number);
  return new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day, hour, minute, second));
}

/**
 * Checks a SigV4 query-string signature the way S3 does: recomputes it from the method, path, query and signed
 * headers with the secret key, and checks the expiry. Returns why the request is refused (S3 error code and
 * message), or `undefined` when it is valid.
 */
export function presignedUrlProblem(
  request: PresignedRequest,
  credentials: SigningCredentials,
): { code: string; message: string } | undefined {
  const url = new URL(request.url);
  const query = url.searchParams;
  const algorithm = query.get('X-Amz-Algorithm');
  const credential = query.get('X-Amz-Credential') ?? '';
  const amzDate = query.get('X-Amz-Date') ?? '';
  const expires = Number(query.get('X-Amz-Expires'));
  const signedHeaders = (query.get('X-Amz-SignedHeaders') ?? '').split(';').filter((name) => name !== '');
  const signature = query.get('X-Amz-Signature') ?? '';
  if (algorithm !== 'AWS4-HMAC-SHA256')
    return { code: 'AuthorizationQueryParametersError', message: 'X-Amz-Algorithm must be AWS4-HMAC-SHA256' };
  const [accessKeyId, day, region, service, terminator] = credential.split('/');
  if (accessKeyId !== credentials.accessKeyId)
    return { code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.' };
  const signedAt = parseAmzDate(amzDate);
  if (
    signedAt === undefined ||
    day !== amzDate.slice(0, 8) ||
    service !== 's3' ||
    terminator !== 'aws4_request' ||
    region === undefined
  ) {
    return { code: 'AuthorizationQueryParametersError', message: 'Invalid credential scope or date' };
  }
  if (!Number.isSafeInteger(expires) || expires < 1 || expires > 604_800) {
    return { code: 'AuthorizationQueryParametersError', message: 'X-Amz-Expires must be between 1 and 604800 seconds' };
  }
  if ((request.now ?? new Date()).getTime() > signedAt.getTime() + expires * 1000)
    return { code: 'AccessDenied', message: 'Request has expired' };

  const headers = new Map(Object.entries(request.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  headers.set('host', url.host);
  const canonicalHeaders = [...signedHeaders]
    .sort()
    .map((name) => `${name}:${(headers.get(name) ?? '').trim().replace(/\s+/gu, ' ')}\n`)
    .join('');
  const canonicalQuery = [...query.entries()]
    .filter(([name]) => name !== 'X-Amz-Signature')
    .map(([name, value]) => [strictEncode(name), strictEncode(value)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const canonicalRequest = [
    request.method.toUpperCase(),
    url.pathname,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders.join(';'),
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const scope = `${day}/${region}/s3/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest, 'utf8').digest('hex'),
  ].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region), 's3'), 'aws4_request');
  const expected = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest();
  const given = Buffer.from(signature, 'hex');
  if (given.byteLength !== expected.byteLength || !timingSafeEqual(given, expected)) {
    return {
      code: 'SignatureDoesNotMatch',
      message: 'The request signature we calculated does not match the signature you provided.',
    };
  }
  return undefined;
}
