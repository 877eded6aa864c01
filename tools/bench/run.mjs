#!/usr/bin/env node
// `npm run bench -- NAME [args]` runs tools/bench/NAME.ts with the workspace packages resolved from source.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.startsWith('_'))
  .map((file) => file.slice(0, -3));
const [name, ...rest] = process.argv.slice(2);
if (name === undefined || !existsSync(join(here, `${name}.ts`))) {
  console.error(`usage: npm run bench -- <${available.join('|')}> [options]`);
  process.exit(2);
}
const result = spawnSync(
  process.execPath,
  ['--conditions=@stowage/source', '--import', 'tsx', '--expose-gc', join(here, `${name}.ts`), ...rest],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
