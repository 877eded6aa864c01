export { S3RVER_CREDENTIALS, startS3Server } from './start-s3-server.ts';
export type { S3TestServer, StartS3ServerOptions } from './start-s3-server.ts';
