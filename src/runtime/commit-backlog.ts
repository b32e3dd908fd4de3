/**
 * Epochs ended in memory but not yet committed to the store, and the ingestion waiting for
 * them. Without a bound, a source faster than the commits (the generator at `max`) ran ever
 * further ahead of the store: at 32 s, 37 epochs ended and 12 committed, every uncommitted
 * epoch's changes held in memory and queries more and more stale.
 */
export class CommitBacklog {
  #pending = 0;
  #released = false;
  #waiters: { readonly max: number; readonly resolve: () => void }[] = [];

  /** Epochs ended and not yet committed (or failed). */
  get pending(): number {
    return this.#pending;
  }

  /** An epoch ended; its commit is queued. */
  add(): void {
    this.#pending++;
  }

  /** An epoch's commit finished (or failed). */
  done(): void {
    this.#pending--;
    this.#wake();
  }

  /**
   * Resolves once at most `max` epochs wait for their commit; undefined when that is so
   * already (or after `release`), so that a caller on a hot path need not await.
   */
  atMost(max: number): Promise<void> | undefined {
    if (this.#released || this.#pending <= max) return undefined;
    return new Promise((resolve) => this.#waiters.push({ max, resolve }));
  }

  /** Lets every waiter go, now and from now on: the commits failed, or the store closes. */
  release(): void {
    this.#released = true;
    this.#wake();
  }

  #wake(): void {
    this.#waiters = this.#waiters.filter((w) => {
      if (!this.#released && this.#pending > w.max) return true;
      w.resolve();
      return false;
    });
  }
}
