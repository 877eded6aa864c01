import { describe, expect, it } from 'vitest';
import { readAhead, startedReadAhead } from './read-ahead.ts';

/** Counts how far a source was read, and whether it was closed. */
function tracked(
  count: number,
  failAt?: number,
): { source: AsyncGenerator<number>; read: () => number; closed: () => boolean } {
  let read = 0;
  let closed = false;
  async function* source(): AsyncGenerator<number> {
    try {
      for (let index = 0; index < count; index++) {
        await Promise.resolve();
        if (index === failAt) throw new Error(`failed at ${index}`);
        read++;
        yield index;
      }
    } finally {
      closed = true;
    }
  }
  return { source: source(), read: () => read, closed: () => closed };
}

async function settle(): Promise<void> {
  for (let turn = 0; turn < 50; turn++) await new Promise((resolve) => setImmediate(resolve));
}

describe('readAhead', () => {
  it('reads up to the limit ahead of a consumer that is not asking, and no further', async () => {
    const { source, read } = tracked(100);
    const ahead = readAhead(source, 10);
    expect((await ahead.next()).value).toBe(0);
    await settle();
    // One handed out, ten held.
    expect(read()).toBe(11);
    const rest: number[] = [];
    for await (const item of ahead) rest.push(item);
    expect(rest).toEqual(Array.from({ length: 99 }, (_, index) => index + 1));
  });

  it('gives every item in order through a long run', async () => {
    const { source } = tracked(5000);
    const out: number[] = [];
    for await (const item of readAhead(source, 300)) out.push(item);
    expect(out).toEqual(Array.from({ length: 5000 }, (_, index) => index));
  });

  it('fails after the items read before the failure', async () => {
    const { source } = tracked(10, 4);
    const out: number[] = [];
    await expect(
      (async () => {
        for await (const item of readAhead(source, 100)) out.push(item);
      })(),
    ).rejects.toThrow('failed at 4');
    expect(out).toEqual([0, 1, 2, 3]);
  });

  it('closes the source when the consumer stops early', async () => {
    const { source, closed, read } = tracked(1000);
    for await (const item of readAhead(source, 5)) {
      if (item === 2) break;
    }
    expect(closed()).toBe(true);
    expect(read()).toBeLessThan(1000);
  });
});

describe('startedReadAhead', () => {
  it('reads ahead before anything is asked for, then gives every item in order', async () => {
    const { source, read } = tracked(50);
    const started = startedReadAhead(source, 20);
    await settle();
    // The first item waits for its reader, twenty more are held.
    expect(read()).toBe(21);
    const out: number[] = [];
    for await (const item of started) out.push(item);
    expect(out).toEqual(Array.from({ length: 50 }, (_, index) => index));
  });

  it('closes the source when returned before or while reading, and keeps a failure for the reader', async () => {
    const unread = tracked(100);
    await startedReadAhead(unread.source, 10).return();
    expect(unread.closed()).toBe(true);
    const partly = tracked(100);
    const started = startedReadAhead(partly.source, 10);
    expect((await started.next()).value).toBe(0);
    await started.return();
    expect(partly.closed()).toBe(true);
    const failing = tracked(10, 0);
    const failed = startedReadAhead(failing.source, 10);
    await settle();
    await expect(failed.next()).rejects.toThrow('failed at 0');
  });
});
