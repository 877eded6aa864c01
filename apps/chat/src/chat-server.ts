import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { ApiError } from './api-error.ts';
import { getSession, login, logout } from './auth-routes.ts';
import { ChatApp } from './chat-app.ts';
import { FileFastPath } from './file-fast-path.ts';
import type { ChatAppOptions, Handler } from './chat-app.ts';
import { deleteAvatar, deleteEmoji, listEmoji, uploadAvatar, uploadEmoji, uploadRealmImage } from './image-routes.ts';
import { deleteMessage, getChannels, getMessages, getRealm, getUsers, postMessage } from './message-routes.ts';
import { isFilePath, serveFile } from './serve-routes.ts';
import { serveStaticFile } from './static-files.ts';
import { deleteAttachment, listAttachments, signedUrl, upload } from './upload-routes.ts';
import { requestUrl, sendError } from './http-io.ts';

interface Route {
  readonly pattern: RegExp;
  readonly methods: Readonly<Record<string, Handler>>;
}

const ROUTES: readonly Route[] = [
  { pattern: /^\/api\/session$/u, methods: { GET: getSession } },
  { pattern: /^\/api\/login$/u, methods: { POST: login } },
  { pattern: /^\/api\/logout$/u, methods: { POST: logout } },
  { pattern: /^\/api\/realm$/u, methods: { GET: getRealm } },
  { pattern: /^\/api\/users$/u, methods: { GET: getUsers } },
  { pattern: /^\/api\/users\/me\/avatar$/u, methods: { POST: uploadAvatar, DELETE: deleteAvatar } },
  { pattern: /^\/api\/channels$/u, methods: { GET: getChannels } },
  { pattern: /^\/api\/channels\/[^/]+\/messages$/u, methods: { GET: getMessages, POST: postMessage } },
  { pattern: /^\/api\/messages\/[^/]+$/u, methods: { DELETE: deleteMessage } },
  { pattern: /^\/api\/uploads$/u, methods: { POST: upload } },
  { pattern: /^\/api\/attachments$/u, methods: { GET: listAttachments } },
  { pattern: /^\/api\/attachments\/[^/]+$/u, methods: { DELETE: deleteAttachment } },
  { pattern: /^\/api\/signed-url$/u, methods: { GET: signedUrl } },
  { pattern: /^\/api\/realm\/icon$/u, methods: { POST: uploadRealmImage('icon') } },
  { pattern: /^\/api\/realm\/logo$/u, methods: { POST: uploadRealmImage('logo') } },
  { pattern: /^\/api\/realm\/emoji$/u, methods: { GET: listEmoji, POST: uploadEmoji } },
  { pattern: /^\/api\/realm\/emoji\/[^/]+$/u, methods: { DELETE: deleteEmoji } },
];

const serveWebFile: Handler = async (app, req, res, url) => {
  if (app.webRoot === undefined) throw new ApiError(404, 'NotFound', 'not found');
  await serveStaticFile(res, app.webRoot, url.pathname, req.method === 'HEAD');
};

function routeFor(method: string, pathname: string): Handler {
  // The file routes come first: they are the hot path.
  if (isFilePath(pathname)) {
    return method === 'GET' || method === 'HEAD' ? serveFile : methodNotAllowed;
  }
  if (pathname.startsWith('/api/')) {
    const route = ROUTES.find((candidate) => candidate.pattern.test(pathname));
    if (route === undefined) return notFoundHandler;
    return route.methods[method] ?? methodNotAllowed;
  }
  return method === 'GET' || method === 'HEAD' ? serveWebFile : methodNotAllowed;
}

const methodNotAllowed: Handler = () => Promise.reject(new ApiError(405, 'MethodNotAllowed', 'this method is not allowed here'));
const notFoundHandler: Handler = () => Promise.reject(new ApiError(404, 'NotFound', 'not found'));

/** The request listener: routes to a handler; every failure becomes the JSON error API.md describes. */
export function chatRequestListener(app: ChatApp): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    let url: URL;
    try {
      url = requestUrl(req.url ?? '/');
    } catch {
      sendError(res, new ApiError(400, 'BadRequest', 'malformed request URL'));
      return;
    }
    void app.run(routeFor(req.method ?? 'GET', url.pathname), req, res, url);
  };
}

/** How long an idle keep-alive connection is kept (longer than the 60 s of common proxies in front). */
const KEEP_ALIVE_MS = 65_000;

export interface RunningChatServer {
  readonly app: ChatApp;
  /** The listening socket: connections start on the file fast path and move to node:http when it cannot answer. */
  readonly server: Server;
  /** How many requests the file fast path answered, and how many connections it handed to node:http. */
  readonly fileFastPath: FileFastPath;
  /** `http://127.0.0.1:{port}` */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the chat server on `host:port` (port 0: a free one) and resolves once it listens. */
export async function startChatServer(options: ChatAppOptions, host = '127.0.0.1', port = 0): Promise<RunningChatServer> {
  const app = new ChatApp(options);
  const httpServer = createServer({ keepAliveTimeout: KEEP_ALIVE_MS }, chatRequestListener(app));
  const fastPath = new FileFastPath(app, httpServer, KEEP_ALIVE_MS);
  const connections = new Set<Socket>();
  const server = createNetServer((socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
    fastPath.accept(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    app,
    server,
    fileFastPath: fastPath,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error === undefined) resolve();
          else reject(error);
        });
        for (const socket of connections) socket.destroy();
      }),
  };
}
