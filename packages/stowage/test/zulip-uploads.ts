import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { collectBytes, sha256Base64 } from '@stowage/core';
import type { ObjectStore, PutOptions } from '@stowage/core';
import { nodeSha256 } from '@stowage/core/node';
import { LocalStore } from '@stowage/local';
import { expect } from 'vitest';
import { LOCAL_NAMESPACE_DIRECTORIES } from '../src/open-stores.ts';
import type { Namespace } from '../src/open-stores.ts';

/** One object of the fixture, with the SHA-256 of its bytes. */
export interface FixtureObject {
  readonly namespace: Namespace;
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
}

interface Planned {
  readonly namespace: Namespace;
  readonly key: string;
  readonly size: number;
  /** Written through LocalStore with these options; absent: a plain file, as Zulip's own backend leaves them. */
  readonly options?: PutOptions;
}

/**
 * A `LOCAL_UPLOADS_DIR` laid out as Zulip's local backend leaves it: attachments under `files/`, avatars with their
 * `.original` and `-medium.png`, realm icons and logos, and custom emoji under `avatars/`. Some objects carry
 * content type, disposition, cache control and metadata (written through `LocalStore`), others are plain files.
 */
export async function writeZulipUploads(
  directory: string,
  options: { largeSizes?: readonly number[]; attachments?: number } = {},
): Promise<FixtureObject[]> {
  const planned: Planned[] = [];
  for (const realm of [2, 7]) {
    for (let index = 0; index < (options.attachments ?? 30); index++) {
      const shard = ((index * 37) % 256).toString(16).padStart(2, '0');
      const name = index % 3 === 0 ? `r\u00e9sum\u00e9-${index}.pdf` : `notes-${index}.txt`;
      planned.push({
        namespace: 'uploads',
        key: `${realm}/${shard}/${randomBytes(12).toString('hex')}/${name}`,
        size: 1 + ((index * 7919) % 60_000),
        options:
          index % 2 === 0
            ? {
                contentType: name.endsWith('.pdf') ? 'application/pdf' : 'text/plain; charset=utf-8',
                contentDisposition: `attachment; filename="${name.normalize('NFKD').replace(/[^\x20-\x7e]/gu, '_')}"`,
                cacheControl: 'private, immutable',
                metadata: { 'realm-id': String(realm), 'user-profile-id': String(100 + index) },
              }
            : undefined,
      });
    }
    for (let user = 0; user < 4; user++) {
      const hash = randomBytes(20).toString('hex');
      const avatar = { contentType: 'image/png', cacheControl: 'public, max-age=31536000, immutable' };
      planned.push({
        namespace: 'avatars',
        key: `${realm}/${hash}.original`,
        size: 20_000 + user,
        options: { contentType: 'image/jpeg' },
      });
      planned.push({ namespace: 'avatars', key: `${realm}/${hash}.png`, size: 3_000 + user, options: avatar });
      planned.push({ namespace: 'avatars', key: `${realm}/${hash}-medium.png`, size: 9_000 + user, options: avatar });
    }
    for (const file of ['icon.png', 'logo.png', 'night_logo.png']) {
      planned.push({ namespace: 'avatars', key: `${realm}/realm/${file}`, size: 4_000 });
      planned.push({ namespace: 'avatars', key: `${realm}/realm/${file}.original`, size: 12_000 });
    }
    for (const emoji of ['party_parrot.gif', 'shipit.png']) {
      planned.push({
        namespace: 'avatars',
        key: `${realm}/emoji/images/${emoji}`,
        size: 2_500,
        options: { contentType: emoji.endsWith('.gif') ? 'image/gif' : 'image/png' },
      });
      planned.push({ namespace: 'avatars', key: `${realm}/emoji/images/${emoji}.original`, size: 8_000 });
    }
  }
  (options.largeSizes ?? []).forEach((size, index) => {
    planned.push({
      namespace: 'uploads',
      key: `2/ff/${randomBytes(12).toString('hex')}/video-${index}.mp4`,
      size,
      options: { contentType: 'video/mp4' },
    });
  });

  const stores = {
    uploads: new LocalStore({ root: join(directory, LOCAL_NAMESPACE_DIRECTORIES.uploads) }),
    avatars: new LocalStore({ root: join(directory, LOCAL_NAMESPACE_DIRECTORIES.avatars) }),
  };
  const written: FixtureObject[] = [];
  for (const object of planned) {
    const bytes = new Uint8Array(randomBytes(object.size));
    if (object.options === undefined) {
      const path = join(directory, LOCAL_NAMESPACE_DIRECTORIES[object.namespace], ...object.key.split('/'));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, bytes);
    } else {
      await stores[object.namespace].put(object.key, bytes, object.options);
    }
    written.push({
      namespace: object.namespace,
      key: object.key,
      size: object.size,
      sha256: sha256Base64(bytes, nodeSha256),
    });
  }
  return written;
}

/** SHA-256 of an object's bytes as read back from the store. */
export async function storedSha256(store: ObjectStore, key: string): Promise<string> {
  return sha256Base64(await collectBytes((await store.get(key)).body), nodeSha256);
}

export async function listKeys(store: ObjectStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const summary of store.list()) keys.push(summary.key);
  return keys;
}

/**
 * Asserts that every object the target holds is complete and identical to the source's (nothing partial), and,
 * with `complete`, that the target holds exactly the fixture's objects with the source's content type,
 * disposition, cache control and metadata.
 */
export async function expectFaithfulCopy(
  fixture: readonly FixtureObject[],
  sources: Readonly<Record<Namespace, ObjectStore>>,
  targets: Readonly<Record<Namespace, ObjectStore>>,
  complete: boolean,
): Promise<void> {
  for (const namespace of new Set(fixture.map((object) => object.namespace))) {
    const expected = new Map(
      fixture.filter((object) => object.namespace === namespace).map((object) => [object.key, object]),
    );
    const present = await listKeys(targets[namespace]);
    for (const key of present) {
      const object = expected.get(key);
      expect(object, `${namespace}/${key} is not a fixture object`).toBeDefined();
      expect(await storedSha256(targets[namespace], key), `${namespace}/${key} bytes`).toBe(object?.sha256);
    }
    if (!complete) continue;
    expect(present.sort()).toEqual([...expected.keys()].sort());
    for (const key of present) {
      const [source, target] = await Promise.all([sources[namespace].head(key), targets[namespace].head(key)]);
      expect(
        {
          size: target?.size,
          contentType: target?.contentType,
          contentDisposition: target?.contentDisposition,
          cacheControl: target?.cacheControl,
          metadata: target?.metadata,
        },
        `${namespace}/${key} metadata`,
      ).toEqual({
        size: source?.size,
        contentType: source?.contentType,
        contentDisposition: source?.contentDisposition,
        cacheControl: source?.cacheControl,
        metadata: source?.metadata,
      });
    }
  }
}
