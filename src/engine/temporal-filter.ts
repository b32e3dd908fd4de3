/**
 * NOW() in a view. A view runs forever, so `NOW()` there means "the time as it passes", which
 * only one form expresses as RisingWave does: a temporal filter, a lower bound on a timestamp
 * column that moves with the clock — `col > NOW() - INTERVAL '7 days'` (also `>=`, the
 * operands swapped, `NOW()` alone or `+` an interval). Rows leave the view as the bound passes
 * them (the `Expire` operator). Anywhere else in a view, NOW() is refused with 0A000 rather
 * than frozen at the time each row happened to arrive.
 */
import { notSupported } from '../sql/errors.ts';
import { and, type BoundExpr, children } from '../sql/expr.ts';
import { intervalMicros } from '../sql/literals.ts';
import type { Interval } from '../sql/types.ts';

const CLOCKS: ReadonlySet<string> = new Set(['now', 'proctime']);

export interface TemporalBound {
  readonly column: number;
  /** Microseconds the bound lies behind the clock. */
  readonly offset: number;
  readonly inclusive: boolean;
}

export function readsClock(e: BoundExpr): boolean {
  return (e.kind === 'Call' && CLOCKS.has(e.fn)) || children(e).some(readsClock);
}

/** The conjuncts of a predicate. */
function conjuncts(e: BoundExpr): BoundExpr[] {
  return e.kind === 'And' ? e.args.flatMap(conjuncts) : [e];
}

/** A timestamp column, possibly cast to timestamptz for the comparison. */
function column(e: BoundExpr | undefined): number | undefined {
  if (e?.kind === 'ColumnRef') return e.index;
  if (e?.kind === 'Cast' && e.arg.kind === 'ColumnRef' && e.arg.type.name === 'timestamp') return e.arg.index;
  return undefined;
}

/** `NOW()`, `NOW() - interval` or `NOW() + interval`: how far behind the clock (µs). */
function clockOffset(e: BoundExpr | undefined): number | undefined {
  if (e?.kind === 'Cast') return clockOffset(e.arg);
  if (e?.kind !== 'Call') return undefined;
  if (CLOCKS.has(e.fn) && e.args.length === 0) return 0;
  const [a, b] = e.args;
  if ((e.fn !== '-' && e.fn !== '+') || b?.kind !== 'Literal' || clockOffset(a) !== 0) return undefined;
  const micros = intervalMicros(b.value as Interval);
  if (micros === undefined) return undefined;
  return e.fn === '-' ? micros : -micros;
}

const FLIPPED: Readonly<Record<string, string>> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

function bound(e: BoundExpr): TemporalBound | undefined {
  if (e.kind !== 'Call' || e.args.length !== 2) return undefined;
  let [l, r] = e.args;
  let op = e.fn;
  if (column(l) === undefined) {
    [l, r] = [r, l];
    op = FLIPPED[op] ?? op;
  }
  const col = column(l);
  const offset = clockOffset(r);
  if (col === undefined || offset === undefined || (op !== '>' && op !== '>=')) return undefined;
  return { column: col, offset, inclusive: op === '>=' };
}

/**
 * Splits a view's filter into its plain part and its temporal filters; NOW() anywhere else
 * raises 0A000.
 */
export function splitTemporal(predicate: BoundExpr): {
  plain: BoundExpr | undefined;
  temporal: TemporalBound[];
} {
  const plain: BoundExpr[] = [];
  const temporal: TemporalBound[] = [];
  for (const c of conjuncts(predicate)) {
    if (!readsClock(c)) {
      plain.push(c);
      continue;
    }
    const b = bound(c);
    if (b === undefined) throw clockInView();
    temporal.push(b);
  }
  return { plain: plain.length === 0 ? undefined : and(plain), temporal };
}

export function clockInView(): Error {
  return notSupported(
    "NOW() in a materialized view outside a temporal filter (WHERE col > NOW() - INTERVAL '…')",
  );
}
