import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import busboy from 'busboy';
import { badRequest } from './api-error.ts';

/** One file part of a `multipart/form-data` body, as it streams in. */
export interface FilePart {
  /** The name the client gave the file. */
  readonly filename: string;
  /** The part's `Content-Type`, as sent. */
  readonly contentType: string;
  readonly body: ReadableStream<Uint8Array>;
}

/** How much of a refused body is read, and for how long, before the refusal is sent. */
const REFUSED_BODY_READ_BYTES = 16 * 1024 * 1024;
const REFUSED_BODY_READ_MS = 2000;

/** Calls `then` once `source` has ended, or has given `REFUSED_BODY_READ_BYTES` more, or after `REFUSED_BODY_READ_MS`. */
function afterRestOfBody(source: Readable, then: () => void): void {
  let read = 0;
  const done = (): void => {
    clearTimeout(timer);
    source.off('data', count);
    source.off('end', done);
    source.off('close', done);
    then();
  };
  const count = (chunk: Uint8Array): void => {
    read += chunk.byteLength;
    if (read > REFUSED_BODY_READ_BYTES) done();
  };
  const timer = setTimeout(done, REFUSED_BODY_READ_MS);
  if (source.readableEnded || source.destroyed) {
    done();
    return;
  }
  source.on('data', count);
  source.once('end', done);
  source.once('close', done);
}

/**
 * Reads a `multipart/form-data` body with busboy and hands its one file to `store` as a stream while it arrives,
 * never holding it whole. Other fields are read and dropped (at most a few small ones); a second file is refused.
 * Resolves to what `store` resolved to once the whole body is read. Throws `BadRequest` for a malformed body or
 * one without a file, and whatever `store` throws.
 */
export async function receiveOneFile<T>(
  contentType: string | undefined,
  body: ReadableStream<Uint8Array> | null,
  store: (file: FilePart) => Promise<T>,
): Promise<T> {
  if (contentType === undefined || !/^multipart\/form-data/iu.test(contentType))
    throw badRequest('the upload must be a multipart/form-data body with one file');
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': contentType },
      limits: { files: 1, fields: 16, fieldSize: 64 * 1024, parts: 17 },
    });
  } catch (error) {
    throw badRequest('the multipart/form-data body cannot be read (missing boundary?)', error);
  }
  const source = body === null ? Readable.from([]) : Readable.fromWeb(body as NodeReadableStream<Uint8Array>);
  let stored: Promise<T> | undefined;
  const finished = new Promise<void>((resolve, reject) => {
    parser.on('file', (_field, stream, info) => {
      const file: FilePart = {
        filename: info.filename ?? '',
        contentType: info.mimeType,
        body: Readable.toWeb(stream) as ReadableStream<Uint8Array>,
      };
      stored = store(file);
      // A refusal (size, quota) answers without storing the rest of the body. The answer closes the connection, and
      // a client still sending when it closes gets a reset instead of the answer: read the rest first, for a while.
      stored.catch((error: unknown) => {
        stream.resume();
        afterRestOfBody(source, () => {
          reject(error instanceof Error ? error : new Error(String(error)));
        });
      });
    });
    parser.on('filesLimit', () => {
      reject(badRequest('send one file per upload'));
    });
    parser.on('partsLimit', () => {
      reject(badRequest('the form has too many parts'));
    });
    parser.on('error', (error) => {
      reject(badRequest('the multipart/form-data body is malformed', error));
    });
    parser.on('close', resolve);
    source.on('error', reject);
  });
  source.pipe(parser);
  try {
    await finished;
    if (stored === undefined) throw badRequest('you must specify a file');
    return await stored;
  } catch (error) {
    // A refusal from the store (size, quota) wins over the parser's view of the cut body.
    if (stored !== undefined) await stored;
    throw error;
  } finally {
    source.destroy();
  }
}
