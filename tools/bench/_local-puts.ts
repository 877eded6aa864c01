// Child of `npm run bench -- migrate`: the local write path of a migration alone. Loads every file under a
// directory into memory, then puts them into a fresh LocalStore (the `stowage` command's blocking file system, six
// at a time, each body in 64 KiB chunks as a download delivers it) and prints the CPU the puts took as JSON.
import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import process from 'node:process';
import { LocalStore, blockingNodeFileSystem } from '@stowage/local';

const [from, to] = process.argv.slice(2);
if (from === undefined || to === undefined) throw new Error('usage: _local-puts.ts FROM_DIRECTORY TO_DIRECTORY');
const entries = await readdir(from, { recursive: true, withFileTypes: true });
const items: { key: string; bytes: Uint8Array }[] = [];
for (const entry of entries) {
  if (!entry.isFile()) continue;
  const path = join(entry.parentPath, entry.name);
  items.push({ key: relative(from, path), bytes: await readFile(path) });
}
const CHUNK = 64 * 1024;
function chunksOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.byteLength) controller.close();
      else controller.enqueue(bytes.subarray(offset, (offset += CHUNK)));
    },
  });
}
const store = await LocalStore.open({ root: to, fs: blockingNodeFileSystem });
const before = process.cpuUsage();
const started = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: 6 }, async () => {
    for (let item = items[next++]; item !== undefined; item = items[next++]) {
      await store.put(item.key, chunksOf(item.bytes), { size: item.bytes.byteLength });
    }
  }),
);
await store.settled();
const used = process.cpuUsage(before);
console.log(
  JSON.stringify({
    files: items.length,
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: (used.user + used.system) / 1e6,
    userSeconds: used.user / 1e6,
  }),
);
