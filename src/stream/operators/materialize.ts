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
 * Rows kept elsewhere only (`keepRowsOutside`: a view with a unique key whose keeper, the
 * store, holds its rows): no table, only its row count. Each row is then held at most once, so
 * the prior multiplicity is 1 for a retraction and 0 for an insertion; a change of more than one
 * copy of a row is counted in `anomalies`. What reads the rows borrows the keeper's meanwhile
 * (`lend` … `unlend`), and the table works as above until they are taken back.
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
  /**
   * The rows are kept by the table's keeper only (`keepRowsOutside`): the table is empty but
   * while a statement borrows the kept rows (`lend`).
   */
  #rowsOutside = false;
  #lent = false;

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
    if (this.rowsOutside) {
      this.#barrierWithoutRows(rows, weights, b.epoch);
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
    for (const k of delta.keys()) {
      const e = table.get(k);
      if (e !== undefined && e.weight < 0) this.#negative.add(k);
      else this.#negative.delete(k);
    }
    this.anomalies = this.#negative.size;
    this.#publish(delta, (d) => d.before, b.epoch);
  }

  /**
   * Publishes an epoch's changes, summed per row (`delta`, by row identity), each with the
   * count its row had before (`before`): as `lastDelta` and to the commit listeners.
   */
  #publish<D extends WeightedRow>(
    delta: ReadonlyMap<string, D>,
    before: (d: D) => number,
    epoch: number,
  ): void {
    const changed: { rows: Row[]; weights: number[]; keys: string[]; before: number[] } = {
      rows: [],
      weights: [],
      keys: [],
      before: [],
    };
    for (const [k, d] of delta) {
      if (d.weight === 0) continue;
      changed.rows.push(d.row);
      changed.weights.push(d.weight);
      changed.keys.push(k);
      changed.before.push(before(d));
    }
    this.#lastDelta = { kind: 'chunk', rows: changed.rows, weights: changed.weights };
    const tableDelta: TableDelta = { kind: 'chunk', ...changed };
    for (const l of this.#listeners) l(tableDelta, epoch);
  }

  /**
   * A barrier of a table whose rows are kept elsewhere: the epoch's changes summed per row, a
   * retraction's prior count taken as what it takes away and an insertion's as 0 (its rows are
   * unique); a row retracted more than once, or inserted again, is an anomaly.
   */
  #barrierWithoutRows(rows: readonly Row[], weights: readonly number[], epoch: number): void {
    const delta = new Map<string, WeightedRow>();
    for (let i = 0; i < rows.length; i++) {
      const w = weights[i] as number;
      if (w === 0) continue;
      const row = rows[i] as Row;
      const k = rowIdentity(row);
      const d = delta.get(k);
      if (d === undefined) delta.set(k, { row, weight: w });
      else d.weight += w;
      this.#rowCount += w;
    }
    for (const d of delta.values()) if (d.weight < -1 || d.weight > 1) this.anomalies++;
    this.#publish(delta, (d) => (d.weight < 0 ? -d.weight : 0), epoch);
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

  /**
   * Keeps no rows from now on (a view whose keeper, the store, holds them and whose rows are
   * unique: each change's prior count is then known without them, 1 for a retraction and 0 for
   * an insertion). What reads the rows borrows the keeper's (`lend`).
   */
  keepRowsOutside(): void {
    if (!this.external || this.#appendOnly)
      throw new Error(`${this.name}: only a keyed table kept elsewhere can do without its rows`);
    this.#rowsOutside = true;
    this.#table.clear();
    this.#negative.clear();
  }

  /** Whether the rows are kept elsewhere only (`keepRowsOutside`) and not lent now. */
  get rowsOutside(): boolean {
    return this.#rowsOutside && !this.#lent;
  }

  /**
   * Holds the committed rows its keeper gave (as of the last barrier) until `unlend`, for what
   * reads them meanwhile: `entries`, `current` and the next barrier's prior counts.
   */
  lend(rows: readonly Row[], weights: readonly number[]): void {
    if (!this.#rowsOutside) throw new Error(`${this.name}: keeps its rows itself`);
    const count = this.#rowCount;
    this.#lent = true;
    this.load(rows, weights);
    this.#rowCount = count;
  }

  /** Lets go of the rows `lend` gave. */
  unlend(): void {
    if (!this.#lent) return;
    this.#lent = false;
    this.#table.clear();
    this.#negative.clear();
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
    this.#assertRowsHere();
    return this.#appendOnly ? this.#appended.values() : this.#table.values();
  }

  /** Distinct rows including the open epoch's changes (what DML and a backfill start from). */
  current(): IterableIterator<WeightedRow> {
    this.#assertRowsHere();
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

  #assertRowsHere(): void {
    if (this.rowsOutside)
      throw new Error(`${this.name}: its rows are kept elsewhere; borrow them first (lend)`);
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
    if (this.rowsOutside) {
      for (const w of weights) this.#rowCount += w;
      return;
    }
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
