import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import type { RetryErrorType, RetryStrategyV2 } from '@smithy/types';
import { abortableSleep, isStorageError } from '@stowage/core';

/** How the SDK classifies a failure; `undefined` means retrying cannot help. */
export function retryErrorType(error: unknown): RetryErrorType | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  // Our own errors (integrity, size, abort) are decisions, not accidents: the same request would fail again.
  if (isStorageError(error)) return undefined;
  if ((error as { readonly name?: unknown }).name === 'AbortError') return undefined;
  const sdkError = error as Parameters<typeof isTransientError>[0];
  if (isThrottlingError(sdkError)) return 'THROTTLING';
  if (isTransientError(sdkError)) return 'TRANSIENT';
  if (isServerError(sdkError)) return 'SERVER_ERROR';
  return undefined;
}

/** Called before each retry, for logs and for tests that count them. */
export type RetryListener = (event: {
  readonly operation: string;
  readonly attempt: number;
  readonly error: unknown;
}) => void;

export interface RetryOptions {
  readonly signal?: AbortSignal | undefined;
  readonly onRetry?: RetryListener | undefined;
  /**
   * Time from the first attempt within which the request must have succeeded or failed for good. A retry is made
   * only if it could end within it, judging by how long the failed attempt took: a server that fails fast is
   * retried as the strategy allows, a silent one is not waited on once more than the deadline allows.
   */
  readonly deadlineMs?: number | undefined;
  /** The clock, for tests. */
  readonly now?: (() => number) | undefined;
}

/**
 * Runs `attempt` under an SDK retry strategy. The store drives the strategy itself, around `client.send`, rather
 * than leaving it to the client's retry middleware: that keeps one retry layer for real and mocked clients alike
 * (a mocked `send` skips all middleware) and makes every retry observable. Only replayable requests come here.
 */
export async function withRetries<T>(
  strategy: RetryStrategyV2,
  operation: string,
  attempt: () => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const now = options.now ?? Date.now;
  const started = now();
  let token = await strategy.acquireInitialRetryToken(operation);
  for (let attemptNumber = 1; ; attemptNumber++) {
    const attemptStarted = now();
    try {
      const result = await attempt();
      strategy.recordSuccess(token);
      return result;
    } catch (error) {
      if (options.signal?.aborted === true) throw error;
      const errorType = retryErrorType(error);
      if (errorType === undefined) throw error;
      try {
        token = await strategy.refreshRetryTokenForRetry(token, { errorType });
      } catch {
        // Out of attempts or of retry quota: the caller sees the last real failure, not the strategy's refusal.
        throw error;
      }
      const failedAt = now();
      const delay = token.getRetryDelay();
      if (
        options.deadlineMs !== undefined &&
        failedAt - started + delay + (failedAt - attemptStarted) > options.deadlineMs
      )
        throw error;
      options.onRetry?.({ operation, attempt: attemptNumber, error });
      await abortableSleep(delay, options.signal);
    }
  }
}
