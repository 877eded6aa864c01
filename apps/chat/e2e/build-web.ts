import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The web UI folder the app serves (`index.html`, `style.css`, and the compiled `dist/`). */
export const WEB_ROOT: string = fileURLToPath(new URL('../web', import.meta.url));

/** Compiles the web UI exactly as the app's build does, so the browser runs what `npm start` would serve. */
export async function buildWebUi(): Promise<void> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', fileURLToPath(new URL('../web/tsconfig.build.json', import.meta.url))]);
}
