import { S3Client } from '@aws-sdk/client-s3';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { SigV4Signer } from './sigv4.ts';

const WHEN = new Date('2026-11-25T13:07:09.123Z');
/** The hash the SDK's own clients sign with. */
const Sha256 = new S3Client({ region: 'eu-west-3' }).config.sha256;

interface Case {
  readonly name: string;
  readonly method?: 'PUT' | 'HEAD' | 'GET';
  readonly path: string;
  readonly query?: Record<string, string>;
  readonly headers: Record<string, string>;
  readonly sessionToken?: string;
}

const CASES: readonly Case[] = [
  {
    name: 'a PutObject with object headers, metadata and an awkward key',
    path: "/bucket/dir/it%27s%20%28a%29%20key%21%2A~%20%C3%A9%20100%25.txt",
    headers: {
      host: '127.0.0.1:9000',
      'content-length': '1000',
      'content-type': 'text/plain; charset=utf-8',
      'content-disposition': 'inline;  filename="a   b.txt"',
      'cache-control': 'private, immutable',
      'x-amz-meta-realm-id': ' 2 ',
      'x-amz-meta-stowage-sha256': 'l/rY4ppPDC7qUkDQ0GoY1qIZ5tpUoAemyNoNCjcMJUE=',
      'x-amz-storage-class': 'STANDARD_IA',
      'if-none-match': '*',
      'x-amz-content-sha256': '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    },
  },
  {
    name: 'an UploadPart with its query, unsigned payload and session credentials',
    path: '/base/bucket/video/large-0.mp4',
    query: { partNumber: '1', uploadId: 'a+b/c=d e' },
    headers: { host: 's3.example.test', 'content-length': '8388608', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    sessionToken: 'token/with+chars=',
  },
  {
    name: 'a HeadObject of an awkward key',
    method: 'HEAD',
    path: '/bucket/2/ab/%C3%A9t%C3%A9%20%2B%20hiver.png',
    headers: { host: '127.0.0.1:9000', 'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
  },
  {
    name: 'a ListObjectsV2 page with a prefix, a start key and a continuation token that need encoding',
    method: 'GET',
    path: '/bucket/',
    query: { 'list-type': '2', 'max-keys': '1000', prefix: "2/\u00e9t\u00e9 (a)+b*c'd~e", 'start-after': '2/a b', 'continuation-token': '1a+b/c=d' },
    headers: { host: '127.0.0.1:9000', 'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
  },
];

describe('SigV4Signer', () => {
  it.each(CASES)('signs $name exactly as the SDK signer does', async ({ method = 'PUT', path, query, headers, sessionToken }) => {
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken };
    const sdk = new SignatureV4({ credentials, region: 'eu-west-3', service: 's3', sha256: Sha256, uriEscapePath: false });
    const expected = await sdk.sign(new HttpRequest({ method, protocol: 'http:', hostname: 'h', path, query: { ...query }, headers: { ...headers } }), { signingDate: WHEN });
    const ours = { method, path, query: { ...query }, headers: { ...headers } };
    const signer = new SigV4Signer('eu-west-3');
    signer.sign(ours, credentials, WHEN);
    expect(ours.headers.authorization).toBe(expected.headers.authorization);
    expect(ours.headers['x-amz-date']).toBe(expected.headers['x-amz-date']);
    expect(ours.headers['x-amz-security-token']).toBe(expected.headers['x-amz-security-token']);
    // The derived key is kept: a second request the same day signs alike, a new day signs anew.
    const again = { method, path, query: { ...query }, headers: { ...headers } };
    signer.sign(again, credentials, WHEN);
    expect(again.headers.authorization).toBe(expected.headers.authorization);
    const nextDay = new Date(WHEN.getTime() + 86_400_000);
    const later = await sdk.sign(new HttpRequest({ method, protocol: 'http:', hostname: 'h', path, query: { ...query }, headers: { ...headers } }), { signingDate: nextDay });
    const ourLater = { method, path, query: { ...query }, headers: { ...headers } };
    signer.sign(ourLater, credentials, nextDay);
    expect(ourLater.headers.authorization).toBe(later.headers.authorization);
  });
});
