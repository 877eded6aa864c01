import { randomBytes } from 'node:crypto';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { StorageError, collectBytes, sha256Base64 } from '@stowage/core';
import { nodeSha256 } from '@stowage/core/node';
import { describe, expect, it } from 'vitest';
import { S3Store } from './s3-store.ts';
import type { S3StoreOptions } from './s3-store.ts';
import { FakeS3, instantRetries } from './testing/index.ts';

const MIB = 1024 * 1024;
const BUCKET = 'fake-bucket';

function setup(
  options: Partial<S3StoreOptions> = {},
  fakeOptions: ConstructorParameters<typeof FakeS3>[0] = {},
): { fake: FakeS3; store: S3Store } {
  const fake = new FakeS3(fakeOptions);
  const store = new S3Store({
    client: fake.client,
    bucket: BUCKET,
    endpoint: 'http://fake-s3.invalid',
    retryStrategy: instantRetries(),
    ...options,
  });
  return { fake, store };
}

/** A stream of `total` bytes in `chunk`-sized pieces, made as it is read. */
function streamOf(bytes: Uint8Array, chunk = 256 * 1024): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.byteLength) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(offset, offset + chunk));
      offset += chunk;
    },
  });
}

async function expectStorageError(promise: Promise<unknown>, code: string, message?: RegExp): Promise<StorageError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(StorageError);
  const storageError = error as StorageError;
  expect(storageError.code).toBe(code);
  if (message !== undefined) expect(storageError.message).toMatch(message);
  return storageError;
}

describe('S3Store put', () => {
  it('stores a byte array in one PutObject with its SHA-256 in the metadata', async () => {
    const { fake, store } = setup();
    const bytes = randomBytes(10_000);
    const info = await store.put('a/b.png', bytes, { metadata: { Owner: '7' }, cacheControl: 'private' });
    expect(fake.calls('PutObject')).toBe(1);
    expect(fake.calls('CreateMultipartUpload')).toBe(0);
    const stored = fake.object(BUCKET, 'a/b.png');
    expect(Buffer.from(stored?.body ?? []).equals(bytes)).toBe(true);
    expect(stored?.metadata).toEqual({ owner: '7', 'stowage-sha256': sha256Base64(bytes, nodeSha256) });
    expect(stored?.contentType).toBe('image/png');
    expect(info).toMatchObject({
      key: 'a/b.png',
      size: 10_000,
      sha256: sha256Base64(bytes, nodeSha256),
      metadata: { owner: '7' },
      etag: stored?.etag,
    });
    const head = await store.head('a/b.png');
    expect(head).toMatchObject({
      size: 10_000,
      sha256: info.sha256,
      metadata: { owner: '7' },
      cacheControl: 'private',
      contentType: 'image/png',
    });
  });

  it('refuses a body whose SHA-256 differs before sending anything', async () => {
    const { fake, store } = setup();
    await store.put('k', 'old');
    await expectStorageError(store.put('k', 'new', { sha256: sha256Base64('other') }), 'IntegrityError', /SHA-256/u);
    expect(fake.calls('PutObject')).toBe(1);
    expect(new TextDecoder().decode(fake.object(BUCKET, 'k')?.body)).toBe('old');
  });

  it('streams a small stream of unknown length through one PutObject, hashing on the way', async () => {
    const { fake, store } = setup();
    const bytes = randomBytes(300_000);
    const info = await store.put('s', streamOf(bytes));
    expect(fake.calls('PutObject')).toBe(1);
    expect(info.sha256).toBe(sha256Base64(bytes, nodeSha256));
    expect(fake.object(BUCKET, 's')?.metadata['stowage-sha256']).toBe(info.sha256);
    expect(Buffer.from(fake.object(BUCKET, 's')?.body ?? []).equals(bytes)).toBe(true);
  });

  it('streams a large body in parts, records its SHA-256 afterwards, and leaves no upload open', async () => {
    const { fake, store } = setup({ partSize: 5 * MIB, queueSize: 2 });
    const bytes = randomBytes(12 * MIB + 123);
    const info = await store.put('big.bin', streamOf(bytes), {
      contentType: 'application/x-big',
      metadata: { a: 'b' },
    });
    expect(fake.calls('UploadPart')).toBe(3);
    expect(fake.calls('CompleteMultipartUpload')).toBe(1);
    const stored = fake.object(BUCKET, 'big.bin');
    expect(Buffer.from(stored?.body ?? []).equals(bytes)).toBe(true);
    expect(stored?.metadata).toEqual({ a: 'b', 'stowage-sha256': sha256Base64(bytes, nodeSha256) });
    expect(stored?.contentType).toBe('application/x-big');
    expect(info.sha256).toBe(sha256Base64(bytes, nodeSha256));
    expect(info.etag).toBe(stored?.etag);
    expect(fake.openUploads()).toEqual([]);
  });

  it('with a SHA-256 given up front, sends it with the upload and needs no copy', async () => {
    const { fake, store } = setup({ partSize: 5 * MIB });
    const bytes = randomBytes(11 * MIB);
    await store.put('big.bin', streamOf(bytes), { sha256: sha256Base64(bytes, nodeSha256) });
    expect(fake.calls('CopyObject')).toBe(0);
    expect(fake.object(BUCKET, 'big.bin')?.metadata['stowage-sha256']).toBe(sha256Base64(bytes, nodeSha256));
  });

  it('aborts a multipart upload whose SHA-256 is wrong, keeping the old object', async () => {
    const { fake, store } = setup({ partSize: 5 * MIB });
    await store.put('big.bin', 'the old object');
    const bytes = randomBytes(11 * MIB);
    await expectStorageError(
      store.put('big.bin', streamOf(bytes), { sha256: sha256Base64('something else') }),
      'IntegrityError',
    );
    expect(fake.calls('CompleteMultipartUpload')).toBe(0);
    expect(fake.calls('AbortMultipartUpload')).toBe(1);
    expect(fake.openUploads()).toEqual([]);
    expect(new TextDecoder().decode(fake.object(BUCKET, 'big.bin')?.body)).toBe('the old object');
  });

  it('fails a stream that is longer than announced or than allowed, storing nothing', async () => {
    const { fake, store } = setup({ partSize: 5 * MIB });
    await expectStorageError(
      store.put('a', streamOf(randomBytes(6 * MIB)), { size: 6 * MIB - 1 }),
      'IntegrityError',
      /announced/u,
    );
    await expectStorageError(store.put('b', streamOf(randomBytes(12 * MIB)), { maxSize: 7 * MIB }), 'TooLarge');
    await expectStorageError(store.put('c', new Uint8Array(10), { maxSize: 9 }), 'TooLarge');
    expect(fake.keys(BUCKET)).toEqual([]);
    expect(fake.openUploads()).toEqual([]);
  });

  it('aborts the multipart upload when a part keeps failing, leaving no parts behind', async () => {
    const { fake, store } = setup({ partSize: 5 * MIB, retryStrategy: instantRetries(2) });
    fake.faults.add({ kind: 'internal-error', operations: ['UploadPart'], every: 2 });
    fake.faults.add({ kind: 'internal-error', operations: ['UploadPart'], times: 100, every: 1 });
    const error = await expectStorageError(
      store.put('big.bin', streamOf(randomBytes(16 * MIB))),
      'Unavailable',
      /fake-s3\.invalid/u,
    );
    expect((error.cause as Error).name).toBe('InternalError');
    expect(fake.calls('AbortMultipartUpload')).toBe(1);
    expect(fake.openUploads()).toEqual([]);
    expect(fake.keys(BUCKET)).toEqual([]);
  });

  it('aborts the multipart upload when the caller aborts mid-stream', async () => {
    const { fake, store } = setup({ partSize: 5 * MIB });
    const controller = new AbortController();
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(stream) {
        sent += 1;
        if (sent === 48) controller.abort(new Error('user went away'));
        stream.enqueue(new Uint8Array(256 * 1024));
      },
    });
    await expectStorageError(store.put('big.bin', body, { signal: controller.signal }), 'Aborted');
    expect(fake.openUploads()).toEqual([]);
    expect(fake.keys(BUCKET)).toEqual([]);
  });

  it('maps a failing body to Aborted and stores nothing', async () => {
    const { fake, store } = setup();
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield await Promise.resolve(new Uint8Array(10));
      throw new Error('disk read failed');
    }
    await expectStorageError(store.put('k', broken()), 'Aborted', /failed while being read/u);
    expect(fake.keys(BUCKET)).toEqual([]);
  });

  it('sends If-None-Match for a create-only put and maps the refusal to AlreadyExists', async () => {
    const { fake, store } = setup({ partSize: 5 * MIB });
    await store.put('k', 'first', { ifNoneMatch: '*' });
    expect(fake.mock.commandCalls(PutObjectCommand)[0]?.args[0].input.IfNoneMatch).toBe('*');
    await expectStorageError(store.put('k', 'second', { ifNoneMatch: '*' }), 'AlreadyExists');
    await expectStorageError(store.put('k', streamOf(randomBytes(11 * MIB)), { ifNoneMatch: '*' }), 'AlreadyExists');
    expect(fake.openUploads()).toEqual([]);
    expect(new TextDecoder().decode(fake.object(BUCKET, 'k')?.body)).toBe('first');
  });

  it('declares create-only puts unsupported when the server ignores If-None-Match', async () => {
    const { fake, store } = setup({ limitations: { createOnly: 'this server ignores If-None-Match' } });
    await expectStorageError(store.put('k', 'x', { ifNoneMatch: '*' }), 'Unsupported', /ignores If-None-Match/u);
    expect(fake.calls()).toBe(0);
  });

  it('rejects invalid keys before any request', async () => {
    const { fake, store } = setup();
    await expectStorageError(store.put('../x', 'x'), 'InvalidKey');
    await expectStorageError(store.get('a//b'), 'InvalidKey');
    expect(fake.calls()).toBe(0);
  });
});

describe('S3Store put: announced sizes and confirmation by ETag', () => {
  /** The fake's client with PutObject answers changed as given: a server that stores other bytes, or encrypts. */
  function answering(fake: FakeS3, change: (output: Record<string, unknown>) => Record<string, unknown>): S3Client {
    const client = Object.create(fake.client) as S3Client;
    const send = async (command: object, options?: object): Promise<unknown> => {
      const output = (await fake.client.send(command as PutObjectCommand, options)) as unknown as Record<
        string,
        unknown
      >;
      return command instanceof PutObjectCommand ? change(output) : output;
    };
    Object.defineProperty(client, 'send', { value: send });
    return client;
  }

  it('sends a stream announced to fit in one part in one PutObject with its SHA-256, and checks the announced size', async () => {
    const { fake, store } = setup({ partSize: 5 * MIB });
    const bytes = randomBytes(3 * MIB + 5);
    const info = await store.put('one.bin', streamOf(bytes), { size: bytes.byteLength });
    expect(fake.calls('PutObject')).toBe(1);
    expect(fake.calls('CreateMultipartUpload')).toBe(0);
    expect(Buffer.from(fake.object(BUCKET, 'one.bin')?.body ?? []).equals(bytes)).toBe(true);
    expect(fake.object(BUCKET, 'one.bin')?.metadata).toEqual({ 'stowage-sha256': sha256Base64(bytes, nodeSha256) });
    expect(info.confirmed).toBeUndefined();
    await expectStorageError(
      store.put('short', streamOf(bytes), { size: bytes.byteLength + 1 }),
      'IntegrityError',
      /not the \d+ announced/u,
    );
    await expectStorageError(
      store.put('long', streamOf(bytes), { size: bytes.byteLength - 1 }),
      'IntegrityError',
      /more than/u,
    );
    await expectStorageError(
      store.put('wrong', streamOf(bytes), { size: bytes.byteLength, sha256: sha256Base64('other') }),
      'IntegrityError',
    );
    expect(fake.keys(BUCKET)).toEqual(['one.bin']);
  });

  it('confirms a put whose ETag is the MD5 of the bytes sent, when asked', async () => {
    const { store } = setup();
    const bytes = randomBytes(70_000);
    expect((await store.put('a', bytes, { confirm: true })).confirmed).toBe(true);
    expect((await store.put('b', streamOf(bytes, 1000), { size: bytes.byteLength, confirm: true })).confirmed).toBe(
      true,
    );
    expect((await store.put('c', bytes)).confirmed).toBeUndefined();
  });

  it('fails a put whose ETag shows other bytes, and removes what the server stored', async () => {
    const fake = new FakeS3();
    const store = new S3Store({
      client: answering(fake, (output) => ({ ...output, ETag: '"0123456789abcdef0123456789abcdef"' })),
      bucket: BUCKET,
      retryStrategy: instantRetries(),
    });
    const bytes = randomBytes(5000);
    await expectStorageError(
      store.put('x/y', bytes, { confirm: true }),
      'IntegrityError',
      /not "[0-9a-f]{32}" \(the MD5 of the bytes sent\); the object was removed/u,
    );
    expect(fake.keys(BUCKET)).toEqual([]);
    // Without confirm the answer is not checked (the caller verifies in its own way).
    await store.put('x/z', bytes);
    expect(fake.keys(BUCKET)).toEqual(['x/z']);
  });

  it('does not confirm (nor fail) where the ETag is not an MD5: KMS or customer-key encryption, or a server said to differ', async () => {
    const bytes = randomBytes(5000);
    for (const change of [
      (output: Record<string, unknown>) => ({
        ...output,
        ETag: '"ffffffffffffffffffffffffffffffff"',
        ServerSideEncryption: 'aws:kms',
      }),
      (output: Record<string, unknown>) => ({
        ...output,
        ETag: '"ffffffffffffffffffffffffffffffff"',
        SSECustomerAlgorithm: 'AES256',
      }),
      (output: Record<string, unknown>) => ({ ...output, ETag: undefined }),
    ]) {
      const fake = new FakeS3();
      const store = new S3Store({ client: answering(fake, change), bucket: BUCKET, retryStrategy: instantRetries() });
      expect((await store.put('k', bytes, { confirm: true })).confirmed).toBe(false);
      expect(fake.keys(BUCKET)).toEqual(['k']);
    }
    const { store } = setup({ etagIsMd5: false });
    expect((await store.put('k', bytes, { confirm: true })).confirmed).toBe(false);
  });
});

describe('S3Store get and head', () => {
  it('reads whole objects, ranges and suffix ranges with the total size', async () => {
    const { store } = setup();
    const bytes = randomBytes(1000);
    await store.put('k', bytes);
    const whole = await store.get('k');
    expect(Buffer.from(await collectBytes(whole.body)).equals(bytes)).toBe(true);
    expect(whole.size).toBe(1000);
    const middle = await store.get('k', { range: { start: 10, end: 19 } });
    expect(Buffer.from(await collectBytes(middle.body)).equals(bytes.subarray(10, 20))).toBe(true);
    expect(middle).toMatchObject({ size: 1000, range: { start: 10, end: 19 } });
    const suffix = await store.get('k', { range: { suffix: 7 } });
    expect(Buffer.from(await collectBytes(suffix.body)).equals(bytes.subarray(993))).toBe(true);
    expect(suffix.range).toEqual({ start: 993, end: 999 });
    await expectStorageError(store.get('k', { range: { start: 1000 } }), 'InvalidRange');
    await expectStorageError(store.get('k', { range: { start: 5, end: 2 } }), 'InvalidRange');
  });

  it('answers Unsupported for suffix ranges on a server declared unable', async () => {
    const { store } = setup({ limitations: { suffixRanges: 'returns the first bytes' } });
    await store.put('k', 'abc');
    await expectStorageError(store.get('k', { range: { suffix: 1 } }), 'Unsupported', /first bytes/u);
  });

  it('maps NoSuchKey (GET) to NotFound and NotFound (HEAD) to undefined', async () => {
    const { fake, store } = setup();
    const error = await expectStorageError(store.get('missing'), 'NotFound', /"missing"/u);
    expect((error.cause as Error).name).toBe('NoSuchKey');
    expect(await store.head('missing')).toBeUndefined();
    expect(fake.calls('HeadObject')).toBe(1);
  });

  it('names a missing bucket as a settings problem', async () => {
    const fake = new FakeS3();
    const store = new S3Store({ client: fake.client, bucket: 'no-such-bucket', retryStrategy: instantRetries() });
    await expectStorageError(store.get('k'), 'InvalidSettings', /bucket does not exist/u);
  });
});

describe('S3Store list', () => {
  it('pages through more than 1,000 keys in order, with prefix and startAfter', { timeout: 60_000 }, async () => {
    const { fake, store } = setup();
    const keys = Array.from({ length: 2_345 }, (_, index) => `p/${String(index).padStart(5, '0')}`);
    await Promise.all(keys.map((key) => store.put(key, key)));
    await store.put('q/other', 'x');
    const listed: string[] = [];
    for await (const summary of store.list({ prefix: 'p/' })) listed.push(summary.key);
    expect(listed).toEqual(keys);
    expect(fake.calls('ListObjectsV2')).toBe(3);
    const after: string[] = [];
    for await (const summary of store.list({ prefix: 'p/', startAfter: 'p/02000', pageSize: 100 }))
      after.push(summary.key);
    expect(after).toEqual(keys.slice(2001));
    const inputs = fake.mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input);
    expect(inputs.every((input) => (input.MaxKeys ?? 0) <= 1000)).toBe(true);
  });

  it('cancels the page it asked for ahead when the reader stops early', async () => {
    const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const aheadSignals: AbortSignal[] = [];
    const send = (command: object, options?: { abortSignal?: AbortSignal }): Promise<unknown> => {
      if (!(command instanceof ListObjectsV2Command)) throw new Error('only listings are expected');
      if (command.input.ContinuationToken === undefined) {
        return Promise.resolve({
          Contents: [
            { Key: 'a', Size: 1 },
            { Key: 'b', Size: 1 },
          ],
          IsTruncated: true,
          NextContinuationToken: 'page-2',
        });
      }
      const signal = options?.abortSignal;
      if (signal === undefined) throw new Error('the page asked for ahead carries no abort signal');
      aheadSignals.push(signal);
      // The page never comes unless the request is cancelled.
      return new Promise((_, reject) => {
        signal.addEventListener(
          'abort',
          () => {
            reject(new Error('aborted'));
          },
          { once: true },
        );
      });
    };
    Object.assign(client, { send });
    const store = new S3Store({ client, bucket: BUCKET, retryStrategy: instantRetries() });
    for await (const summary of store.list()) {
      expect(summary.key).toBe('a');
      break;
    }
    expect(aheadSignals).toHaveLength(1);
    expect(aheadSignals[0]?.aborted).toBe(true);
  });

  it('stops with Unavailable when the provider repeats a continuation token', async () => {
    const { store } = setup({}, { repeatsContinuationToken: true });
    for (let index = 0; index < 5; index++) await store.put(`k${index}`, 'x');
    const seen: string[] = [];
    const failure = (async () => {
      for await (const summary of store.list({ pageSize: 2 })) seen.push(summary.key);
    })();
    await expectStorageError(failure, 'Unavailable', /repeated a continuation token/u);
    expect(seen.length).toBeLessThan(10);
  });
});

describe('S3Store delete, deleteMany and copy', () => {
  it('deletes in batches of 1,000 and tolerates missing keys', { timeout: 60_000 }, async () => {
    const { fake, store } = setup();
    const keys = Array.from({ length: 2_001 }, (_, index) => `d/${index}`);
    await Promise.all(keys.slice(0, 1500).map((key) => store.put(key, 'x')));
    await store.deleteMany(keys);
    expect(fake.calls('DeleteObjects')).toBe(3);
    expect(fake.keys(BUCKET)).toEqual([]);
    await store.delete('never-there');
  });

  it('validates every key before deleting any', async () => {
    const { fake, store } = setup();
    await store.put('a', 'x');
    await expectStorageError(store.deleteMany(['a', '/bad']), 'InvalidKey');
    expect(fake.keys(BUCKET)).toEqual(['a']);
  });

  it('surfaces per-key failures, naming the keys, after trying every batch', async () => {
    const { fake, store } = setup();
    for (const key of ['a', 'b', 'c']) await store.put(key, 'x');
    fake.failDeletesOf('b', 'AccessDenied');
    const error = await expectStorageError(store.deleteMany(['a', 'b', 'c']), 'AccessDenied', /"b" \(AccessDenied/u);
    expect(error.key).toBe('b');
    expect(fake.keys(BUCKET)).toEqual(['b']);
  });

  it('copies with headers, metadata and SHA-256 kept, and encodes awkward keys in CopySource', async () => {
    const { store } = setup();
    const from = 'dir/100% real?#+ name ü.txt';
    const put = await store.put(from, 'hello', {
      contentDisposition: 'attachment',
      cacheControl: 'max-age=1',
      metadata: { x: 'y' },
    });
    const copied = await store.copy(from, 'copy/of it.txt');
    expect(copied).toMatchObject({
      key: 'copy/of it.txt',
      size: 5,
      sha256: put.sha256,
      metadata: { x: 'y' },
      contentDisposition: 'attachment',
    });
    const head = await store.head('copy/of it.txt');
    expect(head).toMatchObject({
      sha256: put.sha256,
      metadata: { x: 'y' },
      cacheControl: 'max-age=1',
      contentType: 'text/plain',
    });
    expect(new TextDecoder().decode(await collectBytes((await store.get('copy/of it.txt')).body))).toBe('hello');
    await expectStorageError(store.copy('absent', 'x'), 'NotFound');
  });

  it('copies objects above the threshold part by part, keeping metadata and leaving no upload open', async () => {
    const { fake, store } = setup({ multipartCopyThreshold: 6 * MIB, copyPartSize: 5 * MIB }, { maxCopySize: 6 * MIB });
    const bytes = randomBytes(13 * MIB);
    await store.put('big', bytes, { metadata: { kept: 'yes' } });
    const copied = await store.copy('big', 'big-copy');
    expect(fake.calls('UploadPartCopy')).toBe(3);
    expect(fake.calls('CopyObject')).toBe(0);
    expect(Buffer.from(fake.object(BUCKET, 'big-copy')?.body ?? []).equals(bytes)).toBe(true);
    expect((await store.head('big-copy'))?.metadata).toEqual({ kept: 'yes' });
    expect(copied.sha256).toBe(sha256Base64(bytes, nodeSha256));
    expect(fake.openUploads()).toEqual([]);
  });
});

describe('S3Store retries over injected faults', () => {
  it('retries 500, 503 SlowDown, dropped connections and timeouts to success', async () => {
    const retries: string[] = [];
    const { fake, store } = setup({
      retryStrategy: instantRetries(3),
      onRetry: ({ error }) => retries.push((error as Error).name),
    });
    fake.faults.add({ kind: 'internal-error', operations: ['PutObject'], times: 1 });
    fake.faults.add({ kind: 'slow-down', operations: ['HeadObject'], times: 1 });
    fake.faults.add({ kind: 'connection-reset', operations: ['GetObject'], times: 1 });
    fake.faults.add({ kind: 'timeout', operations: ['ListObjectsV2'], times: 1 });
    await store.put('k', 'v');
    expect((await store.head('k'))?.size).toBe(1);
    expect(new TextDecoder().decode(await collectBytes((await store.get('k')).body))).toBe('v');
    const keys: string[] = [];
    for await (const summary of store.list()) keys.push(summary.key);
    expect(keys).toEqual(['k']);
    expect(retries).toEqual(['InternalError', 'SlowDown', 'Error', 'TimeoutError']);
    expect(fake.calls('PutObject')).toBe(2);
  });

  it('retries failed parts of a multipart upload and completes with the right bytes', async () => {
    // One part at a time, so every second call failing means each part fails at most once.
    const { fake, store } = setup({ partSize: 5 * MIB, queueSize: 1, retryStrategy: instantRetries(3) });
    fake.faults.add({ kind: 'slow-down', operations: ['UploadPart'], every: 2 });
    const bytes = randomBytes(21 * MIB);
    await store.put('big', streamOf(bytes));
    expect(fake.calls('UploadPart')).toBeGreaterThan(5);
    expect(Buffer.from(fake.object(BUCKET, 'big')?.body ?? []).equals(bytes)).toBe(true);
    expect(fake.openUploads()).toEqual([]);
  });

  it('injects faults with a seeded probability and still converges', async () => {
    const { fake, store } = setup({ retryStrategy: instantRetries(10) }, { seed: 42 });
    fake.faults.add({ kind: 'internal-error', probability: 0.3 });
    for (let index = 0; index < 50; index++) await store.put(`k${index}`, `v${index}`);
    expect(fake.keys(BUCKET)).toHaveLength(50);
    expect(fake.faults.injected).toBeGreaterThan(5);
  });

  it('gives a clear Unavailable naming the endpoint when retries run out', async () => {
    const { fake, store } = setup({ retryStrategy: instantRetries(3) });
    fake.faults.add({ kind: 'slow-down' });
    const error = await expectStorageError(
      store.head('k'),
      'Unavailable',
      /http:\/\/fake-s3\.invalid is unavailable \(SlowDown \(HTTP 503\)/u,
    );
    expect(error.key).toBe('k');
    expect(fake.mock.commandCalls(HeadObjectCommand)).toHaveLength(3);
  });

  it('does not retry what retrying cannot fix', async () => {
    const { fake, store } = setup();
    await expectStorageError(store.get('missing'), 'NotFound');
    expect(fake.calls('GetObject')).toBe(1);
    expect(fake.mock.commandCalls(UploadPartCommand)).toHaveLength(0);
  });
});

describe('S3Store URLs', () => {
  it('presigns a GET with the served content type and disposition', async () => {
    const { store } = setup();
    await store.put('a/report.html', '<b>x</b>');
    const url = new URL(
      await store.signedUrl('a/report.html', { expiresIn: 60, disposition: 'inline', filename: 'Report é.html' }),
    );
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(url.searchParams.get('response-content-type')).toBe('text/html; charset=utf-8');
    // HTML is never served inline.
    expect(url.searchParams.get('response-content-disposition')).toMatch(
      /^attachment; filename="Report _.html"; filename\*=UTF-8''Report%20%C3%A9\.html$/u,
    );
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/u);
    await expectStorageError(store.signedUrl('a/missing', { expiresIn: 60 }), 'NotFound');
    await expectStorageError(store.signedUrl('a/report.html', { expiresIn: 0 }), 'InvalidArgument');
  });

  it('presigns a PUT whose signature covers content type and length', async () => {
    const { store } = setup();
    const { url, headers, method } = await store.presignedPut('up/x.png', {
      contentType: 'image/png',
      size: 1234,
      expiresIn: 300,
    });
    expect(method).toBe('PUT');
    expect(headers).toEqual({ 'content-type': 'image/png', 'content-length': '1234' });
    const signed = new URL(url).searchParams.get('X-Amz-SignedHeaders')?.split(';');
    expect(signed).toEqual(expect.arrayContaining(['content-length', 'content-type', 'host']));
    // The fake's client keeps the SDK's default checksums (AWS's): still no checksum of the empty body in the URL.
    const names = Array.from(new URL(url).searchParams.keys()).map((name) => name.toLowerCase());
    expect(
      names.filter((name) => name.startsWith('x-amz-checksum-') || name === 'x-amz-sdk-checksum-algorithm'),
    ).toEqual([]);
    expect(signed?.filter((name) => name.includes('checksum'))).toEqual([]);
    await expectStorageError(
      store.presignedPut('up/x.png', { contentType: 'image/png', size: 10, expiresIn: 300, maxSize: 9 }),
      'TooLarge',
    );
  });

  it('serves a presigned GET only with an intact, unexpired signature', async () => {
    const { fake, store } = setup();
    await store.put('docs/a b+c.txt', 'signed bytes');
    const url = await store.signedUrl('docs/a b+c.txt', { expiresIn: 60, disposition: 'attachment' });
    const response = await fake.fetch(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('signed bytes');
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="a b\+c\.txt"/u);
    const tampered = new URL(url);
    tampered.searchParams.set('response-content-type', 'text/html');
    expect((await fake.fetch(tampered.toString())).status).toBe(403);
    expect(await (await fake.fetch(url.replace('docs/', 'doc/'))).text()).toContain('SignatureDoesNotMatch');
    const expired = await fake.fetch(url, { now: new Date(Date.now() + 61_000) });
    expect([expired.status, await expired.text()]).toEqual([403, expect.stringContaining('Request has expired')]);
  });

  it('accepts a presigned PUT only with the signed content type and length', async () => {
    const { fake, store } = setup();
    const bytes = randomBytes(1234);
    const { url, headers, method } = await store.presignedPut('up/x.png', {
      contentType: 'image/png',
      size: 1234,
      expiresIn: 300,
    });
    expect(
      (await fake.fetch(url, { method, headers: { ...headers, 'content-type': 'text/html' }, body: bytes })).status,
    ).toBe(403);
    expect(
      (await fake.fetch(url, { method, headers: { ...headers, 'content-length': '99' }, body: bytes.subarray(0, 99) }))
        .status,
    ).toBe(403);
    expect((await fake.fetch(url, { method, headers, body: bytes.subarray(0, 1000) })).status).toBe(400);
    expect(fake.keys(BUCKET)).toEqual([]);
    expect((await fake.fetch(url, { method, headers, body: bytes })).status).toBe(200);
    expect(await store.head('up/x.png')).toMatchObject({ size: 1234, contentType: 'image/png' });
  });

  it('gives public URLs only for a public store', () => {
    const { store } = setup({ publicUrlBase: 'https://cdn.example.test/avatars/' });
    expect(store.publicUrl('2/ab c+d.png')).toBe('https://cdn.example.test/avatars/2/ab%20c%2Bd.png');
    const { store: privateStore } = setup();
    expect(() => privateStore.publicUrl('k')).toThrow(expect.objectContaining({ code: 'Unsupported' }) as Error);
  });
});

describe('S3Store response bodies', () => {
  it('reads a body given as a Web stream (as a fetch-based HTTP handler gives it), and cancels it when the reader stops', async () => {
    const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const bytes = Uint8Array.from({ length: 3 * 1000 }, (_, index) => index % 251);
    let cancelled = false;
    const webBody = (): ReadableStream<Uint8Array> => {
      let offset = 0;
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (offset >= bytes.byteLength) controller.close();
          else controller.enqueue(bytes.slice(offset, (offset += 1000)));
        },
        cancel() {
          cancelled = true;
        },
      });
    };
    mockClient(client)
      .on(GetObjectCommand)
      .callsFake(() => ({
        Body: webBody() as unknown as GetObjectCommandOutput['Body'],
        ContentLength: bytes.byteLength,
        ETag: '"e"',
        LastModified: new Date(),
      }));
    const store = new S3Store({ client, bucket: BUCKET, retryStrategy: instantRetries() });
    expect(await collectBytes((await store.get('web.bin')).body)).toEqual(bytes);
    const reader = (await store.get('web.bin')).body.getReader();
    await reader.read();
    await reader.cancel();
    expect(cancelled).toBe(true);
    client.destroy();
  });
});

describe('S3Store on a server that answers ETags as Ceph 16.2 does', () => {
  it('reports the ETag head gives, for every put shape and for copies', async () => {
    const { store } = setup(
      { partSize: 5 * MIB, multipartCopyThreshold: 6 * MIB, copyPartSize: 5 * MIB },
      { bareEtagAnswers: true, maxCopySize: 6 * MIB },
    );
    const bytes = randomBytes(11 * MIB);
    const puts = {
      bytes: await store.put('p/bytes', bytes.subarray(0, 1000)),
      announced: await store.put('p/announced', streamOf(bytes.subarray(0, 2 * MIB)), { size: 2 * MIB }),
      small: await store.put('p/small', streamOf(bytes.subarray(0, 3 * MIB))),
      multipart: await store.put('p/multipart', streamOf(bytes)),
      multipartWithSha: await store.put('p/multipart-sha', streamOf(bytes), {
        sha256: sha256Base64(bytes, nodeSha256),
        size: bytes.byteLength,
      }),
      copy: await store.copy('p/bytes', 'c/bytes'),
      multipartCopy: await store.copy('p/multipart', 'c/multipart'),
    };
    for (const [shape, info] of Object.entries(puts)) {
      const head = await store.head(info.key);
      expect(info.etag, shape).toMatch(/^".+"$/u);
      expect(info.etag, shape).toBe(head?.etag);
    }
  });
});

describe('S3Store copies where the server ignores copy-source conditions', () => {
  const limitations = { copySourceConditions: 'Ceph 16.2 ignores x-amz-copy-source-if-match' };

  it('does not record its SHA-256 over an object another writer stored after the upload completed', async () => {
    for (const [name, honours, declared] of [
      ['S3', true, undefined],
      ['Ceph, declared', false, limitations],
    ] as const) {
      const { fake, store } = setup(
        { partSize: 5 * MIB, limitations: declared },
        { honoursCopySourceConditions: honours },
      );
      const theirs = new TextEncoder().encode("another writer's object");
      // S3 refuses the pinned copy; on Ceph the store's own HEAD sees the other object first.
      fake.beforeNext(honours ? 'CopyObject' : 'HeadObject', () => {
        fake.storeObject(BUCKET, 'race.bin', theirs, {
          'stowage-sha256': sha256Base64(theirs, nodeSha256),
          owner: 'them',
        });
      });
      const bytes = randomBytes(11 * MIB);
      const info = await store.put('race.bin', streamOf(bytes));
      expect(info.sha256, name).toBe(sha256Base64(bytes, nodeSha256));
      const stored = fake.object(BUCKET, 'race.bin');
      expect(Buffer.from(stored?.body ?? []).toString(), name).toBe("another writer's object");
      expect(stored?.metadata, name).toEqual({ 'stowage-sha256': sha256Base64(theirs, nodeSha256), owner: 'them' });
      expect(fake.calls('CopyObject'), name).toBe(honours ? 1 : 0);
    }
  });

  it('takes its SHA-256 off an object another writer stored between its check and its copy', async () => {
    const { fake, store } = setup({ partSize: 5 * MIB, limitations }, { honoursCopySourceConditions: false });
    const theirs = new TextEncoder().encode('stored in the gap');
    fake.beforeNext('CopyObject', () => {
      fake.storeObject(BUCKET, 'gap.bin', theirs);
    });
    const bytes = randomBytes(11 * MIB);
    const info = await store.put('gap.bin', streamOf(bytes));
    expect(info.sha256).toBe(sha256Base64(bytes, nodeSha256));
    const stored = fake.object(BUCKET, 'gap.bin');
    expect(Buffer.from(stored?.body ?? []).toString()).toBe('stored in the gap');
    expect(stored?.metadata['stowage-sha256']).toBeUndefined();
    expect((await store.head('gap.bin'))?.sha256).toBeUndefined();
  });

  it('refuses a part-by-part copy whose source changed meanwhile, leaving no target and no upload', async () => {
    const { fake, store } = setup(
      { multipartCopyThreshold: 6 * MIB, copyPartSize: 5 * MIB, queueSize: 1, limitations },
      { maxCopySize: 6 * MIB, honoursCopySourceConditions: false },
    );
    await store.put('big', randomBytes(13 * MIB));
    fake.beforeNext('UploadPartCopy', () => {
      fake.storeObject(BUCKET, 'big', randomBytes(13 * MIB));
    });
    await expectStorageError(store.copy('big', 'big-copy'), 'Unavailable', /changed while it was copied/u);
    expect(fake.object(BUCKET, 'big-copy')).toBeUndefined();
    expect(fake.openUploads()).toEqual([]);
  });
});
