import { Readable } from 'node:stream';
import { StorageError, checkFinalSize, checkReceivedSize, toBase64 } from '@stowage/core';
import type { Body, Sha256Factory, SizeLimits } from '@stowage/core';
import { BodyReader, bodyReadFailure } from './body-read.ts';
import type { Md5Factory } from './etag-check.ts';

/** What a checked stream read, once all of it was read and passed the checks. */
export interface CheckedDigest {
  readonly size: number;
  /** SHA-256, base64. */
  readonly sha256: string;
  /** MD5, raw, when asked for. */
  readonly md5: Uint8Array | undefined;
}

export interface CheckedStream {
  /** The body as a Node stream for an HTTP request of exactly the announced length. */
  readonly readable: Readable;
  /** Size and digests once the body was read in full and passed every check; `undefined` before. */
  digest(): CheckedDigest | undefined;
  /** The `StorageError` that stopped the body (size, SHA-256, a failed producer, an abort), if one did. */
  failure(): StorageError | undefined;
}

export interface CheckedStreamInput {
  readonly body: Body;
  readonly limits: SizeLimits;
  readonly expectedSha256: string | undefined;
  readonly sha256: Sha256Factory;
  readonly md5: Md5Factory | undefined;
  readonly signal: AbortSignal | undefined;
  /** Told about a failure at once, so the request carrying the body can be torn down. */
  readonly onFailure: (error: StorageError) => void;
}

/**
 * A body sent as one request of an announced length, checked on the way. Each chunk is held back until the next
 * one arrives, and the last one until the producer has ended and the size and SHA-256 are known to be right: the
 * server can only complete the object (it needs every announced byte) once nothing is left to check. A body
 * that fails a check, fails itself or is aborted stops before its last byte, so the server stores nothing.
 */
export function checkedStream(input: CheckedStreamInput): CheckedStream {
  const { limits, signal } = input;
  const { key } = limits;
  let digest: CheckedDigest | undefined;
  let failure: StorageError | undefined;

  async function* produce(): AsyncGenerator<Uint8Array, void, undefined> {
    const chunks = new BodyReader(input.body, signal, key);
    const sha256 = input.sha256();
    const md5 = input.md5?.();
    let pending: Uint8Array | undefined;
    let size = 0;
    try {
      for (;;) {
        const step = await chunks.next();
        if (step.done === true) break;
        const chunk = step.value;
        if (chunk.byteLength === 0) continue;
        size += chunk.byteLength;
        checkReceivedSize(limits, size);
        sha256.update(chunk);
        md5?.update(chunk);
        if (pending !== undefined) yield pending;
        pending = chunk;
      }
      checkFinalSize(limits, size);
      const sha256Text = toBase64(sha256.digest());
      if (input.expectedSha256 !== undefined && sha256Text !== input.expectedSha256) {
        throw new StorageError('IntegrityError', `"${key}" has SHA-256 ${sha256Text}, not the expected ${input.expectedSha256}`, { key });
      }
      digest = { size, sha256: sha256Text, md5: md5?.digest() };
      if (pending !== undefined) yield pending;
    } catch (error) {
      failure = bodyReadFailure(error, key);
      input.onFailure(failure);
      throw failure;
    } finally {
      // Not awaited: a stalled producer must not hold up the failure.
      chunks.return().catch(() => undefined);
    }
  }

  const readable = Readable.from(produce(), { objectMode: false });
  // The failure is reported through `failure()` and `onFailure`, and the request carrying the body is torn down:
  // the stream's own error event must not go unheard (an unheard one would end the process).
  readable.on('error', () => undefined);
  return { readable, digest: () => digest, failure: () => failure };
}
