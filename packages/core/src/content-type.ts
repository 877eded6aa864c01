export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

const TYPES_BY_EXTENSION: Readonly<Record<string, string>> = {
  aac: 'audio/aac',
  flac: 'audio/flac',
  m4a: 'audio/mp4',
  mp3: 'audio/mpeg',
  oga: 'audio/ogg',
  ogg: 'audio/ogg',
  opus: 'audio/opus',
  wav: 'audio/wav',
  weba: 'audio/webm',
  apng: 'image/apng',
  avif: 'image/avif',
  bmp: 'image/bmp',
  gif: 'image/gif',
  heic: 'image/heic',
  ico: 'image/vnd.microsoft.icon',
  jpe: 'image/jpeg',
  jpeg: 'image/jpeg',
  jpg: 'image/jpeg',
  png: 'image/png',
  svg: 'image/svg+xml',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  webp: 'image/webp',
  m4v: 'video/mp4',
  mkv: 'video/x-matroska',
  mov: 'video/quicktime',
  mp4: 'video/mp4',
  mpeg: 'video/mpeg',
  mpg: 'video/mpeg',
  ogv: 'video/ogg',
  webm: 'video/webm',
  avi: 'video/x-msvideo',
  css: 'text/css',
  csv: 'text/csv',
  htm: 'text/html',
  html: 'text/html',
  ics: 'text/calendar',
  js: 'text/javascript',
  log: 'text/plain',
  md: 'text/markdown',
  mjs: 'text/javascript',
  txt: 'text/plain',
  xhtml: 'application/xhtml+xml',
  xml: 'application/xml',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  '7z': 'application/x-7z-compressed',
  bz2: 'application/x-bzip2',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  epub: 'application/epub+zip',
  gz: 'application/gzip',
  jar: 'application/java-archive',
  json: 'application/json',
  odp: 'application/vnd.oasis.opendocument.presentation',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
  odt: 'application/vnd.oasis.opendocument.text',
  pdf: 'application/pdf',
  ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  rar: 'application/vnd.rar',
  rtf: 'application/rtf',
  tar: 'application/x-tar',
  wasm: 'application/wasm',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  zip: 'application/zip',
  zst: 'application/zstd',
  otf: 'font/otf',
  ttf: 'font/ttf',
  woff: 'font/woff',
  woff2: 'font/woff2',
};

/** A content type from the name's extension (case-insensitive), else `application/octet-stream`. */
export function guessContentType(name: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return DEFAULT_CONTENT_TYPE;
  return TYPES_BY_EXTENSION[base.slice(dot + 1).toLowerCase()] ?? DEFAULT_CONTENT_TYPE;
}

/**
 * Types a browser may render in the page's origin without risk: Zulip's list. Anything else (notably SVG, HTML,
 * XHTML, XML, which can run script) is served as an attachment.
 */
const INLINE_TYPES: ReadonlySet<string> = new Set([
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
]);

/** The bare media type: lower case, parameters dropped. */
export function mediaType(contentType: string): string {
  return (contentType.split(';', 1)[0] ?? '').trim().toLowerCase();
}

/** Whether an upload of this type may be shown inline rather than downloaded. */
export function isInlineContentType(contentType: string): boolean {
  return INLINE_TYPES.has(mediaType(contentType));
}

/**
 * The `Content-Type` to serve: text is labelled UTF-8 when it names no charset, so a browser never guesses one
 * (a guessed UTF-7 has been an XSS vector).
 */
export function servedContentType(contentType: string): string {
  const type = mediaType(contentType);
  if (type === '') return DEFAULT_CONTENT_TYPE;
  if (type.startsWith('text/') && !/;\s*charset=/iu.test(contentType)) return `${type}; charset=utf-8`;
  return contentType;
}

// RFC 5987 attr-char, the only bytes allowed unescaped in filename*.
const ATTR_CHAR = /[A-Za-z0-9!#$&+.^_`|~-]/u;

function encodeRfc5987(value: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(value)) {
    const character = String.fromCharCode(byte);
    out +=
      byte < 0x80 && ATTR_CHAR.test(character) ? character : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * A `Content-Disposition` header (RFC 6266): an ASCII fallback `filename` for old clients and the exact name as
 * UTF-8 in `filename*`. `inline` is honoured only for the types `isInlineContentType` allows.
 */
export function contentDisposition(
  filename: string,
  contentType: string,
  requested: 'inline' | 'attachment' = 'inline',
): string {
  const kind = requested === 'inline' && isInlineContentType(contentType) ? 'inline' : 'attachment';
  const fallback = filename.replace(/[^\x20-\x7e]/gu, '_').replace(/["\\]/gu, '_');
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encodeRfc5987(filename)}`;
}
