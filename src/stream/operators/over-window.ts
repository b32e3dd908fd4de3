/**
 * Window functions over partitions: `f(…) OVER (PARTITION BY p ORDER BY o [frame])`.
 *
 * Output rows are `[...inputRow, ...functionValues]`, one per input row (a row of weight k
 * gives k output rows; with row_number they differ in their number).
 *
 * Functions: row_number, rank, dense_rank, percent_rank, cume_dist, lag/lead(x, k, default),
 * first_value/last_value(x), and sum/count/avg/min/max(x) (count without argument =
 * count(*)). The last two kinds see their call's frame (window-frame.ts: ROWS, RANGE, GROUPS
 * or RisingWave's SESSION), PostgreSQL's default RANGE BETWEEN UNBOUNDED PRECEDING AND
 * CURRENT ROW when it has none: a row sees every row up to the last of its peers (equal ORDER
 * BY key); without ORDER BY all rows of the partition are peers, so aggregates cover the whole
 * partition. Ties are put in a deterministic order (ORDER BY key, then the whole row) for
 * row_number/lag/lead and ROWS frames.
 *
 * Delta: input changes update the partition's sorted rows (arguments and the frames' bound
 * values are evaluated once, on input; a row whose argument raises a SQL error is skipped and counted). At the barrier
 * every partition touched in the epoch is recomputed and `Δout = new − old` is emitted. So a
 * change to a low ORDER BY key — e.g. the count of status 200 in
 * `SUM(COUNT(*)) OVER (PARTITION BY window ORDER BY status)` — retracts and re-inserts the
 * cumulative rows of every later status in that window, and only in that window.
 *
 * State, watermarks and snapshots: see partitioned.ts (rows are kept with their functions'
 * arguments; the snapshot names the function kinds, so that other calls refuse it).
 */

import type { WeightedRow } from '../chunk.ts';
import type { SortedEntry, SortedRows } from '../sorted-rows.ts';
import { type Row, rowIdentity, type Value } from '../value.ts';
import { type WindowCall, WindowColumns } from '../window-columns.ts';
import { PartitionedOperator, type PartitionedOptions } from './partitioned.ts';

export type { WindowCall };

export interface OverWindowOptions extends PartitionedOptions {
  readonly calls: readonly WindowCall[];
  readonly name?: string;
}

export class OverWindow extends PartitionedOperator {
  protected readonly stateKind = 'over_window';
  readonly #columns: WindowColumns;

  constructor(options: OverWindowOptions) {
    super(options.name ?? 'over_window', options);
    this.#columns = new WindowColumns(options.calls, options.orderBy ?? []);
  }

  protected override argsOf(row: Row): Value[] {
    return this.#columns.argsOf(row);
  }

  protected compute(sorted: SortedRows): Map<string, WeightedRow> {
    const { entries, columns } = this.#columns.compute(sorted);
    const out = new Map<string, WeightedRow>();
    for (let i = 0; i < entries.length; i++) {
      const row: Value[] = [...(entries[i] as SortedEntry).row];
      for (const col of columns) row.push(col[i] as Value);
      const k = rowIdentity(row);
      const e = out.get(k);
      if (e === undefined) out.set(k, { row, weight: 1 });
      else e.weight++;
    }
    return out;
  }

  protected settings(): string {
    return this.#columns.settings();
  }
}
