import { StorageError } from '@stowage/core';
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
  const { body } = opened ?? (await store.get(key, { signal }));
  const metered = meterStream(body, sha256, onBytes);
  await metered.stream.pipeTo(new WritableStream<Uint8Array>());
  const digest = metered.digest();
  if (digest === undefined) throw new StorageError('Unavailable', `reading ${key} from ${store.name} ended early`, { key });
  return digest;
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
