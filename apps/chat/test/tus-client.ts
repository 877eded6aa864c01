import { Upload } from 'tus-js-client';
import type { UploadOptions } from 'tus-js-client';
import type { Client } from './chat-fixture.ts';
import { cookieOf } from './raw-http.ts';

/** What Zulip's tus endpoint answers the request that completes an upload. */
export interface TusFinished {
  readonly url: string;
  readonly filename: string;
}

/** The headers a logged-in browser sends with each tus request: its cookies and the CSRF token. */
export function sessionHeaders(client: Client): Record<string, string> {
  return { cookie: cookieOf(client), 'x-csrf-token': client.csrfToken ?? '' };
}

/**
 * Uploads `source` with tus-js-client (a Buffer, or an fs.ReadStream it reopens at any offset to resume) and
 * resolves with the completing response's JSON once it succeeds.
 */
export function tusUpload(
  source: Buffer | NodeJS.ReadableStream,
  endpoint: string,
  client: Client,
  options: Partial<UploadOptions> = {},
): { readonly upload: Upload; readonly done: Promise<TusFinished> } {
  let upload: Upload | undefined;
  const done = new Promise<TusFinished>((resolve, reject) => {
    upload = new Upload(source as Buffer, {
      endpoint,
      headers: sessionHeaders(client),
      retryDelays: null,
      storeFingerprintForResuming: false,
      ...options,
      onSuccess: ({ lastResponse }) => {
        try {
          resolve(JSON.parse(lastResponse.getBody()) as TusFinished);
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      },
      onError: (error) => {
        reject(error);
      },
    });
    upload.start();
  });
  if (upload === undefined) throw new Error('tus-js-client did not construct');
  return { upload, done };
}
