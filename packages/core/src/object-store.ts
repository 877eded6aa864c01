/** What `put` accepts. Streams and async iterables are consumed once, chunk by chunk, never buffered whole. */
export type Body = Uint8Array | string | ChunkSource;

/** Bytes that arrive chunk by chunk: a Web stream, or plain chunks (see `readResultBody`). */
export type ChunkSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** Everything a store knows about one stored object. */
export interface ObjectInfo {
  readonly key: string;
  /** Size of the whole object in bytes (also for a ranged read). */
  readonly size: number;
  readonly contentType: string;
  readonly lastModified: Date;
  /** Opaque version tag: changes whenever the bytes change. Quoted, as in HTTP. */
  readonly etag: string;
  /** SHA-256 of the whole object, base64, when the store knows it. */
  readonly sha256?: string | undefined;
  readonly contentDisposition?: string | undefined;
  readonly cacheControl?: string | undefined;
  /** User metadata: lower-case ASCII names, string values. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** What `list` yields: what every store can report for a key without reading the object. */
export interface ObjectSummary {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
  readonly etag: string;
}

export interface PutOptions {
  /** Defaults to a type guessed from the key's extension, else `application/octet-stream`. */
  readonly contentType?: string | undefined;
  readonly contentDisposition?: string | undefined;
  readonly cacheControl?: string | undefined;
  readonly metadata?: Readonly<Record<string, string>> | undefined;
  /** `'*'`: create only; fails with `AlreadyExists` when the key is taken. */
  readonly ifNoneMatch?: '*' | undefined;
  /** Expected SHA-256 (base64) of the body; a mismatch fails with `IntegrityError` and stores nothing. */
  readonly sha256?: string | undefined;
  /** Exact body length when the caller knows it; a body of another length fails with `IntegrityError`. */
  readonly size?: number | undefined;
  /** Largest body accepted; a longer one fails with `TooLarge` and stores nothing. */
  readonly maxSize?: number | undefined;
  /**
   * Ask the store to confirm, from the storage's own answer to the upload and without another request, that it
   * now holds exactly the bytes it received (S3: the ETag, an MD5 the server computed over what it received). The
   * result's `confirmed` says whether it could. Where the answer shows other bytes, the put fails with
   * `IntegrityError` and removes the object it wrote, so no wrong object stays under the key.
   */
  readonly confirm?: boolean | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** What `put` resolves with: the stored object's info. */
export interface PutResult extends ObjectInfo {
  /**
   * `true` when `confirm` was asked and the storage's answer proved that it holds exactly the bytes this result's
   * `size` and `sha256` describe. Absent (or `false`) when the store could not tell without another request.
   */
  readonly confirmed?: boolean | undefined;
}

/**
 * Bytes `start` to `end`, both inclusive as in HTTP (`end` defaults to the last byte), or the last
 * `suffix` bytes.
 */
export type ByteRange = { readonly start: number; readonly end?: number | undefined } | { readonly suffix: number };

export interface GetOptions {
  readonly range?: ByteRange | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface GetResult extends ObjectInfo {
  /** Exactly the requested bytes: the whole object, or the range. */
  readonly body: ReadableStream<Uint8Array>;
  /** Present for a ranged read: the inclusive byte positions returned; `size` stays the whole size. */
  readonly range?: { readonly start: number; readonly end: number } | undefined;
}

export interface ListOptions {
  /** Only keys starting with this string (not only whole segments: `a/b` matches `a/bc`). */
  readonly prefix?: string | undefined;
  /** Only keys sorting after this one (by UTF-8 bytes, as S3 does). */
  readonly startAfter?: string | undefined;
  /** Keys fetched per internal page; memory stays bounded by it. */
  readonly pageSize?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface SignedUrlOptions {
  /** Lifetime in seconds. */
  readonly expiresIn: number;
  /** How a browser following the URL should present the object. */
  readonly disposition?: 'inline' | 'attachment' | undefined;
  /** File name offered for download. */
  readonly filename?: string | undefined;
}

/**
 * One namespace of objects (a directory, a bucket). Every method validates the key first and rejects a bad
 * one with `StorageError('InvalidKey')`. Every failure is a `StorageError`; `cause` holds the native error.
 */
export interface ObjectStore {
  /** A short human name for messages and reports, such as `local:/srv/uploads` or `s3://bucket`. */
  readonly name: string;

  /**
   * Stores `body` under `key`, replacing any object there. All or nothing: readers see the old object until the
   * new one is complete, and a failed or aborted put leaves the old object (or none) in place.
   * Throws `AlreadyExists` (create-only put on a taken key), `IntegrityError` (sha256 or size mismatch),
   * `TooLarge`, `Aborted`, `AccessDenied`, `Unavailable`.
   */
  put(key: string, body: Body, options?: PutOptions): Promise<PutResult>;

  /**
   * Opens the object for reading. Throws `NotFound`, `InvalidRange` (a range starting past the end, or a
   * malformed range), `Aborted`, `AccessDenied`, `Unavailable`. Cancel the body to release it early.
   */
  get(key: string, options?: GetOptions): Promise<GetResult>;

  /** The object's info, or `undefined` when there is none. Throws `AccessDenied`, `Unavailable`. */
  head(key: string): Promise<ObjectInfo | undefined>;

  /** Removes the object; a missing one is not an error. Throws `AccessDenied`, `Unavailable`. */
  delete(key: string): Promise<void>;

  /**
   * Removes every listed object, in batches; missing ones are not errors. All keys are validated before any is
   * deleted. Throws `AccessDenied`, `Unavailable` naming the keys not deleted.
   */
  deleteMany(keys: Iterable<string>): Promise<void>;

  /**
   * Copies an object with its content type, disposition, cache control, metadata and checksum. Throws
   * `NotFound` (no source), `AccessDenied`, `Unavailable`.
   */
  copy(fromKey: string, toKey: string): Promise<ObjectInfo>;

  /**
   * Every object whose key starts with `prefix`, in ascending UTF-8 byte order of keys, fetched page by page so
   * memory stays constant. Throws `InvalidKey` (bad prefix), `Aborted`, `AccessDenied`, `Unavailable`.
   */
  list(options?: ListOptions): AsyncIterable<ObjectSummary>;

  /**
   * A URL that grants reading the object without other credentials until it expires, where the store can make
   * one (an S3 presigned GET; a local HMAC token the serving app verifies). Throws `Unsupported` otherwise.
   */
  signedUrl(key: string, options: SignedUrlOptions): Promise<string>;

  /** The permanent public URL of an object in a public store. Throws `Unsupported` for a private store. */
  publicUrl(key: string): string;
}
