/**
 * Binding aggregates (GROUP BY, GROUPING SETS/ROLLUP/CUBE, GROUPING(), HAVING, FILTER,
 * DISTINCT, ordered-set aggregates), window functions and the set-returning functions of a
 * SELECT list.
 */

import type { FuncCall, GroupingFunc, Node, SelectStmt, SortBy, WindowDef } from 'libpg-query';
import { type ExprCtx, funcName, strings } from './bind-expressions.ts';
import { FromBinder } from './bind-from.ts';
import { bindWindowFrame, frameEquals } from './bind-window-frame.ts';
import { columnName } from './column-names.ts';
import { groupingError, SqlError, undefinedFunction } from './errors.ts';
import { type BoundExpr, columnRef, exprEquals, literal } from './expr.ts';
import { aggregateResultType, coerce, explicitCast, resolveOperator } from './functions.ts';
import { expandGroupingSets, groupingBits, groupingSetsPlan } from './grouping-sets.ts';
import type {
  AggregateCall,
  AggregateFunction,
  Plan,
  SetReturningCall,
  SortKey,
  WindowCall,
  WindowFrame,
  WindowFunction,
} from './plan.ts';
import { arrayOf, formatType, isInteger, isTimestamp, type SqlType, T } from './types.ts';

function isNumericType(t: SqlType): boolean {
  return ['int2', 'int4', 'int8', 'numeric', 'float4', 'float8'].includes(t.name);
}

export function sortKey(expr: BoundExpr, sb: SortBy): SortKey {
  const descending = sb.sortby_dir === 'SORTBY_DESC';
  const nullsFirst =
    sb.sortby_nulls === 'SORTBY_NULLS_FIRST' || (sb.sortby_nulls !== 'SORTBY_NULLS_LAST' && descending);
  return Object.freeze({ expr, descending, nullsFirst });
}

function sortKeyEquals(a: SortKey, b: SortKey): boolean {
  return a.descending === b.descending && a.nullsFirst === b.nullsFirst && exprEquals(a.expr, b.expr);
}

function listEquals(a: readonly BoundExpr[], b: readonly BoundExpr[]): boolean {
  return a.length === b.length && a.every((x, i) => exprEquals(x, b[i] as BoundExpr));
}

function aggEquals(a: AggregateCall, b: AggregateCall): boolean {
  return (
    a.fn === b.fn &&
    a.distinct === b.distinct &&
    listEquals(a.args, b.args) &&
    listEquals(a.direct, b.direct) &&
    (a.filter === undefined
      ? b.filter === undefined
      : b.filter !== undefined && exprEquals(a.filter, b.filter)) &&
    a.orderBy.length === b.orderBy.length &&
    a.orderBy.every((o, i) => sortKeyEquals(o, b.orderBy[i] as SortKey))
  );
}

function windowCallEquals(a: WindowCall, b: WindowCall): boolean {
  return a.fn === b.fn && listEquals(a.args, b.args) && frameEquals(a.frame, b.frame);
}

export abstract class AggregateBinder extends FromBinder {
  protected bindAggregate(stmt: SelectStmt, input: Plan, pre: ExprCtx, aggCalls: readonly FuncCall[]) {
    const groupKeys: BoundExpr[] = [];
    const groupNames: string[] = [];
    const keyOf = (g: Node): number => {
      const e = this.bindGroupKey(g, stmt, pre);
      const at = groupKeys.findIndex((k) => exprEquals(k, e));
      if (at >= 0) return at;
      groupKeys.push(e);
      groupNames.push(e.kind === 'ColumnRef' ? e.name : columnName(g));
      return groupKeys.length - 1;
    };
    const setNodes = expandGroupingSets(stmt.groupClause ?? []);
    const sets = setNodes?.map((set) => [...new Set(set.map(keyOf))]);
    if (sets === undefined) for (const g of stmt.groupClause ?? []) keyOf(g);
    const calls: AggregateCall[] = [];
    const map = new Map<FuncCall, number>();
    for (const fc of aggCalls) {
      const call = this.bindAggregateCall(fc, pre);
      let k = calls.findIndex((c) => aggEquals(c, call));
      if (k < 0) {
        calls.push(call);
        k = calls.length - 1;
      }
      map.set(fc, groupKeys.length + k);
    }
    const keyColumns = groupKeys.map((k, i) => ({ name: groupNames[i] as string, type: k.type }));
    const aggColumns = calls.map((c) => ({ name: c.fn === 'count_star' ? 'count' : c.fn, type: c.type }));
    let plan: Plan =
      sets === undefined
        ? Object.freeze({
            kind: 'Aggregate',
            input,
            groupKeys,
            aggregates: calls,
            columns: [...keyColumns, ...aggColumns],
          })
        : groupingSetsPlan(input, groupKeys, keyColumns, sets, calls, aggColumns);
    const columns = plan.columns;
    const ctx: ExprCtx = {
      // The grouping id is reached through GROUPING(…), never by name or `*`.
      scope: columns.map((c, i) => ({
        ...c,
        table: undefined,
        hidden: sets !== undefined && i === columns.length - 1,
      })),
      clause: 'SELECT',
      agg: {
        pre,
        groupKeys,
        aggs: map,
        ...(sets === undefined ? {} : { groupingId: columns.length - 1 }),
      },
      windows: undefined,
      aggAllowed: true,
    };
    if (stmt.havingClause !== undefined) {
      const h = this.bindWhere(stmt.havingClause, { ...ctx, clause: 'HAVING' });
      plan = Object.freeze({ kind: 'Filter', input: plan, predicate: h, columns: plan.columns });
    }
    return { plan, ctx };
  }

  /** `GROUPING(a, …)`: which of its keys the row's grouping set leaves out, as bits. */
  protected override bindGrouping(g: GroupingFunc, ctx: ExprCtx): BoundExpr {
    const place = this.place(g.location);
    const agg = ctx.agg;
    if (agg === undefined) throw groupingError(`aggregate functions are not allowed in ${ctx.clause}`, place);
    const keys = (g.args ?? []).map((a) => {
      const e = this.bindExpr(a, agg.pre);
      const k = agg.groupKeys.findIndex((x) => exprEquals(x, e));
      if (k < 0)
        throw groupingError(
          'arguments to GROUPING must be grouping expressions of the associated query level',
          place,
        );
      return k;
    });
    if (agg.groupingId === undefined) return literal(0, T.int4);
    const gid = columnRef(agg.groupingId, 'grouping', T.int4);
    return groupingBits(keys, agg.groupKeys.length, gid, (op, l, r) => resolveOperator(op, l, r, place));
  }

  private bindGroupKey(g: Node, stmt: SelectStmt, pre: ExprCtx): BoundExpr {
    const targets = (stmt.targetList ?? []).flatMap((t) => ('ResTarget' in t ? [t.ResTarget] : []));
    if ('A_Const' in g && g.A_Const.ival !== undefined) {
      const k = g.A_Const.ival.ival ?? 0;
      const t = targets[k - 1];
      if (t?.val === undefined)
        throw new SqlError(
          '42P10',
          `GROUP BY position ${k} is not in select list`,
          (g.A_Const.location ?? -1) + 1,
        );
      return this.bindExpr(t.val, { ...pre, clause: 'GROUP BY' });
    }
    if ('ColumnRef' in g) {
      const f = strings(g.ColumnRef.fields);
      // An input column wins; else an output column alias (PostgreSQL's rule).
      if (f.length === 1 && !pre.scope.some((c) => c.name === f[0] && !c.hidden)) {
        const t = targets.find((x) => x.name === f[0]);
        if (t?.val !== undefined) return this.bindExpr(t.val, { ...pre, clause: 'GROUP BY' });
      }
    }
    return this.bindExpr(g, { ...pre, clause: 'GROUP BY' });
  }

  private bindAggregateCall(fc: FuncCall, pre: ExprCtx): AggregateCall {
    const name = funcName(fc);
    const loc = fc.location ?? -1;
    const place = this.place(loc);
    const inner: ExprCtx = { ...pre, clause: 'aggregate function calls', aggAllowed: false };
    const args = (fc.args ?? []).map((a) => this.bindExpr(a, inner));
    const distinct = fc.agg_distinct === true;
    const filter =
      fc.agg_filter === undefined ? undefined : this.bindWhere(fc.agg_filter, { ...inner, clause: 'FILTER' });
    const order = (fc.agg_order ?? []).flatMap((s) =>
      'SortBy' in s && s.SortBy.node !== undefined
        ? [sortKey(this.bindExpr(s.SortBy.node, inner), s.SortBy)]
        : [],
    );
    const make = (
      fn: AggregateFunction,
      a: BoundExpr[],
      type: SqlType,
      direct: BoundExpr[] = [],
      orderBy = order,
    ) => Object.freeze({ fn, args: a, direct, distinct, filter, orderBy, type });
    if (fc.agg_within_group === true) {
      const key = order[0];
      if (order.length !== 1 || key === undefined)
        throw this.unsupported(`${name} WITHIN GROUP with ${order.length} ordering columns`, loc);
      if (name === 'percentile_cont' || name === 'approx_percentile') {
        const frac = args.map((a) => coerce(a, T.float8, place));
        if (
          frac.length !== (name === 'percentile_cont' ? 1 : frac.length) ||
          frac.length === 0 ||
          frac.length > 2
        )
          throw undefinedFunction(`${name}(${args.map((a) => formatType(a.type)).join(', ')})`, place);
        const t = key.expr.type.name === 'interval' && name === 'percentile_cont' ? T.interval : T.float8;
        if (t === T.float8 && !isNumericType(key.expr.type))
          throw undefinedFunction(`${name}(double precision ORDER BY ${formatType(key.expr.type)})`, place);
        const sorted = coerce(key.expr, t, place);
        return make(name, [sorted], t, frac, [{ ...key, expr: sorted }]);
      }
      if (name === 'mode') {
        if (args.length !== 0) throw undefinedFunction(`mode(${args.length} arguments)`, place);
        return make('mode', [key.expr], key.expr.type, [], [key]);
      }
      if (name === 'percentile_disc') {
        if (args.length !== 1) throw undefinedFunction(`${name}(${args.length} arguments)`, place);
        return make('percentile_disc', [key.expr], key.expr.type, [
          coerce(args[0] as BoundExpr, T.float8, place),
        ]);
      }
      throw this.unsupported(`WITHIN GROUP for ${name}`, loc);
    }
    if (
      name === 'percentile_cont' ||
      name === 'percentile_disc' ||
      name === 'approx_percentile' ||
      name === 'mode'
    )
      throw new SqlError('42809', `WITHIN GROUP is required for ordered-set aggregate ${name}`, loc + 1);
    if (fc.agg_star === true) {
      if (name !== 'count') throw undefinedFunction(`${name}(*)`, place);
      return make('count_star', [], T.int8);
    }
    const a0 = args[0];
    if (a0 === undefined) throw undefinedFunction(`${name}()`, place);
    const sig = () => `${name}(${args.map((a) => formatType(a.type)).join(', ')})`;
    switch (name) {
      case 'count':
        if (args.length !== 1) throw undefinedFunction(sig(), place);
        return make('count', args, T.int8);
      case 'string_agg': {
        if (args.length !== 2) throw undefinedFunction(sig(), place);
        return make(
          'string_agg',
          args.map((a) => coerce(a, T.text, place)),
          T.text,
        );
      }
      case 'array_agg':
        if (args.length !== 1) throw undefinedFunction(sig(), place);
        return make('array_agg', args, arrayOf(a0.type.name === 'unknown' ? T.text : a0.type));
      // tidewatch's json is jsonb, so json_agg and json_object_agg are jsonb's.
      case 'jsonb_agg':
      case 'json_agg':
        if (args.length !== 1) throw undefinedFunction(sig(), place);
        return make('jsonb_agg', [a0.type.name === 'unknown' ? coerce(a0, T.text, place) : a0], T.jsonb);
      case 'jsonb_object_agg':
      case 'json_object_agg': {
        const [k, v] = args;
        if (args.length !== 2 || k === undefined || v === undefined) throw undefinedFunction(sig(), place);
        const value = v.type.name === 'unknown' ? coerce(v, T.text, place) : v;
        return make('jsonb_object_agg', [explicitCast(k, T.text, place), value], T.jsonb);
      }
      case 'first_value':
      case 'last_value': {
        if (args.length !== 1) throw undefinedFunction(sig(), place);
        if (order.length === 0)
          throw this.unsupported(`${name} as an aggregate without ORDER BY in the call`, loc);
        const arg = a0.type.name === 'unknown' ? coerce(a0, T.text, place) : a0;
        return make(name, [arg], arg.type);
      }
      default: {
        const fn =
          ({ stddev: 'stddev_samp', variance: 'var_samp', every: 'bool_and' } as Record<string, string>)[
            name
          ] ?? name;
        if (args.length !== 1) throw undefinedFunction(sig(), place);
        const arg =
          a0.type.name === 'unknown' ? coerce(a0, fn.startsWith('bool') ? T.boolean : T.numeric, place) : a0;
        const t = aggregateResultType(fn, arg.type);
        if (t === undefined) throw undefinedFunction(sig(), place);
        return make(fn as AggregateFunction, [arg], t);
      }
    }
  }

  protected bindWindows(input: Plan, ctx: ExprCtx, calls: readonly FuncCall[]) {
    interface Spec {
      partitionBy: BoundExpr[];
      orderBy: SortKey[];
      functions: WindowCall[];
      nodes: FuncCall[][];
    }
    const specs: Spec[] = [];
    for (const fc of calls) {
      const over = fc.over as WindowDef;
      const loc = over.location ?? fc.location ?? -1;
      if (over.refname !== undefined || over.name !== undefined) throw this.unsupported('named window', loc);
      const inner: ExprCtx = { ...ctx, clause: 'window definition', windows: undefined };
      const partitionBy = (over.partitionClause ?? []).map((p) => this.bindExpr(p, inner));
      const orderBy = (over.orderClause ?? []).flatMap((s) =>
        'SortBy' in s && s.SortBy.node !== undefined
          ? [sortKey(this.bindExpr(s.SortBy.node, inner), s.SortBy)]
          : [],
      );
      const frame = bindWindowFrame(over, orderBy, this.sessionGaps?.get(over.location ?? -1), {
        bindConstant: (n) => this.bindExpr(n, this.plainCtx([], 'window frame')),
        place: (o) => this.place(o),
      });
      const call = this.bindWindowCall(fc, frame, { ...inner, clause: 'window function calls' });
      let spec = specs.find(
        (s) =>
          s.partitionBy.length === partitionBy.length &&
          s.partitionBy.every((p, i) => exprEquals(p, partitionBy[i] as BoundExpr)) &&
          s.orderBy.length === orderBy.length &&
          s.orderBy.every((o, i) => sortKeyEquals(o, orderBy[i] as SortKey)),
      );
      if (spec === undefined) {
        spec = { partitionBy, orderBy, functions: [], nodes: [] };
        specs.push(spec);
      }
      const same = spec.functions.findIndex((f) => windowCallEquals(f, call));
      if (same >= 0) spec.nodes[same]?.push(fc);
      else {
        spec.functions.push(call);
        spec.nodes.push([fc]);
      }
    }
    const map = new Map<FuncCall, number>();
    let plan = input;
    for (const s of specs) {
      const base = plan.columns.length;
      const columns = [
        ...plan.columns,
        ...s.functions.map((f) => ({ name: f.fn === 'count_star' ? 'count' : f.fn, type: f.type })),
      ];
      s.nodes.forEach((nodes, i) => {
        for (const n of nodes) map.set(n, base + i);
      });
      plan = Object.freeze({
        kind: 'Window',
        input: plan,
        partitionBy: s.partitionBy,
        orderBy: s.orderBy,
        functions: s.functions,
        columns,
      });
    }
    // A window function's column is reached through its call (`windows`), never by name or `*`.
    const scope = plan.columns.map((c) => ({ ...c, table: undefined, hidden: true }));
    return { plan, ctx: { ...ctx, scope: [...ctx.scope, ...scope.slice(ctx.scope.length)], windows: map } };
  }

  protected bindProjectSet(input: Plan, ctx: ExprCtx, calls: readonly FuncCall[]) {
    const functions = calls.map((fc) => this.bindSetReturningCall(fc, ctx));
    const base = input.columns.length;
    const plan: Plan = Object.freeze({
      kind: 'ProjectSet',
      input,
      functions,
      columns: [...input.columns, ...functions.map((f) => ({ name: f.fn, type: f.type }))],
    });
    // Reached through its call (`sets`), never by name or `*`.
    const added = functions.map((f) => ({ name: f.fn, type: f.type, table: undefined, hidden: true }));
    return {
      plan,
      ctx: { ...ctx, scope: [...ctx.scope, ...added], sets: new Map(calls.map((fc, i) => [fc, base + i])) },
    };
  }

  private bindSetReturningCall(fc: FuncCall, ctx: ExprCtx): SetReturningCall {
    const name = funcName(fc);
    const loc = fc.location ?? -1;
    const place = this.place(loc);
    const args = (fc.args ?? []).map((a) =>
      this.bindExpr(a, { ...ctx, clause: 'arguments of set-returning functions' }),
    );
    const sig = () => `${name}(${args.map((a) => formatType(a.type)).join(', ')})`;
    if (name === 'unnest') {
      const a = args[0];
      if (a === undefined || args.length !== 1 || a.type.name !== 'array')
        throw undefinedFunction(sig(), place);
      let element = a.type.element ?? T.text;
      while (element.name === 'array' && element.element !== undefined) element = element.element;
      return Object.freeze({ fn: 'unnest', args, type: element });
    }
    const [start, stop, step] = args;
    if (start === undefined || stop === undefined || args.length > 3) throw undefinedFunction(sig(), place);
    if (isTimestamp(start.type) || isTimestamp(stop.type)) {
      const t = isTimestamp(start.type) ? start.type : stop.type;
      if (step === undefined || (step.type.name !== 'interval' && step.type.name !== 'unknown'))
        throw undefinedFunction(sig(), place);
      return Object.freeze({
        fn: 'generate_series',
        args: [coerce(start, t, place), coerce(stop, t, place), coerce(step, T.interval, place)],
        type: t,
      });
    }
    const bounds = step === undefined ? [start, stop] : [start, stop, step];
    if (!bounds.every((b) => isInteger(b.type) || b.type.name === 'unknown')) {
      if (bounds.some((b) => b.type.name === 'numeric'))
        throw this.unsupported('generate_series over numeric', loc);
      throw undefinedFunction(sig(), place);
    }
    const t = bounds.some((b) => b.type.name === 'int8') ? T.int8 : T.int4;
    return Object.freeze({ fn: 'generate_series', args: bounds.map((b) => coerce(b, t, place)), type: t });
  }

  private bindWindowCall(fc: FuncCall, frame: WindowFrame, ctx: ExprCtx): WindowCall {
    const name = funcName(fc);
    const loc = fc.location ?? -1;
    const place = this.place(loc);
    if (fc.agg_distinct === true) throw this.unsupported('DISTINCT in a window function', loc);
    if (fc.agg_filter !== undefined) throw this.unsupported('FILTER in a window function', loc);
    if (fc.agg_within_group === true) throw this.unsupported(`${name} as a window function`, loc);
    const args = (fc.args ?? []).map((a) => this.bindExpr(a, ctx));
    const make = (fn: WindowFunction, a: BoundExpr[], type: SqlType): WindowCall =>
      Object.freeze({ fn, args: a, type, frame });
    const sig = () => `${name}(${args.map((a) => formatType(a.type)).join(', ')})`;
    switch (name) {
      case 'row_number':
      case 'rank':
      case 'dense_rank':
        if (args.length > 0) throw undefinedFunction(sig(), place);
        return make(name, [], T.int8);
      case 'lag':
      case 'lead': {
        const [x, off, dflt] = args;
        if (x === undefined || args.length > 3) throw undefinedFunction(sig(), place);
        const a: BoundExpr[] = [x];
        if (off !== undefined) a.push(coerce(off, T.int4, place));
        if (dflt !== undefined) a.push(coerce(dflt, x.type, place));
        return make(name, a, x.type);
      }
      case 'first_value':
      case 'last_value':
        if (args.length !== 1) throw undefinedFunction(sig(), place);
        return make(name, args, (args[0] as BoundExpr).type);
      case 'count':
        if (fc.agg_star === true) return make('count_star', [], T.int8);
        if (args.length !== 1) throw undefinedFunction(sig(), place);
        return make('count', args, T.int8);
      case 'sum':
      case 'avg':
      case 'min':
      case 'max': {
        const a0 = args[0];
        if (a0 === undefined || args.length !== 1) throw undefinedFunction(sig(), place);
        const t = aggregateResultType(name, a0.type);
        if (t === undefined) throw undefinedFunction(sig(), place);
        return make(name, args, t);
      }
      default:
        throw this.unsupported(`window function ${name}`, loc);
    }
  }
}
