import { StorageError } from '@stowage/core';
import { describe, expect, it } from 'vitest';
import { isS3NotFound, toStorageError } from './s3-error.ts';
import { retryErrorType } from './retry.ts';
import { connectionResetError, fakeS3Error, requestTimeoutError } from './testing/fake-s3-errors.ts';

const context = { store: 's3://bucket', endpoint: 'http://127.0.0.1:9', operation: 'get', key: 'a/b' };

describe('toStorageError', () => {
  it.each([
    ['NoSuchKey', 404, 'NotFound'],
    ['NotFound', 404, 'NotFound'],
    ['NoSuchBucket', 404, 'InvalidSettings'],
    ['AccessDenied', 403, 'AccessDenied'],
    ['InvalidAccessKeyId', 403, 'AccessDenied'],
    ['SignatureDoesNotMatch', 403, 'AccessDenied'],
    ['InvalidRange', 416, 'InvalidRange'],
    ['BadDigest', 400, 'IntegrityError'],
    ['EntityTooLarge', 400, 'TooLarge'],
    ['NotImplemented', 501, 'Unsupported'],
    ['InvalidArgument', 400, 'InvalidArgument'],
    ['InternalError', 500, 'Unavailable'],
    ['SlowDown', 503, 'Unavailable'],
    ['ServiceUnavailable', 503, 'Unavailable'],
    ['RequestTimeout', 400, 'Unavailable'],
  ] as const)('maps %s (HTTP %i) to %s, keeping the SDK error as cause', (name, status, code) => {
    const sdkError = fakeS3Error(name, status, 'server says no');
    const mapped = toStorageError(sdkError, context);
    expect(mapped).toBeInstanceOf(StorageError);
    expect(mapped.code).toBe(code);
    expect(mapped.key).toBe('a/b');
    expect(mapped.cause).toBe(sdkError);
    expect(mapped.message).toContain('"a/b" in s3://bucket');
    expect(mapped.message).toContain(name);
  });

  it('maps a failed precondition to AlreadyExists only for a create-only put', () => {
    const refusal = fakeS3Error(
      'PreconditionFailed',
      412,
      'At least one of the pre-conditions you specified did not hold',
    );
    expect(toStorageError(refusal, { ...context, operation: 'put', createOnly: true }).code).toBe('AlreadyExists');
    expect(
      toStorageError(fakeS3Error('ConditionalRequestConflict', 409, 'conflict'), { ...context, createOnly: true }).code,
    ).toBe('AlreadyExists');
    expect(toStorageError(refusal, context).code).toBe('Unavailable');
  });

  it('names the endpoint for refused, dropped and timed-out connections', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    for (const error of [refused, connectionResetError(), requestTimeoutError()]) {
      const mapped = toStorageError(error, context);
      expect(mapped.code).toBe('Unavailable');
      expect(mapped.message).toContain('http://127.0.0.1:9 is unavailable');
    }
  });

  it('maps a refused server certificate to InvalidSettings, naming the endpoint and how to trust a private authority', () => {
    const refused = Object.assign(new Error('unable to verify the first certificate'), {
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
    const mapped = toStorageError(refused, { ...context, endpoint: 'https://127.0.0.1:9' });
    expect(mapped.code).toBe('InvalidSettings');
    expect(mapped.cause).toBe(refused);
    expect(mapped.message).toBe(
      'get of "a/b" in s3://bucket failed: https://127.0.0.1:9 presented a TLS certificate this process does not accept ' +
        '(UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate); check the endpoint, and if its ' +
        "certificate authority is a private one, name that authority's certificate file in NODE_EXTRA_CA_CERTS",
    );
    const wrongName = Object.assign(new Error("Hostname/IP does not match certificate's altnames"), {
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
    expect(toStorageError(wrongName, context).code).toBe('InvalidSettings');
    expect(retryErrorType(refused)).toBeUndefined();
    expect(retryErrorType(wrongName)).toBeUndefined();
  });

  it('maps an AbortError to Aborted and passes a StorageError through', () => {
    expect(toStorageError(Object.assign(new Error('Request aborted'), { name: 'AbortError' }), context).code).toBe(
      'Aborted',
    );
    const own = new StorageError('IntegrityError', 'mismatch', { key: 'a/b' });
    expect(toStorageError(own, context)).toBe(own);
  });

  it('treats both spellings of "no such object" as not found, but not a missing bucket', () => {
    expect(isS3NotFound(fakeS3Error('NoSuchKey', 404, 'x'))).toBe(true);
    expect(isS3NotFound(fakeS3Error('NotFound', 404, 'x'))).toBe(true);
    expect(isS3NotFound(fakeS3Error('NoSuchBucket', 404, 'x'))).toBe(false);
    expect(isS3NotFound(fakeS3Error('AccessDenied', 403, 'x'))).toBe(false);
  });
});

describe('retryErrorType', () => {
  it('retries throttling, transient and server errors, and nothing a retry cannot fix', () => {
    expect(retryErrorType(fakeS3Error('SlowDown', 503, 'x'))).toBe('THROTTLING');
    expect(retryErrorType(fakeS3Error('InternalError', 500, 'x'))).toBe('TRANSIENT');
    expect(retryErrorType(connectionResetError())).toBe('TRANSIENT');
    expect(retryErrorType(requestTimeoutError())).toBe('TRANSIENT');
    expect(retryErrorType(fakeS3Error('NotImplemented', 501, 'x'))).toBe('SERVER_ERROR');
    expect(retryErrorType(fakeS3Error('NoSuchKey', 404, 'x'))).toBeUndefined();
    expect(retryErrorType(fakeS3Error('AccessDenied', 403, 'x'))).toBeUndefined();
    expect(retryErrorType(new StorageError('IntegrityError', 'x', { cause: connectionResetError() }))).toBeUndefined();
    expect(retryErrorType(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toBeUndefined();
  });
});
