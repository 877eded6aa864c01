import { serveStatic } from 'hono/deno';
import { ChatApp } from './chat-app.ts';
import type { ChatAppOptions } from './chat-app.ts';
import { chatHttpApp } from './http-app.ts';
import type { HttpRuntime } from './http-runtime.ts';

/** The part of Deno's global the server uses; typed here because the workspace compiles against Node's types. */
interface DenoServe {
  serve(
    options: { hostname: string; port: number; onListen?: (address: { hostname: string; port: number }) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): { shutdown(): Promise<void>; finished: Promise<void> };
}

/** Deno's pieces: its server reads every byte and sends `100 Continue` itself when the body is first read. */
export const denoRuntime: HttpRuntime = {
  // The successor, @hono/deno, is published on JSR only; this project installs from npm.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  serveStatic: (options) => serveStatic({ root: options.root, path: options.path }),
  // Deno's Request keeps the target as the client wrote it (`new URL` would normalise it): the path after the host.
  requestTarget: (c) => {
    const url = c.req.raw.url;
    const path = url.indexOf('/', url.indexOf('//') + 2);
    return path === -1 ? '/' : url.slice(path);
  },
  continueBody: () => undefined,
};

export interface RunningDenoChatServer {
  readonly app: ChatApp;
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the chat server on Deno with `Deno.serve`: the same Hono app and handlers as on Node. */
export async function startDenoChatServer(
  options: ChatAppOptions,
  host: string,
  port: number,
): Promise<RunningDenoChatServer> {
  const deno = (globalThis as unknown as { Deno: DenoServe }).Deno;
  const app = new ChatApp(options, denoRuntime);
  const http = chatHttpApp(app);
  let listening: (address: { hostname: string; port: number }) => void = () => undefined;
  const listened = new Promise<{ hostname: string; port: number }>((resolve) => {
    listening = resolve;
  });
  const server = deno.serve(
    {
      hostname: host,
      port,
      onListen: (address) => {
        listening(address);
      },
    },
    (request) => http.fetch(request),
  );
  const address = await listened;
  return {
    app,
    url: `http://${address.hostname.includes(':') ? `[${address.hostname}]` : address.hostname}:${address.port}`,
    close: () => {
      app.stop();
      return server.shutdown();
    },
  };
}
