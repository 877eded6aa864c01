import { StorageError, bucketNameProblem } from '@stowage/core';

/** One statement of an S3 bucket policy (IAM policy language). */
export interface BucketPolicyStatement {
  /** A name for the statement, unique within the policy. */
  readonly Sid: string;
  readonly Effect: 'Allow' | 'Deny';
  /** `*` for anyone (anonymous included), else the IAM principal. */
  readonly Principal: '*' | { readonly AWS: string };
  /** `s3:` actions the statement allows. */
  readonly Action: string | readonly string[];
  /** The bucket ARN (bucket-level actions) or `ARN/*` (object actions). */
  readonly Resource: string | readonly string[];
}

/** A bucket policy document, ready for `JSON.stringify` and `PutBucketPolicy`. */
export interface BucketPolicy {
  /** The policy language version every current policy uses. */
  readonly Version: '2012-10-17';
  readonly Statement: readonly BucketPolicyStatement[];
}

export interface BucketPolicyInput {
  /** The private bucket (`S3_AUTH_UPLOADS_BUCKET`). */
  readonly uploadsBucket: string;
  /** The public bucket (`S3_AVATAR_BUCKET`). */
  readonly avatarsBucket: string;
  /** The server's IAM principal, e.g. `arn:aws:iam::123456789012:role/chat-server`. */
  readonly principal: string;
}

function serverStatements(bucket: string, principal: string): BucketPolicyStatement[] {
  return [
    {
      Sid: 'ServerReadsAndWritesObjects',
      Effect: 'Allow',
      Principal: { AWS: principal },
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      Resource: `arn:aws:s3:::${bucket}/*`,
    },
    {
      Sid: 'ServerListsBucket',
      Effect: 'Allow',
      Principal: { AWS: principal },
      Action: 's3:ListBucket',
      Resource: `arn:aws:s3:::${bucket}`,
    },
  ];
}

/**
 * The two bucket policies Zulip documents: the uploads bucket lets only the server's principal get, put, delete
 * and list; the avatars bucket allows the same and lets anyone get objects (avatars, icons, logos and emoji are
 * served without authentication). Plain objects: `JSON.stringify` them to print or apply. Throws `InvalidSettings`
 * for an invalid bucket name, equal buckets, or a blank principal.
 */
export function bucketPolicies(input: BucketPolicyInput): {
  readonly uploads: BucketPolicy;
  readonly avatars: BucketPolicy;
} {
  for (const [what, bucket] of [
    ['uploads bucket', input.uploadsBucket],
    ['avatars bucket', input.avatarsBucket],
  ] as const) {
    const problem = bucketNameProblem(bucket);
    if (problem !== undefined) {
      throw new StorageError(
        'InvalidSettings',
        `the ${what} ${JSON.stringify(bucket)} is not a valid bucket name: it ${problem}`,
      );
    }
  }
  if (input.uploadsBucket === input.avatarsBucket) {
    throw new StorageError(
      'InvalidSettings',
      `the uploads and avatars buckets must differ (both are ${JSON.stringify(input.uploadsBucket)})`,
    );
  }
  if (!/^\S+$/u.test(input.principal)) {
    throw new StorageError(
      'InvalidSettings',
      `the principal must be an IAM ARN or account id without spaces, not ${JSON.stringify(input.principal)}`,
    );
  }
  return {
    uploads: { Version: '2012-10-17', Statement: serverStatements(input.uploadsBucket, input.principal) },
    avatars: {
      Version: '2012-10-17',
      Statement: [
        ...serverStatements(input.avatarsBucket, input.principal),
        {
          Sid: 'AnyoneReadsObjects',
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${input.avatarsBucket}/*`,
        },
      ],
    },
  };
}
