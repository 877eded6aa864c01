// Bundles the built `stowage` command into a few files: Node spends about 0.1 s of a run's CPU finding and
// loading the 80 modules the command is made of, and a resumed migration with nothing to copy takes about a second.
// The AWS SDK stays outside: the S3 store loads it only on its rare SDK route.
import { rm } from 'node:fs/promises';
import { build } from 'esbuild';

// Chunk names carry a hash of their content: clear out the last build's.
await rm('dist/cli', { recursive: true, force: true });
await build({
  entryPoints: { stowage: 'dist/bin/stowage.js' },
  outdir: 'dist/cli',
  bundle: true,
  // Keeps the entry's dynamic imports as separate files, loaded after it has set the V8 flag they depend on.
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['@aws-sdk/*', '@smithy/*'],
  sourcemap: 'linked',
  logLevel: 'warning',
});
