/**
 * Materialize: the view. Integrates the changes it receives into a table (a multiset of rows,
 * keyed by row) and records the consolidated delta of each epoch.
 *
 * Delta: out = in (chunks pass on, so a view can feed further views).
 * State: `table` = ∫ in (the integral of all deltas so far), and the delta of the current
 * epoch; at a barrier that delta is consolidated (equal rows summed, zeros dropped), published
 * as `lastDelta` and handed to `onCommit` listeners (the store), then reset.
 * A row whose weight in the table goes negative signals an upstream bug: counted in `anomalies`.
 */
import { type Chunk, fromMultiset, integrate, type WeightedRow } from '../chunk.ts';
import { type Barrier, Operator } from '../operator.ts';
import { compareRows, type Row } from '../value.ts';

export type CommitListener = (delta: Chunk, epoch: number) => void;

export class Materialize extends Operator {
  readonly arity = 1;
  readonly #table = new Map<string, WeightedRow>();
  #pending = new Map<string, WeightedRow>();
  #lastDelta: Chunk = { kind: 'chunk', rows: [], weights: [] };
  readonly #listeners: CommitListener[] = [];
  readonly #negative = new Set<string>();
  /** Rows currently held with a negative weight (should stay 0). */
  anomalies = 0;

  protected onChunk(chunk: Chunk): void {
    integrate(this.#pending, chunk.rows, chunk.weights);
    integrate(this.#table, chunk.rows, chunk.weights);
    this.emit(chunk);
  }

  protected override onBarrier(b: Barrier): void {
    for (const k of this.#pending.keys()) {
      const e = this.#table.get(k);
      if (e !== undefined && e.weight < 0) this.#negative.add(k);
      else this.#negative.delete(k);
    }
    this.anomalies = this.#negative.size;
    const delta = fromMultiset(this.#pending);
    this.#pending = new Map();
    this.#lastDelta = delta;
    for (const l of this.#listeners) l(delta, b.epoch);
  }

  onCommit(listener: CommitListener): void {
    this.#listeners.push(listener);
  }

  /** Consolidated changes of the last completed epoch. */
  get lastDelta(): Chunk {
    return this.#lastDelta;
  }

  /** Distinct rows with their multiplicity. */
  entries(): IterableIterator<WeightedRow> {
    return this.#table.values();
  }

  /** Number of distinct rows. */
  get size(): number {
    return this.#table.size;
  }

  /** The table as a list of rows (a row of weight k appears k times), sorted for comparison. */
  rows(): Row[] {
    const out: Row[] = [];
    for (const e of this.#table.values()) for (let i = 0; i < e.weight; i++) out.push(e.row);
    return out.sort(compareRows);
  }
}
