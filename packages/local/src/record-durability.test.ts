import { join } from 'node:path';
import { Volume, createFsFromVolume } from 'memfs';
import { describe, expect, it } from 'vitest';
import { sha256Base64 } from '@stowage/core';
import { memfsBacking } from '../test/backings.ts';
import { faultyFileSystem } from '../test/faulty-file-system.ts';
import { METADATA_DIRECTORY } from './layout.ts';
import { LocalStore } from './local-store.ts';

async function syncsOfOnePut(options: Parameters<LocalStore['put']>[2]): Promise<number> {
  const backing = memfsBacking();
  const { fs, calls } = faultyFileSystem(backing.fs, () => undefined);
  const store = await LocalStore.open({ root: backing.root, fs });
  // The first put into a shard also makes the shard directory durable; count a steady-state put.
  await store.put('warm/a.txt', 'warm up', options);
  const before = calls.length;
  await store.put('warm/b.txt', 'measured', options);
  return calls.slice(before).filter((call) => call.method === 'handle.sync' || call.method === 'handle.datasync').length;
}

describe('metadata record durability', () => {
  it('fsyncs the record only when it holds something the key and bytes cannot give back', async () => {
    const derivable = await syncsOfOnePut({});
    const chosen = await syncsOfOnePut({ contentType: 'text/x-chosen' });
    const withMetadata = await syncsOfOnePut({ metadata: { origin: 'test' } });
    expect(chosen).toBe(derivable + 2); // the record file and its shard directory
    expect(withMetadata).toBe(derivable + 2);
  });

  it('reads a derivable object the same when its unsynced record was lost in a crash, checksum then unknown', async () => {
    const volume = createFsFromVolume(new Volume());
    const store = await LocalStore.open({ root: '/store', fs: volume.promises });
    await store.put('lost/notes.txt', 'hello');
    const kept = await store.head('lost/notes.txt');
    expect(kept?.sha256).toBe(sha256Base64('hello'));
    // A crash before the record reached the disk: every record file is gone.
    volume.rmSync(join('/store', METADATA_DIRECTORY), { recursive: true, force: true });
    const reopened = await LocalStore.open({ root: '/store', fs: volume.promises });
    const info = await reopened.head('lost/notes.txt');
    expect(info?.contentType).toBe(kept?.contentType);
    expect(info?.size).toBe(5);
    expect(info?.sha256).toBeUndefined();
  });

  it('serves a record remembered from an earlier read only for the same version of the file', async () => {
    const backing = memfsBacking();
    const store = await LocalStore.open({ root: backing.root, fs: backing.fs });
    await store.put('v/file.bin', 'first', { metadata: { n: '1' } });
    expect((await store.head('v/file.bin'))?.metadata).toEqual({ n: '1' });
    await store.put('v/file.bin', 'second, longer', { metadata: { n: '2' } });
    expect((await store.head('v/file.bin'))?.metadata).toEqual({ n: '2' });
    expect((await store.get('v/file.bin')).sha256).toBe(sha256Base64('second, longer'));
  });
});
