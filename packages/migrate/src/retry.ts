import { abortableSleep, abortedError, isStorageError, throwIfAborted } from '@stowage/core';

/** How often and how patiently a transient failure is retried. */
export interface RetryPolicy {
  /** Tries in all, the first included; 1 means no retry. */
  readonly attempts: number;
  /** Wait before the first retry; each further retry waits twice as long, up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 5, baseDelayMs: 200, maxDelayMs: 10_000 };

/**
 * Only `Unavailable` is worth another try: it means the service was busy or the connection broke. Every other code
 * (`NotFound`, `AccessDenied`, `IntegrityError`, ...) would fail the same way again. Nor is a failure the store
 * already retried under its own policy (`attempts` set, as the S3 store does): one retry layer per request, so a
 * silent endpoint is not waited on once per layer.
 */
export function isTransientFailure(error: unknown): boolean {
  return isStorageError(error, 'Unavailable') && error.attempts === undefined;
}

/** The wait before retry number `retry` (1 for the first): exponential, with jitter so workers do not retry in step. */
export function backoffDelay(policy: RetryPolicy, retry: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/**
 * Runs `operation`, retrying transient failures with exponential backoff. Resolves with the first success; rejects
 * with the last error once it is not transient or the attempts are used up, or with `Aborted` when the signal fires.
 */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  signal?: AbortSignal,
  onAttemptFailed?: (error: unknown, attempt: number) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(signal);
    try {
      return await operation(attempt);
    } catch (error) {
      onAttemptFailed?.(error, attempt);
      if (signal?.aborted === true) throw abortedError(undefined, signal.reason);
      if (!isTransientFailure(error) || attempt >= policy.attempts) throw error;
      await abortableSleep(backoffDelay(policy, attempt), signal);
    }
  }
}
