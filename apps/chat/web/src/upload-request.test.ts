import { describe, expect, it } from 'vitest';
import { ApiFailure } from './api-failure.ts';
import { uploadFingerprint, uploadedFile } from './upload-request.ts';
import type { HttpResponse } from './vendor/tus-js-client.ts';

function response(status: number, body: string, headers: Record<string, string> = {}): HttpResponse {
  return {
    getStatus: () => status,
    getHeader: (name) => headers[name.toLowerCase()],
    getBody: () => body,
    getUnderlyingObject: () => undefined,
  };
}

const base64 = (text: string): string => btoa(String.fromCharCode(...new TextEncoder().encode(text)));

describe('uploadedFile', () => {
  it("reads Zulip's answer to the request that completed the upload", () => {
    const answer = response(204, JSON.stringify({ url: '/user_uploads/2/ab/Rj3/plan.pdf', filename: 'plan.pdf' }));
    expect(uploadedFile(answer, 1234)).toEqual({
      name: 'plan.pdf',
      url: '/user_uploads/2/ab/Rj3/plan.pdf',
      size: 1234,
    });
  });

  it('reads the metadata of a HEAD that found the upload already complete (the last answer was lost)', () => {
    const head = response(200, '', {
      'upload-metadata': `filename ${base64('Überblick 2026.pdf')},filetype ${base64('application/pdf')},url ${base64('/user_uploads/2/x/Überblick-2026.pdf')}`,
    });
    expect(uploadedFile(head, 9)).toEqual({
      name: 'Überblick 2026.pdf',
      url: '/user_uploads/2/x/Überblick-2026.pdf',
      size: 9,
    });
  });

  it('fails clearly when the server does not say where the file is', () => {
    expect(() => uploadedFile(response(204, ''), 1)).toThrow(
      new ApiFailure(204, 'Http', 'the server did not say where the uploaded file is stored'),
    );
    expect(() => uploadedFile(response(200, '{"result":"success"}'), 1)).toThrow(ApiFailure);
  });
});

describe('uploadFingerprint', () => {
  const file = (name: string, size: number, lastModified: number): File =>
    new File([new Uint8Array(size)], name, { type: 'text/plain', lastModified });

  it('is the same for the same file picked again by the same user, and differs for another user or file', () => {
    expect(uploadFingerprint(file('a.txt', 3, 1000), 7)).toBe(uploadFingerprint(file('a.txt', 3, 1000), 7));
    expect(uploadFingerprint(file('a.txt', 3, 1000), 8)).not.toBe(uploadFingerprint(file('a.txt', 3, 1000), 7));
    expect(uploadFingerprint(file('a.txt', 3, 2000), 7)).not.toBe(uploadFingerprint(file('a.txt', 3, 1000), 7));
    expect(uploadFingerprint(file('a.txt', 4, 1000), 7)).not.toBe(uploadFingerprint(file('a.txt', 3, 1000), 7));
  });
});
