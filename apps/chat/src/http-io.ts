import type { Context } from 'hono';
import { ApiError, badRequest } from './api-error.ts';
import type { HttpRuntime } from './http-runtime.ts';

/** Largest JSON request body read (messages are at most 10,000 characters). */
const MAX_JSON_BYTES = 64 * 1024;

const encoder = new TextEncoder();

/** A JSON answer with the headers every API response carries; headers set on `c` before (cookies) are kept. */
export function sendJson(c: Context, status: number, body: unknown, headers: Record<string, string> = {}): Response {
  const bytes = encoder.encode(JSON.stringify(body));
  return c.body(bytes, status as 200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(bytes.byteLength),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
}

/** The JSON error API.md describes: `{ error: { code, message } }`. */
export function errorResponse(error: ApiError, headers: Record<string, string> = {}): Response {
  const bytes = encoder.encode(JSON.stringify({ error: { code: error.code, message: error.message } }));
  return new Response(bytes, {
    status: error.status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(bytes.byteLength),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...headers,
    },
  });
}

/** `Content-Length` as a number, `undefined` when absent; a malformed one is a `BadRequest`. */
export function declaredLength(c: Context): number | undefined {
  const header = c.req.header('content-length');
  if (header === undefined) return undefined;
  if (!/^\d{1,15}$/u.test(header)) throw badRequest('Content-Length must be a whole number of bytes');
  return Number(header);
}

/**
 * The whole body of a small request, refused with `error()` once it passes `limit` bytes (declared or read).
 * Only for bodies the app must hold whole anyway (JSON, images for sharp).
 */
export async function readSmallBody(
  runtime: HttpRuntime,
  c: Context,
  limit: number,
  error: () => ApiError,
): Promise<Uint8Array> {
  const size = declaredLength(c);
  if (size !== undefined && size > limit) throw error();
  const body = c.req.raw.body;
  runtime.continueBody(c);
  if (body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > limit) throw error();
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

/** Reads a small JSON object body; anything else is a `BadRequest` naming the problem. */
export async function readJsonObject(runtime: HttpRuntime, c: Context): Promise<Record<string, unknown>> {
  const bytes = await readSmallBody(
    runtime,
    c,
    MAX_JSON_BYTES,
    () => new ApiError(413, 'BadRequest', `request body is larger than ${MAX_JSON_BYTES} bytes`),
  );
  if (bytes.byteLength === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw badRequest('request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw badRequest('request body must be a JSON object');
  return parsed as Record<string, unknown>;
}

export function requireString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string') throw badRequest(`"${field}" must be a string`);
  return value;
}

/** A positive integer from a path or query parameter, else `BadRequest` naming it. */
export function parseId(text: string | null | undefined, what: string): number {
  if (text === null || text === undefined || !/^[1-9]\d{0,15}$/u.test(text))
    throw badRequest(`${what} must be a positive integer`);
  return Number(text);
}

/** Bytes in a human unit, for messages a person reads. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit] ?? ''}`;
}
