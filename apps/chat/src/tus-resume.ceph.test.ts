import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { createTestBucket } from '@stowage/ceph-server';
import { injectCephServer } from '@stowage/ceph-server/vitest';
import { parseStorageSettings } from '@stowage/core';
import { checksumConfig } from '@stowage/s3';
import { openChatStores } from './open-chat-stores.ts';
import { describeTusResume } from '../test/tus-resume-suite.ts';

// Partial uploads and the finished attachment in a bucket of Ceph's RADOS Gateway, opened from Zulip's settings.
describeTusResume('S3 on Ceph', async (dir) => {
  const server = injectCephServer();
  const client = new S3Client({ ...server.clientConfig, ...checksumConfig('s3-compatible') });
  try {
    const settings = parseStorageSettings({
      S3_AUTH_UPLOADS_BUCKET: await createTestBucket(client, 'uploads'),
      S3_AVATAR_BUCKET: await createTestBucket(client, 'avatars'),
      S3_ENDPOINT_URL: server.endpoint,
      S3_REGION: 'us-east-1',
      S3_ADDRESSING_STYLE: 'path',
      S3_KEY: server.credentials.accessKeyId,
      S3_SECRET_KEY: server.credentials.secretAccessKey,
    });
    return openChatStores(settings, {
      signingSecret: 'test-signing-secret-0123456789',
      cacheDir: join(dir, 's3-cache'),
    });
  } finally {
    client.destroy();
  }
});
