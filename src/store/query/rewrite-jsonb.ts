/**
 * jsonb in ad-hoc queries: operators DuckDB lacks or means otherwise (`#>`, `#>>`, `@>`, `<@`,
 * `?`, `?|`, `?&`, `||` with a jsonb on the left) become calls of the JavaScript functions of
 * jsonb-functions.ts (`j #>> '{a,b}'` → `tw_jsonb_path_text(j, tw_array_text('{a,b}'))`), and
 * the aggregates jsonb_agg/json_agg and jsonb_object_agg/json_object_agg become DuckDB's
 * `list` of the values converted to jsonb, ORDER BY, DISTINCT and FILTER kept:
 * `jsonb_agg(x ORDER BY y)` → `tw_to_jsonb_int4_array(list(x ORDER BY y))`. DuckDB's own `->` and `->>`
 * are kept, in parentheses (they bind looser there than `IS NULL`).
 */

import { arrayOf } from '../../sql/types.ts';
import type { Span } from './extent.ts';
import { jsonbOperators, toJsonbFunction } from './jsonb-functions.ts';
import { type Fields, isParam, list, stringConstant } from './pg-tree.ts';
import { extentOf, operatorAsCall, type RewriteContext } from './rewrite-context.ts';
import { textCastOf } from './text-casts.ts';

const arrays = new Set(['jsonb_agg', 'json_agg']);
const objects = new Set(['jsonb_object_agg', 'json_object_agg']);

/** Whether `name` is an aggregate this module rewrites. */
export function isJsonbAggregate(name: string): boolean {
  return arrays.has(name) || objects.has(name);
}

/** `l op r` with a jsonb `l`: true when rewritten. */
export function rewriteJsonbOperator(ctx: RewriteContext, f: Fields, op: string, opSpan: Span): boolean {
  const jsonb = (n: unknown) => ctx.typeOf(n)?.name === 'jsonb';
  if ((op === '->' || op === '->>') && jsonb(f.lexpr)) {
    // DuckDB's own, but binding looser than IS NULL: `j -> 'k' IS NULL` would be `j -> ('k' IS NULL)`
    const whole = extentOf(ctx, { A_Expr: f });
    ctx.edits.wrap(whole.start, whole.end, '(', ')');
    return true;
  }
  const spec = jsonbOperators[op];
  if (spec === undefined || f.lexpr === undefined) return false;
  // a string constant or a parameter (PostgreSQL's unknown) beside a jsonb is a jsonb
  const untyped = (n: unknown) => stringConstant(n) !== undefined || isParam(n);
  const constantLeft = untyped(f.lexpr) && (op === '@>' || op === '<@' || op === '||');
  if (!jsonb(f.lexpr) && !(constantLeft && jsonb(f.rexpr))) return false;
  // jsonb || text is text's concatenation in PostgreSQL
  if (op === '||' && ctx.typeOf(f.rexpr)?.name !== 'jsonb' && !untyped(f.rexpr)) return false;
  operatorAsCall(ctx, f, spec.fn, opSpan);
  if (stringConstant(f.rexpr) !== undefined && (op === '#>' || op === '#>>' || op === '?|' || op === '?&')) {
    // PostgreSQL's array text ('{a,b}') as a list
    const text = extentOf(ctx, f.rexpr);
    ctx.edits.wrap(text.start, text.end, 'tw_array_text(', ')');
  }
  return true;
}

/** A jsonb aggregate call whose name is written at `written`: true when rewritten. */
export function rewriteJsonbAggregate(ctx: RewriteContext, f: Fields, name: string, written: Span): boolean {
  const args = list(f.args);
  const pair = objects.has(name);
  if (!isJsonbAggregate(name) || args.length !== (pair ? 2 : 1)) return false;
  const whole = extentOf(ctx, { FuncCall: f });
  ctx.edits.replace(written.start, written.end, 'list');
  const value = args[args.length - 1];
  const valueType = ctx.typeOf(value);
  if (!pair) {
    // the values' list, as array_agg gives it, converted as one array
    const asArray = toJsonbFunction(valueType === undefined ? undefined : arrayOf(valueType));
    wrapConverted(ctx, whole, asArray);
    return true;
  }
  ctx.edits.wrap(whole.start, whole.end, 'tw_jsonb_object(', ')');
  wrapPair(ctx, args[0], value);
  return true;
}

/**
 * to_jsonb(x), jsonb_build_array(…) and jsonb_build_object(…) (json_ forms alike), whose name
 * is written at `written`: each value converted as to_jsonb converts it, then put together —
 * `jsonb_build_object('a', x)` → `tw_jsonb_object([[CAST('a' AS VARCHAR), tw_to_jsonb_int4(x)]])`.
 * True when rewritten.
 */
export function rewriteJsonbBuild(ctx: RewriteContext, f: Fields, name: string, written: Span): boolean {
  const args = list(f.args);
  const whole = extentOf(ctx, { FuncCall: f });
  if (name === 'to_jsonb' || name === 'to_json') {
    if (args.length !== 1) return false;
    ctx.edits.replace(written.start, written.end, '');
    convert(ctx, args[0]);
    return true;
  }
  const array = name === 'jsonb_build_array' || name === 'json_build_array';
  const object = name === 'jsonb_build_object' || name === 'json_build_object';
  if (!(array || object) || (object && args.length % 2 !== 0)) return false;
  if (args.length === 0) {
    ctx.edits.replace(whole.start, whole.end, array ? "'[]'" : "'{}'");
    return true;
  }
  ctx.edits.replace(written.start, written.end, array ? 'tw_jsonb_array' : 'tw_jsonb_object');
  ctx.edits.insert(extentOf(ctx, args[0]).start, '[');
  ctx.edits.insertClose(extentOf(ctx, args[args.length - 1]).end, ']');
  if (array) for (const n of args) convert(ctx, n);
  else for (let i = 0; i < args.length; i += 2) wrapPair(ctx, args[i], args[i + 1]);
  return true;
}

/** `k, v` as the pair `[k as text, v converted to jsonb]` that tw_jsonb_object takes. */
function wrapPair(ctx: RewriteContext, key: unknown, value: unknown): void {
  const k = extentOf(ctx, key);
  const text = textCastOf(ctx.typeOf(key));
  ctx.edits.wrap(
    k.start,
    k.end,
    text === undefined ? '[CAST(' : `[${text}(`,
    text === undefined ? ' AS VARCHAR)' : ')',
  );
  // the pair's `]` before the value's conversion: `[k, f(v)]`
  ctx.edits.insertClose(extentOf(ctx, value).end, ']');
  convert(ctx, value);
}

/** Wraps `n` in its conversion to jsonb text, as to_jsonb converts a value of its type. */
function convert(ctx: RewriteContext, n: unknown): void {
  wrapConverted(ctx, extentOf(ctx, n), toJsonbFunction(ctx.typeOf(n)));
}

/** Wraps `span` in the conversion to jsonb text, DuckDB's own JSON for a type without one. */
function wrapConverted(ctx: RewriteContext, span: Span, convert: string | undefined): void {
  if (convert === undefined) ctx.edits.wrap(span.start, span.end, 'CAST(to_json(', ') AS VARCHAR)');
  else ctx.edits.wrap(span.start, span.end, `${convert}(`, ')');
}
