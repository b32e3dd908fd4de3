/**
 * The optimizer: rules run one after the other over a bound plan, each over the whole tree
 * (inputs before the nodes over them), so that `EXPLAIN (TRACE)` can show the plan as bound
 * and after each rule.
 */

import { composesWithInput, type Plan, planInputs, project, withInputs } from '../plan.ts';
import { crossJoinToEquiJoin } from './cross-join-to-equi-join.ts';
import { filterIntoTemporalJoin } from './filter-into-temporal-join.ts';
import { rankFilterToTopN } from './rank-filter-to-top-n.ts';
import type { PlanRule } from './rule.ts';

/** The rules, in the order they run. */
export const RULES: readonly PlanRule[] = [rankFilterToTopN, crossJoinToEquiJoin, filterIntoTemporalJoin];

/** A plan as bound, and as each rule left it. */
export interface OptimizerTrace {
  readonly bound: Plan;
  readonly steps: readonly { readonly rule: string; readonly plan: Plan }[];
}

/**
 * Runs the rules over `plan`. `whereFilters` are the Filters of WHERE clauses, the only ones
 * the rules rewrite; a Filter a rule leaves in place of one is a WHERE filter too.
 */
export function optimize(
  plan: Plan,
  whereFilters: ReadonlySet<Plan>,
  rules: readonly PlanRule[] = RULES,
): { plan: Plan; trace: OptimizerTrace } {
  const marked = new Set(whereFilters);
  const steps: { rule: string; plan: Plan }[] = [];
  let p = plan;
  for (const rule of rules) {
    p = rewrite(p, rule, marked);
    steps.push({ rule: rule.name, plan: p });
  }
  return { plan: p, trace: { bound: plan, steps } };
}

function rewrite(p: Plan, rule: PlanRule, marked: Set<Plan>): Plan {
  const inputs = planInputs(p).map((i) => rewrite(i, rule, marked));
  let node = withInputs(p, inputs);
  // As `project` over the rewritten input would have made it when bound (a Project below composed into it).
  if (node !== p && composesWithInput(p)) node = project(inputs[0] as Plan, p.exprs, p.columns);
  if (node !== p && marked.has(p)) marked.add(node);
  if (node.kind !== 'Filter' || !marked.has(node)) return node;
  const out = rule.apply(node);
  if (out === undefined) return node;
  if (out.kind === 'Filter') marked.add(out);
  return out;
}
