export { S3RVER_CREDENTIALS, TEST_TLS_FILES, startS3Server } from './start-s3-server.ts';
export type { S3TestServer, StartS3ServerOptions } from './start-s3-server.ts';
