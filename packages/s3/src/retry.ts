import type { RetryErrorInfo, RetryErrorType, RetryStrategyV2, RetryToken } from '@smithy/types';
import { abortableSleep, isStorageError } from '@stowage/core';
import { smithyRetry } from './sdk.ts';

/** The token of a first attempt made before the strategy behind it was needed. */
class FirstAttemptToken implements RetryToken {
  readonly scope: string;

  constructor(scope: string) {
    this.scope = scope;
  }

  getRetryCount(): number {
    return 0;
  }

  getRetryDelay(): number {
    return 0;
  }
}

/**
 * The SDK's standard strategy, made at the first failure: until then the strategy only hands out first-attempt
 * tokens and refills a quota that is full, so deferring it changes no decision, and a run that never fails never
 * loads it.
 */
class DeferredRetryStrategy implements RetryStrategyV2 {
  readonly #make: () => RetryStrategyV2;
  #strategy: RetryStrategyV2 | undefined;

  constructor(make: () => RetryStrategyV2) {
    this.#make = make;
  }

  acquireInitialRetryToken(scope: string): Promise<RetryToken> {
    return this.#strategy === undefined ? Promise.resolve(new FirstAttemptToken(scope)) : this.#strategy.acquireInitialRetryToken(scope);
  }

  async refreshRetryTokenForRetry(token: RetryToken, errorInfo: RetryErrorInfo): Promise<RetryToken> {
    this.#strategy ??= this.#make();
    const current = token instanceof FirstAttemptToken ? await this.#strategy.acquireInitialRetryToken(token.scope) : token;
    return this.#strategy.refreshRetryTokenForRetry(current, errorInfo);
  }

  recordSuccess(token: RetryToken): void {
    if (!(token instanceof FirstAttemptToken)) this.#strategy?.recordSuccess(token);
  }
}

/** The SDK's standard strategy (3 attempts, jittered exponential backoff, a retry quota) is the default. */
export function defaultRetryStrategy(): RetryStrategyV2 {
  return new DeferredRetryStrategy(() => new (smithyRetry().StandardRetryStrategy)(3));
}

/** How the SDK classifies a failure; `undefined` means retrying cannot help. */
export function retryErrorType(error: unknown): RetryErrorType | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  // Our own errors (integrity, size, abort) are decisions, not accidents: the same request would fail again.
  if (isStorageError(error)) return undefined;
  if ((error as { readonly name?: unknown }).name === 'AbortError') return undefined;
  const { isServerError, isThrottlingError, isTransientError } = smithyRetry();
  const sdkError = error as Parameters<typeof isTransientError>[0];
  if (isThrottlingError(sdkError)) return 'THROTTLING';
  if (isTransientError(sdkError)) return 'TRANSIENT';
  if (isServerError(sdkError)) return 'SERVER_ERROR';
  return undefined;
}


/** Called before each retry, for logs and for tests that count them. */
export type RetryListener = (event: { readonly operation: string; readonly attempt: number; readonly error: unknown }) => void;

/**
 * Runs `attempt` under an SDK retry strategy. The store drives the strategy itself, around `client.send`, rather
 * than leaving it to the client's retry middleware: that keeps one retry layer for real and mocked clients alike
 * (a mocked `send` skips all middleware) and makes every retry observable. Only replayable requests come here.
 */
export async function withRetries<T>(
  strategy: RetryStrategyV2,
  operation: string,
  attempt: () => Promise<T>,
  options: { readonly signal?: AbortSignal | undefined; readonly onRetry?: RetryListener | undefined } = {},
): Promise<T> {
  let token = await strategy.acquireInitialRetryToken(operation);
  for (let attemptNumber = 1; ; attemptNumber++) {
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
      options.onRetry?.({ operation, attempt: attemptNumber, error });
      await abortableSleep(token.getRetryDelay(), options.signal);
    }
  }
}
