import type { S3Settings } from '@stowage/core';
import { StorageError } from '@stowage/core';
import { describe, expect, it } from 'vitest';
import { bucketPolicies } from './bucket-policy.ts';
import { checksumHeaders, s3CompatibleRequestProblem } from './checksum-profile.ts';
import { encodeCopySource } from './copy-source.ts';
import { publicUrlBase } from './public-url.ts';
import { createS3Client, s3ChecksumProfile, usesPathStyle } from './s3-client.ts';
import { S3Store } from './s3-store.ts';

const base: S3Settings = {
  uploadsBucket: 'chat-uploads',
  avatarsBucket: 'chat-avatars',
  endpointUrl: undefined,
  region: 'eu-west-1',
  addressingStyle: 'auto',
  skipChecksum: false,
  uploadsStorageClass: undefined,
  avatarPublicUrlPrefix: undefined,
  credentials: undefined,
};

describe('client settings', () => {
  it('uses virtual-hosted addressing on AWS and path style on other endpoints under auto, and follows explicit styles', () => {
    expect(usesPathStyle(base)).toBe(false);
    expect(usesPathStyle({ ...base, endpointUrl: 'http://127.0.0.1:9000' })).toBe(true);
    expect(usesPathStyle({ ...base, endpointUrl: 'https://minio.example.test', addressingStyle: 'virtual' })).toBe(
      false,
    );
    expect(usesPathStyle({ ...base, addressingStyle: 'path' })).toBe(true);
  });

  it('picks the AWS checksum profile only for AWS without S3_SKIP_CHECKSUM', () => {
    expect(s3ChecksumProfile(base)).toBe('aws');
    expect(s3ChecksumProfile({ ...base, skipChecksum: true })).toBe('s3-compatible');
    expect(s3ChecksumProfile({ ...base, endpointUrl: 'https://r2.example.test' })).toBe('s3-compatible');
  });

  it('builds a client with the region, endpoint, addressing, checksum settings, credentials and no SDK retries', async () => {
    const client = createS3Client({
      ...base,
      endpointUrl: 'http://127.0.0.1:9000',
      credentials: { accessKeyId: 'id', secretAccessKey: 'secret' },
    });
    expect(await client.config.region()).toBe('eu-west-1');
    expect(client.config.forcePathStyle).toBe(true);
    expect(await client.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
    expect(await client.config.responseChecksumValidation()).toBe('WHEN_REQUIRED');
    expect(await client.config.maxAttempts()).toBe(1);
    expect((await client.config.credentials()).accessKeyId).toBe('id');
    expect(await client.config.endpoint?.()).toMatchObject({ hostname: '127.0.0.1', port: 9000, protocol: 'http:' });
    client.destroy();
    const aws = createS3Client(base);
    expect(await aws.config.requestChecksumCalculation()).toBe('WHEN_SUPPORTED');
    aws.destroy();
  });

  it('gives the avatars store a public URL and the uploads store its storage class and none', () => {
    const settings = { ...base, uploadsStorageClass: 'STANDARD_IA' as const };
    const avatars = S3Store.fromSettings(settings, 'avatars');
    expect(avatars.bucket).toBe('chat-avatars');
    expect(avatars.publicUrl('1/a b.png')).toBe('https://chat-avatars.s3.eu-west-1.amazonaws.com/1/a%20b.png');
    const uploads = S3Store.fromSettings(settings, 'uploads');
    expect(uploads.bucket).toBe('chat-uploads');
    expect(() => uploads.publicUrl('k')).toThrow(StorageError);
    avatars.destroy();
    uploads.destroy();
  });
});

describe('publicUrlBase', () => {
  it('prefers the configured prefix, else follows endpoint and addressing style', () => {
    expect(publicUrlBase({ ...base, avatarPublicUrlPrefix: 'https://cdn.example.test/avatars/' }, 'chat-avatars')).toBe(
      'https://cdn.example.test/avatars',
    );
    expect(publicUrlBase(base, 'chat-avatars')).toBe('https://chat-avatars.s3.eu-west-1.amazonaws.com');
    expect(publicUrlBase({ ...base, addressingStyle: 'path' }, 'chat-avatars')).toBe(
      'https://s3.eu-west-1.amazonaws.com/chat-avatars',
    );
    expect(publicUrlBase({ ...base, endpointUrl: 'http://127.0.0.1:9000/' }, 'chat-avatars')).toBe(
      'http://127.0.0.1:9000/chat-avatars',
    );
    expect(
      publicUrlBase(
        { ...base, endpointUrl: 'https://storage.example.test', addressingStyle: 'virtual' },
        'chat-avatars',
      ),
    ).toBe('https://chat-avatars.storage.example.test');
  });
});

describe('encodeCopySource', () => {
  it('percent-encodes every key segment, keeping the slashes', () => {
    expect(encodeCopySource('b', 'dir/100% + ü?#.txt')).toBe('b/dir/100%25%20%2B%20%C3%BC%3F%23.txt');
  });
});

describe('checksum guard', () => {
  it('flags aws-chunked bodies and double checksums, and passes plain requests', () => {
    expect(
      s3CompatibleRequestProblem({
        headers: { 'content-encoding': 'aws-chunked', 'x-amz-trailer': 'x-amz-checksum-crc32' },
      }),
    ).toMatch(/aws-chunked/u);
    expect(
      s3CompatibleRequestProblem({ headers: { 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' } }),
    ).toMatch(/aws-chunked/u);
    expect(s3CompatibleRequestProblem({ headers: { 'Content-MD5': 'x', 'x-amz-checksum-crc32': 'y' } })).toMatch(
      /2 checksums/u,
    );
    expect(
      s3CompatibleRequestProblem({ headers: { 'x-amz-checksum-crc32': 'y', 'content-type': 'text/plain' } }),
    ).toBeUndefined();
    expect(checksumHeaders({ 'x-amz-checksum-algorithm': 'CRC32', 'x-amz-checksum-sha256': 'z' })).toEqual([
      'x-amz-checksum-sha256',
    ]);
  });
});

describe('bucketPolicies', () => {
  it('lets only the principal use the uploads bucket and adds anonymous reads to the avatars bucket', () => {
    const principal = 'arn:aws:iam::123456789012:role/chat';
    const { uploads, avatars } = bucketPolicies({
      uploadsBucket: 'chat-uploads',
      avatarsBucket: 'chat-avatars',
      principal,
    });
    expect(JSON.parse(JSON.stringify(uploads))).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ServerReadsAndWritesObjects',
          Effect: 'Allow',
          Principal: { AWS: principal },
          Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
          Resource: 'arn:aws:s3:::chat-uploads/*',
        },
        {
          Sid: 'ServerListsBucket',
          Effect: 'Allow',
          Principal: { AWS: principal },
          Action: 's3:ListBucket',
          Resource: 'arn:aws:s3:::chat-uploads',
        },
      ],
    });
    expect(uploads.Statement.some((statement) => statement.Principal === '*')).toBe(false);
    expect(avatars.Statement).toHaveLength(3);
    expect(avatars.Statement[0]?.Resource).toBe('arn:aws:s3:::chat-avatars/*');
    expect(avatars.Statement[2]).toEqual({
      Sid: 'AnyoneReadsObjects',
      Effect: 'Allow',
      Principal: '*',
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::chat-avatars/*',
    });
  });

  it('refuses invalid bucket names, equal buckets and a blank principal with InvalidSettings', () => {
    const valid = { uploadsBucket: 'chat-uploads', avatarsBucket: 'chat-avatars', principal: 'arn:aws:iam::1:role/x' };
    for (const input of [
      { ...valid, uploadsBucket: 'Bad_Name' },
      { ...valid, avatarsBucket: 'chat-uploads' },
      { ...valid, principal: ' ' },
    ]) {
      expect(() => bucketPolicies(input)).toThrow(expect.objectContaining({ code: 'InvalidSettings' }) as Error);
    }
  });
});
