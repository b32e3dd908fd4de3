/**
 * Functions in FROM. RisingWave's `TUMBLE(rel, col, size [, offset])` and
 * `HOP(rel, col, slide, size [, offset])` become subqueries adding `window_start` and
 * `window_end` (relation-sql.ts). Any other function becomes a subquery whose one column is
 * named after the alias, as in PostgreSQL (`generate_series(…) AS i` gives column `i`); so
 * DuckDB's own table functions (`read_csv`…) never run.
 */
import { notSupported, SqlError, SqlState, undefinedFunction } from '../../sql/errors.ts';
import { quoteIdent } from '../view-store.ts';
import { SERIES_LIST } from './function-names.ts';
import { asNode, type Fields, fieldsIf, list, locationOf, namesOf, stringOf } from './pg-tree.ts';
import { hopSql, tumbleSql } from './relation-sql.ts';
import { extentOf, type RewriteContext } from './rewrite-context.ts';

/** What rewriting a FROM function needs of the rewriter. */
export interface FromDeps {
  /** SQL standing for the relation named `names` (undefined: a CTE, kept as written). */
  relation(names: readonly string[], location: number): string | undefined;
  /** Rewrites the expressions of a subtree (`inFrom`: the function itself stands in FROM). */
  visit(n: unknown, inFrom: boolean): void;
}

function hasSubquery(n: unknown): boolean {
  if (Array.isArray(n)) return n.some(hasSubquery);
  if (n === null || typeof n !== 'object') return false;
  if (asNode(n)?.kind === 'SubLink') return true;
  return Object.values(n).some((v) => typeof v === 'object' && hasSubquery(v));
}

export function rewriteFromFunction(ctx: RewriteContext, f: Fields, deps: FromDeps): void {
  const fns = list(f.functions);
  const items = list(fieldsIf(fns[0], 'List')?.items);
  const call = fieldsIf(items[0], 'FuncCall');
  if (fns.length !== 1 || call === undefined) throw notSupported('ROWS FROM');
  if (list(f.coldeflist).length > 0 || asNode(items[1]) !== undefined)
    throw notSupported('a column definition list');
  const names = namesOf(call.funcname) ?? [];
  const name = names[names.length - 1] ?? '';
  const alias = f.alias as Fields | undefined;
  if ((name === 'tumble' || name === 'hop') && names.length === 1) {
    window(ctx, call, name, alias, deps);
    return;
  }
  deps.visit({ FuncCall: call }, true);
  const span = extentOf(ctx, { FuncCall: call });
  if (f.ordinality === true) throw notSupported('WITH ORDINALITY');
  // In a one-row subquery: DuckDB's table functions take no subqueries as arguments (the
  // catalog macros are subqueries), and PostgreSQL names the column after the alias.
  const column = quoteIdent(
    stringOf(list(alias?.colnames)[0]) ?? (alias?.aliasname as string | undefined) ?? name,
  );
  const suffix = alias === undefined ? ` AS ${quoteIdent(name)}` : '';
  const streamed = name === 'generate_series' && !hasSubquery(call.args);
  ctx.edits.replace(span.start, span.end, (render) => {
    const sql = render(span.start, span.end);
    // A table function cannot take the catalog's macros (subqueries): the series is then a list.
    if (streamed && !sql.includes('tw_'))
      return `(SELECT __tw_f.generate_series AS ${column} FROM ${sql} AS __tw_f)${suffix}`;
    if (name !== 'generate_series') return `(SELECT ${sql} AS ${column})${suffix}`;
    const checked = sql.replace(/^(?:"?pg_catalog"?\.)?"?generate_series"?/i, SERIES_LIST);
    return `(SELECT unnest(${checked}) AS ${column})${suffix}`;
  });
}

function window(
  ctx: RewriteContext,
  call: Fields,
  name: 'tumble' | 'hop',
  alias: Fields | undefined,
  deps: FromDeps,
): void {
  const args = list(call.args);
  const arity = name === 'tumble' ? [3, 4] : [4, 5];
  const place = { text: ctx.text, offset: locationOf(call) };
  if (!arity.includes(args.length))
    throw undefinedFunction(`${name}(${args.map(() => 'unknown').join(', ')})`, place);
  const relRef = fieldsIf(args[0], 'ColumnRef');
  const relNames = relRef === undefined ? undefined : namesOf(relRef.fields);
  const colRef = fieldsIf(args[1], 'ColumnRef');
  const colNames = colRef === undefined ? undefined : namesOf(colRef.fields);
  if (relRef === undefined || relNames === undefined || colNames === undefined)
    throw new SqlError(
      SqlState.syntaxError,
      `${name.toUpperCase()} takes a relation name and a time column first`,
      locationOf(call) + 1,
    );
  const relName = relNames[relNames.length - 1] ?? '';
  const relation = deps.relation(relNames, locationOf(relRef)) ?? quoteIdent(relName);
  const column = colNames[colNames.length - 1] ?? '';
  const rest = args.slice(2);
  deps.visit(rest, false);
  const spans = rest.map((a) => extentOf(ctx, a));
  const span = extentOf(ctx, { FuncCall: call });
  const suffix = alias === undefined ? ` AS ${quoteIdent(relName)}` : '';
  ctx.edits.replace(span.start, span.end, (render) => {
    const texts = spans.map((s) => `(${render(s.start, s.end)})`);
    const sql =
      name === 'tumble'
        ? tumbleSql({ relation, column, size: texts[0] as string, offset: texts[1] })
        : hopSql({ relation, column, slide: texts[0], size: texts[1] as string, offset: texts[2] });
    return sql + suffix;
  });
}
