import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import type { PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { StorageError, abortedError, checkFinalSize, checkReceivedSize, toBase64 } from '@stowage/core';
import type { Body, Sha256Factory, SizeLimits, StreamingHash } from '@stowage/core';
import { BodyReader } from './body-read.ts';
import type { Md5Factory } from './etag-check.ts';
import { SHA256_METADATA } from './object-info.ts';
import type { RequestContext, S3Requests } from './s3-requests.ts';

export interface StreamingPutInput {
  readonly requests: S3Requests;
  readonly context: RequestContext;
  readonly key: string;
  readonly body: Body;
  /** Bucket, key, content type, disposition, cache control, metadata, storage class: everything but the body. */
  readonly params: Omit<PutObjectCommandInput, 'Body'>;
  readonly limits: SizeLimits;
  readonly expectedSha256: string | undefined;
  readonly createOnly: boolean;
  readonly partSize: number;
  readonly queueSize: number;
  readonly sha256: Sha256Factory;
  /** Set when confirming: each part's MD5 is computed, to compare with the upload's ETag. */
  readonly md5: Md5Factory | undefined;
  readonly signal: AbortSignal | undefined;
}

export interface StreamingPutResult {
  /** The ETag the server answered, as it gave it (possibly bare or empty). */
  readonly etag: string | undefined;
  readonly size: number;
  readonly sha256: string;
  /** Whether the body went up in parts (so the SHA-256 could not be sent with the object's metadata up front). */
  readonly multipart: boolean;
  /** The MD5 of each part, when confirming. */
  readonly partMd5s: readonly Uint8Array[] | undefined;
}

interface Digest {
  readonly size: number;
  readonly sha256: string;
  /** The MD5 of each part, as the upload cut them, when confirming. */
  readonly partMd5s: readonly Uint8Array[] | undefined;
}

/**
 * Reads the body once, counting and hashing each chunk on its way to `Upload`, and fails the read (which makes
 * `Upload` stop and abort the multipart upload) on a size violation, a broken body or an aborted signal.
 */
function hashingSource(input: StreamingPutInput): {
  readonly stream: ReadableStream<Uint8Array>;
  readonly digest: () => Digest | undefined;
} {
  const { key, limits, signal } = input;
  const hash = input.sha256();
  const chunks = new BodyReader(input.body, signal, key);
  const partMd5s: Uint8Array[] = [];
  let partHash: StreamingHash | undefined;
  let size = 0;
  let digest: Digest | undefined;
  // The upload cuts the body every partSize bytes: the MD5 of each part is what S3's ETag is made of.
  const hashParts = (chunk: Uint8Array, at: number): void => {
    const { md5 } = input;
    if (md5 === undefined) return;
    for (let offset = 0; offset < chunk.byteLength;) {
      const position = at + offset;
      if (position % input.partSize === 0) {
        if (partHash !== undefined) partMd5s.push(partHash.digest());
        partHash = md5();
      }
      const take = Math.min(chunk.byteLength - offset, input.partSize - (position % input.partSize));
      partHash?.update(take === chunk.byteLength ? chunk : chunk.subarray(offset, offset + take));
      offset += take;
    }
  };
  const pullOnce = async (controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> => {
    const step = await chunks.next();
    if (signal?.aborted === true) throw abortedError(key, signal.reason);
    if (step.done === true) {
      checkFinalSize(limits, size);
      if (partHash !== undefined) partMd5s.push(partHash.digest());
      digest = { size, sha256: toBase64(hash.digest()), partMd5s: input.md5 === undefined ? undefined : partMd5s };
      controller.close();
      return;
    }
    const chunk = step.value;
    const at = size;
    size += chunk.byteLength;
    checkReceivedSize(limits, size);
    hash.update(chunk);
    hashParts(chunk, at);
    controller.enqueue(chunk);
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          await pullOnce(controller);
        } catch (error) {
          // Release the producer without waiting: a stalled stream must not hold up the failure.
          chunks.return().catch(() => undefined);
          throw error;
        }
      },
      cancel() {
        // Not awaited: a stalled producer must not hold up the failure.
        chunks.return().catch(() => undefined);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, digest: () => digest };
}

/**
 * Uploads a body of unknown length through `@aws-sdk/lib-storage`: one PutObject when it fits in a part, else a
 * multipart upload with `queueSize` parts in flight, so memory stays near (queueSize + 1) x partSize.
 *
 * Integrity is decided before the object becomes visible: `Upload` only sends the final PutObject or
 * CompleteMultipartUpload after the whole body was read, so this checks the size and SHA-256 there and throws
 * instead of sending it. `Upload` then aborts the multipart upload, the parts are discarded, and the old object
 * stays as it was. Requests go through the store's retried `send`; AbortMultipartUpload is sent even after the
 * caller's signal fired, so no parts are left behind.
 */
export async function streamingPut(input: StreamingPutInput): Promise<StreamingPutResult> {
  const { key, requests, context, signal } = input;
  const source = hashingSource(input);
  let multipart = false;

  const checkedDigest = (): Digest => {
    const digest = source.digest();
    if (digest === undefined)
      throw new StorageError('Aborted', `"${key}" was committed before its body ended`, { key });
    if (input.expectedSha256 !== undefined && digest.sha256 !== input.expectedSha256) {
      throw new StorageError(
        'IntegrityError',
        `"${key}" has SHA-256 ${digest.sha256}, not the expected ${input.expectedSha256}`,
        { key },
      );
    }
    return digest;
  };

  const intercept = (command: object): object => {
    const ifNoneMatch = input.createOnly ? { IfNoneMatch: '*' } : {};
    if (command instanceof PutObjectCommand) {
      const { sha256 } = checkedDigest();
      return new PutObjectCommand({
        ...command.input,
        ...ifNoneMatch,
        Metadata: { ...command.input.Metadata, [SHA256_METADATA]: sha256 },
      });
    }
    if (command instanceof CompleteMultipartUploadCommand) {
      checkedDigest();
      return new CompleteMultipartUploadCommand({ ...command.input, ...ifNoneMatch });
    }
    if (command instanceof CreateMultipartUploadCommand) multipart = true;
    return command;
  };

  // Upload talks to the client only through `send` (and reads its config): a child object routes those calls
  // through the checks and the store's retries while sharing everything else with the caller's client.
  const uploadClient = Object.create(requests.client) as S3Client;
  const sendThroughStore = (command: object): Promise<unknown> =>
    command instanceof AbortMultipartUploadCommand
      ? // A failed abort (s3rver answers 405) must not hide why the upload stopped; the parts expire with the
        // bucket's lifecycle rules.
        requests.sendCommand(context, command, undefined).catch(() => ({}))
      : requests.sendCommand(context, intercept(command), signal);
  Object.defineProperty(uploadClient, 'send', { value: sendThroughStore });

  const upload = new Upload({
    client: uploadClient,
    params: { ...input.params, Body: source.stream },
    partSize: input.partSize,
    queueSize: input.queueSize,
    leavePartsOnError: false,
  });
  const result = await upload.done();
  const digest = checkedDigest();
  return { etag: result.ETag, size: digest.size, sha256: digest.sha256, multipart, partMd5s: digest.partMd5s };
}
