/**
 * GROUPING SETS, ROLLUP and CUBE: a GROUP BY clause expanded into its grouping sets (each a
 * list of key expressions), and the plan that computes them — one aggregate per set over the
 * same input (one operator, as equal subplans share), each padded to all the keys with NULL
 * for the keys it does not group by, with its set's bit mask (`grouping id`: a bit per key,
 * the first key the highest, set when the key is not grouped), all of them in one UNION ALL.
 * Its columns are those of a plain aggregate over all keys, then the grouping id.
 */
import type { Node } from 'libpg-query';
import { type BoundExpr, columnRef, literal } from './expr.ts';
import type { AggregateCall, Plan, PlanColumn } from './plan.ts';
import { T } from './types.ts';

/** The grouping sets of a GROUP BY clause; undefined when it has no GROUPING SETS/ROLLUP/CUBE. */
export function expandGroupingSets(clause: readonly Node[]): Node[][] | undefined {
  if (!clause.some((g) => 'GroupingSet' in g)) return undefined;
  let sets: Node[][] = [[]];
  for (const item of clause) {
    const own = itemSets(item);
    sets = sets.flatMap((s) => own.map((o) => [...s, ...o]));
  }
  return sets;
}

/** `(a, b)` is the two keys a and b. */
function keysOf(n: Node): Node[] {
  if ('RowExpr' in n) return n.RowExpr.args ?? [];
  if ('GroupingSet' in n && n.GroupingSet.kind === 'GROUPING_SET_SIMPLE') return n.GroupingSet.content ?? [];
  if ('GroupingSet' in n && n.GroupingSet.kind === 'GROUPING_SET_EMPTY') return [];
  return [n];
}

function itemSets(n: Node): Node[][] {
  if (!('GroupingSet' in n)) return [keysOf(n)];
  const g = n.GroupingSet;
  const content = g.content ?? [];
  switch (g.kind) {
    case 'GROUPING_SET_EMPTY':
    case 'GROUPING_SET_SIMPLE':
      return [keysOf(n)];
    case 'GROUPING_SET_ROLLUP': {
      const parts = content.map(keysOf);
      const out: Node[][] = [];
      for (let k = parts.length; k >= 0; k--) out.push(parts.slice(0, k).flat());
      return out;
    }
    case 'GROUPING_SET_CUBE': {
      const parts = content.map(keysOf);
      const out: Node[][] = [];
      for (let mask = (1 << parts.length) - 1; mask >= 0; mask--)
        out.push(parts.filter((_, i) => (mask & (1 << (parts.length - 1 - i))) !== 0).flat());
      return out;
    }
    case 'GROUPING_SET_SETS':
      return content.flatMap(itemSets);
    default:
      return [keysOf(n)];
  }
}

/** The plan of the grouping sets `sets` (indexes into `keys`) over `input`. */
export function groupingSetsPlan(
  input: Plan,
  keys: readonly BoundExpr[],
  keyColumns: readonly PlanColumn[],
  sets: readonly (readonly number[])[],
  aggregates: readonly AggregateCall[],
  aggregateColumns: readonly PlanColumn[],
): Plan {
  const gid: PlanColumn = { name: 'grouping', type: T.int4 };
  const columns = [...keyColumns, ...aggregateColumns, gid];
  const inputs = sets.map((set): Plan => {
    const aggregate: Plan = Object.freeze({
      kind: 'Aggregate',
      input,
      groupKeys: set.map((k) => keys[k] as BoundExpr),
      aggregates,
      columns: [...set.map((k) => keyColumns[k] as PlanColumn), ...aggregateColumns],
    });
    let mask = 0;
    keys.forEach((_, k) => {
      if (!set.includes(k)) mask |= 1 << (keys.length - 1 - k);
    });
    const exprs: BoundExpr[] = [
      ...keyColumns.map((c, k) => {
        const at = set.indexOf(k);
        return at < 0 ? literal(null, c.type) : columnRef(at, c.name, c.type);
      }),
      ...aggregateColumns.map((c, i) => columnRef(set.length + i, c.name, c.type)),
      literal(mask, T.int4),
    ];
    return Object.freeze({ kind: 'Project', input: aggregate, exprs, columns });
  });
  return Object.freeze({ kind: 'UnionAll', inputs, columns });
}

/**
 * `grouping(a, b, …)`: a bit per argument (the first the highest), set when that key is not
 * grouped in the row's set — read from the grouping id, where key k is bit n−1−k.
 */
export function groupingBits(
  argKeys: readonly number[],
  keyCount: number,
  gid: BoundExpr,
  arithmetic: (op: string, l: BoundExpr, r: BoundExpr) => BoundExpr,
): BoundExpr {
  const int = (n: number) => literal(n, T.int4);
  let out: BoundExpr = int(0);
  argKeys.forEach((k, j) => {
    const bit = arithmetic('%', arithmetic('/', gid, int(2 ** (keyCount - 1 - k))), int(2));
    out = arithmetic('+', out, arithmetic('*', bit, int(2 ** (argKeys.length - 1 - j))));
  });
  return out;
}
