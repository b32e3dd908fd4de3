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
 * State, watermarks and snapshots: see partitioned.ts (the snapshot names the range and rank
 * kind, so that a different top-N refuses it).
 */

import type { WeightedRow } from '../chunk.ts';
import type { SortedEntry, SortedRows } from '../sorted-rows.ts';
import { type Row, rowIdentity, type SortKey } from '../value.ts';
import { PartitionedOperator, type PartitionedOptions } from './partitioned.ts';

export type RankKind = 'row_number' | 'rank' | 'dense_rank';

/** Without `partitionBy`, one partition: a plain ORDER BY … LIMIT. */
export interface TopNOptions extends PartitionedOptions {
  readonly orderBy: readonly SortKey[];
  readonly limit: number;
  readonly offset?: number;
  /** How ties count (default row_number). */
  readonly rank?: RankKind;
  /** Append the rank value as a last column. */
  readonly withRank?: boolean;
  readonly name?: string;
}

export class TopN extends PartitionedOperator {
  protected readonly stateKind = 'top_n';
  readonly #o: TopNOptions;

  constructor(options: TopNOptions) {
    super(options.name ?? 'top_n', options);
    if (!(options.limit >= 0)) throw new Error('top-n: limit must be >= 0');
    this.#o = options;
  }

  protected compute(sorted: SortedRows): Map<string, WeightedRow> {
    const { limit, withRank } = this.#o;
    const offset = this.#o.offset ?? 0;
    const kind = this.#o.rank ?? 'row_number';
    const end = offset + limit;
    const out = new Map<string, WeightedRow>();
    const put = (row: Row, r: number, n: number) => {
      const o = withRank === true ? [...row, r] : row;
      const k = rowIdentity(o);
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

  protected settings(): string {
    const o = this.#o;
    return `top-n ${o.rank ?? 'row_number'} ${o.offset ?? 0} ${o.limit}${o.withRank === true ? ' with rank' : ''}`;
  }
}
