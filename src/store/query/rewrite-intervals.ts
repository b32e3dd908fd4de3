/**
 * Interval arithmetic in ad-hoc queries: `*` and `/` between an interval and a number, and
 * the aggregates sum and avg of intervals, become calls of the JavaScript functions of
 * interval-functions.ts, which compute as PostgreSQL does. sum and avg take DuckDB's `list`
 * of the values, so DISTINCT, FILTER, ORDER BY and OVER stay as written:
 * `avg(iv) FILTER (WHERE f)` → `tw_interval_avg(list(iv) FILTER (WHERE f))`.
 */
import type { Span } from './extent.ts';
import { asNode, type Fields, list, namesOf } from './pg-tree.ts';
import { extentOf, operatorAsCall, type RewriteContext } from './rewrite-context.ts';

const aggregates: Readonly<Record<string, string>> = { sum: 'tw_interval_sum', avg: 'tw_interval_avg' };

/** Whether an expression is an interval in PostgreSQL, as far as its form or the inference tells. */
function isInterval(ctx: RewriteContext, n: unknown): boolean {
  if (ctx.typeOf(n)?.name === 'interval') return true;
  const node = asNode(n);
  if (node?.kind === 'TypeCast') {
    const names = namesOf((node.fields.typeName as Fields | undefined)?.names) ?? [];
    return names[names.length - 1] === 'interval';
  }
  if (node?.kind === 'ColumnRef') {
    const names = namesOf(node.fields.fields) ?? [];
    return ctx.columnTypes.get(names[names.length - 1] ?? '')?.name === 'interval';
  }
  return false;
}

/**
 * `iv * n`, `n * iv` or `iv / n` (`f`, its operator at `opSpan`): true when rewritten. The
 * other operand is a number: PostgreSQL multiplies and divides an interval by nothing else.
 */
export function rewriteIntervalOperator(ctx: RewriteContext, f: Fields, op: string, opSpan: Span): boolean {
  if (f.kind !== 'AEXPR_OP' || f.lexpr === undefined || (op !== '*' && op !== '/')) return false;
  let fn: string | undefined;
  if (isInterval(ctx, f.lexpr)) fn = op === '*' ? 'tw_interval_mul' : 'tw_interval_div';
  else if (op === '*' && isInterval(ctx, f.rexpr)) fn = 'tw_mul_interval';
  if (fn === undefined) return false;
  operatorAsCall(ctx, f, fn, opSpan);
  return true;
}

/** sum or avg of an interval (its name written at `written`): true when rewritten. */
export function rewriteIntervalAggregate(
  ctx: RewriteContext,
  f: Fields,
  name: string,
  written: Span,
): boolean {
  const fn = aggregates[name];
  const args = list(f.args);
  if (fn === undefined || args.length !== 1 || !isInterval(ctx, args[0])) return false;
  const whole = extentOf(ctx, { FuncCall: f });
  ctx.edits.replace(written.start, written.end, 'list');
  ctx.edits.wrap(whole.start, whole.end, `${fn}(`, ')');
  return true;
}
