/**
 * Binder: a parsed query + a catalog → a typed logical plan (plan.ts) with bound
 * expressions (expr.ts). Names are resolved here (42P01, 42703, 42702), types decided
 * (42804, 42883 via functions.ts), grouping checked (42803), and constructs the streaming
 * engine cannot run are refused (0A000) with their position.
 *
 * The entry points are here; the binder itself is in layers, each a class over the one
 * before: scalar expressions (bind-expressions.ts), FROM (bind-from.ts), aggregates and
 * window functions (bind-aggregates.ts), SELECT (bind-select.ts); DML in bind-dml.ts. The
 * bound plan then goes through the optimizer's rules (optimizer/).
 */

import { Binder } from './bind-select.ts';
import type { Catalog, CatalogColumn } from './catalog.ts';
import type { BoundExpr } from './expr.ts';
import { type OptimizerTrace, optimize } from './optimizer/optimize.ts';
import type { BindParams } from './params.ts';
import type { Plan, PlanColumn } from './plan.ts';
import type { ExprAst, QueryAst } from './statement.ts';

export interface BoundQuery {
  /** The plan the optimizer's rules made of the bound one. */
  readonly plan: Plan;
  readonly columns: readonly PlanColumn[];
  /** The plan as bound and after each rule (`EXPLAIN (TRACE)`). */
  readonly trace: OptimizerTrace;
}

/**
 * Binds a query against the catalog into a logical plan. `params` bind `$n` (without them
 * `$n` is refused, 0A000); so do those of bindInsert, bindUpdate and bindDelete.
 */
export function bindQuery(query: QueryAst, catalog: Catalog, params?: BindParams): BoundQuery {
  const b = new Binder(catalog, query.script, query.offset, params, query.sessionGaps);
  const r = b.bindSelect(query.ast, undefined);
  const { plan, trace } = optimize(r.plan, b.whereFilters);
  return Object.freeze({ plan, columns: plan.columns, trace });
}

/** Binds a scalar expression over the given columns (watermark expressions, UPDATE/DELETE). */
export function bindExpression(
  expr: ExprAst,
  columns: readonly CatalogColumn[],
  catalog: Catalog,
): BoundExpr {
  const b = new Binder(catalog, expr.script);
  const scope = columns.map((c) => ({ name: c.name, table: undefined, type: c.type, hidden: false }));
  return b.bindExpr(expr.ast, b.plainCtx(scope, 'expression'));
}

export {
  type BoundDelete,
  type BoundInsert,
  type BoundUpdate,
  bindDelete,
  bindInsert,
  bindUpdate,
} from './bind-dml.ts';
