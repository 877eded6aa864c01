import { describe, expect, it } from 'vitest';
import { StorageError, abortableSleep } from '@stowage/core';
import { backoffDelay, isTransientFailure, withRetry } from './retry.ts';

const fast = { attempts: 4, baseDelayMs: 1, maxDelayMs: 4 };

describe('withRetry', () => {
  it('retries Unavailable until it succeeds', async () => {
    let calls = 0;
    const result = await withRetry((attempt) => {
      calls++;
      return attempt < 3 ? Promise.reject(new StorageError('Unavailable', 'busy')) : Promise.resolve('done');
    }, fast);
    expect(result).toBe('done');
    expect(calls).toBe(3);
  });

  it('gives up after the allowed attempts with the last error', async () => {
    let calls = 0;
    await expect(
      withRetry(() => {
        calls++;
        return Promise.reject(new StorageError('Unavailable', `busy ${calls}`));
      }, fast),
    ).rejects.toMatchObject({ code: 'Unavailable', message: 'busy 4' });
    expect(calls).toBe(4);
  });

  it('does not retry other codes', async () => {
    let calls = 0;
    await expect(
      withRetry(() => {
        calls++;
        return Promise.reject(new StorageError('AccessDenied', 'no'));
      }, fast),
    ).rejects.toMatchObject({ code: 'AccessDenied' });
    expect(calls).toBe(1);
    expect(isTransientFailure(new Error('plain'))).toBe(false);
  });

  it('does not retry a failure the store already retried under its own policy: one retry layer per request', async () => {
    let calls = 0;
    const retried = new StorageError('Unavailable', "still down after the store's retries", { attempts: 3 });
    await expect(
      withRetry(() => {
        calls++;
        return Promise.reject(retried);
      }, fast),
    ).rejects.toBe(retried);
    expect(calls).toBe(1);
    expect(isTransientFailure(new StorageError('Unavailable', 'a stream broke midway'))).toBe(true);
  });

  it('stops waiting with Aborted when the signal fires', async () => {
    const controller = new AbortController();
    const waiting = withRetry(
      () => Promise.reject(new StorageError('Unavailable', 'busy')),
      {
        attempts: 10,
        baseDelayMs: 60_000,
        maxDelayMs: 60_000,
      },
      controller.signal,
    );
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'Aborted' });
    await expect(abortableSleep(10, controller.signal)).rejects.toMatchObject({ code: 'Aborted' });
  });

  it('doubles the wait per retry, with jitter, up to the ceiling', () => {
    const policy = { attempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };
    for (let round = 0; round < 50; round++) {
      const first = backoffDelay(policy, 1);
      expect(first).toBeGreaterThanOrEqual(50);
      expect(first).toBeLessThanOrEqual(100);
      const third = backoffDelay(policy, 3);
      expect(third).toBeGreaterThanOrEqual(200);
      expect(third).toBeLessThanOrEqual(400);
      expect(backoffDelay(policy, 9)).toBeLessThanOrEqual(1000);
    }
  });
});
