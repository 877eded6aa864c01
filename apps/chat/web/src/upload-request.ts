import { ApiFailure, failureFromResponse } from './api-failure.ts';
import type { Attachment } from './types.ts';

/** An upload under way. */
export interface UploadRequest {
  /** The stored attachment; rejects with an `ApiFailure` (refused, or the connection failed) or `UploadCancelled`. */
  readonly done: Promise<Attachment>;
  /** Stops sending; `done` then rejects with `UploadCancelled` and the server keeps nothing. */
  cancel(): void;
}

export class UploadCancelled extends Error {
  override readonly name = 'UploadCancelled';

  constructor(fileName: string) {
    super(`the upload of ${fileName} was cancelled`);
  }
}

/**
 * Sends a file as a message attachment. XMLHttpRequest rather than fetch: only it reports upload progress.
 * `onProgress` gets bytes sent and the total.
 */
export function startUpload(file: File, csrfToken: string, onProgress: (sent: number, total: number) => void): UploadRequest {
  const xhr = new XMLHttpRequest();
  const done = new Promise<Attachment>((resolve, reject) => {
    xhr.upload.addEventListener('progress', (event) => {
      onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status === 201) resolve(JSON.parse(xhr.responseText) as Attachment);
      else reject(failureFromResponse(xhr.status, xhr.responseText));
    });
    xhr.addEventListener('error', () => {
      reject(new ApiFailure(0, 'Network', `the upload of ${file.name} failed: the connection to the server was lost`));
    });
    xhr.addEventListener('abort', () => {
      reject(new UploadCancelled(file.name));
    });
  });
  xhr.open('POST', `/api/uploads?name=${encodeURIComponent(file.name)}`);
  xhr.setRequestHeader('X-CSRF-Token', csrfToken);
  xhr.setRequestHeader('Content-Type', file.type === '' ? 'application/octet-stream' : file.type);
  xhr.send(file);
  return {
    done,
    cancel: () => {
      xhr.abort();
    },
  };
}
