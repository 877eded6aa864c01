import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CONTENT_TYPE,
  contentDisposition,
  guessContentType,
  isInlineContentType,
  mediaType,
  servedContentType,
} from './content-type.ts';

describe('guessContentType', () => {
  it.each([
    ['photo.png', 'image/png'],
    ['PHOTO.JPG', 'image/jpeg'],
    ['realm/abc/photo.JpEg', 'image/jpeg'],
    ['avatar.webp', 'image/webp'],
    ['drawing.svg', 'image/svg+xml'],
    ['page.html', 'text/html'],
    ['page.xhtml', 'application/xhtml+xml'],
    ['feed.xml', 'application/xml'],
    ['notes.txt', 'text/plain'],
    ['paper.pdf', 'application/pdf'],
    ['song.mp3', 'audio/mpeg'],
    ['clip.webm', 'video/webm'],
    ['archive.tar.gz', 'application/gzip'],
    ['data.json', 'application/json'],
    ['font.woff2', 'font/woff2'],
    ['sheet.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  ])('guesses %s as %s', (name, type) => {
    expect(guessContentType(name)).toBe(type);
  });

  it.each([
    ['no extension', 'README'],
    ['an unknown extension', 'file.qqq'],
    ['a dot file (the dot starts the name, not an extension)', '.png'],
    ['a dot file in a directory', 'dir/.jpg'],
    ['a trailing dot', 'file.'],
    ['a dot only in a directory name', 'v1.2/README'],
    ['the empty string', ''],
  ])('falls back to application/octet-stream for %s', (_why, name) => {
    expect(guessContentType(name)).toBe(DEFAULT_CONTENT_TYPE);
    expect(DEFAULT_CONTENT_TYPE).toBe('application/octet-stream');
  });
});

describe('isInlineContentType', () => {
  // Zulip's list of types served inline.
  it.each([
    'audio/aac',
    'audio/flac',
    'audio/mp4',
    'audio/mpeg',
    'audio/wav',
    'audio/webm',
    'application/pdf',
    'image/apng',
    'image/avif',
    'image/gif',
    'image/jpeg',
    'image/png',
    'image/webp',
    'text/plain',
    'video/mp4',
    'video/webm',
  ])('serves %s inline', (type) => {
    expect(isInlineContentType(type)).toBe(true);
  });

  it('ignores case and parameters', () => {
    expect(isInlineContentType('IMAGE/PNG')).toBe(true);
    expect(isInlineContentType('text/plain; charset=utf-8')).toBe(true);
    expect(isInlineContentType('  Video/MP4 ; codecs="avc1"')).toBe(true);
  });

  it.each([
    ['SVG, which runs script', 'image/svg+xml'],
    ['HTML', 'text/html'],
    ['HTML with a charset', 'text/html; charset=utf-8'],
    ['XHTML', 'application/xhtml+xml'],
    ['XML', 'application/xml'],
    ['XML as text', 'text/xml'],
    ['JavaScript', 'text/javascript'],
    ['an unknown binary', 'application/octet-stream'],
    ['an image type outside the list', 'image/bmp'],
    ['an audio type outside the list', 'audio/ogg'],
    ['a video type outside the list', 'video/quicktime'],
    ['a look-alike of an inline type', 'image/png+xml'],
    ['an inline type hidden as a parameter', 'text/html; x=image/png'],
    ['the empty string', ''],
  ])('never serves %s inline', (_why, type) => {
    expect(isInlineContentType(type)).toBe(false);
  });
});

describe('mediaType', () => {
  it('lower-cases, trims and drops parameters', () => {
    expect(mediaType('Text/HTML; charset=UTF-8')).toBe('text/html');
    expect(mediaType('  image/png  ')).toBe('image/png');
    expect(mediaType('')).toBe('');
  });
});

describe('servedContentType', () => {
  it('labels text without a charset as UTF-8', () => {
    expect(servedContentType('text/plain')).toBe('text/plain; charset=utf-8');
    expect(servedContentType('TEXT/CSV')).toBe('text/csv; charset=utf-8');
    expect(servedContentType('text/html; format=flowed')).toBe('text/html; charset=utf-8');
  });

  it('keeps a charset the type already names, in any case or spacing', () => {
    expect(servedContentType('text/plain; charset=iso-8859-1')).toBe('text/plain; charset=iso-8859-1');
    expect(servedContentType('text/plain;CHARSET=utf-16')).toBe('text/plain;CHARSET=utf-16');
  });

  it('leaves other types alone and gives an empty type the default', () => {
    expect(servedContentType('image/png')).toBe('image/png');
    expect(servedContentType('application/json')).toBe('application/json');
    expect(servedContentType('')).toBe(DEFAULT_CONTENT_TYPE);
    expect(servedContentType('  ;charset=x')).toBe(DEFAULT_CONTENT_TYPE);
  });
});

describe('contentDisposition', () => {
  it('serves an inline type inline with both filename forms', () => {
    expect(contentDisposition('report.pdf', 'application/pdf')).toBe(
      `inline; filename="report.pdf"; filename*=UTF-8''report.pdf`,
    );
  });

  it('turns a requested inline into an attachment for types that may not be inline', () => {
    for (const type of [
      'image/svg+xml',
      'text/html',
      'application/xhtml+xml',
      'application/xml',
      'application/octet-stream',
    ]) {
      expect(contentDisposition('x', type, 'inline')).toMatch(/^attachment; /u);
    }
  });

  it('honours a requested attachment even for an inline type', () => {
    expect(contentDisposition('photo.png', 'image/png', 'attachment')).toMatch(/^attachment; filename="photo.png"/u);
  });

  it('encodes non-ASCII names as UTF-8 in filename* with an ASCII fallback', () => {
    expect(contentDisposition('résumé.pdf', 'application/pdf')).toBe(
      `inline; filename="r_sum_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`,
    );
    expect(contentDisposition('日本.txt', 'text/plain')).toBe(
      `inline; filename="__.txt"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt`,
    );
  });

  it('replaces an emoji (two UTF-16 units) by a single fallback character and four escaped bytes', () => {
    expect(contentDisposition('\u{1f600}.png', 'image/png')).toBe(
      `inline; filename="_.png"; filename*=UTF-8''%F0%9F%98%80.png`,
    );
  });

  it('cannot be broken out of: quotes and backslashes are replaced in the fallback and escaped in filename*', () => {
    expect(contentDisposition('a"b\\c.txt', 'text/plain')).toBe(
      `inline; filename="a_b_c.txt"; filename*=UTF-8''a%22b%5Cc.txt`,
    );
  });

  it('cannot inject headers: CR and LF never reach the header value', () => {
    const header = contentDisposition('a\r\nSet-Cookie: x=1', 'text/plain');
    expect(header).not.toMatch(/[\r\n]/u);
    expect(header).toBe(`inline; filename="a__Set-Cookie: x=1"; filename*=UTF-8''a%0D%0ASet-Cookie%3A%20x%3D1`);
  });

  it("leaves RFC 5987 attr-chars unescaped and escapes everything else (space, ', %, *, ;)", () => {
    expect(contentDisposition("!#$&+.^_`|~-az09 '%*;", 'text/plain')).toBe(
      `inline; filename="!#$&+.^_\`|~-az09 '%*;"; filename*=UTF-8''!#$&+.^_\`|~-az09%20%27%25%2A%3B`,
    );
  });
});
