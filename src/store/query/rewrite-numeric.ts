/**
 * numeric in ad-hoc queries, exactly as PostgreSQL computes and prints it. DuckDB's DECIMAL
 * has one scale per column and at most 38 digits, and its `/` gives a double; a numeric has
 * a display scale per value (`avg` prints `325.0000000000000000`, `1.50` stays `1.50`). So in
 * DuckDB a numeric is carried as its exact text — the store's VARCHAR form — and computed on
 * by the JavaScript functions of numeric-functions.ts, which run the engine's arithmetic.
 *
 * The query's PostgreSQL types (output-columns.ts) say which expressions are numeric. Each
 * of them is rewritten to give the text: a literal `1.50` becomes `'1.50'`; `x::numeric`
 * converts by x's type (an integer's text, `tw_numeric_f8` for a double, `tw_numeric` for
 * text); `a + b` becomes `tw_num_add(a, b)` (integers on either side as their text);
 * round/trunc/ceil/floor/abs/sign/sqrt/exp/ln/log/power/mod likewise; `sum(bigint)` is
 * DuckDB's exact integer sum as text; `sum`, `avg` and the variance family of a numeric are
 * `tw_num_…(list(x))`, `avg` of integers `tw_num_avg_int(sum, count)`, `min`/`max`
 * `arg_min(x, tw_num_key(x))`; extract() builds its numeric from microseconds. Where a
 * numeric is consumed: comparisons and IN, BETWEEN, NULLIF compare values
 * (`tw_num_compare`: 1.5 = 1.50, from the doubles unless they tie); ORDER BY sorts by
 * `tw_num_key`; casts to integers round half away from zero (`tw_num_int4`); to a double
 * it is `CAST(x AS DOUBLE)`. The select list, GROUP BY, DISTINCT, CASE/COALESCE results,
 * arrays, `count`, `array_agg`, `lag` & co. keep the text as it is. Anywhere else — a
 * function tidewatch knows nothing of, float arithmetic, a percentile — a numeric is read
 * as a double, as it was before numerics were exact.
 *
 * Where this differs from PostgreSQL: GROUP BY and DISTINCT on a numeric group by its text
 * (1.5 and 1.50 apart); a numeric whose type the inference does not know is read as text by
 * DuckDB (a comparison with it fails rather than answers wrongly).
 */
import { formatNumeric, parseNumeric } from '../../sql/numeric.ts';
import { quoteIdent } from '../view-store.ts';
import type { Span } from './extent.ts';
import { asNode, type Fields, fieldsIf, list, locationOf, namesOf, stringConstant } from './pg-tree.ts';
import { extentOf, operandExtentOf, type RewriteContext } from './rewrite-context.ts';

const arithmetic: Readonly<Record<string, string>> = {
  '+': 'tw_num_add',
  '-': 'tw_num_sub',
  '*': 'tw_num_mul',
  '/': 'tw_num_div',
  '%': 'tw_num_mod',
  '^': 'tw_num_pow',
};
const comparisons = new Set(['=', '<>', '!=', '<', '>', '<=', '>=']);
const integerTypes = new Set(['int2', 'int4', 'int8', 'int', 'integer', 'smallint', 'bigint']);

/** numeric functions of one argument and their DuckDB function. */
const unaryFunctions: Readonly<Record<string, string>> = {
  ceil: 'tw_num_ceil',
  ceiling: 'tw_num_ceil',
  floor: 'tw_num_floor',
  abs: 'tw_num_abs',
  sign: 'tw_num_sign',
  sqrt: 'tw_num_sqrt',
  exp: 'tw_num_exp',
  ln: 'tw_num_ln',
  log10: 'tw_num_log10',
  round: 'tw_num_round0',
  trunc: 'tw_num_trunc0',
  log: 'tw_num_log10',
};
const binaryFunctions: Readonly<Record<string, string>> = {
  round: 'tw_num_round',
  trunc: 'tw_num_trunc',
  log: 'tw_num_log',
  power: 'tw_num_pow',
  pow: 'tw_num_pow',
  mod: 'tw_num_mod',
};
/** Aggregates whose numeric result comes from the list of their numeric arguments. */
const listAggregates: Readonly<Record<string, string>> = {
  sum: 'tw_num_sum',
  avg: 'tw_num_avg',
  stddev: 'tw_num_stddev_samp',
  stddev_samp: 'tw_num_stddev_samp',
  stddev_pop: 'tw_num_stddev_pop',
  variance: 'tw_num_var_samp',
  var_samp: 'tw_num_var_samp',
  var_pop: 'tw_num_var_pop',
};
/** Functions that take numerics as they are (their value passes through, or only its presence counts). */
const passThrough = new Set([
  'count',
  'array_agg',
  'jsonb_agg',
  'json_agg',
  'jsonb_object_agg',
  'json_object_agg',
  'to_jsonb',
  'to_json',
  'jsonb_build_array',
  'json_build_array',
  'jsonb_build_object',
  'json_build_object',
  'lag',
  'lead',
  'first_value',
  'last_value',
  'nth_value',
  'any_value',
  'mode',
  'coalesce',
]);
/** Extract fields measured in microseconds: their numeric has this scale. */
const microsFields: Readonly<Record<string, number>> = { second: 6, milliseconds: 3 };

function typeName(ctx: RewriteContext, n: unknown): string | undefined {
  return ctx.typeOf(n)?.name;
}

function isNumeric(ctx: RewriteContext, n: unknown): boolean {
  return typeName(ctx, n) === 'numeric';
}

function isFloat(ctx: RewriteContext, n: unknown): boolean {
  const t = typeName(ctx, n);
  return t === 'float8' || t === 'float4';
}

/** Marks `n` as a place where a numeric may stay text (its parent reads the text). */
function keep(ctx: RewriteContext, n: unknown): void {
  const node = asNode(n);
  if (node !== undefined) ctx.numericText.add(node.fields);
}

/** Makes `n` give numeric text, converting by its type; a numeric already does. */
function asText(ctx: RewriteContext, n: unknown): void {
  keep(ctx, n);
  if (isNumeric(ctx, n)) return;
  const span = extentOf(ctx, n);
  const t = typeName(ctx, n);
  if (t === 'int2' || t === 'int4' || t === 'int8')
    ctx.edits.wrap(span.start, span.end, 'CAST(', ' AS VARCHAR)');
  else if (t === 'float8') ctx.edits.wrap(span.start, span.end, 'tw_numeric_f8(', ')');
  else if (t === 'float4') ctx.edits.wrap(span.start, span.end, 'tw_numeric_f4(CAST(', ' AS FLOAT))');
  else if (t === 'text' || t === 'varchar' || stringConstant(n) !== undefined)
    ctx.edits.wrap(span.start, span.end, 'tw_numeric(', ')');
  else ctx.edits.wrap(span.start, span.end, 'tw_numeric(CAST(', ' AS VARCHAR))');
}

/** The span of a function call's name as written, when it is written as a name. */
function nameSpan(ctx: RewriteContext, f: Fields): Span | undefined {
  const ts = ctx.extents.tokens;
  const i = ctx.extents.tokenAt(locationOf(f));
  if (i < 0) return undefined;
  const last = ctx.extents.nameEndIndex(i);
  const first = ts[i];
  const end = ts[last];
  return first === undefined || end === undefined ? undefined : { start: first.start, end: end.end };
}

function lastName(v: unknown): string {
  const names = namesOf(v) ?? [];
  return names[names.length - 1] ?? '';
}

/**
 * Rewrites node `kind` for numerics (see the module comment); true when the node's own
 * rewrite is done (rewrite-expressions.ts then leaves it alone). Its children are visited
 * after, and rewrite themselves.
 */
export function rewriteNumeric(ctx: RewriteContext, kind: string, f: Fields): boolean {
  const self = { [kind]: f };
  // A numeric where its parent does not read the text: a double, as DuckDB computed before.
  if (isNumeric(ctx, self) && !ctx.numericText.has(f)) {
    const span = ctx.extents.of(self);
    if (span !== undefined) ctx.edits.wrap(span.start, span.end, 'CAST(', ' AS DOUBLE)');
  }
  switch (kind) {
    case 'ResTarget':
      keep(ctx, f.val);
      return false;
    case 'SelectStmt':
      for (const g of list(f.groupClause)) keep(ctx, g);
      for (const d of list(f.distinctClause)) keep(ctx, d);
      for (const v of list(f.valuesLists)) for (const e of list(fieldsIf(v, 'List')?.items)) keep(ctx, e);
      for (const o of list(f.sortClause)) sortBy(ctx, o, list(f.targetList));
      return false;
    case 'WindowDef':
      for (const p of list(f.partitionClause)) keep(ctx, p);
      for (const o of list(f.orderClause)) sortBy(ctx, o, []);
      return false;
    case 'NullTest':
    case 'A_Indirection':
      keep(ctx, f.arg);
      return false;
    case 'A_ArrayExpr':
      for (const e of list(f.elements)) keep(ctx, e);
      return false;
    case 'SubLink':
      keep(ctx, f.testexpr);
      return false;
    case 'A_Const':
      if (!isNumeric(ctx, self)) return false;
      literal(ctx, f);
      return true;
    case 'TypeCast':
      return cast(ctx, f);
    case 'A_Expr':
      return operator(ctx, f, self);
    case 'FuncCall':
      return call(ctx, f, self);
    case 'CaseExpr':
      if (isNumeric(ctx, self)) {
        for (const w of list(f.args)) asText(ctx, fieldsIf(w, 'CaseWhen')?.result);
        if (f.defresult !== undefined) asText(ctx, f.defresult);
      }
      return false;
    case 'CoalesceExpr':
      if (isNumeric(ctx, self)) for (const a of list(f.args)) asText(ctx, a);
      return false;
    case 'MinMaxExpr': {
      if (!isNumeric(ctx, self)) return false;
      const span = extentOf(ctx, self);
      const args = list(f.args);
      const fn = f.op === 'IS_LEAST' ? 'tw_num_least' : 'tw_num_greatest';
      ctx.edits.replace(span.start, span.end, (render) => {
        const parts = args.map((a) => {
          const s = extentOf(ctx, a);
          return render(s.start, s.end);
        });
        return `${fn}(${parts.join(', ')})`;
      });
      for (const a of args) asText(ctx, a);
      return true;
    }
    default:
      return false;
  }
}

/** A numeric literal (`1.50`, `-2.5`, `1e3`, an integer beyond bigint) as its text, as PostgreSQL prints it. */
function literal(ctx: RewriteContext, f: Fields): void {
  const span = extentOf(ctx, { A_Const: f });
  const fval = (f.fval as Fields | undefined)?.fval;
  const written = typeof fval === 'string' ? fval : ctx.text.slice(span.start, span.end);
  ctx.edits.replace(span.start, span.end, `'${formatNumeric(parseNumeric(written))}'`);
}

/** The integer constant of a type modifier, if it is one. */
function typmod(n: unknown): number | undefined {
  const ival = (fieldsIf(n, 'A_Const')?.ival as Fields | undefined)?.ival;
  return typeof ival === 'number' ? ival : fieldsIf(n, 'A_Const')?.ival !== undefined ? 0 : undefined;
}

/** Casts to numeric (converting by the argument's type) and from numeric. */
function cast(ctx: RewriteContext, f: Fields): boolean {
  const tn = f.typeName as Fields | undefined;
  const target = lastName(tn?.names);
  const bounds = list(tn?.arrayBounds).length;
  const whole = extentOf(ctx, { TypeCast: f });
  const arg = extentOf(ctx, f.arg);
  if ((target === 'numeric' || target === 'decimal') && bounds === 0) {
    const mods = list(tn?.typmods).map(typmod);
    const [p, s = 0] = mods;
    ctx.edits.replace(whole.start, whole.end, (render) => {
      const inner = `(${render(arg.start, arg.end)})`;
      return p === undefined || mods.some((m) => m === undefined)
        ? inner
        : `tw_num_typmod(${inner}, ${p}, ${s})`;
    });
    asText(ctx, f.arg);
    return true;
  }
  if (!isNumeric(ctx, f.arg) || bounds > 0) return false;
  keep(ctx, f.arg);
  const to = (fn: (a: string) => string) =>
    ctx.edits.replace(whole.start, whole.end, (render) => fn(render(arg.start, arg.end)));
  if (integerTypes.has(target))
    to(
      (a) =>
        `tw_num_${target === 'int2' || target === 'smallint' ? 'int2' : target === 'int8' || target === 'bigint' ? 'int8' : 'int4'}(${a})`,
    );
  else if (target === 'float8' || target === 'float' || target === 'double')
    to((a) => `CAST(${a} AS DOUBLE)`);
  else if (target === 'float4' || target === 'real') to((a) => `CAST(${a} AS FLOAT)`);
  else if (['text', 'varchar', 'bpchar', 'char', 'name'].includes(target)) to((a) => `CAST(${a} AS VARCHAR)`);
  else return false;
  return true;
}

function operator(ctx: RewriteContext, f: Fields, self: unknown): boolean {
  const names = namesOf(f.name) ?? [];
  const op = names[names.length - 1] ?? '';
  const ts = ctx.extents.tokens;
  switch (f.kind) {
    case 'AEXPR_OP': {
      const fn = arithmetic[op];
      if (fn !== undefined && isNumeric(ctx, self)) {
        const i = ctx.extents.tokenAt(locationOf(f));
        const opToken = ts[i];
        if (opToken === undefined) return false;
        const opSpan =
          opToken.upper === 'OPERATOR'
            ? { start: opToken.start, end: (ts[ctx.extents.matching(i + 1)] as { end: number }).end }
            : { start: opToken.start, end: opToken.end };
        if (f.lexpr === undefined) {
          if (op === '-') {
            ctx.edits.replace(opSpan.start, opSpan.end, 'tw_num_neg(');
            ctx.edits.insertClose(operandExtentOf(ctx, f.rexpr).end, ')');
          } else ctx.edits.replace(opSpan.start, opSpan.end, '');
          asText(ctx, f.rexpr);
          return true;
        }
        const l = operandExtentOf(ctx, f.lexpr);
        const r = operandExtentOf(ctx, f.rexpr);
        ctx.edits.insert(l.start, `${fn}(`);
        ctx.edits.replace(opSpan.start, opSpan.end, ',');
        ctx.edits.insertClose(r.end, ')');
        asText(ctx, f.lexpr);
        asText(ctx, f.rexpr);
        return true;
      }
      if (
        comparisons.has(op) &&
        f.lexpr !== undefined &&
        (isNumeric(ctx, f.lexpr) || isNumeric(ctx, f.rexpr)) &&
        !isFloat(ctx, f.lexpr) &&
        !isFloat(ctx, f.rexpr)
      ) {
        const i = ctx.extents.tokenAt(locationOf(f));
        const opToken = ts[i];
        if (opToken === undefined || opToken.upper === 'OPERATOR') return false;
        const l = operandExtentOf(ctx, f.lexpr);
        const r = operandExtentOf(ctx, f.rexpr);
        ctx.edits.insert(l.start, '(tw_num_compare(');
        ctx.edits.replace(opToken.start, opToken.end, ',');
        ctx.edits.insertClose(r.end, `) ${op === '!=' ? '<>' : op} 0)`);
        asText(ctx, f.lexpr);
        asText(ctx, f.rexpr);
        return true;
      }
      return false;
    }
    case 'AEXPR_IN': {
      const items = list(fieldsIf(f.rexpr, 'List')?.items ?? f.rexpr);
      const all = [f.lexpr, ...items];
      if (!all.some((n) => isNumeric(ctx, n)) || all.some((n) => isFloat(ctx, n))) return false;
      const whole = extentOf(ctx, self);
      const x = extentOf(ctx, f.lexpr);
      ctx.edits.replace(whole.start, whole.end, (render) => {
        const parts = items.map((n) => {
          const s = extentOf(ctx, n);
          return render(s.start, s.end);
        });
        const v = render(x.start, x.end);
        const test = `(${parts.map((p) => `tw_num_compare(${v}, ${p}) = 0`).join(' OR ')})`;
        return op === '<>' ? `(NOT ${test})` : test;
      });
      for (const n of all) asText(ctx, n);
      return true;
    }
    case 'AEXPR_BETWEEN':
    case 'AEXPR_NOT_BETWEEN': {
      const bounds = list(fieldsIf(f.rexpr, 'List')?.items ?? f.rexpr);
      const all = [f.lexpr, ...bounds];
      if (bounds.length !== 2 || !all.some((n) => isNumeric(ctx, n)) || all.some((n) => isFloat(ctx, n)))
        return false;
      const whole = extentOf(ctx, self);
      const [x, lo, hi] = all.map((n) => extentOf(ctx, n)) as [Span, Span, Span];
      ctx.edits.replace(whole.start, whole.end, (render) => {
        const v = render(x.start, x.end);
        const test = `(tw_num_compare(${v}, ${render(lo.start, lo.end)}) >= 0 AND tw_num_compare(${v}, ${render(hi.start, hi.end)}) <= 0)`;
        return f.kind === 'AEXPR_NOT_BETWEEN' ? `(NOT ${test})` : test;
      });
      for (const n of all) asText(ctx, n);
      return true;
    }
    case 'AEXPR_NULLIF': {
      if (!isNumeric(ctx, self)) return false;
      const whole = extentOf(ctx, self);
      const [a, b] = [extentOf(ctx, f.lexpr), extentOf(ctx, f.rexpr)];
      ctx.edits.replace(whole.start, whole.end, (render) => {
        const v = render(a.start, a.end);
        return `(CASE WHEN tw_num_compare(${v}, ${render(b.start, b.end)}) = 0 THEN NULL ELSE ${v} END)`;
      });
      asText(ctx, f.lexpr);
      asText(ctx, f.rexpr);
      return true;
    }
    default:
      return false;
  }
}

/**
 * ORDER BY a numeric sorts by its value (`tw_num_key`); a position (`ORDER BY 2`) names the
 * output column, which gets an alias when it has no name of its own.
 */
function sortBy(ctx: RewriteContext, o: unknown, targets: readonly unknown[]): void {
  const f = fieldsIf(o, 'SortBy');
  const node = asNode(f?.node);
  if (f === undefined || node === undefined || !isNumeric(ctx, f.node)) return;
  keep(ctx, f.node);
  const span = extentOf(ctx, f.node);
  const position = node.kind === 'A_Const' ? (node.fields.ival as Fields | undefined)?.ival : undefined;
  if (typeof position !== 'number') {
    ctx.edits.wrap(span.start, span.end, 'tw_num_key(', ')');
    return;
  }
  const rt = fieldsIf(targets[position - 1], 'ResTarget');
  if (rt === undefined) return;
  let name = typeof rt.name === 'string' ? rt.name : undefined;
  const ref = fieldsIf(rt.val, 'ColumnRef');
  if (name === undefined && ref !== undefined) name = lastName(ref.fields);
  if (name === undefined) {
    name = `__tw_sort_${position}`;
    ctx.edits.insertClose(extentOf(ctx, rt.val).end, ` AS ${quoteIdent(name)}`);
  }
  ctx.edits.replace(span.start, span.end, `tw_num_key(${quoteIdent(name)})`);
}

function call(ctx: RewriteContext, f: Fields, self: unknown): boolean {
  const name = lastName(f.funcname);
  const args = list(f.args);
  const written = nameSpan(ctx, f);
  const numericResult = isNumeric(ctx, self);
  // ORDER BY inside the call: a key for ordered aggregates, doubles for percentiles.
  if (!name.startsWith('percentile')) for (const o of list(f.agg_order)) sortBy(ctx, o, []);
  const over = f.over as Fields | undefined;
  if (name === 'pg_typeof' && args.length === 1 && isNumeric(ctx, args[0])) {
    const whole = extentOf(ctx, self);
    ctx.edits.replace(whole.start, whole.end, "'numeric'");
    return true;
  }
  if (name === 'to_char' && args.length === 2 && isNumeric(ctx, args[0]) && written !== undefined) {
    keep(ctx, args[0]);
    ctx.edits.replace(written.start, written.end, 'tw_num_to_char');
    return true;
  }
  if (passThrough.has(name)) {
    for (const a of args) keep(ctx, a);
    if (numericResult && (name === 'lag' || name === 'lead') && args[2] !== undefined) asText(ctx, args[2]);
    return false;
  }
  if (name === 'extract' || name === 'date_part') return name === 'extract' && extract(ctx, f, self);
  if (!numericResult || written === undefined) return false;
  if (name === 'sum' && typeName(ctx, args[0]) === 'int8') {
    // DuckDB's sum of BIGINT is an exact HUGEINT; its text is the numeric
    keep(ctx, args[0]);
    const whole = extentOf(ctx, self);
    ctx.edits.wrap(whole.start, whole.end, 'CAST(', ' AS VARCHAR)');
    return true;
  }
  const t0 = typeName(ctx, args[0]);
  const plain = f.agg_filter === undefined && over === undefined && f.agg_distinct !== true;
  if (name === 'avg' && (t0 === 'int2' || t0 === 'int4' || t0 === 'int8') && plain && args.length === 1) {
    keep(ctx, args[0]);
    const whole = extentOf(ctx, self);
    const x = extentOf(ctx, args[0]);
    ctx.edits.replace(whole.start, whole.end, (render) => {
      const v = render(x.start, x.end);
      return `tw_num_avg_int(CAST(sum(${v}) AS VARCHAR), count(${v}))`;
    });
    return true;
  }
  if ((name === 'min' || name === 'max') && args.length === 1) {
    // the value at the least (greatest) key: DuckDB's own arg_min/arg_max
    const x = extentOf(ctx, args[0]);
    ctx.edits.replace(written.start, written.end, name === 'min' ? 'arg_min' : 'arg_max');
    ctx.edits.replace(x.start, x.end, (render) => {
      const v = render(x.start, x.end);
      return `${v}, tw_num_key(${v})`;
    });
    keep(ctx, args[0]);
    return true;
  }
  const aggregate = listAggregates[name];
  if (aggregate !== undefined && args.length === 1) {
    const whole = extentOf(ctx, self);
    ctx.edits.wrap(whole.start, whole.end, `${aggregate}(`, ')');
    ctx.edits.replace(written.start, written.end, 'list');
    asText(ctx, args[0]);
    return true;
  }
  const fn = args.length === 1 ? unaryFunctions[name] : args.length === 2 ? binaryFunctions[name] : undefined;
  if (fn === undefined) return false;
  ctx.edits.replace(written.start, written.end, fn);
  asText(ctx, args[0]);
  if ((name === 'round' || name === 'trunc') && args[1] !== undefined) {
    keep(ctx, args[1]);
    const s = extentOf(ctx, args[1]);
    ctx.edits.wrap(s.start, s.end, 'CAST(', ' AS INTEGER)');
  } else if (args[1] !== undefined) asText(ctx, args[1]);
  return true;
}

/**
 * extract(field FROM x) as PostgreSQL's numeric: seconds and milliseconds from DuckDB's
 * microseconds of the minute, the epoch of a timestamp from its microseconds (scale 6),
 * whole fields as integers. Other cases (julian days, intervals' epochs) from DuckDB's double.
 */
function extract(ctx: RewriteContext, f: Fields, self: unknown): boolean {
  const args = list(f.args);
  const field = stringConstant(args[0])?.toLowerCase();
  if (args.length !== 2 || field === undefined) return false;
  const source = typeName(ctx, args[1]);
  const whole = extentOf(ctx, self);
  const x = extentOf(ctx, args[1]);
  const micros = microsFields[field];
  const timeLike = source === 'timestamp' || source === 'timestamptz' || source === 'time';
  // (a source of unknown type: a timestamp, most likely)
  let text: ((v: string) => string) | undefined;
  if (micros !== undefined && (timeLike || source === 'interval' || source === undefined))
    text = (v) => `tw_num_scaled(CAST(extract(microseconds FROM ${v}) AS BIGINT), ${micros})`;
  else if (field === 'epoch' && (source === 'timestamp' || source === 'timestamptz'))
    text = (v) => `tw_num_scaled(epoch_us(${v}), 6)`;
  else if (field === 'epoch' && (source === 'time' || source === 'interval'))
    text = (v) => `tw_num_scaled(CAST(round(epoch(${v}) * 1000000) AS BIGINT), 6)`;
  else if (field === 'julian' || field === 'epoch')
    text = (v) =>
      `tw_numeric_f8(CAST(extract(${field === 'julian' ? 'julian' : 'epoch'} FROM ${v}) AS DOUBLE))`;
  else text = (v) => `CAST(CAST(extract(${field} FROM ${v}) AS BIGINT) AS VARCHAR)`;
  ctx.edits.replace(whole.start, whole.end, (render) =>
    (text as (v: string) => string)(render(x.start, x.end)),
  );
  return true;
}
