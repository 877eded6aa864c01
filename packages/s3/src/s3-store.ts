import type { Readable } from 'node:stream';
import type {
  CompleteMultipartUploadCommandOutput, CompletedPart, CreateMultipartUploadCommandInput, GetObjectCommandOutput, HeadObjectCommandOutput, ListObjectsV2CommandOutput, S3Client,
} from '@aws-sdk/client-s3';
import type { RetryStrategyV2 } from '@smithy/types';
import {
  StorageError, abortedError, toBase64, checkFinalSize, checkReceivedSize, contentDisposition, guessContentType, isStorageError,
  knownBodySize, putSizeLimits, resolveRange, servedContentType, throwIfAborted, validateKey, validatePrefix,
} from '@stowage/core';
import type {
  Body, GetOptions, GetResult, ListOptions, ObjectInfo, ObjectStore, ObjectSummary, PutOptions, PutResult, S3Settings, S3StorageClass,
  Sha256Factory, SignedUrlOptions, SizeLimits, StreamingHash,
} from '@stowage/core';
import { nodeSha256 } from '@stowage/core/node';
import { BodyReader } from './body-read.ts';
import { encodeCopySource } from './copy-source.ts';
import { bareEtag, etagIsComparable, multipartUploadEtag, nodeMd5, singleUploadEtag } from './etag-check.ts';
import type { Md5Factory, UploadAnswer } from './etag-check.ts';
import { SHA256_METADATA, objectInfoFromHeaders } from './object-info.ts';
import type { S3ObjectHeaders } from './object-info.ts';
import { encodeKeyPath, publicUrlBase } from './public-url.ts';
import { defaultRetryStrategy, withRetries } from './retry.ts';
import type { RetryListener } from './retry.ts';
import { allowsLeanRequests, createS3Client, s3EndpointUrl } from './s3-client.ts';
import { leanRequestsFor, leanRequestsFromSettings } from './lean-requests.ts';
import type { LeanRequests, ListedPage, OwnLeanRequests, SignedPut, SignedPutInput, SignedPutOutput } from './lean-requests.ts';
import { checkedStream } from './checked-stream.ts';
import type { CheckedDigest } from './checked-stream.ts';
import type { S3ClientOptions } from './s3-client.ts';
import { isS3NotFound, toStorageError } from './s3-error.ts';
import { streamingPut } from './streaming-put.ts';
import { clientS3, presigner } from './sdk.ts';

const MIB = 1024 * 1024;
/** A put of a stream of announced size on the lean path: the body and everything sent with it. */
interface AnnouncedPut {
  readonly signedPut: SignedPut;
  readonly key: string;
  readonly body: Body;
  readonly limits: SizeLimits;
  readonly options: PutOptions;
  /** The object's headers, with the SHA-256 in the metadata when the caller gave it. */
  readonly params: CreateMultipartUploadCommandInput;
  readonly createOnly: boolean;
  /** For error messages. */
  readonly context: { operation: string; key: string; createOnly: boolean };
  readonly info: (etag: string | undefined, size: number, sha256: string) => ObjectInfo;
}

/** S3's largest single PutObject and CopyObject. */
export const S3_MAX_SINGLE_COPY_BYTES: number = 5 * 1024 * MIB;
/** S3's smallest part (except the last). */
export const S3_MIN_PART_BYTES: number = 5 * MIB;
const MAX_DELETE_BATCH = 1000;
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/** Features some S3-compatible servers lack; each names why, and the store answers `Unsupported` with it. */
export interface S3ServerLimitations {
  /** Set when `Range: bytes=-N` does not return the last N bytes, e.g. "s3rver 3.7.1 reads it as bytes=0-N". */
  readonly suffixRanges?: string | undefined;
  /** Set when PutObject ignores `If-None-Match: *`, e.g. "s3rver 3.7.1 ignores If-None-Match". */
  readonly createOnly?: string | undefined;
  /**
   * Set when the server stores what an interrupted PutObject carried (S3 stores nothing), e.g. "s3rver 3.7.1 keeps
   * the bytes received". A streamed put then goes up as the single part of a multipart upload, completed only once
   * the body passed its checks: one object is written twice on the server, and two more requests are made.
   */
  readonly interruptedPutsKept?: string | undefined;
}

export interface S3StoreOptions {
  /**
   * The client to use, or a function that makes it when the store first needs it; the store never changes its
   * configuration. Give it `maxAttempts: 1`: the store retries.
   */
  readonly client: S3Client | (() => S3Client);
  /** The bucket; it must exist (a missing one fails with `InvalidSettings`). */
  readonly bucket: string;
  /** Shown in messages; defaults to `s3://BUCKET`. */
  readonly name?: string | undefined;
  /** The endpoint named when it cannot be reached; defaults to the client's configured endpoint or "S3". */
  readonly endpoint?: string | undefined;
  /** Makes the store public: `publicUrl(key)` is this base, a slash, and the percent-encoded key. */
  readonly publicUrlBase?: string | undefined;
  /** Storage class of new objects (`S3_UPLOADS_STORAGE_CLASS`); the bucket's default when absent. */
  readonly storageClass?: S3StorageClass | undefined;
  /** Part size of multipart uploads, at least 5 MiB; defaults to 5 MiB, as lib-storage does: a streamed put then holds about 25 MiB of parts. */
  readonly partSize?: number | undefined;
  /** Parts uploaded at once; defaults to 4. A streamed put holds about (queueSize + 1) x partSize in memory. */
  readonly queueSize?: number | undefined;
  /** Objects larger than this are copied part by part; defaults to 5 GiB, S3's CopyObject limit. */
  readonly multipartCopyThreshold?: number | undefined;
  /** Part size of a multipart copy; defaults to 512 MiB. */
  readonly copyPartSize?: number | undefined;
  /** Decides which failures are retried and how long to wait; defaults to the SDK's standard strategy. */
  readonly retryStrategy?: RetryStrategyV2 | undefined;
  /** Told about each retry before it happens. */
  readonly onRetry?: RetryListener | undefined;
  /** The SHA-256 used for stored checksums; defaults to Node's native one. */
  readonly sha256?: Sha256Factory | undefined;
  /** What the server behind the client cannot do. */
  readonly limitations?: S3ServerLimitations | undefined;
  /**
   * Largest announced size sent as one streamed PutObject rather than in parts, where the store takes its lean
   * PutObject (clients `createS3Client` built for an S3-compatible endpoint); defaults to 100 MiB (Zulip's largest
   * upload). Such a put holds no part in memory, but a failure resends it whole. At most 5 GiB, S3's limit.
   */
  readonly singlePutMaxSize?: number | undefined;
  /** The MD5 used to check upload ETags for `put(..., { confirm: true })`; defaults to Node's native one. */
  readonly md5?: Md5Factory | undefined;
  /**
   * Whether the server's ETag of an unencrypted upload is the MD5 of its bytes, as S3's is (default true). Set it to
   * false for a server whose ETags are something else: `confirm` then never confirms (callers verify otherwise).
   */
  readonly etagIsMd5?: boolean | undefined;
}

/** Which of the two buckets of a deployment a store serves. */
export type S3BucketRole = 'uploads' | 'avatars';

/** Options of `S3Store.fromSettings`: the store's knobs plus the client's. */
export type S3StoreFromSettingsOptions = Omit<S3StoreOptions, 'client' | 'bucket' | 'publicUrlBase' | 'storageClass' | 'endpoint'> &
  S3ClientOptions & {
    /** An existing client to use instead of building one from the settings. */
    readonly client?: S3Client | undefined;
  };


function positiveOption(value: number | undefined, fallback: number, option: string, minimum = 1): number {
  const chosen = value ?? fallback;
  if (!Number.isSafeInteger(chosen) || chosen < minimum) {
    throw new StorageError('InvalidSettings', `${option} must be an integer of at least ${minimum}, not ${chosen}`);
  }
  return chosen;
}

/** Parses `Content-Range: bytes START-END/TOTAL`. */
function parseContentRange(header: string | undefined): { start: number; end: number; total: number } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/u.exec(header ?? '');
  if (match === null) return undefined;
  return { start: Number(match[1]), end: Number(match[2]), total: Number(match[3]) };
}

function rangeHeader(range: NonNullable<GetOptions['range']>): string {
  if ('suffix' in range) return `bytes=-${range.suffix}`;
  return `bytes=${range.start}-${range.end ?? ''}`;
}

/** The SDK's response body as the HTTP handler gives it: a Node `Readable` on Node and Deno, else a Web stream. */
interface NodeReadable {
  read(): unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
  destroy(error?: Error): unknown;
  readonly readableEnded: boolean;
}

function isNodeReadable(body: unknown): body is NodeReadable {
  const candidate = body as Partial<NodeReadable> | null;
  return typeof candidate?.read === 'function' && typeof candidate.once === 'function' && typeof candidate.destroy === 'function';
}

/** Reads chunk after chunk from a body; `undefined` at its end. `release` gives the connection back early. */
interface ChunkSource {
  next(): Promise<Uint8Array | undefined>;
  release(): void;
}

/**
 * A Node `Readable` read directly: `read()` while it has data, else wait for `readable` or `end`. Its async
 * iterator (under the SDK's `transformToWebStream` too) finishes only once the stream has closed, measured here
 * at 0.4 ms after its end: a tenth of a small object's whole read from a server on the same machine.
 */
function nodeChunks(readable: NodeReadable): ChunkSource {
  return {
    async next() {
      for (;;) {
        const chunk = readable.read();
        if (chunk !== null) return chunk as Uint8Array;
        if (readable.readableEnded) return undefined;
        await new Promise<void>((resolve, reject) => {
          const settle = (): void => {
            readable.removeListener('readable', settle);
            readable.removeListener('end', settle);
            readable.removeListener('error', fail);
            resolve();
          };
          const fail = (error: unknown): void => {
            readable.removeListener('readable', settle);
            readable.removeListener('end', settle);
            reject(error instanceof Error ? error : new Error(String(error)));
          };
          readable.once('readable', settle);
          readable.once('end', settle);
          readable.once('error', fail);
        });
      }
    },
    release() {
      readable.destroy();
    },
  };
}

function webChunks(stream: ReadableStream<Uint8Array>): ChunkSource {
  const reader = stream.getReader();
  return {
    async next() {
      const { done, value } = await reader.read();
      return done ? undefined : value;
    },
    release() {
      reader.cancel().catch(() => undefined);
    },
  };
}

/**
 * The SDK's body as the one Web stream a reader gets. Re-raises every failure as a `StorageError`, so a reader
 * never sees a raw SDK or socket error; fails the body with `Aborted` when the signal fires; passes cancellation
 * back to the socket.
 */
function guardBody(
  body: unknown,
  key: string,
  signal: AbortSignal | undefined,
  toError: (error: unknown) => StorageError,
): ReadableStream<Uint8Array> {
  const chunks = isNodeReadable(body) ? nodeChunks(body) : webChunks(body as ReadableStream<Uint8Array>);
  let onAbort: (() => void) | undefined;
  const stopListening = (): void => {
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (signal === undefined) return;
        // The SDK aborts the socket on its own, but only for requests it sent: the reader must fail either way.
        onAbort = () => {
          controller.error(abortedError(key, signal.reason));
          chunks.release();
        };
        signal.addEventListener('abort', onAbort, { once: true });
      },
      async pull(controller) {
        try {
          const chunk = await chunks.next();
          if (chunk === undefined) {
            stopListening();
            controller.close();
          } else controller.enqueue(chunk);
        } catch (error) {
          stopListening();
          controller.error(signal?.aborted === true ? abortedError(key, signal.reason) : toError(error));
        }
      },
      cancel() {
        stopListening();
        chunks.release();
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * An `ObjectStore` over one S3 bucket, through `@aws-sdk/client-s3`. Known-length bodies go up in one PutObject;
 * streams through `@aws-sdk/lib-storage` in bounded memory. Each object carries its SHA-256 in the user metadata
 * `stowage-sha256`. Every request runs under the SDK's retry strategy, driven here (see `withRetries`), except a
 * body that cannot be replayed. Every failure is a `StorageError` made by `toStorageError`.
 */
export class S3Store implements ObjectStore {
  /** `s3://BUCKET` unless named otherwise; used in every error message. */
  readonly name: string;
  /** The one bucket this store reads and writes. */
  readonly bucket: string;
  /** The client, or until it is first needed the function that makes it. */
  #client: S3Client | (() => S3Client);
  readonly #endpoint: string;
  readonly #publicUrlBase: string | undefined;
  readonly #storageClass: S3StorageClass | undefined;
  readonly #partSize: number;
  readonly #queueSize: number;
  readonly #multipartCopyThreshold: number;
  readonly #copyPartSize: number;
  readonly #retryStrategy: RetryStrategyV2;
  readonly #onRetry: RetryListener | undefined;
  readonly #sha256: Sha256Factory;
  readonly #limitations: S3ServerLimitations;
  readonly #md5: Md5Factory;
  readonly #etagIsMd5: boolean;
  /** The lean requests, `undefined` where they cannot go; decided with the client when the store made none. */
  #lean: LeanRequests | undefined | 'undecided' = 'undecided';
  /** The lean requests' own connections, when the store made them (see `fromSettings`). */
  #ownLean: OwnLeanRequests | undefined;
  readonly #singlePutMaxSize: number;

  constructor(options: S3StoreOptions) {
    this.#client = options.client;
    this.bucket = options.bucket;
    this.name = options.name ?? `s3://${options.bucket}`;
    this.#endpoint = options.endpoint ?? 'S3';
    this.#publicUrlBase = options.publicUrlBase?.replace(/\/+$/u, '');
    this.#storageClass = options.storageClass;
    this.#partSize = positiveOption(options.partSize, 5 * MIB, 'partSize', S3_MIN_PART_BYTES);
    this.#queueSize = positiveOption(options.queueSize, 4, 'queueSize');
    this.#multipartCopyThreshold = positiveOption(options.multipartCopyThreshold, S3_MAX_SINGLE_COPY_BYTES, 'multipartCopyThreshold');
    this.#copyPartSize = positiveOption(options.copyPartSize, 512 * MIB, 'copyPartSize');
    this.#retryStrategy = options.retryStrategy ?? defaultRetryStrategy();
    this.#onRetry = options.onRetry;
    this.#sha256 = options.sha256 ?? nodeSha256;
    this.#limitations = options.limitations ?? {};
    this.#md5 = options.md5 ?? nodeMd5;
    this.#etagIsMd5 = options.etagIsMd5 ?? true;
    this.#singlePutMaxSize = Math.min(positiveOption(options.singlePutMaxSize, 100 * MIB, 'singlePutMaxSize', 0), S3_MAX_SINGLE_COPY_BYTES);
  }

  /** The lean requests for this store's bucket, if it may take them. */
  #leanRequests(): LeanRequests | undefined {
    if (this.#lean === 'undecided') this.#lean = allowsLeanRequests(this.client) ? leanRequestsFor(this.client, this.bucket) : undefined;
    return this.#lean;
  }

  /**
   * The SDK client the requests go through but the lean ones (given, or built from settings when first needed).
   * Destroy the store (`destroy`) rather than the client when done.
   */
  get client(): S3Client {
    if (typeof this.#client === 'function') this.#client = this.#client();
    return this.#client;
  }

  /** Closes the store's connections: its client's, if it was ever made, and its lean requests' own. */
  destroy(): void {
    if (typeof this.#client !== 'function') this.#client.destroy();
    this.#ownLean?.destroy();
  }

  /**
   * The store for the uploads (private) or avatars (public) bucket of Zulip-style settings, with a client built
   * by `createS3Client` unless one is given; `S3_KEEPS_INTERRUPTED_UPLOADS` declares `interruptedPutsKept`. The
   * avatars store is public: `publicUrl` uses `S3_AVATAR_PUBLIC_URL_PREFIX`, else the endpoint and addressing
   * style. Uploads use `S3_UPLOADS_STORAGE_CLASS`.
   */
  static fromSettings(settings: S3Settings, role: S3BucketRole, options: S3StoreFromSettingsOptions = {}): S3Store {
    const bucket = role === 'uploads' ? settings.uploadsBucket : settings.avatarsBucket;
    const store = new S3Store({
      ...options,
      client: options.client ?? (() => createS3Client(settings, options)),
      bucket,
      endpoint: s3EndpointUrl(settings),
      publicUrlBase: role === 'avatars' ? publicUrlBase(settings, bucket) : undefined,
      storageClass: role === 'uploads' ? settings.uploadsStorageClass : undefined,
      limitations:
        settings.keepsInterruptedUploads === true
          ? { ...options.limitations, interruptedPutsKept: 'declared by S3_KEEPS_INTERRUPTED_UPLOADS' }
          : options.limitations,
    });
    if (options.client === undefined) {
      // Static credentials and an S3-compatible endpoint: the lean requests need no client, so a store that only
      // puts, heads and lists (a migration) never loads the SDK's client.
      store.#ownLean = leanRequestsFromSettings(settings, bucket, options);
      if (store.#ownLean !== undefined) store.#lean = store.#ownLean;
    }
    return store;
  }

  /**
   * Stores the body; see `ObjectStore.put`. A string or byte array is checked (size, SHA-256) before anything is
   * sent, then sent in one retried PutObject; a stream goes through `streamingPut`, which checks before the object
   * is committed. Either way a failure leaves the previous object untouched.
   */
  async put(key: string, body: Body, options: PutOptions = {}): Promise<PutResult> {
    validateKey(key);
    const limits = putSizeLimits(key, options);
    const { signal } = options;
    throwIfAborted(signal, key);
    const createOnly = options.ifNoneMatch === '*';
    if (createOnly && this.#limitations.createOnly !== undefined) {
      throw new StorageError('Unsupported', `${this.name} cannot make create-only puts: ${this.#limitations.createOnly}`, { key });
    }
    const contentType = options.contentType ?? guessContentType(key);
    const params = {
      Bucket: this.bucket,
      Key: key,
      ContentType: contentType,
      ContentDisposition: options.contentDisposition,
      CacheControl: options.cacheControl,
      Metadata: { ...lowerCaseNames(options.metadata) },
      StorageClass: this.#storageClass,
    };
    const context = { operation: 'put', key, createOnly };
    const info = (etag: string | undefined, size: number, sha256: string): ObjectInfo => ({
      key,
      size,
      contentType,
      lastModified: new Date(),
      etag: etag ?? '""',
      sha256,
      contentDisposition: options.contentDisposition,
      cacheControl: options.cacheControl,
      metadata: { ...params.Metadata },
    });

    const confirm = options.confirm === true;
    const wholeSize = knownBodySize(body) ?? (limits.expected !== undefined && limits.expected <= this.#partSize ? limits.expected : undefined);
    if (wholeSize !== undefined) {
      // Known bytes, or a stream announced to fit in one part: one PutObject, with the SHA-256 in its metadata.
      const bytes =
        typeof body === 'string' ? new TextEncoder().encode(body) : body instanceof Uint8Array ? body : await readAnnounced(body, limits, signal);
      checkReceivedSize(limits, bytes.byteLength);
      checkFinalSize(limits, bytes.byteLength);
      const digest = digestOf(bytes, this.#sha256);
      const sha256 = toBase64(digest);
      if (options.sha256 !== undefined && options.sha256 !== sha256) {
        throw new StorageError('IntegrityError', `"${key}" has SHA-256 ${sha256}, not the expected ${options.sha256}`, { key });
      }
      const md5 = confirm ? digestOf(bytes, this.#md5) : undefined;
      const metadata = { ...params.Metadata, [SHA256_METADATA]: sha256 };
      const signedPut = this.#leanRequests()?.put;
      const output =
        signedPut === undefined
          ? await this.#send(
              context,
              () =>
                new (clientS3().PutObjectCommand)({
                  ...params,
                  Body: bytes,
                  ContentLength: bytes.byteLength,
                  Metadata: metadata,
                  ...(createOnly ? { IfNoneMatch: '*' } : {}),
                }),
              signal,
            )
          : await this.#retried(
              context,
              'PutObject',
              () =>
                signedPut({
                  key,
                  body: bytes,
                  size: bytes.byteLength,
                  sha256: digest,
                  contentType,
                  contentDisposition: options.contentDisposition,
                  cacheControl: options.cacheControl,
                  metadata,
                  storageClass: this.#storageClass,
                  ifNoneMatch: createOnly ? '*' : undefined,
                  signal,
                }),
              signal,
            );
      const stored = info(output.ETag, bytes.byteLength, sha256);
      if (md5 === undefined) return stored;
      return { ...stored, confirmed: await this.#confirmUpload(key, output, singleUploadEtag(md5)) };
    }

    // A SHA-256 known up front rides along with the upload; the body is checked against it before it completes.
    const streamedParams = options.sha256 === undefined ? params : { ...params, Metadata: { ...params.Metadata, [SHA256_METADATA]: options.sha256 } };
    const signedPut = this.#leanRequests()?.put;
    if (signedPut !== undefined && limits.expected !== undefined && limits.expected <= this.#singlePutMaxSize) {
      const put: AnnouncedPut = { signedPut, key, body, limits, options, params: streamedParams, createOnly, context, info };
      return this.#limitations.interruptedPutsKept === undefined ? this.#putWhole(put) : this.#putStreamed(put);
    }

    try {
      const result = await streamingPut({
        client: this.client,
        send: (command, commandSignal) => this.#sendRaw(context, command, commandSignal),
        key,
        body,
        params: streamedParams,
        limits,
        expectedSha256: options.sha256,
        createOnly,
        partSize: this.#partSize,
        queueSize: this.#queueSize,
        sha256: this.#sha256,
        signal,
      });
      if (result.multipart && options.sha256 === undefined) {
        // A multipart upload's metadata is fixed when it starts, before the hash is known: record the hash by
        // replacing the metadata with a server-side copy onto itself. The bytes never travel again.
        const recorded = await this.#copyObject(key, key, info(result.etag, result.size, result.sha256), 'put');
        return { ...recorded, sha256: result.sha256 };
      }
      return info(result.etag, result.size, result.sha256);
    } catch (error) {
      if (signal?.aborted === true && !isStorageError(error)) throw abortedError(key, signal.reason);
      throw this.#error(error, context);
    }
  }

  /** Opens the object, or a range of it; see `ObjectStore.get`. */
  async get(key: string, options: GetOptions = {}): Promise<GetResult> {
    validateKey(key);
    const { range, signal } = options;
    throwIfAborted(signal, key);
    if (range !== undefined) {
      // Checks the range's form only (the size is not known yet); the server judges it against the object.
      resolveRange(range, Number.MAX_SAFE_INTEGER, key);
      if ('suffix' in range && this.#limitations.suffixRanges !== undefined) {
        throw new StorageError('Unsupported', `${this.name} cannot read suffix ranges: ${this.#limitations.suffixRanges}`, { key });
      }
    }
    const context = { operation: 'get', key };
    const output: GetObjectCommandOutput = await this.#send(
      context,
      () => new (clientS3().GetObjectCommand)({ Bucket: this.bucket, Key: key, Range: range === undefined ? undefined : rangeHeader(range) }),
      signal,
    );
    if (output.Body === undefined) throw new StorageError('Unavailable', `get of "${key}" in ${this.name} returned no body`, { key });
    const contentRange = range === undefined ? undefined : parseContentRange(output.ContentRange);
    const size = contentRange?.total ?? output.ContentLength ?? 0;
    const body = guardBody(output.Body, key, signal, (error) => this.#error(error, context));
    return {
      ...objectInfoFromHeaders(key, size, output),
      body,
      range: contentRange === undefined ? undefined : { start: contentRange.start, end: contentRange.end },
    };
  }

  /** See `ObjectStore.head`; both `NotFound` (HEAD) and `NoSuchKey` answers mean "no object". */
  async head(key: string): Promise<ObjectInfo | undefined> {
    validateKey(key);
    const output = await this.#headObject(key, 'head');
    return output === undefined ? undefined : objectInfoFromHeaders(key, output.ContentLength ?? 0, output);
  }

  /** See `ObjectStore.delete`. */
  async delete(key: string): Promise<void> {
    validateKey(key);
    try {
      await this.#send({ operation: 'delete', key }, () => new (clientS3().DeleteObjectCommand)({ Bucket: this.bucket, Key: key }), undefined);
    } catch (error) {
      if (!(isStorageError(error, 'NotFound'))) throw error;
    }
  }

  /**
   * Validates every key, then deletes them in DeleteObjects batches of 1,000. Keys the server reports as not
   * deleted (other than missing ones) fail the call with `AccessDenied` or `Unavailable`, naming them; every batch
   * is attempted first.
   */
  async deleteMany(keys: Iterable<string>): Promise<void> {
    const all = Array.from(keys, (key) => validateKey(key));
    const failed: { key: string; code: string; message: string }[] = [];
    for (let index = 0; index < all.length; index += MAX_DELETE_BATCH) {
      const batch = all.slice(index, index + MAX_DELETE_BATCH);
      const output = await this.#send(
        { operation: 'deleteMany' },
        () => new (clientS3().DeleteObjectsCommand)({ Bucket: this.bucket, Delete: { Objects: batch.map((key) => ({ Key: key })), Quiet: true } }),
        undefined,
      );
      for (const error of output.Errors ?? []) {
        if (error.Code === 'NoSuchKey') continue;
        failed.push({ key: error.Key ?? '?', code: error.Code ?? 'Error', message: error.Message ?? '' });
      }
    }
    const first = failed[0];
    if (first === undefined) return;
    const shown = failed.slice(0, 10).map((failure) => `"${failure.key}" (${failure.code}${failure.message === '' ? '' : `: ${failure.message}`})`);
    const more = failed.length > shown.length ? ` and ${failed.length - shown.length} more` : '';
    throw new StorageError(
      failed.every((failure) => failure.code === 'AccessDenied') ? 'AccessDenied' : 'Unavailable',
      `deleteMany in ${this.name} could not delete ${failed.length} of ${all.length} keys: ${shown.join(', ')}${more}`,
      { key: first.key, cause: failed },
    );
  }

  /**
   * Copies on the server with the content type, disposition, cache control, metadata and SHA-256 kept; objects
   * above the multipart copy threshold (S3 allows CopyObject up to 5 GiB) are copied part by part. See
   * `ObjectStore.copy`.
   */
  async copy(fromKey: string, toKey: string): Promise<ObjectInfo> {
    validateKey(fromKey);
    validateKey(toKey);
    const source = await this.#headObject(fromKey, 'copy');
    if (source === undefined) throw new StorageError('NotFound', `no object "${fromKey}" to copy in ${this.name}`, { key: fromKey });
    return this.#copyObject(fromKey, toKey, objectInfoFromHeaders(fromKey, source.ContentLength ?? 0, source), 'copy');
  }

  /**
   * Pages through ListObjectsV2 (at most 1,000 keys a page, as S3 caps it), asking for the next page while the
   * current one is consumed, so at most two pages are held. A server
   * that repeats a continuation token, or claims more pages without giving one, fails with `Unavailable` rather
   * than looping forever. See `ObjectStore.list`.
   */
  async *list(options: ListOptions = {}): AsyncGenerator<ObjectSummary, void, undefined> {
    const prefix = validatePrefix(options.prefix ?? '');
    const pageSize = options.pageSize ?? 1000;
    if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
      throw new StorageError('InvalidArgument', `pageSize must be a positive integer, not ${pageSize}`);
    }
    const seenTokens = new Set<string>();
    const signedList = this.#leanRequests()?.list;
    // A reader that stops early cancels the page asked for ahead, rather than leave the server working on it and
    // the process waiting for its answer.
    const stopped = new AbortController();
    const signal = options.signal === undefined ? stopped.signal : AbortSignal.any([options.signal, stopped.signal]);
    const fetchPage = (continuation: string | undefined): Promise<ListObjectsV2CommandOutput | ListedPage> => {
      throwIfAborted(options.signal);
      const maxKeys = Math.min(pageSize, 1000);
      if (signedList !== undefined) {
        const page = { prefix, maxKeys, continuationToken: continuation, startAfter: options.startAfter, signal };
        return this.#retried({ operation: 'list' }, 'ListObjectsV2', () => signedList(page), signal);
      }
      return this.#send(
        { operation: 'list' },
        () =>
          new (clientS3().ListObjectsV2Command)({
            Bucket: this.bucket,
            Prefix: prefix === '' ? undefined : prefix,
            MaxKeys: maxKeys,
            ...(continuation === undefined ? { StartAfter: options.startAfter } : { ContinuationToken: continuation }),
          }),
        signal,
      );
    };
    let next: Promise<ListObjectsV2CommandOutput | ListedPage> | undefined = fetchPage(undefined);
    try {
      while (next !== undefined) {
        const page = await next;
        next = undefined;
        if (page.IsTruncated === true) {
          const token = page.NextContinuationToken;
          if (token === undefined || token === '') {
            throw new StorageError('Unavailable', `list of ${this.name} at ${this.#endpoint}: the server said there were more keys but gave no continuation token`);
          }
          if (seenTokens.has(token)) {
            throw new StorageError('Unavailable', `list of ${this.name} at ${this.#endpoint}: the server repeated a continuation token, which would loop forever`);
          }
          seenTokens.add(token);
          // Ask for the next page while this one is consumed: the server's time overlaps the caller's (two pages
          // held at most).
          next = fetchPage(token);
        }
        for (const object of page.Contents ?? []) {
          if (object.Key === undefined) continue;
          yield { key: object.Key, size: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0), etag: object.ETag ?? '""' };
        }
      }
    } finally {
      // A caller that stops early (or a failure) leaves a page in flight: its outcome no longer matters.
      if (next !== undefined) {
        next.catch(() => undefined);
        stopped.abort(new Error('the listing was closed'));
      }
    }
  }

  /**
   * A presigned GET valid for `expiresIn` seconds (at most 7 days, SigV4's limit). The response carries the
   * object's content type (text labelled UTF-8) and, when `disposition` or `filename` is given, a
   * `Content-Disposition` following core's inline policy. Throws `NotFound` for a missing object.
   */
  async signedUrl(key: string, options: SignedUrlOptions): Promise<string> {
    validateKey(key);
    presignLifetime(options.expiresIn, key);
    const object = await this.#headObject(key, 'signedUrl');
    if (object === undefined) throw new StorageError('NotFound', `no object "${key}" to sign in ${this.name}`, { key });
    const contentType = object.ContentType ?? guessContentType(key);
    const wantsDisposition = options.disposition !== undefined || options.filename !== undefined;
    const filename = options.filename ?? key.slice(key.lastIndexOf('/') + 1);
    const command = new (clientS3().GetObjectCommand)({
      Bucket: this.bucket,
      Key: key,
      ResponseContentType: servedContentType(contentType),
      ResponseContentDisposition: wantsDisposition ? contentDisposition(filename, contentType, options.disposition) : undefined,
    });
    try {
      return await presigner().getSignedUrl(this.client, command, { expiresIn: options.expiresIn });
    } catch (error) {
      throw this.#error(error, { operation: 'signedUrl', key });
    }
  }

  /**
   * A presigned PUT for a direct browser upload: the browser must send exactly the returned headers, so the
   * signature binds the content type and the length (S3 refuses any other). The object gets no stored SHA-256,
   * since the server never sees the bytes. Throws `InvalidArgument` for a bad size or lifetime, `TooLarge` when
   * `size` exceeds `maxSize`.
   */
  async presignedPut(
    key: string,
    options: { readonly contentType: string; readonly size: number; readonly expiresIn: number; readonly maxSize?: number | undefined },
  ): Promise<{ readonly url: string; readonly method: 'PUT'; readonly headers: Readonly<Record<string, string>> }> {
    validateKey(key);
    presignLifetime(options.expiresIn, key);
    const size = putSizeLimits(key, options).expected ?? 0;
    const command = new (clientS3().PutObjectCommand)({
      Bucket: this.bucket,
      Key: key,
      ContentType: options.contentType,
      ContentLength: size,
      StorageClass: this.#storageClass,
    });
    try {
      const url = await presigner().getSignedUrl(this.client, command, {
        expiresIn: options.expiresIn,
        signableHeaders: new Set(['content-type', 'content-length']),
      });
      return { url, method: 'PUT', headers: { 'content-type': options.contentType, 'content-length': String(size) } };
    } catch (error) {
      throw this.#error(error, { operation: 'presignedPut', key });
    }
  }

  /** The object's permanent URL in a public bucket; throws `Unsupported` for a private one. See `ObjectStore.publicUrl`. */
  publicUrl(key: string): string {
    validateKey(key);
    if (this.#publicUrlBase === undefined) {
      throw new StorageError('Unsupported', `${this.name} is not public (no public URL configured)`, { key });
    }
    return `${this.#publicUrlBase}/${encodeKeyPath(key)}`;
  }

  async #headObject(key: string, operation: string): Promise<S3ObjectHeaders | undefined> {
    const signedHead = this.#leanRequests()?.head;
    if (signedHead !== undefined) return this.#retried({ operation, key }, 'HeadObject', () => signedHead(key), undefined);
    try {
      return (await this.#sendRaw({ operation, key }, new (clientS3().HeadObjectCommand)({ Bucket: this.bucket, Key: key }), undefined)) as HeadObjectCommandOutput;
    } catch (error) {
      if (isS3NotFound(error) || isStorageError(error, 'NotFound')) return undefined;
      throw this.#error(error, { operation, key });
    }
  }

  /** Copies `source` (whose info is known) to `toKey`, keeping its headers and metadata, in one or many requests. */
  async #copyObject(fromKey: string, toKey: string, source: ObjectInfo, operation: string, ifMatch?: string): Promise<ObjectInfo> {
    const metadata = { ...source.metadata, ...(source.sha256 === undefined ? {} : { [SHA256_METADATA]: source.sha256 }) };
    const headers = {
      ContentType: source.contentType,
      ContentDisposition: source.contentDisposition,
      CacheControl: source.cacheControl,
      Metadata: metadata,
      StorageClass: this.#storageClass,
    };
    const copySource = encodeCopySource(this.bucket, fromKey);
    const context = { operation, key: toKey };
    if (source.size <= this.#multipartCopyThreshold) {
      // REPLACE with the source's own headers: the same result as COPY, and also valid for a copy onto itself.
      const output = await this.#send(
        context,
        () =>
          new (clientS3().CopyObjectCommand)({
            Bucket: this.bucket,
            Key: toKey,
            CopySource: copySource,
            MetadataDirective: 'REPLACE',
            ...headers,
            ...(ifMatch === undefined ? {} : { CopySourceIfMatch: ifMatch }),
          }),
        undefined,
      );
      return { ...source, key: toKey, etag: output.CopyObjectResult?.ETag ?? source.etag, lastModified: output.CopyObjectResult?.LastModified ?? new Date() };
    }
    const created = await this.#send(context, () => new (clientS3().CreateMultipartUploadCommand)({ Bucket: this.bucket, Key: toKey, ...headers }), undefined);
    const uploadId = created.UploadId;
    if (uploadId === undefined) throw new StorageError('Unavailable', `${operation} of "${toKey}": the server gave no upload id`, { key: toKey });
    try {
      const ranges: { partNumber: number; start: number; end: number }[] = [];
      for (let start = 0, partNumber = 1; start < source.size; start += this.#copyPartSize, partNumber++) {
        ranges.push({ partNumber, start, end: Math.min(source.size, start + this.#copyPartSize) - 1 });
      }
      const parts: CompletedPart[] = [];
      let next = 0;
      const worker = async (): Promise<void> => {
        for (let range = ranges[next++]; range !== undefined; range = ranges[next++]) {
          const { partNumber, start, end } = range;
          const output = await this.#send(
            context,
            () =>
              new (clientS3().UploadPartCopyCommand)({
                Bucket: this.bucket,
                Key: toKey,
                UploadId: uploadId,
                PartNumber: partNumber,
                CopySource: copySource,
                CopySourceRange: `bytes=${start}-${end}`,
                // Every part must come from the same version of the source.
                CopySourceIfMatch: source.etag,
              }),
            undefined,
          );
          parts.push({ PartNumber: partNumber, ETag: output.CopyPartResult?.ETag });
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.#queueSize, ranges.length) }, worker));
      parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
      const completed = await this.#send(
        context,
        () => new (clientS3().CompleteMultipartUploadCommand)({ Bucket: this.bucket, Key: toKey, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
        undefined,
      );
      return { ...source, key: toKey, etag: completed.ETag ?? '""', lastModified: new Date() };
    } catch (error) {
      await this.#send(context, () => new (clientS3().AbortMultipartUploadCommand)({ Bucket: this.bucket, Key: toKey, UploadId: uploadId }), undefined).catch(
        () => undefined,
      );
      throw error;
    }
  }

  /**
   * A stream of announced length sent as it is read, in one signed PutObject: no part is held in memory. The body
   * passes its checks (size, SHA-256: see `checkedStream`) before its last byte goes out, so a failing body cuts
   * the request short and S3 stores nothing; when confirming, the ETag must be the MD5 of the bytes sent. The
   * SHA-256 goes into the metadata up front when the caller gave it; otherwise it is recorded afterwards by a
   * server-side copy onto itself, made only if the object is still the one just stored (`CopySourceIfMatch`).
   */
  async #putWhole(put: AnnouncedPut): Promise<PutResult> {
    const { key, limits, options, params, info } = put;
    const { answer, digest } = await this.#sendChecked(put, (bodyStream, signal) => ({
      key,
      body: bodyStream,
      size: limits.expected ?? 0,
      sha256: undefined,
      contentType: params.ContentType,
      contentDisposition: params.ContentDisposition,
      cacheControl: params.CacheControl,
      metadata: params.Metadata,
      storageClass: params.StorageClass,
      ifNoneMatch: put.createOnly ? '*' : undefined,
      signal,
    }));
    const confirmed = digest.md5 === undefined ? undefined : await this.#confirmUpload(key, answer, singleUploadEtag(digest.md5));
    const uploaded = info(answer.ETag, digest.size, digest.sha256);
    const recorded = options.sha256 === undefined ? await this.#copyObject(key, key, uploaded, 'put', answer.ETag) : uploaded;
    return confirmed === undefined ? { ...recorded, sha256: digest.sha256 } : { ...recorded, sha256: digest.sha256, confirmed };
  }

  /**
   * Sends `body` through `checkedStream` in the signed request `toRequest` makes, and resolves with the answer and
   * what the body held once it passed every check. A body that fails a check, fails itself or is aborted tears
   * the request down and rejects with that failure, a `StorageError`.
   */
  async #sendChecked(
    put: AnnouncedPut,
    toRequest: (body: Readable, signal: AbortSignal) => SignedPutInput,
  ): Promise<{ readonly answer: SignedPutOutput; readonly digest: CheckedDigest }> {
    const { key, body, limits, options } = put;
    const { signal } = options;
    const stop = new AbortController();
    const checked = checkedStream({
      body,
      limits,
      expectedSha256: options.sha256,
      sha256: this.#sha256,
      md5: options.confirm === true ? this.#md5 : undefined,
      signal,
      onFailure: (error) => {
        stop.abort(error);
      },
    });
    let answer: SignedPutOutput;
    try {
      answer = await put.signedPut(toRequest(checked.readable, signal === undefined ? stop.signal : AbortSignal.any([signal, stop.signal])));
    } catch (error) {
      checked.readable.destroy();
      const failure = checked.failure();
      if (failure !== undefined) throw failure;
      if (signal?.aborted === true) throw abortedError(key, signal.reason);
      throw this.#error(error, put.context);
    }
    const digest = checked.digest();
    if (digest === undefined) throw new StorageError('IntegrityError', `${this.name} answered the upload of "${key}" before its body ended`, { key });
    return { answer, digest };
  }

  /**
   * `#putWhole` for a server that keeps what an interrupted PutObject carried (`interruptedPutsKept`): the body goes
   * up as the single part of a multipart upload, whose unfinished parts are never visible. It is completed only once
   * the body passed its checks and, when confirming, the part's ETag is the MD5 of the bytes sent. Failing that,
   * the upload is aborted and the old object stays.
   */
  async #putStreamed(put: AnnouncedPut): Promise<PutResult> {
    const { key, limits, options, context, info } = put;
    const { signal } = options;
    const confirm = options.confirm === true;
    const created = await this.#send(context, () => new (clientS3().CreateMultipartUploadCommand)(put.params), signal);
    const uploadId = created.UploadId;
    if (uploadId === undefined) throw new StorageError('Unavailable', `put of "${key}": the server gave no upload id`, { key });
    let completed: CompleteMultipartUploadCommandOutput;
    let digest: CheckedDigest;
    let partConfirmed = false;
    try {
      const sent = await this.#sendChecked(put, (bodyStream, partSignal) => ({
        key,
        query: { partNumber: '1', uploadId },
        body: bodyStream,
        size: limits.expected ?? 0,
        sha256: undefined,
        signal: partSignal,
      }));
      const part = sent.answer;
      digest = sent.digest;
      if (digest.md5 !== undefined && this.#etagIsMd5 && etagIsComparable(part)) {
        if (bareEtag(part.ETag) !== singleUploadEtag(digest.md5)) {
          throw new StorageError('IntegrityError', `${this.name} answered the upload of "${key}" with ETag ${part.ETag ?? ''}, not the MD5 of the bytes sent`, { key });
        }
        partConfirmed = true;
      }
      completed = await this.#send(
        context,
        () =>
          new (clientS3().CompleteMultipartUploadCommand)({
            Bucket: this.bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
            ...(put.createOnly ? { IfNoneMatch: '*' } : {}),
          }),
        undefined,
      );
    } catch (error) {
      await this.#send(context, () => new (clientS3().AbortMultipartUploadCommand)({ Bucket: this.bucket, Key: key, UploadId: uploadId }), undefined).catch(() => undefined);
      throw error;
    }
    // The part's ETag proved the bytes; the completion only assembles them on the server. Its ETag is S3's
    // multipart form, or on some servers (s3rver) the MD5 of the whole, here the part's: either confirms the object.
    // Another form is no evidence either way (servers differ), so it leaves the put unconfirmed, not failed.
    const completedEtag = etagIsComparable(completed) ? bareEtag(completed.ETag) : undefined;
    const confirmed =
      partConfirmed &&
      digest.md5 !== undefined &&
      completedEtag !== undefined &&
      (completedEtag === multipartUploadEtag([digest.md5], this.#md5) || completedEtag === singleUploadEtag(digest.md5));
    const uploaded = info(completed.ETag, digest.size, digest.sha256);
    if (options.sha256 !== undefined) return confirm ? { ...uploaded, confirmed } : uploaded;
    const recorded = await this.#copyObject(key, key, uploaded, 'put', completed.ETag);
    // The copy is made on the server from the object just completed (and confirmed), and only from that one.
    return confirm ? { ...recorded, sha256: digest.sha256, confirmed } : { ...recorded, sha256: digest.sha256 };
  }

  /**
   * Whether the upload's answer proves the bytes: `true` when its ETag is the expected MD5 form, `false` when the
   * answer cannot tell (no ETag, an encrypted object, or a server whose ETags are not MD5s). An ETag that can tell
   * and differs means the server holds other bytes than were sent: the object is removed, so nothing takes it for
   * this put's object, and the put fails with `IntegrityError`.
   */
  async #confirmUpload(key: string, answer: UploadAnswer, expected: string): Promise<boolean> {
    if (!this.#etagIsMd5 || !etagIsComparable(answer)) return false;
    if (bareEtag(answer.ETag) === expected) return true;
    await this.delete(key).catch(() => undefined);
    throw new StorageError(
      'IntegrityError',
      `${this.name} answered the upload of "${key}" with ETag ${answer.ETag ?? ''}, not "${expected}" (the MD5 of the bytes sent); the object was removed`,
      { key },
    );
  }

  #error(error: unknown, context: { operation: string; key?: string | undefined; createOnly?: boolean | undefined }): StorageError {
    return toStorageError(error, { ...context, store: this.name, endpoint: this.#endpoint });
  }

  /** Sends a freshly made command under the retry strategy, mapping the final failure. */
  async #send<C extends object>(
    context: { operation: string; key?: string | undefined; createOnly?: boolean | undefined },
    makeCommand: () => C,
    signal: AbortSignal | undefined,
  ): Promise<CommandOutput<C>> {
    return (await this.#sendRaw(context, makeCommand(), signal)) as CommandOutput<C>;
  }

  async #sendRaw(
    context: { operation: string; key?: string | undefined; createOnly?: boolean | undefined },
    command: object,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const client = this.client as unknown as { send: AnySend };
    return this.#retried(context, command.constructor.name, () => client.send(command, { abortSignal: signal }), signal);
  }

  /** Runs one request under the retry strategy, mapping the final failure. */
  async #retried<T>(
    context: { operation: string; key?: string | undefined; createOnly?: boolean | undefined },
    request: string,
    attempt: () => Promise<T>,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    try {
      return await withRetries(this.#retryStrategy, `${context.operation}:${request}`, attempt, { signal, onRetry: this.#onRetry });
    } catch (error) {
      if (signal?.aborted === true) throw abortedError(context.key, signal.reason);
      throw this.#error(error, context);
    }
  }
}

/** `S3Client.send` seen without its per-command generics, so one helper can send any command. */
type AnySend = (command: object, options: { readonly abortSignal?: AbortSignal | undefined }) => Promise<unknown>;

type CommandOutput<C> = C extends { resolveMiddleware: (...args: never[]) => infer H }
  ? H extends (...args: never[]) => Promise<{ output: infer O }>
    ? O
    : never
  : never;

function presignLifetime(expiresIn: number, key: string): void {
  if (!Number.isSafeInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_PRESIGN_SECONDS) {
    throw new StorageError('InvalidArgument', `expiresIn must be 1 to ${MAX_PRESIGN_SECONDS} seconds, not ${expiresIn}`, { key });
  }
}

/** S3 lower-cases metadata names on the wire; doing it up front keeps `ObjectInfo.metadata` identical everywhere. */
function lowerCaseNames(metadata: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const lowered: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata ?? {})) {
    if (name.toLowerCase() !== SHA256_METADATA) lowered[name.toLowerCase()] = value;
  }
  return lowered;
}

function digestOf(bytes: Uint8Array, make: () => StreamingHash): Uint8Array {
  const hash = make();
  hash.update(bytes);
  return hash.digest();
}

/**
 * Reads a stream whose length was announced (and fits in one part) into one array of that length: the one chunk
 * itself when the producer hands the whole body at once. Fails as soon as the body runs past the announced size
 * or the limit, and releases the producer on any failure.
 */
async function readAnnounced(body: Body, limits: SizeLimits, signal: AbortSignal | undefined): Promise<Uint8Array> {
  const { key } = limits;
  const expected = limits.expected ?? 0;
  const chunks = new BodyReader(body, signal, key);
  let whole: Uint8Array | undefined;
  let gathered: Uint8Array | undefined;
  let received = 0;
  try {
    for (;;) {
      const step = await chunks.next();
      if (step.done === true) break;
      const chunk = step.value;
      const at = received;
      received += chunk.byteLength;
      checkReceivedSize(limits, received);
      if (at === 0 && chunk.byteLength === expected && whole === undefined) {
        whole = chunk;
        continue;
      }
      if (gathered === undefined) {
        gathered = new Uint8Array(expected);
        if (whole !== undefined) gathered.set(whole, 0);
        whole = undefined;
      }
      gathered.set(chunk, at);
    }
    checkFinalSize(limits, received);
    return whole ?? gathered?.subarray(0, received) ?? new Uint8Array(0);
  } catch (error) {
    chunks.return().catch(() => undefined);
    throw error;
  }
}
