import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { collectBytes, contentDisposition, isStorageError, resolveRange, servedContentType } from '@stowage/core';
import type { ByteRange, GetResult, ObjectInfo, ObjectStore } from '@stowage/core';
import { notFound } from './api-error.ts';
import { parseRangeHeader } from './range-header.ts';
import type { CachedObject, SmallObjectCache } from './small-object-cache.ts';

/** Private uploads: no script, no plugins beyond the browser's PDF viewer, media only from this origin. */
export const UPLOAD_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; object-src 'self'; frame-ancestors 'self'";
export const PRIVATE_CACHE_CONTROL = 'private, immutable';
export const PUBLIC_CACHE_CONTROL = 'public, max-age=31536000, immutable';

export interface ServeObjectOptions {
  readonly cacheControl: string;
  /** The name offered to the browser. */
  readonly filename: string;
  /** `inline` is honoured only for the safe types (core's `contentDisposition`). */
  readonly disposition: 'inline' | 'attachment';
  /** Adds the strict CSP (private uploads). */
  readonly csp: boolean;
}

type Headers = Record<string, string | number>;

function baseHeaders(info: ObjectInfo, options: ServeObjectOptions): Headers {
  const headers: Headers = {
    'content-type': servedContentType(info.contentType),
    'content-disposition': contentDisposition(options.filename, info.contentType, options.disposition),
    'cache-control': options.cacheControl,
    etag: info.etag,
    'last-modified': info.lastModified.toUTCString(),
    'accept-ranges': 'bytes',
    'x-content-type-options': 'nosniff',
  };
  if (options.csp) headers['content-security-policy'] = UPLOAD_CSP;
  return headers;
}

/** RFC 9110 weak comparison: `*`, or any listed tag equal to ours once `W/` is dropped. */
function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const ours = etag.replace(/^W\//u, '');
  return header.split(',').some((tag) => tag.trim().replace(/^W\//u, '') === ours);
}

/** A response computed from bytes in memory: the same for node:http and for the connection fast path. */
export interface MemoryAnswer {
  readonly status: 200 | 206 | 304 | 416;
  readonly headers: Readonly<Record<string, string | number>>;
  /** Nothing for HEAD and 304. */
  readonly body: Uint8Array | undefined;
}

function rangeNotSatisfiableAnswer(size: number): MemoryAnswer {
  const body = Buffer.from(JSON.stringify({ error: { code: 'RangeNotSatisfiable', message: `the range is outside the file (${size} bytes)` } }));
  return { status: 416, headers: { 'content-range': `bytes */${size}`, 'content-type': 'application/json; charset=utf-8', 'content-length': body.byteLength }, body };
}

function sendAnswer(res: ServerResponse, answer: MemoryAnswer): void {
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
}

/** The full 200 headers for a cached object, computed once per set of serving options. */
function fullHeaders(cached: CachedObject, options: ServeObjectOptions): Readonly<Record<string, string | number>> {
  const memo = `${options.disposition}\0${options.csp ? 1 : 0}\0${options.cacheControl}\0${options.filename}`;
  let headers = cached.headers?.get(memo);
  if (headers === undefined) {
    headers = { ...baseHeaders(cached.info, options), 'content-length': cached.bytes.byteLength };
    cached.headers?.set(memo, headers);
  }
  return headers;
}

/** The request headers that shape an answer from memory. */
export interface ConditionalHeaders {
  readonly range?: string | undefined;
  readonly 'if-none-match'?: string | undefined;
}

/** 304, 206, 416 or 200 for a request (`GET` or `HEAD`) of an object held in memory. */
export function answerFromMemory(method: string, request: ConditionalHeaders, cached: CachedObject, options: ServeObjectOptions): MemoryAnswer {
  const { info, bytes } = cached;
  const withBody = method !== 'HEAD';
  const range = request.range === undefined ? undefined : parseRangeHeader(request.range);
  if (range === undefined && request['if-none-match'] === undefined) {
    // The hot path: nothing to compute per request.
    return { status: 200, headers: fullHeaders(cached, options), body: withBody ? bytes : undefined };
  }
  const headers = baseHeaders(info, options);
  if (matchesIfNoneMatch(request['if-none-match'], info.etag)) return { status: 304, headers, body: undefined };
  if (range !== undefined) {
    let resolved;
    try {
      resolved = resolveRange(range, bytes.byteLength, info.key);
    } catch {
      return rangeNotSatisfiableAnswer(bytes.byteLength);
    }
    headers['content-range'] = `bytes ${resolved.start}-${resolved.end}/${bytes.byteLength}`;
    headers['content-length'] = resolved.end - resolved.start + 1;
    return { status: 206, headers, body: withBody ? bytes.subarray(resolved.start, resolved.end + 1) : undefined };
  }
  headers['content-length'] = bytes.byteLength;
  return { status: 200, headers, body: withBody ? bytes : undefined };
}

function sendFromMemory(req: IncomingMessage, res: ServerResponse, cached: CachedObject, options: ServeObjectOptions): void {
  sendAnswer(res, answerFromMemory(req.method ?? 'GET', req.headers, cached, options));
}

async function streamBody(res: ServerResponse, body: ReadableStream<Uint8Array>): Promise<void> {
  await pipeline(Readable.fromWeb(body as NodeReadableStream<Uint8Array>), res);
}

/**
 * Serves one object with ETag/304 and single-range 206 support. Small objects are read whole once and then
 * answered from `cache`; larger ones are streamed from the store. A missing object is `NotFound`.
 */
export async function serveObject(
  req: IncomingMessage,
  res: ServerResponse,
  store: ObjectStore,
  key: string,
  options: ServeObjectOptions,
  cache: SmallObjectCache | undefined,
): Promise<void> {
  const cached = cache?.get(key);
  if (cached !== undefined) {
    sendFromMemory(req, res, cached, options);
    return;
  }
  const range = parseRangeHeader(req.headers.range);
  if (req.method === 'HEAD') {
    const info = await store.head(key);
    if (info === undefined) throw notFound();
    const headers = baseHeaders(info, options);
    const notModified = matchesIfNoneMatch(req.headers['if-none-match'], info.etag);
    if (!notModified) headers['content-length'] = info.size;
    res.writeHead(notModified ? 304 : 200, headers);
    res.end();
    return;
  }
  if (cache !== undefined && range === undefined) {
    await serveThroughCache(req, res, store, key, options, cache);
    return;
  }
  await serveFromStore(req, res, await openObject(res, store, key, range), options);
}

/**
 * A whole-object GET of an uncached key. One request reads the store (single flight): when many readers ask for
 * the same new file at once, the others wait for its bytes instead of each reading it.
 */
async function serveThroughCache(
  req: IncomingMessage, res: ServerResponse, store: ObjectStore, key: string, options: ServeObjectOptions, cache: SmallObjectCache,
): Promise<void> {
  const inFlight = cache.flight(key);
  if (inFlight !== undefined) {
    const entry = await inFlight;
    if (entry !== undefined) {
      sendFromMemory(req, res, entry, options);
      return;
    }
    // Too large to cache, or the read failed: read it ourselves (a failure then reaches this request too).
    await serveFromStore(req, res, await openObject(res, store, key, undefined), options);
    return;
  }
  let entry: CachedObject | undefined;
  const finish = cache.startFlight(key);
  try {
    const result = await openObject(res, store, key, undefined);
    if (result === undefined || result.size > cache.maxObjectBytes) {
      await serveFromStore(req, res, result, options);
      return;
    }
    const bytes = await collectBytes(result.body);
    const info: ObjectInfo = {
      key: result.key, size: result.size, contentType: result.contentType, lastModified: result.lastModified, etag: result.etag,
      sha256: result.sha256, contentDisposition: result.contentDisposition, cacheControl: result.cacheControl, metadata: result.metadata,
    };
    entry = { info, bytes, headers: new Map() };
    cache.set(key, entry);
  } finally {
    finish(entry);
  }
  sendFromMemory(req, res, entry, options);
}

/** Opens the object; `undefined` when a 416 was already answered. Missing objects are `NotFound`. */
async function openObject(res: ServerResponse, store: ObjectStore, key: string, range: ByteRange | undefined): Promise<GetResult | undefined> {
  try {
    return await store.get(key, { range });
  } catch (error) {
    if (isStorageError(error, 'NotFound')) throw notFound();
    if (isStorageError(error, 'InvalidRange')) {
      const info = await store.head(key);
      if (info === undefined) throw notFound();
      sendAnswer(res, rangeNotSatisfiableAnswer(info.size));
      return undefined;
    }
    throw error;
  }
}

/** Streams an opened object: 304 when the client has it, else 206 or 200 with the body. */
async function serveFromStore(req: IncomingMessage, res: ServerResponse, result: GetResult | undefined, options: ServeObjectOptions): Promise<void> {
  if (result === undefined) return;
  if (matchesIfNoneMatch(req.headers['if-none-match'], result.etag)) {
    await result.body.cancel();
    res.writeHead(304, baseHeaders(result, options));
    res.end();
    return;
  }
  const headers = baseHeaders(result, options);
  if (result.range !== undefined) {
    headers['content-range'] = `bytes ${result.range.start}-${result.range.end}/${result.size}`;
    headers['content-length'] = result.range.end - result.range.start + 1;
    res.writeHead(206, headers);
  } else {
    headers['content-length'] = result.size;
    res.writeHead(200, headers);
  }
  await streamBody(res, result.body);
}

/** Whether an error means the client went away mid-response (nothing to answer). */
export function isClientGone(error: unknown): boolean {
  return error instanceof Error && 'code' in error && (error.code === 'ERR_STREAM_PREMATURE_CLOSE' || error.code === 'ECONNRESET');
}
