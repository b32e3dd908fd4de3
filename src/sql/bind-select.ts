/**
 * Binding a SELECT: VALUES, set operations, the clauses of a simple SELECT in their order
 * (FROM, WHERE, aggregates and windows, the SELECT list, DISTINCT, ORDER BY, LIMIT). `Binder`
 * is the whole binder, its layers below it: expressions, FROM, aggregates.
 */

import type { FuncCall, Node, SelectStmt, SortBy } from 'libpg-query';
import { AggregateBinder, sortKey } from './bind-aggregates.ts';
import {
  collectCalls,
  type ExprCtx,
  forEachCall,
  funcName,
  locationOf,
  SET_RETURNING,
  strings,
  tagOf,
} from './bind-expressions.ts';
import type { Cte, CteEnv } from './bind-from.ts';
import {
  applySubqueryFilters,
  type Bound,
  type SubqueryBinding,
  whereConjuncts,
} from './bind-subquery-filters.ts';
import { columnName } from './column-names.ts';
import { conjuncts, filtered } from './conjuncts.ts';
import { ambiguousColumn, datatypeMismatch, SqlError, SqlState } from './errors.ts';
import { and, type BoundExpr, columnRef, columnsUsed, exprEquals } from './expr.ts';
import { coerce, resolveOperator } from './functions.ts';
import type { Plan, PlanColumn, SortKey } from './plan.ts';
import { distinctRows, project } from './plan.ts';
import { intersectOrExcept } from './set-operations.ts';
import { commonType, formatType, type SqlType, T } from './types.ts';

/** A SELECT without DISTINCT, ORDER BY, LIMIT or OFFSET: its plan ends in its SELECT list's Project. */
function isPlain(stmt: SelectStmt): boolean {
  return (
    stmt.distinctClause === undefined &&
    stmt.sortClause === undefined &&
    stmt.limitCount === undefined &&
    stmt.limitOffset === undefined
  );
}

/** The set-returning calls of a SELECT list item, outermost first, subqueries left out. */
function collectSetReturning(n: unknown, out: FuncCall[]): void {
  forEachCall(n, (fc) => {
    if (!SET_RETURNING.has(funcName(fc)) || fc.over !== undefined) return true;
    out.push(fc);
    return false;
  });
}

export class Binder extends AggregateBinder {
  /** `keepUnknown`: a plain SELECT list's untyped expressions stay unknown (INSERT … SELECT). */
  override bindSelect(stmt: SelectStmt, outer: CteEnv | undefined, keepUnknown = false): Bound {
    let env = outer;
    const w = stmt.withClause;
    if (w !== undefined) {
      if (w.recursive === true) throw this.unsupported('WITH RECURSIVE', w.location);
      const ctes = new Map<string, Cte>();
      for (const n of w.ctes ?? []) {
        if (!('CommonTableExpr' in n)) continue;
        const c = n.CommonTableExpr;
        const name = c.ctename ?? '';
        const q = c.ctequery;
        if (q === undefined || !('SelectStmt' in q))
          throw this.unsupported('data-modifying statement in WITH', c.location);
        if (ctes.has(name))
          throw new SqlError(
            '42712',
            `WITH query name "${name}" specified more than once`,
            (c.location ?? -1) + 1,
          );
        const cols = c.aliascolnames === undefined ? undefined : strings(c.aliascolnames);
        // Each CTE sees the ones before it.
        ctes.set(name, {
          name,
          query: q.SelectStmt,
          columnNames: cols,
          env: { ctes: new Map(ctes), parent: env },
        });
      }
      env = { ctes, parent: env };
    }
    let bound: Bound;
    if (stmt.op !== undefined && stmt.op !== 'SETOP_NONE') bound = this.bindSetOp(stmt, env);
    else if (stmt.valuesLists !== undefined) bound = this.bindValues(stmt);
    else return this.bindSimpleSelect(stmt, env, keepUnknown);
    return this.bindOrderLimit(stmt, bound, env);
  }

  /** What bind-subquery-filters.ts needs of the binder, within the CTEs of `env`. */
  private subqueryBinding(env: CteEnv | undefined): SubqueryBinding {
    return {
      bindQuery: (stmt) => this.bindSelect(stmt, env),
      bindFrom: (items) => {
        let from = this.bindFromItem(items[0] as Node, env);
        for (const item of items.slice(1)) from = this.crossJoin(from, this.bindFromItem(item, env));
        return from;
      },
      bindCondition: (n, scope) => this.bindWhere(n, this.plainCtx(scope, 'WHERE')),
      bindValue: (n, scope) => this.bindExpr(n, this.plainCtx(scope, 'WHERE')),
      compare: (op, l, r) => resolveOperator(op, l, r, undefined),
      unsupported: (construct, loc) => this.unsupported(construct, loc),
    };
  }

  private bindValues(stmt: SelectStmt): Bound {
    const ctx = this.plainCtx([], 'VALUES');
    const rows = (stmt.valuesLists ?? []).map((r) =>
      ('List' in r ? (r.List.items ?? []) : []).map((e) => this.bindExpr(e, ctx)),
    );
    const width = rows[0]?.length ?? 0;
    const types: SqlType[] = [];
    for (let c = 0; c < width; c++) {
      let t: SqlType = T.unknown;
      for (const r of rows) {
        const e = r[c];
        if (e === undefined)
          throw new SqlError(SqlState.syntaxError, 'VALUES lists must all be the same length');
        const u = commonType(t, e.type);
        if (u === undefined)
          throw datatypeMismatch(`VALUES types ${formatType(t)} and ${formatType(e.type)} cannot be matched`);
        t = u;
      }
      types.push(t.name === 'unknown' ? T.text : t);
    }
    const coerced = rows.map((r) => r.map((e, i) => coerce(e, types[i] as SqlType, undefined)));
    const columns = types.map((type, i) => ({ name: `column${i + 1}`, type }));
    return {
      plan: Object.freeze({ kind: 'Values', rows: coerced, columns }),
      scope: columns.map((c) => ({ ...c, table: undefined, hidden: false })),
    };
  }

  private bindSetOp(stmt: SelectStmt, env: CteEnv | undefined): Bound {
    const opName =
      stmt.op === 'SETOP_UNION' ? 'UNION' : stmt.op === 'SETOP_INTERSECT' ? 'INTERSECT' : 'EXCEPT';
    const leftAst = stmt.larg;
    const rightAst = stmt.rarg;
    if (leftAst === undefined || rightAst === undefined) throw this.unsupported(opName, -1);
    const l = this.bindSelect(leftAst, env);
    const r = this.bindSelect(rightAst, env);
    if (l.plan.columns.length !== r.plan.columns.length)
      throw new SqlError(SqlState.syntaxError, `each ${opName} query must have the same number of columns`);
    const types = l.plan.columns.map((c, i) => {
      const rc = r.plan.columns[i] as PlanColumn;
      const t = commonType(c.type, rc.type);
      if (t === undefined)
        throw datatypeMismatch(
          `${opName} types ${formatType(c.type)} and ${formatType(rc.type)} cannot be matched`,
        );
      return t.name === 'unknown' ? T.text : t;
    });
    const conform = (p: Plan): Plan => {
      if (p.columns.every((c, i) => c.type === types[i])) return p;
      const exprs = p.columns.map((c, i) =>
        coerce(columnRef(i, c.name, c.type), types[i] as SqlType, undefined),
      );
      return project(
        p,
        exprs,
        p.columns.map((c, i) => ({ name: c.name, type: types[i] as SqlType })),
      );
    };
    const columns = l.plan.columns.map((c, i) => ({ name: c.name, type: types[i] as SqlType }));
    const scope = columns.map((c) => ({ ...c, table: undefined, hidden: false }));
    if (stmt.op !== 'SETOP_UNION') {
      const op = stmt.op === 'SETOP_INTERSECT' ? 'intersect' : 'except';
      return {
        plan: intersectOrExcept(op, stmt.all === true, conform(l.plan), conform(r.plan), columns),
        scope,
      };
    }
    const inputs: Plan[] = [];
    for (const p of [conform(l.plan), conform(r.plan)]) {
      if (p.kind === 'UnionAll') inputs.push(...p.inputs);
      else inputs.push(p);
    }
    let plan: Plan = Object.freeze({ kind: 'UnionAll', inputs, columns });
    if (stmt.all !== true) plan = distinctRows(plan);
    return { plan, scope };
  }

  private bindSimpleSelect(stmt: SelectStmt, env: CteEnv | undefined, keepUnknown = false): Bound {
    // FROM
    let from: Bound;
    const items = stmt.fromClause ?? [];
    if (items.length === 0) {
      from = { plan: Object.freeze({ kind: 'Values', rows: [[]], columns: [] }), scope: [] };
    } else {
      from = this.bindFromItem(items[0] as Node, env);
      for (const item of items.slice(1)) from = this.crossJoin(from, this.bindFromItem(item, env));
    }
    const pre = this.plainCtx(from.scope, 'WHERE');
    let plan = from.plan;

    // WHERE (+ top-N recognition over a ranked subquery)
    if (stmt.whereClause !== undefined) {
      const filtered = applySubqueryFilters(
        whereConjuncts(stmt.whereClause),
        from,
        this.subqueryBinding(env),
      );
      plan = filtered.plan;
      if (filtered.rest.length > 0) {
        const predicate = and(filtered.rest.map((c) => this.bindWhere(c, pre)));
        plan = this.whereFilter(plan, predicate);
      }
    }

    // Aggregates and window functions used by the query.
    const aggCalls: FuncCall[] = [];
    const windowCalls: FuncCall[] = [];
    const collect = (n: Node | undefined) => collectCalls(n, aggCalls, windowCalls);
    for (const t of stmt.targetList ?? []) collect(t);
    collect(stmt.havingClause);
    for (const s of stmt.sortClause ?? []) collect(s);
    if (stmt.windowClause !== undefined)
      throw this.unsupported('WINDOW clause', locationOf(stmt.windowClause[0]));

    let ctx: ExprCtx = { ...pre, clause: 'SELECT', aggAllowed: true };
    if (aggCalls.length > 0 || stmt.groupClause !== undefined || stmt.havingClause !== undefined) {
      const r = this.bindAggregate(stmt, plan, pre, aggCalls);
      plan = r.plan;
      ctx = r.ctx;
    }
    if (windowCalls.length > 0) {
      const r = this.bindWindows(plan, ctx, windowCalls);
      plan = r.plan;
      ctx = r.ctx;
    }
    const setCalls: FuncCall[] = [];
    for (const t of stmt.targetList ?? []) collectSetReturning(t, setCalls);
    if (setCalls.length > 0) {
      const r = this.bindProjectSet(plan, ctx, setCalls);
      plan = r.plan;
      ctx = r.ctx;
    }

    // SELECT list
    const exprs: BoundExpr[] = [];
    const columns: PlanColumn[] = [];
    for (const t of stmt.targetList ?? []) {
      if (!('ResTarget' in t)) continue;
      const rt = t.ResTarget;
      const val = rt.val;
      if (val === undefined) continue;
      if ('ColumnRef' in val && strings(val.ColumnRef.fields).at(-1) === '*') {
        for (const e of this.expandStar(val.ColumnRef.fields ?? [], val.ColumnRef.location, ctx)) {
          exprs.push(e.expr);
          columns.push({ name: e.name, type: e.expr.type });
        }
        continue;
      }
      let e = this.bindExpr(val, ctx);
      if (e.type.name === 'unknown' && !(keepUnknown && isPlain(stmt))) e = coerce(e, T.text, undefined);
      exprs.push(e);
      columns.push({ name: rt.name ?? columnName(val), type: e.type });
    }
    const outputWidth = exprs.length;

    // ORDER BY: output columns by name/ordinal, else expressions (hidden columns if needed).
    const keys: SortKey[] = [];
    for (const s of stmt.sortClause ?? []) {
      if (!('SortBy' in s)) continue;
      const sb = s.SortBy;
      const idx = this.orderTarget(sb, columns, exprs, ctx);
      const col = columns[idx] as PlanColumn;
      keys.push(sortKey(columnRef(idx, col.name, col.type), sb));
    }
    const distinctOn = (stmt.distinctClause ?? []).filter((n) => tagOf(n) !== '');
    const isDistinct = stmt.distinctClause !== undefined && distinctOn.length === 0;
    if (isDistinct && exprs.length > outputWidth)
      throw new SqlError('42P10', 'for SELECT DISTINCT, ORDER BY expressions must appear in select list');
    // DISTINCT ON (e, …): the first row of each e by the ORDER BY, which must start with them.
    const onColumns = distinctOn.map((n) =>
      this.orderTarget({ node: n, location: locationOf(n) } as SortBy, columns, exprs, ctx),
    );
    onColumns.forEach((c, i) => {
      const k = keys[i];
      if (k !== undefined && !(k.expr.kind === 'ColumnRef' && k.expr.index === c))
        throw new SqlError(
          '42P10',
          'SELECT DISTINCT ON expressions must match initial ORDER BY expressions',
          (locationOf(distinctOn[i]) ?? -1) + 1,
        );
    });
    plan = project(plan, exprs, columns);
    if (isDistinct) plan = distinctRows(plan);
    if (onColumns.length > 0)
      plan = Object.freeze({
        kind: 'TopN',
        input: plan,
        partitionBy: onColumns.map((c) =>
          columnRef(c, (columns[c] as PlanColumn).name, (columns[c] as PlanColumn).type),
        ),
        orderBy: keys.slice(onColumns.length),
        limit: 1,
        offset: 0,
        rankFunction: undefined,
        columns: plan.columns,
      });
    const bound = this.finishOrderLimit(plan, keys, stmt, outputWidth);
    return { plan: bound, scope: bound.columns.map((c) => ({ ...c, table: undefined, hidden: false })) };
  }

  /**
   * WHERE over `input`: a Filter the optimizer's rules may rewrite (into a TopN, an equi-join).
   * Over HOP, a conjunct over the input's own columns holds for all of a row's windows or none:
   * it filters the input once instead of every window's copy.
   */
  private whereFilter(input: Plan, predicate: BoundExpr): Plan {
    let plan = input;
    let rest = conjuncts(predicate);
    if (plan.kind === 'Hop') {
      const width = plan.input.columns.length;
      const below = rest.filter((c) => [...columnsUsed(c)].every((i) => i < width));
      if (below.length > 0) {
        plan = Object.freeze({ ...plan, input: filtered(plan.input, below) });
        rest = rest.filter((c) => !below.includes(c));
      }
    }
    const out = filtered(plan, rest);
    if (out.kind === 'Filter') this.whereFilters.add(out);
    return out;
  }

  /** ORDER BY / LIMIT on a set operation or VALUES: output columns only. */
  private bindOrderLimit(stmt: SelectStmt, bound: Bound, _env: CteEnv | undefined): Bound {
    if (stmt.sortClause === undefined && stmt.limitCount === undefined && stmt.limitOffset === undefined)
      return bound;
    const columns = [...bound.plan.columns];
    const exprs = columns.map((c, i) => columnRef(i, c.name, c.type) as BoundExpr);
    const ctx = this.plainCtx(bound.scope, 'ORDER BY');
    const keys: SortKey[] = [];
    for (const s of stmt.sortClause ?? []) {
      if (!('SortBy' in s)) continue;
      const idx = this.orderTarget(s.SortBy, columns, exprs, ctx);
      if (idx >= bound.plan.columns.length)
        throw this.unsupported('ORDER BY expression on a UNION result', s.SortBy.location);
      const col = columns[idx] as PlanColumn;
      keys.push(sortKey(columnRef(idx, col.name, col.type), s.SortBy));
    }
    const plan = this.finishOrderLimit(bound.plan, keys, stmt, columns.length);
    return { plan, scope: bound.scope };
  }

  /** Index of the ORDER BY item among the output columns (appending a hidden column if needed). */
  private orderTarget(sb: SortBy, columns: PlanColumn[], exprs: BoundExpr[], ctx: ExprCtx): number {
    const n = sb.node;
    if (n === undefined) throw this.unsupported('ORDER BY', sb.location);
    if (sb.sortby_dir === 'SORTBY_USING') throw this.unsupported('ORDER BY … USING', sb.location);
    if ('A_Const' in n && n.A_Const.ival !== undefined) {
      const k = n.A_Const.ival.ival ?? 0;
      if (k < 1 || k > columns.length)
        throw new SqlError(
          '42P10',
          `ORDER BY position ${k} is not in select list`,
          (n.A_Const.location ?? -1) + 1,
        );
      return k - 1;
    }
    if ('ColumnRef' in n) {
      const f = strings(n.ColumnRef.fields);
      if (f.length === 1) {
        const matches = columns.map((c, i) => (c.name === f[0] ? i : -1)).filter((i) => i >= 0);
        if (matches.length === 1) return matches[0] as number;
        if (matches.length > 1) {
          const first = exprs[matches[0] as number] as BoundExpr;
          if (!matches.every((m) => exprEquals(exprs[m] as BoundExpr, first)))
            throw ambiguousColumn(f[0] as string, this.place(n.ColumnRef.location));
          return matches[0] as number;
        }
      }
    }
    const e = this.bindExpr(n, { ...ctx, clause: 'ORDER BY' });
    const found = exprs.findIndex((x) => exprEquals(x, e));
    if (found >= 0) return found;
    exprs.push(e);
    columns.push({ name: columnName(n), type: e.type });
    return exprs.length - 1;
  }

  private finishOrderLimit(
    input: Plan,
    keys: readonly SortKey[],
    stmt: SelectStmt,
    outputWidth: number,
  ): Plan {
    const limit = this.constInt(stmt.limitCount, 'LIMIT');
    const offset = this.constInt(stmt.limitOffset, 'OFFSET') ?? 0;
    if (stmt.limitOption === 'LIMIT_OPTION_WITH_TIES') throw this.unsupported('FETCH … WITH TIES', -1);
    let plan = input;
    if (keys.length > 0 && limit !== undefined) {
      plan = Object.freeze({
        kind: 'TopN',
        input: plan,
        partitionBy: [],
        orderBy: keys,
        limit,
        offset,
        rankFunction: undefined,
        columns: plan.columns,
      });
    } else {
      if (keys.length > 0) plan = Object.freeze({ kind: 'Sort', input: plan, keys, columns: plan.columns });
      if (limit !== undefined || offset > 0)
        plan = Object.freeze({ kind: 'Limit', input: plan, limit, offset, columns: plan.columns });
    }
    if (plan.columns.length > outputWidth) {
      const cols = plan.columns.slice(0, outputWidth);
      plan = project(
        plan,
        cols.map((c, i) => columnRef(i, c.name, c.type)),
        cols,
      );
    }
    return plan;
  }

  private constInt(n: Node | undefined, clause: string): number | undefined {
    if (n === undefined) return undefined;
    if ('A_Const' in n && n.A_Const.isnull === true) return undefined;
    let e = this.bindExpr(n, this.plainCtx([], clause));
    if (e.kind === 'Literal' && e.type.name === 'unknown') e = coerce(e, T.int8, this.place(locationOf(n)));
    if (e.kind === 'Literal' && e.value === null) return undefined;
    if (e.kind !== 'Literal' || typeof e.value !== 'number' || !Number.isInteger(e.value))
      throw this.unsupported(`non-constant ${clause}`, locationOf(n));
    if (e.value < 0) throw new SqlError('2201W', `${clause} must not be negative`, locationOf(n) + 1);
    return e.value;
  }

  private expandStar(fields: readonly Node[], location: number | undefined, ctx: ExprCtx) {
    const f = strings(fields);
    const table = f.length > 1 ? f[f.length - 2] : undefined;
    const out: { name: string; expr: BoundExpr }[] = [];
    const scope = ctx.agg?.pre.scope ?? ctx.scope;
    scope.forEach((c, i) => {
      if (c.hidden || (table !== undefined && c.table !== table)) return;
      const ref = columnRef(i, c.name, c.type);
      out.push({ name: c.name, expr: ctx.agg === undefined ? ref : this.groupedRef(ref, ctx.agg, location) });
    });
    if (table !== undefined && out.length === 0 && !scope.some((c) => c.table === table))
      throw new SqlError(
        SqlState.undefinedTable,
        `missing FROM-clause entry for table "${table}"`,
        (location ?? -1) + 1,
      );
    return out;
  }
}
