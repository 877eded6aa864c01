/**
 * Bytes of uploads still streaming, by realm. Every byte is reserved as it arrives (or all at once when the
 * length is declared), so concurrent uploads cannot together pass the quota; a finished upload's bytes move to the
 * database's count, and a failed one's are released.
 */
export class UploadReservations {
  readonly #byRealm = new Map<number, number>();

  /** Bytes reserved now in the realm. */
  reserved(realmId: number): number {
    return this.#byRealm.get(realmId) ?? 0;
  }

  /** Reserves `bytes` when `stored` plus everything reserved plus them stays within `quota`; else reserves nothing. */
  tryReserve(realmId: number, bytes: number, stored: number, quota: number): boolean {
    const reserved = this.reserved(realmId);
    if (stored + reserved + bytes > quota) return false;
    this.#byRealm.set(realmId, reserved + bytes);
    return true;
  }

  release(realmId: number, bytes: number): void {
    const left = this.reserved(realmId) - bytes;
    if (left > 0) this.#byRealm.set(realmId, left);
    else this.#byRealm.delete(realmId);
  }
}
