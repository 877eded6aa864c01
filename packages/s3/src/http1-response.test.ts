import { describe, expect, it } from 'vitest';
import { MalformedResponseError, ResponseParser } from './http1-response.ts';
import type { ResponseHead } from './http1-response.ts';

interface Seen {
  readonly heads: ResponseHead[];
  body: string;
  readonly ends: string[];
}

function bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (char) => char.charCodeAt(0));
}

function latin1(data: Uint8Array): string {
  return String.fromCharCode(...data);
}

/** Feeds `pieces` one after the other to a new parser and records what it reports. */
function parse(pieces: readonly string[], method = 'GET'): { readonly parser: ResponseParser; readonly seen: Seen } {
  const seen: Seen = { heads: [], body: '', ends: [] };
  const parser = new ResponseParser(method, {
    head: (head) => {
      seen.heads.push(head);
    },
    body: (chunk) => {
      seen.body += latin1(chunk);
    },
    end: (rest) => {
      seen.ends.push(latin1(rest));
    },
  });
  for (const piece of pieces) parser.feed(bytes(piece));
  return { parser, seen };
}

/** `text` in pieces of `size` characters. */
function cut(text: string, size: number): string[] {
  return Array.from({ length: Math.ceil(text.length / size) }, (_, at) => text.slice(at * size, (at + 1) * size));
}

function thrown(action: () => void): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

function expectMalformed(pieces: readonly string[]): void {
  const error = thrown(() => parse(pieces));
  expect(error).toBeInstanceOf(MalformedResponseError);
  expect(error).toHaveProperty('code', 'EPROTO');
}

const LENGTH_ANSWER = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Amz-Meta-A: one\r\nETag:  "abc"  \r\nx-amz-meta-a: two\r\nX-Empty:\r\n\r\nhello';
const CHUNKED_ANSWER = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\nb ; name="v"\r\n, the world\r\n0\r\nX-Trailer: t\r\nX-Other: u\r\n\r\n';
const NEXT_ANSWER = 'HTTP/1.1 204 No Content\r\n\r\n';

describe('ResponseParser', () => {
  it('reads a Content-Length answer: status, lower-cased headers with repeats joined, body, and an end with no rest', () => {
    const { parser, seen } = parse([LENGTH_ANSWER]);
    expect(seen).toEqual({
      heads: [{ statusCode: 200, headers: { 'content-length': '5', 'x-amz-meta-a': 'one, two', etag: '"abc"', 'x-empty': '' }, keepAlive: true }],
      body: 'hello',
      ends: [''],
    });
    expect(parser.keepAlive).toBe(true);
  });

  it('keeps the connection alive for HTTP/1.1 unless Connection: close, and never for HTTP/1.0', () => {
    const closing = parse(['HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 2\r\n\r\nok']);
    expect(closing.seen.heads.map((head) => head.keepAlive)).toEqual([false]);
    expect(closing.parser.keepAlive).toBe(false);
    expect(closing.seen.ends).toEqual(['']);
    const old = parse(['HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok']);
    expect(old.seen).toEqual({ heads: [{ statusCode: 200, headers: { 'content-length': '2' }, keepAlive: false }], body: 'ok', ends: [''] });
    expect(old.parser.keepAlive).toBe(false);
    const asked = parse(['HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok']);
    expect(asked.seen.heads.map((head) => head.keepAlive)).toEqual([false]);
  });

  it.each([
    { name: 'a Content-Length answer', answer: LENGTH_ANSWER },
    { name: 'a chunked answer with extensions and trailers', answer: CHUNKED_ANSWER },
    { name: 'interim answers then a chunked one', answer: `HTTP/1.1 100 Continue\r\n\r\n${CHUNKED_ANSWER}` },
  ])('gives the same events for $name cut in two anywhere or fed byte by byte', ({ answer }) => {
    const whole = parse([answer]).seen;
    for (let at = 0; at <= answer.length; at++) expect(parse([answer.slice(0, at), answer.slice(at)]).seen, `cut at ${at}`).toEqual(whole);
    expect(parse(cut(answer, 1)).seen).toEqual(whole);
  });

  it('reads a chunked body, ignoring chunk extensions and trailers, and gives the bytes after it as rest', () => {
    const { parser, seen } = parse([CHUNKED_ANSWER + NEXT_ANSWER]);
    expect(seen).toEqual({ heads: [{ statusCode: 200, headers: { 'transfer-encoding': 'chunked' }, keepAlive: true }], body: 'hello, the world', ends: [NEXT_ANSWER] });
    expect(parser.done).toBe(true);
  });

  it('reads gzip, chunked as chunked', () => {
    const { seen } = parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n4\r\n\x1f\x8b\x08\x00\r\n0\r\n\r\n']);
    expect(seen).toEqual({ heads: [{ statusCode: 200, headers: { 'transfer-encoding': 'gzip, Chunked' }, keepAlive: true }], body: '\x1f\x8b\x08\x00', ends: [''] });
  });

  it('reads until close when the last transfer coding is not chunked', () => {
    const { parser, seen } = parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n4\r\nabcd\r\n', '0\r\n\r\n']);
    expect(seen).toEqual({ heads: [{ statusCode: 200, headers: { 'transfer-encoding': 'chunked, gzip' }, keepAlive: false }], body: '4\r\nabcd\r\n0\r\n\r\n', ends: [] });
    expect(parser.done).toBe(false);
    parser.close();
    expect(seen.ends).toEqual(['']);
    expect(parser.done).toBe(true);
    expect(parser.keepAlive).toBe(false);
  });

  it('reads a body without Content-Length or Transfer-Encoding until close()', () => {
    const { parser, seen } = parse(['HTTP/1.1 200 OK\r\nX-A: b\r\n\r\nsome ', 'body\r\n\r\n']);
    expect(seen).toEqual({ heads: [{ statusCode: 200, headers: { 'x-a': 'b' }, keepAlive: false }], body: 'some body\r\n\r\n', ends: [] });
    parser.close();
    expect(seen.ends).toEqual(['']);
    expect(parser.done).toBe(true);
  });

  it('reads no body for a HEAD answer with a Content-Length, giving the bytes after the head as rest', () => {
    const { parser, seen } = parse([`HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n${NEXT_ANSWER}`], 'HEAD');
    expect(seen).toEqual({ heads: [{ statusCode: 200, headers: { 'content-length': '10' }, keepAlive: true }], body: '', ends: [NEXT_ANSWER] });
    expect(parser.done).toBe(true);
  });

  it('reads no body for 204 and 304 answers', () => {
    expect(parse([`${NEXT_ANSWER}abc`]).seen).toEqual({ heads: [{ statusCode: 204, headers: {}, keepAlive: true }], body: '', ends: ['abc'] });
    expect(parse(['HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\nETag: "e"\r\n\r\n']).seen).toEqual({
      heads: [{ statusCode: 304, headers: { 'content-length': '10', etag: '"e"' }, keepAlive: true }],
      body: '',
      ends: [''],
    });
  });

  it('ends right after the head for Content-Length: 0, and gives the bytes after a body as rest', () => {
    expect(parse([`HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n${NEXT_ANSWER}`]).seen).toEqual({
      heads: [{ statusCode: 200, headers: { 'content-length': '0' }, keepAlive: true }],
      body: '',
      ends: [NEXT_ANSWER],
    });
    expect(parse([`HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello${NEXT_ANSWER}`]).seen).toEqual({
      heads: [{ statusCode: 200, headers: { 'content-length': '5' }, keepAlive: true }],
      body: 'hello',
      ends: [NEXT_ANSWER],
    });
  });

  it('skips interim 1xx answers and reports only the real head', () => {
    const { parser, seen } = parse(['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n']);
    expect(parser.headRead).toBe(false);
    expect(seen.heads).toEqual([]);
    parser.feed(bytes('HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok'));
    expect(seen).toEqual({ heads: [{ statusCode: 201, headers: { 'content-length': '2' }, keepAlive: true }], body: 'ok', ends: [''] });
  });

  it('accepts repeated equal Content-Length values', () => {
    expect(parse(['HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\nhello']).seen).toEqual({
      heads: [{ statusCode: 200, headers: { 'content-length': '5, 5, 5' }, keepAlive: true }],
      body: 'hello',
      ends: [''],
    });
  });

  it.each([
    { name: 'an HTTP/2 status line', answer: 'HTTP/2 200\r\n\r\n' },
    { name: 'a status line that is no status line', answer: 'FOO\r\n\r\n' },
    { name: 'a header line without colon', answer: 'HTTP/1.1 200 OK\r\nNoColon\r\n\r\n' },
    { name: 'a header name with a space', answer: 'HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n' },
    { name: 'obsolete line folding', answer: 'HTTP/1.1 200 OK\r\nX-A: b\r\n folded\r\nContent-Length: 0\r\n\r\n' },
    { name: 'conflicting Content-Length values', answer: 'HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello!' },
    { name: 'a non-numeric Content-Length', answer: 'HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\nhello' },
    { name: 'a bad chunk size', answer: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n' },
    { name: 'a chunk not followed by CRLF', answer: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n' },
    { name: '101 Switching Protocols', answer: 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n' },
  ])('refuses $name with an EPROTO MalformedResponseError, whole or byte by byte', ({ answer }) => {
    expectMalformed([answer]);
    expectMalformed(cut(answer, 1));
  });

  it('refuses a head over 16 KiB that has not ended, whole or in pieces', () => {
    const head = `HTTP/1.1 200 OK\r\nX-Pad: ${'a'.repeat(16 * 1024)}`;
    expectMalformed([head]);
    expectMalformed(cut(head, 1000));
  });

  const prefix = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Pad: ';
  const fullHead = prefix + 'a'.repeat(16 * 1024 - prefix.length);

  it('refuses a head one byte over 16 KiB even when it comes whole', () => {
    expectMalformed([`${fullHead}a\r\n\r\nok`]);
  });

  it('accepts a head of exactly 16 KiB however it is cut', () => {
    const answer = `${fullHead}\r\n\r\nok`;
    const whole = parse([answer]).seen;
    expect(whole.body).toBe('ok');
    // Cuts inside the blank line leave more than 16 KiB pending before the head's end is seen.
    const cuts = Array.from({ length: 6 }, (_, step) => fullHead.length - 1 + step);
    expect(cuts.filter((at) => thrown(() => parse([answer.slice(0, at), answer.slice(at)])) !== undefined)).toEqual([]);
    for (const at of cuts) expect(parse([answer.slice(0, at), answer.slice(at)]).seen, `cut at ${at}`).toEqual(whole);
  });

  it.each([
    { name: 'nothing', pieces: [] },
    { name: 'part of the head', pieces: ['HTTP/1.1 200 OK\r\nContent-Le'] },
    { name: 'only an interim answer', pieces: ['HTTP/1.1 100 Continue\r\n\r\n'] },
    { name: 'part of a Content-Length body', pieces: ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel'] },
    { name: 'part of a chunk', pieces: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel'] },
    { name: 'the last chunk without the end of its trailers', pieces: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: t\r\n'] },
  ])('fails close() with ECONNRESET after $name', ({ pieces }) => {
    const { parser, seen } = parse(pieces);
    const error = thrown(() => {
      parser.close();
    });
    expect(error).toMatchObject({ message: 'socket hang up', code: 'ECONNRESET' });
    expect(seen.ends).toEqual([]);
  });

  it('lets close() pass once a Content-Length answer ended', () => {
    const { parser, seen } = parse([LENGTH_ANSWER]);
    parser.close();
    expect(seen.ends).toEqual(['']);
    expect(parser.done).toBe(true);
  });

  it('reports the end once, and refuses bytes fed after it', () => {
    const { parser, seen } = parse([`${LENGTH_ANSWER}${NEXT_ANSWER}`]);
    expect(seen.ends).toEqual([NEXT_ANSWER]);
    expect(thrown(() => {
      parser.feed(bytes(NEXT_ANSWER));
    })).toBeInstanceOf(MalformedResponseError);
    expect(seen.ends).toHaveLength(1);
  });

  it('moves headRead and done as the answer is read', () => {
    const length = parse([]).parser;
    expect([length.headRead, length.done]).toEqual([false, false]);
    length.feed(bytes('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n'));
    expect([length.headRead, length.done]).toEqual([false, false]);
    length.feed(bytes('\r\nhel'));
    expect([length.headRead, length.done]).toEqual([true, false]);
    length.feed(bytes('lo'));
    expect([length.headRead, length.done]).toEqual([true, true]);

    const chunked = parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n']).parser;
    expect([chunked.headRead, chunked.done]).toEqual([true, false]);
    chunked.feed(bytes('2\r\nok\r\n0\r\n'));
    expect([chunked.headRead, chunked.done]).toEqual([true, false]);
    chunked.feed(bytes('\r\n'));
    expect([chunked.headRead, chunked.done]).toEqual([true, true]);
  });
});
