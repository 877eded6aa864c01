import * as http from 'node:http';
import * as https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { encodeRfc3986 } from './sigv4.ts';

/** A request as it goes on the wire: the path already percent-encoded, the query not yet. */
export interface WireRequest {
  readonly method: string;
  readonly hostname: string;
  readonly port: number | undefined;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array | Readable | undefined;
}

/** An answer: status, headers by lower-case name (repeated ones joined), and the body to read or drain. */
export interface WireResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: IncomingMessage;
}

export interface NodeTransportOptions {
  /** Time allowed to open a TCP connection. */
  readonly connectionTimeoutMs: number;
  /** Time a request may go without any byte moving. */
  readonly requestTimeoutMs: number;
  /** Concurrent connections to the endpoint. */
  readonly maxSockets: number;
}

/** A timeout failure in the shape the SDK's handler gives one, so retries classify both alike (transient). */
function timeoutError(message: string): Error {
  return Object.assign(new Error(message), { name: 'TimeoutError', code: 'ETIMEDOUT' });
}

function queryString(query: Readonly<Record<string, string>>): string {
  const parts = Object.entries(query).map(([name, value]) => `${encodeRfc3986(name)}=${encodeRfc3986(value)}`);
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

function flatHeaders(message: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/**
 * Sends signed requests over `node:http` or `node:https` on keep-alive connections, with the SDK handler's
 * connection and idle timeouts: what a store needs for its lean requests without loading the SDK.
 */
export class NodeTransport {
  readonly #agent: http.Agent;
  readonly #request: typeof http.request;
  readonly #options: NodeTransportOptions;

  constructor(protocol: 'http:' | 'https:', options: NodeTransportOptions) {
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets };
    this.#agent = protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.#request = protocol === 'https:' ? https.request : http.request;
    this.#options = options;
  }

  /** Resolves with the answer once its headers arrive; rejects on a network failure, a timeout or `signal`. */
  send(request: WireRequest, signal: AbortSignal | undefined): Promise<WireResponse> {
    const { connectionTimeoutMs, requestTimeoutMs } = this.#options;
    return new Promise<WireResponse>((resolve, reject) => {
      const outgoing = this.#request({
        agent: this.#agent,
        method: request.method,
        hostname: request.hostname,
        port: request.port,
        path: `${request.path}${queryString(request.query)}`,
        headers: request.headers,
        signal,
      });
      outgoing.on('error', reject);
      outgoing.on('response', (response) => {
        resolve({ statusCode: response.statusCode ?? 0, headers: flatHeaders(response), body: response });
      });
      outgoing.on('socket', (socket) => {
        if (!socket.connecting) return;
        const timer = setTimeout(() => {
          outgoing.destroy(timeoutError(`no connection to ${request.hostname} within ${connectionTimeoutMs} ms`));
        }, connectionTimeoutMs);
        socket.once('connect', () => {
          clearTimeout(timer);
        });
        socket.once('close', () => {
          clearTimeout(timer);
        });
      });
      outgoing.setTimeout(requestTimeoutMs, () => {
        outgoing.destroy(timeoutError(`no bytes moved for ${requestTimeoutMs} ms on a request to ${request.hostname}`));
      });
      const { body } = request;
      if (body === undefined) outgoing.end();
      else if (body instanceof Uint8Array) outgoing.end(body);
      else {
        body.once('error', (error) => outgoing.destroy(error));
        body.pipe(outgoing);
      }
    });
  }

  /** Closes the kept-alive connections. */
  destroy(): void {
    this.#agent.destroy();
  }
}
