import { NoSuchBucket, NoSuchKey, NoSuchUpload, NotFound, S3ServiceException } from '@aws-sdk/client-s3';

let requestCounter = 0;

function metadata(status: number): {
  httpStatusCode: number;
  requestId: string;
  attempts: number;
  totalRetryDelay: number;
} {
  requestCounter += 1;
  return {
    httpStatusCode: status,
    requestId: `FAKE${requestCounter.toString(16).toUpperCase().padStart(12, '0')}`,
    attempts: 1,
    totalRetryDelay: 0,
  };
}

/**
 * An error exactly as the SDK raises it for an S3 error answer: the modelled exception class where S3 has one
 * (`NoSuchKey`, `NotFound`, `NoSuchBucket`, `NoSuchUpload`), else `S3ServiceException`, with the S3 error code as
 * `name`, the HTTP status in `$metadata.httpStatusCode`, and `$fault` by status.
 */
export function fakeS3Error(name: string, status: number, message: string): S3ServiceException {
  const options = { $metadata: metadata(status), message };
  switch (name) {
    case 'NoSuchKey':
      return new NoSuchKey(options);
    case 'NotFound':
      // HEAD answers carry no body, so the SDK can only name the status.
      return new NotFound({ ...options, message: 'UnknownError' });
    case 'NoSuchBucket':
      return new NoSuchBucket(options);
    case 'NoSuchUpload':
      return new NoSuchUpload(options);
    default:
      return new S3ServiceException({ ...options, name, $fault: status >= 500 ? 'server' : 'client' });
  }
}

/** A dropped connection as Node's HTTP client reports it (no answer, so no status). */
export function connectionResetError(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', $metadata: {} });
}

/** A request that got no answer in time, as the SDK's Node handler reports it. */
export function requestTimeoutError(): Error {
  return Object.assign(new Error('Connection timed out after 3000 ms'), {
    name: 'TimeoutError',
    code: 'ETIMEDOUT',
    $metadata: {},
  });
}
