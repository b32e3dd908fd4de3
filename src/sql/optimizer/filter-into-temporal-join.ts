/**
 * Rule: a WHERE over an inner process-time temporal join becomes the join's own condition.
 * The join keeps what each left row met, so that its retraction takes back exactly that; with
 * the WHERE inside, a left row the WHERE refuses meets nothing, and the join keeps nothing for
 * it. A detection's rule is such a join under its threshold (`count >= t.value`): nearly every
 * group's change fails it. The rows that come out are the same: the condition is tested on
 * the same joined row, once, at the left row's insertion, and its retraction takes back what
 * passed. A conjunct over the left side only, when that side is such a join too (a rule's
 * thresholds joined one after the other), goes into that one. A conjunct that reads the clock
 * stays above the join: it is a temporal filter, with a state of its own.
 */

import { conjuncts, filtered } from '../conjuncts.ts';
import { and, type BoundExpr, children, columnsUsed } from '../expr.ts';
import type { Filter, Join, Plan } from '../plan.ts';
import type { PlanRule } from './rule.ts';

const CLOCKS: ReadonlySet<string> = new Set(['now', 'proctime']);

function readsClock(e: BoundExpr): boolean {
  return (e.kind === 'Call' && CLOCKS.has(e.fn)) || children(e).some(readsClock);
}

function isInnerTemporalJoin(p: Plan): p is Join {
  return p.kind === 'Join' && p.processTime === true && p.joinType === 'inner';
}

/** `join` with `conds` (over its output) in its condition, those over its left side in that side's when it can. */
function withCondition(join: Join, conds: readonly BoundExpr[]): Join {
  let left = join.left;
  let here = conds;
  if (isInnerTemporalJoin(left)) {
    const width = left.columns.length;
    const leftOnly = (c: BoundExpr) => [...columnsUsed(c)].every((i) => i < width);
    const down = conds.filter(leftOnly);
    if (down.length > 0) {
      left = withCondition(left, down);
      here = conds.filter((c) => !leftOnly(c));
    }
  }
  if (here.length === 0 && left === join.left) return join;
  const residual =
    here.length === 0
      ? join.residual
      : and([...(join.residual === undefined ? [] : [join.residual]), ...here]);
  return Object.freeze({ ...join, left, residual });
}

export const filterIntoTemporalJoin: PlanRule = {
  name: 'filter into temporal join',
  apply(filter: Filter): Plan | undefined {
    const join = filter.input;
    if (!isInnerTemporalJoin(join)) return undefined;
    const all = conjuncts(filter.predicate);
    const inside = all.filter((c) => !readsClock(c));
    if (inside.length === 0) return undefined;
    return filtered(
      withCondition(join, inside),
      all.filter((c) => readsClock(c)),
    );
  },
};
