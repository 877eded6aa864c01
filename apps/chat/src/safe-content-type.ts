import { DEFAULT_CONTENT_TYPE, guessContentType, mediaType } from '@stowage/core';

/** Longest media type kept (RFC 6838 allows 127 characters on each side; real ones are far shorter). */
const MAX_TYPE_LENGTH = 127;
const TYPE_SHAPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/u;

/**
 * Types a browser can run script in (HTML, SVG, XHTML, XML, JavaScript and their kin). They are never stored or
 * served under their own type, even as attachments: a later mistake in a disposition must not open the origin.
 */
export function isScriptCapable(type: string): boolean {
  return (
    type === 'text/html' ||
    type === 'image/svg+xml' ||
    type === 'application/xhtml+xml' ||
    type === 'text/xml' ||
    type === 'application/xml' ||
    type.endsWith('+xml') ||
    type === 'text/javascript' ||
    type === 'application/javascript' ||
    type === 'application/ecmascript' ||
    type === 'text/ecmascript' ||
    type === 'text/xsl' ||
    type === 'application/xslt+xml' ||
    type === 'multipart/x-mixed-replace'
  );
}

/**
 * The type an upload is stored under: the type the client sent when it is a well-formed media type of bounded
 * length (parameters dropped), else the one its name suggests; script-capable types become
 * `application/octet-stream`.
 */
export function storedContentType(sent: string | undefined, filename: string): string {
  const type = mediaType(sent ?? '');
  const chosen =
    type.length <= MAX_TYPE_LENGTH && TYPE_SHAPE.test(type) && type !== DEFAULT_CONTENT_TYPE
      ? type
      : guessContentType(filename);
  return isScriptCapable(mediaType(chosen)) ? DEFAULT_CONTENT_TYPE : chosen;
}

/** The type an object is served under, whatever was stored before this policy: script-capable ones never. */
export function safeStoredType(stored: string): string {
  const type = mediaType(stored);
  if (type.length > MAX_TYPE_LENGTH || !TYPE_SHAPE.test(type) || isScriptCapable(type)) return DEFAULT_CONTENT_TYPE;
  return stored;
}
