import type { Sha256Factory, StorageErrorCode } from '@stowage/core';

/**
 * A capability the backing lacks, with the reason written out. The suite turns it into an explicit test of the
 * documented fallback (usually `Unsupported`), so nothing is skipped silently.
 */
export interface MissingCapability {
  /** Why the backing cannot do it, e.g. "s3rver 3.7.1 ignores If-None-Match". Shown in the test name. */
  readonly missing: string;
}

/** A URL-producing capability that works; `fetch` lets the suite prove the URL serves the object's bytes. */
export interface UrlCapability {
  /** Reads the bytes the URL serves (for instance with `fetch` against a server on 127.0.0.1). */
  readonly fetch?: ((url: string) => Promise<Uint8Array>) | undefined;
}

/** A store that cannot hold both `a` and `a/b` (a file system), and the error code its put reports. */
export interface KeyPrefixConflict extends MissingCapability {
  /** The `StorageError` code a put of `a/b` gets when `a` exists, and of `a` when `a/b` exists. */
  readonly code: StorageErrorCode;
}

/** How big the large streamed object is when the backing cannot take the default 64 MiB, and why. */
export interface LargeObjectSize {
  readonly bytes: number;
  readonly reason: string;
}

/**
 * What the backing under test can do. Everything defaults to supported; declare what is missing with a reason.
 */
export interface ContractCapabilities {
  /** `signedUrl`. Missing: the suite asserts it rejects with `Unsupported`. */
  readonly signedUrl?: UrlCapability | MissingCapability | undefined;
  /** `publicUrl`. Missing: the suite asserts it throws `Unsupported`. */
  readonly publicUrl?: UrlCapability | MissingCapability | undefined;
  /** Suffix ranges (`{ suffix }`). Missing: the suite asserts such a get rejects with `Unsupported`. */
  readonly suffixRanges?: MissingCapability | undefined;
  /**
   * Two range edges: `{ start: 0, end: 0 }` reads exactly the first byte, and any range of an empty object is
   * `InvalidRange`. Missing: those two edges go unchecked (the reason shows in the test names); every other
   * range case runs.
   */
  readonly rangeEdges?: MissingCapability | undefined;
  /**
   * Listing in UTF-8 byte order. Missing: listings are compared as sets (sorted before comparing, the reason in
   * the test names) and mixed keys are not paged in small pages (resuming after the last key skips keys when the
   * order is not byte order); prefixes, startAfter and pagination of uniform keys are still checked.
   */
  readonly byteOrderListing?: MissingCapability | undefined;
  /**
   * Overwrites that readers never see half done: a get racing a put of the same key reads one whole version, and
   * concurrent puts leave one writer's bytes with that writer's metadata. Missing: concurrent puts must all succeed
   * and the next put must be read back whole with its SHA-256, but no reader races them and the racing bodies may
   * interleave (a store that rewrites a file in place mixes them).
   */
  readonly atomicOverwrite?: MissingCapability | undefined;
  /** Create-only puts (`ifNoneMatch: '*'`). Missing: the suite asserts they reject with `Unsupported`, storing nothing. */
  readonly createOnly?: MissingCapability | undefined;
  /** `ObjectInfo.sha256`. Missing: the suite asserts it is `undefined` (never a wrong value). */
  readonly reportsSha256?: MissingCapability | undefined;
  /** Keys `a` and `a/b` side by side. Missing: the suite asserts the second put fails with the given code. */
  readonly keyAndPrefixCoexist?: KeyPrefixConflict | undefined;
  /** Size of the large streamed object; defaults to 64 MiB. */
  readonly largeObject?: LargeObjectSize | undefined;
  /** The SHA-256 the suite hashes with; defaults to core's portable one (inject a native one for speed). */
  readonly sha256?: Sha256Factory | undefined;
  /** Timeout for the heavy cases (large object, thousands of keys); defaults to 180 s. */
  readonly slowTestTimeoutMs?: number | undefined;
}

export function isMissing(capability: object | undefined): capability is MissingCapability {
  return capability !== undefined && 'missing' in capability;
}
