import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import type {
  AbortMultipartUploadCommandInput,
  CompleteMultipartUploadCommandInput,
  CopyObjectCommandInput,
  CreateMultipartUploadCommandInput,
  DeleteObjectCommandInput,
  DeleteObjectsCommandInput,
  GetObjectCommandInput,
  HeadBucketCommandInput,
  HeadObjectCommandInput,
  ListMultipartUploadsCommandInput,
  ListObjectsV2CommandInput,
  ListPartsCommandInput,
  PutObjectCommandInput,
  UploadPartCommandInput,
  UploadPartCopyCommandInput,
} from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { fakeS3Error } from './fake-s3-errors.ts';
import { FaultSchedule } from './faults.ts';
import { presignedUrlProblem } from './presigned-url.ts';
import type { SigningCredentials } from './presigned-url.ts';

const MIB = 1024 * 1024;

/** One object as the fake holds it. */
export interface FakeObject {
  /** The stored bytes (never shared with a caller's buffer). */
  readonly body: Uint8Array;
  /** Quoted MD5 hex for a single PUT or copy; `"md5-of-part-md5s-N"` after a multipart upload, as S3 does. */
  readonly etag: string;
  readonly lastModified: Date;
  /** `binary/octet-stream` when none was given, as S3 answers. */
  readonly contentType: string;
  readonly contentDisposition: string | undefined;
  readonly cacheControl: string | undefined;
  readonly storageClass: string | undefined;
  /** Lower-case names, as S3 returns them. */
  readonly metadata: Readonly<Record<string, string>>;
}

interface FakePart {
  readonly body: Uint8Array;
  readonly etag: string;
  readonly md5: Buffer;
}

interface FakeUpload {
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
  readonly initiated: Date;
  readonly headers: Omit<FakeObject, 'body' | 'etag' | 'lastModified'>;
  readonly parts: Map<number, FakePart>;
}

export interface FakeS3Options {
  /** Buckets that exist; defaults to `['fake-bucket']`. Any other bucket answers `NoSuchBucket`. */
  readonly buckets?: readonly string[] | undefined;
  /** Seed of the fault schedule's generator; defaults to 1. */
  readonly seed?: number | undefined;
  /** Smallest part but the last, as S3 enforces it at completion; defaults to 5 MiB. */
  readonly minPartSize?: number | undefined;
  /** Largest source CopyObject accepts; defaults to 5 GiB. Lower it to exercise multipart copies. */
  readonly maxCopySize?: number | undefined;
  /** Whether `If-None-Match: *` is honoured (S3 does since 2024); `false` ignores it, as some servers do. */
  readonly honoursIfNoneMatch?: boolean | undefined;
  /** A provider bug: answer every truncated listing with the same continuation token. */
  readonly repeatsContinuationToken?: boolean | undefined;
  /**
   * Whether CopyObject and UploadPartCopy honour `x-amz-copy-source-if-match` (S3 does); `false` ignores it, as
   * Ceph 16.2's RADOS Gateway does.
   */
  readonly honoursCopySourceConditions?: boolean | undefined;
  /** Answer CopyObject and UploadPartCopy with a bare ETag and CompleteMultipartUpload with none, as Ceph 16.2 does. */
  readonly bareEtagAnswers?: boolean | undefined;
}

/** A request to a presigned URL, as a browser would send it. */
export interface FakeFetchInit {
  /** `GET` (default) or `PUT`. */
  readonly method?: string | undefined;
  /** Headers as sent; the signed ones must carry the signed values. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** The body of a PUT. */
  readonly body?: Uint8Array | string | undefined;
  /** When the request arrives; defaults to now. Set it to test expiry without waiting. */
  readonly now?: Date | undefined;
}

function s3ErrorResponse(status: number, code: string, message: string): Response {
  return new Response(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
    {
      status,
      headers: { 'content-type': 'application/xml' },
    },
  );
}

/** What a put-like request may carry as a body. */
type FakeBody = Uint8Array | string | Readable | ReadableStream<Uint8Array> | Blob | undefined;

async function readBody(body: FakeBody): Promise<Uint8Array> {
  if (body === undefined) return new Uint8Array();
  if (typeof body === 'string') return new TextEncoder().encode(body);
  // Copied: the caller may reuse its buffer once the request completes, as a real socket write allows.
  if (body instanceof Uint8Array) return body.slice();
  if (body instanceof Blob) return new Uint8Array(await body.arrayBuffer());
  const chunks: Uint8Array[] = [];
  const iterable: AsyncIterable<Uint8Array> = body instanceof Readable ? body : body;
  for await (const chunk of iterable) chunks.push(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk);
  return Buffer.concat(chunks);
}

function md5(bytes: Uint8Array): Buffer {
  return createHash('md5').update(bytes).digest();
}

/** Orders keys by UTF-8 bytes, as S3 lists them. */
function compareKeys(left: string, right: string): number {
  return Buffer.compare(Buffer.from(left, 'utf8'), Buffer.from(right, 'utf8'));
}

function lowerCaseMetadata(metadata: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
}

/** A body stream as the SDK returns it on Node: a Readable with `transformToByteArray` and friends. */
function responseBody(bytes: Uint8Array): ReturnType<typeof sdkStreamMixin> {
  const chunkSize = 64 * 1024;
  function* chunks(): Generator<Buffer> {
    for (let offset = 0; offset < bytes.byteLength; offset += chunkSize) {
      yield Buffer.from(bytes.subarray(offset, offset + chunkSize));
    }
  }
  return sdkStreamMixin(Readable.from(chunks()));
}

/** Parses `bytes=A-B`, `bytes=A-` or `bytes=-N` against `size`; `undefined` for a header S3 would ignore. */
function parseRange(header: string, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/u.exec(header.trim());
  if (match === null) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

/** Splits a `CopySource` (`bucket/key`, percent-encoded, optionally with a leading slash and a version). */
function parseCopySource(copySource: string): { bucket: string; key: string } {
  const withoutVersion = copySource.replace(/\?versionId=.*$/u, '').replace(/^\//u, '');
  const slash = withoutVersion.indexOf('/');
  if (slash <= 0)
    throw fakeS3Error(
      'InvalidArgument',
      400,
      'Copy Source must mention the source bucket and key: sourcebucket/sourcekey',
    );
  try {
    return {
      bucket: decodeURIComponent(withoutVersion.slice(0, slash)),
      key: decodeURIComponent(withoutVersion.slice(slash + 1)),
    };
  } catch {
    throw fakeS3Error('InvalidArgument', 400, 'Invalid copy source encoding');
  }
}

/**
 * An in-memory S3 behind a real `S3Client` whose `send` is replaced by `aws-sdk-client-mock`. It answers the way S3
 * does: pages of at most 1,000 keys in UTF-8 order with opaque continuation tokens and `StartAfter`; ranges
 * including suffixes and 416 `InvalidRange`; multipart uploads (create, upload, upload-copy, complete with part and
 * size checks, abort, ListParts, ListMultipartUploads); CopyObject with COPY/REPLACE metadata and S3's refusal of a
 * pointless self-copy; batch deletes with per-key errors; `If-None-Match: *`; the SDK's own exception classes and
 * HTTP status codes. Faults (500, 503 SlowDown, dropped connections, timeouts, latency) are injected on a schedule.
 *
 * What it cannot prove: SDK middleware never runs on a mocked `send` (no serialization, signing, checksums,
 * retries inside the client, or timeouts), so those are proven against a real server.
 */
export class FakeS3 {
  /** The client to hand to the code under test. Presigning works on it (it signs with fake credentials). */
  readonly client: S3Client;
  /** The underlying stub, for assertions on individual calls (`mock.commandCalls(PutObjectCommand)`). */
  readonly mock: AwsClientStub<S3Client>;
  /** Faults injected into calls; add rules with `faults.add`. */
  readonly faults: FaultSchedule;
  readonly #buckets = new Map<string, Map<string, FakeObject>>();
  readonly #uploads = new Map<string, FakeUpload>();
  readonly #callCounts = new Map<string, number>();
  readonly #deleteErrors = new Map<string, string>();
  readonly #minPartSize: number;
  readonly #maxCopySize: number;
  readonly #honoursIfNoneMatch: boolean;
  readonly #repeatsContinuationToken: boolean;
  readonly #honoursCopySourceConditions: boolean;
  readonly #bareEtagAnswers: boolean;
  readonly #beforeNext = new Map<string, () => void>();
  readonly #credentials: SigningCredentials = {
    accessKeyId: 'AKIAFAKEFAKEFAKEFAKE',
    secretAccessKey: 'fake-secret-access-key',
  };

  constructor(options: FakeS3Options = {}) {
    for (const bucket of options.buckets ?? ['fake-bucket']) this.#buckets.set(bucket, new Map());
    this.faults = new FaultSchedule(options.seed ?? 1);
    this.#minPartSize = options.minPartSize ?? 5 * MIB;
    this.#maxCopySize = options.maxCopySize ?? 5 * 1024 * MIB;
    this.#honoursIfNoneMatch = options.honoursIfNoneMatch ?? true;
    this.#repeatsContinuationToken = options.repeatsContinuationToken ?? false;
    this.#honoursCopySourceConditions = options.honoursCopySourceConditions ?? true;
    this.#bareEtagAnswers = options.bareEtagAnswers ?? false;
    this.client = new S3Client({
      region: 'us-east-1',
      credentials: { ...this.#credentials },
      maxAttempts: 1,
    });
    this.mock = mockClient(this.client);
    this.#route();
  }

  /** The stored object, for assertions; `undefined` when absent. */
  object(bucket: string, key: string): FakeObject | undefined {
    return this.#buckets.get(bucket)?.get(key);
  }

  /** Every key of a bucket, in S3's order. */
  keys(bucket: string): string[] {
    return Array.from(this.#buckets.get(bucket)?.keys() ?? []).sort(compareKeys);
  }

  /** Multipart uploads started and neither completed nor aborted: their parts are what "orphaned" means. */
  openUploads(bucket?: string): { readonly key: string; readonly uploadId: string; readonly parts: number }[] {
    return Array.from(this.#uploads.values())
      .filter((upload) => bucket === undefined || upload.bucket === bucket)
      .map((upload) => ({ key: upload.key, uploadId: upload.uploadId, parts: upload.parts.size }));
  }

  /** Calls that reached the fake, per S3 operation name (`PutObject`), including ones that got a fault. */
  calls(operation?: string): number {
    if (operation !== undefined) return this.#callCounts.get(operation) ?? 0;
    let total = 0;
    for (const count of this.#callCounts.values()) total += count;
    return total;
  }

  /** Runs `action` once, just before the next call of `operation` (`CopyObject`) is answered: to stage a race. */
  beforeNext(operation: string, action: () => void): void {
    this.#beforeNext.set(operation, action);
  }

  /** Stores an object as another client's PutObject would, bypassing faults and counts. */
  storeObject(bucket: string, key: string, bytes: Uint8Array, metadata: Readonly<Record<string, string>> = {}): void {
    this.#bucket(bucket).set(key, {
      body: bytes.slice(),
      etag: `"${md5(bytes).toString('hex')}"`,
      lastModified: new Date(),
      contentType: 'binary/octet-stream',
      contentDisposition: undefined,
      cacheControl: undefined,
      storageClass: undefined,
      metadata: lowerCaseMetadata({ ...metadata }),
    });
  }

  /** Makes DeleteObjects report `code` (e.g. `AccessDenied`) for `key` instead of deleting it. */
  failDeletesOf(key: string, code: string): void {
    this.#deleteErrors.set(key, code);
  }

  /**
   * Answers a presigned GET or PUT as S3 would over HTTP, where s3rver cannot: the SigV4 signature is recomputed
   * from the method, path, query and signed headers (a tampered URL or a header other than the signed one gets 403
   * `SignatureDoesNotMatch`), the expiry is enforced (403 `AccessDenied`), and a PUT body must have the signed
   * length. Then the object is served (with `response-content-type` and `response-content-disposition` applied)
   * or stored.
   */
  fetch(url: string, init: FakeFetchInit = {}): Promise<Response> {
    return new Promise((resolve) => {
      resolve(this.#answerPresigned(url, init));
    });
  }

  #answerPresigned(url: string, init: FakeFetchInit): Response {
    const method = (init.method ?? 'GET').toUpperCase();
    const problem = presignedUrlProblem({ url, method, headers: init.headers, now: init.now }, this.#credentials);
    if (problem !== undefined) return s3ErrorResponse(403, problem.code, problem.message);
    const parsed = new URL(url);
    const hostBucket = Array.from(this.#buckets.keys()).find((name) => parsed.hostname.startsWith(`${name}.`));
    const segments = parsed.pathname
      .split('/')
      .slice(1)
      .map((segment) => decodeURIComponent(segment));
    const bucketName = hostBucket ?? segments.shift() ?? '';
    const key = segments.join('/');
    const bucket = this.#buckets.get(bucketName);
    if (bucket === undefined) return s3ErrorResponse(404, 'NoSuchBucket', 'The specified bucket does not exist');
    if (method === 'GET') {
      const object = bucket.get(key);
      if (object === undefined) return s3ErrorResponse(404, 'NoSuchKey', 'The specified key does not exist.');
      const headers: Record<string, string> = {
        'content-type': parsed.searchParams.get('response-content-type') ?? object.contentType,
        etag: object.etag,
        'last-modified': object.lastModified.toUTCString(),
      };
      const disposition = parsed.searchParams.get('response-content-disposition') ?? object.contentDisposition;
      if (disposition !== undefined) headers['content-disposition'] = disposition;
      return new Response(object.body.slice(), { status: 200, headers });
    }
    if (method === 'PUT') {
      const body =
        typeof init.body === 'string' ? new TextEncoder().encode(init.body) : (init.body ?? new Uint8Array()).slice();
      const headers = new Map(Object.entries(init.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
      const length = headers.get('content-length');
      if (length !== undefined && Number(length) !== body.byteLength) {
        return s3ErrorResponse(
          400,
          'IncompleteBody',
          'You did not provide the number of bytes specified by the Content-Length HTTP header',
        );
      }
      const etag = `"${md5(body).toString('hex')}"`;
      bucket.set(key, {
        body,
        etag,
        lastModified: new Date(),
        contentType: headers.get('content-type') ?? 'binary/octet-stream',
        contentDisposition: undefined,
        cacheControl: undefined,
        storageClass: undefined,
        metadata: {},
      });
      return new Response(null, { status: 200, headers: { etag } });
    }
    return s3ErrorResponse(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
  }

  /** Stops intercepting the client. */
  restore(): void {
    this.mock.restore();
  }

  #bucket(name: string | undefined): Map<string, FakeObject> {
    const bucket = this.#buckets.get(name ?? '');
    if (bucket === undefined) throw fakeS3Error('NoSuchBucket', 404, 'The specified bucket does not exist');
    return bucket;
  }

  async #call<Input, Output>(
    operation: string,
    input: Input,
    handler: (input: Input) => Output | Promise<Output>,
  ): Promise<Output> {
    this.#callCounts.set(operation, (this.#callCounts.get(operation) ?? 0) + 1);
    const { delayMs, error } = this.faults.decide(operation);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (error !== undefined) throw error;
    const action = this.#beforeNext.get(operation);
    this.#beforeNext.delete(operation);
    action?.();
    return handler(input);
  }

  #route(): void {
    const on = <Input, Output>(
      command: new (input: Input) => object,
      operation: string,
      handler: (input: Input) => Output | Promise<Output>,
    ): void => {
      // The stub's typing cannot follow a command class chosen at run time; inputs are typed by `handler`.
      (this.mock as unknown as { on(c: unknown): { callsFake(fn: (input: Input) => Promise<Output>): void } })
        .on(command)
        .callsFake((input: Input) => this.#call(operation, input, handler));
    };
    on(PutObjectCommand, 'PutObject', (input: PutObjectCommandInput) => this.#putObject(input));
    on(GetObjectCommand, 'GetObject', (input: GetObjectCommandInput) => this.#getObject(input));
    on(HeadObjectCommand, 'HeadObject', (input: HeadObjectCommandInput) => this.#headObject(input));
    on(HeadBucketCommand, 'HeadBucket', (input: HeadBucketCommandInput) => {
      this.#bucket(input.Bucket);
      return { $metadata: { httpStatusCode: 200 } };
    });
    on(DeleteObjectCommand, 'DeleteObject', (input: DeleteObjectCommandInput) => {
      this.#bucket(input.Bucket).delete(input.Key ?? '');
      return { $metadata: { httpStatusCode: 204 } };
    });
    on(DeleteObjectsCommand, 'DeleteObjects', (input: DeleteObjectsCommandInput) => this.#deleteObjects(input));
    on(CopyObjectCommand, 'CopyObject', (input: CopyObjectCommandInput) => this.#copyObject(input));
    on(ListObjectsV2Command, 'ListObjectsV2', (input: ListObjectsV2CommandInput) => this.#listObjects(input));
    on(CreateMultipartUploadCommand, 'CreateMultipartUpload', (input: CreateMultipartUploadCommandInput) =>
      this.#createUpload(input),
    );
    on(UploadPartCommand, 'UploadPart', (input: UploadPartCommandInput) => this.#uploadPart(input));
    on(UploadPartCopyCommand, 'UploadPartCopy', (input: UploadPartCopyCommandInput) => this.#uploadPartCopy(input));
    on(CompleteMultipartUploadCommand, 'CompleteMultipartUpload', (input: CompleteMultipartUploadCommandInput) =>
      this.#completeUpload(input),
    );
    on(AbortMultipartUploadCommand, 'AbortMultipartUpload', (input: AbortMultipartUploadCommandInput) => {
      this.#bucket(input.Bucket);
      this.#upload(input.UploadId, input.Key);
      this.#uploads.delete(input.UploadId ?? '');
      return { $metadata: { httpStatusCode: 204 } };
    });
    on(ListPartsCommand, 'ListParts', (input: ListPartsCommandInput) => {
      const upload = this.#upload(input.UploadId, input.Key);
      const parts = Array.from(upload.parts.entries()).sort(([a], [b]) => a - b);
      return {
        $metadata: { httpStatusCode: 200 },
        Bucket: upload.bucket,
        Key: upload.key,
        UploadId: upload.uploadId,
        Parts: parts.map(([number, part]) => ({ PartNumber: number, ETag: part.etag, Size: part.body.byteLength })),
        IsTruncated: false,
      };
    });
    on(ListMultipartUploadsCommand, 'ListMultipartUploads', (input: ListMultipartUploadsCommandInput) => {
      this.#bucket(input.Bucket);
      const uploads = Array.from(this.#uploads.values())
        .filter((upload) => upload.bucket === input.Bucket && upload.key.startsWith(input.Prefix ?? ''))
        .sort((a, b) => compareKeys(a.key, b.key));
      return {
        $metadata: { httpStatusCode: 200 },
        Bucket: input.Bucket,
        Uploads: uploads.map((upload) => ({ Key: upload.key, UploadId: upload.uploadId, Initiated: upload.initiated })),
        IsTruncated: false,
      };
    });
  }

  #headersFrom(input: {
    ContentType?: string | undefined;
    ContentDisposition?: string | undefined;
    CacheControl?: string | undefined;
    StorageClass?: string | undefined;
    Metadata?: Record<string, string> | undefined;
  }): Omit<FakeObject, 'body' | 'etag' | 'lastModified'> {
    return {
      contentType: input.ContentType ?? 'binary/octet-stream',
      contentDisposition: input.ContentDisposition,
      cacheControl: input.CacheControl,
      storageClass: input.StorageClass,
      metadata: lowerCaseMetadata(input.Metadata),
    };
  }

  #refuseTaken(bucket: Map<string, FakeObject>, key: string, ifNoneMatch: string | undefined): void {
    if (ifNoneMatch === '*' && this.#honoursIfNoneMatch && bucket.has(key)) {
      throw fakeS3Error('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold');
    }
  }

  async #putObject(input: PutObjectCommandInput): Promise<object> {
    const bucket = this.#bucket(input.Bucket);
    const key = input.Key ?? '';
    const body = await readBody(input.Body as FakeBody);
    if (input.ContentLength !== undefined && input.ContentLength !== body.byteLength) {
      throw fakeS3Error(
        'IncompleteBody',
        400,
        'You did not provide the number of bytes specified by the Content-Length HTTP header',
      );
    }
    if (input.ContentMD5 !== undefined && md5(body).toString('base64') !== input.ContentMD5) {
      throw fakeS3Error('BadDigest', 400, 'The Content-MD5 you specified did not match what we received.');
    }
    this.#refuseTaken(bucket, key, input.IfNoneMatch);
    const etag = `"${md5(body).toString('hex')}"`;
    bucket.set(key, { ...this.#headersFrom(input), body, etag, lastModified: new Date() });
    return { $metadata: { httpStatusCode: 200 }, ETag: etag };
  }

  #objectOrFail(
    input: { Bucket?: string | undefined; Key?: string | undefined },
    missing: 'NoSuchKey' | 'NotFound',
  ): FakeObject {
    const object = this.#bucket(input.Bucket).get(input.Key ?? '');
    if (object === undefined) throw fakeS3Error(missing, 404, 'The specified key does not exist.');
    return object;
  }

  #objectHeaders(object: FakeObject): object {
    return {
      ContentType: object.contentType,
      ContentDisposition: object.contentDisposition,
      CacheControl: object.cacheControl,
      ETag: object.etag,
      LastModified: object.lastModified,
      Metadata: { ...object.metadata },
      StorageClass: object.storageClass,
      AcceptRanges: 'bytes',
    };
  }

  #getObject(input: GetObjectCommandInput): object {
    const object = this.#objectOrFail(input, 'NoSuchKey');
    const size = object.body.byteLength;
    const range = input.Range === undefined ? undefined : parseRange(input.Range, size);
    if (range === 'unsatisfiable') throw fakeS3Error('InvalidRange', 416, 'The requested range is not satisfiable');
    const bytes = range === undefined ? object.body : object.body.subarray(range.start, range.end + 1);
    return {
      $metadata: { httpStatusCode: range === undefined ? 200 : 206 },
      ...this.#objectHeaders(object),
      ...(input.ResponseContentType === undefined ? {} : { ContentType: input.ResponseContentType }),
      ...(input.ResponseContentDisposition === undefined
        ? {}
        : { ContentDisposition: input.ResponseContentDisposition }),
      ContentLength: bytes.byteLength,
      ...(range === undefined ? {} : { ContentRange: `bytes ${range.start}-${range.end}/${size}` }),
      Body: responseBody(bytes),
    };
  }

  #headObject(input: HeadObjectCommandInput): object {
    const object = this.#objectOrFail(input, 'NotFound');
    return {
      $metadata: { httpStatusCode: 200 },
      ...this.#objectHeaders(object),
      ContentLength: object.body.byteLength,
    };
  }

  #deleteObjects(input: DeleteObjectsCommandInput): object {
    const bucket = this.#bucket(input.Bucket);
    const objects = input.Delete?.Objects ?? [];
    if (objects.length === 0 || objects.length > 1000) {
      throw fakeS3Error(
        'MalformedXML',
        400,
        'The XML you provided was not well-formed or did not validate against our published schema',
      );
    }
    const deleted: { Key: string }[] = [];
    const errors: { Key: string; Code: string; Message: string }[] = [];
    for (const { Key: key = '' } of objects) {
      const code = this.#deleteErrors.get(key);
      if (code !== undefined) {
        errors.push({
          Key: key,
          Code: code,
          Message: code === 'AccessDenied' ? 'Access Denied' : 'We encountered an internal error.',
        });
        continue;
      }
      bucket.delete(key);
      deleted.push({ Key: key });
    }
    return {
      $metadata: { httpStatusCode: 200 },
      ...(input.Delete?.Quiet === true ? {} : { Deleted: deleted }),
      ...(errors.length > 0 ? { Errors: errors } : {}),
    };
  }

  #copyObject(input: CopyObjectCommandInput): object {
    const target = this.#bucket(input.Bucket);
    const sourceAddress = parseCopySource(input.CopySource ?? '');
    const source = this.#objectOrFail({ Bucket: sourceAddress.bucket, Key: sourceAddress.key }, 'NoSuchKey');
    this.#checkCopySource(input.CopySourceIfMatch, source);
    if (source.body.byteLength > this.#maxCopySize) {
      throw fakeS3Error(
        'InvalidRequest',
        400,
        `The specified copy source is larger than the maximum allowable size for a copy source: ${this.#maxCopySize}`,
      );
    }
    const replace = input.MetadataDirective === 'REPLACE';
    const key = input.Key ?? '';
    if (
      !replace &&
      sourceAddress.bucket === input.Bucket &&
      sourceAddress.key === key &&
      input.StorageClass === undefined
    ) {
      throw fakeS3Error(
        'InvalidRequest',
        400,
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      );
    }
    const headers = replace
      ? this.#headersFrom(input)
      : { ...source, storageClass: input.StorageClass ?? source.storageClass };
    const lastModified = new Date();
    const etag = `"${md5(source.body).toString('hex')}"`;
    target.set(key, {
      contentType: headers.contentType,
      contentDisposition: headers.contentDisposition,
      cacheControl: headers.cacheControl,
      storageClass: headers.storageClass,
      metadata: headers.metadata,
      body: source.body,
      etag,
      lastModified,
    });
    return {
      $metadata: { httpStatusCode: 200 },
      CopyObjectResult: { ETag: this.#answeredEtag(etag), LastModified: lastModified },
    };
  }

  #listObjects(input: ListObjectsV2CommandInput): object {
    const bucket = this.#bucket(input.Bucket);
    const maxKeys = Math.min(input.MaxKeys ?? 1000, 1000);
    const prefix = input.Prefix ?? '';
    let after = input.StartAfter;
    if (input.ContinuationToken !== undefined) {
      const decoded = Buffer.from(input.ContinuationToken, 'base64url').toString('utf8');
      if (!decoded.startsWith('fake:'))
        throw fakeS3Error('InvalidArgument', 400, 'The continuation token provided is incorrect');
      after = decoded.slice('fake:'.length);
    }
    const keys = Array.from(bucket.keys())
      .filter((key) => key.startsWith(prefix) && (after === undefined || compareKeys(key, after) > 0))
      .sort(compareKeys);
    const page = keys.slice(0, maxKeys);
    const truncated = keys.length > page.length;
    const last = page.at(-1);
    const firstToken = Buffer.from(`fake:${keys[0] ?? ''}`, 'utf8').toString('base64url');
    const nextToken = last === undefined ? undefined : Buffer.from(`fake:${last}`, 'utf8').toString('base64url');
    return {
      $metadata: { httpStatusCode: 200 },
      Name: input.Bucket,
      Prefix: input.Prefix,
      MaxKeys: maxKeys,
      KeyCount: page.length,
      IsTruncated: truncated,
      ContinuationToken: input.ContinuationToken,
      StartAfter: input.StartAfter,
      ...(truncated
        ? {
            NextContinuationToken:
              this.#repeatsContinuationToken && input.ContinuationToken !== undefined
                ? input.ContinuationToken
                : this.#repeatsContinuationToken
                  ? firstToken
                  : nextToken,
          }
        : {}),
      Contents: page.map((key) => {
        const object = bucket.get(key);
        return {
          Key: key,
          Size: object?.body.byteLength ?? 0,
          LastModified: object?.lastModified,
          ETag: object?.etag,
          StorageClass: object?.storageClass ?? 'STANDARD',
        };
      }),
    };
  }

  #createUpload(input: CreateMultipartUploadCommandInput): object {
    this.#bucket(input.Bucket);
    const uploadId = randomUUID();
    this.#uploads.set(uploadId, {
      bucket: input.Bucket ?? '',
      key: input.Key ?? '',
      uploadId,
      initiated: new Date(),
      headers: this.#headersFrom(input),
      parts: new Map(),
    });
    return { $metadata: { httpStatusCode: 200 }, Bucket: input.Bucket, Key: input.Key, UploadId: uploadId };
  }

  #upload(uploadId: string | undefined, key: string | undefined): FakeUpload {
    const upload = this.#uploads.get(uploadId ?? '');
    if (upload?.key !== key || upload === undefined) {
      throw fakeS3Error(
        'NoSuchUpload',
        404,
        'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
      );
    }
    return upload;
  }

  #partNumber(value: number | undefined): number {
    if (value === undefined || !Number.isSafeInteger(value) || value < 1 || value > 10_000) {
      throw fakeS3Error('InvalidArgument', 400, 'Part number must be an integer between 1 and 10000, inclusive');
    }
    return value;
  }

  async #uploadPart(input: UploadPartCommandInput): Promise<object> {
    this.#bucket(input.Bucket);
    const upload = this.#upload(input.UploadId, input.Key);
    const partNumber = this.#partNumber(input.PartNumber);
    const body = await readBody(input.Body as FakeBody);
    const digest = md5(body);
    const etag = `"${digest.toString('hex')}"`;
    upload.parts.set(partNumber, { body, etag, md5: digest });
    return { $metadata: { httpStatusCode: 200 }, ETag: etag };
  }

  #uploadPartCopy(input: UploadPartCopyCommandInput): object {
    this.#bucket(input.Bucket);
    const upload = this.#upload(input.UploadId, input.Key);
    const partNumber = this.#partNumber(input.PartNumber);
    const sourceAddress = parseCopySource(input.CopySource ?? '');
    const source = this.#objectOrFail({ Bucket: sourceAddress.bucket, Key: sourceAddress.key }, 'NoSuchKey');
    this.#checkCopySource(input.CopySourceIfMatch, source);
    let body = source.body;
    if (input.CopySourceRange !== undefined) {
      const match = /^bytes=(\d+)-(\d+)$/u.exec(input.CopySourceRange);
      const start = Number(match?.[1]);
      const end = Number(match?.[2]);
      if (match === null || end < start || end >= source.body.byteLength) {
        throw fakeS3Error(
          'InvalidArgument',
          400,
          'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy',
        );
      }
      body = source.body.subarray(start, end + 1);
    }
    const digest = md5(body);
    const etag = `"${digest.toString('hex')}"`;
    upload.parts.set(partNumber, { body, etag, md5: digest });
    return {
      $metadata: { httpStatusCode: 200 },
      CopyPartResult: { ETag: this.#answeredEtag(etag), LastModified: new Date() },
    };
  }

  #completeUpload(input: CompleteMultipartUploadCommandInput): object {
    const bucket = this.#bucket(input.Bucket);
    const upload = this.#upload(input.UploadId, input.Key);
    const listed = input.MultipartUpload?.Parts ?? [];
    if (listed.length === 0) {
      throw fakeS3Error(
        'MalformedXML',
        400,
        'The XML you provided was not well-formed or did not validate against our published schema',
      );
    }
    const parts: FakePart[] = [];
    let previous = 0;
    for (const [index, { PartNumber: number = 0, ETag: etag }] of listed.entries()) {
      if (number <= previous)
        throw fakeS3Error('InvalidPartOrder', 400, 'The list of parts was not in ascending order.');
      previous = number;
      const part = upload.parts.get(number);
      if (part === undefined || part.etag.replace(/"/gu, '') !== etag?.replace(/"/gu, '')) {
        throw fakeS3Error(
          'InvalidPart',
          400,
          'One or more of the specified parts could not be found or its entity tag did not match.',
        );
      }
      if (index < listed.length - 1 && part.body.byteLength < this.#minPartSize) {
        throw fakeS3Error(
          'EntityTooSmall',
          400,
          'Your proposed upload is smaller than the minimum allowed object size.',
        );
      }
      parts.push(part);
    }
    this.#refuseTaken(bucket, upload.key, input.IfNoneMatch);
    const body = Buffer.concat(parts.map((part) => part.body));
    const etag = `"${md5(Buffer.concat(parts.map((part) => part.md5))).toString('hex')}-${parts.length}"`;
    bucket.set(upload.key, { ...upload.headers, body, etag, lastModified: new Date() });
    this.#uploads.delete(upload.uploadId);
    return {
      $metadata: { httpStatusCode: 200 },
      Bucket: upload.bucket,
      Key: upload.key,
      ETag: this.#bareEtagAnswers ? '' : etag,
    };
  }

  #checkCopySource(ifMatch: string | undefined, source: FakeObject): void {
    if (this.#honoursCopySourceConditions && ifMatch !== undefined && ifMatch !== source.etag) {
      throw fakeS3Error('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold');
    }
  }

  #answeredEtag(etag: string): string {
    return this.#bareEtagAnswers ? etag.replace(/"/gu, '') : etag;
  }
}
