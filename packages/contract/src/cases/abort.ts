import { expect, it } from 'vitest';
import { expectSameBytes } from '../byte-assertions.ts';
import { pseudoRandomBytes, pseudoRandomStream } from '../pseudo-random.ts';
import { expectStorageError } from '../storage-error-assertions.ts';
import { getBytes, getText, listKeys } from '../store-helpers.ts';
import type { SuiteContext } from '../suite-context.ts';

/**
 * A stream that delivers `chunks` chunks, then waits forever (until cancelled), reporting when the consumer has
 * taken them: an upload whose client stalled.
 */
function stallingStream(chunks: number): {
  readonly body: ReadableStream<Uint8Array>;
  readonly stalled: Promise<void>;
} {
  let sent = 0;
  let reportStall: () => void = () => undefined;
  const stalled = new Promise<void>((resolve) => {
    reportStall = resolve;
  });
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (sent < chunks) {
          controller.enqueue(pseudoRandomBytes(50 + sent, 16 * 1024));
          sent++;
          return undefined;
        }
        reportStall();
        return new Promise<void>(() => undefined);
      },
    },
    { highWaterMark: 0 },
  );
  return { body, stalled };
}

/** A stream that delivers some bytes and then fails, as a dropped client connection does. */
function failingStream(): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ < 3) controller.enqueue(pseudoRandomBytes(60, 10_000));
      else controller.error(new Error('connection reset by peer'));
    },
  });
}

async function* failingIterable(): AsyncGenerator<Uint8Array> {
  yield pseudoRandomBytes(61, 10_000);
  await Promise.resolve();
  throw new Error('upload source failed');
}

/** Aborted and failed puts leave nothing visible and the old object intact; aborted gets stop. */
export function abortCases({ store }: SuiteContext): void {
  it('rejects a put whose signal already fired with Aborted and stores nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    await expectStorageError(store().put('abort/early', 'never', { signal: controller.signal }), 'Aborted');
    expect(await listKeys(store())).toEqual([]);
  });

  it('aborts a put whose body stalls, leaving the old object intact and no partial object visible', async () => {
    await store().put('abort/existing', 'the old object');
    const controller = new AbortController();
    const { body, stalled } = stallingStream(3);
    const second = stallingStream(2);
    const put = store().put('abort/existing', body, { signal: controller.signal });
    const putOfNewKey = store().put('abort/new', second.body, { signal: controller.signal });
    // Both are awaited only after the abort: observed from now on, so neither rejection goes unhandled meanwhile.
    put.catch(() => undefined);
    putOfNewKey.catch(() => undefined);
    // Both puts are midway, each waiting on its body, when the signal fires.
    await Promise.all([stalled, second.stalled]);
    controller.abort();
    await expectStorageError(put, 'Aborted');
    await expectStorageError(putOfNewKey, 'Aborted');
    expect(await getText(store(), 'abort/existing')).toBe('the old object');
    expect(await store().head('abort/new')).toBeUndefined();
    expect(await listKeys(store())).toEqual(['abort/existing']);
  });

  it('reports a body stream that errors as Aborted, keeping the old object and leaving nothing else', async () => {
    await store().put('abort/failing', 'still here');
    await expectStorageError(store().put('abort/failing', failingStream()), 'Aborted');
    await expectStorageError(store().put('abort/failing-new', failingStream()), 'Aborted');
    expect(await getText(store(), 'abort/failing')).toBe('still here');
    expect(await listKeys(store())).toEqual(['abort/failing']);
  });

  it('reports an async iterable body that throws as Aborted, keeping the old object', async () => {
    await store().put('abort/iterable', 'still here');
    await expectStorageError(store().put('abort/iterable', failingIterable()), 'Aborted');
    expect(await getText(store(), 'abort/iterable')).toBe('still here');
    expect(await listKeys(store())).toEqual(['abort/iterable']);
  });

  it('keeps an object whose put completed even if its signal fires afterwards', async () => {
    const controller = new AbortController();
    await store().put('abort/late', 'complete', { signal: controller.signal });
    controller.abort();
    expect(await getText(store(), 'abort/late')).toBe('complete');
  });

  it('rejects a get whose signal already fired with Aborted', async () => {
    await store().put('abort/get', 'x');
    const controller = new AbortController();
    controller.abort();
    await expectStorageError(store().get('abort/get', { signal: controller.signal }), 'Aborted');
  });

  it('fails the body of a get with Aborted when its signal fires mid-read, and the object stays intact', async () => {
    const size = 8 * 1024 * 1024;
    await store().put('abort/reading', pseudoRandomStream(62, size));
    const controller = new AbortController();
    const result = await store().get('abort/reading', { signal: controller.signal });
    const reader = result.body.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    controller.abort();
    const drain = async (): Promise<void> => {
      for (;;) {
        const { done } = await reader.read();
        if (done) throw new Error('the body ended normally although its signal fired mid-read');
      }
    };
    await expectStorageError(drain(), 'Aborted');
    expect((await store().head('abort/reading'))?.size).toBe(size);
    expectSameBytes(
      await getBytes(store(), 'abort/reading', { range: { start: 0, end: 99 } }),
      pseudoRandomBytes(62, 100),
    );
  });

  it('releases a get body cancelled early without affecting the object', async () => {
    await store().put('abort/cancelled', pseudoRandomStream(63, 1024 * 1024));
    const result = await store().get('abort/cancelled');
    const reader = result.body.getReader();
    await reader.read();
    await reader.cancel();
    expect((await getBytes(store(), 'abort/cancelled')).byteLength).toBe(1024 * 1024);
  });
}
