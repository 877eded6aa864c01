// A short tour of LocalStore: store, list, read and delete a few uploads under a temporary directory.
// Run: node --conditions=@stowage/source --import tsx tools/demo/demo.ts   (or `npm run demo` from the built packages)
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectBytes, contentDisposition, sanitizeFilename } from '@stowage/core';
import { LocalStore, verifySignedUrl } from '@stowage/local';

const directory = await mkdtemp(join(tmpdir(), 'stowage-demo-'));
const signing = {
  secret: 'demo-only-secret-never-use-in-production!',
  urlBase: 'http://127.0.0.1:9991/user_uploads/signed',
};
const say = (line: string): void => {
  console.log(line);
};

try {
  const store = await LocalStore.open({ root: directory, signing });
  say(`Opened ${store.name}`);

  // Keys follow Zulip's attachment layout: realm / shard / random / sanitized file name.
  const uploads: readonly { readonly name: string; readonly body: string | Uint8Array }[] = [
    { name: 'Meeting notes (final).txt', body: 'Agenda:\n1. Storage\n2. Lunch\n' },
    { name: 'café menu.pdf', body: '%PDF-1.4 pretend this is a PDF\n' },
    { name: '../../etc/passwd', body: 'a hostile name, made harmless by sanitizing' },
    { name: 'pixel.png', body: Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  ];
  const keys: string[] = [];
  for (const [index, upload] of uploads.entries()) {
    const key = `2/${(index * 37).toString(16).padStart(2, '0')}/r${index}x9/${sanitizeFilename(upload.name)}`;
    const info = await store.put(key, upload.body, {
      metadata: { 'original-name': encodeURIComponent(upload.name), owner: 'iago' },
    });
    keys.push(key);
    say(`put    ${key}  (${info.size} bytes, ${info.contentType}, sha256 ${info.sha256?.slice(0, 12) ?? '?'}...)`);
  }

  say('\nlist   everything in key order:');
  for await (const summary of store.list())
    say(`       ${summary.key.padEnd(44)} ${String(summary.size).padStart(5)} bytes`);

  const notes = keys[0] ?? '';
  const whole = await store.get(notes);
  say(`\nget    ${notes}: ${JSON.stringify(new TextDecoder().decode(await collectBytes(whole.body)))}`);
  say(
    `       served as: Content-Type ${whole.contentType}; ${contentDisposition(notes.slice(notes.lastIndexOf('/') + 1), whole.contentType)}`,
  );
  const ranged = await store.get(notes, { range: { start: 0, end: 6 } });
  say(
    `get    bytes 0-6 of it: ${JSON.stringify(new TextDecoder().decode(await collectBytes(ranged.body)))} (of ${ranged.size})`,
  );

  const pdf = keys[1] ?? '';
  const url = await store.signedUrl(pdf, { expiresIn: 60, disposition: 'attachment' });
  say(`\nsign   ${pdf} for 60 s:\n       ${url}`);
  const verdict = verifySignedUrl(url, signing);
  say(`verify ${verdict.valid ? `valid for ${verdict.key}` : `refused: ${verdict.reason}`}`);
  const tampered = verifySignedUrl(url.replace('attachment', 'inline'), signing);
  say(`verify the same URL switched to inline: ${tampered.valid ? 'valid (wrong!)' : `refused (${tampered.reason})`}`);

  const copy = await store.copy(keys[3] ?? '', '2/avatars/pixel-copy.png');
  say(`\ncopy   ${keys[3] ?? ''} -> ${copy.key} (metadata kept: owner=${copy.metadata['owner'] ?? '?'})`);

  await store.deleteMany([...keys, copy.key]);
  const remaining: string[] = [];
  for await (const summary of store.list()) remaining.push(summary.key);
  say(
    `delete all ${keys.length + 1} objects; ${remaining.length} left; the root now holds only ${JSON.stringify(await readdir(directory))}.`,
  );
} finally {
  await rm(directory, { recursive: true, force: true });
}
say(`Removed ${directory}.`);
