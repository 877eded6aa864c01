import { describe, expect, it } from 'vitest';
import { defaultRetryStrategy, retryErrorType, withRetries } from './retry.ts';

/** A failure the SDK's classification calls transient, as a dropped connection is. */
function connectionReset(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}

describe('defaultRetryStrategy', () => {
  it('lets a request that keeps succeeding through on first-attempt tokens', async () => {
    const strategy = defaultRetryStrategy();
    for (let request = 0; request < 3; request++) {
      const token = await strategy.acquireInitialRetryToken('op');
      expect(token.getRetryCount()).toBe(0);
      expect(token.getRetryDelay()).toBe(0);
      strategy.recordSuccess(token);
    }
  });

  it('retries a transient failure twice with the SDK standard strategy, then gives up with the last failure', async () => {
    const strategy = defaultRetryStrategy();
    const retries: number[] = [];
    let attempts = 0;
    const recovered = await withRetries(strategy, 'op', () => (++attempts < 3 ? Promise.reject(connectionReset()) : Promise.resolve('done')), {
      onRetry: ({ attempt }) => retries.push(attempt),
    });
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
        defaultRetryStrategy(),
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
});
