export { S3Store } from './s3-store.ts';
export type { S3ServerLimitations, S3StoreOptions } from './s3-store.ts';
export { createS3Client } from './s3-client.ts';
export type { S3ClientOptions } from './s3-client.ts';
export { checksumConfig } from './checksum-profile.ts';
export type { S3ChecksumProfile } from './checksum-profile.ts';
export { bucketPolicies } from './bucket-policy.ts';
export { publicUrlBase } from './public-url.ts';
