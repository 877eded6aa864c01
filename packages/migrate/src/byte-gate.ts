/**
 * Admits work by its size so that the bytes in flight stay within a budget: a target that buffers what it receives
 * (an S3 multipart upload holds whole parts) then holds at most about the budget, however many workers run. Waiters
 * are served in arrival order so a large object is not starved by small ones; one larger than the whole budget is
 * admitted alone.
 */
export class ByteGate {
  readonly #budget: number;
  #inFlight = 0;
  readonly #waiting: { readonly cost: number; readonly admit: () => void }[] = [];

  constructor(budget: number) {
    this.#budget = budget;
  }

  /** Resolves once `bytes` fit in the budget; pair every call with one `release(bytes)`. */
  acquire(bytes: number): Promise<void> {
    const cost = Math.min(bytes, this.#budget);
    if (this.#waiting.length === 0 && this.#inFlight + cost <= this.#budget) {
      this.#inFlight += cost;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#waiting.push({ cost, admit: resolve });
    });
  }

  release(bytes: number): void {
    this.#inFlight -= Math.min(bytes, this.#budget);
    for (;;) {
      const next = this.#waiting[0];
      if (next === undefined || this.#inFlight + next.cost > this.#budget) return;
      this.#waiting.shift();
      this.#inFlight += next.cost;
      next.admit();
    }
  }
}
