/** What an upload's bytes count against: a realm's quota or one user's. */
export type QuotaScope = `realm:${number}` | `user:${number}`;

/** One quota an upload must stay within. */
export interface QuotaClaim {
  readonly scope: QuotaScope;
  /** Bytes the scope holds in stored attachments now. */
  readonly stored: () => number;
  readonly quota: number;
}

/**
 * Bytes of uploads still streaming, by quota scope (realm, user). Every byte is reserved as it arrives (or all at
 * once when the length is declared) against every quota the upload counts against, so concurrent uploads cannot
 * together pass any of them; a finished upload's bytes move to the database's count, and a failed one's are
 * released.
 */
export class UploadReservations {
  readonly #byScope = new Map<QuotaScope, number>();

  /** Bytes reserved now in the scope. */
  reserved(scope: QuotaScope): number {
    return this.#byScope.get(scope) ?? 0;
  }

  /**
   * Reserves `bytes` in every claim's scope when, for each, what is stored plus everything reserved plus them stays
   * within its quota; else reserves nothing and returns the first claim that refused.
   */
  tryReserve(claims: readonly QuotaClaim[], bytes: number): QuotaClaim | undefined {
    const refused = claims.find((claim) => claim.stored() + this.reserved(claim.scope) + bytes > claim.quota);
    if (refused !== undefined) return refused;
    for (const claim of claims) this.#byScope.set(claim.scope, this.reserved(claim.scope) + bytes);
    return undefined;
  }

  release(claims: readonly QuotaClaim[], bytes: number): void {
    for (const { scope } of claims) {
      const left = this.reserved(scope) - bytes;
      if (left > 0) this.#byScope.set(scope, left);
      else this.#byScope.delete(scope);
    }
  }
}
