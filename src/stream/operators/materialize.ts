/**
 * Materialize: the view. Integrates the changes it receives into a table (a multiset of rows,
 * keyed by row) once per epoch, and records the consolidated delta of each epoch.
 *
 * Delta: out = in (chunks pass on at once, so a view can feed further views).
 * State: `table` = ∫ in up to the last barrier (the committed snapshot readers see), and the
 * raw changes of the open epoch. At a barrier each change is keyed once and summed into both
 * the epoch's delta (equal rows summed, zeros dropped) and the table; the delta is published
 * as `lastDelta` and handed to `onCommit` listeners (the store), with each row's key and the
 * multiplicity the table held before (`TableDelta`).
 * A row whose weight in the table goes negative signals an upstream bug: counted in `anomalies`.
 *
 * Append only (an APPEND ONLY table: rows are only ever inserted): rows are kept in arrival
 * order as they come, neither keyed nor summed — the table as a list, the delta as the
 * epoch's insertions; a retraction reaching it is an anomaly.
 *
 * Snapshot (right after a barrier, with no change of an open epoch pending): the committed
 * table's rows and weights in table order and the last epoch's delta (neither when the table
 * is kept elsewhere: its keeper commits both beside the snapshot); restore keys the rows
 * again (`rowIdentity`) and recounts the anomalies (rows held with a negative weight).
 */
import { type Chunk, integrate, type WeightedRow } from '../chunk.ts';
import { type Barrier, Operator } from '../operator.ts';
import type { TextPool } from '../text-pool.ts';
import { compareRows, type Row, rowIdentity } from '../value.ts';

/**
 * An epoch's consolidated changes of a keyed table, each with its row's identity and the
 * multiplicity the table held before the epoch: what its keeper needs to apply them without
 * looking the rows up.
 */
export interface TableDelta extends Chunk {
  readonly keys: readonly string[];
  readonly before: readonly number[];
}

/** `delta` is a `TableDelta`, except for an append-only table (insertions as they came). */
export type CommitListener = (delta: Chunk | TableDelta, epoch: number) => void;

interface MaterializeState {
  readonly kind: 'materialize';
  /** The table is kept elsewhere (`external`): rows are left out and come back by `load`. */
  readonly external: boolean;
  readonly rows: Row[];
  readonly weights: number[];
  readonly deltaRows: Row[];
  readonly deltaWeights: number[];
}

export class Materialize extends Operator {
  readonly arity = 1;
  /**
   * The table is persisted by the caller (a view store, one epoch's delta at a time):
   * snapshots leave it out, and a restore gets it back through `load`.
   */
  external = false;
  readonly #appendOnly: boolean;
  readonly #table = new Map<string, WeightedRow>();
  /** The table of an append-only Materialize, in arrival order. */
  readonly #appended: WeightedRow[] = [];
  #pendingRows: Row[] = [];
  #pendingWeights: number[] = [];
  #lastDelta: Chunk = { kind: 'chunk', rows: [], weights: [] };
  readonly #listeners: CommitListener[] = [];
  readonly #negative = new Set<string>();
  /** Rows currently held with a negative weight (should stay 0). */
  anomalies = 0;
  /** The committed table's weights summed: its rows, counted without going through them. */
  #rowCount = 0;

  /** Where the rows the table keeps get their texts (a table's own rows: see `TextPool`). */
  readonly #texts: TextPool | undefined;

  constructor(name: string, options: { readonly appendOnly?: boolean; readonly texts?: TextPool } = {}) {
    super(name);
    this.#appendOnly = options.appendOnly === true;
    this.#texts = options.texts;
  }

  protected onChunk(chunk: Chunk): void {
    const { rows, weights } = chunk;
    // As rows come, not at the barrier: a client's bulk write is answered meanwhile.
    if (this.#texts !== undefined) for (const row of rows) this.#texts.shareTexts(row);
    for (let i = 0; i < rows.length; i++) {
      this.#pendingRows.push(rows[i] as Row);
      this.#pendingWeights.push(weights[i] as number);
    }
    this.emit(chunk);
  }

  protected override onBarrier(b: Barrier): void {
    // The last epoch's delta is state too: an epoch without input empties it.
    if (this.#lastDelta.rows.length > 0) this.stateChanged();
    const rows = this.#pendingRows;
    const weights = this.#pendingWeights;
    this.#pendingRows = [];
    this.#pendingWeights = [];
    if (this.#appendOnly) {
      this.#append(rows, weights);
      this.#lastDelta = { kind: 'chunk', rows, weights };
      for (const l of this.#listeners) l(this.#lastDelta, b.epoch);
      return;
    }
    const delta = new Map<string, WeightedRow & { readonly before: number }>();
    const table = this.#table;
    for (let i = 0; i < rows.length; i++) {
      const w = weights[i] as number;
      if (w === 0) continue;
      const row = rows[i] as Row;
      const k = rowIdentity(row);
      const e = table.get(k);
      const d = delta.get(k);
      this.#rowCount += w;
      if (d === undefined) delta.set(k, { row, weight: w, before: e?.weight ?? 0 });
      else d.weight += w;
      if (e === undefined) table.set(k, { row, weight: w });
      else {
        e.weight += w;
        if (e.weight === 0) table.delete(k);
      }
    }
    const changed: { rows: Row[]; weights: number[]; keys: string[]; before: number[] } = {
      rows: [],
      weights: [],
      keys: [],
      before: [],
    };
    for (const [k, d] of delta) {
      const e = table.get(k);
      if (e !== undefined && e.weight < 0) this.#negative.add(k);
      else this.#negative.delete(k);
      if (d.weight === 0) continue;
      changed.rows.push(d.row);
      changed.weights.push(d.weight);
      changed.keys.push(k);
      changed.before.push(d.before);
    }
    this.anomalies = this.#negative.size;
    this.#lastDelta = { kind: 'chunk', rows: changed.rows, weights: changed.weights };
    const tableDelta: TableDelta = { kind: 'chunk', ...changed };
    for (const l of this.#listeners) l(tableDelta, b.epoch);
  }

  /** Insertions into an append-only table; anything else counts as an anomaly. */
  #append(rows: readonly Row[], weights: readonly number[]): void {
    for (let i = 0; i < rows.length; i++) {
      const weight = weights[i] as number;
      if (weight > 0) {
        this.#appended.push({ row: rows[i] as Row, weight });
        this.#rowCount += weight;
      } else if (weight < 0) this.anomalies++;
    }
  }

  onCommit(listener: CommitListener): void {
    this.#listeners.push(listener);
  }

  /** Consolidated changes of the last completed epoch. */
  get lastDelta(): Chunk {
    return this.#lastDelta;
  }

  /** Distinct rows of the committed table with their multiplicity (append only: every row as it came). */
  entries(): IterableIterator<WeightedRow> {
    return this.#appendOnly ? this.#appended.values() : this.#table.values();
  }

  /** Distinct rows including the open epoch's changes (what DML and a backfill start from). */
  current(): IterableIterator<WeightedRow> {
    if (this.#appendOnly) {
      const pending = this.#pendingRows.map((row, i) => ({ row, weight: this.#pendingWeights[i] as number }));
      return [...this.#appended, ...pending.filter((e) => e.weight > 0)].values();
    }
    if (this.#pendingRows.length === 0) return this.#table.values();
    const m = new Map<string, WeightedRow>();
    for (const [k, e] of this.#table) m.set(k, { row: e.row, weight: e.weight });
    integrate(m, this.#pendingRows, this.#pendingWeights);
    return m.values();
  }

  /** Number of distinct rows in the committed table. */
  get size(): number {
    return this.#appendOnly ? this.#appended.length : this.#table.size;
  }

  /** Rows of the committed table, a row of weight k counted k times: what `entries()` sums to. */
  get rowCount(): number {
    return this.#rowCount;
  }

  override snapshot(): MaterializeState {
    this.assertSettled(this.#pendingRows.length, 'changes');
    const rows: Row[] = [];
    const weights: number[] = [];
    if (!this.external)
      for (const e of this.entries()) {
        rows.push(e.row);
        weights.push(e.weight);
      }
    return {
      kind: 'materialize',
      external: this.external,
      rows,
      weights,
      // A table kept elsewhere commits its delta there, beside this snapshot.
      deltaRows: this.external ? [] : [...this.#lastDelta.rows],
      deltaWeights: this.external ? [] : [...this.#lastDelta.weights],
    };
  }

  override restore(state: unknown): void {
    const s = this.stateOf<MaterializeState>(state, 'materialize');
    if (s.external !== this.external)
      throw new Error(
        `${this.name}: the snapshot ${s.external ? 'leaves out' : 'holds'} the table, this view ${this.external ? 'keeps it elsewhere' : 'does not'}`,
      );
    this.#pendingRows = [];
    this.#pendingWeights = [];
    if (!s.external) this.load(s.rows, s.weights);
    this.#lastDelta = { kind: 'chunk', rows: [...s.deltaRows], weights: [...s.deltaWeights] };
  }

  /** Replaces the committed table (a restore of a table kept elsewhere). */
  load(rows: readonly Row[], weights: readonly number[]): void {
    this.#table.clear();
    this.#negative.clear();
    this.#rowCount = 0;
    if (this.#texts !== undefined) for (const row of rows) this.#texts.shareTexts(row);
    if (this.#appendOnly) {
      this.#appended.length = 0;
      this.anomalies = 0;
      this.#append(rows, weights);
      return;
    }
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Row;
      const weight = weights[i] as number;
      const k = rowIdentity(row);
      const e = this.#table.get(k);
      this.#rowCount += weight;
      if (e === undefined) this.#table.set(k, { row, weight });
      else e.weight += weight;
    }
    for (const [k, e] of this.#table) if (e.weight < 0) this.#negative.add(k);
    this.anomalies = this.#negative.size;
  }

  /** The committed table as a list of rows (a row of weight k appears k times), sorted. */
  rows(): Row[] {
    const out: Row[] = [];
    for (const e of this.entries()) for (let i = 0; i < e.weight; i++) out.push(e.row);
    return out.sort(compareRows);
  }
}
