import type { StorageErrorCode } from '@stowage/core';

/** What `migrate` does: copy, say what it would copy, or only compare. */
export type MigrationMode = 'copy' | 'dry-run' | 'verify-only';

/** What happened to one key. */
export type ObjectOutcome =
  /** Copied and verified at the target. */
  | 'copied'
  /** Already at the target with the same size and SHA-256 (resume). */
  | 'skipped'
  /** Dry run: would be copied. */
  | 'would-copy'
  /** Verify only: same size and SHA-256 on both sides. */
  | 'matched'
  /** Verify only: at the source, not at the target. */
  | 'missing'
  /** Verify only: on both sides with another size or SHA-256. */
  | 'different'
  /** Verify only: at the target, not at the source. */
  | 'only-at-target'
  /** Listed at the source, then deleted there before it could be read: nothing to copy. */
  | 'vanished'
  | 'failed';

/** One key's result, as `onObject` receives it. */
export interface ObjectEvent {
  readonly key: string;
  readonly outcome: ObjectOutcome;
  /** Bytes at the source (at the target for `only-at-target`). */
  readonly size: number;
  /** Set for `failed`. */
  readonly failure?: MigrationFailure | undefined;
}

/** Why one object could not be copied or compared. */
export interface MigrationFailure {
  readonly key: string;
  /** The `StorageError` code; `Unknown` for an error that is not one (a bug in a store). */
  readonly code: StorageErrorCode | 'Unknown';
  readonly message: string;
  /** Tries made, the first included. */
  readonly attempts: number;
}

/**
 * Objects with one outcome: exact counts, and the first keys (up to the run's `listLimit`) so a report stays small
 * however many objects a run sees; `onObject` receives every key.
 */
export interface KeyTally {
  readonly objects: number;
  readonly bytes: number;
  readonly keys: readonly string[];
  /** More keys had this outcome than `keys` holds. */
  readonly keysTruncated: boolean;
}

export interface MigrationReport {
  readonly mode: MigrationMode;
  /** `name` of each store. */
  readonly source: string;
  readonly target: string;
  readonly prefix: string;
  readonly startedAt: string;
  readonly durationMs: number;
  /** Every object seen at the source. */
  readonly sourceObjects: number;
  readonly sourceBytes: number;
  readonly copied: KeyTally;
  readonly skipped: KeyTally;
  readonly wouldCopy: KeyTally;
  readonly matched: KeyTally;
  readonly missing: KeyTally;
  readonly different: KeyTally;
  readonly onlyAtTarget: KeyTally;
  readonly vanished: KeyTally;
  /** Exact number of failed objects; `failures` lists the first `listLimit` of them. */
  readonly failed: number;
  readonly failures: readonly MigrationFailure[];
  /**
   * Nothing failed, and for verify-only nothing is missing or different (keys only at the target do not count:
   * a target may hold more than the source).
   */
  readonly ok: boolean;
}

class TallyBuilder {
  objects = 0;
  bytes = 0;
  readonly keys: string[] = [];
  keysTruncated = false;

  constructor(private readonly limit: number) {}

  add(key: string, size: number): void {
    this.objects++;
    this.bytes += size;
    if (this.keys.length < this.limit) this.keys.push(key);
    else this.keysTruncated = true;
  }

  snapshot(): KeyTally {
    return { objects: this.objects, bytes: this.bytes, keys: [...this.keys], keysTruncated: this.keysTruncated };
  }
}

const TALLIED_OUTCOMES = [
  'copied',
  'skipped',
  'would-copy',
  'matched',
  'missing',
  'different',
  'only-at-target',
  'vanished',
] as const;
type TalliedOutcome = (typeof TALLIED_OUTCOMES)[number];

/** Collects object events into a `MigrationReport` holding at most `listLimit` keys per outcome. */
export class ReportBuilder {
  readonly #tallies: Record<TalliedOutcome, TallyBuilder>;
  readonly #failures: MigrationFailure[] = [];
  readonly #listLimit: number;
  #failed = 0;
  #sourceObjects = 0;
  #sourceBytes = 0;

  constructor(listLimit: number) {
    this.#listLimit = listLimit;
    const tallies: Partial<Record<TalliedOutcome, TallyBuilder>> = {};
    for (const outcome of TALLIED_OUTCOMES) tallies[outcome] = new TallyBuilder(listLimit);
    this.#tallies = tallies as Record<TalliedOutcome, TallyBuilder>;
  }

  record(event: ObjectEvent): void {
    if (event.outcome !== 'only-at-target') {
      this.#sourceObjects++;
      this.#sourceBytes += event.size;
    }
    if (event.outcome === 'failed') {
      this.#failed++;
      if (event.failure !== undefined && this.#failures.length < this.#listLimit) this.#failures.push(event.failure);
      return;
    }
    this.#tallies[event.outcome].add(event.key, event.size);
  }

  get failed(): number {
    return this.#failed;
  }

  count(outcome: TalliedOutcome): number {
    return this.#tallies[outcome].objects;
  }

  build(
    header: Pick<MigrationReport, 'mode' | 'source' | 'target' | 'prefix' | 'startedAt' | 'durationMs'>,
  ): MigrationReport {
    const tally = (outcome: TalliedOutcome): KeyTally => this.#tallies[outcome].snapshot();
    const missing = tally('missing');
    const different = tally('different');
    return {
      ...header,
      sourceObjects: this.#sourceObjects,
      sourceBytes: this.#sourceBytes,
      copied: tally('copied'),
      skipped: tally('skipped'),
      wouldCopy: tally('would-copy'),
      matched: tally('matched'),
      missing,
      different,
      onlyAtTarget: tally('only-at-target'),
      vanished: tally('vanished'),
      failed: this.#failed,
      failures: [...this.#failures],
      ok: this.#failed === 0 && missing.objects === 0 && different.objects === 0,
    };
  }
}
