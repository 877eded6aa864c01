import type { ObjectStore, ObjectSummary } from '@stowage/core';
import { abortableSleep } from '@stowage/core';
import { isTransientFailure, backoffDelay } from './retry.ts';
import type { RetryPolicy } from './retry.ts';

/**
 * Lists a store like `store.list`, but a transient failure midway resumes after the last key already yielded
 * instead of failing the run or starting over: a listing of millions of keys may see a few busy replies. Starts
 * after `startAfter` when given.
 */
export async function* resilientList(
  store: ObjectStore,
  prefix: string,
  policy: RetryPolicy,
  signal?: AbortSignal,
  startAfter?: string,
): AsyncGenerator<ObjectSummary, void, undefined> {
  let lastKey = startAfter;
  let failures = 0;
  for (;;) {
    try {
      for await (const summary of store.list({ prefix, startAfter: lastKey, signal })) {
        lastKey = summary.key;
        failures = 0;
        yield summary;
      }
      return;
    } catch (error) {
      failures++;
      if (!isTransientFailure(error) || failures >= policy.attempts) throw error;
      await abortableSleep(backoffDelay(policy, failures), signal);
    }
  }
}
