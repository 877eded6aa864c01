import type { Readable } from 'node:stream';
import type { S3ServiceException } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { AwsCredentialIdentity, HttpRequest as SmithyRequest, HttpResponse, Provider } from '@smithy/types';
import { collectBytes, toHex } from '@stowage/core';
import type { S3Settings } from '@stowage/core';
import { clientS3, smithyProtocols } from './sdk.ts';
import type { S3ObjectHeaders } from './object-info.ts';
import { SigV4Signer, encodeRfc3986 } from './sigv4.ts';
import { NodeTransport, hostHeader } from './node-transport.ts';
import type { WireRequest } from './node-transport.ts';
import { DEFAULT_CONNECTION_TIMEOUT_MS, DEFAULT_MAX_SOCKETS, DEFAULT_REQUEST_TIMEOUT_MS, s3ChecksumProfile, s3Region, usesPathStyle } from './s3-client.ts';
import type { S3ClientOptions } from './s3-client.ts';

/**
 * A PutObject (or UploadPart) of bytes in hand or of a stream, signed with SigV4 (`SigV4Signer`, equal to the SDK
 * signer's output) and sent through the client's own HTTP handler (same sockets, timeouts and agent), or, for a
 * store built from settings with static credentials, over its own `NodeTransport` with no SDK client at all
 * (`leanRequestsFromSettings`), but never through the SDK's command pipeline: its middleware stack, endpoint rules
 * and schema serde cost about 1.5 ms of CPU per request here, several times the request itself, and a migration
 * sends one PutObject per object (and, comparing, one HeadObject: `LeanRequests.head`). Used only for a path-style
 * endpoint of an S3-compatible server (no endpoint rules to follow, no checksum headers the SDK would add);
 * everything else, and every other operation, goes through `client.send`. The payload is signed with the SHA-256 the store computed
 * anyway, so the signature binds the bytes.
 */
export interface SignedPutInput {
  readonly key: string;
  /** The bytes, or a stream of exactly `size` bytes (sent as it is read; the request cannot be replayed). */
  readonly body: Uint8Array | Readable;
  readonly size: number;
  /** SHA-256 of `body`, raw bytes, signed as the payload's hash; `undefined` for a stream (`UNSIGNED-PAYLOAD`). */
  readonly sha256: Uint8Array | undefined;
  /** Query parameters (`partNumber` and `uploadId` for an UploadPart). */
  readonly query?: Readonly<Record<string, string>> | undefined;
  /** Absent for an UploadPart, which carries no object headers. */
  readonly contentType?: string | undefined;
  readonly contentDisposition?: string | undefined;
  readonly cacheControl?: string | undefined;
  /** User metadata, lower-case names, the store's SHA-256 included. */
  readonly metadata?: Readonly<Record<string, string>> | undefined;
  readonly storageClass?: string | undefined;
  readonly ifNoneMatch?: '*' | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** What PutObject (or UploadPart) answers, in the SDK output's names. */
export interface SignedPutOutput {
  readonly ETag?: string | undefined;
  readonly ServerSideEncryption?: string | undefined;
  readonly SSECustomerAlgorithm?: string | undefined;
}

export type SignedPut = (input: SignedPutInput) => Promise<SignedPutOutput>;

interface ResolvedClientConfig {
  readonly credentials: Provider<AwsCredentialIdentity>;
  readonly region: Provider<string>;
  readonly endpoint?: Provider<{ protocol: string; hostname: string; port?: number | undefined; path: string }> | undefined;
  readonly requestHandler: {
    handle(request: SmithyRequest, options?: { abortSignal?: AbortSignal | undefined }): Promise<{ response: HttpResponse }>;
  };
  /** The clock skew the SDK learned from the server's answers, in milliseconds. */
  readonly systemClockOffset?: number | undefined;
}

/** S3's encoding of a key in a path: each segment percent-encoded, including the characters encodeURIComponent keeps. */
function encodePath(key: string): string {
  return key.split('/').map(encodeRfc3986).join('/');
}

async function* byteChunks(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<Uint8Array, void, undefined> {
  const encoder = new TextEncoder();
  for await (const chunk of body) yield typeof chunk === 'string' ? encoder.encode(chunk) : chunk;
}

async function readText(body: unknown): Promise<string> {
  if (body === undefined || body === null) return '';
  return new TextDecoder().decode(await collectBytes(byteChunks(body as AsyncIterable<Uint8Array | string>)));
}

function header(response: HttpResponse, name: string): string | undefined {
  const value = response.headers[name];
  return value === undefined || value === '' ? undefined : value;
}

/** The failure as the SDK would throw it (name, status, fault), so retries and error mapping treat both alike. */
async function serviceError(response: HttpResponse): Promise<S3ServiceException> {
  const text = await readText(response.body);
  const status = response.statusCode;
  const name = element(text, 'Code') ?? (status === 404 ? 'NotFound' : status === 412 ? 'PreconditionFailed' : `HTTP${status}`);
  return new (clientS3().S3ServiceException)({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, requestId: header(response, 'x-amz-request-id') },
    message: element(text, 'Message') ?? name,
  });
}

/** The parts of a lean request besides the bucket: what `sign` covers and what goes on the wire. */
interface LeanRequest {
  readonly method: 'PUT' | 'HEAD' | 'GET';
  readonly key: string;
  readonly query: Record<string, string>;
  /** Lower-case names; `host`, `x-amz-date`, `authorization` are added. */
  readonly headers: Record<string, string>;
  readonly body: Uint8Array | Readable | undefined;
  readonly signal: AbortSignal | undefined;
}

type LeanSend = (request: LeanRequest) => Promise<HttpResponse>;

/** SHA-256 of no bytes: the payload hash of a request without a body. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Where the lean requests go and as whom, and how they travel. */
interface LeanRoute {
  readonly endpoint: () => Promise<{ protocol: string; hostname: string; port?: number | undefined; path: string }>;
  readonly region: () => Promise<string>;
  readonly credentials: () => Promise<AwsCredentialIdentity>;
  /** The clock skew learned from the server's answers, in milliseconds. */
  readonly clockOffset: () => number;
  readonly send: (request: WireRequest, signal: AbortSignal | undefined) => Promise<HttpResponse>;
}

/** Signs and sends requests for the bucket `bucket` along `route`. */
function signedSend(route: LeanRoute, bucket: string): LeanSend {
  let signer: SigV4Signer | undefined;
  return async ({ method, key, query, headers, body, signal }) => {
    const [endpoint, credentials] = await Promise.all([route.endpoint(), route.credentials()]);
    signer ??= new SigV4Signer(await route.region());
    headers.host = hostHeader(endpoint.hostname, endpoint.port);
    const path = `${endpoint.path.replace(/\/+$/u, '')}/${encodePath(bucket)}/${encodePath(key)}`;
    signer.sign({ method, path, query, headers }, credentials, new Date(Date.now() + route.clockOffset()));
    return route.send({ method, hostname: endpoint.hostname, port: endpoint.port, path, query, headers, body }, signal);
  };
}

/**
 * The route of `client`'s requests (its endpoint, credentials and own HTTP handler: same sockets, timeouts and
 * agent), or `undefined` when the client's configuration is not one the lean path handles: a custom endpoint
 * addressed in the path.
 */
function clientRoute(client: S3Client): LeanRoute | undefined {
  const config = client.config as unknown as ResolvedClientConfig & { readonly forcePathStyle?: boolean | undefined; readonly isCustomEndpoint?: boolean | undefined };
  const endpointProvider = config.endpoint;
  if (config.forcePathStyle !== true || config.isCustomEndpoint !== true || endpointProvider === undefined) return undefined;
  return {
    endpoint: endpointProvider,
    region: config.region,
    credentials: config.credentials,
    clockOffset: () => config.systemClockOffset ?? 0,
    send: async (request, signal) => {
      const { response } = await config.requestHandler.handle(new (smithyProtocols().HttpRequest)({ ...request, protocol: (await endpointProvider()).protocol }), {
        abortSignal: signal,
      });
      return response;
    },
  };
}

/** Drains an answer's body, so its socket goes back to the pool. */
function drain(response: HttpResponse): void {
  (response.body as { resume?: () => void } | undefined)?.resume?.();
}

/** The lean PutObject (or UploadPart). */
function putWith(send: LeanSend): SignedPut {
  return async (input) => {
    const headers: Record<string, string> = {
      'content-length': String(input.size),
      'x-amz-content-sha256': input.sha256 === undefined ? 'UNSIGNED-PAYLOAD' : toHex(input.sha256),
    };
    if (input.contentType !== undefined) headers['content-type'] = input.contentType;
    if (input.contentDisposition !== undefined) headers['content-disposition'] = input.contentDisposition;
    if (input.cacheControl !== undefined) headers['cache-control'] = input.cacheControl;
    if (input.storageClass !== undefined) headers['x-amz-storage-class'] = input.storageClass;
    if (input.ifNoneMatch !== undefined) headers['if-none-match'] = input.ifNoneMatch;
    for (const [name, value] of Object.entries(input.metadata ?? {})) headers[`x-amz-meta-${name}`] = value;
    const query = input.query === undefined ? {} : { ...input.query };
    const response = await send({ method: 'PUT', key: input.key, query, headers, body: input.body, signal: input.signal });
    if (response.statusCode < 200 || response.statusCode >= 300) throw await serviceError(response);
    // A successful PutObject or UploadPart answers with no body.
    drain(response);
    return {
      ETag: header(response, 'etag'),
      ServerSideEncryption: header(response, 'x-amz-server-side-encryption'),
      SSECustomerAlgorithm: header(response, 'x-amz-server-side-encryption-customer-algorithm'),
    };
  };
}

/** A HeadObject: the object's headers, or `undefined` for a 404. */
export type SignedHead = (key: string) => Promise<S3ObjectHeaders | undefined>;

/** The metadata S3 sends as `x-amz-meta-NAME` headers, by lower-case name. */
function userMetadata(response: HttpResponse): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    const lower = name.toLowerCase();
    if (lower.startsWith('x-amz-meta-')) metadata[lower.slice('x-amz-meta-'.length)] = value;
  }
  return metadata;
}

/**
 * The lean HeadObject: a migration that compares objects, or verifies them, makes one per object, and the SDK's
 * pipeline costs several times the request itself. The answer is read into the SDK output's names.
 */
function headWith(send: LeanSend): SignedHead {
  return async (key) => {
    const response = await send({ method: 'HEAD', key, query: {}, headers: { 'x-amz-content-sha256': EMPTY_SHA256 }, body: undefined, signal: undefined });
    if (response.statusCode === 404) {
      drain(response);
      return undefined;
    }
    if (response.statusCode < 200 || response.statusCode >= 300) throw await serviceError(response);
    drain(response);
    const length = Number(header(response, 'content-length'));
    const modified = header(response, 'last-modified');
    return {
      ContentLength: Number.isSafeInteger(length) && length >= 0 ? length : undefined,
      ContentType: header(response, 'content-type'),
      LastModified: modified === undefined ? undefined : new Date(modified),
      ETag: header(response, 'etag'),
      ContentDisposition: header(response, 'content-disposition'),
      CacheControl: header(response, 'cache-control'),
      Metadata: userMetadata(response),
    };
  };
}

/** One page of a listing, in the SDK output's names. */
export interface ListedPage {
  readonly Contents: readonly { readonly Key: string; readonly Size: number; readonly LastModified: Date; readonly ETag: string }[];
  readonly IsTruncated: boolean;
  readonly NextContinuationToken: string | undefined;
}

export interface ListPageInput {
  readonly prefix: string | undefined;
  readonly maxKeys: number;
  readonly continuationToken: string | undefined;
  readonly startAfter: string | undefined;
  readonly signal: AbortSignal | undefined;
}

/** A ListObjectsV2 page. */
export type SignedList = (input: ListPageInput) => Promise<ListedPage>;

const XML_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** XML character data as text: the five named entities and numeric references decoded. */
export function xmlText(raw: string): string {
  return raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/gu, (whole, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number.parseInt(name.slice(1), 10));
    return XML_ENTITIES[name] ?? whole;
  });
}

/** The text of the first `<name>` element in `xml` (no attributes, no nesting: S3's listing fields), decoded. */
function element(xml: string, name: string): string | undefined {
  const start = xml.indexOf(`<${name}>`);
  if (start < 0) return undefined;
  const from = start + name.length + 2;
  const end = xml.indexOf(`</${name}>`, from);
  return end < 0 ? undefined : xmlText(xml.slice(from, end));
}

/** A ListObjectsV2 answer read into the SDK output's names; throws on a malformed one. */
export function parseListPage(xml: string): ListedPage {
  if (!xml.includes('<ListBucketResult')) throw new Error('the listing answer is not a ListBucketResult');
  const contents: { Key: string; Size: number; LastModified: Date; ETag: string }[] = [];
  for (let at = xml.indexOf('<Contents>'); at >= 0; at = xml.indexOf('<Contents>', at)) {
    const end = xml.indexOf('</Contents>', at);
    if (end < 0) throw new Error('the listing answer ends inside an entry');
    const entry = xml.slice(at, end);
    at = end;
    const key = element(entry, 'Key');
    const size = Number(element(entry, 'Size'));
    const modified = new Date(element(entry, 'LastModified') ?? '');
    if (key === undefined || !Number.isSafeInteger(size) || size < 0 || Number.isNaN(modified.getTime())) {
      throw new Error(`the listing answer has an entry without a key, size or time: ${entry.slice(0, 200)}`);
    }
    contents.push({ Key: key, Size: size, LastModified: modified, ETag: element(entry, 'ETag') ?? '""' });
  }
  // Text holds no raw "<", so these names can only be the page's own elements, before or after the entries.
  const token = element(xml, 'NextContinuationToken');
  return { Contents: contents, IsTruncated: element(xml, 'IsTruncated') === 'true', NextContinuationToken: token === '' ? undefined : token };
}

/**
 * The lean ListObjectsV2: every migration lists the target to compare, and the SDK's schema-driven XML reader
 * costs about 0.1 ms per key here.
 */
function listWith(send: LeanSend): SignedList {
  return async ({ prefix, maxKeys, continuationToken, startAfter, signal }) => {
    const query: Record<string, string> = { 'list-type': '2', 'max-keys': String(maxKeys) };
    if (prefix !== undefined && prefix !== '') query.prefix = prefix;
    if (continuationToken !== undefined) query['continuation-token'] = continuationToken;
    else if (startAfter !== undefined) query['start-after'] = startAfter;
    const response = await send({ method: 'GET', key: '', query, headers: { 'x-amz-content-sha256': EMPTY_SHA256 }, body: undefined, signal });
    if (response.statusCode < 200 || response.statusCode >= 300) throw await serviceError(response);
    const xml = await readText(response.body);
    try {
      return parseListPage(xml);
    } catch (error) {
      throw new (clientS3().S3ServiceException)({
        name: 'MalformedListing',
        $fault: 'server',
        $metadata: { httpStatusCode: response.statusCode },
        message: error instanceof Error ? error.message : String(error),
      });
    }
  };
}

/** The requests a store sends on the lean path, all signed by one signer and sent through the client's handler. */
export interface LeanRequests {
  readonly put: SignedPut;
  readonly head: SignedHead;
  readonly list: SignedList;
}

/**
 * The lean requests for `client`'s bucket `bucket`, or `undefined` when the client's configuration is not one the
 * lean path handles: a custom endpoint addressed in the path.
 */
export function leanRequestsFor(client: S3Client, bucket: string): LeanRequests | undefined {
  const route = clientRoute(client);
  return route === undefined ? undefined : leanRequestsOn(route, bucket);
}

function leanRequestsOn(route: LeanRoute, bucket: string): LeanRequests {
  const send = signedSend(route, bucket);
  return { put: putWith(send), head: headWith(send), list: listWith(send) };
}

/** Lean requests with their own connections, which `destroy` closes. */
export interface OwnLeanRequests extends LeanRequests {
  destroy(): void;
}

/**
 * Lean requests for the bucket `bucket` of `settings` that need no SDK client at all: over their own HTTP/1.1
 * connections (`NodeTransport`) with the settings' static credentials, for a custom endpoint addressed in the path
 * with the `s3-compatible` checksum profile (the requests `createS3Client` would allow the lean path for).
 * `undefined` for anything else, such as credentials from the SDK's default chain.
 */
export function leanRequestsFromSettings(settings: S3Settings, bucket: string, options: S3ClientOptions = {}): OwnLeanRequests | undefined {
  const { endpointUrl, credentials } = settings;
  const profile = options.checksumProfile ?? s3ChecksumProfile(settings);
  if (endpointUrl === undefined || credentials === undefined || profile !== 's3-compatible' || !usesPathStyle(settings)) return undefined;
  const url = new URL(endpointUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const transport = new NodeTransport(url.protocol, {
    connectionTimeoutMs: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    maxSockets: options.maxSockets ?? DEFAULT_MAX_SOCKETS,
  });
  const endpoint = {
    protocol: url.protocol,
    hostname: url.hostname.replace(/^\[(.*)\]$/u, '$1'),
    port: url.port === '' ? undefined : Number(url.port),
    path: url.pathname,
  };
  const identity: AwsCredentialIdentity = { ...credentials };
  const region = s3Region(settings);
  const route: LeanRoute = {
    endpoint: () => Promise.resolve(endpoint),
    region: () => Promise.resolve(region),
    credentials: () => Promise.resolve(identity),
    clockOffset: () => 0,
    send: (request, signal) => transport.send(request, signal),
  };
  return { ...leanRequestsOn(route, bucket), destroy: () => { transport.destroy(); } };
}
