/**
 * Where an epoch's commit spends its time: milliseconds per phase, for `/api/status` and the
 * benchmarks (what grows when commits slow down).
 */
export type CommitPhases = Record<string, number>;

/** Laps of one commit: each `lap` adds the time since the one before to its phase. */
export class PhaseTimer {
  readonly started = performance.now();
  #at = this.started;
  readonly phases: CommitPhases = {};

  lap(phase: string): void {
    const now = performance.now();
    this.phases[phase] = (this.phases[phase] ?? 0) + (now - this.#at);
    this.#at = now;
  }
}
