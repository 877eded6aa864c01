import type { PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import { StorageError, abortedError, checkFinalSize, checkReceivedSize, toBase64 } from '@stowage/core';
import type { Body, Sha256Factory, SizeLimits } from '@stowage/core';
import { BodyReader } from './body-read.ts';
import { SHA256_METADATA } from './object-info.ts';
import { clientS3, libStorage } from './sdk.ts';

/** Sends one command with the store's retries; `signal` is omitted for requests that must run even when aborted. */
export type CommandSender = (command: object, signal: AbortSignal | undefined) => Promise<unknown>;

export interface StreamingPutInput {
  readonly client: S3Client;
  readonly send: CommandSender;
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
  readonly signal: AbortSignal | undefined;
}

export interface StreamingPutResult {
  readonly etag: string;
  readonly size: number;
  readonly sha256: string;
  /** Whether the body went up in parts (so the SHA-256 could not be sent with the object's metadata up front). */
  readonly multipart: boolean;
}

interface Digest {
  readonly size: number;
  readonly sha256: string;
}


/**
 * Reads the body once, counting and hashing each chunk on its way to `Upload`, and fails the read (which makes
 * `Upload` stop and abort the multipart upload) on a size violation, a broken body or an aborted signal.
 */
function hashingSource(input: StreamingPutInput): { readonly stream: ReadableStream<Uint8Array>; readonly digest: () => Digest | undefined } {
  const { key, limits, signal } = input;
  const hash = input.sha256();
  const chunks = new BodyReader(input.body, signal, key);
  let size = 0;
  let digest: Digest | undefined;
  const pullOnce = async (controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> => {
    const step = await chunks.next();
    if (signal?.aborted === true) throw abortedError(key, signal.reason);
    if (step.done === true) {
      checkFinalSize(limits, size);
      digest = { size, sha256: toBase64(hash.digest()) };
      controller.close();
      return;
    }
    const chunk = step.value;
    size += chunk.byteLength;
    checkReceivedSize(limits, size);
    hash.update(chunk);
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
 * stays as it was. Requests go through the store's retrying sender; AbortMultipartUpload is sent even after the
 * caller's signal fired, so no parts are left behind.
 */
export async function streamingPut(input: StreamingPutInput): Promise<StreamingPutResult> {
  const { key, send, signal } = input;
  const source = hashingSource(input);
  let multipart = false;

  const checkedDigest = (): Digest => {
    const digest = source.digest();
    if (digest === undefined) throw new StorageError('Aborted', `"${key}" was committed before its body ended`, { key });
    if (input.expectedSha256 !== undefined && digest.sha256 !== input.expectedSha256) {
      throw new StorageError('IntegrityError', `"${key}" has SHA-256 ${digest.sha256}, not the expected ${input.expectedSha256}`, { key });
    }
    return digest;
  };

  const { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand } = clientS3();
  const intercept = (command: object): object => {
    const ifNoneMatch = input.createOnly ? { IfNoneMatch: '*' } : {};
    if (command instanceof PutObjectCommand) {
      const { sha256 } = checkedDigest();
      return new PutObjectCommand({ ...command.input, ...ifNoneMatch, Metadata: { ...command.input.Metadata, [SHA256_METADATA]: sha256 } });
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
  const uploadClient = Object.create(input.client) as S3Client;
  const sendThroughStore = (command: object): Promise<unknown> =>
    send(intercept(command), command instanceof AbortMultipartUploadCommand ? undefined : signal);
  Object.defineProperty(uploadClient, 'send', { value: sendThroughStore });

  const upload = new (libStorage().Upload)({
    client: uploadClient,
    params: { ...input.params, Body: source.stream },
    partSize: input.partSize,
    queueSize: input.queueSize,
    leavePartsOnError: false,
  });
  const result = await upload.done();
  const digest = checkedDigest();
  return { etag: result.ETag ?? '""', size: digest.size, sha256: digest.sha256, multipart };
}
