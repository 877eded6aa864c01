/** A snapshot of a running migration, as `onProgress` receives it. */
export interface MigrationProgress {
  /** Keys finished, whatever their outcome. */
  readonly objectsDone: number;
  /** Bytes finished: streamed for copied objects (also while an object is in flight), whole sizes for the rest. */
  readonly bytesDone: number;
  /** Objects and bytes at the source, once the counting listing has finished; `undefined` until then. */
  readonly objectsTotal: number | undefined;
  readonly bytesTotal: number | undefined;
  /** Bytes actually written to the target. */
  readonly bytesCopied: number;
  readonly copied: number;
  readonly skipped: number;
  readonly failed: number;
  readonly elapsedMs: number;
  /** Average rates since the start. */
  readonly objectsPerSecond: number;
  readonly bytesPerSecond: number;
  /**
   * Seconds left: the larger of what the remaining bytes and the remaining objects take at the average rates (small
   * objects cost per request, large ones per byte). `undefined` until totals are known and something is done.
   */
  readonly etaSeconds: number | undefined;
  /** The last event of the run. */
  readonly final: boolean;
}

/** Counts done work and emits throttled `MigrationProgress` snapshots. */
export class ProgressTracker {
  objectsDone = 0;
  bytesDone = 0;
  bytesCopied = 0;
  copied = 0;
  skipped = 0;
  failed = 0;
  objectsTotal: number | undefined;
  bytesTotal: number | undefined;
  readonly #started = performance.now();
  #lastEmitted = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly listener: ((progress: MigrationProgress) => void) | undefined,
    private readonly intervalMs: number,
  ) {}

  /** Emits a snapshot unless one went out less than the interval ago (or `force`). */
  tick(force = false): void {
    if (this.listener === undefined) return;
    const now = performance.now();
    if (!force && now - this.#lastEmitted < this.intervalMs) return;
    this.#lastEmitted = now;
    this.listener(this.snapshot(force, now));
  }

  snapshot(final = false, now: number = performance.now()): MigrationProgress {
    const elapsedMs = now - this.#started;
    const seconds = elapsedMs / 1000;
    const objectsPerSecond = seconds > 0 ? this.objectsDone / seconds : 0;
    const bytesPerSecond = seconds > 0 ? this.bytesDone / seconds : 0;
    return {
      objectsDone: this.objectsDone,
      bytesDone: this.bytesDone,
      objectsTotal: this.objectsTotal,
      bytesTotal: this.bytesTotal,
      bytesCopied: this.bytesCopied,
      copied: this.copied,
      skipped: this.skipped,
      failed: this.failed,
      elapsedMs,
      objectsPerSecond,
      bytesPerSecond,
      etaSeconds: final ? 0 : this.#eta(objectsPerSecond, bytesPerSecond),
      final,
    };
  }

  #eta(objectsPerSecond: number, bytesPerSecond: number): number | undefined {
    if (this.objectsTotal === undefined || this.bytesTotal === undefined || this.objectsDone === 0) return undefined;
    const byObjects = objectsPerSecond > 0 ? Math.max(0, this.objectsTotal - this.objectsDone) / objectsPerSecond : 0;
    const byBytes = bytesPerSecond > 0 ? Math.max(0, this.bytesTotal - this.bytesDone) / bytesPerSecond : 0;
    return Math.max(byObjects, byBytes);
  }
}
