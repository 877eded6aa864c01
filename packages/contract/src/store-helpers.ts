import { collectBytes } from '@stowage/core';
import type { Body, GetOptions, ListOptions, ObjectInfo, ObjectStore, PutOptions } from '@stowage/core';
import { readText } from './body-digest.ts';

/** Puts text and returns the stored info. */
export function putText(store: ObjectStore, key: string, text: string, options?: PutOptions): Promise<ObjectInfo> {
  return store.put(key, text, options);
}

/** Reads a small object (or a range of it) whole, as bytes. */
export async function getBytes(store: ObjectStore, key: string, options?: GetOptions): Promise<Uint8Array> {
  const result = await store.get(key, options);
  return collectBytes(result.body);
}

/** Reads a small object whole, as UTF-8 text. */
export async function getText(store: ObjectStore, key: string, options?: GetOptions): Promise<string> {
  const result = await store.get(key, options);
  return readText(result.body);
}

const utf8 = new TextEncoder();

/** Compares keys by their UTF-8 bytes, the order `list` promises. */
export function byteOrder(left: string, right: string): number {
  const a = utf8.encode(left);
  const b = utf8.encode(right);
  for (let index = 0; index < Math.min(a.length, b.length); index++) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}

/** Every key `list` yields, in the order it yields them. */
export async function listKeys(store: ObjectStore, options?: ListOptions): Promise<string[]> {
  const keys: string[] = [];
  for await (const summary of store.list(options)) keys.push(summary.key);
  return keys;
}

/** Puts many small objects, a few at a time, so thousands of keys take seconds even on a real server. */
export async function putMany(
  store: ObjectStore,
  keys: readonly string[],
  bodyOf: (key: string) => Body = (key) => key,
  parallel = 16,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < keys.length) {
      const key = keys[next++];
      if (key !== undefined) await store.put(key, bodyOf(key));
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, keys.length) }, worker));
}

/** Zero-padded numbered keys under a prefix, which sort numerically: `p/0000`, `p/0001`, ... */
export function numberedKeys(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_unused, index) => `${prefix}${String(index).padStart(4, '0')}`);
}
