/**
 * Rule: a cross join (an inner join without keys or condition, as `FROM a, b` binds) under a
 * WHERE that holds equalities across its sides becomes an equi-join on them: the join then
 * pairs rows by key instead of every row with every row. The other conjuncts stay above it.
 */

import { filtered, splitJoinCondition } from '../conjuncts.ts';
import type { Filter, Plan } from '../plan.ts';
import type { PlanRule } from './rule.ts';

export const crossJoinToEquiJoin: PlanRule = {
  name: 'cross join to equi-join',
  apply(filter: Filter): Plan | undefined {
    const join = filter.input;
    if (join.kind !== 'Join' || join.joinType !== 'inner' || join.leftKeys.length > 0) return undefined;
    if (join.residual !== undefined) return undefined;
    const split = splitJoinCondition([filter.predicate], join.left.columns.length, join.columns.length);
    if (split.leftKeys.length === 0) return undefined;
    const keyed = Object.freeze({ ...join, leftKeys: split.leftKeys, rightKeys: split.rightKeys });
    return filtered(keyed, split.residual === undefined ? [] : [split.residual]);
  },
};
