/**
 * real (float4) in ad-hoc queries. The store keeps a real as DuckDB's FLOAT, and DuckDB, like
 * PostgreSQL, computes in float4 when reals meet each other. Where a real meets another number,
 * DuckDB still computes in float4 (`r * 2`, `r + 1.5`, `r = 1.1` are FLOAT there) while
 * PostgreSQL converts the real to double precision: the real operand is cast to DOUBLE. An IN
 * list of constants compares in the type common to them and the left side, which is real for a
 * real among integers and numerics (there DuckDB would compare doubles): those are cast to FLOAT.
 * sum(real) is a real in PostgreSQL and a DOUBLE in DuckDB: it is cast to FLOAT.
 */
import { type Fields, fieldsIf, list, stringConstant } from './pg-tree.ts';
import { extentOf, type RewriteContext } from './rewrite-context.ts';

const operators = new Set(['+', '-', '*', '/', '%', '=', '<>', '!=', '<', '>', '<=', '>=']);
const otherNumbers = new Set(['int2', 'int4', 'int8', 'numeric', 'float8']);

function isReal(ctx: RewriteContext, n: unknown): boolean {
  return ctx.typeOf(n)?.name === 'float4';
}

/** A number of another type than real (an untyped constant takes the real's type instead). */
function isOtherNumber(ctx: RewriteContext, n: unknown): boolean {
  return stringConstant(n) === undefined && otherNumbers.has(ctx.typeOf(n)?.name ?? '');
}

/** Whether an expression reads a column anywhere in it. */
function readsColumn(n: unknown): boolean {
  if (n === null || typeof n !== 'object') return false;
  if (Array.isArray(n)) return n.some(readsColumn);
  return Object.entries(n).some(([k, v]) => k === 'ColumnRef' || readsColumn(v));
}

function cast(ctx: RewriteContext, n: unknown, duck: 'DOUBLE' | 'FLOAT'): void {
  const span = extentOf(ctx, n);
  ctx.edits.wrap(span.start, span.end, 'CAST(', ` AS ${duck})`);
}

/** `f`, an A_Expr: its reals and other numbers compared or computed with in PostgreSQL's type. */
export function rewriteRealOperands(ctx: RewriteContext, f: Fields, op: string): void {
  const items = list(fieldsIf(f.rexpr, 'List')?.items ?? f.rexpr);
  if (f.kind === 'AEXPR_IN' && items.length > 1) {
    // a list of constants compares in the type common to it and the left side (PostgreSQL
    // compares an item that reads a column by its own `=`): a real beside integers and numerics
    const operands = [f.lexpr, ...items];
    if (
      items.some(readsColumn) ||
      !operands.some((n) => isReal(ctx, n)) ||
      operands.some((n) => ctx.typeOf(n)?.name === 'float8')
    )
      return;
    for (const n of operands) if (isOtherNumber(ctx, n)) cast(ctx, n, 'FLOAT');
    return;
  }
  let operands: readonly unknown[];
  if (f.kind === 'AEXPR_OP' && operators.has(op) && f.lexpr !== undefined) operands = [f.lexpr, f.rexpr];
  // x IN (y) is x = y; BETWEEN two comparisons
  else if (f.kind === 'AEXPR_IN' || f.kind === 'AEXPR_BETWEEN' || f.kind === 'AEXPR_NOT_BETWEEN')
    operands = [f.lexpr, ...items];
  else return;
  // an operator between a real and another number is the double precision one
  if (!operands.some((n) => isOtherNumber(ctx, n))) return;
  for (const n of operands) if (isReal(ctx, n)) cast(ctx, n, 'DOUBLE');
}

/** sum(real) as the real PostgreSQL makes it; true when rewritten. */
export function rewriteRealSum(ctx: RewriteContext, f: Fields, name: string): boolean {
  const args = list(f.args);
  if (name !== 'sum' || args.length !== 1 || !isReal(ctx, args[0])) return false;
  const whole = extentOf(ctx, { FuncCall: f });
  ctx.edits.wrap(whole.start, whole.end, 'CAST(', ' AS FLOAT)');
  return true;
}
