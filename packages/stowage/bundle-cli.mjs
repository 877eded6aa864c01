// Bundles the built `stowage` command into a few files: finding and loading the modules the command is made of one
// by one is a large part of a short run's CPU, such as a resumed migration with nothing to copy (README).
// The AWS SDK stays outside: the S3 store loads it only on its rare SDK route.
import { rm } from 'node:fs/promises';
import { build } from 'esbuild';

// Chunk names carry a hash of their content: clear out the last build's.
await rm('dist/bin', { recursive: true, force: true });
await build({
  entryPoints: { stowage: 'dist/cli/stowage.js' },
  outdir: 'dist/bin',
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
