import { STATUS_CODES } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import type { ChatApp } from './chat-app.ts';
import { requestUrl } from './http-io.ts';
import { answerFromMemory } from './serve-object.ts';
import type { MemoryAnswer } from './serve-object.ts';
import { fileTarget, planFile } from './serve-routes.ts';
import type { FileTarget } from './serve-routes.ts';

/** node:http's default limit on a request head: a longer one is left to node:http, which answers 431. */
const MAX_HEAD_BYTES = 16 * 1024;
/** node:http's default `headersTimeout`: a head still incomplete after this is left to node:http's own timers. */
const HEADERS_TIMEOUT_MS = 60_000;
const HEAD_END = Buffer.from('\r\n\r\n');
const REQUEST_LINE = /^(GET|HEAD) (\/user_(?:uploads|avatars)\/[\x21-\x7e]*) HTTP\/1\.1$/u;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/u;
/**
 * Control characters other than HTAB never appear in a request line or field (RFC 9110 section 5.5), nor does a CR or
 * LF outside a line's closing CRLF (a bare one is how requests are smuggled past a parser that reads them otherwise).
 */
// eslint-disable-next-line no-control-regex
const FORBIDDEN_IN_HEAD = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n/u;
/** What node:http refuses in a response header value: the fast path must never send what node:http would not. */
const FORBIDDEN_IN_RESPONSE_VALUE = /[^\t\x20-\x7e\x80-\xff]/u;
const OPTIONAL_WHITESPACE_AT_EDGES = /^[\t ]+|[\t ]+$/gu;
/** Request targets remembered parsed: the same files are fetched again and again (by every viewer of a message). */
const MAX_REMEMBERED_TARGETS = 10_000;

/** A request the fast path may answer: a bodiless `GET` or `HEAD` of a file route, framed beyond doubt. */
export interface FileRequest {
  readonly method: 'GET' | 'HEAD';
  readonly target: string;
  readonly cookie?: string | undefined;
  readonly accept?: string | undefined;
  readonly range?: string | undefined;
  readonly 'if-none-match'?: string | undefined;
}

type ReadHeader = 'cookie' | 'accept' | 'range' | 'if-none-match';

/** The lengths of the header names the fast path reads or refuses: a cheap first test before lower-casing a name. */
const NOTED_NAME_LENGTHS: ReadonlySet<number> = new Set(
  ['host', 'cookie', 'accept', 'range', 'if-none-match', 'connection', 'content-length', 'transfer-encoding', 'upgrade', 'expect'].map((name) => name.length),
);

/**
 * Reads a request head (without its final blank line). Anything that is not plainly a file request, or whose
 * framing or meaning could be read two ways, is `undefined`, and node:http gets the connection: a body
 * (`Content-Length`, `Transfer-Encoding`), `Expect`, `Upgrade`, `Connection` other than `keep-alive`, HTTP/1.0,
 * folded or malformed lines, control characters, a missing or repeated `Host`, a repeated header it reads.
 */
export function parseFileRequest(head: string): FileRequest | undefined {
  // One scan for what no line may hold: a control character, or a CR or LF outside a CRLF line end.
  if (FORBIDDEN_IN_HEAD.test(head)) return undefined;
  let lineEnd = head.indexOf('\r\n');
  const requestLine = REQUEST_LINE.exec(lineEnd === -1 ? head : head.slice(0, lineEnd));
  if (requestLine === null) return undefined;
  const read: Partial<Record<ReadHeader, string>> = {};
  let hosts = 0;
  while (lineEnd !== -1) {
    const lineStart = lineEnd + 2;
    lineEnd = head.indexOf('\r\n', lineStart);
    const line = lineEnd === -1 ? head.slice(lineStart) : head.slice(lineStart, lineEnd);
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return undefined;
    if (!NOTED_NAME_LENGTHS.has(name.length)) continue;
    const lowerName = name.toLowerCase();
    const value = line.slice(colon + 1).replace(OPTIONAL_WHITESPACE_AT_EDGES, '');
    switch (lowerName) {
      case 'host':
        hosts++;
        break;
      case 'cookie':
      case 'accept':
      case 'range':
      case 'if-none-match':
        if (read[lowerName] !== undefined) return undefined;
        read[lowerName] = value;
        break;
      case 'connection':
        if (value.toLowerCase() !== 'keep-alive') return undefined;
        break;
      case 'content-length':
      case 'transfer-encoding':
      case 'upgrade':
      case 'expect':
        return undefined;
    }
  }
  if (hosts !== 1) return undefined;
  return {
    method: requestLine[1] === 'HEAD' ? 'HEAD' : 'GET', target: requestLine[2] ?? '',
    cookie: read.cookie, accept: read.accept, range: read.range, 'if-none-match': read['if-none-match'],
  };
}

/** The status line and headers of an answer, or `undefined` when node:http would refuse one of its values. */
function serializeHead(answer: MemoryAnswer): Buffer | undefined {
  let text = `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ''}\r\n`;
  for (const [name, value] of Object.entries(answer.headers)) {
    const shown = String(value);
    if (FORBIDDEN_IN_RESPONSE_VALUE.test(shown)) return undefined;
    text += `${name}: ${shown}\r\n`;
  }
  return Buffer.from(text, 'latin1');
}

/**
 * Answers file requests for objects already in memory straight from the connection, without node:http's
 * per-request objects: the hot path of a chat server (every message view fetches its images). Every decision is
 * the one node:http's route makes (`planFile`, then `answerFromMemory`); only the bytes on the
 * wire are written here. The first request it cannot answer (another route, an object not in memory, a refusal,
 * anything unusual) hands the connection, with every byte not yet answered, to node:http for the rest of its life.
 */
export class FileFastPath {
  readonly #app: ChatApp;
  readonly #httpServer: HttpServer;
  readonly #keepAliveMs: number;
  /** Serialized heads by the header object they came from: the 200 headers of a cached object are one object. */
  readonly #heads = new WeakMap<object, Buffer | null>();
  readonly #targets = new Map<string, FileTarget | null>();
  #dateSecond = -1;
  #closingLines = Buffer.alloc(0);
  #answered = 0;
  #handedOff = 0;

  constructor(app: ChatApp, httpServer: HttpServer, keepAliveMs: number) {
    this.#app = app;
    this.#httpServer = httpServer;
    this.#keepAliveMs = keepAliveMs;
  }

  /** Requests answered here so far. */
  get answered(): number {
    return this.#answered;
  }

  /** Connections handed to node:http so far. */
  get handedOff(): number {
    return this.#handedOff;
  }

  /** Takes a new connection. */
  accept(socket: Socket): void {
    let pending: Buffer | undefined;
    let headStartedAt = 0;
    // A client fetching file after file sends the same head again and again: it is read once per connection.
    let lastHead = '';
    let lastRequest: FileRequest | undefined;
    const onData = (chunk: Buffer): void => {
      pending = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
      answerPending();
    };
    const onDrain = (): void => {
      socket.resume();
      answerPending();
    };
    const onTimeout = (): void => {
      socket.destroy();
    };
    const ignoreError = (): void => undefined;
    const handOff = (unanswered: Buffer): void => {
      this.#handedOff++;
      socket.off('data', onData);
      socket.off('drain', onDrain);
      socket.off('timeout', onTimeout);
      socket.off('error', ignoreError);
      socket.setTimeout(0);
      this.#httpServer.emit('connection', socket);
      // Synchronously, before the socket can read again, so node:http parses the bytes in the order they came.
      if (unanswered.byteLength > 0) socket.emit('data', unanswered);
      if (socket.isPaused()) socket.resume();
    };
    const answerPending = (): void => {
      const buffer = pending;
      if (buffer === undefined) return;
      let offset = 0;
      while (offset < buffer.byteLength) {
        if (socket.writableNeedDrain) {
          // The client is not reading: stop reading its requests until it does, as node:http would.
          socket.pause();
          break;
        }
        const end = buffer.indexOf(HEAD_END, offset);
        if (end === -1 ? buffer.byteLength - offset > MAX_HEAD_BYTES : end - offset > MAX_HEAD_BYTES) {
          handOff(buffer.subarray(offset));
          return;
        }
        if (end === -1) break;
        const head = buffer.toString('latin1', offset, end);
        if (head !== lastHead) {
          lastHead = head;
          lastRequest = parseFileRequest(head);
        }
        if (lastRequest === undefined || !this.#answer(socket, lastRequest)) {
          handOff(buffer.subarray(offset));
          return;
        }
        offset = end + HEAD_END.byteLength;
      }
      pending = offset >= buffer.byteLength ? undefined : buffer.subarray(offset);
      if (pending === undefined) {
        headStartedAt = 0;
      } else if (offset > 0 || headStartedAt === 0) {
        headStartedAt = Date.now();
      } else if (Date.now() - headStartedAt > HEADERS_TIMEOUT_MS) {
        handOff(pending);
      }
    };
    socket.setNoDelay(true);
    socket.setTimeout(this.#keepAliveMs, onTimeout);
    socket.on('error', ignoreError);
    socket.on('drain', onDrain);
    socket.on('data', onData);
  }

  /** Writes the answer to one request and says so, or writes nothing and says it cannot. */
  #answer(socket: Socket, request: FileRequest): boolean {
    let response: { readonly statusAndHeaders: Buffer; readonly body: Uint8Array | undefined } | undefined;
    try {
      response = this.#response(request);
    } catch {
      // A refusal (401, 403, 404), a malformed URL, or a failure: node:http's route meets it again and answers it.
      return false;
    }
    if (response === undefined) return false;
    socket.cork();
    socket.write(response.statusAndHeaders);
    socket.write(this.#dateAndConnection());
    if (response.body !== undefined && request.method === 'GET') socket.write(response.body);
    socket.uncork();
    this.#answered++;
    return true;
  }

  /** The answer's status line and headers (without the closing lines) and body, when it comes from memory. */
  #response(request: FileRequest): { readonly statusAndHeaders: Buffer; readonly body: Uint8Array | undefined } | undefined {
    const target = this.#fileTarget(request.target);
    if (target === undefined) return undefined;
    const plan = planFile(this.#app, target, request);
    if (plan.kind !== 'object') return undefined;
    const cached = plan.cache.get(plan.key);
    if (cached === undefined) return undefined;
    const answer = answerFromMemory(request.method, request, cached, plan.options);
    let statusAndHeaders = this.#heads.get(answer.headers);
    if (statusAndHeaders === undefined) {
      statusAndHeaders = serializeHead(answer) ?? null;
      this.#heads.set(answer.headers, statusAndHeaders);
    }
    return statusAndHeaders === null ? undefined : { statusAndHeaders, body: answer.body };
  }

  /** The file route a request target names, as node:http's route reads it; throws for a malformed URL. */
  #fileTarget(requestTarget: string): FileTarget | undefined {
    let target = this.#targets.get(requestTarget);
    if (target === undefined) {
      target = fileTarget(requestUrl(requestTarget)) ?? null;
      // Forgetting all of them now and then bounds the memory and costs one parse each.
      if (this.#targets.size >= MAX_REMEMBERED_TARGETS) this.#targets.clear();
      this.#targets.set(requestTarget, target);
    }
    return target ?? undefined;
  }

  /** The `Date`, `Connection` and `Keep-Alive` lines node:http adds, made once a second. */
  #dateAndConnection(): Buffer {
    const now = Date.now();
    const second = Math.floor(now / 1000);
    if (second !== this.#dateSecond) {
      this.#dateSecond = second;
      this.#closingLines = Buffer.from(
        `Date: ${new Date(second * 1000).toUTCString()}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(this.#keepAliveMs / 1000)}\r\n\r\n`,
        'latin1',
      );
    }
    return this.#closingLines;
  }
}
