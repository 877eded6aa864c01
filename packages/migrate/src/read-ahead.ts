/** One side waiting for the other: `wait` until the next `wake`. */
export class Wakeup {
  #resolve: (() => void) | undefined;

  wait(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#resolve = resolve;
    });
  }

  wake(): void {
    const resolve = this.#resolve;
    this.#resolve = undefined;
    resolve?.();
  }
}

/**
 * Runs `source` ahead of its consumer, holding up to `limit` items, so the source never waits for the consumer:
 * two listings merged key by key then each go at their own pace (a directory walk waits on the disk, an S3 listing
 * on the server), instead of each stalling whenever the other is slower. Items come out in order; a failure of
 * the source comes after the items read before it. Stopping early stops the source.
 */
export async function* readAhead<T>(source: AsyncIterable<T>, limit: number): AsyncGenerator<T, void, undefined> {
  const iterator = source[Symbol.asyncIterator]();
  const state: { queue: T[]; head: number; ended: boolean; stopped: boolean; failure?: { readonly error: unknown } } = {
    queue: [],
    head: 0,
    ended: false,
    stopped: false,
  };
  const itemReady = new Wakeup();
  const roomReady = new Wakeup();

  const pump = (async (): Promise<void> => {
    try {
      while (!state.stopped) {
        if (state.queue.length - state.head >= limit) {
          await roomReady.wait();
          continue;
        }
        const step = await iterator.next();
        if (step.done === true) break;
        state.queue.push(step.value);
        itemReady.wake();
      }
    } catch (error) {
      state.failure = { error };
    } finally {
      state.ended = true;
      itemReady.wake();
    }
  })();

  try {
    for (;;) {
      if (state.head < state.queue.length) {
        const item = state.queue[state.head] as T;
        state.head++;
        if (state.head >= 1024 && state.head * 2 >= state.queue.length) {
          // Drop what was handed out, so the queue holds at most `limit` items plus a bounded tail.
          state.queue = state.queue.slice(state.head);
          state.head = 0;
        }
        roomReady.wake();
        yield item;
        continue;
      }
      if (state.ended) {
        if (state.failure !== undefined) throw state.failure.error;
        return;
      }
      await itemReady.wait();
    }
  } finally {
    state.stopped = true;
    roomReady.wake();
    await pump;
    if (state.failure === undefined) await iterator.return?.();
  }
}

/**
 * `readAhead` that starts reading `source` at once instead of at the first `next`: for a listing or a journal that
 * can be fetched while the caller still waits on something else.
 */
export function startedReadAhead<T>(
  source: AsyncIterable<T>,
  limit: number,
): AsyncIterableIterator<T, void, undefined> & { return(): Promise<IteratorResult<T, void>> } {
  const reading = readAhead(source, limit);
  let first: Promise<IteratorResult<T, void>> | undefined = reading.next();
  // A failure is seen when the items are asked for; one never asked for (the caller stopped first) does not matter.
  first.catch(() => undefined);
  const started = {
    next(): Promise<IteratorResult<T, void>> {
      const pending = first;
      first = undefined;
      return pending ?? reading.next();
    },
    async return(): Promise<IteratorResult<T, void>> {
      await first?.catch(() => undefined);
      first = undefined;
      return reading.return();
    },
    [Symbol.asyncIterator]() {
      return started;
    },
  };
  return started;
}
