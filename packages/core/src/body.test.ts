import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { isStorageError } from './errors.ts';
import {
  READ_BODY_CHUNKS,
  abortableBodyChunks,
  bodyChunks,
  bodyToStream,
  collectBytes,
  knownBodySize,
  readResultBody,
} from './body.ts';
import type { ChunkReadableResult } from './body.ts';
import type { GetResult } from './object-store.ts';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

function streamOf(chunks: readonly Uint8Array[], onCancel: () => void = () => undefined): ReadableStream<Uint8Array> {
  let index = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const chunk = chunks[index++];
        if (chunk === undefined) controller.close();
        else controller.enqueue(chunk);
      },
      cancel: onCancel,
    },
    { highWaterMark: 0 },
  );
}

async function* iterableOf(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) {
    await Promise.resolve();
    yield chunk;
  }
}

async function all(body: Parameters<typeof bodyChunks>[0]): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of bodyChunks(body)) chunks.push(chunk);
  return chunks;
}

describe('bodyChunks', () => {
  it('yields a string as one UTF-8 chunk', async () => {
    expect(await all('héllo \u{1f600}')).toEqual([encode('héllo \u{1f600}')]);
  });

  it('yields a Uint8Array as itself, without copying', async () => {
    const bytes = encode('abc');
    const chunks = await all(bytes);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toBe(bytes);
  });

  it('yields a stream chunk by chunk in order and releases it at the end', async () => {
    const chunks = [encode('a'), encode('bc'), encode('def')];
    const stream = streamOf(chunks);
    expect(await all(stream)).toEqual(chunks);
    expect(stream.locked).toBe(false);
  });

  it('yields an async iterable chunk by chunk', async () => {
    const chunks = [encode('x'), new Uint8Array(0), encode('yz')];
    expect(await all(iterableOf(chunks))).toEqual(chunks);
  });

  it('yields nothing for empty bodies of every kind', async () => {
    expect(await all(new Uint8Array(0))).toEqual([new Uint8Array(0)]);
    expect(await all('')).toEqual([new Uint8Array(0)]);
    expect(await all(streamOf([]))).toEqual([]);
    expect(await all(iterableOf([]))).toEqual([]);
  });

  it('cancels the stream when the consumer stops early, so its producer is released', async () => {
    let cancelled = false;
    const stream = streamOf([encode('1'), encode('2'), encode('3')], () => {
      cancelled = true;
    });
    for await (const chunk of bodyChunks(stream)) {
      expect(chunk).toEqual(encode('1'));
      break;
    }
    expect(cancelled).toBe(true);
    expect(stream.locked).toBe(false);
  });

  it('cancels a stalled stream at once when the consumer stops while a read is pending', async () => {
    let cancelledWith: unknown = 'not cancelled';
    const stalled = new ReadableStream<Uint8Array>({
      pull: () => new Promise<void>(() => undefined),
      cancel: (reason) => {
        cancelledWith = reason;
      },
    });
    const chunks = bodyChunks(stalled);
    const pending = chunks.next();
    expect(await chunks.return()).toEqual({ done: true, value: undefined });
    expect(cancelledWith).toBeUndefined();
    expect(stalled.locked).toBe(false);
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(await chunks.next()).toEqual({ done: true, value: undefined });
  });

  it("returns an iterable's iterator at once when the consumer stops while a read is pending, and drops that read's chunk", async () => {
    let returned = 0;
    let answer: (chunk: Uint8Array) => void = () => undefined;
    const iterable: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: () =>
          new Promise<IteratorResult<Uint8Array>>((resolve) => {
            answer = (chunk) => {
              resolve({ done: false, value: chunk });
            };
          }),
        return: () => {
          returned++;
          return Promise.resolve({ done: true, value: undefined });
        },
      }),
    };
    const chunks = bodyChunks(iterable);
    const pending = chunks.next();
    expect(await chunks.return()).toEqual({ done: true, value: undefined });
    expect(returned).toBe(1);
    answer(encode('late'));
    expect(await pending).toEqual({ done: true, value: undefined });
    await chunks.return();
    expect(returned).toBe(1);
  });

  it("does not return an iterable's iterator that ended or failed by itself", async () => {
    let returned = 0;
    const ending = (fail: boolean): AsyncIterable<Uint8Array> => ({
      [Symbol.asyncIterator]: () => ({
        next: () =>
          fail ? Promise.reject(new Error('source failed')) : Promise.resolve({ done: true, value: undefined }),
        return: () => {
          returned++;
          return Promise.resolve({ done: true, value: undefined });
        },
      }),
    });
    expect(await all(ending(false))).toEqual([]);
    await expect(all(ending(true))).rejects.toThrow('source failed');
    expect(returned).toBe(0);
  });

  it('passes a stream error to the consumer and releases the stream', async () => {
    const failure = new Error('connection reset');
    let sent = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent) controller.error(failure);
        else controller.enqueue(encode('first'));
        sent = true;
      },
    });
    await expect(all(stream)).rejects.toBe(failure);
    expect(stream.locked).toBe(false);
  });

  it('passes an iterable error to the consumer', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield encode('ok');
      await Promise.resolve();
      throw new Error('source failed');
    }
    await expect(all(failing())).rejects.toThrow('source failed');
  });
});

describe('abortableBodyChunks', () => {
  const abortListeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;

  it('reads every chunk with one abort listener for the whole body, gone once the body ends', async () => {
    const controller = new AbortController();
    const chunks = abortableBodyChunks(streamOf([encode('a'), encode('bb'), encode('ccc')]), controller.signal, 'k');
    const sizes: number[] = [];
    for (let step = await chunks.next(); step.done !== true; step = await chunks.next()) {
      sizes.push(step.value.byteLength);
      expect(abortListeners(controller.signal)).toBe(1);
    }
    expect(sizes).toEqual([1, 2, 3]);
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('rejects a read of a stalled body with Aborted as soon as the signal fires, and releases the body', async () => {
    const controller = new AbortController();
    let cancelled = false;
    const stalled = new ReadableStream<Uint8Array>({
      pull: () => new Promise<void>(() => undefined),
      cancel: () => {
        cancelled = true;
      },
    });
    const chunks = abortableBodyChunks(stalled, controller.signal, 'photo.png');
    const read = chunks.next();
    controller.abort(new Error('operator stopped it'));
    const error: unknown = await read.catch((failure: unknown) => failure);
    expect(isStorageError(error, 'Aborted')).toBe(true);
    expect((error as Error).message).toContain('photo.png');
    expect(abortListeners(controller.signal)).toBe(0);
    expect(cancelled).toBe(true);
    expect(stalled.locked).toBe(false);
  });

  it('gives up a stalled iterable when the signal fires, returning its iterator', async () => {
    const controller = new AbortController();
    let returned = 0;
    const iterable: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<Uint8Array>>(() => undefined),
        return: () => {
          returned++;
          return Promise.resolve({ done: true, value: undefined });
        },
      }),
    };
    const read = abortableBodyChunks(iterable, controller.signal, 'k').next();
    controller.abort();
    await expect(read).rejects.toMatchObject({ code: 'Aborted' });
    expect(returned).toBe(1);
  });

  it('releases the body and its listener when the reader stops early', async () => {
    const controller = new AbortController();
    let cancelled = false;
    const endless = new ReadableStream<Uint8Array>({
      pull: (stream) => {
        stream.enqueue(new Uint8Array(4));
      },
      cancel: () => {
        cancelled = true;
      },
    });
    const chunks = abortableBodyChunks(endless, controller.signal, 'k');
    expect((await chunks.next()).value?.byteLength).toBe(4);
    await chunks.return();
    expect(cancelled).toBe(true);
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('rejects at once when the signal has already fired, reading nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    let pulled = false;
    const body = new ReadableStream<Uint8Array>(
      {
        pull: () => {
          pulled = true;
        },
      },
      { highWaterMark: 0 },
    );
    await expect(abortableBodyChunks(body, controller.signal, 'k').next()).rejects.toMatchObject({ code: 'Aborted' });
    expect(pulled).toBe(false);
  });

  it('passes a failing body on unchanged, and reads as bodyChunks without a signal', async () => {
    const failure = new Error('disk went away');
    const failing = new ReadableStream<Uint8Array>({
      pull: (controller) => {
        controller.error(failure);
      },
    });
    await expect(abortableBodyChunks(failing, new AbortController().signal, 'k').next()).rejects.toBe(failure);
    const texts: string[] = [];
    for await (const chunk of abortableBodyChunks(streamOf([encode('x'), encode('y')]), undefined, 'k'))
      texts.push(new TextDecoder().decode(chunk));
    expect(texts).toEqual(['x', 'y']);
  });
});

describe('knownBodySize', () => {
  it('knows strings (in UTF-8 bytes) and byte arrays, not streams or iterables', () => {
    expect(knownBodySize('héllo')).toBe(6);
    expect(knownBodySize('\u{1f600}')).toBe(4);
    expect(knownBodySize('')).toBe(0);
    expect(knownBodySize(new Uint8Array(17))).toBe(17);
    expect(knownBodySize(new Uint8Array(new ArrayBuffer(100), 10, 5))).toBe(5);
    expect(knownBodySize(streamOf([encode('a')]))).toBeUndefined();
    expect(knownBodySize(iterableOf([encode('a')]))).toBeUndefined();
  });
});

describe('bodyToStream', () => {
  it('returns a stream body unchanged', () => {
    const stream = streamOf([]);
    expect(bodyToStream(stream)).toBe(stream);
  });

  it('streams strings, bytes and iterables', async () => {
    expect(await collectBytes(bodyToStream('text'))).toEqual(encode('text'));
    expect(await collectBytes(bodyToStream(encode('bytes')))).toEqual(encode('bytes'));
    expect(await collectBytes(bodyToStream(iterableOf([encode('it'), encode('er')])))).toEqual(encode('iter'));
  });

  it('pulls an iterable lazily: an endless source is read only as far as the reader goes', async () => {
    let produced = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        produced++;
        await Promise.resolve();
        yield new Uint8Array([produced % 256]);
      }
    }
    const reader = bodyToStream(endless()).getReader();
    for (let index = 0; index < 3; index++) await reader.read();
    // The stream may queue one chunk ahead of the reader, never more.
    expect(produced).toBeLessThanOrEqual(4);
    await reader.cancel();
  });

  it('finishes the iterable (running its finally) when the stream is cancelled', async () => {
    let finished = false;
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        for (;;) {
          await Promise.resolve();
          yield new Uint8Array([1]);
        }
      } finally {
        finished = true;
      }
    }
    const reader = bodyToStream(source()).getReader();
    await reader.read();
    await reader.cancel();
    expect(finished).toBe(true);
  });
});

describe('collectBytes', () => {
  it('joins chunks in order', async () => {
    expect(await collectBytes(iterableOf([encode('ab'), new Uint8Array(0), encode('cde')]))).toEqual(encode('abcde'));
    expect(await collectBytes(streamOf([encode('1'), encode('23')]))).toEqual(encode('123'));
  });

  it('handles empty and single-chunk bodies', async () => {
    expect((await collectBytes(streamOf([]))).byteLength).toBe(0);
    expect(await collectBytes('x')).toEqual(encode('x'));
  });
});

describe('readResultBody', () => {
  const info = { key: 'k', size: 2, etag: '"e"', lastModified: new Date(0), contentType: 'text/plain', metadata: {} };

  it('takes the chunks a result offers without a stream, and leaves its body unread', async () => {
    let streamMade = false;
    const result: GetResult & ChunkReadableResult = {
      ...info,
      get body(): ReadableStream<Uint8Array> {
        streamMade = true;
        return new ReadableStream();
      },
      [READ_BODY_CHUNKS]: () => bodyChunks(new Uint8Array([1, 2])),
    };
    const chunks = readResultBody(result);
    expect(Array.from(await collectBytes(chunks))).toEqual([1, 2]);
    expect(streamMade).toBe(false);
  });

  it('is the body of a result that offers nothing else', () => {
    const body = new ReadableStream<Uint8Array>();
    expect(readResultBody({ ...info, body })).toBe(body);
  });
});
