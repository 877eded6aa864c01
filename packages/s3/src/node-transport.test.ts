import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { collectBytes } from '@stowage/core';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeTransport } from './node-transport.ts';

const servers: Server[] = [];
const transports: NodeTransport[] = [];

afterEach(async () => {
  for (const transport of transports.splice(0)) transport.destroy();
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => {
            resolve();
          });
        }),
    ),
  );
});

async function serve(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<number> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
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
    const port = await serve(echo);
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
    const port = await serve(() => {
      // Never answers.
    });
    const started = Date.now();
    const failure: unknown = await transport({ requestTimeoutMs: 200 })
      .send({ method: 'GET', hostname: '127.0.0.1', port, path: '/', query: {}, headers: {}, body: undefined }, undefined)
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'TimeoutError', code: 'ETIMEDOUT' });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('stops a request when its signal aborts', async () => {
    const port = await serve(() => {
      // Never answers.
    });
    const controller = new AbortController();
    const sending = transport().send({ method: 'GET', hostname: '127.0.0.1', port, path: '/', query: {}, headers: {}, body: undefined }, controller.signal);
    controller.abort();
    await expect(sending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('fails with the network error when nothing listens', async () => {
    const port = await serve(echo);
    await new Promise<void>((resolve) => servers.pop()?.close(() => {
      resolve();
    }));
    await expect(transport().send({ method: 'GET', hostname: '127.0.0.1', port, path: '/', query: {}, headers: {}, body: undefined }, undefined)).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });

  it('fails the request when its body stream fails', async () => {
    const port = await serve(echo);
    const body = new Readable({
      read() {
        this.destroy(new Error('the disk went away'));
      },
    });
    await expect(
      transport().send({ method: 'PUT', hostname: '127.0.0.1', port, path: '/k', query: {}, headers: { 'content-length': '10' }, body }, undefined),
    ).rejects.toThrow('the disk went away');
  });
});
