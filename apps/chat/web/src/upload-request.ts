import { ApiFailure, failureFromResponse } from './api-failure.ts';
import { Upload, defaultOptions } from './vendor/tus-js-client.ts';
import type { DetailedError, HttpRequest, HttpResponse, PreviousUpload } from './vendor/tus-js-client.ts';

/** Where the server takes resumable uploads (tus 1.0, as Zulip 10 does). */
export const TUS_ENDPOINT = '/api/v1/tus';

/**
 * Each PATCH carries at most this much. A cut connection costs at most the chunk in flight (the client resumes
 * from the server's offset), while larger chunks mean fewer requests.
 */
export const CHUNK_BYTES: number = 5 * 1024 * 1024;

/** Waits before each retry after a failed request (no answer, or a 5xx): a short outage costs no restart. */
const RETRY_DELAYS_MS = [0, 1000, 3000, 5000, 10_000, 20_000];

/** A file stored as an attachment. */
export interface UploadedFile {
  /** The stored (sanitized) file name. */
  readonly name: string;
  /** `/user_uploads/{key}`: the link a message carries. */
  readonly url: string;
  readonly size: number;
}

/** An upload under way. */
export interface UploadRequest {
  /** The stored file; rejects with an `ApiFailure` (refused, or the connection failed) or `UploadCancelled`. */
  readonly done: Promise<UploadedFile>;
  /** Stops sending and deletes the partial upload on the server; `done` then rejects with `UploadCancelled`. */
  cancel(): void;
}

export interface UploadCallbacks {
  /** Bytes the server has (including those stored before a resume) and the total. */
  readonly onProgress: (sent: number, total: number) => void;
  /** An earlier, unfinished upload of the same file is taken up again from `offset` bytes, which are not sent again. */
  readonly onResume: (offset: number) => void;
}

export class UploadCancelled extends Error {
  override readonly name = 'UploadCancelled';

  constructor(fileName: string) {
    super(`the upload of ${fileName} was cancelled`);
  }
}

/**
 * Names a file for resuming: the same file picked again by the same user (after a reload, say) resumes the upload
 * this browser started. A file has no identity a page can read, so name, type, size and modification time stand in.
 */
export function uploadFingerprint(file: File, userId: number): string {
  return [...fingerprintStart(userId), file.name, file.type, String(file.size), String(file.lastModified)].join(
    FIELD_SEPARATOR,
  );
}

const FIELD_SEPARATOR = '\u001f';
const fingerprintStart = (userId: number): string[] => ['stowage-tus', String(userId)];

/** An upload this browser started for the user and did not finish (the page was closed or reloaded mid-way). */
export interface UnfinishedUpload {
  readonly name: string;
  readonly size: number;
  /** Deletes what the server has of it and forgets it here. */
  discard(): Promise<void>;
}

/** The user's unfinished uploads this browser remembers; picking the same file again resumes one. */
export async function unfinishedUploads(userId: number, csrfToken: string): Promise<UnfinishedUpload[]> {
  const storage = defaultOptions.urlStorage;
  // tus-js-client names each entry `tus::{fingerprint}::{random}`.
  const mine = `tus::${fingerprintStart(userId).join(FIELD_SEPARATOR)}${FIELD_SEPARATOR}`;
  const uploads = await storage.findAllUploads();
  return uploads
    .filter((upload) => upload.urlStorageKey.startsWith(mine))
    .map((upload) => ({
      name: upload.metadata.filename ?? 'a file',
      size: upload.size ?? 0,
      discard: async () => {
        if (upload.uploadUrl !== null) {
          // Already gone (expired, say) is fine: the point is that the server keeps nothing.
          await Upload.terminate(upload.uploadUrl, {
            headers: { 'X-CSRF-Token': csrfToken },
            retryDelays: RETRY_DELAYS_MS.slice(0, 3),
          }).catch(() => undefined);
        }
        await storage.removeUpload(upload.urlStorageKey);
      },
    }));
}

/**
 * Where the completed upload is stored. The request that completed it answers Zulip's `{"url", "filename"}`; a HEAD
 * that finds it already complete (the answer to the last PATCH was lost) says the same in its `Upload-Metadata`.
 */
export function uploadedFile(response: HttpResponse, size: number): UploadedFile {
  const body = response.getBody();
  let answer: { url?: unknown; filename?: unknown } = {};
  if (body.trim().startsWith('{')) answer = JSON.parse(body) as typeof answer;
  else answer = parseUploadMetadata(response.getHeader('Upload-Metadata') ?? '');
  if (typeof answer.url !== 'string' || typeof answer.filename !== 'string') {
    throw new ApiFailure(response.getStatus(), 'Http', 'the server did not say where the uploaded file is stored');
  }
  return { name: answer.filename, url: answer.url, size };
}

/** tus `Upload-Metadata`: comma-separated `key base64(value)` pairs, values UTF-8. */
function parseUploadMetadata(header: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const pair of header.split(',')) {
    const [key = '', value = ''] = pair.trim().split(' ');
    if (key !== '') pairs[key] = new TextDecoder().decode(Uint8Array.from(atob(value), (char) => char.charCodeAt(0)));
  }
  return pairs;
}

function failureFrom(error: Error | DetailedError, file: File): ApiFailure {
  const response = 'originalResponse' in error ? error.originalResponse : null;
  if (response !== null && response.getStatus() !== 0) {
    const status = response.getStatus();
    const body = response.getBody();
    // The tus endpoint refuses in plain text meant for people (as @tus/server answers); other routes in JSON.
    if (!body.trim().startsWith('{') && body.trim() !== '') return new ApiFailure(status, 'Http', body.trim());
    return failureFromResponse(status, body);
  }
  return new ApiFailure(0, 'Network', `the upload of ${file.name} failed: the connection to the server was lost`);
}

/** The newest of the unfinished uploads this browser recorded for a file. */
function newest(uploads: readonly PreviousUpload[]): PreviousUpload | undefined {
  return uploads.reduce<PreviousUpload | undefined>(
    (best, upload) => (best === undefined || upload.creationTime > best.creationTime ? upload : best),
    undefined,
  );
}

/**
 * Sends a file as a message attachment over tus: in chunks, retrying after a dropped connection from the offset the
 * server reports, and resuming an unfinished upload of the same file from an earlier page (the upload's address is
 * kept in localStorage until it completes).
 */
export function startUpload(file: File, csrfToken: string, userId: number, callbacks: UploadCallbacks): UploadRequest {
  let cancelled = false;
  let settle: { resolve: (file: UploadedFile) => void; reject: (error: unknown) => void } | undefined;
  const done = new Promise<UploadedFile>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const upload = new Upload(file, {
    endpoint: TUS_ENDPOINT,
    chunkSize: CHUNK_BYTES,
    retryDelays: RETRY_DELAYS_MS,
    metadata: { filename: file.name, filetype: file.type === '' ? 'application/octet-stream' : file.type },
    headers: { 'X-CSRF-Token': csrfToken },
    fingerprint: (picked: File) => Promise.resolve(uploadFingerprint(picked, userId)),
    storeFingerprintForResuming: true,
    removeFingerprintOnSuccess: true,
    onProgress: (sent, total) => {
      callbacks.onProgress(sent, total);
    },
    onAfterResponse: (request: HttpRequest, response: HttpResponse) => {
      // The answer to the HEAD that opens a resume says how much the server already has.
      if (request.getMethod() === 'HEAD' && response.getStatus() === 200) {
        const offset = Number(response.getHeader('Upload-Offset'));
        if (Number.isSafeInteger(offset)) callbacks.onResume(offset);
      }
    },
    onSuccess: ({ lastResponse }) => {
      try {
        settle?.resolve(uploadedFile(lastResponse, file.size));
      } catch (error) {
        settle?.reject(error);
      }
    },
    onError: (error) => {
      settle?.reject(cancelled ? new UploadCancelled(file.name) : failureFrom(error, file));
    },
  });
  upload.findPreviousUploads().then(
    (previous) => {
      if (cancelled) return;
      const last = newest(previous);
      if (last !== undefined) upload.resumeFromPreviousUpload(last);
      upload.start();
    },
    (error: unknown) => {
      settle?.reject(error);
    },
  );
  return {
    done,
    cancel: () => {
      if (cancelled) return;
      cancelled = true;
      // `true` sends the DELETE that makes the server drop what it has (tus termination) and forgets the address.
      upload.abort(true).then(
        () => {
          settle?.reject(new UploadCancelled(file.name));
        },
        () => {
          // The DELETE failed (the connection is down): the server's expiry removes the partial upload later.
          settle?.reject(new UploadCancelled(file.name));
        },
      );
    },
  };
}
