import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import type { RetryStrategyV2 } from '@smithy/types';

/**
 * The SDK's retry strategy (same classification and retry quota) without the backoff wait, so tests of retried
 * faults run fast. `maxAttempts` counts the first try.
 */
export function instantRetries(maxAttempts = 3): RetryStrategyV2 {
  return new ConfiguredRetryStrategy(maxAttempts, 0);
}
