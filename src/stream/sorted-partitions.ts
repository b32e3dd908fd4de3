/**
 * The state top-N and window functions share: per partition, its rows in ORDER BY order and
 * the output last emitted for it. Changes only mark a partition dirty; at the barrier each
 * dirty partition is recomputed whole and `Δout = new − old` is emitted.
 *
 * Snapshot (when no partition is dirty, i.e. right after a barrier): per partition its key,
 * its entries in order (row, ORDER BY key, per-row arguments, count) and its last output
 * (rows and weights, in emission order); restore loads them back without re-sorting.
 */
import { ChunkBuilder, type WeightedRow } from './chunk.ts';
import { KeyMap } from './key-map.ts';
import type { HeldWatermarks, Watermark } from './operator.ts';
import { SortedRows } from './sorted-rows.ts';
import { type Row, rowIdentity, type SortKey, type Value } from './value.ts';

interface Partition {
  readonly key: Row;
  readonly rows: SortedRows;
  output: Map<string, WeightedRow>;
  dirty: boolean;
}

/** A partition's output rows, keyed by row. */
export type PartitionOutput = Map<string, WeightedRow>;

/** One partition as plain data (parallel arrays). */
export interface PartitionState {
  readonly key: Row;
  readonly rows: Row[];
  readonly sortKeys: Row[];
  readonly extra: (readonly Value[])[];
  readonly counts: number[];
  readonly outRows: Row[];
  readonly outWeights: number[];
}

export class SortedPartitions {
  readonly #order: readonly SortKey[];
  readonly #partitions: KeyMap<Partition>;
  #dirty: Partition[] = [];

  /** `closingColumn`: the partition-key column whose watermark closes partitions. */
  constructor(order: readonly SortKey[], closingColumn?: number) {
    this.#order = order;
    this.#partitions = new KeyMap(closingColumn === undefined ? {} : { firstColumn: closingColumn });
  }

  /**
   * After a barrier's output: passes on the held watermarks that advance, first closing the
   * partitions below each one on `closingColumn` (an output column).
   */
  releaseWatermarks(
    held: HeldWatermarks,
    closingColumn: number | undefined,
    emit: (wm: Watermark) => void,
  ): void {
    for (const wm of held.release()) {
      if (wm.column === closingColumn && typeof wm.value === 'number') this.closeBelow(wm.value);
      emit(wm);
    }
  }

  /** Forgets the partitions whose closing column is below `bound` (their output stays emitted). */
  closeBelow(bound: number): void {
    this.#partitions.deleteFirstBelow(bound);
  }

  get size(): number {
    return this.#partitions.size;
  }

  /** Distinct rows held over all partitions. */
  get rows(): number {
    let n = 0;
    for (const p of this.#partitions.values()) n += p.rows.entries.length;
    return n;
  }

  /** Adds `row` (ORDER BY key `key`, per-row arguments `args`) with weight `w` to partition `pk`. */
  add(pk: Row, row: Row, key: readonly Value[], args: readonly Value[], w: number): void {
    let p = this.#partitions.get(pk);
    if (p === undefined) {
      p = { key: pk, rows: new SortedRows(this.#order), output: new Map(), dirty: false };
      this.#partitions.set(pk, p);
    }
    if (!p.dirty) {
      p.dirty = true;
      this.#dirty.push(p);
    }
    p.rows.add(row, key, args, w);
  }

  /** Partitions changed since the last recompute (0 right after a barrier). */
  get pending(): number {
    return this.#dirty.length;
  }

  /** Every partition as plain data (call when none is pending). */
  snapshot(): PartitionState[] {
    if (this.#dirty.length > 0) throw new Error('sorted partitions: snapshot with changes not recomputed');
    const out: PartitionState[] = [];
    for (const p of this.#partitions.values()) {
      const es = p.rows.entries;
      const outRows: Row[] = [];
      const outWeights: number[] = [];
      for (const e of p.output.values()) {
        outRows.push(e.row);
        outWeights.push(e.weight);
      }
      out.push({
        key: p.key,
        rows: es.map((e) => e.row),
        sortKeys: es.map((e) => e.key),
        extra: es.map((e) => e.extra),
        counts: es.map((e) => e.count),
        outRows,
        outWeights,
      });
    }
    return out;
  }

  /** Replaces every partition with a `snapshot()`. */
  restore(state: readonly PartitionState[]): void {
    this.#partitions.clear();
    this.#dirty = [];
    for (const s of state) {
      const rows = new SortedRows(this.#order);
      for (let i = 0; i < s.rows.length; i++)
        rows.load(
          s.rows[i] as Row,
          s.sortKeys[i] as Row,
          s.extra[i] as readonly Value[],
          s.counts[i] as number,
        );
      const output: PartitionOutput = new Map();
      for (let i = 0; i < s.outRows.length; i++) {
        const row = s.outRows[i] as Row;
        output.set(rowIdentity(row), { row, weight: s.outWeights[i] as number });
      }
      this.#partitions.set(s.key, { key: s.key, rows, output, dirty: false });
    }
  }

  /** Recomputes the partitions changed since the last call; the changes of their output, or undefined if none changed. */
  recompute(compute: (rows: SortedRows) => PartitionOutput): ChunkBuilder | undefined {
    if (this.#dirty.length === 0) return undefined;
    const dirty = this.#dirty;
    this.#dirty = [];
    const out = new ChunkBuilder();
    for (const p of dirty) {
      p.dirty = false;
      const next = compute(p.rows);
      diffInto(out, p.output, next);
      p.output = next;
      if (p.rows.entries.length === 0) this.#partitions.delete(p.key);
    }
    return out;
  }
}

/** Emits `next − prev` (two keyed multisets) into `out`. */
function diffInto(
  out: ChunkBuilder,
  prev: ReadonlyMap<string, WeightedRow>,
  next: ReadonlyMap<string, WeightedRow>,
): void {
  for (const [k, e] of next) {
    const d = e.weight - (prev.get(k)?.weight ?? 0);
    if (d !== 0) out.push(e.row, d);
  }
  for (const [k, e] of prev) if (!next.has(k)) out.push(e.row, -e.weight);
}
