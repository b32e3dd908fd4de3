import type { Filter, Plan } from '../plan.ts';

/**
 * A rewrite of a WHERE clause's Filter (its inputs already rewritten) into an equivalent,
 * cheaper plan. The rules see the Filters a WHERE clause made, not those of HAVING, of a
 * join's own condition or of a subquery's semi-join: the binder names them (`optimize`).
 */
export interface PlanRule {
  /** What `EXPLAIN (TRACE)` calls it. */
  readonly name: string;
  /** The plan replacing `filter`; undefined when the rule does not apply. */
  apply(filter: Filter): Plan | undefined;
}
