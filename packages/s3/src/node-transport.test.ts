import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import { Readable } from 'node:stream';
import { collectBytes } from '@stowage/core';
import { TEST_TLS_FILES } from '@stowage/s3-test-server';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeTransport, idleAllowanceMs } from './node-transport.ts';
import type { WireRequest, WireResponse } from './node-transport.ts';

const servers: (Server | NetServer)[] = [];
const transports: NodeTransport[] = [];

afterEach(async () => {
  for (const transport of transports.splice(0)) transport.destroy();
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          if ('closeAllConnections' in server) server.closeAllConnections();
          server.close(() => {
            resolve();
          });
        }),
    ),
  );
});

/**
 * Serves `handler` on 127.0.0.1; counts the TCP connections the server accepted, those it saw close, and those the
 * client closed (the server saw their end before closing them itself).
 */
async function serve(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
  keepAliveTimeoutMs = 5_000,
): Promise<{ port: number; connections: () => number; closed: () => number; closedByClient: () => number }> {
  const server = createServer(handler);
  server.keepAliveTimeout = keepAliveTimeoutMs;
  let connections = 0;
  let closed = 0;
  let closedByClient = 0;
  server.on('connection', (socket: Socket) => {
    connections++;
    socket.on('end', () => closedByClient++);
    socket.on('close', () => closed++);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, connections: () => connections, closed: () => closed, closedByClient: () => closedByClient };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** A TCP server that answers every connection with `answer` (raw bytes, whatever HTTP says). */
async function serveRaw(answer: (socket: Socket) => void): Promise<number> {
  const server = createNetServer(answer);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function get(port: number, path = '/'): WireRequest {
  return { method: 'GET', hostname: '127.0.0.1', port, path, query: {}, headers: {}, body: undefined };
}

async function text(response: WireResponse): Promise<string> {
  return new TextDecoder().decode(await collectBytes(response.body));
}

function transport(options: Partial<ConstructorParameters<typeof NodeTransport>[1]> = {}): NodeTransport {
  const made = new NodeTransport('http:', { connectionTimeoutMs: 3_000, requestTimeoutMs: 30_000, maxSockets: 4, ...options });
  transports.push(made);
  return made;
}

/** Answers with what it received: method, URL, headers and the body's length and text. */
function echo(request: IncomingMessage, response: ServerResponse): void {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks);
    response.setHeader('x-echo', JSON.stringify({ method: request.method, url: request.url, headers: request.headers, length: body.length }));
    response.setHeader('x-twice', ['one', 'two']);
    response.end(body);
  });
}

describe('NodeTransport', () => {
  it('sends method, path, query, headers and a body of bytes or a stream, and gives the answer with its headers', async () => {
    const { port } = await serve(echo);
    const sender = transport();
    const query = { 'list-type': '2', prefix: 'a b/ü&c=d', 'start-after': "x!'()*" };
    const bytes = new TextEncoder().encode('hello bytes');
    const answer = await sender.send({ method: 'PUT', hostname: '127.0.0.1', port, path: '/bucket/some%20key', query, headers: { 'content-length': String(bytes.byteLength), 'x-amz-meta-a': 'b' }, body: bytes }, undefined);
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['x-twice']).toBe('one, two');
    expect(new TextDecoder().decode(await collectBytes(answer.body))).toBe('hello bytes');
    const echoed = JSON.parse(answer.headers['x-echo'] ?? '{}') as { method: string; url: string; headers: Record<string, string>; length: number };
    expect(echoed.method).toBe('PUT');
    const url = new URL(echoed.url, 'http://localhost');
    expect(url.pathname).toBe('/bucket/some%20key');
    expect(Object.fromEntries(url.searchParams)).toEqual(query);
    expect(echoed.headers['x-amz-meta-a']).toBe('b');

    const streamed = await sender.send(
      { method: 'PUT', hostname: '127.0.0.1', port, path: '/bucket/streamed', query: {}, headers: { 'content-length': '6' }, body: Readable.from([Buffer.from('abc'), Buffer.from('def')]) },
      undefined,
    );
    expect(new TextDecoder().decode(await collectBytes(streamed.body))).toBe('abcdef');
  });

  it('fails with a TimeoutError when no byte moves for the request timeout', async () => {
    const { port } = await serve(() => {
      // Never answers.
    });
    const started = Date.now();
    const failure: unknown = await transport({ requestTimeoutMs: 200 })
      .send({ method: 'GET', hostname: '127.0.0.1', port, path: '/', query: {}, headers: {}, body: undefined }, undefined)
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'TimeoutError', code: 'ETIMEDOUT' });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('fails with a TimeoutError when a TLS handshake does not finish within the connection timeout', async () => {
    const port = await serveRaw((socket) => {
      // Reads the client's hello, never answers it.
      socket.resume();
    });
    const failure: unknown = await new NodeTransport('https:', { connectionTimeoutMs: 200, requestTimeoutMs: 30_000, maxSockets: 4 })
      .send(get(port), undefined)
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'TimeoutError', code: 'ETIMEDOUT', message: 'no connection to 127.0.0.1 within 200 ms' });
  });

  it('refuses a server whose certificate it does not trust, before sending the request', async () => {
    let requests = 0;
    const server = createTlsServer({ key: readFileSync(TEST_TLS_FILES.serverKey), cert: readFileSync(TEST_TLS_FILES.serverCertificate) }, (_request, response) => {
      requests++;
      response.end('secret');
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const made = new NodeTransport('https:', { connectionTimeoutMs: 3_000, requestTimeoutMs: 30_000, maxSockets: 4 });
    transports.push(made);
    await expect(made.send(get((server.address() as AddressInfo).port), undefined)).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(requests).toBe(0);
  });

  it('stops a request when its signal aborts', async () => {
    const { port } = await serve(() => {
      // Never answers.
    });
    const controller = new AbortController();
    const sending = transport().send({ method: 'GET', hostname: '127.0.0.1', port, path: '/', query: {}, headers: {}, body: undefined }, controller.signal);
    controller.abort();
    await expect(sending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('fails with the network error when nothing listens', async () => {
    const { port } = await serve(echo);
    await new Promise<void>((resolve) => servers.pop()?.close(() => {
      resolve();
    }));
    await expect(transport().send({ method: 'GET', hostname: '127.0.0.1', port, path: '/', query: {}, headers: {}, body: undefined }, undefined)).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });

  it('fails the request when its body stream fails', async () => {
    const { port } = await serve(echo);
    const body = new Readable({
      read() {
        this.destroy(new Error('the disk went away'));
      },
    });
    await expect(
      transport().send({ method: 'PUT', hostname: '127.0.0.1', port, path: '/k', query: {}, headers: { 'content-length': '10' }, body }, undefined),
    ).rejects.toThrow('the disk went away');
  });
  it('keeps a connection alive across requests, and opens a new one after an answer that closes it', async () => {
    const { port, connections } = await serve((request, response) => {
      if (request.url === '/close') response.setHeader('connection', 'close');
      response.end(request.url);
    });
    const sender = transport();
    for (const path of ['/a', '/b', '/c']) expect(await text(await sender.send(get(port, path), undefined))).toBe(path);
    expect(connections()).toBe(1);
    expect(await text(await sender.send(get(port, '/close'), undefined))).toBe('/close');
    expect(await text(await sender.send(get(port, '/d'), undefined))).toBe('/d');
    expect(connections()).toBe(2);
  });

  it('sends no request on a connection the server closed while it was idle', async () => {
    let connections = 0;
    let closed = 0;
    const port = await serveRaw((socket) => {
      connections++;
      socket.on('close', () => closed++);
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
        // An idle close, announced by nothing.
        setTimeout(() => socket.end(), 20);
      });
    });
    const sender = transport();
    expect(await text(await sender.send(get(port), undefined))).toBe('ok');
    await until(() => closed === 1);
    expect(await text(await sender.send(get(port), undefined))).toBe('ok');
    expect(connections).toBe(2);
  });

  it('closes an idle connection a second before the limit the server announces, and keeps none it would close sooner', async () => {
    // Node's server announces `Keep-Alive: timeout=2` and closes idle connections after about 2 s.
    const announcing = await serve((request, response) => response.end(request.url), 2_000);
    const sender = transport();
    expect(await text(await sender.send(get(announcing.port), undefined))).toBe('/');
    await until(() => announcing.closed() === 1);
    expect(announcing.closedByClient()).toBe(1);

    // `timeout=1` leaves no second: every request gets a connection of its own.
    const brief = await serve((request, response) => response.end(request.url), 1_000);
    for (const path of ['/a', '/b']) expect(await text(await sender.send(get(brief.port, path), undefined))).toBe(path);
    expect(brief.connections()).toBe(2);
  });

  it('closes a connection idle for idleTimeoutMs when the server announces no limit', async () => {
    let ended = 0;
    const port = await serveRaw((socket) => {
      socket.on('end', () => ended++);
      socket.on('data', () => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'));
    });
    const sender = transport({ idleTimeoutMs: 100 });
    expect(await text(await sender.send(get(port), undefined))).toBe('ok');
    await until(() => ended === 1);
    expect(await text(await sender.send(get(port), undefined))).toBe('ok');
  });

  it('reads chunked and large answers whole, and a HEAD answer without a body', async () => {
    const large = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 7) % 251);
    const { port, connections } = await serve((request, response) => {
      if (request.url === '/chunked') {
        response.write('first,');
        setTimeout(() => response.end('second'), 20);
      } else if (request.method === 'HEAD') {
        response.setHeader('content-length', '12345');
        response.end();
      } else response.end(large);
    });
    const sender = transport({ maxSockets: 1 });
    const chunked = await sender.send(get(port, '/chunked'), undefined);
    expect(chunked.headers['transfer-encoding']).toBe('chunked');
    expect(await text(chunked)).toBe('first,second');
    const head = await sender.send({ ...get(port), method: 'HEAD' }, undefined);
    expect(head.headers['content-length']).toBe('12345');
    expect(await collectBytes(head.body)).toEqual(new Uint8Array(0));
    const whole = await sender.send(get(port, '/large'), undefined);
    // Read late and slowly: the connection must hold back rather than lose bytes.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const chunks: Uint8Array[] = [];
    for await (const chunk of whole.body) {
      chunks.push(chunk);
      if (chunks.length % 8 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(Buffer.concat(chunks).equals(Buffer.from(large))).toBe(true);
    expect(await text(await sender.send(get(port, '/chunked'), undefined))).toBe('first,second');
    expect(connections()).toBe(1);
  });

  it('sends a large streamed body intact', async () => {
    const { port } = await serve((request, response) => {
      const hash = createHash('sha256');
      let length = 0;
      request.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        length += chunk.length;
      });
      request.on('end', () => response.end(`${length} ${hash.digest('hex')}`));
    });
    const piece = new Uint8Array(256 * 1024).map((_, i) => i % 253);
    const expected = createHash('sha256');
    for (let i = 0; i < 32; i++) expected.update(piece);
    const body = Readable.from((function* () {
      for (let i = 0; i < 32; i++) yield Buffer.from(piece);
    })());
    const answer = await transport().send({ method: 'PUT', hostname: '127.0.0.1', port, path: '/big', query: {}, headers: { 'content-length': String(32 * piece.byteLength) }, body }, undefined);
    expect(await text(answer)).toBe(`${32 * piece.byteLength} ${expected.digest('hex')}`);
  });

  it('opens at most maxSockets connections and queues the rest', async () => {
    let active = 0;
    let most = 0;
    const { port, connections } = await serve((_request, response) => {
      active++;
      most = Math.max(most, active);
      setTimeout(() => {
        active--;
        response.end('ok');
      }, 30);
    });
    const sender = transport({ maxSockets: 2 });
    const answers = await Promise.all(Array.from({ length: 7 }, (_, i) => sender.send(get(port, `/${i}`), undefined).then(text)));
    expect(answers).toEqual(Array.from({ length: 7 }, () => 'ok'));
    expect(most).toBe(2);
    expect(connections()).toBe(2);
  });

  it('lets an answer be dropped or read in part, and the connection serves the next request', async () => {
    const { port, connections } = await serve((request, response) => response.end(`${request.url ?? ''} `.repeat(50_000)));
    const sender = transport({ maxSockets: 1 });
    (await sender.send(get(port, '/dropped'), undefined)).body.resume();
    for await (const chunk of (await sender.send(get(port, '/partly'), undefined)).body) {
      expect(chunk.byteLength).toBeGreaterThan(0);
      break;
    }
    expect(await text(await sender.send(get(port, '/x'), undefined))).toBe('/x '.repeat(50_000));
    expect(connections()).toBe(1);
  });

  it('gives an answer that comes before the whole body was sent, and does not reuse that connection', async () => {
    const { port, connections } = await serve((request, response) => {
      if (request.url === '/early') {
        response.statusCode = 413;
        response.end('too large');
        return;
      }
      request.resume();
      request.on('end', () => response.end('fine'));
    });
    const sender = transport({ maxSockets: 1 });
    let pushed = 0;
    const body = new Readable({
      read() {
        // A slow producer: never gets to its last byte before the answer.
        if (pushed++ < 3) setTimeout(() => this.push(Buffer.alloc(1024)), 20);
      },
    });
    const early = await sender.send({ method: 'PUT', hostname: '127.0.0.1', port, path: '/early', query: {}, headers: { 'content-length': String(1024 * 1024) }, body }, undefined);
    expect(early.statusCode).toBe(413);
    expect(await text(early)).toBe('too large');
    const next = await sender.send({ method: 'PUT', hostname: '127.0.0.1', port, path: '/next', query: {}, headers: { 'content-length': '3' }, body: new Uint8Array([1, 2, 3]) }, undefined);
    expect(await text(next)).toBe('fine');
    expect(connections()).toBe(2);
  });

  it('stops a request waiting for a connection, or an answer being read, when its signal aborts', async () => {
    const { port } = await serve((request, response) => {
      if (request.url === '/slow') setTimeout(() => response.end('slow'), 200);
      else {
        response.write('part');
        // The rest never comes.
      }
    });
    const sender = transport({ maxSockets: 1 });
    const slow = sender.send(get(port, '/slow'), undefined);
    const waiting = new AbortController();
    const queued = sender.send(get(port, '/queued'), waiting.signal);
    waiting.abort();
    await expect(queued).rejects.toMatchObject({ name: 'AbortError' });
    expect(await text(await slow)).toBe('slow');
    const reading = new AbortController();
    const partial = await sender.send(get(port, '/partial'), reading.signal);
    const read = text(partial);
    setTimeout(() => {
      reading.abort();
    }, 50);
    await expect(read).rejects.toMatchObject({ name: 'AbortError' });
    expect(await text(await sender.send(get(port, '/slow'), undefined))).toBe('slow');
  });

  it('refuses a header value or path that would break the request line, before sending anything', async () => {
    const { port, connections } = await serve(echo);
    const sender = transport();
    await expect(sender.send({ ...get(port), headers: { 'x-amz-meta-a': 'b\r\nx-injected: 1' } }, undefined)).rejects.toMatchObject({ code: 'ERR_INVALID_CHAR' });
    await expect(sender.send({ ...get(port), headers: { 'bad name': 'x' } }, undefined)).rejects.toMatchObject({ code: 'ERR_INVALID_HTTP_TOKEN' });
    await expect(sender.send(get(port, '/a b'), undefined)).rejects.toMatchObject({ code: 'ERR_UNESCAPED_CHARACTERS' });
    expect(connections()).toBe(0);
  });

  it('fails on a malformed answer, and on a connection closed before the answer ended', async () => {
    const garbled = await serveRaw((socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\ncontent-length: nope\r\n\r\n'));
    });
    await expect(transport().send(get(garbled), undefined)).rejects.toMatchObject({ name: 'MalformedResponseError', code: 'EPROTO' });
    const cut = await serveRaw((socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc'));
    });
    const answer = await transport().send(get(cut), undefined);
    await expect(text(answer)).rejects.toMatchObject({ code: 'ECONNRESET' });
    const silent = await serveRaw((socket) => {
      socket.once('data', () => socket.end());
    });
    await expect(transport().send(get(silent), undefined)).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('fails requests still waiting when destroyed', async () => {
    let arrived = false;
    const { port } = await serve(() => {
      arrived = true;
      // Never answers.
    });
    const sender = transport({ maxSockets: 1 });
    const first = sender.send(get(port), undefined);
    first.catch(() => undefined);
    await until(() => arrived);
    const second = sender.send(get(port), undefined);
    sender.destroy();
    await expect(second).rejects.toMatchObject({ code: 'ERR_HTTP_AGENT_DESTROYED' });
    await expect(first).rejects.toMatchObject({ code: 'ECONNRESET' });
    await expect(sender.send(get(port), undefined)).rejects.toMatchObject({ code: 'ERR_HTTP_AGENT_DESTROYED' });
  });
});

describe('idleAllowanceMs', () => {
  it('is a second less than the limit the server announces, never below 0, else the fallback', () => {
    expect(idleAllowanceMs({ 'keep-alive': 'timeout=5' }, 4_000)).toBe(4_000);
    expect(idleAllowanceMs({ 'keep-alive': 'timeout=60, max=1000' }, 4_000)).toBe(59_000);
    expect(idleAllowanceMs({ 'keep-alive': 'max=100; Timeout=3' }, 4_000)).toBe(2_000);
    expect(idleAllowanceMs({ 'keep-alive': 'timeout=1' }, 4_000)).toBe(0);
    expect(idleAllowanceMs({ 'keep-alive': 'timeout=0' }, 4_000)).toBe(0);
    expect(idleAllowanceMs({ 'keep-alive': 'max=5' }, 4_000)).toBe(4_000);
    expect(idleAllowanceMs({ 'keep-alive': 'mytimeout=9' }, 4_000)).toBe(4_000);
    expect(idleAllowanceMs({}, 250)).toBe(250);
  });
});
