export { FakeS3 } from './fake-s3.ts';
export type { FakeFetchInit, FakeObject, FakeS3Options } from './fake-s3.ts';
export { presignedUrlProblem } from './presigned-url.ts';
export type { PresignedRequest, SigningCredentials } from './presigned-url.ts';
export { FaultSchedule } from './faults.ts';
export type { FaultDecision, FaultKind, FaultRule } from './faults.ts';
export { connectionResetError, fakeS3Error, requestTimeoutError } from './fake-s3-errors.ts';
export { instantRetries } from './instant-retries.ts';
