import { PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { createTestBucket } from '@stowage/ceph-server';
import { injectCephServer } from '@stowage/ceph-server/vitest';
import { bucketPolicies, checksumConfig } from '@stowage/s3';
import { describeStowageOnS3 } from '../../test/s3-command-suite.ts';

describeStowageOnS3("Ceph 16.2's RADOS Gateway (a real S3 that checks signatures)", async () => {
  const server = injectCephServer();
  const client = new S3Client({ ...server.clientConfig, ...checksumConfig('s3-compatible') });
  try {
    const buckets = {
      uploads: await createTestBucket(client, 'uploads'),
      avatars: await createTestBucket(client, 'avatars'),
      copy: await createTestBucket(client, 'copy'),
    };
    // As an operator sets up a deployment: `stowage policy` writes these, for the S3 user the launcher made.
    const policies = bucketPolicies({
      uploadsBucket: buckets.uploads,
      avatarsBucket: buckets.avatars,
      principal: 'arn:aws:iam:::user/stowage',
    });
    await client.send(
      new PutBucketPolicyCommand({ Bucket: buckets.uploads, Policy: JSON.stringify(policies.uploads) }),
    );
    await client.send(
      new PutBucketPolicyCommand({ Bucket: buckets.avatars, Policy: JSON.stringify(policies.avatars) }),
    );
    return {
      endpoint: server.endpoint,
      credentials: server.credentials,
      buckets,
      extraSettings: {},
      enforcesAccess: true,
      // The project's global setup stops the gateway.
      stop: () => Promise.resolve(),
    };
  } finally {
    client.destroy();
  }
});
