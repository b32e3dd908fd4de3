/**
 * Batch queries: a SELECT (or an INSERT's rows) run over the committed snapshot of the
 * relations it reads, by compiling its plan into a temporary dataflow of its own.
 */

import { undefinedTable } from '../sql/errors.ts';
import type { Plan, SortKey as PlanSortKey, Project } from '../sql/plan.ts';
import { chunk, type WeightedRow } from '../stream/chunk.ts';
import { Dataflow } from '../stream/graph.ts';
import type { Operator } from '../stream/operator.ts';
import { Materialize } from '../stream/operators/materialize.ts';
import { compareValues, type Row, type Value } from '../stream/value.ts';
import { compilePlan } from './compile-plan.ts';
import { compileExpr } from './eval/compile.ts';
import type { EvalOptions } from './eval/functions/registry.ts';

/** What a batch query reads of the engine. */
export interface BatchContext {
  /** The wall clock in milliseconds: NOW() of the statement. */
  readonly now: () => number;
  /** Whether a relation exists (system views included). */
  readonly exists: (relation: string) => boolean;
  /** Rows of a system view, computed now; undefined for any other name. */
  readonly systemRows: (relation: string) => Row[] | undefined;
  /** Content of a table or view as of the last barrier. */
  readonly committed: (relation: string) => Iterable<WeightedRow>;
}

/**
 * Runs a query plan over the committed snapshot in a temporary dataflow. A presentation
 * order (ORDER BY at the top, possibly under the SELECT list's projections) is applied
 * to the result: the ordered sub-plan runs, its rows are sorted, then projected.
 */
export function runQuery(plan: Plan, ctx: BatchContext): Row[] {
  // NOW() is the statement's time, the same in every row and every part of the query.
  const statementTime = ctx.now() * 1000;
  const options = { now: () => statementTime };
  const projections: Project[] = [];
  let p = plan;
  while (p.kind === 'Project') {
    projections.push(p);
    p = p.input;
  }
  const order = presentationOrder(p);
  if (order === undefined) return evaluate(plan, options, ctx);
  const rows = evaluate(p, options, ctx).sort(order);
  if (projections.length === 0) return rows;
  const steps = projections.reverse().map((pr) => pr.exprs.map((e) => compileExpr(e, options)));
  return rows.map((row) => {
    let r: Row = row;
    for (const fs of steps) {
      const input = r;
      r = fs.map((f) => f(input) as Value);
    }
    return r;
  });
}

function evaluate(plan: Plan, options: EvalOptions, ctx: BatchContext): Row[] {
  let oneOff = 0; // names in this query's own dataflow: the engine's counter stays catalog-only
  const g = new Dataflow();
  const feeds = new Map<string, Operator>();
  const compiled = compilePlan(plan, {
    graph: g,
    eval: options,
    upstream: (relation) => {
      let s = feeds.get(relation);
      if (s === undefined) {
        if (!ctx.exists(relation)) throw undefinedTable(relation);
        s = g.source(relation);
        feeds.set(relation, s);
      }
      return s;
    },
    uniqueName: (base) => `${base}#${++oneOff}`,
  });
  const mat = g.add(new Materialize('result'), compiled.output);
  for (const relation of feeds.keys()) {
    const system = ctx.systemRows(relation);
    if (system !== undefined) {
      if (system.length > 0) g.push(relation, system);
      continue;
    }
    const rows: Row[] = [];
    const weights: number[] = [];
    for (const e of ctx.committed(relation)) {
      rows.push(e.row);
      weights.push(e.weight);
    }
    if (rows.length > 0) g.push(relation, chunk(rows, weights));
  }
  for (const c of compiled.constants) g.push(c.source, c.rows);
  g.barrier();
  for (const { stats } of g.stats()) if (stats.lastError !== undefined) throw stats.lastError;
  return mat.rows();
}

/** The ORDER BY of a query's top (through LIMIT), as a row comparator over its output. */
function presentationOrder(p: Plan): ((a: Row, b: Row) => number) | undefined {
  let sortKeys: readonly PlanSortKey[];
  if (p.kind === 'Sort') sortKeys = p.keys;
  else if (p.kind === 'Limit' && p.input.kind === 'Sort') sortKeys = p.input.keys;
  else if (p.kind === 'TopN' && p.partitionBy.length === 0 && p.rankFunction === undefined)
    sortKeys = p.orderBy;
  else return undefined;
  const keys = sortKeys.map((k) => ({
    f: compileExpr(k.expr),
    desc: k.descending,
    nullsFirst: k.nullsFirst,
  }));
  return (a, b) => {
    for (const k of keys) {
      const x = k.f(a) as Value;
      const y = k.f(b) as Value;
      if (x === null || y === null) {
        if (x === y) continue;
        return (x === null) === k.nullsFirst ? -1 : 1;
      }
      const c = compareValues(x, y);
      if (c !== 0) return k.desc ? -c : c;
    }
    return 0;
  };
}

/** Rows repeated by their multiplicity. */
export function expand(entries: Iterable<WeightedRow>): Row[] {
  const out: Row[] = [];
  for (const e of entries) for (let i = 0; i < e.weight; i++) out.push(e.row);
  return out;
}
