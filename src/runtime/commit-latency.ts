/**
 * How long epochs take from their barrier to their commit in the store (RisingWave's barrier
 * latency): what a reader waits beyond the barrier interval. Kept for the last minute, for
 * `/api/status` and the benchmarks.
 */

/** Durations older than this leave the figures. */
const WINDOW_MS = 60_000;

export interface CommitLatencyFigures {
  /** Epochs committed in the last minute. */
  readonly epochs: number;
  readonly last_ms: number | null;
  readonly p50_ms: number | null;
  readonly p99_ms: number | null;
  readonly max_ms: number | null;
}

export class CommitLatency {
  readonly #now: () => number;
  /** [when the commit ended, how long it took], oldest first. */
  #recent: [number, number][] = [];

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** An epoch whose barrier passed `barrierAt` (this clock) has just been committed. */
  committed(barrierAt: number): void {
    const now = this.#now();
    this.#recent.push([now, now - barrierAt]);
    this.#forgetBefore(now - WINDOW_MS);
  }

  figures(): CommitLatencyFigures {
    this.#forgetBefore(this.#now() - WINDOW_MS);
    const ms = this.#recent.map(([, d]) => d).sort((a, b) => a - b);
    const at = (q: number) =>
      ms.length === 0
        ? null
        : Math.round(ms[Math.min(ms.length - 1, Math.ceil(q * ms.length) - 1)] as number);
    const last = this.#recent[this.#recent.length - 1];
    return {
      epochs: ms.length,
      last_ms: last === undefined ? null : Math.round(last[1]),
      p50_ms: at(0.5),
      p99_ms: at(0.99),
      max_ms: at(1),
    };
  }

  #forgetBefore(t: number): void {
    let drop = 0;
    while (drop < this.#recent.length && (this.#recent[drop] as [number, number])[0] < t) drop++;
    if (drop > 0) this.#recent = this.#recent.slice(drop);
  }
}
