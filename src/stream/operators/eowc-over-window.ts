/**
 * Window functions with RisingWave's `EMIT ON WINDOW CLOSE`, over an ORDER BY whose first key
 * is a column carrying a watermark (ascending): each row is emitted once, when its values are
 * final — no row still to come (the watermark promises its key is at least the watermark's
 * value) can change them — and never retracted.
 *
 * When a row is final, per call (positions in the partition's ORDER BY order; `c` the rows
 * whose key is below the watermark):
 * - row_number, rank, dense_rank, lag, and frames ending at CURRENT ROW or PRECEDING: its key
 *   is below the watermark (its peers are all there);
 * - lead(k) and `n FOLLOWING` rows or groups: the rows it reaches are below the watermark;
 * - a RANGE bound `key + n FOLLOWING`: that value is below the watermark;
 * - a session frame: its session is closed (the last row's value plus the gap is at most the
 *   watermark: the next row can only start a new session).
 * Functions that see the whole partition (cume_dist, percent_rank, UNBOUNDED FOLLOWING) are
 * never final and refused by the planner.
 *
 * State: per partition its rows not yet emitted and those they (or rows to come) still look
 * back to; rows before those are forgotten, counted in the ranking base so that row_number,
 * rank and dense_rank go on. Frames starting UNBOUNDED PRECEDING (the default frame of
 * aggregates) look back to the first row, so their partitions keep every row.
 * The input is append-only (EMIT ON WINDOW CLOSE's contract): a retraction of a row already
 * emitted is counted as an error and not applied.
 */
import type { Chunk } from '../chunk.ts';
import { ChunkBuilder } from '../chunk.ts';
import { KeyMap } from '../key-map.ts';
import {
  type Barrier,
  HeldWatermarks,
  Operator,
  type Watermark,
  type WatermarkEntries,
} from '../operator.ts';
import { type SortedEntry, SortedRows } from '../sorted-rows.ts';
import { compareValues, type Row, type SortKey, type Value } from '../value.ts';
import { type RankBase, type WindowCall, WindowColumns, type WindowOutput } from '../window-columns.ts';
import { placeRows } from './partitioned.ts';

export interface EowcOverWindowOptions {
  readonly partitionBy?: (row: Row) => Value[];
  /** The first key is the input column `watermarkColumn`, ascending. */
  readonly orderBy: readonly SortKey[];
  readonly watermarkColumn: number;
  readonly calls: readonly WindowCall[];
  /** Other watermark columns passed on (partition keys). */
  readonly passWatermarks?: readonly number[];
  readonly name?: string;
}

interface Partition {
  readonly key: Row;
  rows: SortedRows;
  base: RankBase;
  /** Leading positions already emitted. */
  emitted: number;
}

interface EowcOverWindowState {
  readonly kind: 'eowc_over_window';
  readonly settings: string;
  readonly watermark: Value;
  readonly partitions: {
    key: Row;
    rows: Row[];
    keys: Row[];
    extra: (readonly Value[])[];
    counts: number[];
    base: RankBase;
    emitted: number;
  }[];
  readonly held: WatermarkEntries;
}

export class EowcOverWindow extends Operator {
  readonly arity = 1;
  readonly #o: EowcOverWindowOptions;
  readonly #columns: WindowColumns;
  readonly #partitions = new KeyMap<Partition>();
  readonly #held = new HeldWatermarks();
  #watermark: Value = null;

  constructor(options: EowcOverWindowOptions) {
    super(options.name ?? 'eowc_over_window');
    this.#o = options;
    this.#columns = new WindowColumns(options.calls, options.orderBy);
  }

  override get stateSize(): number {
    let n = 0;
    for (const p of this.#partitions.values()) n += p.rows.entries.length;
    return n;
  }

  protected onChunk(chunk: Chunk): void {
    const how = {
      partitionBy: this.#o.partitionBy,
      order: this.#o.orderBy,
      argsOf: (row: Row) => this.#columns.argsOf(row),
    };
    placeRows(
      chunk,
      how,
      (e) => this.fail(e),
      (row, w, { pk, key, args }) => {
        if (w < 0 && this.#closed(key[0] as Value)) {
          this.fail(
            Object.assign(new Error('a row already emitted on window close was retracted'), {
              sqlstate: '0A000',
            }),
          );
          return;
        }
        let p = this.#partitions.get(pk);
        if (p === undefined) {
          p = { key: pk, rows: new SortedRows(this.#o.orderBy), base: { rows: 0, groups: 0 }, emitted: 0 };
          this.#partitions.set(pk, p);
        }
        p.rows.add(row, key, args, w);
      },
    );
  }

  #closed(v: Value): boolean {
    return v !== null && this.#watermark !== null && compareValues(v, this.#watermark) < 0;
  }

  protected override onWatermark(wm: Watermark): void {
    if (wm.column === this.#o.watermarkColumn || this.#o.passWatermarks?.includes(wm.column) === true)
      this.#held.hold(wm);
  }

  protected override onBarrier(_barrier: Barrier): void {
    const released = this.#held.release();
    for (const wm of released)
      if (wm.column === this.#o.watermarkColumn && wm.value !== null) this.#watermark = wm.value;
    if (this.#watermark !== null) {
      const out = new ChunkBuilder();
      for (const p of [...this.#partitions.values()]) this.#close(p, out);
      this.emitBuilder(out);
    }
    for (const wm of released) this.emit(wm);
  }

  /** Emits the partition's rows that became final and forgets the rows nothing looks back to. */
  #close(p: Partition, out: ChunkBuilder): void {
    const entries = p.rows.entries;
    if (entries.length === 0 || !this.#closed(entries[0]?.key[0] as Value)) return;
    const w = this.#columns.compute(p.rows, p.base);
    const n = w.entries.length;
    let below = 0;
    while (below < n && this.#closed(w.entries[below]?.key[0] as Value)) below++;
    let final = below;
    for (let j = 0; j < this.#columns.calls.length; j++)
      final = Math.min(final, this.#finalPrefix(j, w, below));
    for (let i = p.emitted; i < final; i++) {
      const row: Value[] = [...(w.entries[i] as SortedEntry).row];
      for (const col of w.columns) row.push(col[i] as Value);
      out.push(row, 1);
    }
    p.emitted = Math.max(p.emitted, final);
    this.#forget(p, w, p.emitted);
  }

  /** How many leading positions call j has final values for. */
  #finalPrefix(j: number, w: WindowOutput, below: number): number {
    const c = this.#columns.calls[j] as WindowCall;
    const n = w.entries.length;
    if (c.kind === 'lead') {
      const k = c.offset ?? 1;
      return Math.max(0, below - k);
    }
    if (c.kind !== 'first_value' && c.kind !== 'last_value' && !isAggregate(c.kind)) return below;
    const frame = this.#columns.frames[j];
    if (frame === undefined) return below;
    if (frame.mode === 'session') {
      // A session is final when the value after its last row reaches the watermark.
      const { end } = this.#columns.ranges(j, w);
      let f = 0;
      while (f < below) {
        const last = (end[f] as number) - 1;
        const next = this.#columns.frameInput(j, w.entries[last] as SortedEntry, 0);
        if (last >= below || next === null || compareValues(next, this.#watermark) > 0) break;
        f = last + 1;
      }
      return f;
    }
    const { end } = this.#columns.ranges(j, w);
    let f = 0;
    if (frame.end.kind === 'value') {
      const at = frame.start.kind === 'value' ? 1 : 0;
      while (f < below) {
        const v = this.#columns.frameInput(j, w.entries[f] as SortedEntry, at);
        if (v === null || compareValues(v, this.#watermark) >= 0) break;
        f++;
      }
      return f;
    }
    // Rows or groups ahead: final when the rows they reach are closed (and not cut short by the end).
    if (frame.end.kind === 'offset' && frame.end.offset > 0) {
      const ahead = frame.end.offset;
      if (frame.mode === 'rows') return Math.max(0, below - ahead);
      while (f < below && (end[f] as number) <= below && (end[f] as number) < n) f++;
      return f;
    }
    return frame.end.kind === 'unbounded' ? 0 : Math.min(below, n);
  }

  /** Drops the leading rows that neither the rows from `from` on nor rows to come look back to. */
  #forget(p: Partition, w: WindowOutput, from: number): void {
    const n = w.entries.length;
    let keep = from;
    for (let j = 0; j < this.#columns.calls.length && keep > 0; j++) {
      const c = this.#columns.calls[j] as WindowCall;
      if (c.kind === 'lag') keep = Math.min(keep, from - (c.offset ?? 1));
      else if (c.kind === 'first_value' || c.kind === 'last_value' || isAggregate(c.kind)) {
        const { start } = this.#columns.ranges(j, w);
        keep = Math.min(keep, start[Math.min(from, n - 1)] as number);
      }
    }
    keep = Math.max(0, keep);
    keep = keep < n ? (w.peerStart[keep] as number) : n;
    if (keep <= 0) return;
    const copies = new Map<SortedEntry, number>();
    for (let i = 0; i < keep; i++) {
      const e = w.entries[i] as SortedEntry;
      copies.set(e, (copies.get(e) ?? 0) + 1);
    }
    for (const [e, k] of copies) p.rows.add(e.row, e.key, e.extra, -k);
    p.base = { rows: p.base.rows + keep, groups: p.base.groups + (w.denseRank[keep - 1] as number) };
    p.emitted -= keep;
  }

  override snapshot(): EowcOverWindowState {
    this.assertSettled(this.#held.pending, 'held watermarks');
    const partitions: EowcOverWindowState['partitions'] = [];
    for (const p of this.#partitions.values()) {
      const es = p.rows.entries;
      partitions.push({
        key: p.key,
        rows: es.map((e) => e.row),
        keys: es.map((e) => e.key),
        extra: es.map((e) => e.extra),
        counts: es.map((e) => e.count),
        base: p.base,
        emitted: p.emitted,
      });
    }
    return {
      kind: 'eowc_over_window',
      settings: this.#columns.settings(),
      watermark: this.#watermark,
      partitions,
      held: this.#held.snapshot(),
    };
  }

  override restore(state: unknown): void {
    const s = this.stateOf<EowcOverWindowState>(state, 'eowc_over_window');
    if (s.settings !== this.#columns.settings())
      throw new Error(
        `${this.name}: the snapshot computes ${s.settings}, this operator ${this.#columns.settings()}`,
      );
    this.#partitions.clear();
    for (const q of s.partitions) {
      const rows = new SortedRows(this.#o.orderBy);
      for (let i = 0; i < q.rows.length; i++)
        rows.load(q.rows[i] as Row, q.keys[i] as Row, q.extra[i] as readonly Value[], q.counts[i] as number);
      this.#partitions.set(q.key, { key: q.key, rows, base: q.base, emitted: q.emitted });
    }
    this.#watermark = s.watermark;
    this.#held.restore(s.held);
  }
}

function isAggregate(kind: WindowCall['kind']): boolean {
  return kind === 'sum' || kind === 'count' || kind === 'avg' || kind === 'min' || kind === 'max';
}
