import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StorageError } from '@stowage/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SHA256_METADATA } from './object-info.ts';
import { S3Store } from './s3-store.ts';

const MIB = 1024 * 1024;

/** One request as the endpoint received it: whether its whole announced body arrived, and the bytes that did. */
interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly bytes: number;
  readonly complete: boolean;
}

/**
 * An S3 endpoint on 127.0.0.1 that records every request. It answers a PutObject with the MD5 of the body as its
 * ETag (or `wrongEtag`), a CopyObject with a result, and anything else with 204. It shows what S3 itself would
 * be sent, which s3rver cannot (it keeps what an interrupted PutObject carried).
 */
let endpoint: Server;
let received: Received[] = [];
let wrongEtag = false;

beforeAll(async () => {
  endpoint = createServer((request, response) => {
    const md5 = createHash('md5');
    let bytes = 0;
    let complete = false;
    request.on('data', (chunk: Buffer) => {
      md5.update(chunk);
      bytes += chunk.byteLength;
    });
    request.on('end', () => {
      complete = true;
      const query = new URL(request.url ?? '/', 'http://127.0.0.1').searchParams;
      if (request.method === 'POST' && query.has('uploads')) {
        response.setHeader('content-type', 'application/xml');
        response.end('<InitiateMultipartUploadResult><UploadId>upload-1</UploadId></InitiateMultipartUploadResult>');
      } else if (request.method === 'POST') {
        response.setHeader('content-type', 'application/xml');
        response.end('<CompleteMultipartUploadResult><ETag>"completed"</ETag></CompleteMultipartUploadResult>');
      } else if (request.method === 'HEAD') {
        const status = request.url === '/uploads/missing' ? 404 : request.url === '/uploads/denied' ? 403 : 200;
        response.writeHead(status, status !== 200 ? {} : {
          'content-length': '1234',
          'content-type': 'image/png',
          etag: '"abc"',
          'last-modified': 'Wed, 25 Nov 2026 10:00:00 GMT',
          'cache-control': 'max-age=60',
          'content-disposition': 'inline',
          'x-amz-meta-stowage-sha256': 'c2hh',
          'x-amz-meta-realm-id': '2',
        });
        response.end();
      } else if (request.method === 'PUT' && request.headers['x-amz-copy-source'] !== undefined) {
        response.setHeader('content-type', 'application/xml');
        response.end('<CopyObjectResult><ETag>"copied"</ETag><LastModified>2026-11-25T00:00:00.000Z</LastModified></CopyObjectResult>');
      } else if (request.method === 'PUT') {
        response.setHeader('etag', wrongEtag ? '"00000000000000000000000000000000"' : `"${md5.digest('hex')}"`);
        response.end();
      } else {
        response.statusCode = 204;
        response.end();
      }
    });
    request.on('close', () => {
      received.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, bytes, complete });
    });
  });
  await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  endpoint.closeAllConnections();
  await new Promise((resolve) => endpoint.close(resolve));
});

beforeEach(() => {
  received = [];
  wrongEtag = false;
});

function storeOnEndpoint(keepsInterruptedUploads = false): S3Store {
  const { port } = endpoint.address() as AddressInfo;
  return S3Store.fromSettings(
    {
      uploadsBucket: 'uploads',
      avatarsBucket: 'avatars',
      endpointUrl: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      addressingStyle: 'path',
      skipChecksum: false,
      keepsInterruptedUploads,
      uploadsStorageClass: undefined,
      avatarPublicUrlPrefix: undefined,
      credentials: { accessKeyId: 'id', secretAccessKey: 'secret' },
    },
    'uploads',
    { partSize: 5 * MIB },
  );
}

function streamOf(bytes: Uint8Array, onPull: (sent: number) => void = () => undefined): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      onPull(offset);
      if (offset >= bytes.byteLength) controller.close();
      else {
        controller.enqueue(bytes.slice(offset, offset + 256 * 1024));
        offset += 256 * 1024;
      }
    },
  });
}

async function failure(promise: Promise<unknown>): Promise<StorageError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(StorageError);
  return error as StorageError;
}

/** Requests are recorded when their connection side closes: wait for the ones a put made. */
async function settled(count: number): Promise<void> {
  for (let waited = 0; received.length < count && waited < 5_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('S3Store: a stream of announced size goes up in one PutObject', () => {
  it('with its SHA-256 given, in exactly one request that carries it, confirmed by the ETag', async () => {
    const store = storeOnEndpoint();
    const bytes = randomBytes(9 * MIB + 3);
    const sha256 = createHash('sha256').update(bytes).digest('base64');
    const result = await store.put('video/a.mp4', streamOf(bytes), { size: bytes.byteLength, sha256, confirm: true });
    await settled(1);
    expect(result).toMatchObject({ size: bytes.byteLength, sha256, confirmed: true });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'PUT', path: '/uploads/video/a.mp4', bytes: bytes.byteLength, complete: true });
    expect(received[0]?.headers[`x-amz-meta-${SHA256_METADATA}`]).toBe(sha256);
    expect(received[0]?.headers['content-length']).toBe(String(bytes.byteLength));
    store.destroy();
  });

  it('without it, then records the SHA-256 by a copy onto itself of exactly the object just stored', async () => {
    const store = storeOnEndpoint();
    const bytes = randomBytes(6 * MIB);
    const sha256 = createHash('sha256').update(bytes).digest('base64');
    const md5 = createHash('md5').update(bytes).digest('hex');
    const result = await store.put('b.bin', streamOf(bytes), { size: bytes.byteLength, confirm: true });
    await settled(2);
    expect(result).toMatchObject({ sha256, confirmed: true });
    expect(received.map((request) => [request.method, request.headers['x-amz-copy-source'] ?? null])).toEqual([
      ['PUT', null],
      ['PUT', 'uploads/b.bin'],
    ]);
    expect(received[0]?.headers[`x-amz-meta-${SHA256_METADATA}`]).toBeUndefined();
    expect(received[1]?.headers[`x-amz-meta-${SHA256_METADATA}`]).toBe(sha256);
    expect(received[1]?.headers['x-amz-copy-source-if-match']).toBe(`"${md5}"`);
    store.destroy();
  });

  it('never completes the request of a body that is shorter or longer than announced or has another SHA-256', async () => {
    const store = storeOnEndpoint();
    const bytes = randomBytes(7 * MIB);
    const cases = [
      ['shorter', { size: bytes.byteLength + 1 }, /announced/u],
      ['longer', { size: bytes.byteLength - 1 }, /announced/u],
      ['other SHA-256', { size: bytes.byteLength, sha256: createHash('sha256').update('other').digest('base64') }, /SHA-256/u],
    ] as const;
    for (const [name, options, message] of cases) {
      received = [];
      const error = await failure(store.put('c.bin', streamOf(bytes), options));
      expect(error.code, name).toBe('IntegrityError');
      expect(error.message, name).toMatch(message);
      await settled(1);
      // The one PutObject was torn down before its last announced byte: S3 stores nothing for it.
      expect(received, name).toHaveLength(1);
      expect(received[0]?.complete, name).toBe(false);
      expect(received[0]?.bytes, name).toBeLessThan(options.size);
    }
    store.destroy();
  });

  it('tears the request down on abort, and fails Aborted', async () => {
    const store = storeOnEndpoint();
    const bytes = randomBytes(8 * MIB);
    const controller = new AbortController();
    const body = streamOf(bytes, (sent) => {
      if (sent >= 2 * MIB) controller.abort(new Error('stop'));
    });
    const error = await failure(store.put('d.bin', body, { size: bytes.byteLength, signal: controller.signal }));
    expect(error.code).toBe('Aborted');
    await settled(1);
    expect(received).toHaveLength(1);
    expect(received[0]?.complete).toBe(false);
    store.destroy();
  });

  it('goes up as the one part of a multipart upload where S3_KEEPS_INTERRUPTED_UPLOADS declares the server keeps interrupted puts', async () => {
    const store = storeOnEndpoint(true);
    const bytes = randomBytes(6 * MIB);
    const sha256 = createHash('sha256').update(bytes).digest('base64');
    const result = await store.put('f.bin', streamOf(bytes), { size: bytes.byteLength, sha256 });
    await settled(3);
    expect(result).toMatchObject({ size: bytes.byteLength, sha256 });
    expect(received.map((request) => [request.method, request.path.replace(/&?x-id=[A-Za-z]+/u, '')])).toEqual([
      ['POST', '/uploads/f.bin?uploads='],
      ['PUT', '/uploads/f.bin?partNumber=1&uploadId=upload-1'],
      ['POST', '/uploads/f.bin?uploadId=upload-1'],
    ]);
    expect(received[1]?.bytes).toBe(bytes.byteLength);
    store.destroy();
  });

  it('removes an object whose ETag is not the MD5 of the bytes sent, and fails IntegrityError', async () => {
    const store = storeOnEndpoint();
    wrongEtag = true;
    const bytes = randomBytes(6 * MIB);
    const sha256 = createHash('sha256').update(bytes).digest('base64');
    const error = await failure(store.put('e.bin', streamOf(bytes), { size: bytes.byteLength, sha256, confirm: true }));
    expect(error.code).toBe('IntegrityError');
    expect(error.message).toMatch(/with ETag .* \(the MD5 of the bytes sent\); the object was removed/u);
    await settled(2);
    expect(received.map((request) => [request.method, request.path.split('?')[0]])).toEqual([
      ['PUT', '/uploads/e.bin'],
      ['DELETE', '/uploads/e.bin'],
    ]);
    store.destroy();
  });
});

describe('S3Store: the lean HeadObject of a client built for an S3-compatible endpoint', () => {
  it('reads the object\'s headers and metadata, undefined for a 404, AccessDenied for a 403, in one signed request each', async () => {
    const store = storeOnEndpoint();
    expect(await store.head('a.png')).toEqual({
      key: 'a.png',
      size: 1234,
      contentType: 'image/png',
      lastModified: new Date('2026-11-25T10:00:00Z'),
      etag: '"abc"',
      sha256: 'c2hh',
      contentDisposition: 'inline',
      cacheControl: 'max-age=60',
      metadata: { 'realm-id': '2' },
    });
    expect(await store.head('missing')).toBeUndefined();
    const denied = await failure(store.head('denied'));
    expect(denied.code).toBe('AccessDenied');
    await settled(3);
    expect(received.map((request) => [request.method, request.path])).toEqual([
      ['HEAD', '/uploads/a.png'],
      ['HEAD', '/uploads/missing'],
      ['HEAD', '/uploads/denied'],
    ]);
    expect(received[0]?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=id\/\d{8}\/us-east-1\/s3\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/u);
    store.destroy();
  });
});
