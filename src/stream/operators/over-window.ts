/**
 * Window functions over partitions: `f(…) OVER (PARTITION BY p ORDER BY o)`.
 *
 * Output rows are `[...inputRow, ...functionValues]`, one per input row (a row of weight k
 * gives k output rows; with row_number they differ in their number).
 *
 * Functions: row_number, rank, dense_rank, percent_rank, cume_dist, lag/lead(x, k, default),
 * first_value/last_value(x), and sum/count/avg/min/max(x) (count without argument =
 * count(*)). Frame: PostgreSQL's default, RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW:
 * a row sees every row up to the last of its peers (equal ORDER BY key); without ORDER BY all
 * rows of the partition are peers, so aggregates cover the whole partition. Ties are put in
 * a deterministic order (ORDER BY key, then the whole row) for row_number/lag/lead.
 *
 * Delta: input changes update the partition's sorted rows (arguments are evaluated once, on
 * input; a row whose argument raises a SQL error is skipped and counted). At the barrier
 * every partition touched in the epoch is recomputed and `Δout = new − old` is emitted. So a
 * change to a low ORDER BY key — e.g. the count of status 200 in
 * `SUM(COUNT(*)) OVER (PARTITION BY window ORDER BY status)` — retracts and re-inserts the
 * cumulative rows of every later status in that window, and only in that window.
 *
 * State, watermarks and snapshots: see partitioned.ts (rows are kept with their functions'
 * arguments; the snapshot names the function kinds, so that other calls refuse it).
 */

import {
  AvgAccumulator,
  DecimalAvgAccumulator,
  DecimalSumAccumulator,
  SumAccumulator,
} from '../aggregates/sum.ts';
import type { WeightedRow } from '../chunk.ts';
import type { SortedEntry, SortedRows } from '../sorted-rows.ts';
import { compareValues, type Row, rowIdentity, type Value } from '../value.ts';
import { PartitionedOperator, type PartitionedOptions } from './partitioned.ts';

export type WindowCall =
  | { readonly kind: 'row_number' | 'rank' | 'dense_rank' | 'percent_rank' | 'cume_dist' }
  | {
      readonly kind: 'lag' | 'lead';
      readonly arg: (row: Row) => Value;
      /** Default 1. */
      readonly offset?: number;
      /** Default NULL. */
      readonly default?: Value;
    }
  | { readonly kind: 'first_value' | 'last_value'; readonly arg: (row: Row) => Value }
  | {
      readonly kind: 'sum' | 'count' | 'avg' | 'min' | 'max';
      readonly arg?: (row: Row) => Value;
      /** sum/avg over integers or numeric: their result type (see AggregateCall.exact). */
      readonly exact?: 'int8' | 'numeric';
    };

export interface OverWindowOptions extends PartitionedOptions {
  readonly calls: readonly WindowCall[];
  readonly name?: string;
}

export class OverWindow extends PartitionedOperator {
  protected readonly stateKind = 'over_window';
  readonly #o: OverWindowOptions;

  constructor(options: OverWindowOptions) {
    super(options.name ?? 'over_window', options);
    this.#o = options;
  }

  protected override argsOf(row: Row): Value[] {
    const calls = this.#o.calls;
    const args: Value[] = new Array(calls.length);
    for (let j = 0; j < calls.length; j++) {
      const c = calls[j] as WindowCall;
      args[j] = 'arg' in c && c.arg !== undefined ? c.arg(row) : null;
    }
    return args;
  }

  protected compute(sorted: SortedRows): Map<string, WeightedRow> {
    // Expand copies: position i holds one row; peerEnd[i] = index after its last peer.
    const entries: SortedEntry[] = [];
    for (const e of sorted.entries) for (let c = 0; c < e.count; c++) entries.push(e);
    const n = entries.length;
    const peerStart = new Array<number>(n);
    const peerEnd = new Array<number>(n);
    const denseRank = new Array<number>(n);
    let dense = 0;
    for (let i = 0; i < n; ) {
      let j = i + 1;
      while (j < n && sorted.peers(entries[i] as SortedEntry, entries[j] as SortedEntry)) j++;
      dense++;
      for (let m = i; m < j; m++) {
        peerStart[m] = i;
        peerEnd[m] = j;
        denseRank[m] = dense;
      }
      i = j;
    }
    const calls = this.#o.calls;
    const columns: Value[][] = calls.map((c, j) =>
      this.#column(c, j, entries, peerStart, peerEnd, denseRank),
    );
    const out = new Map<string, WeightedRow>();
    for (let i = 0; i < n; i++) {
      const row: Value[] = [...(entries[i] as SortedEntry).row];
      for (const col of columns) row.push(col[i] as Value);
      const k = rowIdentity(row);
      const e = out.get(k);
      if (e === undefined) out.set(k, { row, weight: 1 });
      else e.weight++;
    }
    return out;
  }

  #column(
    c: WindowCall,
    j: number,
    entries: readonly SortedEntry[],
    peerStart: readonly number[],
    peerEnd: readonly number[],
    denseRank: readonly number[],
  ): Value[] {
    const n = entries.length;
    const arg = (i: number): Value => (entries[i] as SortedEntry).extra[j] as Value;
    const col: Value[] = new Array(n);
    switch (c.kind) {
      case 'row_number':
        for (let i = 0; i < n; i++) col[i] = i + 1;
        return col;
      case 'rank':
        for (let i = 0; i < n; i++) col[i] = (peerStart[i] as number) + 1;
        return col;
      case 'dense_rank':
        for (let i = 0; i < n; i++) col[i] = denseRank[i] as number;
        return col;
      case 'percent_rank':
        for (let i = 0; i < n; i++) col[i] = n > 1 ? (peerStart[i] as number) / (n - 1) : 0;
        return col;
      case 'cume_dist':
        for (let i = 0; i < n; i++) col[i] = (peerEnd[i] as number) / n;
        return col;
      case 'lag':
      case 'lead': {
        const k = (c.offset ?? 1) * (c.kind === 'lag' ? -1 : 1);
        const d = c.default ?? null;
        for (let i = 0; i < n; i++) col[i] = i + k >= 0 && i + k < n ? arg(i + k) : d;
        return col;
      }
      case 'first_value':
        for (let i = 0; i < n; i++) col[i] = n > 0 ? arg(0) : null;
        return col;
      case 'last_value':
        for (let i = 0; i < n; i++) col[i] = arg((peerEnd[i] as number) - 1);
        return col;
      case 'sum':
      case 'count':
      case 'avg':
      case 'min':
      case 'max': {
        // Running aggregate, advanced a whole peer group at a time.
        const star = c.kind === 'count' && c.arg === undefined;
        const total =
          c.exact === undefined
            ? c.kind === 'avg'
              ? new AvgAccumulator()
              : new SumAccumulator()
            : c.kind === 'avg'
              ? new DecimalAvgAccumulator()
              : new DecimalSumAccumulator(c.exact);
        let count = 0;
        let extreme: Value = null;
        for (let i = 0; i < n; ) {
          const end = peerEnd[i] as number;
          for (let m = i; m < end; m++) {
            const v = arg(m);
            if (star) {
              count++;
              continue;
            }
            if (v === null) continue;
            count++;
            if (c.kind === 'sum' || c.kind === 'avg') total.add(v, 1);
            else if (c.kind === 'min' || c.kind === 'max') {
              const cmp = extreme === null ? 0 : compareValues(v, extreme);
              if (extreme === null || (c.kind === 'min' ? cmp < 0 : cmp > 0)) extreme = v;
            }
          }
          let value: Value;
          if (c.kind === 'count') value = count;
          else if (count === 0) value = null;
          else if (c.kind === 'sum' || c.kind === 'avg') value = total.result();
          else value = extreme;
          for (let m = i; m < end; m++) col[m] = value;
          i = end;
        }
        return col;
      }
      default: {
        const never: never = c;
        throw new Error(`unknown window function ${String(never)}`);
      }
    }
  }

  protected settings(): string {
    return `window functions ${this.#o.calls.map((c) => c.kind).join(', ')}`;
  }
}
