/**
 * A window definition's frame (libpg-query's `frameOptions` bits with its offsets, or
 * RisingWave's `SESSION WITH GAP g` cut out by the parser) bound into a `WindowFrame`.
 *
 * ROWS and GROUPS offsets are constant non-negative counts. A RANGE offset (and a session
 * gap) is a constant of the ORDER BY column's type — an interval for timestamps — and
 * becomes the expression of the ORDER BY value the frame reaches from each row: `key - n`
 * for an ascending PRECEDING bound, `key + n` for FOLLOWING (the other way round descending).
 */
import type { Node, WindowDef } from 'libpg-query';
import { notSupported, type Place, SqlError } from './errors.ts';
import { type BoundExpr, exprEquals } from './expr.ts';
import { coerce, resolveOperator } from './functions.ts';
import { defaultFrame, type FrameBound, type SortKey, type WindowFrame } from './plan.ts';
import { isInteger, isTimestamp, T } from './types.ts';

// FRAMEOPTION_* of PostgreSQL's parsenodes.h.
const NONDEFAULT = 0x1;
const ROWS = 0x4;
const GROUPS = 0x8;
const START_UNBOUNDED_PRECEDING = 0x20;
const END_UNBOUNDED_FOLLOWING = 0x100;
const START_CURRENT_ROW = 0x200;
const END_CURRENT_ROW = 0x400;
const START_OFFSET_PRECEDING = 0x800;
const END_OFFSET_PRECEDING = 0x1000;
const START_OFFSET_FOLLOWING = 0x2000;
const END_OFFSET_FOLLOWING = 0x4000;
const EXCLUSION = 0x8000 | 0x10000 | 0x20000;

/** What binding a frame needs of the binder. */
export interface FrameBinding {
  /** Binds a frame offset (no columns in scope). */
  readonly bindConstant: (n: Node) => BoundExpr;
  readonly place: (offset: number | undefined) => Place;
}

/** The frame of `over` (a session frame when `sessionGap` is given) over its ORDER BY keys. */
export function bindWindowFrame(
  over: WindowDef,
  orderBy: readonly SortKey[],
  sessionGap: Node | undefined,
  b: FrameBinding,
): WindowFrame {
  const loc = over.location ?? -1;
  if (sessionGap !== undefined) return bindSessionFrame(sessionGap, orderBy, loc, b);
  const options = over.frameOptions ?? 0;
  if ((options & NONDEFAULT) === 0) return defaultFrame;
  if ((options & EXCLUSION) !== 0) throw notSupported('EXCLUDE in a window frame', b.place(loc));
  const mode = (options & ROWS) !== 0 ? 'rows' : (options & GROUPS) !== 0 ? 'groups' : 'range';
  if (mode === 'groups' && orderBy.length === 0)
    throw new SqlError('42P20', 'GROUPS mode requires an ORDER BY clause', b.place(loc).offset + 1);
  const bound = (which: 'start' | 'end'): FrameBound => {
    const s = which === 'start';
    if ((options & (s ? START_UNBOUNDED_PRECEDING : END_UNBOUNDED_FOLLOWING)) !== 0)
      return { kind: 'unbounded' };
    if ((options & (s ? START_CURRENT_ROW : END_CURRENT_ROW)) !== 0) return { kind: 'current_row' };
    const preceding = (options & (s ? START_OFFSET_PRECEDING : END_OFFSET_PRECEDING)) !== 0;
    const following = (options & (s ? START_OFFSET_FOLLOWING : END_OFFSET_FOLLOWING)) !== 0;
    const node = s ? over.startOffset : over.endOffset;
    if ((!preceding && !following) || node === undefined)
      // The grammar allows no other start; an end left out is CURRENT ROW.
      return { kind: 'current_row' };
    if (mode !== 'range') return { kind: 'offset', offset: countOffset(node, which, preceding, b) };
    return { kind: 'value', value: rangeBound(node, orderBy, preceding, loc, b) };
  };
  return Object.freeze({ mode, start: bound('start'), end: bound('end') });
}

function countOffset(node: Node, which: 'start' | 'end', preceding: boolean, b: FrameBinding): number {
  const place = b.place(locationOf(node));
  const v = constant(coerce(b.bindConstant(node), T.int8, place, 'argument of ROWS'), place);
  if (v === null)
    throw new SqlError('22004', `frame ${which === 'start' ? 'starting' : 'ending'} offset must not be null`);
  const n = Number(v);
  if (n < 0)
    throw new SqlError(
      '22013',
      `frame ${which === 'start' ? 'starting' : 'ending'} offset must not be negative`,
    );
  return preceding ? -n : n;
}

/** `key ∓ offset`: the ORDER BY value a RANGE bound reaches from a row. */
function rangeBound(
  node: Node,
  orderBy: readonly SortKey[],
  preceding: boolean,
  loc: number,
  b: FrameBinding,
): BoundExpr {
  const key = orderBy[0];
  if (orderBy.length !== 1 || key === undefined)
    throw new SqlError(
      '42P20',
      'RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column',
      b.place(loc).offset + 1,
    );
  const offset = offsetFor(key, node, b);
  const v = offset.kind === 'Literal' ? offset.value : undefined;
  if (v === null) throw new SqlError('22004', 'invalid preceding or following size in window function');
  if (isNegative(v)) throw new SqlError('22013', 'invalid preceding or following size in window function');
  const subtract = preceding !== key.descending;
  return resolveOperator(subtract ? '-' : '+', key.expr, offset, b.place(locationOf(node)));
}

function bindSessionFrame(gap: Node, orderBy: readonly SortKey[], loc: number, b: FrameBinding): WindowFrame {
  const key = orderBy[0];
  if (orderBy.length !== 1 || key === undefined || key.descending)
    throw notSupported('a session frame without exactly one ascending ORDER BY column', b.place(loc));
  const offset = offsetFor(key, gap, b);
  const v = offset.kind === 'Literal' ? offset.value : undefined;
  if (v === null || isNegative(v))
    throw new SqlError('22023', 'session gap should be non-negative', b.place(locationOf(gap)).offset + 1);
  return Object.freeze({
    mode: 'session',
    next: resolveOperator('+', key.expr, offset, b.place(locationOf(gap))),
  });
}

/** The offset as a constant of the type the ORDER BY key moves by. */
function offsetFor(key: SortKey, node: Node, b: FrameBinding): BoundExpr {
  const place = b.place(locationOf(node));
  const t = key.expr.type;
  const numeric = isInteger(t) || t.name === 'numeric' || t.name === 'float4' || t.name === 'float8';
  if (!numeric && !isTimestamp(t)) throw notSupported(`a RANGE or session offset over ${t.name}`, place);
  const e = coerce(b.bindConstant(node), isTimestamp(t) ? T.interval : t, place, 'frame offset');
  constant(e, place);
  return e;
}

function constant(e: BoundExpr, place: Place): unknown {
  if (e.kind !== 'Literal') throw notSupported('a frame offset that is not a constant', place);
  return e.value;
}

function isNegative(v: unknown): boolean {
  if (typeof v === 'number' || typeof v === 'bigint') return v < 0;
  if (typeof v === 'object' && v !== null) {
    if ('months' in v) {
      const iv = v as { months: number; days: number; micros: number };
      return iv.months < 0 || iv.days < 0 || iv.micros < 0;
    }
    if ('coef' in v) return (v as { coef: bigint }).coef < 0n;
  }
  return false;
}

function locationOf(n: Node): number | undefined {
  const inner = Object.values(n)[0] as { location?: number } | undefined;
  return inner?.location;
}

export function frameEquals(a: WindowFrame, b: WindowFrame): boolean {
  if (a.mode === 'session' || b.mode === 'session')
    return a.mode === 'session' && b.mode === 'session' && exprEquals(a.next, b.next);
  return a.mode === b.mode && boundEquals(a.start, b.start) && boundEquals(a.end, b.end);
}

function boundEquals(a: FrameBound, b: FrameBound): boolean {
  if (a.kind === 'offset') return b.kind === 'offset' && a.offset === b.offset;
  if (a.kind === 'value') return b.kind === 'value' && exprEquals(a.value, b.value);
  return a.kind === b.kind;
}
