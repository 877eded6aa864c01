import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { leanRequestsFor, leanRequestsFromSettings, parseListPage, xmlText } from './lean-requests.ts';
import { hostHeader } from './node-transport.ts';

/** A server on the IPv6 loopback address that answers every request 404 and keeps each request's head. */
async function ipv6Loopback(): Promise<{ server: Server; heads: string[] } | undefined> {
  const heads: string[] = [];
  const server = createServer((socket) => {
    let head = '';
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      heads.push(head.slice(0, head.indexOf('\r\n\r\n')));
      head = '';
      socket.write('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
    });
  });
  return new Promise((resolve) => {
    server.once('error', () => {
      resolve(undefined);
    });
    server.listen(0, '::1', () => {
      resolve({ server, heads });
    });
  });
}

// Machines without an IPv6 loopback address skip the end-to-end case.
const loopback = await ipv6Loopback();

describe('the lean ListObjectsV2 answer', () => {
  it('decodes the named entities and numeric references, and leaves other text alone', () => {
    expect(xmlText('a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#233;&#x1F600; &unknown; 100%')).toBe('a & b <c> "d" \'e\' \u00e9\u{1F600} &unknown; 100%');
  });

  it('reads every entry and the page fields, wherever the server puts them', () => {
    const entries =
      '<Contents><Key>dir/a &amp; b.txt</Key><LastModified>2026-11-25T10:00:00.000Z</LastModified><ETag>&quot;abc&quot;</ETag><Size>12</Size><StorageClass>STANDARD</StorageClass></Contents>' +
      '<Contents><Key>\u00e9/&lt;IsTruncated&gt;</Key><LastModified>2026-11-25T11:00:00Z</LastModified><ETag>"def-2"</ETag><Size>0</Size></Contents>';
    const expected = {
      Contents: [
        { Key: 'dir/a & b.txt', Size: 12, LastModified: new Date('2026-11-25T10:00:00Z'), ETag: '"abc"' },
        { Key: '\u00e9/<IsTruncated>', Size: 0, LastModified: new Date('2026-11-25T11:00:00Z'), ETag: '"def-2"' },
      ],
      IsTruncated: true,
      NextContinuationToken: 'tok/en+=',
    };
    // AWS puts the page fields first; others after the entries.
    const first = `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix></Prefix><NextContinuationToken>tok/en+=</NextContinuationToken><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>${entries}</ListBucketResult>`;
    const last = `<ListBucketResult>${entries}<IsTruncated>true</IsTruncated><NextContinuationToken>tok/en+=</NextContinuationToken></ListBucketResult>`;
    expect(parseListPage(first)).toEqual(expected);
    expect(parseListPage(last)).toEqual(expected);
  });

  it('reads an empty last page', () => {
    expect(parseListPage('<ListBucketResult><Name>b</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>')).toEqual({
      Contents: [],
      IsTruncated: false,
      NextContinuationToken: undefined,
    });
  });

  it('refuses an answer that is not a listing, or an entry without a key, size or time', () => {
    expect(() => parseListPage('<Error><Code>InternalError</Code></Error>')).toThrow(/not a ListBucketResult/u);
    expect(() => parseListPage('<ListBucketResult><Contents><Key>a</Key><Size>x</Size><LastModified>2026-11-25T10:00:00Z</LastModified></Contents></ListBucketResult>')).toThrow(/without a key, size or time/u);
    expect(() => parseListPage('<ListBucketResult><Contents><Key>a</Key><Size>1</Size></ListBucketResult>')).toThrow(/ends inside an entry/u);
  });
});

describe('the Host header of a signed request', () => {
  it('brackets an IPv6 address, with or without a port, and leaves names and IPv4 addresses alone', () => {
    expect(hostHeader('::1', 9000)).toBe('[::1]:9000');
    expect(hostHeader('[::1]', 9000)).toBe('[::1]:9000');
    expect(hostHeader('fd00::5', undefined)).toBe('[fd00::5]');
    expect(hostHeader('127.0.0.1', 9000)).toBe('127.0.0.1:9000');
    expect(hostHeader('s3.example.com', undefined)).toBe('s3.example.com');
  });

  it('is what a request through the SDK client to an IPv6 endpoint carries, and what it is signed with', async () => {
    const seen: { host?: string; signedHeaders?: string }[] = [];
    const client = new S3Client({
      endpoint: 'http://[::1]:9000',
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
      requestHandler: {
        handle: (request: { headers: Record<string, string> }) => {
          seen.push({ host: request.headers.host, signedHeaders: /SignedHeaders=([^,]*)/u.exec(request.headers.authorization ?? '')?.[1] });
          return Promise.resolve({ response: { statusCode: 404, headers: {}, body: undefined } });
        },
      },
    });
    const lean = leanRequestsFor(client, 'bucket');
    expect(lean).toBeDefined();
    expect(await lean?.head('some/key')).toBeUndefined();
    expect(seen).toHaveLength(1);
    expect(seen[0]?.host).toBe('[::1]:9000');
    expect(seen[0]?.signedHeaders?.split(';')).toContain('host');
    client.destroy();
  });

  it.skipIf(loopback === undefined)('goes out bracketed from settings naming an IPv6 endpoint', async () => {
    if (loopback === undefined) return;
    const { port } = loopback.server.address() as AddressInfo;
    const lean = leanRequestsFromSettings(
      {
        uploadsBucket: 'bucket',
        avatarsBucket: 'avatars',
        endpointUrl: `http://[::1]:${port}`,
        region: 'us-east-1',
        addressingStyle: 'path',
        skipChecksum: false,
        uploadsStorageClass: undefined,
        avatarPublicUrlPrefix: undefined,
        credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
      },
      'bucket',
    );
    try {
      expect(await lean?.head('some/key')).toBeUndefined();
    } finally {
      lean?.destroy();
      loopback.server.close();
    }
    expect(loopback.heads).toHaveLength(1);
    expect(loopback.heads[0]).toMatch(new RegExp(`^HEAD /bucket/some/key HTTP/1.1\\r\\n(?:.*\\r\\n)*host: \\[::1\\]:${port}(?:\\r\\n|$)`, 'u'));
  });
});
