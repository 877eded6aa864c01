import { join } from 'node:path';
import { Volume, createFsFromVolume } from 'memfs';
import { describe, expect, it } from 'vitest';
import { sha256Base64 } from '@stowage/core';
import { memfsBacking } from '../test/backings.ts';
import { faultyFileSystem, nativeError } from '../test/faulty-file-system.ts';
import { METADATA_DIRECTORY } from './layout.ts';
import { LocalStore } from './local-store.ts';

async function syncsOfOnePut(options: Parameters<LocalStore['put']>[2]): Promise<number> {
  const backing = memfsBacking();
  const { fs, calls } = faultyFileSystem(backing.fs, () => undefined);
  const store = await LocalStore.open({ root: backing.root, fs });
  const before = calls.length;
  await store.put('warm/b.txt', 'measured', options);
  return calls.slice(before).filter((call) => call.method === 'handle.sync' || call.method === 'handle.datasync')
    .length;
}

describe('metadata record durability', () => {
  it('fsyncs the record only when it holds something the key and bytes cannot give back', async () => {
    const derivable = await syncsOfOnePut({});
    const chosen = await syncsOfOnePut({ contentType: 'text/x-chosen' });
    const withMetadata = await syncsOfOnePut({ metadata: { origin: 'test' } });
    expect(chosen).toBe(derivable + 2); // the record file and its shard directory
    expect(withMetadata).toBe(derivable + 2);
  });

  it('makes all 256 shard directories when opened, so that no put creates one', async () => {
    const backing = memfsBacking();
    const { fs, calls } = faultyFileSystem(backing.fs, () => undefined);
    const store = await LocalStore.open({ root: backing.root, fs });
    const shards = await backing.fs.readdir(join(backing.root, METADATA_DIRECTORY), { withFileTypes: true });
    expect(shards).toHaveLength(256);
    const before = calls.length;
    for (let index = 0; index < 64; index++)
      await store.put(`spread/${index.toString()}.txt`, 'x', { metadata: { index: index.toString() } });
    const metadataDirectory = `${join(backing.root, METADATA_DIRECTORY)}/`;
    expect(
      calls.slice(before).filter((call) => call.method === 'mkdir' && (call.path ?? '').startsWith(metadataDirectory)),
    ).toEqual([]);
    // A second open finds them all and makes none.
    const reopenedAt = calls.length;
    await LocalStore.open({ root: backing.root, fs });
    expect(
      calls
        .slice(reopenedAt)
        .filter((call) => call.method === 'mkdir' && (call.path ?? '').startsWith(metadataDirectory)),
    ).toEqual([]);
  });

  it('reads a derivable object the same when its unsynced record was lost in a crash, checksum then unknown', async () => {
    const volume = createFsFromVolume(new Volume());
    const store = await LocalStore.open({ root: '/store', fs: volume.promises });
    await store.put('lost/notes.txt', 'hello');
    const kept = await store.head('lost/notes.txt');
    expect(kept?.sha256).toBe(sha256Base64('hello'));
    await store.settled();
    // A crash before the record reached the disk: every record file is gone.
    volume.rmSync(join('/store', METADATA_DIRECTORY), { recursive: true, force: true });
    const reopened = await LocalStore.open({ root: '/store', fs: volume.promises });
    const info = await reopened.head('lost/notes.txt');
    expect(info?.contentType).toBe(kept?.contentType);
    expect(info?.size).toBe(5);
    expect(info?.sha256).toBeUndefined();
  });

  it('writes a derivable record after the put returns, and another store on the root sees it once settled', async () => {
    const volume = createFsFromVolume(new Volume());
    const writer = await LocalStore.open({ root: '/store', fs: volume.promises });
    await writer.put('later/notes.txt', 'hello');
    expect((await writer.head('later/notes.txt'))?.sha256).toBe(sha256Base64('hello'));
    await writer.settled();
    const reader = await LocalStore.open({ root: '/store', fs: volume.promises });
    expect((await reader.head('later/notes.txt'))?.sha256).toBe(sha256Base64('hello'));
  });

  it('a delete while the deferred record is still being written leaves no record behind', async () => {
    const volume = createFsFromVolume(new Volume());
    const store = await LocalStore.open({ root: '/store', fs: volume.promises });
    for (let index = 0; index < 20; index++) {
      await store.put(`quick/${index.toString()}.txt`, 'short-lived');
      await store.delete(`quick/${index.toString()}.txt`);
    }
    await store.settled();
    const shards = volume.readdirSync(join('/store', METADATA_DIRECTORY)) as string[];
    const records = shards.flatMap(
      (shard) => volume.readdirSync(join('/store', METADATA_DIRECTORY, shard)) as string[],
    );
    expect(records).toEqual([]);
  });

  it('a deferred record that cannot be written leaves no partial file and the object reads as derivable', async () => {
    const backing = memfsBacking();
    let failWrites = false;
    const { fs } = faultyFileSystem(backing.fs, (call) =>
      failWrites && call.method === 'handle.writev' ? nativeError('ENOSPC', 'write') : undefined,
    );
    const store = await LocalStore.open({ root: backing.root, fs });
    // The data is written by the put itself; only the record's write comes after it.
    await store.put('full/disk.txt', 'data');
    failWrites = true;
    await store.settled();
    failWrites = false;
    const reader = await LocalStore.open({ root: backing.root, fs: backing.fs });
    const info = await reader.head('full/disk.txt');
    expect(info?.size).toBe(4);
    expect(info?.contentType).toBe('text/plain');
    expect(info?.sha256).toBeUndefined();
    expect(await reader.cleanup(0)).toEqual({ temporaries: 0, records: 0 });
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
