import { describe, expect, it } from 'vitest';
import { collectBytes, isStorageError } from '@stowage/core';
import { memfsBacking } from '../test/backings.ts';
import { LocalStore } from './local-store.ts';
import { MAX_SIGNED_URL_SECONDS, signObjectUrl, verifySignedUrl } from './signed-url.ts';

const signing = {
  secret: 'a-signing-secret-of-at-least-32-bytes',
  urlBase: 'https://chat.example/user_uploads/signed/',
};
const now = new Date('2026-01-01T00:00:00Z');
const later = (seconds: number): Date => new Date(now.getTime() + seconds * 1000);

function signed(key: string, extra: { disposition?: 'inline' | 'attachment'; filename?: string } = {}): string {
  return signObjectUrl(signing, { key, expiresIn: 60, now, ...extra });
}

function withParam(url: string, name: string, value: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set(name, value);
  return parsed.toString();
}

describe('signed URLs', () => {
  it('verifies a fresh URL and returns the key, disposition, file name and expiry it was signed for', () => {
    const url = signed('1/ab/x y/photo ü#1?.png', { disposition: 'attachment', filename: 'photo ü.png' });
    expect(url.startsWith('https://chat.example/user_uploads/signed/1/ab/x%20y/photo%20%C3%BC%231%3F.png?')).toBe(true);
    expect(verifySignedUrl(url, signing, later(30))).toEqual({
      valid: true,
      key: '1/ab/x y/photo ü#1?.png',
      disposition: 'attachment',
      filename: 'photo ü.png',
      expiresAt: later(60),
    });
  });

  it('accepts the request path and query alone, as a server sees them', () => {
    const url = new URL(signed('a/b.txt'));
    expect(verifySignedUrl(`${url.pathname}${url.search}`, signing, now)).toMatchObject({
      valid: true,
      key: 'a/b.txt',
    });
  });

  it('refuses an expired URL, also at the exact second of expiry', () => {
    const url = signed('a/b.txt');
    expect(verifySignedUrl(url, signing, later(59))).toMatchObject({ valid: true });
    expect(verifySignedUrl(url, signing, later(60))).toEqual({ valid: false, reason: 'expired' });
    expect(verifySignedUrl(url, signing, later(3600))).toEqual({ valid: false, reason: 'expired' });
  });

  it('refuses a URL moved to another key, another disposition, another file name or a later expiry', () => {
    const url = signed('a/b.txt', { disposition: 'inline', filename: 'b.txt' });
    const otherKey = url.replace('/a/b.txt?', '/a/c.txt?');
    expect(otherKey).not.toBe(url);
    expect(verifySignedUrl(otherKey, signing, now)).toEqual({ valid: false, reason: 'bad-signature' });
    expect(verifySignedUrl(withParam(url, 'disposition', 'attachment'), signing, now)).toEqual({
      valid: false,
      reason: 'bad-signature',
    });
    expect(verifySignedUrl(withParam(url, 'filename', 'evil.html'), signing, now)).toEqual({
      valid: false,
      reason: 'bad-signature',
    });
    const expires = Number(new URL(url).searchParams.get('expires'));
    expect(verifySignedUrl(withParam(url, 'expires', String(expires + 3600)), signing, now)).toEqual({
      valid: false,
      reason: 'bad-signature',
    });
    const dropped = new URL(url);
    dropped.searchParams.delete('disposition');
    expect(verifySignedUrl(dropped.toString(), signing, now)).toEqual({ valid: false, reason: 'bad-signature' });
  });

  it('refuses a signature made with another secret or altered by one character', () => {
    const url = signed('a/b.txt');
    expect(verifySignedUrl(url, { ...signing, secret: 'another-secret-that-is-32-bytes-long!' }, now)).toEqual({
      valid: false,
      reason: 'bad-signature',
    });
    const signature = new URL(url).searchParams.get('signature') ?? '';
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`;
    expect(verifySignedUrl(withParam(url, 'signature', flipped), signing, now)).toEqual({
      valid: false,
      reason: 'bad-signature',
    });
    expect(verifySignedUrl(withParam(url, 'signature', signature.slice(0, 10)), signing, now)).toEqual({
      valid: false,
      reason: 'bad-signature',
    });
  });

  it("refuses another spelling of the same signature bytes (the last character's spare bits set)", () => {
    const url = signed('a/b.txt');
    const signature = new URL(url).searchParams.get('signature') ?? '';
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // 32 bytes take 43 characters; the last one carries 4 bits and 2 spare ones, which decoders ignore.
    const respelled = `${signature.slice(0, -1)}${alphabet[alphabet.indexOf(signature.slice(-1)) | 1] ?? ''}`;
    expect(Buffer.from(respelled, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
    expect(respelled).not.toBe(signature);
    expect(verifySignedUrl(withParam(url, 'signature', respelled), signing, now)).toEqual({
      valid: false,
      reason: 'bad-signature',
    });
  });

  it('calls malformed what is not a signed URL of this base at all', () => {
    const url = signed('a/b.txt');
    for (const bad of [
      url.replace('/signed/', '/other/'),
      url.replace(/signature=[^&]+/u, ''),
      withParam(url, 'expires', 'soon'),
      withParam(url, 'disposition', 'download'),
      'https://chat.example/user_uploads/signed/a/%E0%A4%A.txt?expires=1&signature=x',
      'https://chat.example/user_uploads/signed/a//b.txt?expires=1&signature=x',
    ]) {
      expect(verifySignedUrl(bad, signing, now), bad).toEqual({ valid: false, reason: 'malformed' });
    }
    // URL parsing resolves dot segments (also encoded ones) before the key is read, so they can only name
    // another key, whose signature then does not match.
    const dotted = url.replace('/a/b.txt?', '/a/x/../b.txt?');
    expect(verifySignedUrl(dotted, signing, now)).toMatchObject({ valid: true, key: 'a/b.txt' });
    const escaping = url.replace('/a/b.txt?', '/a/%2e%2e/%2e%2e/b.txt?');
    expect(verifySignedUrl(escaping, signing, now)).toEqual({ valid: false, reason: 'malformed' });
  });

  it('refuses short secrets and impossible lifetimes with typed errors', () => {
    expect(() => signObjectUrl({ ...signing, secret: 'short' }, { key: 'a', expiresIn: 60 })).toThrow(
      expect.objectContaining({ code: 'InvalidSettings' }),
    );
    expect(() => verifySignedUrl('https://x/y', { ...signing, secret: 'short' })).toThrow(
      expect.objectContaining({ code: 'InvalidSettings' }),
    );
    for (const expiresIn of [0, -5, 1.5, MAX_SIGNED_URL_SECONDS + 1, Number.NaN]) {
      expect(() => signObjectUrl(signing, { key: 'a', expiresIn })).toThrow(
        expect.objectContaining({ code: 'InvalidArgument' }),
      );
    }
  });

  it('is what LocalStore.signedUrl returns, and the verified key reads the object', async () => {
    const backing = memfsBacking();
    const store = await LocalStore.open({ root: backing.root, fs: backing.fs, signing });
    await store.put('1/ab/report.pdf', 'pdf bytes');
    const url = await store.signedUrl('1/ab/report.pdf', { expiresIn: 60, disposition: 'inline' });
    const verdict = verifySignedUrl(url, signing);
    if (!verdict.valid) throw new Error(`refused: ${verdict.reason}`);
    expect(verdict.disposition).toBe('inline');
    expect(new TextDecoder().decode(await collectBytes((await store.get(verdict.key)).body))).toBe('pdf bytes');
  });

  it('makes LocalStore.signedUrl and publicUrl throw Unsupported when not configured', async () => {
    const backing = memfsBacking();
    const store = await LocalStore.open({ root: backing.root, fs: backing.fs });
    await expect(store.signedUrl('a.txt', { expiresIn: 60 })).rejects.toSatisfy((error) =>
      isStorageError(error, 'Unsupported'),
    );
    expect(() => store.publicUrl('a.txt')).toThrow(expect.objectContaining({ code: 'Unsupported' }));
    const avatars = new LocalStore({
      root: backing.root,
      fs: backing.fs,
      publicUrlPrefix: 'https://chat.example/user_avatars/',
    });
    expect(avatars.publicUrl('2/a b#c.png')).toBe('https://chat.example/user_avatars/2/a%20b%23c.png');
  });
});
