import { StandardRetryStrategy } from '@smithy/core/retry';
import { describe, expect, it } from 'vitest';
import { instantRetries } from './testing/instant-retries.ts';
import { retryErrorType, withRetries } from './retry.ts';

/** A failure the SDK's classification calls transient, as a dropped connection is. */
function connectionReset(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}

describe('withRetries', () => {
  it('retries a transient failure twice with the SDK standard strategy, then gives up with the last failure', async () => {
    const strategy = new StandardRetryStrategy(3);
    const retries: number[] = [];
    let attempts = 0;
    const recovered = await withRetries(
      strategy,
      'op',
      () => (++attempts < 3 ? Promise.reject(connectionReset()) : Promise.resolve('done')),
      {
        onRetry: ({ attempt }) => retries.push(attempt),
      },
    );
    expect(recovered).toBe('done');
    expect(retries).toEqual([1, 2]);

    attempts = 0;
    const failing = withRetries(strategy, 'op', () => {
      attempts++;
      return Promise.reject(connectionReset());
    });
    await expect(failing).rejects.toThrow('socket hang up');
    expect(attempts).toBe(3);
  });

  it('never retries what retrying cannot help: an abort or a decision of the store', async () => {
    expect(retryErrorType(Object.assign(new Error('stopped'), { name: 'AbortError' }))).toBeUndefined();
    expect(retryErrorType(connectionReset())).toBe('TRANSIENT');
    let attempts = 0;
    const controller = new AbortController();
    controller.abort();
    await expect(
      withRetries(
        instantRetries(),
        'op',
        () => {
          attempts++;
          return Promise.reject(connectionReset());
        },
        { signal: controller.signal },
      ),
    ).rejects.toThrow('socket hang up');
    expect(attempts).toBe(1);
  });

  it('makes a retry only if it could end within the deadline, judging by the failed attempt', async () => {
    let clock = 0;
    const attemptTimes: number[] = [];
    // Each attempt hangs for 20 s of the clock (a silent server's idle timeout), then fails.
    const silent = (): Promise<never> => {
      attemptTimes.push(clock);
      clock += 20_000;
      return Promise.reject(Object.assign(new Error('timed out'), { name: 'TimeoutError', code: 'ETIMEDOUT' }));
    };
    await expect(
      withRetries(instantRetries(5), 'op', silent, { deadlineMs: 50_000, now: () => clock }),
    ).rejects.toThrow('timed out');
    // 20 s spent, 20 more would end at 40 s: retried; 40 s spent, 20 more would pass 50 s: given up.
    expect(attemptTimes).toEqual([0, 20_000]);

    // A server that fails at once is retried as often as the strategy allows, deadline or not.
    let fastAttempts = 0;
    await expect(
      withRetries(
        instantRetries(5),
        'op',
        () => {
          fastAttempts++;
          return Promise.reject(connectionReset());
        },
        { deadlineMs: 50_000, now: () => 0 },
      ),
    ).rejects.toThrow('socket hang up');
    expect(fastAttempts).toBe(5);
  });
});
