import type { Context, MiddlewareHandler } from 'hono';

/** What Hono's static-file middleware of each runtime takes (the subset the app uses). */
export interface StaticOptions {
  /** Folder the files are read from. */
  readonly root: string;
  /** Serve this file (relative to `root`) whatever the request path (the web UI's client-side routes). */
  readonly path?: string;
}

/**
 * The pieces of an HTTP server that differ between runtimes, handed to the one app by its entry point (the way
 * Hono's adapters pass file access into its neutral core). Node: `@hono/node-server`; Deno: `Deno.serve`.
 */
export interface HttpRuntime {
  /** Hono's static-file middleware of the runtime (`@hono/node-server/serve-static`, `hono/deno`). */
  readonly serveStatic: (options: StaticOptions) => MiddlewareHandler;
  /**
   * The request target as the client sent it, before URL normalisation, when the server keeps it; `undefined`
   * when the runtime hands over only a normalised URL.
   */
  readonly requestTarget: (c: Context) => string | undefined;
  /**
   * Called when a handler is about to read a request body: a client waiting on `Expect: 100-continue` is told to
   * send it. Deno's server does this on the first read by itself; node:http needs `writeContinue()`.
   */
  readonly continueBody: (c: Context) => void;
}
