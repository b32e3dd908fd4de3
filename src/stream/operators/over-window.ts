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

import { createAccumulator } from '../aggregates/accumulator.ts';
import type { WeightedRow } from '../chunk.ts';
import type { SortedEntry, SortedRows } from '../sorted-rows.ts';
import { type Row, rowIdentity, type Value } from '../value.ts';
import {
  DEFAULT_FRAME,
  type FrameRanges,
  frameInputs,
  frameRanges,
  type WindowFrame,
} from '../window-frame.ts';
import { PartitionedOperator, type PartitionedOptions } from './partitioned.ts';

/** The frame of first_value, last_value and the aggregates; absent: PostgreSQL's default. */
interface Framed {
  readonly frame?: WindowFrame;
}

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
  | ({ readonly kind: 'first_value' | 'last_value'; readonly arg: (row: Row) => Value } & Framed)
  | ({
      readonly kind: 'sum' | 'count' | 'avg' | 'min' | 'max';
      readonly arg?: (row: Row) => Value;
      /** sum/avg over integers or numeric: their result type (see AggregateCall.exact). */
      readonly exact?: 'int8' | 'numeric';
    } & Framed);

export interface OverWindowOptions extends PartitionedOptions {
  readonly calls: readonly WindowCall[];
  readonly name?: string;
}

export class OverWindow extends PartitionedOperator {
  protected readonly stateKind = 'over_window';
  readonly #o: OverWindowOptions;
  /** Per call: its frame, and where its frame's per-row values start among a row's extras. */
  readonly #frames: readonly WindowFrame[];
  readonly #frameInputAt: readonly number[];
  readonly #frameInputs: readonly ((row: Row) => Value)[];

  constructor(options: OverWindowOptions) {
    super(options.name ?? 'over_window', options);
    this.#o = options;
    const inputs: ((row: Row) => Value)[] = [];
    const at: number[] = [];
    this.#frames = options.calls.map((c) => {
      const frame = ('frame' in c ? c.frame : undefined) ?? DEFAULT_FRAME;
      at.push(options.calls.length + inputs.length);
      inputs.push(...frameInputs(frame));
      return frame;
    });
    this.#frameInputAt = at;
    this.#frameInputs = inputs;
  }

  protected override argsOf(row: Row): Value[] {
    const calls = this.#o.calls;
    const inputs = this.#frameInputs;
    const args: Value[] = new Array(calls.length + inputs.length);
    for (let j = 0; j < calls.length; j++) {
      const c = calls[j] as WindowCall;
      args[j] = 'arg' in c && c.arg !== undefined ? c.arg(row) : null;
    }
    for (let k = 0; k < inputs.length; k++) args[calls.length + k] = (inputs[k] as (row: Row) => Value)(row);
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
    const ranks = { entries, peerStart, peerEnd, denseRank };
    const calls = this.#o.calls;
    const columns: Value[][] = calls.map((c, j) => this.#column(c, j, ranks));
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

  #column(c: WindowCall, j: number, p: Positions): Value[] {
    const { entries, peerStart, peerEnd, denseRank } = p;
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
      case 'last_value': {
        const { start, end } = this.#ranges(j, p);
        const first = c.kind === 'first_value';
        for (let i = 0; i < n; i++) {
          const s = start[i] as number;
          const e = end[i] as number;
          col[i] = s < e ? arg(first ? s : e - 1) : null;
        }
        return col;
      }
      case 'sum':
      case 'count':
      case 'avg':
      case 'min':
      case 'max':
        return slide(c, this.#ranges(j, p), arg, n);
      default: {
        const never: never = c;
        throw new Error(`unknown window function ${String(never)}`);
      }
    }
  }

  #ranges(j: number, p: Positions): FrameRanges {
    const at = this.#frameInputAt[j] as number;
    const entries = p.entries;
    return frameRanges(this.#frames[j] as WindowFrame, {
      n: entries.length,
      key: (i) => (entries[i] as SortedEntry).key,
      peerStart: p.peerStart,
      peerEnd: p.peerEnd,
      input: (i, k) => (entries[i] as SortedEntry).extra[at + k] as Value,
      order: this.order,
    });
  }

  protected settings(): string {
    const frames = this.#frames.map((f) => (f === DEFAULT_FRAME ? '' : ` (${f.mode} frame)`));
    return `window functions ${this.#o.calls.map((c, j) => c.kind + frames[j]).join(', ')}`;
  }
}

/** A partition by position (see compute). */
interface Positions {
  readonly entries: readonly SortedEntry[];
  readonly peerStart: readonly number[];
  readonly peerEnd: readonly number[];
  readonly denseRank: readonly number[];
}

/**
 * An aggregate over each position's frame: the frame's ends only move forward, so values are
 * added as they enter at the end and retracted as they leave at the start; a position with the
 * same frame as the one before takes its value.
 */
function slide(
  c: Extract<WindowCall, { kind: 'sum' | 'count' | 'avg' | 'min' | 'max' }>,
  { start, end }: FrameRanges,
  arg: (i: number) => Value,
  n: number,
): Value[] {
  const acc = createAccumulator({
    kind: c.kind,
    ...(c.arg === undefined ? {} : { arg: c.arg }),
    ...(c.exact === undefined ? {} : { exact: c.exact }),
  });
  const col: Value[] = new Array(n);
  let lo = 0;
  let hi = 0;
  let value: Value = null;
  for (let i = 0; i < n; i++) {
    const s = start[i] as number;
    const e = end[i] as number;
    if (i === 0 || s !== lo || e !== hi) {
      for (; hi < e; hi++) acc.add(arg(hi), 1);
      for (; lo < s; lo++) acc.add(arg(lo), -1);
      value = acc.result();
    }
    col[i] = value;
  }
  return col;
}
