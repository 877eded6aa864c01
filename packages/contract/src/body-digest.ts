import { bodyChunks, portableSha256, toBase64 } from '@stowage/core';
import type { Body, Sha256Factory, StreamDigest } from '@stowage/core';

/**
 * Size and base64 SHA-256 of a body (a `get` result's stream, a generated stream, bytes), read chunk by chunk
 * and never held whole: how the suite compares large objects.
 */
export async function digestBody(body: Body, factory: Sha256Factory = portableSha256): Promise<StreamDigest> {
  const hash = factory();
  let size = 0;
  for await (const chunk of bodyChunks(body)) {
    hash.update(chunk);
    size += chunk.byteLength;
  }
  return { size, sha256: toBase64(hash.digest()) };
}

/** The body as text (UTF-8): for small objects only. */
export async function readText(body: Body): Promise<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let text = '';
  for await (const chunk of bodyChunks(body)) text += decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}
