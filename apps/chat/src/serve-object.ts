import { collectBytes, contentDisposition, isStorageError, resolveRange, servedContentType } from '@stowage/core';
import type { ByteRange, GetResult, ObjectInfo, ObjectStore } from '@stowage/core';
import { notFound } from './api-error.ts';
import { parseRangeHeader } from './range-header.ts';
import { safeStoredType } from './safe-content-type.ts';
import type { CachedObject, SmallObjectCache } from './small-object-cache.ts';

/** Private uploads: no script, no plugins beyond the browser's PDF viewer, media only from this origin. */
export const UPLOAD_CSP =
  "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; object-src 'self'; frame-ancestors 'self'";
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

type HeaderMap = Record<string, string>;

/** The headers every answer about an object carries (200, 206, 304), decided by the app whatever sends the bytes. */
export function objectHeaders(
  info: Pick<ObjectInfo, 'contentType' | 'etag' | 'lastModified'>,
  options: ServeObjectOptions,
): HeaderMap {
  const type = safeStoredType(info.contentType);
  const headers: HeaderMap = {
    'content-type': servedContentType(type),
    'content-disposition': contentDisposition(options.filename, type, options.disposition),
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
function matchesIfNoneMatch(header: string | null, etag: string): boolean {
  if (header === null) return false;
  if (header.trim() === '*') return true;
  const ours = etag.replace(/^W\//u, '');
  return header.split(',').some((tag) => tag.trim().replace(/^W\//u, '') === ours);
}

/**
 * RFC 9110 13.1.5: a Range is honoured only when `If-Range` is absent or still names this representation (a strong
 * ETag equal to ours, or exactly our Last-Modified date); otherwise the whole object is sent.
 */
function rangeStillApplies(header: string | null, info: Pick<ObjectInfo, 'etag' | 'lastModified'>): boolean {
  if (header === null) return true;
  const value = header.trim();
  if (value.startsWith('"')) return !info.etag.startsWith('W/') && value === info.etag;
  if (value.startsWith('W/')) return false;
  return value === info.lastModified.toUTCString();
}

/** The range a request asks for, when it counts: never on HEAD (RFC 9110 14.2), and subject to `If-Range`. */
function requestedRange(
  request: Request,
  info: Pick<ObjectInfo, 'etag' | 'lastModified'> | undefined,
): ByteRange | undefined {
  if (request.method === 'HEAD') return undefined;
  const range = parseRangeHeader(request.headers.get('range') ?? undefined);
  if (range === undefined) return undefined;
  if (info !== undefined && !rangeStillApplies(request.headers.get('if-range'), info)) return undefined;
  return range;
}

function rangeNotSatisfiable(size: number): Response {
  const body = new TextEncoder().encode(
    JSON.stringify({
      error: { code: 'RangeNotSatisfiable', message: `the range is outside the file (${size} bytes)` },
    }),
  );
  return new Response(body, {
    status: 416,
    headers: {
      'content-range': `bytes */${size}`,
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(body.byteLength),
    },
  });
}

/** The full 200 headers for a cached object, computed once per set of serving options. */
function fullHeaders(cached: CachedObject, options: ServeObjectOptions): Readonly<HeaderMap> {
  const memo = `${options.disposition}\0${options.csp ? 1 : 0}\0${options.cacheControl}\0${options.filename}`;
  let headers = cached.headers?.get(memo);
  if (headers === undefined) {
    headers = { ...objectHeaders(cached.info, options), 'content-length': String(cached.bytes.byteLength) };
    cached.headers?.set(memo, headers);
  }
  return headers;
}

/** 304, 206, 416 or 200 for a request (`GET` or `HEAD`) of an object held in memory. */
export function answerFromMemory(request: Request, cached: CachedObject, options: ServeObjectOptions): Response {
  const { info, bytes } = cached;
  const withBody = request.method !== 'HEAD';
  const range = requestedRange(request, info);
  const ifNoneMatch = request.headers.get('if-none-match');
  if (range === undefined && ifNoneMatch === null) {
    return new Response(withBody ? (bytes as Uint8Array<ArrayBuffer>) : null, {
      status: 200,
      headers: fullHeaders(cached, options),
    });
  }
  const headers = objectHeaders(info, options);
  if (matchesIfNoneMatch(ifNoneMatch, info.etag)) return new Response(null, { status: 304, headers });
  if (range !== undefined) {
    let resolved;
    try {
      resolved = resolveRange(range, bytes.byteLength, info.key);
    } catch {
      return rangeNotSatisfiable(bytes.byteLength);
    }
    headers['content-range'] = `bytes ${resolved.start}-${resolved.end}/${bytes.byteLength}`;
    headers['content-length'] = String(resolved.end - resolved.start + 1);
    return new Response(
      withBody ? (bytes.subarray(resolved.start, resolved.end + 1) as Uint8Array<ArrayBuffer>) : null,
      { status: 206, headers },
    );
  }
  headers['content-length'] = String(bytes.byteLength);
  return new Response(withBody ? (bytes as Uint8Array<ArrayBuffer>) : null, { status: 200, headers });
}

/**
 * Serves one object with ETag/304, `If-Range` and single-range 206 support; HEAD answers as GET would without
 * the body (a Range on HEAD is ignored). Small objects are read whole once and then answered from `cache`;
 * larger ones are streamed from the store. A missing object is `NotFound`.
 */
export async function serveObject(
  request: Request,
  store: ObjectStore,
  key: string,
  options: ServeObjectOptions,
  cache: SmallObjectCache | undefined,
): Promise<Response> {
  const cached = cache?.get(key);
  if (cached !== undefined) return answerFromMemory(request, cached, options);
  if (request.method === 'HEAD') {
    const info = await store.head(key);
    if (info === undefined) throw notFound();
    const headers = objectHeaders(info, options);
    if (matchesIfNoneMatch(request.headers.get('if-none-match'), info.etag))
      return new Response(null, { status: 304, headers });
    headers['content-length'] = String(info.size);
    return new Response(null, { status: 200, headers });
  }
  let range = requestedRange(request, undefined);
  if (range !== undefined && request.headers.has('if-range')) {
    // If-Range needs the object's validators before the range is chosen.
    const info = await store.head(key);
    if (info === undefined) throw notFound();
    range = requestedRange(request, info);
  }
  if (cache !== undefined && range === undefined) return serveThroughCache(request, store, key, options, cache);
  return fromStore(request, await openObject(store, key, range), options);
}

/**
 * A whole-object GET of an uncached key. One request reads the store (single flight): when many readers ask for
 * the same new file at once, the others wait for its bytes instead of each reading it.
 */
async function serveThroughCache(
  request: Request,
  store: ObjectStore,
  key: string,
  options: ServeObjectOptions,
  cache: SmallObjectCache,
): Promise<Response> {
  const inFlight = cache.flight(key);
  if (inFlight !== undefined) {
    const entry = await inFlight;
    if (entry !== undefined) return answerFromMemory(request, entry, options);
    // Too large to cache, or the read failed: read it ourselves (a failure then reaches this request too).
    return fromStore(request, await openObject(store, key, undefined), options);
  }
  let entry: CachedObject | undefined;
  const finish = cache.startFlight(key);
  try {
    const result = await openObject(store, key, undefined);
    if (result instanceof Response || result.size > cache.maxObjectBytes)
      return await fromStore(request, result, options);
    const bytes = await collectBytes(result.body);
    const info: ObjectInfo = {
      key: result.key,
      size: result.size,
      contentType: result.contentType,
      lastModified: result.lastModified,
      etag: result.etag,
      sha256: result.sha256,
      contentDisposition: result.contentDisposition,
      cacheControl: result.cacheControl,
      metadata: result.metadata,
    };
    entry = { info, bytes, headers: new Map() };
    cache.set(key, entry);
  } finally {
    finish(entry);
  }
  return answerFromMemory(request, entry, options);
}

/** Opens the object, or the 416 to answer. Missing objects are `NotFound`. */
async function openObject(
  store: ObjectStore,
  key: string,
  range: ByteRange | undefined,
): Promise<GetResult | Response> {
  try {
    return await store.get(key, { range });
  } catch (error) {
    if (isStorageError(error, 'NotFound')) throw notFound();
    if (isStorageError(error, 'InvalidRange')) {
      const info = await store.head(key);
      if (info === undefined) throw notFound();
      return rangeNotSatisfiable(info.size);
    }
    throw error;
  }
}

/** Streams an opened object: 304 when the client has it, else 206 or 200 with the body. */
async function fromStore(
  request: Request,
  result: GetResult | Response,
  options: ServeObjectOptions,
): Promise<Response> {
  if (result instanceof Response) return result;
  const headers = objectHeaders(result, options);
  if (matchesIfNoneMatch(request.headers.get('if-none-match'), result.etag)) {
    await result.body.cancel();
    return new Response(null, { status: 304, headers });
  }
  if (result.range !== undefined) {
    headers['content-range'] = `bytes ${result.range.start}-${result.range.end}/${result.size}`;
    headers['content-length'] = String(result.range.end - result.range.start + 1);
    return new Response(result.body, { status: 206, headers });
  }
  headers['content-length'] = String(result.size);
  return new Response(result.body, { status: 200, headers });
}
