/**
 * What window functions output for one partition: its rows laid out one position per row copy
 * in ORDER BY order, with their peer groups, and one column of values per call. Shared by
 * the window operator (over-window.ts), which recomputes a changed partition whole, and its
 * emit-on-window-close form (eowc-over-window.ts), which emits each row once it is final.
 *
 * Ranking counts from `base` (the rows and peer groups of the partition already forgotten),
 * so that a partition whose head was dropped numbers its rows as if it were still there.
 */
import { createAccumulator } from './aggregates/accumulator.ts';
import type { SortedEntry, SortedRows } from './sorted-rows.ts';
import type { OrderSpec, Row, Value } from './value.ts';
import {
  DEFAULT_FRAME,
  type FrameRanges,
  frameInputs,
  frameRanges,
  type WindowFrame,
} from './window-frame.ts';

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

/** Rows and peer groups before the first row kept. */
export interface RankBase {
  readonly rows: number;
  readonly groups: number;
}

const NO_BASE: RankBase = { rows: 0, groups: 0 };

/** A partition by position, with its function columns. */
export interface WindowOutput {
  readonly entries: readonly SortedEntry[];
  readonly peerStart: readonly number[];
  readonly peerEnd: readonly number[];
  readonly denseRank: readonly number[];
  readonly columns: readonly Value[][];
}

export class WindowColumns {
  readonly calls: readonly WindowCall[];
  /** Per call: its frame, and where its frame's per-row values start among a row's extras. */
  readonly frames: readonly WindowFrame[];
  readonly #frameInputAt: readonly number[];
  readonly #frameInputs: readonly ((row: Row) => Value)[];
  readonly #order: readonly OrderSpec[];
  /** Ranges of the frames computed for the partition at hand (see `ranges`). */
  readonly #shared = new Map<WindowFrame, FrameRanges>();

  constructor(calls: readonly WindowCall[], order: readonly OrderSpec[]) {
    this.calls = calls;
    this.#order = order;
    const inputs: ((row: Row) => Value)[] = [];
    const at: number[] = [];
    this.frames = calls.map((c) => {
      const frame = ('frame' in c ? c.frame : undefined) ?? DEFAULT_FRAME;
      at.push(calls.length + inputs.length);
      inputs.push(...frameInputs(frame));
      return frame;
    });
    this.#frameInputAt = at;
    this.#frameInputs = inputs;
  }

  /** Per-row values kept beside the row: the calls' arguments, then their frames' bound values. */
  argsOf(row: Row): Value[] {
    const calls = this.calls;
    const inputs = this.#frameInputs;
    const args: Value[] = new Array(calls.length + inputs.length);
    for (let j = 0; j < calls.length; j++) {
      const c = calls[j] as WindowCall;
      args[j] = 'arg' in c && c.arg !== undefined ? c.arg(row) : null;
    }
    for (let k = 0; k < inputs.length; k++) args[calls.length + k] = (inputs[k] as (row: Row) => Value)(row);
    return args;
  }

  /** The k-th frame value of call j at a position. */
  frameInput(j: number, entry: SortedEntry, k: number): Value {
    return entry.extra[(this.#frameInputAt[j] as number) + k] as Value;
  }

  compute(sorted: SortedRows, base: RankBase = NO_BASE): WindowOutput {
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
    const p = { entries, peerStart, peerEnd, denseRank, columns: [] as Value[][] };
    this.#shared.clear();
    for (let j = 0; j < this.calls.length; j++) p.columns.push(this.#column(j, p, base));
    return p;
  }

  #column(j: number, p: WindowOutput, base: RankBase): Value[] {
    const c = this.calls[j] as WindowCall;
    const { entries, peerStart, peerEnd, denseRank } = p;
    const n = entries.length;
    const arg = (i: number): Value => (entries[i] as SortedEntry).extra[j] as Value;
    const col: Value[] = new Array(n);
    switch (c.kind) {
      case 'row_number':
        for (let i = 0; i < n; i++) col[i] = base.rows + i + 1;
        return col;
      case 'rank':
        for (let i = 0; i < n; i++) col[i] = base.rows + (peerStart[i] as number) + 1;
        return col;
      case 'dense_rank':
        for (let i = 0; i < n; i++) col[i] = base.groups + (denseRank[i] as number);
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
        const { start, end } = this.ranges(j, p);
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
        return slide(c, this.ranges(j, p), arg, n);
      default: {
        const never: never = c;
        throw new Error(`unknown window function ${String(never)}`);
      }
    }
  }

  /** The frame of call j from each position. */
  ranges(j: number, p: Omit<WindowOutput, 'columns' | 'denseRank'>): FrameRanges {
    const frame = this.frames[j] as WindowFrame;
    // A frame without per-row bounds is the same for every call that has it.
    const shareable = frame.mode !== 'session' && frame.start.kind !== 'value' && frame.end.kind !== 'value';
    const known = shareable ? this.#shared.get(frame) : undefined;
    if (known !== undefined) return known;
    const entries = p.entries;
    const r = frameRanges(frame, {
      n: entries.length,
      key: (i) => (entries[i] as SortedEntry).key,
      peerStart: p.peerStart,
      peerEnd: p.peerEnd,
      input: (i, k) => this.frameInput(j, entries[i] as SortedEntry, k),
      order: this.#order,
    });
    if (shareable) this.#shared.set(frame, r);
    return r;
  }

  /** What the calls compute, for snapshots (a restore into other calls is refused). */
  settings(): string {
    const frames = this.frames.map((f) => (f === DEFAULT_FRAME ? '' : ` (${f.mode} frame)`));
    return `window functions ${this.calls.map((c, j) => c.kind + frames[j]).join(', ')}`;
  }
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
