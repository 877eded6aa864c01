import { describe, expect, it } from 'vitest';
import { isStorageError } from '@stowage/core';
import { BodyReader } from './body-read.ts';

// The reading itself (one abort listener, Aborted while stalled, release at once) is `abortableBodyChunks`'s, tested
// in core; the reader adds the store's word for a failing body.
describe('BodyReader', () => {
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
    expect((error as Error).message).toBe('the body of "k" failed while being read');
    expect((error as Error).cause).toBe(failure);
  });

  it('passes an abort through as it is, naming the key', async () => {
    const controller = new AbortController();
    const reader = new BodyReader(
      new ReadableStream<Uint8Array>({ pull: () => new Promise<void>(() => undefined) }),
      controller.signal,
      'photo.png',
    );
    const read = reader.next();
    controller.abort(new Error('operator stopped it'));
    const error: unknown = await read.catch((caught: unknown) => caught);
    expect(isStorageError(error, 'Aborted')).toBe(true);
    expect((error as Error).message).toContain('photo.png');
    await reader.return();
  });
});
