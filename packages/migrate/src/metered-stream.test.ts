import { bodyToStream, collectBytes, portableSha256, sha256Base64 } from '@stowage/core';
import { describe, expect, it } from 'vitest';
import { meterStream } from './metered-stream.ts';

/** `chunks`, pulled one at a time, reporting being stopped before the end. */
async function* chunksOf(
  chunks: readonly Uint8Array[],
  onCancel: () => void = () => undefined,
): AsyncGenerator<Uint8Array, void, undefined> {
  let ended = false;
  try {
    for (const chunk of chunks) {
      await Promise.resolve();
      yield chunk;
    }
    ended = true;
  } finally {
    if (!ended) onCancel();
  }
}

/** The same as a Web stream. */
function streamOf(chunks: readonly Uint8Array[], onCancel: () => void = () => undefined): ReadableStream<Uint8Array> {
  return bodyToStream(chunksOf(chunks, onCancel));
}

describe.each([
  ['a Web stream', streamOf],
  ['plain chunks', chunksOf],
])('meterStream over %s', (_kind, sourceOf) => {
  it('passes the bytes on, counting and hashing them, with the digest known only at the end', async () => {
    const chunks = [new Uint8Array([1, 2, 3]), new Uint8Array([4, 5])];
    const counted: number[] = [];
    const metered = meterStream(sourceOf(chunks), portableSha256, (count) => counted.push(count));
    expect(metered.digest()).toBeUndefined();
    expect(await collectBytes(metered.body)).toEqual(new Uint8Array([1, 2, 3, 4, 5]));
    expect(counted).toEqual([3, 2]);
    expect(metered.digest()).toEqual({ size: 5, sha256: sha256Base64(new Uint8Array([1, 2, 3, 4, 5])) });
    expect(meterStream(sourceOf(chunks), undefined, () => undefined).digest()).toBeUndefined();
  });

  it('stops the source when the consumer stops early or gives up, and has no digest then', async () => {
    let cancelled = 0;
    const onCancel = (): void => {
      cancelled++;
    };
    const stopped = meterStream(
      sourceOf([new Uint8Array(4), new Uint8Array(4)], onCancel),
      portableSha256,
      () => undefined,
    );
    for await (const chunk of stopped.body) {
      expect(chunk.byteLength).toBe(4);
      break;
    }
    expect(cancelled).toBe(1);
    expect(stopped.digest()).toBeUndefined();

    const abandoned = meterStream(
      sourceOf([new Uint8Array(4), new Uint8Array(4)], onCancel),
      portableSha256,
      () => undefined,
    );
    await abandoned.body[Symbol.asyncIterator]().next();
    await abandoned.cancel();
    expect(cancelled).toBe(2);
    expect(await abandoned.body[Symbol.asyncIterator]().next()).toEqual({ done: true, value: undefined });
  });
});

describe('meterStream', () => {
  it('reads only as the consumer asks', async () => {
    let pulls = 0;
    const source = new ReadableStream<Uint8Array>(
      {
        pull: (controller) => {
          controller.enqueue(new Uint8Array([pulls++]));
        },
      },
      { highWaterMark: 0 },
    );
    const chunks = meterStream(source, undefined, () => undefined).body[Symbol.asyncIterator]();
    await chunks.next();
    await chunks.next();
    expect(pulls).toBe(2);
  });

  it('cancels a stalled source at once, while the consumer still waits for its next chunk', async () => {
    let cancelled = false;
    const stalled = new ReadableStream<Uint8Array>({
      pull: () => new Promise<void>(() => undefined),
      cancel: () => {
        cancelled = true;
      },
    });
    const metered = meterStream(stalled, portableSha256, () => undefined);
    const waiting = metered.body[Symbol.asyncIterator]().next();
    await metered.cancel();
    expect(cancelled).toBe(true);
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(metered.digest()).toBeUndefined();
  });

  it('remembers the error the source failed with', async () => {
    const failure = new Error('the disk went away');
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(failure);
      },
    });
    const metered = meterStream(source, portableSha256, () => undefined);
    await expect(collectBytes(metered.body)).rejects.toBe(failure);
    expect(metered.sourceError()).toBe(failure);
    expect(metered.digest()).toBeUndefined();
  });
});
