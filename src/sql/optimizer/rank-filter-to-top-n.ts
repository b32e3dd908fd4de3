/**
 * Rule: a WHERE conjunct `rank <= N` (or `< N`, `= 1`) over a ROW_NUMBER / RANK / DENSE_RANK
 * window — possibly under projections and a sort — becomes a TopN of each partition: the
 * window is never computed for rows past N.
 */

import { conjuncts, filtered } from '../conjuncts.ts';
import type { BoundExpr, ColumnRef } from '../expr.ts';
import type { Filter, Plan } from '../plan.ts';
import type { PlanRule } from './rule.ts';

export const rankFilterToTopN: PlanRule = {
  name: 'rank filter to TopN',
  apply(filter: Filter): Plan | undefined {
    let plan = filter.input;
    const rest: BoundExpr[] = [];
    for (const c of conjuncts(filter.predicate)) {
      const limit = rankLimit(c);
      const rewritten = limit === undefined ? undefined : toTopN(plan, limit.column, limit.n);
      if (rewritten !== undefined) plan = rewritten;
      else rest.push(c);
    }
    return plan === filter.input ? undefined : filtered(plan, rest);
  },
};

/** The column and the N of a `column <= N` conjunct (and its equivalents); undefined for any other. */
function rankLimit(c: BoundExpr): { column: number; n: number } | undefined {
  if (c.kind !== 'Call' || c.args.length !== 2) return undefined;
  const [a, b] = c.args as [BoundExpr, BoundExpr];
  const lit = (e: BoundExpr) =>
    e.kind === 'Literal' && typeof e.value === 'number'
      ? e.value
      : e.kind === 'Cast' && e.arg.kind === 'Literal' && typeof e.arg.value === 'number'
        ? e.arg.value
        : undefined;
  let col: ColumnRef | undefined;
  let n: number | undefined;
  let op = c.fn;
  if (a.kind === 'ColumnRef' && lit(b) !== undefined) {
    col = a;
    n = lit(b);
  } else if (b.kind === 'ColumnRef' && lit(a) !== undefined) {
    col = b;
    n = lit(a);
    op = ({ '<': '>', '<=': '>=', '>': '<', '>=': '<=', '=': '=' } as Record<string, string>)[op] ?? op;
  }
  if (col === undefined || n === undefined || !Number.isInteger(n)) return undefined;
  if (op === '<=') return { column: col.index, n };
  if (op === '<') return { column: col.index, n: n - 1 };
  if (op === '=' && n === 1) return { column: col.index, n: 1 };
  return undefined;
}

/** The plan with the window of `column` made a TopN of `n` rows; undefined when it cannot be. */
function toTopN(plan: Plan, column: number, n: number): Plan | undefined {
  switch (plan.kind) {
    case 'Project': {
      const e = plan.exprs[column];
      if (e === undefined || e.kind !== 'ColumnRef') return undefined;
      const input = toTopN(plan.input, e.index, n);
      return input === undefined ? undefined : Object.freeze({ ...plan, input });
    }
    case 'Sort': {
      const input = toTopN(plan.input, column, n);
      return input === undefined ? undefined : Object.freeze({ ...plan, input });
    }
    case 'Window': {
      const base = plan.input.columns.length;
      const fn = plan.functions[column - base];
      if (fn === undefined || plan.functions.length !== 1) return undefined;
      if (fn.fn !== 'row_number' && fn.fn !== 'rank' && fn.fn !== 'dense_rank') return undefined;
      return Object.freeze({
        kind: 'TopN',
        input: plan.input,
        partitionBy: plan.partitionBy,
        orderBy: plan.orderBy,
        limit: Math.max(n, 0),
        offset: 0,
        rankFunction: fn.fn,
        columns: plan.columns,
      });
    }
    default:
      return undefined;
  }
}
