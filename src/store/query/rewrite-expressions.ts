/**
 * Expressions whose DuckDB meaning differs from PostgreSQL's, rewritten in place: function
 * calls (function-names.ts; `date_part('second', …)` with its fraction; `generate_series` in
 * a select list, a set in PostgreSQL and a list in DuckDB, and its string-constant bounds),
 * casts (type-names.ts; `'{a,b}'::text[]`), numerics first of all (rewrite-numeric.ts),
 * `~ ~* !~ !~*` (DuckDB's `~` is a full match), LIKE/ILIKE (PostgreSQL's default escape is
 * `\`), `/` and `%` (a zero divisor is an error), interval arithmetic (rewrite-intervals.ts),
 * `OPERATOR(pg_catalog.op)`, `current_user` and friends, `COLLATE` (DuckDB has no
 * `pg_catalog.default`).
 */
import { SqlError, undefinedFunction } from '../../sql/errors.ts';
import type { Token } from '../../sql/tokens.ts';
import type { SqlType } from '../../sql/types.ts';
import { quoteIdent } from '../view-store.ts';
import type { Span } from './extent.ts';
import { renamedFunctions, SERIES_LIST, SQL_SYNTAX } from './function-names.ts';
import {
  asNode,
  type Fields,
  fieldsIf,
  isParam,
  list,
  locationOf,
  namesOf,
  stringConstant,
} from './pg-tree.ts';
import { rewriteArrayOperator } from './rewrite-arrays.ts';
import {
  extentOf,
  operandExtentOf,
  operatorAsCall,
  type RewriteContext,
  typeParam,
} from './rewrite-context.ts';
import { rewriteIntervalAggregate, rewriteIntervalOperator } from './rewrite-intervals.ts';
import { rewriteJsonbAggregate, rewriteJsonbBuild, rewriteJsonbOperator } from './rewrite-jsonb.ts';
import { rewriteNumeric } from './rewrite-numeric.ts';
import { rewriteRealOperands, rewriteRealSum } from './rewrite-reals.ts';
import { DATABASE, PUBLIC_SCHEMA } from './stored-relation.ts';
import { textCastOf } from './text-casts.ts';
import { castTarget } from './type-names.ts';

const regexOperators: Readonly<Record<string, { negate: boolean; caseless: boolean }>> = {
  '~': { negate: false, caseless: false },
  '~*': { negate: false, caseless: true },
  '!~': { negate: true, caseless: false },
  '!~*': { negate: true, caseless: true },
};

/**
 * Functions that build a text or an array longer than their arguments: their value is checked
 * against the limit of a built value (`tw_checked_length`, session-setup.ts), as the engine
 * checks its own — the aggregates' as window functions too (`string_agg(…) OVER (…)`).
 */
const BUILDERS = new Set([
  'concat',
  'concat_ws',
  'replace',
  'regexp_replace',
  'array_to_string',
  'string_agg',
  'array_agg',
  'jsonb_agg',
  'json_agg',
  'jsonb_object_agg',
  'json_object_agg',
  'array_cat',
  'array_append',
  'array_prepend',
]);

const fractionalFields: Readonly<Record<string, number>> = { second: 1_000_000, milliseconds: 1000 };

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** What `current_user` & co. become (the session's user, or constants of tidewatch; not user input). */
const valueFunctions: Readonly<Record<string, string>> = {
  SVFOP_CURRENT_USER: 'tw_current_user()',
  SVFOP_USER: 'tw_current_user()',
  SVFOP_SESSION_USER: 'tw_current_user()',
  SVFOP_CURRENT_ROLE: 'tw_current_user()',
  SVFOP_CURRENT_CATALOG: sqlString(DATABASE),
  SVFOP_CURRENT_SCHEMA: sqlString(PUBLIC_SCHEMA),
  SVFOP_CURRENT_TIMESTAMP_N: 'current_timestamp',
  SVFOP_LOCALTIMESTAMP_N: 'localtimestamp',
  SVFOP_CURRENT_TIME_N: 'current_time',
  SVFOP_LOCALTIME_N: 'CAST(localtimestamp AS TIME)',
  SVFOP_LOCALTIME: 'CAST(localtimestamp AS TIME)',
};

/** Whether the tokens at `location` spell `names` (a call written as a name, not SQL syntax). */
function spells(ctx: RewriteContext, location: number, names: readonly string[]): Span | undefined {
  const ts = ctx.extents.tokens;
  const i = ctx.extents.tokenAt(location);
  const last = i < 0 ? -1 : ctx.extents.nameEndIndex(i);
  if (i < 0 || (last - i) / 2 + 1 !== names.length) return undefined;
  for (let k = 0; k < names.length; k++) {
    const t = ts[i + 2 * k] as Token;
    const word = t.quoted ? t.text.slice(1, -1).replaceAll('""', '"') : t.text.toLowerCase();
    if (word !== names[k]) return undefined;
  }
  return { start: (ts[i] as Token).start, end: (ts[last] as Token).end };
}

function funcCall(ctx: RewriteContext, f: Fields, inFrom: boolean): void {
  const names = namesOf(f.funcname) ?? [];
  const name = names[names.length - 1] ?? '';
  const location = locationOf(f);
  const written = spells(ctx, location, names);
  if (names.length > 1 && names[0] !== 'pg_catalog' && written !== undefined)
    throw undefinedFunction(`${names.join('.')}(…)`, { text: ctx.text, offset: location });
  if (name === 'mode' && f.agg_within_group !== true && f.over === undefined && written !== undefined)
    throw new SqlError('42809', 'WITHIN GROUP is required for ordered-set aggregate mode', location + 1);
  if (name === 'date_part') fractionalField(ctx, f);
  if (name === 'concat' || name === 'concat_ws')
    printedArguments(ctx, list(f.args).slice(name === 'concat' ? 0 : 1));
  if (name === 'array_to_string') printedElements(ctx, list(f.args)[0]);
  if (name === 'generate_series') seriesLiterals(ctx, f);
  if (
    name === 'round' &&
    list(f.args).length === 1 &&
    written !== undefined &&
    isFloat(ctx, list(f.args)[0])
  ) {
    // round(double precision) rounds half to even in PostgreSQL, half away from zero in DuckDB.
    const arg = extentOf(ctx, list(f.args)[0]);
    ctx.edits.replace(written.start, written.end, 'round_even');
    ctx.edits.insertClose(arg.end, ', 0');
    return;
  }
  if (written === undefined) return;
  if (BUILDERS.has(name)) {
    const span = extentOf(ctx, { FuncCall: f });
    ctx.edits.wrap(span.start, span.end, 'tw_checked_length(', ')');
  }
  if (name === 'generate_series' && !inFrom) {
    // A set in PostgreSQL, a list in DuckDB: built whole, so checked before it is built.
    const span = extentOf(ctx, { FuncCall: f });
    ctx.edits.wrap(span.start, span.end, 'unnest(', ')');
    ctx.edits.replace(written.start, written.end, SERIES_LIST);
    return;
  }
  // RisingWave's aggregates first_value/last_value(x ORDER BY …): DuckDB's first/last (which
  // keep NULLs too); with OVER they are the window functions, the same in both.
  if ((name === 'first_value' || name === 'last_value') && f.over === undefined) {
    ctx.edits.replace(written.start, written.end, name === 'first_value' ? 'first' : 'last');
    return;
  }
  if (
    rewriteJsonbAggregate(ctx, f, name, written) ||
    rewriteJsonbBuild(ctx, f, name, written) ||
    rewriteIntervalAggregate(ctx, f, name, written) ||
    rewriteRealSum(ctx, f, name)
  )
    return;
  const renamed = renamedFunctions.get(name);
  if (renamed !== undefined && f.funcformat !== SQL_SYNTAX)
    ctx.edits.replace(written.start, written.end, renamed);
  else if (names.length > 1) ctx.edits.replace(written.start, written.end, quoteIdent(name));
}

/** What a value of `t` is put between to read as PostgreSQL prints it, where DuckDB's text differs. */
function printedAs(t: SqlType | undefined): readonly [open: string, close: string] | undefined {
  if (t?.name === 'boolean') return ['CASE (', ") WHEN true THEN 't' WHEN false THEN 'f' END"];
  const fn = textCastOf(t);
  return fn === undefined ? undefined : [`${fn}(`, ')'];
}

/** Arguments `concat` reads as PostgreSQL prints them (`t`, `Infinity`, a numeric's own scale). */
function printedArguments(ctx: RewriteContext, args: readonly unknown[]): void {
  for (const a of args) {
    const node = asNode(a);
    const t = ctx.typeOf(a);
    if (node === undefined || t === undefined) continue;
    if (t.name === 'numeric') ctx.numericText.add(node.fields);
    const printed = printedAs(t);
    const span = extentOf(ctx, a);
    if (printed !== undefined) ctx.edits.wrap(span.start, span.end, ...printed);
  }
}

/** An array whose elements `array_to_string` joins as PostgreSQL prints them. */
function printedElements(ctx: RewriteContext, a: unknown): void {
  const printed = printedAs(ctx.typeOf(a)?.element);
  if (printed === undefined) return;
  const span = extentOf(ctx, a);
  ctx.edits.wrap(
    span.start,
    span.end,
    'list_transform(',
    `, lambda __tw_e: ${printed[0]}__tw_e${printed[1]})`,
  );
}

/**
 * `generate_series(ts, '…', '1 minute')`: PostgreSQL types the string constants from the
 * other arguments, DuckDB does not; the bounds take the other bound's type.
 */
function seriesLiterals(ctx: RewriteContext, f: Fields): void {
  const args = list(f.args);
  if (args.length !== 3) return;
  const castTo = (n: unknown): string | undefined => {
    const names = namesOf((fieldsIf(n, 'TypeCast')?.typeName as Fields | undefined)?.names);
    return names?.[names.length - 1] === 'timestamptz' ? 'TIMESTAMPTZ' : undefined;
  };
  const bound = castTo(args[0]) ?? castTo(args[1]) ?? 'TIMESTAMP';
  args.forEach((a, i) => {
    if (stringConstant(a) === undefined) return;
    const span = extentOf(ctx, a);
    ctx.edits.wrap(span.start, span.end, 'CAST(', ` AS ${i === 2 ? 'INTERVAL' : bound})`);
  });
}

/** `date_part('second', x)`: DuckDB's whole seconds → PostgreSQL's seconds with fraction. */
function fractionalField(ctx: RewriteContext, f: Fields): void {
  const args = list(f.args);
  const field = stringConstant(args[0])?.toLowerCase();
  const divisor = field === undefined ? undefined : fractionalFields[field];
  if (args.length !== 2 || divisor === undefined) return;
  const fieldFields = fieldsIf(args[0], 'A_Const') as Fields;
  const token = ctx.extents.tokens[ctx.extents.tokenAt(locationOf(fieldFields))];
  if (token === undefined) return;
  ctx.edits.replace(token.start, token.end, token.kind === 'string' ? "'microseconds'" : 'microseconds');
  const span = extentOf(ctx, { FuncCall: f });
  ctx.edits.wrap(span.start, span.end, '(CAST(', ` AS DOUBLE) / ${divisor})`);
}

function operator(ctx: RewriteContext, f: Fields): void {
  const names = namesOf(f.name) ?? [];
  const op = names[names.length - 1] ?? '';
  const ts = ctx.extents.tokens;
  const i = ctx.extents.tokenAt(locationOf(f));
  const opToken = ts[i];
  const opSpan: Span | undefined =
    opToken === undefined
      ? undefined
      : opToken.upper === 'OPERATOR'
        ? { start: opToken.start, end: (ts[ctx.extents.matching(i + 1)] as Token).end }
        : { start: opToken.start, end: opToken.end };
  rewriteRealOperands(ctx, f, op);
  const regex = f.kind === 'AEXPR_OP' ? regexOperators[op] : undefined;
  if (regex !== undefined && f.lexpr !== undefined && opSpan !== undefined) {
    const l = operandExtentOf(ctx, f.lexpr);
    const r = operandExtentOf(ctx, f.rexpr);
    ctx.edits.insert(l.start, `(${regex.negate ? 'NOT ' : ''}regexp_matches(`);
    ctx.edits.replace(opSpan.start, opSpan.end, ',');
    ctx.edits.insertClose(r.end, regex.caseless ? ", 'i'))" : '))');
    return;
  }
  if (
    f.kind === 'AEXPR_OP' &&
    op === '||' &&
    f.lexpr !== undefined &&
    !isBytea(ctx, f.lexpr) &&
    !isBytea(ctx, f.rexpr)
  ) {
    // Each step of a chain is checked, so a value grows to at most twice the limit before it
    // fails; whatever the operator becomes for arrays and jsonb below.
    const span = extentOf(ctx, { A_Expr: f });
    ctx.edits.wrap(span.start, span.end, 'tw_checked_length(', ')');
    concatenatedParams(ctx, f);
  }
  if (f.kind === 'AEXPR_OP' && opSpan !== undefined && rewriteJsonbOperator(ctx, f, op, opSpan)) return;
  if (opSpan !== undefined && rewriteArrayOperator(ctx, f, op, opSpan)) return;
  if (opSpan !== undefined && rewriteIntervalOperator(ctx, f, op, opSpan)) return;
  if (f.kind === 'AEXPR_OP' && op === '^' && f.lexpr !== undefined && opSpan !== undefined) {
    // PostgreSQL's float8 power fails where DuckDB's gives Infinity, 0 or NaN.
    operatorAsCall(ctx, f, 'tw_float_pow', opSpan);
    return;
  }
  if (f.kind === 'AEXPR_OP' && (op === '/' || op === '%') && f.lexpr !== undefined && opSpan !== undefined) {
    // PostgreSQL fails on a zero divisor where DuckDB gives NULL.
    const r = extentOf(ctx, f.rexpr);
    ctx.edits.wrap(r.start, r.end, 'tw_nonzero(', ')');
    return;
  }
  if ((f.kind === 'AEXPR_LIKE' || f.kind === 'AEXPR_ILIKE') && !isLikeEscape(f.rexpr)) {
    const r = extentOf(ctx, f.rexpr);
    ctx.edits.insertClose(r.end, " ESCAPE '\\'");
    return;
  }
  if (opToken?.upper === 'OPERATOR' && opSpan !== undefined) ctx.edits.replace(opSpan.start, opSpan.end, op);
}

/**
 * `$n || x` and `x || $n`: beside anything but an array or a jsonb (whose rewrites type it),
 * PostgreSQL's unknown parameter is text.
 */
function concatenatedParams(ctx: RewriteContext, f: Fields): void {
  for (const [param, other] of [
    [f.lexpr, f.rexpr],
    [f.rexpr, f.lexpr],
  ]) {
    const t = ctx.typeOf(other)?.name;
    if (isParam(param) && t !== 'array' && t !== 'jsonb') typeParam(ctx, param, 'VARCHAR');
  }
}

function isBytea(ctx: RewriteContext, n: unknown): boolean {
  return ctx.typeOf(n)?.name === 'bytea';
}

function isLikeEscape(n: unknown): boolean {
  const call = fieldsIf(n, 'FuncCall');
  const names = call === undefined ? undefined : namesOf(call.funcname);
  return names?.[names.length - 1] === 'like_escape';
}

function cast(ctx: RewriteContext, f: Fields): void {
  const tn = f.typeName as Fields | undefined;
  if (tn === undefined) return;
  const names = namesOf(tn.names) ?? [];
  const span = ctx.extents.ownSpan('TypeName', tn);
  if (span === undefined) return;
  if (textCast(ctx, f, names)) return;
  const qualified = ctx.text.slice(span.start, span.end).includes('.');
  const target = castTarget(names, list(tn.typmods).length > 0, qualified);
  if (list(tn.arrayBounds).length > 0 && stringConstant(f.arg) !== undefined) {
    // PostgreSQL's array text ('{a,b}'), which DuckDB cannot cast, read as a list of text.
    const arg = extentOf(ctx, f.arg);
    ctx.edits.wrap(arg.start, arg.end, 'tw_array_text(', ')');
  }
  if (target === undefined) return;
  if (target.kind === 'type') {
    ctx.edits.replace(span.start, span.end, target.duck + '[]'.repeat(list(tn.arrayBounds).length));
    return;
  }
  const whole = extentOf(ctx, { TypeCast: f });
  const arg = extentOf(ctx, f.arg);
  const fn = stringConstant(f.arg) !== undefined ? target.fromName : target.toName;
  ctx.edits.replace(whole.start, whole.end, (render) => `${fn}(${render(arg.start, arg.end)})`);
}

/**
 * A cast to text of a value DuckDB prints otherwise than PostgreSQL (text-casts.ts), and a
 * cast to `varchar(n)`, which cuts the text to n characters as PostgreSQL's explicit cast does.
 */
function textCast(ctx: RewriteContext, f: Fields, names: readonly string[]): boolean {
  const tn = f.typeName as Fields;
  const name = names[names.length - 1];
  if ((name !== 'text' && name !== 'varchar') || list(tn.arrayBounds).length > 0) return false;
  const length = list(tn.typmods).map((m) => (fieldsIf(m, 'A_Const')?.ival as Fields | undefined)?.ival);
  const fn = textCastOf(ctx.typeOf(f.arg));
  if (fn === undefined && length.length === 0) return false;
  const whole = extentOf(ctx, { TypeCast: f });
  const arg = extentOf(ctx, f.arg);
  const n = length[0];
  ctx.edits.replace(whole.start, whole.end, (render) => {
    const text =
      fn === undefined
        ? `CAST(${render(arg.start, arg.end)} AS VARCHAR)`
        : `${fn}(${render(arg.start, arg.end)})`;
    return typeof n === 'number' ? `left(${text}, ${n})` : text;
  });
  return true;
}

/** Whether an expression is a float in PostgreSQL (round() then rounds half to even). */
function isFloat(ctx: RewriteContext, n: unknown): boolean {
  const t = ctx.typeOf(n);
  if (t !== undefined) return t.name === 'float8' || t.name === 'float4';
  const node = asNode(n);
  if (node?.kind === 'TypeCast') {
    const names = namesOf((node.fields.typeName as Fields | undefined)?.names) ?? [];
    return ['float8', 'float4'].includes(names[names.length - 1] ?? '');
  }
  if (node?.kind === 'ColumnRef') {
    const names = namesOf(node.fields.fields) ?? [];
    const type = ctx.columnTypes.get(names[names.length - 1] ?? '')?.name;
    return type === 'float8' || type === 'float4';
  }
  return false;
}

function valueFunction(ctx: RewriteContext, f: Fields): void {
  const replacement = valueFunctions[String(f.op)];
  const span = ctx.extents.ownSpan('SQLValueFunction', f);
  if (replacement !== undefined && span !== undefined) ctx.edits.replace(span.start, span.end, replacement);
}

/** Rewrites what node `kind` itself needs (its children are the caller's to visit). */
export function rewriteExpression(ctx: RewriteContext, kind: string, f: Fields, inFrom: boolean): void {
  if (rewriteNumeric(ctx, kind, f)) return;
  switch (kind) {
    case 'FuncCall':
      funcCall(ctx, f, inFrom);
      return;
    case 'A_Expr':
      operator(ctx, f);
      return;
    case 'TypeCast':
      cast(ctx, f);
      return;
    case 'SQLValueFunction':
      valueFunction(ctx, f);
      return;
    case 'CollateClause': {
      const span = ctx.extents.ownSpan('CollateClause', f);
      if (span !== undefined) ctx.edits.replace(span.start, span.end, '');
      return;
    }
  }
}
