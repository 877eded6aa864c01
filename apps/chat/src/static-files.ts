import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { guessContentType, servedContentType } from '@stowage/core';
import { notFound } from './api-error.ts';

/** Where a URL path points inside `root`, or `undefined` when it would leave it. */
function fileInside(root: string, pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const target = resolve(root, `.${decoded}`);
  const inside = relative(root, target);
  if (inside.startsWith(`..${sep}`) || inside === '..') return undefined;
  return target;
}

/** The web UI's own files (HTML, scripts, styles): same origin, so a strict CSP allowing only 'self'. */
const PAGE_CSP = "default-src 'self'; img-src 'self' data: blob: https: http:; media-src 'self' blob: https: http:; object-src 'none'; frame-ancestors 'none'";

/**
 * Serves a file of the web UI. Paths without an extension that match no file get `index.html`, so the UI can
 * route on the client. Files are revalidated on every load (`no-cache`) so a new build shows at once.
 */
export async function serveStaticFile(res: ServerResponse, root: string, pathname: string, headOnly: boolean): Promise<void> {
  let path = fileInside(root, pathname === '/' ? '/index.html' : pathname);
  if (path === undefined) throw notFound();
  let info = await stat(path).catch(() => undefined);
  if (info?.isDirectory() === true) {
    path = join(path, 'index.html');
    info = await stat(path).catch(() => undefined);
  }
  if (info === undefined && !/\.[a-z0-9]+$/iu.test(pathname)) {
    path = join(root, 'index.html');
    info = await stat(path).catch(() => undefined);
  }
  if (info?.isFile() !== true) throw notFound();
  res.writeHead(200, {
    'content-type': servedContentType(guessContentType(path)),
    'content-length': info.size,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'content-security-policy': PAGE_CSP,
    'referrer-policy': 'same-origin',
  });
  if (headOnly) {
    res.end();
    return;
  }
  await pipeline(createReadStream(path), res);
}
