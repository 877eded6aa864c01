import { describe, expect, it } from 'vitest';
import { ApiFailure, describeError, failureFromResponse } from './api-failure.ts';

describe('failureFromResponse', () => {
  it("carries the server's code and message, meant for people", () => {
    const failure = failureFromResponse(
      413,
      JSON.stringify({ error: { code: 'QuotaExceeded', message: 'this upload would exceed the quota' } }),
    );
    expect(failure).toBeInstanceOf(ApiFailure);
    expect([failure.status, failure.code, failure.message]).toEqual([
      413,
      'QuotaExceeded',
      'this upload would exceed the quota',
    ]);
  });

  it("falls back to the status when the body is not the API's error shape", () => {
    for (const body of ['<html>Bad gateway</html>', '{}', '{"error":{"code":3}}', '']) {
      const failure = failureFromResponse(502, body);
      expect([failure.code, failure.message]).toEqual(['Http', 'the server answered 502']);
    }
  });
});

describe('describeError', () => {
  it("shows an error's message, and anything else as text", () => {
    expect(describeError(new ApiFailure(0, 'Network', 'the server could not be reached'))).toBe(
      'the server could not be reached',
    );
    expect(describeError('plain')).toBe('plain');
  });
});
