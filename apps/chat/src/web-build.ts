import { execFile } from 'node:child_process';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';

/** The web UI folder the app serves (`index.html`, `style.css`, and the compiled `dist/`). */
export const WEB_ROOT: string = fileURLToPath(new URL('../web', import.meta.url));

/**
 * The page's third-party modules: each `web/src/vendor/{name}.ts` re-exports what the page uses of one npm package.
 * tsc compiles it to an import of a bare package name, which a browser cannot resolve; esbuild then replaces that
 * output with the package's browser build bundled into one ES module, served by the app like every other module.
 */
const VENDOR_MODULES = ['tus-js-client'] as const;

/** Compiles the web UI into `web/dist` (`npm run build` and the browser tests run this). */
export async function buildWebUi(): Promise<void> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', join(WEB_ROOT, 'tsconfig.build.json')]);
  const result = await build({
    entryPoints: VENDOR_MODULES.map((name) => join(WEB_ROOT, 'src', 'vendor', `${name}.ts`)),
    outdir: join(WEB_ROOT, 'dist', 'vendor'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    legalComments: 'linked',
    write: false,
    logLevel: 'silent',
  });
  // Each file is renamed into place, so a page loading while another build runs never reads half a file.
  await Promise.all(
    result.outputFiles.map(async (file) => {
      await mkdir(dirname(file.path), { recursive: true });
      const temporary = `${file.path}.${String(process.pid)}.tmp`;
      await writeFile(temporary, file.contents);
      await rename(temporary, file.path);
    }),
  );
}
