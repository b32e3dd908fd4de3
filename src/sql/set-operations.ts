/**
 * INTERSECT and EXCEPT (with or without ALL) as plans of the nodes every engine path has: both
 * sides tagged and grouped on all their columns (NULLs alike, as set operations compare rows),
 * each group counting its rows from either side; then
 * - INTERSECT: groups on both sides, EXCEPT: groups of the left side only — once each;
 * - INTERSECT ALL: min(left, right) copies, EXCEPT ALL: left − right copies, made by
 *   `generate_series(1, left)` cut at the right number.
 * So the incremental forms are the aggregate's and the filter's: a row leaving one side
 * retracts exactly the copies it accounted for.
 */
import { and, type BoundExpr, columnRef, literal } from './expr.ts';
import { resolveOperator } from './functions.ts';
import { countRows, type Plan, type PlanColumn } from './plan.ts';
import { T } from './types.ts';

export function intersectOrExcept(
  op: 'intersect' | 'except',
  all: boolean,
  left: Plan,
  right: Plan,
  columns: readonly PlanColumn[],
): Plan {
  const width = columns.length;
  const tagged = (p: Plan, fromLeft: boolean): Plan =>
    Object.freeze({
      kind: 'Project',
      input: p,
      exprs: [...columns.map((c, i) => columnRef(i, c.name, c.type)), literal(fromLeft, T.boolean)],
      columns: [...columns, { name: 'from_left', type: T.boolean }],
    });
  const side = columnRef(width, 'from_left', T.boolean);
  const notLeft = resolveOperator('=', side, literal(false, T.boolean), undefined);
  const grouped: Plan = Object.freeze({
    kind: 'Aggregate',
    input: Object.freeze({
      kind: 'UnionAll',
      inputs: [tagged(left, true), tagged(right, false)],
      columns: [...columns, { name: 'from_left', type: T.boolean }],
    }),
    groupKeys: columns.map((c, i) => columnRef(i, c.name, c.type)),
    aggregates: [countRows(side), countRows(notLeft)],
    columns: [...columns, { name: 'left', type: T.int8 }, { name: 'right', type: T.int8 }],
  });
  const l = columnRef(width, 'left', T.int8);
  const r = columnRef(width + 1, 'right', T.int8);
  const zero = literal(0, T.int8);
  const cmp = (o: string, a: BoundExpr, b: BoundExpr) => resolveOperator(o, a, b, undefined);
  let plan: Plan;
  if (!all) {
    const keep = and([cmp('>', l, zero), cmp(op === 'intersect' ? '>' : '=', r, zero)]);
    plan = Object.freeze({ kind: 'Filter', input: grouped, predicate: keep, columns: grouped.columns });
  } else {
    // One row per copy: n = 1 … left, kept while n ≤ right (INTERSECT) or n > right (EXCEPT).
    const copies: Plan = Object.freeze({
      kind: 'ProjectSet',
      input: grouped,
      functions: [{ fn: 'generate_series' as const, args: [literal(1, T.int8), l], type: T.int8 }],
      columns: [...grouped.columns, { name: 'n', type: T.int8 }],
    });
    const n = columnRef(width + 2, 'n', T.int8);
    plan = Object.freeze({
      kind: 'Filter',
      input: copies,
      predicate: cmp(op === 'intersect' ? '<=' : '>', n, r),
      columns: copies.columns,
    });
  }
  return Object.freeze({
    kind: 'Project',
    input: plan,
    exprs: columns.map((c, i) => columnRef(i, c.name, c.type)),
    columns,
  });
}
