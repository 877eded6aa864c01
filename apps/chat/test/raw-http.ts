import { connect } from 'node:net';
import type { Socket } from 'node:net';
import type { Client } from './chat-fixture.ts';

export interface RawResponse {
  readonly head: string;
  readonly status: number;
  readonly headers: Map<string, string>;
  readonly body: Buffer;
}

/** One TCP connection speaking HTTP/1.1 by hand: requests written as bytes, responses read back in order. */
export class RawConnection {
  readonly socket: Socket;
  #received = Buffer.alloc(0);
  #closed = false;
  #waiter: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#received = Buffer.concat([this.#received, chunk]);
      this.#waiter?.();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#waiter?.();
    });
  }

  static async open(url: string): Promise<RawConnection> {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve).once('error', reject);
    });
    return new RawConnection(socket);
  }

  send(text: string | Buffer): void {
    this.socket.write(text);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The next responses, one per method given (a `HEAD` answer has no body). */
  async read(methods: readonly string[]): Promise<RawResponse[]> {
    const responses: RawResponse[] = [];
    for (const method of methods) responses.push(await this.#next(method));
    return responses;
  }

  async #next(method: string): Promise<RawResponse> {
    for (;;) {
      const end = this.#received.indexOf('\r\n\r\n');
      if (end !== -1) {
        const head = this.#received.toString('latin1', 0, end);
        const [statusLine = '', ...lines] = head.split('\r\n');
        const headers = new Map(
          lines.map((line) => [
            line.slice(0, line.indexOf(':')).toLowerCase(),
            line.slice(line.indexOf(':') + 1).trim(),
          ]),
        );
        const status = Number(statusLine.split(' ')[1]);
        const length = method === 'HEAD' || status === 304 ? 0 : Number(headers.get('content-length') ?? 0);
        if (this.#received.byteLength >= end + 4 + length) {
          const body = this.#received.subarray(end + 4, end + 4 + length);
          this.#received = this.#received.subarray(end + 4 + length);
          return { head, status, headers, body: Buffer.from(body) };
        }
      }
      if (this.#closed)
        throw new Error(
          `the connection closed before a whole response; received: ${this.#received.toString('latin1').slice(0, 200)}`,
        );
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
      });
      this.#waiter = undefined;
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

export function cookieOf(client: Client): string {
  return [...client.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
}

export function fileGet(path: string, cookie: string, ...extra: string[]): string {
  return [`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', `Cookie: ${cookie}`, ...extra, '', ''].join('\r\n');
}
