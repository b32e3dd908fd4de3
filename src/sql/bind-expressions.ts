/**
 * Binding scalar expressions: column references (a grouped query's through its group keys),
 * operators, CASE, function calls, casts, parameters, IN lists — names resolved (42703,
 * 42702), types decided (42804, 42883 via functions.ts), subqueries in expressions refused
 * with their position. `ExpressionBinder` is the base of the binder's layers (bind-from.ts,
 * bind-aggregates.ts, bind-select.ts), holding what a statement's binding shares.
 */

import type { A_Const, A_Expr, FuncCall, GroupingFunc, Node, SelectStmt } from 'libpg-query';
import { bindQuantified, bindSubscript } from './array-functions.ts';
import type { Bound, ScopeColumn } from './bind-subquery-filters.ts';
import type { Catalog } from './catalog.ts';
import {
  ambiguousColumn,
  datatypeMismatch,
  groupingError,
  notSupported,
  type Place,
  SqlError,
  SqlState,
  undefinedColumn,
  undefinedFunction,
} from './errors.ts';
import {
  and,
  type BoundExpr,
  type Call,
  columnRef,
  columnsUsed,
  exprEquals,
  literal,
  not,
  or,
} from './expr.ts';
import {
  aggregateNames,
  castTypmod,
  coerce,
  explicitCast,
  resolveFunction,
  resolveOperator,
  windowOnlyNames,
} from './functions.ts';
import { inInt8, int8 } from './int8.ts';
import { parseNumeric } from './numeric.ts';
import { type BindParams, undefinedParameter } from './params.ts';
import { convertTypeName } from './parse.ts';
import type { Plan } from './plan.ts';
import { arrayOf, commonType, formatType, isInteger, isString, type SqlType, T } from './types.ts';

interface AggState {
  /** Scope and context of the aggregate's input (what group keys and aggregate args are over). */
  readonly pre: ExprCtx;
  readonly groupKeys: readonly BoundExpr[];
  /** Aggregate call node → its column in the aggregate's output. */
  readonly aggs: ReadonlyMap<FuncCall, number>;
  /** With grouping sets: the column of the grouping id (see grouping-sets.ts). */
  readonly groupingId?: number;
}

export interface ExprCtx {
  readonly scope: readonly ScopeColumn[];
  readonly clause: string;
  readonly agg: AggState | undefined;
  /** Window call node → its column in the window operator's output. */
  readonly windows: ReadonlyMap<FuncCall, number> | undefined;
  /** Set-returning call node of the SELECT list → its column in the ProjectSet's output. */
  readonly sets?: ReadonlyMap<FuncCall, number>;
  /** Whether the context collects aggregates (SELECT list / HAVING / ORDER BY). */
  readonly aggAllowed: boolean;
}

export function tagOf(n: Node): string {
  for (const k in n) return k;
  return '';
}

export function strings(nodes: readonly Node[] | undefined): string[] {
  return (nodes ?? []).map((n) => ('String' in n ? (n.String.sval ?? '') : '*'));
}

export function locationOf(n: Node | undefined): number {
  if (n === undefined) return -1;
  const inner = (n as Record<string, { location?: number }>)[tagOf(n)];
  return inner?.location ?? -1;
}

export function funcName(fc: FuncCall): string {
  const parts = strings(fc.funcname);
  const last = parts[parts.length - 1] ?? '';
  return parts.length > 1 && parts[0] !== 'pg_catalog' ? parts.join('.') : last;
}

function isFloat(t: SqlType): boolean {
  return t.name === 'float4' || t.name === 'float8';
}

export function constant(c: A_Const): BoundExpr {
  if (c.isnull === true) return literal(null, T.unknown);
  if (c.ival !== undefined) return literal(c.ival.ival ?? 0, T.int4);
  if (c.fval !== undefined) {
    // An integer too large for integer is bigint, and numeric beyond bigint (as PostgreSQL types it).
    const s = c.fval.fval ?? '0';
    if (/^[+-]?\d+$/.test(s)) {
      const b = BigInt(s);
      if (inInt8(b)) return literal(int8(b), T.int8);
    }
    return literal(parseNumeric(s), T.numeric);
  }
  if (c.boolval !== undefined) return literal(c.boolval.boolval === true, T.boolean);
  if (c.sval !== undefined) return literal(c.sval.sval ?? '', T.unknown);
  if (c.bsval !== undefined) return literal(c.bsval.bsval ?? '', T.unknown);
  return literal(null, T.unknown);
}

/**
 * `x IN (list)`: one item is `x = y`, by operator resolution rather than a common type
 * (`0.1::real IN (0.1)` compares as double precision, `IN (0.1, 0.2)` as real); more are
 * compared in the type common to them and `x`.
 */
function inList(arg: BoundExpr, list: readonly BoundExpr[], negated: boolean, place: Place): BoundExpr {
  if (list.length === 1) {
    const eq = resolveOperator('=', arg, list[0] as BoundExpr, place) as Call;
    return Object.freeze({
      kind: 'InList',
      arg: eq.args[0] as BoundExpr,
      list: [eq.args[1] as BoundExpr],
      negated,
      type: T.boolean,
    });
  }
  const t = unify([arg, ...list], 'IN', place);
  if (t.name === 'jsonb') throw undefinedFunction(`= for ${formatType(t)}`, place);
  return Object.freeze({
    kind: 'InList',
    arg: coerce(arg, t, place),
    list: list.map((x) => coerce(x, t, place)),
    negated,
    type: T.boolean,
  });
}

function unify(args: readonly BoundExpr[], what: string, place: Place): SqlType {
  let t: SqlType = T.unknown;
  for (const a of args) {
    const u = commonType(t, a.type);
    if (u === undefined)
      throw datatypeMismatch(
        `${what} types ${formatType(t)} and ${formatType(a.type)} cannot be matched`,
        place,
      );
    t = u;
  }
  return t.name === 'unknown' ? T.text : t;
}

/** Aggregates of PostgreSQL and RisingWave the engine does not have (0A000, not 42883). */
const UNSUPPORTED_AGGREGATES: ReadonlySet<string> = new Set([
  'jsonb_agg',
  'json_agg',
  'jsonb_object_agg',
  'json_object_agg',
  'bit_and',
  'bit_or',
]);

/** Functions that return rows rather than a value (in a SELECT list: a ProjectSet). */
export const SET_RETURNING: ReadonlySet<string> = new Set(['unnest', 'generate_series']);

/**
 * Calls `visit` on each function call in `n`, outermost first, leaving subqueries out; the
 * walk goes on into a call's own parts unless `visit` returns false.
 */
export function forEachCall(n: unknown, visit: (fc: FuncCall) => boolean): void {
  if (Array.isArray(n)) {
    for (const x of n) forEachCall(x, visit);
    return;
  }
  if (n === null || typeof n !== 'object') return;
  const o = n as Record<string, unknown>;
  for (const k in o) {
    if (k === 'SubLink') continue;
    const v = o[k];
    if (k === 'FuncCall' && !visit(v as FuncCall)) continue;
    forEachCall(v, visit);
  }
}

/** Aggregate calls (not descending into them) and window calls (descending into their arguments). */
export function collectCalls(n: unknown, aggs: FuncCall[], windows: FuncCall[]): void {
  const visit = (fc: FuncCall): boolean => {
    if (fc.over !== undefined) {
      windows.push(fc);
      forEachCall([fc.args, fc.over.partitionClause, fc.over.orderClause], visit);
      return false;
    }
    if (aggregateNames.has(funcName(fc))) {
      aggs.push(fc);
      return false;
    }
    return true;
  };
  forEachCall(n, visit);
}

function containsAggOrWindow(n: Node): boolean {
  const a: FuncCall[] = [];
  const w: FuncCall[] = [];
  collectCalls(n, a, w);
  return a.length > 0 || w.length > 0 || containsGrouping(n);
}

/** Whether a GROUPING(…) call is in `n` (it is bound after aggregation only). */
function containsGrouping(n: unknown): boolean {
  if (Array.isArray(n)) return n.some(containsGrouping);
  if (n === null || typeof n !== 'object') return false;
  if ('GroupingFunc' in n) return true;
  return Object.values(n).some(containsGrouping);
}

export abstract class ExpressionBinder {
  protected readonly catalog: Catalog;
  protected readonly script: string;
  /** Where to point when the parse tree gives no location (the statement's start). */
  protected readonly fallback: number;
  protected readonly params: BindParams | undefined;
  /** RisingWave's session frames, by the location of their window definition (see QueryAst). */
  protected readonly sessionGaps: ReadonlyMap<number, Node> | undefined;
  /** The Filters WHERE clauses made: the optimizer's rules rewrite these (optimizer/rule.ts). */
  readonly whereFilters = new Set<Plan>();

  /** Binds a subquery's SELECT (bind-select.ts). */
  abstract bindSelect(stmt: SelectStmt, outer: undefined): Bound;

  /** Binds GROUPING(…) of a grouped query (bind-aggregates.ts). */
  protected abstract bindGrouping(g: GroupingFunc, ctx: ExprCtx): BoundExpr;

  constructor(
    catalog: Catalog,
    script: string,
    fallback = -1,
    params?: BindParams,
    sessionGaps?: ReadonlyMap<number, Node>,
  ) {
    this.catalog = catalog;
    this.script = script;
    this.fallback = fallback;
    this.params = params;
    this.sessionGaps = sessionGaps;
  }

  place(offset: number | undefined): Place {
    return { text: this.script, offset: offset === undefined || offset < 0 ? this.fallback : offset };
  }

  protected unsupported(construct: string, offset: number | undefined): SqlError {
    return notSupported(construct, this.place(offset));
  }

  plainCtx(scope: readonly ScopeColumn[], clause: string): ExprCtx {
    return { scope, clause, agg: undefined, windows: undefined, aggAllowed: false };
  }

  bindWhere(n: Node, ctx: ExprCtx): BoundExpr {
    const e = this.bindExpr(n, ctx);
    if (e.type.name === 'boolean') return e;
    if (e.kind === 'Literal' && e.type.name === 'unknown')
      return coerce(e, T.boolean, this.place(locationOf(n)));
    throw datatypeMismatch(
      `argument of ${ctx.clause} must be type boolean, not type ${formatType(e.type)}`,
      this.place(locationOf(n)),
    );
  }

  private bindBool(n: Node, ctx: ExprCtx, what: string): BoundExpr {
    const e = this.bindExpr(n, ctx);
    if (e.type.name === 'boolean') return e;
    if (e.kind === 'Literal' && e.type.name === 'unknown')
      return coerce(e, T.boolean, this.place(locationOf(n)));
    throw datatypeMismatch(
      `argument of ${what} must be type boolean, not type ${formatType(e.type)}`,
      this.place(locationOf(n)),
    );
  }

  bindExpr(n: Node, ctx: ExprCtx): BoundExpr {
    if ('GroupingFunc' in n) return this.bindGrouping(n.GroupingFunc, ctx);
    // After aggregation, a sub-expression equal to a GROUP BY key reads the key's column.
    if (
      ctx.agg !== undefined &&
      !('A_Const' in n) &&
      ctx.agg.groupKeys.length > 0 &&
      !('ColumnRef' in n) &&
      !ctx.agg.groupKeys.every((k) => k.kind === 'ColumnRef')
    ) {
      if (!containsAggOrWindow(n)) {
        const preBound = this.bindExpr(n, ctx.agg.pre);
        const k = ctx.agg.groupKeys.findIndex((g) => exprEquals(g, preBound));
        if (k >= 0) {
          const g = ctx.agg.groupKeys[k] as BoundExpr;
          const col = ctx.scope[k];
          return columnRef(k, col?.name ?? (g.kind === 'ColumnRef' ? g.name : '?column?'), g.type);
        }
      }
    }
    const loc = locationOf(n);
    const place = this.place(loc);
    if ('ColumnRef' in n) {
      if (ctx.agg !== undefined) {
        const preBound = this.bindExpr(n, ctx.agg.pre);
        return this.groupedRef(preBound, ctx.agg, loc);
      }
      return this.resolveColumn(strings(n.ColumnRef.fields), ctx, loc);
    }
    if ('A_Const' in n) return constant(n.A_Const);
    if ('TypeCast' in n) {
      const tc = n.TypeCast;
      const arg = this.bindExpr(tc.arg as Node, ctx);
      const t = convertTypeName(tc.typeName, this.script);
      const mods = (tc.typeName?.typmods ?? []).map((m) =>
        'A_Const' in m ? (m.A_Const.ival?.ival ?? 0) : undefined,
      );
      const typmod = mods[0];
      const typePlace = this.place(tc.typeName?.location ?? loc);
      if (t.name === 'interval') return explicitCast(arg, t, typePlace, typmod);
      const cast = explicitCast(arg, t, typePlace);
      if (mods.some((m) => m === undefined))
        throw this.unsupported('type modifier that is not a constant', loc);
      return castTypmod(cast, mods as number[], typePlace);
    }
    if ('A_Expr' in n) return this.bindAExpr(n.A_Expr, ctx, place);
    if ('BoolExpr' in n) {
      const b = n.BoolExpr;
      const what = b.boolop === 'AND_EXPR' ? 'AND' : b.boolop === 'OR_EXPR' ? 'OR' : 'NOT';
      const args = (b.args ?? []).map((a) => this.bindBool(a, ctx, what));
      if (b.boolop === 'NOT_EXPR') return not(args[0] as BoundExpr);
      return b.boolop === 'AND_EXPR' ? and(args) : or(args);
    }
    if ('NullTest' in n) {
      const arg = this.bindExpr(n.NullTest.arg as Node, ctx);
      return Object.freeze({
        kind: 'IsNull',
        arg,
        negated: n.NullTest.nulltesttype === 'IS_NOT_NULL',
        type: T.boolean,
      });
    }
    if ('BooleanTest' in n) {
      const arg = this.bindBool(n.BooleanTest.arg as Node, ctx, 'IS TRUE');
      const fn = (n.BooleanTest.booltesttype ?? 'IS_TRUE').toLowerCase();
      return { kind: 'Call', fn, args: [arg], type: T.boolean } satisfies Call;
    }
    if ('CaseExpr' in n) return this.bindCase(n.CaseExpr, ctx, place);
    if ('CoalesceExpr' in n) {
      const args = (n.CoalesceExpr.args ?? []).map((a) => this.bindExpr(a, ctx));
      const t = unify(args, 'COALESCE', place);
      return Object.freeze({ kind: 'Coalesce', args: args.map((a) => coerce(a, t, place)), type: t });
    }
    if ('MinMaxExpr' in n) {
      const args = (n.MinMaxExpr.args ?? []).map((a) => this.bindExpr(a, ctx));
      const fn = n.MinMaxExpr.op === 'IS_GREATEST' ? 'greatest' : 'least';
      const t = unify(args, fn.toUpperCase(), place);
      return Object.freeze({ kind: 'Call', fn, args: args.map((a) => coerce(a, t, place)), type: t });
    }
    if ('FuncCall' in n) return this.bindFuncCall(n.FuncCall, ctx);
    if ('SQLValueFunction' in n) {
      switch (n.SQLValueFunction.op) {
        case 'SVFOP_CURRENT_TIMESTAMP':
        case 'SVFOP_CURRENT_TIMESTAMP_N':
          return resolveFunction('now', [], place);
        case 'SVFOP_CURRENT_DATE':
          return Object.freeze({ kind: 'Call', fn: 'current_date', args: [], type: T.date });
        case 'SVFOP_LOCALTIMESTAMP':
        case 'SVFOP_LOCALTIMESTAMP_N':
          return Object.freeze({ kind: 'Call', fn: 'localtimestamp', args: [], type: T.timestamp });
        default:
          throw this.unsupported((n.SQLValueFunction.op ?? '').replace('SVFOP_', ''), loc);
      }
    }
    if ('A_ArrayExpr' in n) {
      const els = (n.A_ArrayExpr.elements ?? []).map((a) => this.bindExpr(a, ctx));
      const t = els.length === 0 ? T.text : unify(els, 'ARRAY', place);
      return Object.freeze({
        kind: 'Call',
        fn: 'array',
        args: els.map((a) => coerce(a, t, place)),
        type: arrayOf(t),
      });
    }
    if ('SubLink' in n) throw this.subqueryError(n.SubLink.subselect, ctx, loc);
    if ('ParamRef' in n) return this.param(n.ParamRef.number ?? 0, loc);
    if ('A_Indirection' in n) {
      const ind = n.A_Indirection;
      const at = locationOf(ind.arg);
      const steps = ind.indirection ?? [];
      const first = steps[0];
      if (steps.length !== 1 || first === undefined || !('A_Indices' in first))
        throw this.unsupported('field selection or a subscript of more than one dimension', at);
      const ix = first.A_Indices;
      const inner = { ...ctx, clause: ctx.clause };
      const index = {
        lower: ix.lidx === undefined ? undefined : this.bindExpr(ix.lidx, inner),
        upper: ix.uidx === undefined ? undefined : this.bindExpr(ix.uidx, inner),
        slice: ix.is_slice === true,
      };
      return bindSubscript(this.bindExpr(ind.arg as Node, ctx), index, this.place(at), coerce);
    }
    if ('CollateClause' in n) throw this.unsupported('COLLATE', loc);
    if ('RowExpr' in n) throw this.unsupported('row constructor', loc);
    throw this.unsupported(tagOf(n), loc);
  }

  /**
   * `$n` as a constant: of the parameter's type, or an untyped literal (`'…'`) for a string of
   * type unknown or text, which its context types.
   */
  private param(n: number, loc: number): BoundExpr {
    if (this.params === undefined) throw this.unsupported(`parameter $${n}`, loc);
    if (n < 1 || n > this.params.values.length) throw undefinedParameter(n, loc);
    const value = this.params.values[n - 1] ?? null;
    const type = this.params.types[n - 1] ?? T.unknown;
    const untyped =
      type.name === 'unknown' || (type.name === 'text' && (value === null || typeof value === 'string'));
    return Object.freeze({ kind: 'Literal', value, type: untyped ? T.unknown : type, param: n });
  }

  /**
   * `(a, b) IN ((1, 2), (3, 4))`: a row equals a listed row when each of its fields equals the
   * listed one (AND), and is in the list when it equals one of them (OR); NOT IN negates it.
   * SQL's three-valued logic gives PostgreSQL's NULLs.
   */
  private bindRowIn(e: A_Expr, ctx: ExprCtx, place: Place, negated: boolean): BoundExpr {
    const fields = (n: Node | undefined): Node[] | undefined =>
      n !== undefined && 'RowExpr' in n ? (n.RowExpr.args ?? []) : undefined;
    const left = (fields(e.lexpr) ?? []).map((x) => this.bindExpr(x, ctx));
    const items = e.rexpr !== undefined && 'List' in e.rexpr ? (e.rexpr.List.items ?? []) : [];
    const rows = items.map((item) => {
      const right = fields(item);
      if (right === undefined || right.length !== left.length)
        throw new SqlError(
          SqlState.syntaxError,
          'unequal number of entries in row expressions',
          place.offset,
        );
      return and(
        right.map((r, i) => resolveOperator('=', left[i] as BoundExpr, this.bindExpr(r, ctx), place)),
      );
    });
    const any = or(rows);
    return negated ? not(any) : any;
  }

  private subqueryError(sub: Node | undefined, _ctx: ExprCtx, loc: number): SqlError {
    // A subquery that does not bind on its own refers to the outer query: correlated.
    if (sub !== undefined && 'SelectStmt' in sub) {
      try {
        this.bindSelect(sub.SelectStmt, undefined);
      } catch (e) {
        if (
          e instanceof SqlError &&
          (e.sqlstate === SqlState.undefinedColumn || e.sqlstate === SqlState.undefinedTable)
        )
          return this.unsupported('correlated subquery', loc);
      }
    }
    return this.unsupported('subquery in an expression', loc);
  }

  private resolveColumn(fields: readonly string[], ctx: ExprCtx, loc: number): BoundExpr {
    const name = fields[fields.length - 1] ?? '';
    const table = fields.length >= 2 ? fields[fields.length - 2] : undefined;
    if (fields.length > 3) throw this.unsupported('field selection', loc);
    let found = -1;
    for (let i = 0; i < ctx.scope.length; i++) {
      const c = ctx.scope[i] as ScopeColumn;
      if (c.name !== name) continue;
      if (table === undefined ? c.hidden : c.table !== table) continue;
      if (found >= 0) throw ambiguousColumn(fields.join('.'), this.place(loc));
      found = i;
    }
    if (found < 0) {
      if (table !== undefined && !ctx.scope.some((c) => c.table === table))
        throw new SqlError(
          SqlState.undefinedTable,
          `missing FROM-clause entry for table "${table}"`,
          loc + 1,
        );
      throw undefinedColumn(fields.join('.'), this.place(loc));
    }
    const c = ctx.scope[found] as ScopeColumn;
    return columnRef(found, c.name, c.type);
  }

  private bindAExpr(e: A_Expr, ctx: ExprCtx, place: Place): BoundExpr {
    try {
      return this.bindAExprInner(e, ctx, place);
    } catch (err) {
      // Bad literal input: point at the literal, as PostgreSQL does.
      if (err instanceof SqlError && err.sqlstate === SqlState.invalidTextRepresentation) {
        const items = e.rexpr !== undefined && 'List' in e.rexpr ? (e.rexpr.List.items ?? []) : [e.rexpr];
        for (const n of [e.lexpr, ...items]) {
          if (
            n !== undefined &&
            'A_Const' in n &&
            n.A_Const.sval !== undefined &&
            err.message.includes(`"${n.A_Const.sval.sval}"`)
          )
            throw new SqlError(err.sqlstate, err.message, (n.A_Const.location ?? -1) + 1);
        }
      }
      throw err;
    }
  }

  private bindAExprInner(e: A_Expr, ctx: ExprCtx, place: Place): BoundExpr {
    const op = strings(e.name)[0] ?? '';
    const lhs = () => this.bindExpr(e.lexpr as Node, ctx);
    switch (e.kind) {
      case 'AEXPR_OP': {
        const right = this.bindExpr(e.rexpr as Node, ctx);
        if (e.lexpr === undefined) return resolveOperator(op, right, undefined, place);
        return resolveOperator(op, lhs(), right, place);
      }
      case 'AEXPR_IN': {
        if (e.lexpr !== undefined && 'RowExpr' in e.lexpr) return this.bindRowIn(e, ctx, place, op === '<>');
        const arg = lhs();
        const items = e.rexpr !== undefined && 'List' in e.rexpr ? (e.rexpr.List.items ?? []) : [];
        if (e.rexpr !== undefined && 'SubLink' in e.rexpr)
          throw this.subqueryError(e.rexpr.SubLink.subselect, ctx, place.offset);
        const list = items.map((i) => this.bindExpr(i, ctx));
        // PostgreSQL (transformAExprIn): an item that reads a column is compared by its own `=`
        // (`<>` for NOT IN); the others form one list.
        const negated = op === '<>';
        const constants = list.filter((x) => columnsUsed(x).size === 0);
        const columns = list.filter((x) => columnsUsed(x).size > 0);
        const parts = [
          ...(constants.length === 0 ? [] : [inList(arg, constants, negated, place)]),
          ...columns.map((x) => inList(arg, [x], negated, place)),
        ];
        return parts.length === 1 ? (parts[0] as BoundExpr) : negated ? and(parts) : or(parts);
      }
      case 'AEXPR_BETWEEN':
      case 'AEXPR_NOT_BETWEEN': {
        const items = e.rexpr !== undefined && 'List' in e.rexpr ? (e.rexpr.List.items ?? []) : [];
        const x = lhs();
        const lo = this.bindExpr(items[0] as Node, ctx);
        const hi = this.bindExpr(items[1] as Node, ctx);
        if (e.kind === 'AEXPR_BETWEEN')
          return and([resolveOperator('>=', x, lo, place), resolveOperator('<=', x, hi, place)]);
        return or([resolveOperator('<', x, lo, place), resolveOperator('>', x, hi, place)]);
      }
      case 'AEXPR_LIKE':
      case 'AEXPR_ILIKE': {
        const right = this.bindExpr(e.rexpr as Node, ctx);
        return resolveOperator(op, lhs(), right, place);
      }
      case 'AEXPR_NULLIF': {
        const l = lhs();
        const r = this.bindExpr(e.rexpr as Node, ctx);
        resolveOperator('=', l, r, place);
        // The result has the type of the left input of PostgreSQL's `=`: text for strings
        // (there is no varchar = varchar), the left type where a cross-type `=` exists
        // (integers, floats: their values compare as they are), else the common type.
        const u = unify([l, r], 'NULLIF', place);
        const cross = (isInteger(l.type) && isInteger(r.type)) || (isFloat(l.type) && isFloat(r.type));
        if (cross) return Object.freeze({ kind: 'NullIf', left: l, right: r, type: l.type });
        const t = isString(u) ? T.text : u;
        return Object.freeze({
          kind: 'NullIf',
          left: coerce(l, t, place),
          right: coerce(r, t, place),
          type: t,
        });
      }
      case 'AEXPR_DISTINCT':
      case 'AEXPR_NOT_DISTINCT': {
        const eq = resolveOperator('=', lhs(), this.bindExpr(e.rexpr as Node, ctx), place) as Call;
        const fn = e.kind === 'AEXPR_DISTINCT' ? 'is_distinct_from' : 'is_not_distinct_from';
        return Object.freeze({ kind: 'Call', fn, args: eq.args, type: T.boolean });
      }
      case 'AEXPR_SIMILAR':
        throw this.unsupported('SIMILAR TO', place.offset);
      case 'AEXPR_OP_ANY':
      case 'AEXPR_OP_ALL': {
        const quantifier = e.kind === 'AEXPR_OP_ANY' ? 'any' : 'all';
        if (e.rexpr !== undefined && 'SubLink' in e.rexpr)
          throw this.subqueryError(e.rexpr.SubLink.subselect, ctx, place.offset);
        const x = lhs();
        const array = this.bindExpr(e.rexpr as Node, ctx);
        if (!['=', '<>', '!=', '<', '<=', '>', '>='].includes(op))
          throw this.unsupported(`${op} ${quantifier.toUpperCase()}`, place.offset);
        const bound = bindQuantified(quantifier, op === '!=' ? '<>' : op, x, array, place, coerce);
        if (bound === undefined)
          throw undefinedFunction(
            `${op} ${quantifier.toUpperCase()} (${formatType(x.type)}, ${formatType(array.type)})`,
            place,
          );
        return bound;
      }
      default:
        throw this.unsupported(e.kind ?? 'operator', place.offset);
    }
  }

  private bindCase(c: import('libpg-query').CaseExpr, ctx: ExprCtx, place: Place): BoundExpr {
    const arg = c.arg === undefined ? undefined : this.bindExpr(c.arg, ctx);
    const whens: { condition: BoundExpr; result: BoundExpr }[] = [];
    for (const w of c.args ?? []) {
      if (!('CaseWhen' in w)) continue;
      const cw = w.CaseWhen;
      const wl = this.place(cw.location);
      const cond =
        arg === undefined
          ? this.bindBool(cw.expr as Node, ctx, 'CASE/WHEN')
          : resolveOperator('=', arg, this.bindExpr(cw.expr as Node, ctx), wl);
      whens.push({ condition: cond, result: this.bindExpr(cw.result as Node, ctx) });
    }
    const dflt = c.defresult === undefined ? literal(null, T.unknown) : this.bindExpr(c.defresult, ctx);
    // PostgreSQL resolves the ELSE result first (it decides between varchar and text).
    const results = [dflt, ...whens.map((w) => w.result)];
    let t: SqlType = T.unknown;
    for (const r of results) {
      const u = commonType(t, r.type);
      if (u === undefined)
        throw datatypeMismatch(
          `CASE types ${formatType(t)} and ${formatType(r.type)} cannot be matched`,
          place,
        );
      t = u;
    }
    if (t.name === 'unknown') t = T.text;
    const tt = t;
    return Object.freeze({
      kind: 'Case',
      whens: whens.map((w) => Object.freeze({ condition: w.condition, result: coerce(w.result, tt, place) })),
      else: coerce(dflt, tt, place),
      type: tt,
    });
  }

  private bindFuncCall(fc: FuncCall, ctx: ExprCtx): BoundExpr {
    const name = funcName(fc);
    const loc = fc.location ?? -1;
    if (fc.over !== undefined) {
      const idx = ctx.windows?.get(fc);
      if (idx === undefined)
        throw groupingError(`window functions are not allowed in ${ctx.clause}`, this.place(loc));
      const col = ctx.scope[idx] as ScopeColumn;
      return columnRef(idx, col.name, col.type);
    }
    if (SET_RETURNING.has(name)) {
      const idx = ctx.sets?.get(fc);
      if (idx === undefined)
        throw new SqlError(
          SqlState.featureNotSupported,
          `set-returning functions are not allowed in ${ctx.clause}`,
          loc + 1,
        );
      const col = ctx.scope[idx] as ScopeColumn;
      return columnRef(idx, col.name, col.type);
    }
    if (aggregateNames.has(name)) {
      const idx = ctx.agg?.aggs.get(fc);
      if (idx === undefined) {
        const what =
          ctx.clause === 'aggregate function calls'
            ? 'aggregate function calls cannot be nested'
            : `aggregate functions are not allowed in ${ctx.clause}`;
        throw groupingError(what, this.place(loc));
      }
      const col = ctx.scope[idx] as ScopeColumn;
      return columnRef(idx, col.name, col.type);
    }
    if (windowOnlyNames.has(name))
      throw new SqlError('42809', `window function ${name} requires an OVER clause`, loc + 1);
    if (name === 'tumble' || name === 'hop')
      throw this.unsupported(`${name.toUpperCase()} outside FROM`, loc);
    if (UNSUPPORTED_AGGREGATES.has(name)) throw this.unsupported(`the aggregate ${name}`, loc);
    if (
      fc.agg_star === true ||
      fc.agg_distinct === true ||
      fc.agg_order !== undefined ||
      fc.agg_filter !== undefined
    )
      throw new SqlError('42809', `${name} is not an aggregate function`, loc + 1);
    const args = (fc.args ?? []).map((a) => this.bindExpr(a, ctx));
    return resolveFunction(name, args, this.place(loc));
  }

  protected groupedRef(pre: BoundExpr, agg: AggState, location: number | undefined): BoundExpr {
    const k = agg.groupKeys.findIndex((g) => exprEquals(g, pre));
    if (k >= 0) {
      const g = agg.groupKeys[k] as BoundExpr;
      return columnRef(k, g.kind === 'ColumnRef' ? g.name : '?column?', g.type);
    }
    const name = pre.kind === 'ColumnRef' ? pre.name : 'expression';
    throw groupingError(
      `column "${name}" must appear in the GROUP BY clause or be used in an aggregate function`,
      this.place(location),
    );
  }
}
