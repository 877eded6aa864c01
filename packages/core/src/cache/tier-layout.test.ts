import { describe, expect, it } from 'vitest';
import { portableSha256 } from '../checksum.ts';
import { validateKey } from '../keys.ts';
import type { ObjectInfo } from '../object-store.ts';
import {
  decodeSliceMetadata,
  encodeSliceMetadata,
  hashOriginKey,
  hashVersion,
  parseTierKey,
  tierKeyOf,
} from './tier-layout.ts';

const info: ObjectInfo = {
  key: '2/ab/Résumé 📄.pdf',
  size: 12_345,
  contentType: 'application/pdf',
  lastModified: new Date('2026-01-02T03:04:05.678Z'),
  etag: '"abc"',
  sha256: 'q83vEjRWeJA=',
  contentDisposition: 'inline; filename="r.pdf"',
  cacheControl: 'private, immutable',
  metadata: { owner: 'Zoë', realm: '2' },
};

describe('tier layout', () => {
  it('gives distinct, valid, parseable tier keys for distinct origin keys, versions and slices', () => {
    const keys = new Set<string>();
    for (const originKey of ['a', 'a/0', 'a/1', 'b', 'x'.repeat(1024)]) {
      const keyHash = hashOriginKey(originKey, portableSha256);
      for (const etag of ['"1"', '"2"']) {
        const versionHash = hashVersion(etag, portableSha256);
        for (const sliceNumber of [0, 1, 10]) {
          const tierKey = tierKeyOf({ keyHash, versionHash, sliceNumber });
          expect(validateKey(tierKey)).toBe(tierKey);
          expect(parseTierKey(tierKey)).toEqual({ keyHash, versionHash, sliceNumber });
          keys.add(tierKey);
        }
      }
    }
    expect(keys.size).toBe(30);
  });

  it('hashes the origin key: the SHA-256 of "abc" is the well-known one', () => {
    expect(hashOriginKey('abc', portableSha256)).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('rejects tier keys it did not make', () => {
    const keyHash = hashOriginKey('a', portableSha256);
    const shard = keyHash.slice(0, 2);
    const version = hashVersion('"1"', portableSha256);
    expect(parseTierKey(`v2/${shard}/${keyHash}.${version}.0`)).toBeDefined();
    for (const tierKey of [
      `v2/${shard}/${keyHash}.${version}`,
      `v2/${shard}/${keyHash}.0`,
      `v2/zz/${keyHash}.${version}.0`,
      `v2/${shard}/${keyHash}.${version}.01`,
      `v2/${shard}/${keyHash}.${version}.-1`,
      `v1/${shard}/${keyHash}/${version}/0`,
      `v2/${shard}/${keyHash}/${version}/0`,
      `v2/${shard}/${keyHash.toUpperCase()}.${version}.0`,
      `v2/${shard}/${keyHash}.${version.slice(1)}.0`,
      'v2/ab/cd.ef.0',
    ]) {
      expect(parseTierKey(tierKey)).toBeUndefined();
    }
  });

  it('round-trips the object info, slice size and checksum through ASCII metadata', () => {
    const metadata = encodeSliceMetadata({ info, sliceSize: 5 * 1024 * 1024, sha256: 'c2hh' });
    for (const [name, value] of Object.entries(metadata)) {
      expect(name).toMatch(/^[a-z0-9-]+$/u);
      expect(value).toMatch(/^[\x20-\x7e]*$/u);
    }
    expect(decodeSliceMetadata(metadata)).toEqual({ info, sliceSize: 5 * 1024 * 1024, sha256: 'c2hh' });
  });

  it('reads damaged metadata as no description', () => {
    const metadata = encodeSliceMetadata({ info, sliceSize: 1000, sha256: 'c2hh' });
    expect(decodeSliceMetadata({})).toBeUndefined();
    expect(decodeSliceMetadata({ ...metadata, 'cache-object': 'not base64 !' })).toBeUndefined();
    expect(decodeSliceMetadata({ ...metadata, 'cache-object': btoa('{"key":1}') })).toBeUndefined();
    expect(decodeSliceMetadata({ ...metadata, 'cache-slice-size': '0' })).toBeUndefined();
    expect(decodeSliceMetadata({ ...metadata, 'cache-slice-size': 'five' })).toBeUndefined();
  });
});
