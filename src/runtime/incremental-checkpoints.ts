/**
 * Incremental checkpoints of the engine: each epoch commits only the operator states that
 * changed — most as deltas, an operator's whole state now and then — beside a small state of
 * the catalog, counters and event time. An operator's state is taken whole the first time, after
 * the catalog changes (operators are numbered by their place, which DDL moves), and once the
 * deltas written since its last whole state outweigh that state: restoring one reads at most
 * about twice its size. Of the operators due for a whole state, one a checkpoint takes it, the
 * others at the next ones: similar operators come due together, and taking all their states at
 * once held the engine's thread for hundreds of milliseconds.
 */
import { serialize } from 'node:v8';
import type { Engine, EngineCheckpoint } from '../engine/engine.ts';
import type { OperatorStateRecord, OperatorStateWrite } from '../store/view-store.ts';

/** Deltas below this many bytes since an operator's last whole state never trigger a new one. */
const MIN_DELTA_BYTES = 1 << 20;

interface Kept {
  readonly whole: number;
  deltas: number;
}

export class IncrementalCheckpoints {
  /** The catalog (its history's length) the records kept are numbered for; −1: none yet. */
  #layout = -1;
  readonly #kept = new Map<number, Kept>();

  /** The engine's checkpoint after an epoch, and the operator states to commit beside it. */
  take(engine: Engine, catalogSize: number): { checkpoint: EngineCheckpoint; operators: OperatorStateWrite } {
    const reset = catalogSize !== this.#layout;
    if (reset) this.#kept.clear();
    let dueTaken = false;
    const { checkpoint, records } = engine.checkpointChanges((operator) => {
      const kept = this.#kept.get(operator);
      if (kept === undefined) return true;
      if (dueTaken || kept.deltas < Math.max(kept.whole, MIN_DELTA_BYTES)) return false;
      dueTaken = true;
      return true;
    });
    const written: OperatorStateRecord[] = records.map((r) => ({
      operator: r.operator,
      whole: r.kind === 'full',
      bytes: serialize(r.state),
    }));
    for (const r of written) {
      const kept = this.#kept.get(r.operator);
      if (r.whole) this.#kept.set(r.operator, { whole: r.bytes.length, deltas: 0 });
      else if (kept !== undefined) kept.deltas += r.bytes.length;
    }
    this.#layout = catalogSize;
    return { checkpoint, operators: { reset, records: written } };
  }
}
