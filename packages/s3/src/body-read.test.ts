import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { isStorageError } from '@stowage/core';
import { BodyReader } from './body-read.ts';

function streamOf(chunks: readonly string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let index = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[index++];
      if (chunk === undefined) controller.close();
      else controller.enqueue(encoder.encode(chunk));
    },
  });
}

function abortListeners(signal: AbortSignal): number {
  return getEventListeners(signal, 'abort').length;
}

describe('BodyReader', () => {
  it('reads every chunk with one abort listener for the whole body, gone once the body ends', async () => {
    const controller = new AbortController();
    const reader = new BodyReader(streamOf(['a', 'bb', 'ccc']), controller.signal, 'k');
    const sizes: number[] = [];
    for (let step = await reader.next(); step.done !== true; step = await reader.next()) {
      sizes.push(step.value.byteLength);
      expect(abortListeners(controller.signal)).toBe(1);
    }
    expect(sizes).toEqual([1, 2, 3]);
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('rejects a read of a stalled body with Aborted as soon as the signal fires, and then cancels the body', async () => {
    const controller = new AbortController();
    let cancelled = false;
    const stalled = new ReadableStream<Uint8Array>({
      pull: () => new Promise<void>(() => undefined),
      cancel: () => {
        cancelled = true;
      },
    });
    const reader = new BodyReader(stalled, controller.signal, 'photo.png');
    const read = reader.next();
    controller.abort(new Error('operator stopped it'));
    const error: unknown = await read.catch((failure: unknown) => failure);
    expect(isStorageError(error, 'Aborted')).toBe(true);
    expect((error as Error).message).toContain('photo.png');
    expect(abortListeners(controller.signal)).toBe(0);
    // The stream's read is still pending: stopping must not wait for it.
    await reader.return();
    expect(cancelled).toBe(true);
    expect(stalled.locked).toBe(false);
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
    const reader = new BodyReader(endless, controller.signal, 'k');
    expect((await reader.next()).value?.byteLength).toBe(4);
    await reader.return();
    expect(cancelled).toBe(true);
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('rejects at once when the signal has already fired, reading nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    let pulled = false;
    const body = new ReadableStream<Uint8Array>({
      pull: () => {
        pulled = true;
      },
    }, { highWaterMark: 0 });
    const reader = new BodyReader(body, controller.signal, 'k');
    await expect(reader.next()).rejects.toMatchObject({ code: 'Aborted' });
    expect(pulled).toBe(false);
  });

  it('reports a failing body as Aborted with the failure as its cause, also without a signal', async () => {
    const failure = new Error('disk went away');
    const failing = new ReadableStream<Uint8Array>({
      pull: (controller) => {
        controller.error(failure);
      },
    });
    const reader = new BodyReader(failing, undefined, 'k');
    const error: unknown = await reader.next().catch((caught: unknown) => caught);
    expect(isStorageError(error, 'Aborted')).toBe(true);
    expect((error as Error).cause).toBe(failure);
  });
});
