import { StorageError, readResultBody, toBase64 } from '@stowage/core';
import type { GetResult, ObjectStore, Sha256Factory, StreamDigest } from '@stowage/core';
import { meterStream } from './metered-stream.ts';

/**
 * Size and SHA-256 of a stored object, read by streaming it once (for stores that keep no SHA-256), from `opened`
 * when the caller already opened it. Costs a full read of the object: for S3 that is a download of every byte, as
 * much traffic as copying it.
 */
export async function digestObject(
  store: ObjectStore,
  key: string,
  sha256: Sha256Factory,
  signal?: AbortSignal,
  onBytes: (count: number) => void = () => undefined,
  opened?: GetResult,
): Promise<StreamDigest> {
  // A store's plain chunks where it offers them (a local file's): no Web stream is made for a read only hashed.
  const body = readResultBody(opened ?? (await store.get(key, { signal })));
  const byteReader = body instanceof ReadableStream ? byobReaderOf(body) : undefined;
  if (byteReader !== undefined) return digestThroughOneBuffer(byteReader, sha256, onBytes);
  const metered = meterStream(body, sha256, onBytes);
  const chunks = metered.body[Symbol.asyncIterator]();
  while ((await chunks.next()).done !== true) {
    // Read only for the digest.
  }
  const digest = metered.digest();
  if (digest === undefined)
    throw new StorageError('Unavailable', `reading ${key} from ${store.name} ended early`, { key });
  return digest;
}

/** Bytes hashed at a time from a byte stream, into one buffer reused for the whole object. */
const DIGEST_BUFFER_BYTES = 256 * 1024;

/** A reader that fills buffers of its own, when `body` is a byte stream; else `undefined`. */
function byobReaderOf(body: ReadableStream<Uint8Array>): ReadableStreamBYOBReader | undefined {
  try {
    return body.getReader({ mode: 'byob' });
  } catch {
    return undefined;
  }
}

/**
 * Hashes a byte stream read into one buffer, over and over: hashing an 8 MiB object this way leaves no chunk
 * behind for the garbage collector, where fresh chunks would leave the whole object's worth.
 */
async function digestThroughOneBuffer(
  reader: ReadableStreamBYOBReader,
  sha256: Sha256Factory,
  onBytes: (count: number) => void,
): Promise<StreamDigest> {
  const hash = sha256();
  let size = 0;
  let buffer = new ArrayBuffer(DIGEST_BUFFER_BYTES);
  try {
    for (;;) {
      const { done, value } = await reader.read(new Uint8Array(buffer));
      if (value === undefined) break;
      // The read hands the buffer back in a view of the bytes it filled.
      buffer = value.buffer;
      if (done) break;
      hash.update(value);
      size += value.byteLength;
      onBytes(value.byteLength);
    }
  } catch (error) {
    await reader.cancel(error).catch(() => undefined);
    throw error;
  }
  return { size, sha256: toBase64(hash.digest()) };
}

/** The object's SHA-256: the one the store recorded when it has one, else computed by reading the object. */
export async function objectSha256(
  store: ObjectStore,
  key: string,
  recorded: string | undefined,
  sha256: Sha256Factory,
  signal?: AbortSignal,
): Promise<string> {
  if (recorded !== undefined) return recorded;
  return (await digestObject(store, key, sha256, signal)).sha256;
}
