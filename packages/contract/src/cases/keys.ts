import type { ObjectStore } from '@stowage/core';
import { expect, it } from 'vitest';
import { isMissing } from '../capabilities.ts';
import { INVALID_KEYS, INVALID_PREFIXES } from '../invalid-keys.ts';
import { expectStorageError } from '../storage-error-assertions.ts';
import { byteOrder, getText, listKeys } from '../store-helpers.ts';
import type { SuiteContext } from '../suite-context.ts';

const VALID_KEY = 'valid/source.txt';

/** Runs `operation` with every invalid key and expects `InvalidKey` naming that key each time. */
async function rejectsEveryInvalidKey(operation: (key: string) => unknown): Promise<void> {
  for (const { key, why } of INVALID_KEYS) {
    const error = await expectStorageError(() => operation(key), 'InvalidKey').catch((cause: unknown) => {
      throw new Error(`key ${JSON.stringify(key.slice(0, 40))} (${why}) was not rejected as InvalidKey`, { cause });
    });
    expect(error.key, why).toBe(key);
  }
}

/** Asserts the store still holds only the one valid object the invalid-key tests start with. */
async function expectOnlyTheValidObject(store: ObjectStore): Promise<void> {
  expect(await listKeys(store)).toEqual([VALID_KEY]);
  expect(await getText(store, VALID_KEY)).toBe('kept');
}

/** Unicode and unusual but valid keys, and every invalid key rejected by every method. */
export function keyCases({ store, capabilities }: SuiteContext): void {
  it('keeps NFC and NFD spellings of a name as two distinct keys', async () => {
    const nfc = 'unicode/caf\u00e9.txt';
    const nfd = 'unicode/cafe\u0301.txt';
    await store().put(nfc, 'composed');
    await store().put(nfd, 'decomposed');
    expect(await getText(store(), nfc)).toBe('composed');
    expect(await getText(store(), nfd)).toBe('decomposed');
    // Listed exactly as stored (no normalization), NFD first since "e" (0x65) sorts before "é" (0xC3 0xA9).
    expect(await listKeys(store(), { prefix: 'unicode/' })).toEqual([nfd, nfc]);
  });

  it('round-trips emoji, right-to-left, bidi-control, CJK and combining-mark keys exactly', async () => {
    const keys = [
      'emoji/📁 folder/😀 smile 👩‍👩‍👧.png',
      'rtl/مرحبا بالعالم/שלום.txt',
      'rtl/\u202egnp.exe',
      'rtl/\u200fmark\u200e.txt',
      'cjk/日本語のファイル名.pdf',
      'combining/Z\u0351\u0364a\u0308\u0301l\u0336go.txt',
    ];
    for (const key of keys) await store().put(key, `body of ${key}`);
    for (const key of keys) expect(await getText(store(), key)).toBe(`body of ${key}`);
    expect((await listKeys(store())).sort()).toEqual([...keys].sort());
  });

  it('round-trips keys with characters that URLs and shells treat specially', async () => {
    const keys = [
      'special/space and+plus%25percent?query#hash&amp=1;semi:colon@at.txt',
      "special/!$'()*,[]{}~^`|.txt",
      'special/.hidden',
      'special/..double-dot-prefix',
      'special/...',
      'special/a..b/.c/..d',
      'special/trailing space ',
      'special/-dash',
    ];
    for (const key of keys) await store().put(key, key);
    for (const key of keys) expect(await getText(store(), key)).toBe(key);
    expect((await listKeys(store(), { prefix: 'special/' })).sort()).toEqual([...keys].sort());
  });

  it('accepts a key of exactly 1024 bytes of UTF-8 and rejects one byte more', async () => {
    // Segments of 200 bytes so that no single path component of a file system store exceeds common limits.
    const segment = `${'€'.repeat(66)}xx`;
    const key = `${Array.from({ length: 5 }, () => segment).join('/')}/${'x'.repeat(19)}`;
    expect(new TextEncoder().encode(key).byteLength).toBe(1024);
    await store().put(key, 'longest');
    expect(await getText(store(), key)).toBe('longest');
    expect(await listKeys(store())).toEqual([key]);
    await expectStorageError(store().put(`${key}x`, 'too long'), 'InvalidKey');
  });

  if (isMissing(capabilities.keyAndPrefixCoexist)) {
    const { missing, code } = capabilities.keyAndPrefixCoexist;
    it(`refuses a key that is a prefix segment of another with ${code}, keeping both sides intact (missing: ${missing})`, async () => {
      await store().put('file', 'a file');
      await expectStorageError(store().put('file/child', 'under a file'), code);
      expect(await getText(store(), 'file')).toBe('a file');
      await store().put('dir/child', 'a child');
      await expectStorageError(store().put('dir', 'over a directory'), code);
      expect(await getText(store(), 'dir/child')).toBe('a child');
      expect(await listKeys(store())).toEqual(['dir/child', 'file']);
    });
  } else {
    const unordered = capabilities.byteOrderListing;
    const orderNote = isMissing(unordered) ? ` (listing compared as a set: ${unordered.missing})` : '';
    it(`holds a key and keys below it side by side ("a" and "a/b")${orderNote}`, async () => {
      await store().put('node', 'parent');
      await store().put('node/child', 'child');
      expect(await getText(store(), 'node')).toBe('parent');
      expect(await getText(store(), 'node/child')).toBe('child');
      const listed = await listKeys(store());
      expect(isMissing(unordered) ? listed.sort(byteOrder) : listed).toEqual(['node', 'node/child']);
    });
  }

  it('rejects every invalid key in put with InvalidKey and stores nothing', async () => {
    await store().put(VALID_KEY, 'kept');
    await rejectsEveryInvalidKey((key) => store().put(key, 'never stored'));
    await expectOnlyTheValidObject(store());
  });

  it('rejects every invalid key in get and head with InvalidKey', async () => {
    await store().put(VALID_KEY, 'kept');
    await rejectsEveryInvalidKey((key) => store().get(key));
    await rejectsEveryInvalidKey((key) => store().head(key));
    await expectOnlyTheValidObject(store());
  });

  it('rejects every invalid key in delete and deleteMany with InvalidKey and deletes nothing', async () => {
    await store().put(VALID_KEY, 'kept');
    await rejectsEveryInvalidKey((key) => store().delete(key));
    await rejectsEveryInvalidKey((key) => store().deleteMany([VALID_KEY, key]));
    await expectOnlyTheValidObject(store());
  });

  it('rejects every invalid key as source or target of copy with InvalidKey and copies nothing', async () => {
    await store().put(VALID_KEY, 'kept');
    await rejectsEveryInvalidKey((key) => store().copy(key, 'valid/target.txt'));
    await rejectsEveryInvalidKey((key) => store().copy(VALID_KEY, key));
    await expectOnlyTheValidObject(store());
  });

  it('rejects every invalid key in signedUrl and publicUrl with InvalidKey, supported or not', async () => {
    await store().put(VALID_KEY, 'kept');
    await rejectsEveryInvalidKey((key) => store().signedUrl(key, { expiresIn: 60 }));
    await rejectsEveryInvalidKey((key) => store().publicUrl(key));
  });

  it('rejects list prefixes no key could start with, with InvalidKey', async () => {
    await store().put(VALID_KEY, 'kept');
    for (const { key: prefix, why } of INVALID_PREFIXES) {
      const error = await expectStorageError(listKeys(store(), { prefix }), 'InvalidKey').catch((cause: unknown) => {
        throw new Error(`prefix ${JSON.stringify(prefix)} (${why}) was not rejected as InvalidKey`, { cause });
      });
      expect(error.key).toBe(prefix);
    }
  });
}
