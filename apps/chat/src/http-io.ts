import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, badRequest } from './api-error.ts';

/** Largest JSON request body read (messages are at most 10,000 characters). */
const MAX_JSON_BYTES = 64 * 1024;

/** The URL a request target names (the host is a placeholder: only path and query count); throws when malformed. */
export function requestUrl(target: string): URL {
  return new URL(target, 'http://chat.invalid');
}

/** The value of one cookie from a `Cookie` header, without parsing the others. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  let at = header.indexOf(`${name}=`);
  while (at !== -1) {
    const before = at === 0 ? ' ' : header[at - 1];
    if (before === ' ' || before === ';') {
      const start = at + name.length + 1;
      const end = header.indexOf(';', start);
      return header.slice(start, end === -1 ? undefined : end).trim();
    }
    at = header.indexOf(`${name}=`, at + 1);
  }
  return undefined;
}

export interface CookieOptions {
  readonly httpOnly: boolean;
  readonly sameSite: 'Lax' | 'Strict';
  /** Seconds; 0 deletes the cookie. */
  readonly maxAge: number;
}

export function cookieHeader(name: string, value: string, options: CookieOptions): string {
  return `${name}=${value}; Path=/; Max-Age=${options.maxAge}; SameSite=${options.sameSite}${options.httpOnly ? '; HttpOnly' : ''}`;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, error: ApiError, headers: Record<string, string> = {}): void {
  sendJson(res, error.status, { error: { code: error.code, message: error.message } }, headers);
}

/** Reads a small JSON object body; anything else is a `BadRequest` naming the problem. */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_JSON_BYTES) throw new ApiError(413, 'BadRequest', `request body is larger than ${MAX_JSON_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.byteLength;
    if (total > MAX_JSON_BYTES) throw new ApiError(413, 'BadRequest', `request body is larger than ${MAX_JSON_BYTES} bytes`);
    chunks.push(chunk);
  }
  if (total === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw badRequest('request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badRequest('request body must be a JSON object');
  return parsed as Record<string, unknown>;
}

export function requireString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string') throw badRequest(`"${field}" must be a string`);
  return value;
}

/** A positive integer from a path or query parameter, else `BadRequest` naming it. */
export function parseId(text: string | null | undefined, what: string): number {
  if (text === null || text === undefined || !/^[1-9]\d{0,15}$/u.test(text)) throw badRequest(`${what} must be a positive integer`);
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
