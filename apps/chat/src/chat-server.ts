import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { HttpBindings } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Context } from 'hono';
import { ChatApp } from './chat-app.ts';
import type { ChatAppOptions } from './chat-app.ts';
import { chatHttpApp } from './http-app.ts';
import type { HttpRuntime } from './http-runtime.ts';

/** How long an idle keep-alive connection is kept (longer than the 60 s of common proxies in front). */
const KEEP_ALIVE_MS = 65_000;

function bindings(c: Context): HttpBindings {
  return c.env as HttpBindings;
}

/** Responses that already told their client to send the body. */
const continued = new WeakSet<object>();

/** Node's pieces: node:http reads every byte; `@hono/node-server` turns its requests into Web `Request`s. */
export const nodeRuntime: HttpRuntime = {
  serveStatic: (options) => serveStatic({ root: options.root, path: options.path }),
  requestTarget: (c) => bindings(c).incoming.url,
  continueBody: (c) => {
    const { incoming, outgoing } = bindings(c);
    // Only a request that reached the app through 'checkContinue' waits; node:http sends nothing on its own then.
    if (/100-continue/iu.test(incoming.headers.expect ?? '') && !outgoing.headersSent && !continued.has(outgoing)) {
      continued.add(outgoing);
      outgoing.writeContinue();
    }
  },
};

export interface RunningChatServer {
  readonly app: ChatApp;
  readonly server: Server;
  /** `http://127.0.0.1:{port}` */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the chat server on Node at `host:port` (port 0: a free one) and resolves once it listens. */
export async function startChatServer(
  options: ChatAppOptions,
  host = '127.0.0.1',
  port = 0,
): Promise<RunningChatServer> {
  const app = new ChatApp(options, nodeRuntime);
  const handle = getRequestListener(chatHttpApp(app).fetch);
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    void handle(req, res);
  };
  const server = createServer({ keepAliveTimeout: KEEP_ALIVE_MS }, listener);
  // With a 'checkContinue' listener node:http leaves `100 Continue` to the app, which refuses an upload first.
  server.on('checkContinue', listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('the chat server is not listening on a TCP port');
  return {
    app,
    server,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        app.stop();
        server.close((error) => {
          if (error === undefined) resolve();
          else reject(error);
        });
        server.closeAllConnections();
      }),
  };
}
