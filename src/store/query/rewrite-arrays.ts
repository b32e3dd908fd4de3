/**
 * Array operators in ad-hoc queries where DuckDB's differ from PostgreSQL's: `@>` and `<@`
 * (DuckDB's skip NULL elements; macros matching PostgreSQL's, session-setup.ts), `||` between
 * an array and an element (`list_append`/`list_prepend`; DuckDB's `||` only joins two lists,
 * and a NULL list with a list gives the list as in PostgreSQL with `list_concat`), and
 * `x op ANY/ALL (array)`, NULL for a NULL array where DuckDB answers false or true.
 */

import type { SqlType } from '../../sql/types.ts';
import { duckTypeOfSql } from './duck-values.ts';
import type { Span } from './extent.ts';
import { type Fields, isParam, stringConstant } from './pg-tree.ts';
import { extentOf, operatorAsCall, type RewriteContext, typeParam } from './rewrite-context.ts';

const containment: Readonly<Record<string, string>> = {
  '@>': 'tw_array_contains',
  '<@': 'tw_array_contained',
};

function isArray(ctx: RewriteContext, n: unknown): boolean {
  return ctx.typeOf(n)?.name === 'array';
}

/** A parameter beside an array in `l || r`: an array of its type (PostgreSQL's unknown). */
function arrayParam(ctx: RewriteContext, f: Fields): { node: unknown; type: SqlType } | undefined {
  for (const [param, other] of [
    [f.lexpr, f.rexpr],
    [f.rexpr, f.lexpr],
  ]) {
    const type = ctx.typeOf(other);
    if (isParam(param) && type?.name === 'array') return { node: param, type };
  }
  return undefined;
}

/** The function `l || r` becomes, when one side is an array. */
function concatenation(ctx: RewriteContext, f: Fields): string | undefined {
  const [l, r] = [isArray(ctx, f.lexpr), isArray(ctx, f.rexpr)];
  if (l && r) return 'list_concat';
  if (arrayParam(ctx, f) !== undefined) return 'list_concat';
  // an untyped string beside an array is PostgreSQL's array text, not an element
  if (stringConstant(f.lexpr) !== undefined || stringConstant(f.rexpr) !== undefined) return undefined;
  return l ? 'list_append' : r ? 'list_prepend' : undefined;
}

/** Rewrites `f` when it is an array operator DuckDB answers otherwise: true when done. */
export function rewriteArrayOperator(ctx: RewriteContext, f: Fields, op: string, opSpan: Span): boolean {
  if (f.lexpr === undefined) return false;
  if (f.kind === 'AEXPR_OP_ANY' || f.kind === 'AEXPR_OP_ALL') {
    if (!isArray(ctx, f.rexpr)) return false;
    const whole = extentOf(ctx, { A_Expr: f });
    const r = extentOf(ctx, f.rexpr);
    ctx.edits.replace(
      whole.start,
      whole.end,
      (render) =>
        `(CASE WHEN (${render(r.start, r.end)}) IS NULL THEN NULL ELSE ${render(whole.start, whole.end)} END)`,
    );
    return true;
  }
  if (f.kind !== 'AEXPR_OP') return false;
  const fn =
    containment[op] !== undefined && (isArray(ctx, f.lexpr) || isArray(ctx, f.rexpr))
      ? containment[op]
      : op === '||'
        ? concatenation(ctx, f)
        : undefined;
  if (fn === undefined) return false;
  operatorAsCall(ctx, f, fn, opSpan);
  const param = op === '||' ? arrayParam(ctx, f) : undefined;
  if (param !== undefined) typeParam(ctx, param.node, duckTypeOfSql(param.type).toString());
  return true;
}
