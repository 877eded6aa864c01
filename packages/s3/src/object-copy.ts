import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import type { CompletedPart, HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import { StorageError, isStorageError } from '@stowage/core';
import type { ObjectInfo, S3StorageClass } from '@stowage/core';
import { encodeCopySource } from './copy-source.ts';
import { quotedEtag } from './etag-check.ts';
import { SHA256_METADATA, objectInfoFromHeaders } from './object-info.ts';
import { isS3NotFound, s3HttpStatus } from './s3-error.ts';
import type { RequestContext, S3Requests } from './s3-requests.ts';

export interface CopySettings {
  readonly bucket: string;
  readonly storageClass: S3StorageClass | undefined;
  /** Objects larger than this are copied part by part. */
  readonly multipartCopyThreshold: number;
  readonly copyPartSize: number;
  /** Part copies in flight at once. */
  readonly queueSize: number;
  /** Why the server ignores `x-amz-copy-source-if-match`, when it does: the copy then checks the source itself. */
  readonly copySourceConditionsIgnored: string | undefined;
}

/** Sends AbortMultipartUpload, even after the caller's signal fired, so no parts are left behind; never throws. */
export async function abortUpload(
  requests: S3Requests,
  context: RequestContext,
  bucket: string,
  key: string,
  uploadId: string,
): Promise<void> {
  await requests
    .send(context, () => new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }), undefined)
    .catch(() => undefined);
}

/** The object's headers, `undefined` when there is none (HEAD answers a bare 404, some servers `NoSuchKey`). */
export async function headObject(
  requests: S3Requests,
  bucket: string,
  key: string,
  operation: string,
): Promise<HeadObjectCommandOutput | undefined> {
  try {
    return await requests.send(
      { operation, key },
      () => new HeadObjectCommand({ Bucket: bucket, Key: key }),
      undefined,
    );
  } catch (error) {
    if (isStorageError(error, 'NotFound') || isS3NotFound(error)) return undefined;
    throw error;
  }
}

/** Whether a failure is S3's refusal of a copy whose source no longer has the ETag it was pinned to. */
function isPreconditionFailure(error: unknown): boolean {
  return isStorageError(error) && s3HttpStatus(error.cause) === 412;
}

/**
 * Copies `source` (whose info is known) to `toKey`, keeping its headers and metadata, in one CopyObject or part by
 * part. With `ifMatch`, the copy is made only from the source version with that ETag (otherwise `Unavailable`, or
 * `undefined` from `recordSha256`).
 */
export async function copyObject(
  requests: S3Requests,
  settings: CopySettings,
  fromKey: string,
  toKey: string,
  source: ObjectInfo,
  operation: string,
  ifMatch?: string,
): Promise<ObjectInfo> {
  const { bucket } = settings;
  const metadata = { ...source.metadata, ...(source.sha256 === undefined ? {} : { [SHA256_METADATA]: source.sha256 }) };
  const headers = {
    ContentType: source.contentType,
    ContentDisposition: source.contentDisposition,
    CacheControl: source.cacheControl,
    Metadata: metadata,
    StorageClass: settings.storageClass,
  };
  const copySource = encodeCopySource(bucket, fromKey);
  const context = { operation, key: toKey };
  if (source.size <= settings.multipartCopyThreshold) {
    // REPLACE with the source's own headers: the same result as COPY, and also valid for a copy onto itself.
    const output = await requests.send(
      context,
      () =>
        new CopyObjectCommand({
          Bucket: bucket,
          Key: toKey,
          CopySource: copySource,
          MetadataDirective: 'REPLACE',
          ...headers,
          ...(ifMatch === undefined ? {} : { CopySourceIfMatch: ifMatch }),
        }),
      undefined,
    );
    const etag =
      quotedEtag(output.CopyObjectResult?.ETag) ??
      (await headObject(requests, bucket, toKey, operation))?.ETag ??
      source.etag;
    return { ...source, key: toKey, etag, lastModified: output.CopyObjectResult?.LastModified ?? new Date() };
  }
  const pinned = ifMatch ?? source.etag;
  const created = await requests.send(
    context,
    () => new CreateMultipartUploadCommand({ Bucket: bucket, Key: toKey, ...headers }),
    undefined,
  );
  const uploadId = created.UploadId;
  if (uploadId === undefined)
    throw new StorageError('Unavailable', `${operation} of "${toKey}": ${requests.name} gave no upload id`, {
      key: toKey,
    });
  try {
    const ranges: { partNumber: number; start: number; end: number }[] = [];
    for (let start = 0, partNumber = 1; start < source.size; start += settings.copyPartSize, partNumber++) {
      ranges.push({ partNumber, start, end: Math.min(source.size, start + settings.copyPartSize) - 1 });
    }
    const parts: CompletedPart[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let range = ranges[next++]; range !== undefined; range = ranges[next++]) {
        const { partNumber, start, end } = range;
        const output = await requests.send(
          context,
          () =>
            new UploadPartCopyCommand({
              Bucket: bucket,
              Key: toKey,
              UploadId: uploadId,
              PartNumber: partNumber,
              CopySource: copySource,
              CopySourceRange: `bytes=${start}-${end}`,
              // Every part must come from the same version of the source.
              CopySourceIfMatch: pinned,
            }),
          undefined,
        );
        parts.push({ PartNumber: partNumber, ETag: output.CopyPartResult?.ETag });
      }
    };
    await Promise.all(Array.from({ length: Math.min(settings.queueSize, ranges.length) }, worker));
    if (settings.copySourceConditionsIgnored !== undefined) {
      // The server did not hold the parts to the pinned version: every part was copied before this HEAD, so a
      // source that still has the pinned ETag gave them all.
      const now = await headObject(requests, bucket, fromKey, operation);
      if (now?.ETag !== pinned) {
        throw new StorageError(
          'Unavailable',
          `${operation} of "${fromKey}" in ${requests.name}: the object changed while it was copied part by part`,
          {
            key: fromKey,
          },
        );
      }
    }
    parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    const completed = await requests.send(
      context,
      () =>
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: toKey,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      undefined,
    );
    const etag = quotedEtag(completed.ETag) ?? (await headObject(requests, bucket, toKey, operation))?.ETag ?? '""';
    return { ...source, key: toKey, etag, lastModified: new Date() };
  } catch (error) {
    await abortUpload(requests, context, bucket, toKey, uploadId);
    throw error;
  }
}

/**
 * Records the SHA-256 of an object uploaded in parts (whose metadata was fixed before the hash was known) with a
 * server-side copy onto itself, made only while the object is the one just stored (`uploaded.etag`). Resolves
 * with the recorded object, or `undefined` when another put replaced it first (that put's object stays as it is).
 * Where the server ignores the copy condition, the object's ETag is checked just before the copy instead.
 */
export async function recordSha256(
  requests: S3Requests,
  settings: CopySettings,
  uploaded: ObjectInfo,
  operation: string,
): Promise<ObjectInfo | undefined> {
  const { key } = uploaded;
  if (settings.copySourceConditionsIgnored === undefined) {
    try {
      return await copyObject(requests, settings, key, key, uploaded, operation, uploaded.etag);
    } catch (error) {
      if (isPreconditionFailure(error)) return undefined;
      throw error;
    }
  }
  const before = await headObject(requests, settings.bucket, key, operation);
  if (before?.ETag !== uploaded.etag) return undefined;
  const recorded = await copyObject(requests, settings, key, key, uploaded, operation);
  // A copy keeps the ETag of what it copied: another one means a put replaced the object between the HEAD and the
  // copy, whose object now carries this upload's headers and SHA-256. Its bytes are left alone, the SHA-256 that
  // is not theirs is taken off.
  if (recorded.etag === uploaded.etag) return recorded;
  const now = await headObject(requests, settings.bucket, key, operation);
  if (now !== undefined && now.ETag === recorded.etag) {
    await copyObject(
      requests,
      settings,
      key,
      key,
      { ...objectInfoFromHeaders(key, now.ContentLength ?? 0, now), sha256: undefined },
      operation,
    );
  }
  return undefined;
}
