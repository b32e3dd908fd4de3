/**
 * Window frames: which rows of its partition a window function sees from each row.
 *
 * A partition is laid out one position per row copy, in ORDER BY order, with its peer groups
 * (equal ORDER BY key). From each position a frame is the range [start, end) of positions:
 *
 * - ROWS: `n PRECEDING/FOLLOWING` counts positions, CURRENT ROW is the position itself;
 * - GROUPS: counts peer groups, CURRENT ROW is the row's whole peer group;
 * - RANGE: an offset bound reaches the rows whose ORDER BY value is not beyond the row's own
 *   bound value (`key ∓ offset`, computed per row on input); CURRENT ROW is the peer group;
 * - SESSION (RisingWave): the rows of the row's session — a run of rows in which each next
 *   ORDER BY value is below the previous one's `next` (value + gap).
 *
 * Both ends move forward (never back) as the position does, so an aggregate over the frames of
 * a partition can slide: add what enters at the end, retract what leaves at the start.
 */
import { compareKeys, type OrderSpec, type Row, type Value } from './value.ts';

export type FrameBound =
  | { readonly kind: 'unbounded' }
  | { readonly kind: 'current_row' }
  /** −n: n PRECEDING; +n: n FOLLOWING (rows or peer groups). */
  | { readonly kind: 'offset'; readonly offset: number }
  /** RANGE: the ORDER BY value the bound reaches from a row. */
  | { readonly kind: 'value'; readonly value: (row: Row) => Value };

export type WindowFrame =
  | { readonly mode: 'rows' | 'range' | 'groups'; readonly start: FrameBound; readonly end: FrameBound }
  | { readonly mode: 'session'; readonly next: (row: Row) => Value };

/** PostgreSQL's default frame: RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW. */
export const DEFAULT_FRAME: WindowFrame = {
  mode: 'range',
  start: { kind: 'unbounded' },
  end: { kind: 'current_row' },
};

/** The per-row values a frame needs computed on input, in the order `frameRanges` reads them. */
export function frameInputs(frame: WindowFrame): ((row: Row) => Value)[] {
  if (frame.mode === 'session') return [frame.next];
  const out: ((row: Row) => Value)[] = [];
  if (frame.start.kind === 'value') out.push(frame.start.value);
  if (frame.end.kind === 'value') out.push(frame.end.value);
  return out;
}

/** A partition laid out by position (see the header). */
export interface FramedPartition {
  readonly n: number;
  /** ORDER BY key at a position. */
  readonly key: (i: number) => Row;
  /** First position of the position's peer group, and the position after its last. */
  readonly peerStart: readonly number[];
  readonly peerEnd: readonly number[];
  /** The k-th of the frame's `frameInputs` values at a position. */
  readonly input: (i: number, k: number) => Value;
  readonly order: readonly OrderSpec[];
}

export interface FrameRanges {
  readonly start: Int32Array;
  readonly end: Int32Array;
}

export function frameRanges(frame: WindowFrame, p: FramedPartition): FrameRanges {
  const n = p.n;
  const start = new Int32Array(n);
  const end = new Int32Array(n);
  if (frame.mode === 'session') {
    sessions(p, start, end);
    return { start, end };
  }
  if (frame.mode === 'range' && frame.start.kind === 'unbounded' && frame.end.kind === 'current_row') {
    // The default frame: every row up to the last of its peers.
    for (let i = 0; i < n; i++) end[i] = p.peerEnd[i] as number;
    return { start, end };
  }
  const groups = frame.mode === 'groups' ? peerGroups(p) : undefined;
  let k = 0;
  const startInput = frame.start.kind === 'value' ? k++ : -1;
  const endInput = frame.end.kind === 'value' ? k : -1;
  for (let i = 0; i < n; i++) {
    start[i] = position(frame.mode, frame.start, 'start', i, p, groups, startInput);
    end[i] = Math.max(position(frame.mode, frame.end, 'end', i, p, groups, endInput), start[i] as number);
  }
  return { start, end };
}

/** Per position its peer group's index, and each group's first position (plus n at the end). */
interface PeerGroups {
  readonly of: Int32Array;
  readonly first: number[];
}

function peerGroups(p: FramedPartition): PeerGroups {
  const of = new Int32Array(p.n);
  const first: number[] = [];
  for (let i = 0; i < p.n; i = p.peerEnd[i] as number) {
    for (let m = i; m < (p.peerEnd[i] as number); m++) of[m] = first.length;
    first.push(i);
  }
  first.push(p.n);
  return { of, first };
}

function position(
  mode: 'rows' | 'range' | 'groups',
  b: FrameBound,
  which: 'start' | 'end',
  i: number,
  p: FramedPartition,
  groups: PeerGroups | undefined,
  input: number,
): number {
  const n = p.n;
  const isStart = which === 'start';
  switch (b.kind) {
    case 'unbounded':
      return isStart ? 0 : n;
    case 'current_row':
      if (mode === 'rows') return isStart ? i : i + 1;
      return isStart ? (p.peerStart[i] as number) : (p.peerEnd[i] as number);
    case 'offset': {
      if (mode === 'rows') return clamp(isStart ? i + b.offset : i + b.offset + 1, n);
      const g = groups as PeerGroups;
      const target = (g.of[i] as number) + b.offset;
      const last = g.first.length - 1;
      if (isStart) return target < 0 ? 0 : target >= last ? n : (g.first[target] as number);
      return target < 0 ? 0 : target >= last ? n : (g.first[target + 1] as number);
    }
    case 'value': {
      const v = p.input(i, input);
      // First position whose key is past the bound (end) or not before it (start).
      return firstPosition(p, (j) => {
        const c = compareKeys(p.key(j), [v], p.order);
        return isStart ? c >= 0 : c > 0;
      });
    }
    default: {
      const never: never = b;
      throw new Error(`frame bound ${String(never)}`);
    }
  }
}

function clamp(x: number, n: number): number {
  return Math.max(0, Math.min(x, n));
}

/** The first position at which the (monotone) predicate holds; n if none. */
function firstPosition(p: FramedPartition, holds: (j: number) => boolean): number {
  let lo = 0;
  let hi = p.n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (holds(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function sessions(p: FramedPartition, start: Int32Array, end: Int32Array): void {
  let from = 0;
  for (let i = 1; i <= p.n; i++) {
    const split =
      i === p.n || compareKeys(p.key(i), [p.input(i - 1, 0)], p.order) >= 0 || p.key(i)[0] === null;
    if (!split) continue;
    start.fill(from, from, i);
    end.fill(i, from, i);
    from = i;
  }
}
