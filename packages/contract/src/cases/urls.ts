import { expect, it } from 'vitest';
import { expectSameBytes } from '../byte-assertions.ts';
import { isMissing } from '../capabilities.ts';
import { expectStorageError } from '../storage-error-assertions.ts';
import type { SuiteContext } from '../suite-context.ts';

const encoder = new TextEncoder();

/** Signed and public URLs where the store has them; `Unsupported` where it has declared it has not. */
export function urlCases({ store, capabilities }: SuiteContext): void {
  const { signedUrl, publicUrl } = capabilities;
  if (isMissing(signedUrl)) {
    it(`rejects signedUrl with Unsupported (missing: ${signedUrl.missing})`, async () => {
      await store().put('urls/object.txt', 'x');
      await expectStorageError(store().signedUrl('urls/object.txt', { expiresIn: 60 }), 'Unsupported');
    });
  } else {
    it('signs a URL per key that serves the object', async () => {
      const key = 'urls/signed ü/ob#ject?.txt';
      await store().put(key, 'signed bytes');
      await store().put('urls/other.txt', 'other bytes');
      const url = await store().signedUrl(key, { expiresIn: 60 });
      const attachment = await store().signedUrl(key, { expiresIn: 60, disposition: 'attachment', filename: 'x.txt' });
      expect(url).not.toBe('');
      expect(url).not.toBe(await store().signedUrl('urls/other.txt', { expiresIn: 60 }));
      if (signedUrl?.fetch !== undefined) {
        expectSameBytes(await signedUrl.fetch(url), encoder.encode('signed bytes'));
        expectSameBytes(await signedUrl.fetch(attachment), encoder.encode('signed bytes'));
      }
    });
  }

  if (isMissing(publicUrl)) {
    it(`throws Unsupported from publicUrl (missing: ${publicUrl.missing})`, async () => {
      await expectStorageError(() => store().publicUrl('urls/object.txt'), 'Unsupported');
    });
  } else {
    it('gives a distinct permanent public URL per key that serves the object', async () => {
      const key = 'urls/public ü/ob#ject?.png';
      await store().put(key, 'public bytes');
      const url = store().publicUrl(key);
      expect(url).toBe(store().publicUrl(key));
      expect(url).not.toBe(store().publicUrl('urls/other.png'));
      if (publicUrl?.fetch !== undefined) expectSameBytes(await publicUrl.fetch(url), encoder.encode('public bytes'));
    });
  }
}
