import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { FakeS3 } from './fake-s3.ts';
import { FaultSchedule } from './faults.ts';

const Bucket = 'fake-bucket';
const MIB = 1024 * 1024;

async function failure(promise: Promise<unknown>): Promise<S3ServiceException> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(Error);
  return error as S3ServiceException;
}

describe('FakeS3 answers like S3', () => {
  it('says NoSuchKey to GET and NotFound to HEAD, both 404, with the SDK classes', async () => {
    const { client } = new FakeS3();
    const get = await failure(client.send(new GetObjectCommand({ Bucket, Key: 'missing' })));
    expect(get).toBeInstanceOf(NoSuchKey);
    expect(get.$metadata.httpStatusCode).toBe(404);
    const head = await failure(client.send(new HeadObjectCommand({ Bucket, Key: 'missing' })));
    expect(head).toBeInstanceOf(NotFound);
    expect(head.name).toBe('NotFound');
    const bucket = await failure(client.send(new GetObjectCommand({ Bucket: 'other-bucket', Key: 'k' })));
    expect(bucket.name).toBe('NoSuchBucket');
  });

  it('keeps metadata with lower-case names and returns ranges, suffixes and 416', async () => {
    const { client } = new FakeS3();
    await client.send(
      new PutObjectCommand({
        Bucket,
        Key: 'k',
        Body: '0123456789',
        ContentType: 'text/plain',
        Metadata: { 'Mixed-Case': 'v' },
      }),
    );
    const head = await client.send(new HeadObjectCommand({ Bucket, Key: 'k' }));
    expect(head).toMatchObject({ ContentLength: 10, ContentType: 'text/plain', Metadata: { 'mixed-case': 'v' } });
    const range = await client.send(new GetObjectCommand({ Bucket, Key: 'k', Range: 'bytes=2-4' }));
    expect(await range.Body?.transformToString()).toBe('234');
    expect(range.ContentRange).toBe('bytes 2-4/10');
    expect(range.$metadata.httpStatusCode).toBe(206);
    const suffix = await client.send(new GetObjectCommand({ Bucket, Key: 'k', Range: 'bytes=-3' }));
    expect(await suffix.Body?.transformToString()).toBe('789');
    const outside = await failure(client.send(new GetObjectCommand({ Bucket, Key: 'k', Range: 'bytes=10-' })));
    expect(outside.name).toBe('InvalidRange');
    expect(outside.$metadata.httpStatusCode).toBe(416);
  });

  it('lists 1,000 keys a page in UTF-8 order with continuation tokens and StartAfter', async () => {
    const { client } = new FakeS3();
    const keys = Array.from({ length: 1_500 }, (_, index) => `k/${String(index).padStart(4, '0')}`);
    await Promise.all(
      [...keys, '\u{1f600}', '\ue000'].map((Key) => client.send(new PutObjectCommand({ Bucket, Key, Body: 'x' }))),
    );
    const first = await client.send(new ListObjectsV2Command({ Bucket, MaxKeys: 5000 }));
    expect(first.Contents).toHaveLength(1000);
    expect(first.IsTruncated).toBe(true);
    const second = await client.send(
      new ListObjectsV2Command({ Bucket, ContinuationToken: first.NextContinuationToken }),
    );
    expect(second.Contents?.map((object) => object.Key)).toEqual([...keys.slice(1000), '\ue000', '\u{1f600}']);
    expect(second.IsTruncated).toBe(false);
    const after = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'k/', StartAfter: 'k/1497' }));
    expect(after.Contents?.map((object) => object.Key)).toEqual(['k/1498', 'k/1499']);
  });

  it('runs multipart uploads with S3 checks, and tracks open uploads and their parts', async () => {
    const { client } = new FakeS3();
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket, Key: 'big', Metadata: { a: 'b' } }),
    );
    const small = await client.send(
      new UploadPartCommand({ Bucket, Key: 'big', UploadId, PartNumber: 1, Body: new Uint8Array(10) }),
    );
    const last = await client.send(
      new UploadPartCommand({ Bucket, Key: 'big', UploadId, PartNumber: 2, Body: new Uint8Array(3) }),
    );
    const parts = await client.send(new ListPartsCommand({ Bucket, Key: 'big', UploadId }));
    expect(parts.Parts?.map((part) => [part.PartNumber, part.Size])).toEqual([
      [1, 10],
      [2, 3],
    ]);
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket }));
    expect(uploads.Uploads?.map((upload) => upload.UploadId)).toEqual([UploadId]);
    const tooSmall = await failure(
      client.send(
        new CompleteMultipartUploadCommand({
          Bucket,
          Key: 'big',
          UploadId,
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: small.ETag },
              { PartNumber: 2, ETag: last.ETag },
            ],
          },
        }),
      ),
    );
    expect(tooSmall.name).toBe('EntityTooSmall');
    const wrongTag = await failure(
      client.send(
        new CompleteMultipartUploadCommand({
          Bucket,
          Key: 'big',
          UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"nope"' }] },
        }),
      ),
    );
    expect(wrongTag.name).toBe('InvalidPart');
    await client.send(new AbortMultipartUploadCommand({ Bucket, Key: 'big', UploadId }));
    expect((await client.send(new ListMultipartUploadsCommand({ Bucket }))).Uploads).toEqual([]);
    const gone = await failure(
      client.send(new UploadPartCommand({ Bucket, Key: 'big', UploadId, PartNumber: 3, Body: 'x' })),
    );
    expect(gone.name).toBe('NoSuchUpload');
  });

  it('completes a multipart upload into one object with a multipart ETag and the metadata given at creation', async () => {
    const fake = new FakeS3({ minPartSize: 5 * MIB });
    const { client } = fake;
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket, Key: 'big', ContentType: 'video/mp4', Metadata: { a: 'b' } }),
    );
    const one = await client.send(
      new UploadPartCommand({ Bucket, Key: 'big', UploadId, PartNumber: 1, Body: new Uint8Array(5 * MIB).fill(1) }),
    );
    const two = await client.send(
      new UploadPartCommand({ Bucket, Key: 'big', UploadId, PartNumber: 2, Body: new Uint8Array(7).fill(2) }),
    );
    const done = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key: 'big',
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: one.ETag },
            { PartNumber: 2, ETag: two.ETag },
          ],
        },
      }),
    );
    expect(done.ETag).toMatch(/^"[0-9a-f]{32}-2"$/u);
    expect(fake.object(Bucket, 'big')).toMatchObject({ contentType: 'video/mp4', metadata: { a: 'b' } });
    expect(fake.object(Bucket, 'big')?.body.byteLength).toBe(5 * MIB + 7);
    expect(fake.openUploads()).toEqual([]);
  });

  it('copies with COPY or REPLACE metadata and refuses a pointless copy onto itself', async () => {
    const fake = new FakeS3();
    const { client } = fake;
    await client.send(new PutObjectCommand({ Bucket, Key: 'a b%', Body: 'x', Metadata: { m: '1' } }));
    await client.send(new CopyObjectCommand({ Bucket, Key: 'copy', CopySource: `${Bucket}/a%20b%25` }));
    expect(fake.object(Bucket, 'copy')?.metadata).toEqual({ m: '1' });
    await client.send(
      new CopyObjectCommand({
        Bucket,
        Key: 'replaced',
        CopySource: `${Bucket}/a%20b%25`,
        MetadataDirective: 'REPLACE',
        Metadata: { n: '2' },
      }),
    );
    expect(fake.object(Bucket, 'replaced')?.metadata).toEqual({ n: '2' });
    const self = await failure(
      client.send(new CopyObjectCommand({ Bucket, Key: 'copy', CopySource: `${Bucket}/copy` })),
    );
    expect(self.name).toBe('InvalidRequest');
    const raw = await failure(client.send(new CopyObjectCommand({ Bucket, Key: 'x', CopySource: `${Bucket}/100%` })));
    expect(raw.name).toBe('InvalidArgument');
  });

  it('honours If-None-Match: * (or ignores it, when told to)', async () => {
    const strict = new FakeS3();
    await strict.client.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'a', IfNoneMatch: '*' }));
    const refused = await failure(
      strict.client.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'b', IfNoneMatch: '*' })),
    );
    expect(refused.name).toBe('PreconditionFailed');
    expect(refused.$metadata.httpStatusCode).toBe(412);
    const lax = new FakeS3({ honoursIfNoneMatch: false });
    await lax.client.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'a', IfNoneMatch: '*' }));
    await lax.client.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'b', IfNoneMatch: '*' }));
    expect(new TextDecoder().decode(lax.object(Bucket, 'k')?.body)).toBe('b');
  });

  it('deletes in batches of at most 1,000, reporting per-key errors', async () => {
    const fake = new FakeS3();
    const { client } = fake;
    for (const Key of ['a', 'b']) await client.send(new PutObjectCommand({ Bucket, Key, Body: 'x' }));
    fake.failDeletesOf('b', 'AccessDenied');
    const result = await client.send(
      new DeleteObjectsCommand({ Bucket, Delete: { Objects: [{ Key: 'a' }, { Key: 'b' }, { Key: 'c' }] } }),
    );
    expect(result.Deleted?.map((entry) => entry.Key)).toEqual(['a', 'c']);
    expect(result.Errors).toEqual([{ Key: 'b', Code: 'AccessDenied', Message: 'Access Denied' }]);
    const tooMany = Array.from({ length: 1001 }, (_, index) => ({ Key: `k${index}` }));
    expect((await failure(client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: tooMany } })))).name).toBe(
      'MalformedXML',
    );
  });
});

describe('fault injection', () => {
  it('fires every Nth matching call, at most `times` times', async () => {
    const fake = new FakeS3();
    fake.faults.add({ kind: 'internal-error', operations: ['PutObject'], every: 2, times: 2 });
    const outcomes: string[] = [];
    for (let index = 0; index < 6; index++) {
      outcomes.push(
        await fake.client.send(new PutObjectCommand({ Bucket, Key: `k${index}`, Body: 'x' })).then(
          () => 'ok',
          (error: unknown) => (error as Error).name,
        ),
      );
    }
    expect(outcomes).toEqual(['ok', 'InternalError', 'ok', 'InternalError', 'ok', 'ok']);
    expect(fake.keys(Bucket)).toEqual(['k0', 'k2', 'k4', 'k5']);
  });

  it('draws faults from a seeded generator: the same seed gives the same pattern', () => {
    const pattern = (seed: number): boolean[] => {
      const schedule = new FaultSchedule(seed);
      schedule.add({ kind: 'slow-down', probability: 0.5 });
      return Array.from({ length: 40 }, () => schedule.decide('GetObject').error !== undefined);
    };
    expect(pattern(7)).toEqual(pattern(7));
    expect(pattern(7)).not.toEqual(pattern(8));
    expect(pattern(7).filter(Boolean).length).toBeGreaterThan(5);
  });

  it('raises 503 SlowDown, dropped connections and timeouts as the SDK reports them, and adds latency', () => {
    const schedule = new FaultSchedule();
    schedule.add({ kind: 'latency', latencyMs: 25, operations: ['HeadObject'] });
    schedule.add({ kind: 'slow-down', times: 1 });
    schedule.add({ kind: 'connection-reset', times: 1 });
    schedule.add({ kind: 'timeout', times: 1 });
    const slow = schedule.decide('GetObject').error as S3ServiceException;
    expect([slow.name, slow.$metadata.httpStatusCode]).toEqual(['SlowDown', 503]);
    expect(schedule.decide('GetObject').error).toMatchObject({ code: 'ECONNRESET' });
    expect(schedule.decide('GetObject').error).toMatchObject({ name: 'TimeoutError' });
    expect(schedule.decide('HeadObject')).toEqual({ delayMs: 25, error: undefined });
    expect(() => {
      schedule.add({ kind: 'slow-down', every: 0 });
    }).toThrow(RangeError);
  });
});
