/**
 * How long epochs take from their barrier to their commit in the store (RisingWave's barrier
 * latency): what a reader waits beyond the barrier interval, and where that time goes. Kept
 * for the last minute, for `/api/status` and the benchmarks.
 */
import type { CommitPhases } from '../store/commit-phases.ts';

/** Durations older than this leave the figures. */
const WINDOW_MS = 60_000;

export interface CommitLatencyFigures {
  /** Epochs committed in the last minute. */
  readonly epochs: number;
  /** The store transactions that committed them (fewer when epochs queued and went together). */
  readonly commits: number;
  readonly last_ms: number | null;
  readonly p50_ms: number | null;
  readonly p99_ms: number | null;
  readonly max_ms: number | null;
  /** Per phase of a commit (barrier, checkpoint, waiting, store_…), its median in ms. */
  readonly phases_p50_ms: Readonly<Record<string, number>>;
  /** Per phase, its longest in ms. */
  readonly phases_max_ms: Readonly<Record<string, number>>;
}

interface Committed {
  /** When the commit ended. */
  readonly at: number;
  readonly ms: number;
  readonly phases: CommitPhases;
  readonly transaction: number;
}

export class CommitLatency {
  readonly #now: () => number;
  /** Oldest first. */
  #recent: Committed[] = [];
  #transactions = 0;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /**
   * Epochs have just been committed by one store transaction: each with when its barrier passed
   * (this clock) and its phases.
   */
  committed(epochs: readonly { readonly barrierAt: number; readonly phases?: CommitPhases }[]): void {
    const now = this.#now();
    const transaction = ++this.#transactions;
    for (const { barrierAt, phases = {} } of epochs)
      this.#recent.push({ at: now, ms: now - barrierAt, phases, transaction });
    this.#forgetBefore(now - WINDOW_MS);
  }

  figures(): CommitLatencyFigures {
    this.#forgetBefore(this.#now() - WINDOW_MS);
    const ms = sorted(this.#recent.map((c) => c.ms));
    const last = this.#recent[this.#recent.length - 1];
    const byPhase = new Map<string, number[]>();
    for (const c of this.#recent)
      for (const [phase, t] of Object.entries(c.phases)) {
        const list = byPhase.get(phase);
        if (list === undefined) byPhase.set(phase, [t]);
        else list.push(t);
      }
    const phases_p50_ms: Record<string, number> = {};
    const phases_max_ms: Record<string, number> = {};
    for (const [phase, list] of byPhase) {
      const s = sorted(list);
      phases_p50_ms[phase] = quantile(s, 0.5) as number;
      phases_max_ms[phase] = quantile(s, 1) as number;
    }
    return {
      epochs: ms.length,
      commits: new Set(this.#recent.map((c) => c.transaction)).size,
      last_ms: last === undefined ? null : Math.round(last.ms),
      p50_ms: quantile(ms, 0.5),
      p99_ms: quantile(ms, 0.99),
      max_ms: quantile(ms, 1),
      phases_p50_ms,
      phases_max_ms,
    };
  }

  #forgetBefore(t: number): void {
    let drop = 0;
    while (drop < this.#recent.length && (this.#recent[drop] as Committed).at < t) drop++;
    if (drop > 0) this.#recent = this.#recent.slice(drop);
  }
}

const sorted = (values: number[]) => values.sort((a, b) => a - b);

/** The nearest-rank quantile `q` of ascending `ms`, rounded to a millisecond; null when empty. */
function quantile(ms: readonly number[], q: number): number | null {
  return ms.length === 0
    ? null
    : Math.round(ms[Math.min(ms.length - 1, Math.ceil(q * ms.length) - 1)] as number);
}
