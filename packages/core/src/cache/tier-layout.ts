import { toBase64, toHex } from '../checksum.ts';
import type { Sha256Factory } from '../checksum.ts';
import type { ObjectInfo } from '../object-store.ts';

/**
 * How the cache lays out its tier. Every cached slice is one tier object:
 *
 *     v2/{first two hex digits of H}/{H}.{V}.{slice number}
 *
 * where H is the lower-case hex SHA-256 of the origin key's UTF-8 bytes and V the first 16 hex digits of the
 * SHA-256 of the origin object's etag. Two slices share a tier key only when they share the origin key, the
 * version and the slice number, so entries cannot collide, not even slices of an old and a new version of one key
 * written around an overwrite. The origin key is hashed rather than embedded so that any valid origin key (up to
 * 1024 bytes) gives a short valid tier key. There are no
 * separate metadata objects: each slice carries the origin object's info, the slice size it was cut with and its
 * own SHA-256 in its tier metadata (names below), so every slice describes itself and a restart rebuilds the
 * index from `list` plus `head` alone. Two directory levels, as an upload key usually has: every level costs a
 * file-system tier a lookup on each read (`v1/` had four: `v1/{hh}/{H}/{V}/{n}`). The `v2/` prefix leaves room for
 * a later layout beside this one; tier objects outside it are never read or counted, and only the `v1/` objects
 * of the earlier layout are deleted.
 */
export const TIER_LAYOUT_PREFIX = 'v2/';

/** Where the earlier layout kept its slices; a cache found there is dropped when the index is rebuilt. */
export const EARLIER_TIER_LAYOUT_PREFIX = 'v1/';

/** Tier metadata names (lower-case ASCII, as every store accepts). Values are ASCII too, for an S3 tier. */
const SLICE_SHA256 = 'cache-slice-sha256';
const SLICE_SIZE = 'cache-slice-size';
const OBJECT_INFO = 'cache-object';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const TIER_KEY = /^v2\/([0-9a-f]{2})\/([0-9a-f]{64})\.([0-9a-f]{16})\.(0|[1-9][0-9]{0,15})$/u;

/** Hex SHA-256 of the origin key: the part of a tier key that names the origin object. */
export function hashOriginKey(key: string, sha256: Sha256Factory): string {
  const hash = sha256();
  hash.update(encoder.encode(key));
  return toHex(hash.digest());
}

/** The version part of a tier key: 64 bits of the etag's SHA-256 tell versions of one key apart. */
export function hashVersion(etag: string, sha256: Sha256Factory): string {
  return hashOriginKey(etag, sha256).slice(0, 16);
}

/** What a tier key names. */
export interface TierKeyParts {
  readonly keyHash: string;
  readonly versionHash: string;
  readonly sliceNumber: number;
}

export function tierKeyOf({ keyHash, versionHash, sliceNumber }: TierKeyParts): string {
  return `${TIER_LAYOUT_PREFIX}${keyHash.slice(0, 2)}/${keyHash}.${versionHash}.${sliceNumber.toString()}`;
}

/** The parts of a tier key, or `undefined` for a key this layout did not make. */
export function parseTierKey(tierKey: string): TierKeyParts | undefined {
  const match = TIER_KEY.exec(tierKey);
  if (match === null) return undefined;
  const [, shard, keyHash, versionHash, sliceNumber] = match;
  if (
    keyHash === undefined ||
    versionHash === undefined ||
    sliceNumber === undefined ||
    shard !== keyHash.slice(0, 2)
  ) {
    return undefined;
  }
  const parsed = Number(sliceNumber);
  return Number.isSafeInteger(parsed) ? { keyHash, versionHash, sliceNumber: parsed } : undefined;
}

/** What a slice's tier metadata records. */
export interface SliceDescription {
  /** The origin object the slice was cut from, as the origin described it. */
  readonly info: ObjectInfo;
  /** The slice size the cache used when it stored this slice (the last slice of an object may be shorter). */
  readonly sliceSize: number;
  /** Base64 SHA-256 of the slice's bytes. */
  readonly sha256: string;
}

interface StoredInfo {
  readonly key: string;
  readonly size: number;
  readonly contentType: string;
  readonly lastModified: number;
  readonly etag: string;
  readonly sha256?: string | undefined;
  readonly contentDisposition?: string | undefined;
  readonly cacheControl?: string | undefined;
  readonly metadata: Readonly<Record<string, string>>;
}

export function encodeSliceMetadata(description: SliceDescription): Record<string, string> {
  const { info } = description;
  const stored: StoredInfo = {
    key: info.key,
    size: info.size,
    contentType: info.contentType,
    lastModified: info.lastModified.getTime(),
    etag: info.etag,
    sha256: info.sha256,
    contentDisposition: info.contentDisposition,
    cacheControl: info.cacheControl,
    metadata: info.metadata,
  };
  return {
    [SLICE_SHA256]: description.sha256,
    [SLICE_SIZE]: String(description.sliceSize),
    // Base64 keeps non-ASCII names and metadata values legal in S3 headers.
    [OBJECT_INFO]: toBase64(encoder.encode(JSON.stringify(stored))),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown): value is string | undefined {
  return value === undefined || typeof value === 'string';
}

function decodeInfo(encoded: string): ObjectInfo | undefined {
  let parsed: unknown;
  try {
    const binary = atob(encoded);
    parsed = JSON.parse(decoder.decode(Uint8Array.from(binary, (character) => character.charCodeAt(0))));
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return undefined;
  const { key, size, contentType, lastModified, etag, sha256, contentDisposition, cacheControl, metadata } = parsed;
  if (typeof key !== 'string' || typeof contentType !== 'string' || typeof etag !== 'string') return undefined;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return undefined;
  if (typeof lastModified !== 'number' || !Number.isFinite(lastModified)) return undefined;
  if (!optionalString(sha256) || !optionalString(contentDisposition) || !optionalString(cacheControl)) return undefined;
  if (!isRecord(metadata) || !Object.values(metadata).every((value) => typeof value === 'string')) return undefined;
  return {
    key,
    size,
    contentType,
    lastModified: new Date(lastModified),
    etag,
    sha256,
    contentDisposition,
    cacheControl,
    metadata: metadata as Record<string, string>,
  };
}

/** The description a slice's tier metadata holds, or `undefined` when it is missing or malformed. */
export function decodeSliceMetadata(metadata: Readonly<Record<string, string>>): SliceDescription | undefined {
  const sha256 = metadata[SLICE_SHA256];
  const sliceSize = Number(metadata[SLICE_SIZE]);
  const encodedInfo = metadata[OBJECT_INFO];
  if (sha256 === undefined || encodedInfo === undefined || !Number.isSafeInteger(sliceSize) || sliceSize < 1)
    return undefined;
  const info = decodeInfo(encodedInfo);
  return info === undefined ? undefined : { info, sliceSize, sha256 };
}
