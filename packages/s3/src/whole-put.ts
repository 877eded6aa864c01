import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { PutObjectCommandInput } from '@aws-sdk/client-s3';
import { StorageError, checkFinalSize, checkReceivedSize, toBase64 } from '@stowage/core';
import type { Body, Sha256Factory, SizeLimits, StreamingHash } from '@stowage/core';
import { BodyReader } from './body-read.ts';
import type { Md5Factory, UploadAnswer } from './etag-check.ts';
import { SHA256_METADATA } from './object-info.ts';
import { abortUpload } from './object-copy.ts';
import type { RequestContext, S3Requests } from './s3-requests.ts';

export interface WholePutInput {
  readonly requests: S3Requests;
  readonly bytes: Uint8Array;
  /** Bucket, key, content type, disposition, cache control, metadata, storage class: everything but the body. */
  readonly params: Omit<PutObjectCommandInput, 'Body'>;
  readonly context: RequestContext;
  readonly expectedSha256: string | undefined;
  readonly createOnly: boolean;
  readonly sha256: Sha256Factory;
  /** Set when confirming: the MD5 that the answer's ETag is compared with. */
  readonly md5: Md5Factory | undefined;
  /**
   * Set when the server keeps what an interrupted PutObject carried: the bytes then go up as the one part of a
   * multipart upload, which shows nothing until it is completed.
   */
  readonly interruptedPutsKept: boolean;
  readonly signal: AbortSignal | undefined;
}

export interface WholePutResult {
  readonly answer: UploadAnswer;
  readonly sha256: string;
  /** The MD5 of the bytes, when confirming; the expected ETag is its hex form (or S3's multipart form of it). */
  readonly md5: Uint8Array | undefined;
  /** Whether the bytes went up as one part of a multipart upload. */
  readonly multipart: boolean;
}

export function digestOf(bytes: Uint8Array, make: () => StreamingHash): Uint8Array {
  const hash = make();
  hash.update(bytes);
  return hash.digest();
}

/**
 * Sends bytes in hand in one retried PutObject with their SHA-256 in the metadata, after checking it against the
 * caller's. Nothing is sent for bytes that fail a check.
 */
export async function wholePut(input: WholePutInput): Promise<WholePutResult> {
  const { requests, bytes, context, signal } = input;
  const key = context.key ?? '';
  const sha256 = toBase64(digestOf(bytes, input.sha256));
  if (input.expectedSha256 !== undefined && input.expectedSha256 !== sha256) {
    throw new StorageError(
      'IntegrityError',
      `"${key}" has SHA-256 ${sha256}, not the expected ${input.expectedSha256}`,
      { key },
    );
  }
  const md5 = input.md5 === undefined ? undefined : digestOf(bytes, input.md5);
  const params = { ...input.params, Metadata: { ...input.params.Metadata, [SHA256_METADATA]: sha256 } };
  const ifNoneMatch = input.createOnly ? { IfNoneMatch: '*' } : {};
  if (!input.interruptedPutsKept) {
    const answer = await requests.send(
      context,
      () => new PutObjectCommand({ ...params, ...ifNoneMatch, Body: bytes, ContentLength: bytes.byteLength }),
      signal,
    );
    return { answer, sha256, md5, multipart: false };
  }
  const created = await requests.send(context, () => new CreateMultipartUploadCommand(params), signal);
  const uploadId = created.UploadId;
  if (uploadId === undefined)
    throw new StorageError('Unavailable', `put of "${key}": ${requests.name} gave no upload id`, { key });
  try {
    const part = await requests.send(
      context,
      () =>
        new UploadPartCommand({
          Bucket: params.Bucket,
          Key: params.Key,
          UploadId: uploadId,
          PartNumber: 1,
          Body: bytes,
          ContentLength: bytes.byteLength,
        }),
      signal,
    );
    const answer = await requests.send(
      context,
      () =>
        new CompleteMultipartUploadCommand({
          Bucket: params.Bucket,
          Key: params.Key,
          UploadId: uploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
          ...ifNoneMatch,
        }),
      undefined,
    );
    return { answer, sha256, md5, multipart: true };
  } catch (error) {
    await abortUpload(requests, context, params.Bucket ?? '', key, uploadId);
    throw error;
  }
}

/**
 * Reads a stream whose length was announced (and fits in one part) into one array of that length: the one chunk
 * itself when the producer hands the whole body at once. Fails as soon as the body runs past the announced size
 * or the limit, and releases the producer on any failure.
 */
export async function readAnnounced(
  body: Body,
  limits: SizeLimits,
  signal: AbortSignal | undefined,
): Promise<Uint8Array> {
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
