import { createRequire } from 'node:module';
import * as net from 'node:net';
import type { Readable } from 'node:stream';
import type * as Tls from 'node:tls';
import { HTTP_TOKEN, ResponseParser, hangUpError } from './http1-response.ts';
import type { ResponseHead } from './http1-response.ts';
import { encodeRfc3986 } from './sigv4.ts';

/** A request as it goes on the wire: the path already percent-encoded, the query not yet. */
export interface WireRequest {
  readonly method: string;
  readonly hostname: string;
  readonly port: number | undefined;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** Lower-case names. A body's length must be among them (`content-length`): bodies are never chunked. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array | Readable | undefined;
}

/** An answer's body: read it to its end, or `resume()` to drop it, so the connection can serve the next request. */
export interface WireBody extends AsyncIterable<Uint8Array> {
  resume(): void;
}

/** An answer: status, headers by lower-case name (repeated ones joined), and the body to read or drain. */
export interface WireResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: WireBody;
}

export interface NodeTransportOptions {
  /** Time allowed to open a TCP connection. */
  readonly connectionTimeoutMs: number;
  /** Time a request may go without any byte moving. */
  readonly requestTimeoutMs: number;
  /** Concurrent connections to the endpoint. */
  readonly maxSockets: number;
  /**
   * How long a connection may wait idle for its next request before it is closed, when the server announces no
   * limit of its own; 4 s by default. One that does (`Keep-Alive: timeout=N`) is closed a second before N.
   */
  readonly idleTimeoutMs?: number;
}

const DEFAULT_IDLE_TIMEOUT_MS = 4_000;
/** Closing this long before a server's announced limit leaves its close no time to cross a new request. */
const SERVER_LIMIT_MARGIN_MS = 1_000;

/**
 * How long a connection may stay idle after `headers`' answer: the server's announced limit less a margin, else
 * `fallbackMs`. A server that would close it within the margin leaves no time: 0.
 */
export function idleAllowanceMs(headers: Readonly<Record<string, string>>, fallbackMs: number): number {
  const announced = /(?:^|[\s,;])timeout=(\d+)/iu.exec(headers['keep-alive'] ?? '')?.[1];
  if (announced === undefined) return fallbackMs;
  return Math.max(0, Number(announced) * 1000 - SERVER_LIMIT_MARGIN_MS);
}

const require = createRequire(import.meta.url);
let tlsModule: typeof Tls | undefined;

/** `node:tls`, loaded for the first HTTPS connection: an HTTP endpoint never needs it (3.5 MiB here). */
function tls(): typeof Tls {
  tlsModule ??= require('node:tls') as typeof Tls;
  return tlsModule;
}

/** A timeout failure in the shape the SDK's handler gives one, so retries classify both alike (transient). */
function timeoutError(message: string): Error {
  return Object.assign(new Error(message), { name: 'TimeoutError', code: 'ETIMEDOUT' });
}

function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason }), { name: 'AbortError', code: 'ABORT_ERR' });
}

function queryString(query: Readonly<Record<string, string>>): string {
  const parts = Object.entries(query).map(([name, value]) => `${encodeRfc3986(name)}=${encodeRfc3986(value)}`);
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

/** What `node:http` refuses in a header value: control characters but horizontal tab (so no CR or LF). */
const INVALID_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/u;
const REQUEST_TARGET = /^\/[\x21-\x7e]*$/u;

/** The `Host` header for a host name (an IPv6 address with or without its brackets) and port. */
export function hostHeader(hostname: string, port: number | undefined): string {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  const name = bare.includes(':') ? `[${bare}]` : bare;
  return port === undefined ? name : `${name}:${port}`;
}

/** The request line and headers, checked: nothing a caller passes can end a line early or smuggle a header in. */
function requestHead(request: WireRequest): string {
  const target = `${request.path}${queryString(request.query)}`;
  if (!HTTP_TOKEN.test(request.method)) throw Object.assign(new TypeError(`invalid HTTP method ${JSON.stringify(request.method)}`), { code: 'ERR_INVALID_HTTP_TOKEN' });
  if (!REQUEST_TARGET.test(target)) throw Object.assign(new TypeError(`invalid request path ${JSON.stringify(target)}`), { code: 'ERR_UNESCAPED_CHARACTERS' });
  let head = `${request.method} ${target} HTTP/1.1\r\n`;
  if (request.headers.host === undefined) head += `host: ${hostHeader(request.hostname, request.port)}\r\n`;
  for (const [name, value] of Object.entries(request.headers)) {
    if (!HTTP_TOKEN.test(name)) throw Object.assign(new TypeError(`invalid header name ${JSON.stringify(name)}`), { code: 'ERR_INVALID_HTTP_TOKEN' });
    if (INVALID_HEADER_VALUE.test(value)) throw Object.assign(new TypeError(`invalid character in header ${name}`), { code: 'ERR_INVALID_CHAR' });
    head += `${name}: ${value}\r\n`;
  }
  return `${head}\r\n`;
}

/** Bytes held for a reader before the connection stops reading. */
const BODY_HIGH_WATER_BYTES = 1024 * 1024;

/** An answer's body as it arrives; pauses the connection while a slow reader holds too much. */
class ResponseBody implements WireBody {
  readonly #pause: (paused: boolean) => void;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #ended = false;
  #failure: Error | undefined;
  #dropping = false;
  #wake: (() => void) | undefined;

  constructor(pause: (paused: boolean) => void) {
    this.#pause = pause;
  }

  push(chunk: Uint8Array): void {
    if (this.#dropping || chunk.byteLength === 0) return;
    this.#queue.push(chunk);
    this.#queued += chunk.byteLength;
    if (this.#queued > BODY_HIGH_WATER_BYTES) this.#pause(true);
    this.#notify();
  }

  end(): void {
    this.#ended = true;
    this.#notify();
  }

  fail(error: Error): void {
    if (this.#ended) return;
    this.#failure = error;
    this.#notify();
  }

  resume(): void {
    this.#dropping = true;
    this.#queue = [];
    this.#queued = 0;
    this.#pause(false);
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    try {
      for (;;) {
        const chunk = this.#queue.shift();
        if (chunk !== undefined) {
          this.#queued -= chunk.byteLength;
          if (this.#queued <= BODY_HIGH_WATER_BYTES / 2) this.#pause(false);
          yield chunk;
          continue;
        }
        if (this.#failure !== undefined) throw this.#failure;
        if (this.#ended) return;
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
      }
    } finally {
      // A reader that stops early leaves the rest to be dropped, so the connection still finishes the answer.
      if (!this.#ended && this.#failure === undefined) this.resume();
    }
  }
}

/** One request and its answer on a connection. */
interface Exchange {
  readonly request: WireRequest;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (response: WireResponse) => void;
  readonly reject: (error: Error) => void;
}

/** A request waiting for a connection. */
interface Waiting {
  readonly start: (connection: Connection) => void;
  readonly fail: (error: Error) => void;
}

/**
 * One keep-alive connection: carries one exchange at a time and goes back to its transport when the answer has
 * ended, the whole request went out and both sides keep it open.
 */
class Connection {
  readonly socket: net.Socket;
  readonly #release: (connection: Connection, reusable: boolean) => void;
  readonly #requestTimeoutMs: number;
  readonly #idleTimeoutMs: number;
  /** How long the connection may wait idle after the current answer. */
  #idleAllowanceMs = 0;
  #parser: ResponseParser | undefined;
  #body: ResponseBody | undefined;
  #exchange: Exchange | undefined;
  #requestSent = false;
  #responded = false;
  #onAbort: (() => void) | undefined;
  #closed = false;

  constructor(socket: net.Socket, requestTimeoutMs: number, idleTimeoutMs: number, release: (connection: Connection, reusable: boolean) => void) {
    this.socket = socket;
    this.#requestTimeoutMs = requestTimeoutMs;
    this.#idleTimeoutMs = idleTimeoutMs;
    this.#release = release;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.#read(chunk);
    });
    socket.on('end', () => {
      this.#peerEnded();
    });
    socket.on('error', (error) => {
      this.#fail(error);
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#fail(hangUpError());
      this.#release(this, false);
    });
    socket.on('timeout', () => {
      // Idle past its allowance: closed before the server closes it under a request.
      if (this.#exchange === undefined) socket.destroy();
      else this.#fail(timeoutError(`no bytes moved for ${requestTimeoutMs} ms on a request to ${socket.remoteAddress ?? 'the server'}`));
    });
  }

  /** Whether the connection can no longer carry a request (closed, or closing). */
  get closed(): boolean {
    return this.#closed || this.socket.destroyed || !this.socket.writable;
  }

  /** Sends `exchange`'s request; the connection must be idle. */
  start(exchange: Exchange, head: string): void {
    const { request, signal } = exchange;
    this.#exchange = exchange;
    this.#requestSent = false;
    this.#responded = false;
    this.#body = undefined;
    this.#parser = new ResponseParser(request.method, {
      head: (answer) => {
        this.#answer(answer);
      },
      body: (chunk) => this.#body?.push(chunk),
      end: (rest) => {
        this.#answerEnded(rest);
      },
    });
    this.socket.setTimeout(this.#requestTimeoutMs);
    // The previous answer's reader may have paused the connection while its last bytes were still queued.
    this.socket.resume();
    if (signal !== undefined) {
      this.#onAbort = () => {
        this.#fail(abortError(signal));
      };
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
    const { body } = request;
    const socket = this.socket;
    if (body === undefined || body instanceof Uint8Array) {
      socket.cork();
      socket.write(head, 'latin1');
      if (body !== undefined && body.byteLength > 0) socket.write(body);
      socket.uncork();
      this.#requestSent = true;
      return;
    }
    socket.write(head, 'latin1');
    body.once('error', (error) => {
      if (this.#exchange === exchange) this.#fail(error);
    });
    body.once('end', () => {
      if (this.#exchange === exchange) this.#requestSent = true;
    });
    body.pipe(socket, { end: false });
  }

  #read(chunk: Buffer): void {
    const parser = this.#parser;
    if (parser === undefined || this.#exchange === undefined) {
      // Bytes nobody asked for: the connection cannot be trusted with another request.
      this.socket.destroy();
      return;
    }
    try {
      parser.feed(chunk);
    } catch (error) {
      this.#fail(error as Error);
    }
  }

  #answer(head: ResponseHead): void {
    const exchange = this.#exchange;
    if (exchange === undefined) return;
    this.#responded = true;
    this.#idleAllowanceMs = idleAllowanceMs(head.headers, this.#idleTimeoutMs);
    const body: ResponseBody = new ResponseBody((paused) => {
      // A body read after its exchange ended must not steer the connection's next one.
      if (this.#body !== body) return;
      if (paused) this.socket.pause();
      else this.socket.resume();
    });
    this.#body = body;
    exchange.resolve({ statusCode: head.statusCode, headers: head.headers, body });
  }

  #answerEnded(rest: Uint8Array): void {
    const parser = this.#parser;
    const body = this.#body;
    const exchange = this.#exchange;
    const reusable = parser?.keepAlive === true && this.#requestSent && rest.byteLength === 0 && !this.#closed && this.#idleAllowanceMs > 0;
    this.#finish();
    if (reusable) this.socket.setTimeout(this.#idleAllowanceMs);
    body?.end();
    if (exchange !== undefined && !reusable) {
      // The rest of a body still being sent must not reach the next request.
      const sending = exchange.request.body;
      if (sending !== undefined && !(sending instanceof Uint8Array)) sending.unpipe(this.socket);
      this.socket.destroy();
    }
    this.#release(this, reusable);
  }

  #peerEnded(): void {
    const parser = this.#parser;
    if (parser === undefined || this.#exchange === undefined) {
      this.socket.destroy();
      return;
    }
    try {
      parser.close();
    } catch (error) {
      this.#fail(error as Error);
    }
  }

  /** Ends the exchange with `error`: before the answer the request rejects, after it the body does. */
  #fail(error: Error): void {
    const exchange = this.#exchange;
    if (exchange === undefined) return;
    const body = this.#body;
    const responded = this.#responded;
    this.#finish();
    const sending = exchange.request.body;
    if (sending !== undefined && !(sending instanceof Uint8Array)) sending.unpipe(this.socket);
    this.socket.destroy();
    if (responded) body?.fail(error);
    else exchange.reject(error);
  }

  #finish(): void {
    const exchange = this.#exchange;
    if (exchange?.signal !== undefined && this.#onAbort !== undefined) exchange.signal.removeEventListener('abort', this.#onAbort);
    this.#onAbort = undefined;
    this.#exchange = undefined;
    this.#parser = undefined;
    this.socket.setTimeout(0);
  }
}

/** The connections to one server and the requests waiting for one. */
class OriginPool {
  readonly #secure: boolean;
  readonly #hostname: string;
  readonly #port: number;
  readonly #options: NodeTransportOptions;
  readonly #idle: Connection[] = [];
  readonly #waiting: Waiting[] = [];
  readonly #open = new Set<Connection>();
  #connecting = 0;
  #destroyed = false;

  constructor(secure: boolean, hostname: string, port: number, options: NodeTransportOptions) {
    this.#secure = secure;
    this.#hostname = hostname;
    this.#port = port;
    this.#options = options;
  }

  /** Queues `waiting` for a connection. */
  enqueue(waiting: Waiting): void {
    this.#waiting.push(waiting);
    this.#dispatch();
  }

  /** Takes `waiting` out of the queue; false when it already has its connection. */
  withdraw(waiting: Waiting): boolean {
    const at = this.#waiting.indexOf(waiting);
    if (at < 0) return false;
    this.#waiting.splice(at, 1);
    return true;
  }

  destroy(error: Error): void {
    this.#destroyed = true;
    for (const waiting of this.#waiting.splice(0)) waiting.fail(error);
    for (const connection of this.#open) connection.socket.destroy();
    this.#idle.length = 0;
  }

  /** Hands waiting requests idle connections, and opens new ones while under the limit. */
  #dispatch(): void {
    while (this.#waiting.length > 0) {
      const connection = this.#idle.pop();
      if (connection === undefined) break;
      if (connection.closed) continue;
      this.#waiting.shift()?.start(connection);
    }
    while (this.#waiting.length > this.#connecting && this.#open.size + this.#connecting < this.#options.maxSockets) this.#connect();
  }

  #connect(): void {
    const { connectionTimeoutMs, requestTimeoutMs, idleTimeoutMs = DEFAULT_IDLE_TIMEOUT_MS } = this.#options;
    const host = this.#hostname;
    const port = this.#port;
    this.#connecting++;
    const socket = this.#secure
      ? tls().connect({ host, port, servername: net.isIP(host) === 0 ? host : undefined, ALPNProtocols: ['http/1.1'] })
      : net.connect({ host, port });
    let settled = false;
    const timer = setTimeout(() => {
      socket.destroy(timeoutError(`no connection to ${host} within ${connectionTimeoutMs} ms`));
    }, connectionTimeoutMs);
    const connected = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      this.#connecting--;
      socket.off('error', failed);
      const connection = new Connection(socket, requestTimeoutMs, idleTimeoutMs, (done, reusable) => {
        this.#released(done, reusable);
      });
      this.#open.add(connection);
      if (this.#destroyed) {
        socket.destroy();
        return;
      }
      this.#idle.push(connection);
      this.#dispatch();
    };
    const failed = (error: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      this.#connecting--;
      socket.destroy();
      // The oldest waiting request learns why no connection came.
      this.#waiting.shift()?.fail(error);
    };
    socket.once(this.#secure ? 'secureConnect' : 'connect', connected);
    socket.once('error', failed);
  }

  #released(connection: Connection, reusable: boolean): void {
    if (!reusable || connection.closed || this.#destroyed) {
      this.#open.delete(connection);
      const at = this.#idle.indexOf(connection);
      if (at >= 0) this.#idle.splice(at, 1);
      connection.socket.destroy();
    } else if (!this.#idle.includes(connection)) this.#idle.push(connection);
    if (!this.#destroyed) this.#dispatch();
  }
}

function destroyedError(): Error {
  return Object.assign(new Error('the transport was destroyed'), { code: 'ERR_HTTP_AGENT_DESTROYED' });
}

/**
 * Sends signed requests over HTTP/1.1 on keep-alive `node:net` (or `node:tls`) connections, at most `maxSockets` to
 * each server, with the SDK handler's connection and idle timeouts: what a store needs for its lean requests
 * without loading the SDK. It reads answers itself (`ResponseParser`) rather than through `node:http`'s client,
 * which cost about 0.3 ms of CPU more per request here (2,000 small PutObjects to a loopback server: 1.7 s
 * against 1.05 s), as much as the rest of the request.
 */
export class NodeTransport {
  readonly #secure: boolean;
  readonly #options: NodeTransportOptions;
  readonly #pools = new Map<string, OriginPool>();
  #destroyed = false;

  constructor(protocol: 'http:' | 'https:', options: NodeTransportOptions) {
    this.#secure = protocol === 'https:';
    this.#options = options;
  }

  /** Resolves with the answer once its headers arrive; rejects on a network failure, a timeout or `signal`. */
  send(request: WireRequest, signal: AbortSignal | undefined): Promise<WireResponse> {
    return new Promise<WireResponse>((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(abortError(signal));
        return;
      }
      if (this.#destroyed) {
        reject(destroyedError());
        return;
      }
      const head = requestHead(request);
      const pool = this.#pool(request);
      const onAbort = (): void => {
        if (signal !== undefined && pool.withdraw(waiting)) reject(abortError(signal));
      };
      const waiting: Waiting = {
        start: (connection) => {
          signal?.removeEventListener('abort', onAbort);
          connection.start({ request, signal, resolve, reject }, head);
        },
        fail: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      pool.enqueue(waiting);
    });
  }

  /** Closes every connection; requests still waiting for one fail. */
  destroy(): void {
    this.#destroyed = true;
    for (const pool of this.#pools.values()) pool.destroy(destroyedError());
    this.#pools.clear();
  }

  #pool(request: WireRequest): OriginPool {
    const port = request.port ?? (this.#secure ? 443 : 80);
    const origin = `${request.hostname}\n${port}`;
    let pool = this.#pools.get(origin);
    if (pool === undefined) {
      pool = new OriginPool(this.#secure, request.hostname, port, this.#options);
      this.#pools.set(origin, pool);
    }
    return pool;
  }
}
