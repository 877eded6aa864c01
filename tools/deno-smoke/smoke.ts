// Proves the workspace sources run unchanged on Deno: core and local resolved from the workspace, real disk I/O.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { collectBytes, sha256Base64 } from '@stowage/core';
import { nodeSha256 } from '@stowage/core/node';
import { LocalStore, verifySignedUrl } from '@stowage/local';

const failures: string[] = [];
function check(what: string, ok: boolean, detail = ''): void {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail === '' ? '' : `: ${detail}`}`);
  if (!ok) failures.push(what);
}

const versions: Record<string, string | undefined> = process.versions;
const runtime = versions['deno'] === undefined ? `Node ${process.version}` : `Deno ${versions['deno']}`;
const directory = await mkdtemp(join(tmpdir(), 'stowage-deno-smoke-'));
console.log(`${runtime}: LocalStore in ${directory}`);
try {
  const signing = { secret: 'deno-smoke-signing-secret-of-32-bytes!', urlBase: '/signed' };
  const store = await LocalStore.open({ root: directory, signing });
  const objects: Record<string, Uint8Array> = {
    '1/ab/random/notes.txt': new TextEncoder().encode('Hello from the Deno smoke check.\n'),
    '1/ab/random/photo ü.png': Uint8Array.from({ length: 300_000 }, (_, index) => (index * 7) % 251),
    '1/a-b': new Uint8Array(0),
  };
  for (const [key, bytes] of Object.entries(objects)) {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();
    const info = await store.put(key, stream, { metadata: { origin: 'deno-smoke' } });
    check(`put ${key}`, info.size === bytes.byteLength && info.sha256 === sha256Base64(bytes, nodeSha256), `${info.size} bytes, ${info.contentType}`);
  }
  const listed: string[] = [];
  for await (const summary of store.list({ prefix: '1/' })) listed.push(summary.key);
  const expected = ['1/a-b', '1/ab/random/notes.txt', '1/ab/random/photo ü.png'];
  check('list in key order', JSON.stringify(listed) === JSON.stringify(expected), listed.join(', '));
  for (const [key, bytes] of Object.entries(objects)) {
    const got = await store.get(key);
    const read = await collectBytes(got.body);
    check(`get ${key}`, read.byteLength === bytes.byteLength && read.every((byte, index) => byte === bytes[index]) && got.metadata['origin'] === 'deno-smoke');
  }
  const ranged = await store.get('1/ab/random/notes.txt', { range: { start: 6, end: 9 } });
  const rangeText = new TextDecoder().decode(await collectBytes(ranged.body));
  check('ranged get', rangeText === 'from', JSON.stringify(rangeText));
  const url = await store.signedUrl('1/ab/random/photo ü.png', { expiresIn: 60, disposition: 'inline' });
  const verdict = verifySignedUrl(url, signing);
  check('signed URL verifies', verdict.valid && verdict.key === '1/ab/random/photo ü.png', url);
  await store.deleteMany(Object.keys(objects));
  const left: string[] = [];
  for await (const summary of store.list()) left.push(summary.key);
  check('deleteMany leaves nothing', left.length === 0, left.join(', '));
} catch (error) {
  check('no exception', false, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
} finally {
  await rm(directory, { recursive: true, force: true });
}
if (failures.length > 0) {
  console.log(`${failures.length} check(s) failed`);
  process.exit(1);
}
console.log('all checks passed');
