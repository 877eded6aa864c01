export { FakeS3 } from './fake-s3.ts';
export type { FakeS3Options } from './fake-s3.ts';
export type { FaultRule } from './faults.ts';
export { instantRetries } from './instant-retries.ts';
