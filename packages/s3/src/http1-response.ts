import { Buffer } from 'node:buffer';

/** The status and headers of an HTTP/1.1 answer; names lower-case, repeated headers joined with ", ". */
export interface ResponseHead {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  /** Whether the connection may carry another request once this answer's body has ended. */
  readonly keepAlive: boolean;
}

/** What a `ResponseParser` reports while it reads one answer. */
export interface ResponseEvents {
  head(head: ResponseHead): void;
  body(chunk: Uint8Array): void;
  /** The answer ended (reported once); `rest` holds any bytes that came after it. */
  end(rest: Uint8Array): void;
}

/** An answer that is not HTTP/1.1 as this reader understands it. */
export class MalformedResponseError extends Error {
  readonly code = 'EPROTO';

  constructor(message: string) {
    super(`malformed HTTP answer: ${message}`);
    this.name = 'MalformedResponseError';
  }
}

/** What `node:http` says when a connection closes before the answer is complete. */
export function hangUpError(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}

/** Longest status line plus headers accepted, as Node's own parser. */
const MAX_HEAD_BYTES = 16 * 1024;
/** Longest chunk-size line (size, extensions) or trailer line accepted. */
const MAX_LINE_BYTES = 4 * 1024;
/** An HTTP token (RFC 9110): what a method or a header name may be. */
export const HTTP_TOKEN: RegExp = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/u;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [^\r\n]*)?$/u;
const CRLF_CRLF = new Uint8Array([13, 10, 13, 10]);
const EMPTY = new Uint8Array(0);

type Framing =
  | { readonly kind: 'head' }
  | { readonly kind: 'length'; remaining: number }
  | { readonly kind: 'chunk-size' }
  | { readonly kind: 'chunk-data'; remaining: number }
  | { readonly kind: 'chunk-end' }
  | { readonly kind: 'trailers' }
  | { readonly kind: 'until-close' }
  | { readonly kind: 'done' };

function concat(first: Uint8Array, second: Uint8Array): Uint8Array {
  if (first.byteLength === 0) return second;
  const joined = new Uint8Array(first.byteLength + second.byteLength);
  joined.set(first);
  joined.set(second, first.byteLength);
  return joined;
}

function indexOfSequence(bytes: Uint8Array, sequence: Uint8Array, from: number): number {
  const last = bytes.byteLength - sequence.byteLength;
  outer: for (let at = Math.max(0, from); at <= last; at++) {
    for (let i = 0; i < sequence.byteLength; i++) if (bytes[at + i] !== sequence[i]) continue outer;
    return at;
  }
  return -1;
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** The status line and header fields of `text` (without the blank line), checked. */
function parseHead(text: string): { readonly version: 0 | 1; readonly statusCode: number; readonly headers: Record<string, string> } {
  const lines = text.split('\r\n');
  const status = STATUS_LINE.exec(lines[0] ?? '');
  if (status === null) throw new MalformedResponseError(`status line ${JSON.stringify((lines[0] ?? '').slice(0, 100))}`);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon);
    // Also refuses obsolete line folding (a line starting with white space) and bare CR or LF.
    if (!HTTP_TOKEN.test(name)) throw new MalformedResponseError(`header line ${JSON.stringify(line.slice(0, 100))}`);
    const value = line.slice(colon + 1).trim();
    if (/[\r\n\0]/u.test(value)) throw new MalformedResponseError(`header ${name} holds a control character`);
    const lower = name.toLowerCase();
    const before = headers[lower];
    headers[lower] = before === undefined ? value : `${before}, ${value}`;
  }
  return { version: status[1] === '1' ? 1 : 0, statusCode: Number(status[2]), headers };
}

/** The body's framing by RFC 9112 section 6.3, for an answer to `method`. */
function framingOf(method: string, statusCode: number, headers: Record<string, string>): Framing {
  if (method === 'HEAD' || statusCode === 204 || statusCode === 304) return { kind: 'done' };
  const coding = headers['transfer-encoding'];
  if (coding !== undefined) {
    const codings = coding.toLowerCase().split(',').map((part) => part.trim());
    return codings[codings.length - 1] === 'chunked' ? { kind: 'chunk-size' } : { kind: 'until-close' };
  }
  const length = headers['content-length'];
  if (length === undefined) return { kind: 'until-close' };
  const values = new Set(length.split(',').map((part) => part.trim()));
  const [only] = values;
  if (values.size !== 1 || only === undefined || !/^\d{1,15}$/u.test(only)) throw new MalformedResponseError(`content-length ${JSON.stringify(length)}`);
  const remaining = Number(only);
  return remaining === 0 ? { kind: 'done' } : { kind: 'length', remaining };
}

/**
 * Reads one HTTP/1.1 answer from the bytes of a connection, as they come in pieces of any size: the head, then the
 * body by its framing (a length, chunks, or everything until the connection closes), reporting each to `events`.
 * Interim (1xx) answers are skipped. Anything malformed throws a `MalformedResponseError`.
 */
export class ResponseParser {
  readonly #method: string;
  readonly #events: ResponseEvents;
  #framing: Framing = { kind: 'head' };
  #pending: Uint8Array = EMPTY;
  #keepAlive = false;

  constructor(method: string, events: ResponseEvents) {
    this.#method = method;
    this.#events = events;
  }

  /** Whether the answer ended. */
  get done(): boolean {
    return this.#framing.kind === 'done';
  }

  /** Whether the head was read. */
  get headRead(): boolean {
    return this.#framing.kind !== 'head';
  }

  /** Whether the connection may carry another request (known once the answer ended). */
  get keepAlive(): boolean {
    return this.#keepAlive;
  }

  /** Reads the next bytes of the connection. */
  feed(chunk: Uint8Array): void {
    let bytes = concat(this.#pending, chunk);
    this.#pending = EMPTY;
    while (bytes.byteLength > 0) {
      const framing = this.#framing;
      switch (framing.kind) {
        case 'done':
          // `end` gave what followed the answer; a reader that feeds more has lost track of the connection.
          throw new MalformedResponseError('bytes fed after the answer ended');
        case 'head': {
          const end = indexOfSequence(bytes, CRLF_CRLF, 0);
          if (end < 0) {
            // Up to three bytes of the blank line may already be here.
            if (bytes.byteLength > MAX_HEAD_BYTES + 3) throw new MalformedResponseError(`head longer than ${MAX_HEAD_BYTES} bytes`);
            this.#pending = bytes;
            return;
          }
          if (end > MAX_HEAD_BYTES) throw new MalformedResponseError(`head longer than ${MAX_HEAD_BYTES} bytes`);
          const { version, statusCode, headers } = parseHead(latin1(bytes.subarray(0, end)));
          bytes = bytes.subarray(end + 4);
          // An interim answer (100 Continue and the like): the real one follows.
          if (statusCode < 200 && statusCode !== 101) continue;
          if (statusCode === 101) throw new MalformedResponseError('the server switched protocols');
          const next = framingOf(this.#method, statusCode, headers);
          const close = (headers.connection ?? '').toLowerCase().split(',').some((part) => part.trim() === 'close');
          this.#keepAlive = version === 1 && !close && next.kind !== 'until-close';
          this.#framing = next;
          this.#events.head({ statusCode, headers, keepAlive: this.#keepAlive });
          if (next.kind === 'done') {
            this.#events.end(bytes);
            return;
          }
          break;
        }
        case 'length': {
          bytes = this.#passBody(framing, bytes);
          if (framing.remaining === 0) this.#finish(bytes);
          if (this.done) return;
          break;
        }
        case 'chunk-size': {
          const line = this.#line(bytes);
          if (line === undefined) return;
          bytes = bytes.subarray(line.length + 2);
          const size = line.split(';')[0]?.trim() ?? '';
          if (!/^[0-9a-fA-F]{1,12}$/u.test(size)) throw new MalformedResponseError(`chunk size ${JSON.stringify(line.slice(0, 40))}`);
          const remaining = Number.parseInt(size, 16);
          this.#framing = remaining === 0 ? { kind: 'trailers' } : { kind: 'chunk-data', remaining };
          break;
        }
        case 'chunk-data': {
          bytes = this.#passBody(framing, bytes);
          if (framing.remaining === 0) this.#framing = { kind: 'chunk-end' };
          break;
        }
        case 'chunk-end': {
          if (bytes.byteLength < 2) {
            this.#pending = bytes;
            return;
          }
          if (bytes[0] !== 13 || bytes[1] !== 10) throw new MalformedResponseError('a chunk does not end with CRLF');
          bytes = bytes.subarray(2);
          this.#framing = { kind: 'chunk-size' };
          break;
        }
        case 'trailers': {
          const line = this.#line(bytes);
          if (line === undefined) return;
          bytes = bytes.subarray(line.length + 2);
          if (line === '') {
            this.#finish(bytes);
            return;
          }
          break;
        }
        case 'until-close':
          this.#events.body(bytes);
          return;
      }
    }
  }

  /**
   * The connection ended (the peer closed it). Ends an answer read until the close; throws if the answer was cut
   * short.
   */
  close(): void {
    if (this.#framing.kind === 'until-close') {
      this.#finish(EMPTY);
      return;
    }
    if (this.#framing.kind !== 'done') throw hangUpError();
  }

  /** The next CRLF-terminated line of `bytes`, or `undefined` (keeping the bytes) until it has arrived. */
  #line(bytes: Uint8Array): string | undefined {
    const end = bytes.indexOf(10);
    if (end < 0) {
      if (bytes.byteLength > MAX_LINE_BYTES) throw new MalformedResponseError(`a line longer than ${MAX_LINE_BYTES} bytes`);
      this.#pending = bytes;
      return undefined;
    }
    if (end === 0 || bytes[end - 1] !== 13) throw new MalformedResponseError('a line does not end with CRLF');
    if (end > MAX_LINE_BYTES) throw new MalformedResponseError(`a line longer than ${MAX_LINE_BYTES} bytes`);
    return latin1(bytes.subarray(0, end - 1));
  }

  /** Reports what of `bytes` belongs to the body bytes `framing` still expects; returns the rest. */
  #passBody(framing: { remaining: number }, bytes: Uint8Array): Uint8Array {
    const take = Math.min(framing.remaining, bytes.byteLength);
    framing.remaining -= take;
    this.#events.body(bytes.subarray(0, take));
    return bytes.subarray(take);
  }

  #finish(rest: Uint8Array): void {
    this.#framing = { kind: 'done' };
    this.#events.end(rest);
  }
}
