/**
 * Top-N per group: `… ROW_NUMBER() / RANK() / DENSE_RANK() OVER (PARTITION BY p ORDER BY o)
 * AS r … WHERE r > offset AND r <= offset + limit` (and plain ORDER BY … LIMIT … OFFSET).
 *
 * Output rows are the input rows, with the rank value appended when `withRank`.
 * Ties: `row_number` numbers peers in a deterministic order (ORDER BY key, then the whole row
 * ascending); `rank` keeps every row whose rank (1 + rows strictly before its peers) is in
 * range; `dense_rank` likewise with dense ranks.
 *
 * Delta: input changes update the partition's sorted multiset; nothing is emitted until the
 * barrier. Then, for each partition touched in the epoch, the new top range is read off the
 * sorted rows and compared with the range last emitted: `Δout = new − old` (rows that left
 * are retracted, rows that entered — e.g. the next one when a row leaves the top N — are
 * inserted). Exact under retraction because the whole partition is kept.
 *
 * State: per partition, all its rows in order (SortedRows) and the output last emitted.
 * Watermarks pass on partition-key columns only (`watermarks`: a later input can change only
 * its own partition; a watermark on another column would be broken by retractions), after the
 * barrier's output; the first closes partitions below it (their state goes, their rows stay).
 *
 * Snapshot: the partitions (see sorted-partitions.ts) and the last watermark passed on per
 * column, with the range and rank kind so that a different top-N refuses it.
 */
import type { Chunk, WeightedRow } from '../chunk.ts';
import { HeldWatermarks, Operator, type Watermark, type WatermarkEntries } from '../operator.ts';
import { type PartitionState, SortedPartitions } from '../sorted-partitions.ts';
import { type SortedEntry, type SortedRows, sortKeyOf } from '../sorted-rows.ts';
import { type Row, rowKey, type SortKey, type Value } from '../value.ts';

export type RankKind = 'row_number' | 'rank' | 'dense_rank';

export interface TopNOptions {
  /** Partition key; absent: one partition (a plain ORDER BY … LIMIT). */
  readonly partitionBy?: (row: Row) => Value[];
  readonly orderBy: readonly SortKey[];
  readonly limit: number;
  readonly offset?: number;
  /** How ties count (default row_number). */
  readonly rank?: RankKind;
  /** Append the rank value as a last column. */
  readonly withRank?: boolean;
  /**
   * Watermarks to pass: `[column, partition-key index]` for partition-key columns copied from
   * the input. The first one also closes partitions (see `closeBelow`).
   */
  readonly watermarks?: readonly (readonly [column: number, keyIndex: number])[];
  readonly name?: string;
}

const NONE: readonly Value[] = [];

interface TopNState {
  readonly kind: 'top_n';
  /** `rank_kind offset limit [with rank]`, checked on restore. */
  readonly range: string;
  readonly partitions: PartitionState[];
  readonly watermarks: WatermarkEntries;
}

const NO_PARTITION: Row = [];

export class TopN extends Operator {
  readonly arity = 1;
  readonly #o: TopNOptions;
  readonly #partitions: SortedPartitions;
  readonly #held = new HeldWatermarks();

  constructor(options: TopNOptions) {
    super(options.name ?? 'top_n');
    if (!(options.limit >= 0)) throw new Error('top-n: limit must be >= 0');
    this.#o = options;
    this.#partitions = new SortedPartitions(options.orderBy, options.watermarks?.[0]?.[1]);
  }

  get partitions(): number {
    return this.#partitions.size;
  }

  override get stateSize(): number {
    return this.#partitions.rows;
  }

  protected onChunk(chunk: Chunk): void {
    const { rows, weights } = chunk;
    const { partitionBy, orderBy } = this.#o;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Row;
      const w = weights[i] as number;
      if (w === 0) continue;
      let pk: Row = NO_PARTITION;
      let key: Value[];
      try {
        if (partitionBy !== undefined) pk = partitionBy(row);
        key = sortKeyOf(orderBy, row);
      } catch (e) {
        this.fail(e);
        continue;
      }
      this.#partitions.add(pk, row, key, NONE, w);
    }
  }

  protected override onBarrier(): void {
    const out = this.#partitions.recompute((rows) => this.#top(rows));
    if (out !== undefined) this.emitBuilder(out);
    this.#releaseWatermarks();
  }

  #top(sorted: SortedRows): Map<string, WeightedRow> {
    const { limit, withRank } = this.#o;
    const offset = this.#o.offset ?? 0;
    const kind = this.#o.rank ?? 'row_number';
    const end = offset + limit;
    const out = new Map<string, WeightedRow>();
    const put = (row: Row, r: number, n: number) => {
      const o = withRank === true ? [...row, r] : row;
      const k = rowKey(o);
      const e = out.get(k);
      if (e === undefined) out.set(k, { row: o, weight: n });
      else e.weight += n;
    };
    const es = sorted.entries;
    let before = 0; // rows before the current entry
    let rank = 0;
    let dense = 0;
    let prev: SortedEntry | undefined;
    for (const e of es) {
      if (e.count <= 0) continue;
      const newPeers = prev === undefined || !sorted.peers(prev, e);
      if (newPeers) {
        rank = before + 1;
        dense++;
      }
      prev = e;
      if (kind === 'row_number') {
        if (before >= end) break;
        // copies of this row occupy positions before+1 … before+count
        const first = Math.max(before + 1, offset + 1);
        const last = Math.min(before + e.count, end);
        if (withRank === true) for (let r = first; r <= last; r++) put(e.row, r, 1);
        else if (last >= first) put(e.row, first, last - first + 1);
      } else {
        const r = kind === 'rank' ? rank : dense;
        if (r > end) break;
        if (r > offset) put(e.row, r, e.count);
      }
      before += e.count;
    }
    return out;
  }

  protected override onWatermark(wm: Watermark): void {
    if (this.#o.watermarks?.some(([c]) => c === wm.column) === true) this.#held.hold(wm);
  }

  #range(): string {
    const o = this.#o;
    return `${o.rank ?? 'row_number'} ${o.offset ?? 0} ${o.limit}${o.withRank === true ? ' with rank' : ''}`;
  }

  override snapshot(): TopNState {
    this.assertSettled(this.#partitions.pending, 'changed partitions');
    this.assertSettled(this.#held.pending, 'held watermarks');
    return {
      kind: 'top_n',
      range: this.#range(),
      partitions: this.#partitions.snapshot(),
      watermarks: this.#held.snapshot(),
    };
  }

  override restore(state: unknown): void {
    const s = this.stateOf<TopNState>(state, 'top_n');
    if (s.range !== this.#range())
      throw new Error(`${this.name}: the snapshot is of a top-n ${s.range}, this one is ${this.#range()}`);
    this.#partitions.restore(s.partitions);
    this.#held.restore(s.watermarks);
  }

  #releaseWatermarks(): void {
    this.#partitions.releaseWatermarks(this.#held, this.#o.watermarks?.[0]?.[0], (wm) => this.emit(wm));
  }
}
