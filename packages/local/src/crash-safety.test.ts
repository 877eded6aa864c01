import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectBytes, sha256Base64 } from '@stowage/core';
import type { PutOptions } from '@stowage/core';
import { nodeSha256 } from '@stowage/core/node';
import { memfsBacking } from '../test/backings.ts';
import type { Backing } from '../test/backings.ts';
import { faultyFileSystem, nativeError } from '../test/faulty-file-system.ts';
import { pathText } from './file-system.ts';
import { METADATA_DIRECTORY, TEMPORARY_DIRECTORY } from './layout.ts';
import { LocalStore } from './local-store.ts';

const KEY = 'crash/photo.png';
const OLD = { bytes: 'the old object', options: { contentType: 'image/x-old', metadata: { version: 'old' } } };
const NEW = {
  bytes: 'the new object, longer than the old',
  options: { contentType: 'image/x-new', metadata: { version: 'new' } },
};

type Outcome = 'old' | 'new' | 'absent';

async function entries(backing: Backing, relative: string): Promise<string[]> {
  const found = await backing.fs.readdir(join(backing.root, relative), { withFileTypes: true });
  return found.map((entry) =>
    typeof entry === 'string' || entry instanceof Uint8Array ? pathText(entry) : pathText(entry.name),
  );
}

async function recordCount(backing: Backing): Promise<number> {
  let count = 0;
  for (const shard of await entries(backing, METADATA_DIRECTORY))
    count += (await entries(backing, join(METADATA_DIRECTORY, shard))).length;
  return count;
}

/**
 * What a store opened after the crash sees. Every object must be whole and carry its own metadata: the bytes,
 * the type, the user metadata and the checksum all from the same put.
 */
async function inspectAfterCrash(backing: Backing): Promise<Outcome> {
  const store = await LocalStore.open({ root: backing.root, fs: backing.fs, staleAfterMs: 0 });
  const listed: string[] = [];
  for await (const summary of store.list()) listed.push(summary.key);
  const info = await store.head(KEY);
  if (info === undefined) {
    expect(listed).toEqual([]);
    await store.cleanup(0);
    expect(await entries(backing, TEMPORARY_DIRECTORY)).toEqual([]);
    expect(await recordCount(backing)).toBe(0);
    return 'absent';
  }
  expect(listed).toEqual([KEY]);
  const got = await store.get(KEY);
  const text = new TextDecoder().decode(await collectBytes(got.body));
  const outcome: Outcome = text === OLD.bytes ? 'old' : 'new';
  const expected = outcome === 'old' ? OLD : NEW;
  expect(text).toBe(expected.bytes);
  expect(got.contentType).toBe(expected.options.contentType);
  expect(got.metadata).toEqual(expected.options.metadata);
  expect(got.sha256).toBe(sha256Base64(expected.bytes, nodeSha256));
  // Nothing the crash left may survive a cleanup: no temporary, no record but the current one.
  await store.cleanup(0);
  expect(await entries(backing, TEMPORARY_DIRECTORY)).toEqual([]);
  expect(await recordCount(backing)).toBe(1);
  return outcome;
}

/**
 * Runs `operation` once per file-system call it makes, crashing at that call: it and every later call fail, as
 * if the process died there (the clean-up a live process would do cannot run either).
 */
async function crashAtEveryStep(
  prepare: (store: LocalStore) => Promise<void>,
  operation: (store: LocalStore) => Promise<unknown>,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (let crashAt = 0; ; crashAt++) {
    const backing = memfsBacking();
    await prepare(await LocalStore.open({ root: backing.root, fs: backing.fs }));
    let armedFrom = Number.POSITIVE_INFINITY;
    const { fs, calls } = faultyFileSystem(backing.fs, (call) =>
      call.index >= armedFrom ? nativeError('EIO', call.method) : undefined,
    );
    const store = await LocalStore.open({ root: backing.root, fs });
    armedFrom = calls.length + crashAt;
    const completed = await operation(store).then(
      () => true,
      () => false,
    );
    outcomes.push(await inspectAfterCrash(backing));
    if (completed) return outcomes;
  }
}

describe('a crash at any step', () => {
  it('of an overwrite leaves the old object or the new one, each with its own metadata, and nothing else', async () => {
    const outcomes = await crashAtEveryStep(
      async (store) => {
        await store.put(KEY, OLD.bytes, OLD.options);
      },
      (store) => store.put(KEY, NEW.bytes, NEW.options),
    );
    expect(outcomes.length).toBeGreaterThan(8);
    expect(outcomes.at(-1)).toBe('new');
    // Once the new object is visible it stays so: the rename is the single moment of change.
    const firstNew = outcomes.indexOf('new');
    expect(outcomes.slice(0, firstNew).every((outcome) => outcome === 'old')).toBe(true);
    expect(outcomes.slice(firstNew).every((outcome) => outcome === 'new')).toBe(true);
  });

  it('of a streamed put of a new key leaves no object or the whole new one', async () => {
    const streamed = (): ReadableStream<Uint8Array> => new Blob([NEW.bytes.slice(0, 10), NEW.bytes.slice(10)]).stream();
    const outcomes = await crashAtEveryStep(
      () => Promise.resolve(),
      (store) => store.put(KEY, streamed(), NEW.options),
    );
    expect(outcomes[0]).toBe('absent');
    expect(outcomes.at(-1)).toBe('new');
    expect(outcomes.every((outcome) => outcome !== 'old')).toBe(true);
  });

  it('of a create-only put leaves no object or the whole new one', async () => {
    const options: PutOptions = { ...NEW.options, ifNoneMatch: '*' };
    const outcomes = await crashAtEveryStep(
      () => Promise.resolve(),
      (store) => store.put(KEY, NEW.bytes, options),
    );
    expect(new Set(outcomes)).toEqual(new Set(['absent', 'new']));
  });

  it('of a delete leaves the whole object with its metadata, or none', async () => {
    const outcomes = await crashAtEveryStep(
      async (store) => {
        await store.put(KEY, OLD.bytes, OLD.options);
      },
      (store) => store.delete(KEY),
    );
    expect(outcomes[0]).toBe('old');
    expect(outcomes.at(-1)).toBe('absent');
  });
});
