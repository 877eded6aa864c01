import { DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { GetObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { RetryStrategyV2 } from '@smithy/types';
import {
  StorageError,
  abortedError,
  checkFinalSize,
  checkReceivedSize,
  contentDisposition,
  encodeKeyPath,
  guessContentType,
  isStorageError,
  knownBodySize,
  putSizeLimits,
  resolveRange,
  servedContentType,
  throwIfAborted,
  validateKey,
} from '@stowage/core';
import type {
  Body,
  GetOptions,
  GetResult,
  ListOptions,
  ObjectInfo,
  ObjectStore,
  ObjectSummary,
  PutOptions,
  PutResult,
  S3Settings,
  S3StorageClass,
  Sha256Factory,
  SignedUrlOptions,
} from '@stowage/core';
import { nodeSha256 } from '@stowage/core/node';
import {
  bareEtag,
  etagIsComparable,
  multipartUploadEtag,
  nodeMd5,
  quotedEtag,
  singleUploadEtag,
} from './etag-check.ts';
import type { Md5Factory, UploadAnswer } from './etag-check.ts';
import { copyObject, headObject, recordSha256 } from './object-copy.ts';
import type { CopySettings } from './object-copy.ts';
import { SHA256_METADATA, objectInfoFromHeaders } from './object-info.ts';
import { listObjects } from './list-objects.ts';
import { guardBody, parseContentRange, rangeHeader } from './object-read.ts';
import { withoutChecksums } from './presign.ts';
import { publicUrlBase } from './public-url.ts';
import type { RetryListener } from './retry.ts';
import { createS3Client, s3EndpointUrl } from './s3-client.ts';
import type { S3ClientOptions } from './s3-client.ts';
import { S3Requests } from './s3-requests.ts';
import { streamingPut } from './streaming-put.ts';
import { readAnnounced, wholePut } from './whole-put.ts';

const MIB = 1024 * 1024;

/** S3's largest single PutObject and CopyObject. */
export const S3_MAX_SINGLE_COPY_BYTES: number = 5 * 1024 * MIB;
/** S3's smallest part (except the last). */
export const S3_MIN_PART_BYTES: number = 5 * MIB;
const MAX_DELETE_BATCH = 1000;
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
const DEFAULT_RETRY_DEADLINE_MS = 50_000;

/** Features some S3-compatible servers lack; each names why, and the store answers `Unsupported` or works around it. */
export interface S3ServerLimitations {
  /** Set when `Range: bytes=-N` does not return the last N bytes, e.g. "s3rver 3.7.1 reads it as bytes=0-N". */
  readonly suffixRanges?: string | undefined;
  /** Set when PutObject ignores `If-None-Match: *`, e.g. "s3rver 3.7.1 ignores If-None-Match". */
  readonly createOnly?: string | undefined;
  /**
   * Set when the server stores what an interrupted PutObject carried (S3 stores nothing), e.g. "s3rver 3.7.1 keeps
   * the bytes received". Every put then goes up in a multipart upload, which shows nothing until it is completed,
   * once the body passed its checks: two more requests per put.
   */
  readonly interruptedPutsKept?: string | undefined;
  /**
   * Set when CopyObject and UploadPartCopy ignore `x-amz-copy-source-if-match`, e.g. "Ceph 16.2 ignores it". A copy
   * that must come from one version of its source then checks the source's ETag itself, with a HEAD.
   */
  readonly copySourceConditions?: string | undefined;
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
  /** The endpoint named when it cannot be reached; defaults to "S3". */
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
  /** Decides which failures are retried and how long to wait; defaults to the SDK's standard strategy (3 attempts). */
  readonly retryStrategy?: RetryStrategyV2 | undefined;
  /**
   * Time from a request's first attempt within which it succeeds or fails for good; a retry that could not end
   * within it (judging by the failed attempt) is not made. Defaults to 50 s.
   */
  readonly retryDeadlineMs?: number | undefined;
  /** Told about each retry before it happens. */
  readonly onRetry?: RetryListener | undefined;
  /** The SHA-256 used for stored checksums; defaults to Node's native one. */
  readonly sha256?: Sha256Factory | undefined;
  /** What the server behind the client cannot do. */
  readonly limitations?: S3ServerLimitations | undefined;
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
export type S3StoreFromSettingsOptions = Omit<
  S3StoreOptions,
  'client' | 'bucket' | 'publicUrlBase' | 'storageClass' | 'endpoint'
> &
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

/**
 * An `ObjectStore` over one S3 bucket, every request through `@aws-sdk/client-s3`'s `client.send` (plus lib-storage
 * and the presigner). Bytes in hand, or a stream announced to fit in one part, go up in one PutObject; any other
 * stream through `@aws-sdk/lib-storage` in bounded memory. Each object carries its SHA-256 in the user metadata
 * `stowage-sha256`. Every request runs under the SDK's retry strategy (see `S3Requests`), except a body that cannot
 * be replayed. Every failure is a `StorageError` made by `toStorageError`.
 */
export class S3Store implements ObjectStore {
  /** `s3://BUCKET` unless named otherwise; used in every error message. */
  readonly name: string;
  /** The one bucket this store reads and writes. */
  readonly bucket: string;
  readonly #requests: S3Requests;
  readonly #publicUrlBase: string | undefined;
  readonly #storageClass: S3StorageClass | undefined;
  readonly #partSize: number;
  readonly #queueSize: number;
  readonly #copy: CopySettings;
  readonly #sha256: Sha256Factory;
  readonly #limitations: S3ServerLimitations;
  readonly #md5: Md5Factory;
  readonly #etagIsMd5: boolean;

  constructor(options: S3StoreOptions) {
    this.bucket = options.bucket;
    this.name = options.name ?? `s3://${options.bucket}`;
    this.#requests = new S3Requests({
      client: options.client,
      name: this.name,
      endpoint: options.endpoint ?? 'S3',
      retryStrategy: options.retryStrategy,
      onRetry: options.onRetry,
      retryDeadlineMs: positiveOption(options.retryDeadlineMs, DEFAULT_RETRY_DEADLINE_MS, 'retryDeadlineMs'),
    });
    this.#publicUrlBase = options.publicUrlBase?.replace(/\/+$/u, '');
    this.#storageClass = options.storageClass;
    this.#partSize = positiveOption(options.partSize, 5 * MIB, 'partSize', S3_MIN_PART_BYTES);
    this.#queueSize = positiveOption(options.queueSize, 4, 'queueSize');
    this.#sha256 = options.sha256 ?? nodeSha256;
    this.#limitations = options.limitations ?? {};
    this.#md5 = options.md5 ?? nodeMd5;
    this.#etagIsMd5 = options.etagIsMd5 ?? true;
    this.#copy = {
      bucket: this.bucket,
      storageClass: this.#storageClass,
      multipartCopyThreshold: positiveOption(
        options.multipartCopyThreshold,
        S3_MAX_SINGLE_COPY_BYTES,
        'multipartCopyThreshold',
      ),
      copyPartSize: positiveOption(options.copyPartSize, 512 * MIB, 'copyPartSize'),
      queueSize: this.#queueSize,
      copySourceConditionsIgnored: this.#limitations.copySourceConditions,
    };
  }

  /** The SDK client the requests go through (given, or built from settings when first needed). */
  get client(): S3Client {
    return this.#requests.client;
  }

  /** Closes the client's connections, if the client was ever made. */
  destroy(): void {
    this.#requests.destroy();
  }

  /**
   * The store for the uploads (private) or avatars (public) bucket of Zulip-style settings, with a client built
   * by `createS3Client` unless one is given; `S3_KEEPS_INTERRUPTED_UPLOADS` declares `interruptedPutsKept`. The
   * avatars store is public: `publicUrl` uses `S3_AVATAR_PUBLIC_URL_PREFIX`, else the endpoint and addressing
   * style. Uploads use `S3_UPLOADS_STORAGE_CLASS`.
   */
  static fromSettings(settings: S3Settings, role: S3BucketRole, options: S3StoreFromSettingsOptions = {}): S3Store {
    const bucket = role === 'uploads' ? settings.uploadsBucket : settings.avatarsBucket;
    return new S3Store({
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
  }

  /**
   * Stores the body; see `ObjectStore.put`. Bytes in hand, or a stream announced to fit in one part, are checked
   * (size, SHA-256) before anything is sent, then sent in one retried PutObject; any other stream goes through
   * `streamingPut`, which checks before the object is committed. Either way a failure leaves the previous object
   * untouched.
   */
  async put(key: string, body: Body, options: PutOptions = {}): Promise<PutResult> {
    validateKey(key);
    const limits = putSizeLimits(key, options);
    throwIfAborted(options.signal, key);
    const signal = ownSignal(options.signal);
    const createOnly = options.ifNoneMatch === '*';
    if (createOnly && this.#limitations.createOnly !== undefined) {
      throw new StorageError(
        'Unsupported',
        `${this.name} cannot make create-only puts: ${this.#limitations.createOnly}`,
        { key },
      );
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
    const interruptedPutsKept = this.#limitations.interruptedPutsKept !== undefined;

    const wholeSize =
      knownBodySize(body) ??
      (limits.expected !== undefined && limits.expected <= this.#partSize ? limits.expected : undefined);
    if (wholeSize !== undefined) {
      const bytes =
        typeof body === 'string'
          ? new TextEncoder().encode(body)
          : body instanceof Uint8Array
            ? body
            : await readAnnounced(body, limits, signal);
      checkReceivedSize(limits, bytes.byteLength);
      checkFinalSize(limits, bytes.byteLength);
      const sent = await wholePut({
        requests: this.#requests,
        bytes,
        params,
        context,
        expectedSha256: options.sha256,
        createOnly,
        sha256: this.#sha256,
        md5: confirm ? this.#md5 : undefined,
        interruptedPutsKept,
        signal,
      });
      const etag = await this.#storedEtag(key, sent.answer.ETag);
      const stored = info(etag, bytes.byteLength, sent.sha256);
      if (sent.md5 === undefined) return stored;
      const expected = sent.multipart ? multipartUploadEtag([sent.md5], this.#md5) : singleUploadEtag(sent.md5);
      return { ...stored, confirmed: await this.#confirmUpload(key, sent.answer, expected) };
    }

    // A SHA-256 known up front rides along with the upload; the body is checked against it before it completes.
    const streamedParams =
      options.sha256 === undefined
        ? params
        : { ...params, Metadata: { ...params.Metadata, [SHA256_METADATA]: options.sha256 } };
    let result;
    try {
      result = await streamingPut({
        requests: this.#requests,
        context,
        key,
        body,
        params: streamedParams,
        limits,
        expectedSha256: options.sha256,
        createOnly,
        partSize: this.#partSize,
        queueSize: this.#queueSize,
        sha256: this.#sha256,
        md5: confirm ? this.#md5 : undefined,
        signal,
      });
    } catch (error) {
      if (signal?.aborted === true && !isStorageError(error)) throw abortedError(key, signal.reason);
      throw this.#requests.error(error, context);
    }
    const etag = await this.#storedEtag(key, result.etag);
    const uploaded = info(etag, result.size, result.sha256);
    const parts = result.partMd5s;
    const confirmed =
      parts === undefined
        ? undefined
        : await this.#confirmUpload(
            key,
            { ...result, ETag: etag },
            result.multipart
              ? multipartUploadEtag(parts, this.#md5)
              : singleUploadEtag(parts[0] ?? this.#md5().digest()),
          );
    if (!result.multipart || options.sha256 !== undefined)
      return confirmed === undefined ? uploaded : { ...uploaded, confirmed };
    // A multipart upload's metadata is fixed when it starts, before the hash is known: record the hash by replacing
    // the metadata with a server-side copy onto itself, made only while the object is the one just stored. The bytes
    // never travel again.
    const recorded = (await recordSha256(this.#requests, this.#copy, uploaded, 'put')) ?? uploaded;
    return { ...recorded, sha256: result.sha256, ...(confirmed === undefined ? {} : { confirmed }) };
  }

  /**
   * The ETag of the object an upload just stored, quoted as HEAD gives it; a server that answered with none (Ceph
   * after CompleteMultipartUpload) is asked with a HEAD.
   */
  async #storedEtag(key: string, answered: string | undefined): Promise<string> {
    return quotedEtag(answered) ?? (await headObject(this.#requests, this.bucket, key, 'put'))?.ETag ?? '""';
  }

  /** Opens the object, or a range of it; see `ObjectStore.get`. */
  async get(key: string, options: GetOptions = {}): Promise<GetResult> {
    validateKey(key);
    const { range } = options;
    throwIfAborted(options.signal, key);
    const signal = ownSignal(options.signal);
    if (range !== undefined) {
      // Checks the range's form only (the size is not known yet); the server judges it against the object.
      resolveRange(range, Number.MAX_SAFE_INTEGER, key);
      if ('suffix' in range && this.#limitations.suffixRanges !== undefined) {
        throw new StorageError(
          'Unsupported',
          `${this.name} cannot read suffix ranges: ${this.#limitations.suffixRanges}`,
          { key },
        );
      }
    }
    const context = { operation: 'get', key };
    const output: GetObjectCommandOutput = await this.#requests.send(
      context,
      () =>
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Range: range === undefined ? undefined : rangeHeader(range),
        }),
      signal,
    );
    if (output.Body === undefined)
      throw new StorageError('Unavailable', `get of "${key}" in ${this.name} returned no body`, { key });
    const contentRange = range === undefined ? undefined : parseContentRange(output.ContentRange);
    const size = contentRange?.total ?? output.ContentLength ?? 0;
    const body = guardBody(output.Body, key, signal, (error) => this.#requests.error(error, context));
    return {
      ...objectInfoFromHeaders(key, size, output),
      body,
      range: contentRange === undefined ? undefined : { start: contentRange.start, end: contentRange.end },
    };
  }

  /** See `ObjectStore.head`; both `NotFound` (HEAD) and `NoSuchKey` answers mean "no object". */
  async head(key: string): Promise<ObjectInfo | undefined> {
    validateKey(key);
    const output = await headObject(this.#requests, this.bucket, key, 'head');
    return output === undefined ? undefined : objectInfoFromHeaders(key, output.ContentLength ?? 0, output);
  }

  /** See `ObjectStore.delete`. */
  async delete(key: string): Promise<void> {
    validateKey(key);
    try {
      await this.#requests.send(
        { operation: 'delete', key },
        () => new DeleteObjectCommand({ Bucket: this.bucket, Key: key }),
        undefined,
      );
    } catch (error) {
      if (!isStorageError(error, 'NotFound')) throw error;
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
      const output = await this.#requests.send(
        { operation: 'deleteMany' },
        () =>
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((key) => ({ Key: key })), Quiet: true },
          }),
        undefined,
      );
      for (const error of output.Errors ?? []) {
        if (error.Code === 'NoSuchKey') continue;
        failed.push({ key: error.Key ?? '?', code: error.Code ?? 'Error', message: error.Message ?? '' });
      }
    }
    const first = failed[0];
    if (first === undefined) return;
    const shown = failed
      .slice(0, 10)
      .map((failure) => `"${failure.key}" (${failure.code}${failure.message === '' ? '' : `: ${failure.message}`})`);
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
    const source = await headObject(this.#requests, this.bucket, fromKey, 'copy');
    if (source === undefined)
      throw new StorageError('NotFound', `no object "${fromKey}" to copy in ${this.name}`, { key: fromKey });
    return copyObject(
      this.#requests,
      this.#copy,
      fromKey,
      toKey,
      objectInfoFromHeaders(fromKey, source.ContentLength ?? 0, source),
      'copy',
    );
  }

  /**
   * Pages through ListObjectsV2 (at most 1,000 keys a page, as S3 caps it), asking for the next page while the
   * current one is consumed, so at most two pages are held. A server
   * that repeats a continuation token, or claims more pages without giving one, fails with `Unavailable` rather
   * than looping forever. See `ObjectStore.list`.
   */
  list(options: ListOptions = {}): AsyncGenerator<ObjectSummary, void, undefined> {
    return listObjects(this.#requests, this.bucket, options);
  }

  /**
   * A presigned GET valid for `expiresIn` seconds (at most 7 days, SigV4's limit). The response carries the
   * object's content type (text labelled UTF-8) and, when `disposition` or `filename` is given, a
   * `Content-Disposition` following core's inline policy. Throws `NotFound` for a missing object.
   */
  async signedUrl(key: string, options: SignedUrlOptions): Promise<string> {
    validateKey(key);
    presignLifetime(options.expiresIn, key);
    const object = await headObject(this.#requests, this.bucket, key, 'signedUrl');
    if (object === undefined) throw new StorageError('NotFound', `no object "${key}" to sign in ${this.name}`, { key });
    const contentType = object.ContentType ?? guessContentType(key);
    const wantsDisposition = options.disposition !== undefined || options.filename !== undefined;
    const filename = options.filename ?? key.slice(key.lastIndexOf('/') + 1);
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ResponseContentType: servedContentType(contentType),
      ResponseContentDisposition: wantsDisposition
        ? contentDisposition(filename, contentType, options.disposition)
        : undefined,
    });
    try {
      return await getSignedUrl(this.client, command, { expiresIn: options.expiresIn });
    } catch (error) {
      throw this.#requests.error(error, { operation: 'signedUrl', key });
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
    options: {
      readonly contentType: string;
      readonly size: number;
      readonly expiresIn: number;
      readonly maxSize?: number | undefined;
    },
  ): Promise<{ readonly url: string; readonly method: 'PUT'; readonly headers: Readonly<Record<string, string>> }> {
    validateKey(key);
    presignLifetime(options.expiresIn, key);
    const size = putSizeLimits(key, options).expected ?? 0;
    const command = withoutChecksums(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ContentType: options.contentType,
        ContentLength: size,
        StorageClass: this.#storageClass,
      }),
    );
    try {
      const url = await getSignedUrl(this.client, command, {
        expiresIn: options.expiresIn,
        signableHeaders: new Set(['content-type', 'content-length']),
      });
      return { url, method: 'PUT', headers: { 'content-type': options.contentType, 'content-length': String(size) } };
    } catch (error) {
      throw this.#requests.error(error, { operation: 'presignedPut', key });
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

  /**
   * Whether the upload's answer proves the bytes: `true` when its ETag is the expected MD5 form, `false` when the
   * answer cannot tell (no ETag, an encrypted object, or a server whose ETags are not MD5s). An ETag that can tell
   * and differs means the server holds other bytes than were sent: the object is removed, so nothing takes it for
   * this put's object, and the put fails with `IntegrityError`.
   */
  async #confirmUpload(key: string, answer: UploadAnswer, expected: string): Promise<boolean> {
    if (!this.#etagIsMd5 || !etagIsComparable(answer)) return false;
    const etag = bareEtag(answer.ETag);
    if (etag === expected) return true;
    // A multipart upload's ETag in another form than S3's (s3rver gives the MD5 of the whole) proves nothing either way.
    if (expected.includes('-') && etag?.includes('-') !== true) return false;
    await this.delete(key).catch(() => undefined);
    throw new StorageError(
      'IntegrityError',
      `${this.name} answered the upload of "${key}" with ETag ${answer.ETag ?? ''}, not "${expected}" (the MD5 of the bytes sent); the object was removed`,
      { key },
    );
  }
}

/**
 * A signal of the operation's own that follows the caller's: what listens for an abort (the SDK, once per request;
 * a body reader) listens on it, so a caller's signal shared by many operations gathers no listeners
 * (MaxListenersExceededWarning), and none stay on it after the operation.
 */
function ownSignal(signal: AbortSignal | undefined): AbortSignal | undefined {
  return signal === undefined ? undefined : AbortSignal.any([signal]);
}

function presignLifetime(expiresIn: number, key: string): void {
  if (!Number.isSafeInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_PRESIGN_SECONDS) {
    throw new StorageError(
      'InvalidArgument',
      `expiresIn must be 1 to ${MAX_PRESIGN_SECONDS} seconds, not ${expiresIn}`,
      { key },
    );
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
