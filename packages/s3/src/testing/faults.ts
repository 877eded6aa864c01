import { connectionResetError, fakeS3Error, requestTimeoutError } from './fake-s3-errors.ts';

/**
 * What an injected fault does: `internal-error` (500 InternalError), `slow-down` (503 SlowDown), `connection-reset`
 * (no answer: ECONNRESET), `timeout` (TimeoutError), `latency` (the request succeeds after `latencyMs`).
 */
export type FaultKind = 'internal-error' | 'slow-down' | 'connection-reset' | 'timeout' | 'latency';

export interface FaultRule {
  /** What happens to a call the rule fires on. */
  readonly kind: FaultKind;
  /** S3 operation names the rule applies to, e.g. `['PutObject', 'UploadPart']`; all when absent. */
  readonly operations?: readonly string[] | undefined;
  /** Fires on every Nth matching call (the Nth, 2Nth, ...). */
  readonly every?: number | undefined;
  /** Fires with this probability per matching call, drawn from the schedule's seeded generator. */
  readonly probability?: number | undefined;
  /** Fires at most this many times. */
  readonly times?: number | undefined;
  /** Delay before the answer (for `latency`, and before any other fault); defaults to 0. */
  readonly latencyMs?: number | undefined;
}

/** A small seeded generator (mulberry32): the same seed gives the same fault pattern on every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface ActiveRule {
  readonly rule: FaultRule;
  matched: number;
  fired: number;
}

/** What one call should suffer: a delay, then possibly an error instead of the answer. */
export interface FaultDecision {
  readonly delayMs: number;
  readonly error: Error | undefined;
}

/** Injected faults, checked in the order added; the first rule that fires decides. */
export class FaultSchedule {
  readonly #rules: ActiveRule[] = [];
  readonly #random: () => number;
  #injected = 0;

  constructor(seed = 1) {
    this.#random = seededRandom(seed);
  }

  /** Adds a rule; throws `RangeError` for a rule that could never fire or fires on no schedule. */
  add(rule: FaultRule): void {
    if (rule.every !== undefined && (!Number.isSafeInteger(rule.every) || rule.every < 1))
      throw new RangeError(`every must be a positive integer, not ${rule.every}`);
    if (rule.probability !== undefined && !(rule.probability >= 0 && rule.probability <= 1)) {
      throw new RangeError(`probability must be between 0 and 1, not ${rule.probability}`);
    }
    this.#rules.push({ rule, matched: 0, fired: 0 });
  }

  /** Removes every rule. */
  clear(): void {
    this.#rules.length = 0;
  }

  /** How many faults (errors, not pure latency) have been injected so far. */
  get injected(): number {
    return this.#injected;
  }

  /** Decides the fate of one call of `operation`. */
  decide(operation: string): FaultDecision {
    let delayMs = 0;
    for (const active of this.#rules) {
      const { rule } = active;
      if (rule.operations !== undefined && !rule.operations.includes(operation)) continue;
      active.matched += 1;
      if (rule.times !== undefined && active.fired >= rule.times) continue;
      const byCount = rule.every === undefined || active.matched % rule.every === 0;
      const byChance = rule.probability === undefined || this.#random() < rule.probability;
      if (!byCount || !byChance) continue;
      active.fired += 1;
      delayMs += rule.latencyMs ?? 0;
      if (rule.kind === 'latency') continue;
      this.#injected += 1;
      return { delayMs, error: faultError(rule.kind) };
    }
    return { delayMs, error: undefined };
  }
}

function faultError(kind: Exclude<FaultKind, 'latency'>): Error {
  switch (kind) {
    case 'internal-error':
      return fakeS3Error('InternalError', 500, 'We encountered an internal error. Please try again.');
    case 'slow-down':
      return fakeS3Error('SlowDown', 503, 'Please reduce your request rate.');
    case 'connection-reset':
      return connectionResetError();
    case 'timeout':
      return requestTimeoutError();
  }
}
