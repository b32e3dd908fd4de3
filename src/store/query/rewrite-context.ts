/**
 * What the parts of the query rewriter share: the query text, the edits made to it, where
 * its nodes are, and what is known of the relations read so far.
 */
import { SqlError, SqlState } from '../../sql/errors.ts';
import type { SqlType } from '../../sql/types.ts';
import type { Edits } from './edits.ts';
import type { Extents, Span } from './extent.ts';
import type { Fields } from './pg-tree.ts';

export interface RewriteContext {
  /** The query text (up to its last token). */
  readonly text: string;
  readonly edits: Edits;
  readonly extents: Extents;
  /** Types of the columns of the tidewatch relations the query reads, by column name. */
  readonly columnTypes: Map<string, SqlType>;
  /** The PostgreSQL type of an expression, where the result-column inference saw it. */
  readonly typeOf: (n: unknown) => SqlType | undefined;
  /**
   * The fields of expressions whose parent reads a numeric as its text (rewrite-numeric.ts);
   * any other numeric is read as a double.
   */
  readonly numericText: WeakSet<object>;
}

/** The extent of a node that must have one. */
export function extentOf(ctx: RewriteContext, n: unknown): Span {
  const span = ctx.extents.of(n);
  if (span === undefined) throw new SqlError(SqlState.syntaxError, 'cannot place an expression of the query');
  return span;
}

/** The extent of an operand with the parentheses written around it (`(a + b)` of `(a + b) / c`). */
export function operandExtentOf(ctx: RewriteContext, n: unknown): Span {
  let span = extentOf(ctx, n);
  const ts = ctx.extents.tokens;
  for (;;) {
    const first = ctx.extents.tokenAt(span.start);
    const last = ctx.extents.tokenAt(span.end - 1);
    const open = ts[first - 1];
    const close = ts[last + 1];
    if (open?.text !== '(' || close?.text !== ')' || ctx.extents.matching(first - 1) !== last + 1)
      return span;
    span = { start: open.start, end: close.end };
  }
}

/** `l op r` (an A_Expr's fields, its operator at `opSpan`) as the call `fn(l, r)`. */
export function operatorAsCall(ctx: RewriteContext, f: Fields, fn: string, opSpan: Span): void {
  ctx.edits.insert(operandExtentOf(ctx, f.lexpr).start, `${fn}(`);
  ctx.edits.replace(opSpan.start, opSpan.end, ',');
  ctx.edits.insertClose(operandExtentOf(ctx, f.rexpr).end, ')');
}

/**
 * Gives the bind parameter `n` the DuckDB type `duck` where PostgreSQL infers it and DuckDB
 * cannot: DuckDB's Describe of a query with an untyped parameter finds no columns.
 */
export function typeParam(ctx: RewriteContext, n: unknown, duck: string): void {
  const span = ctx.extents.of(n);
  if (span !== undefined) ctx.edits.wrap(span.start, span.end, 'CAST(', ` AS ${duck})`);
}
