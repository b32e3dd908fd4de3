/**
 * Binder: a parsed query + a catalog → a typed logical plan (plan.ts) with bound
 * expressions (expr.ts). Names are resolved here (42P01, 42703, 42702), types decided
 * (42804, 42883 via functions.ts), grouping checked (42803), and constructs the streaming
 * engine cannot run are refused (0A000) with their position.
 */
import type {
  A_Const,
  A_Expr,
  FuncCall,
  JoinExpr,
  Node,
  RangeFunction,
  RangeVar,
  SelectStmt,
  SortBy,
  WindowDef,
} from 'libpg-query';
import { bindQuantified, bindSubscript } from './array-functions.ts';
import {
  applySubqueryFilters,
  type Bound,
  type ScopeColumn,
  type SubqueryBinding,
  whereConjuncts,
} from './bind-subquery-filters.ts';
import { bindWindowFrame, frameEquals } from './bind-window-frame.ts';
import type { Catalog, CatalogColumn } from './catalog.ts';
import { columnName } from './column-names.ts';
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
  undefinedTable,
} from './errors.ts';
import {
  and,
  type BoundExpr,
  type Call,
  type ColumnRef,
  columnRef,
  columnsUsed,
  exprEquals,
  literal,
  mapColumns,
  not,
  or,
} from './expr.ts';
import {
  aggregateNames,
  aggregateResultType,
  castTypmod,
  coerce,
  coerceAssignment,
  explicitCast,
  resolveFunction,
  resolveOperator,
  windowOnlyNames,
} from './functions.ts';
import { expandGroupingSets, groupingBits, groupingSetsPlan } from './grouping-sets.ts';
import { inInt8, int8 } from './int8.ts';
import { interval } from './literals.ts';
import { parseNumeric } from './numeric.ts';
import { type BindParams, undefinedParameter } from './params.ts';
import { convertTypeName } from './parse.ts';
import type {
  AggregateCall,
  AggregateFunction,
  Join,
  Plan,
  PlanColumn,
  SetReturningCall,
  SortKey,
  WindowCall,
  WindowFrame,
  WindowFunction,
} from './plan.ts';
import { distinctRows } from './plan.ts';
import { isProcessTime } from './process-time.ts';
import { intersectOrExcept } from './set-operations.ts';
import type { Delete, ExprAst, Insert, QueryAst, Update } from './statement.ts';
import {
  arrayOf,
  commonType,
  formatType,
  type Interval,
  isInteger,
  isString,
  isTimestamp,
  type SqlType,
  T,
} from './types.ts';

export interface BoundQuery {
  readonly plan: Plan;
  readonly columns: readonly PlanColumn[];
}

/**
 * Binds a query against the catalog into a logical plan. `params` bind `$n` (without them
 * `$n` is refused, 0A000); so do those of bindInsert, bindUpdate and bindDelete.
 */
export function bindQuery(query: QueryAst, catalog: Catalog, params?: BindParams): BoundQuery {
  const b = new Binder(catalog, query.script, query.offset, params, query.sessionGaps);
  const r = b.bindSelect(query.ast, undefined);
  return Object.freeze({ plan: r.plan, columns: r.plan.columns });
}

/** Binds a scalar expression over the given columns (watermark expressions, UPDATE/DELETE). */
export function bindExpression(
  expr: ExprAst,
  columns: readonly CatalogColumn[],
  catalog: Catalog,
): BoundExpr {
  const b = new Binder(catalog, expr.script);
  const scope = columns.map((c) => ({ name: c.name, table: undefined, type: c.type, hidden: false }));
  return b.bindExpr(expr.ast, b.plainCtx(scope, 'expression'));
}

export interface BoundInsert {
  readonly table: string;
  /** Rows in the table's column order (missing columns are NULL literals). */
  readonly plan: Plan;
}

export function bindInsert(stmt: Insert, catalog: Catalog, params?: BindParams): BoundInsert {
  const rel = catalog.getRelation(stmt.table);
  const place = { text: stmt.script, offset: stmt.offset };
  if (rel === undefined) throw undefinedTable(stmt.table, place);
  if (rel.kind === 'view')
    throw new SqlError('42809', `cannot insert into materialized view "${stmt.table}"`, stmt.offset + 1);
  const targets = (stmt.columns ?? rel.columns.map((c) => c.name)).map((name) => {
    const i = rel.columns.findIndex((c) => c.name === name);
    if (i < 0) throw undefinedColumn(name, place);
    return i;
  });
  const b = new Binder(catalog, stmt.script, -1, params);
  const complete = (row: readonly BoundExpr[], at: (i: number) => Place): BoundExpr[] => {
    if (row.length > targets.length)
      throw new SqlError(
        SqlState.syntaxError,
        'INSERT has more expressions than target columns',
        at(targets.length).offset + 1,
      );
    if (row.length < targets.length)
      throw new SqlError(
        SqlState.syntaxError,
        'INSERT has more target columns than expressions',
        stmt.offset + 1,
      );
    return rel.columns.map((c, ci) => {
      const k = targets.indexOf(ci);
      if (k < 0) return literal(null, c.type);
      return coerceAssignment(row[k] as BoundExpr, c.type, c.name, at(k));
    });
  };
  const columns = rel.columns.map((c) => Object.freeze({ name: c.name, type: c.type }));
  if (stmt.values !== undefined) {
    const ctx = b.plainCtx([], 'VALUES');
    const rows = stmt.values.map((row) =>
      complete(
        row.map((e) => b.bindExpr(e.ast, ctx)),
        (i) => b.place(row[i]?.offset ?? stmt.offset),
      ),
    );
    return { table: rel.name, plan: Object.freeze({ kind: 'Values', rows, columns }) };
  }
  // As in PostgreSQL, untyped literals and parameters of the SELECT list take the columns' types.
  const q = b.bindSelect(stmt.query.ast, undefined, true);
  const top = q.plan.kind === 'Project' ? q.plan : undefined;
  const refs = top?.exprs ?? q.plan.columns.map((c, i) => columnRef(i, c.name, c.type));
  const exprs = complete(refs, () => b.place(stmt.query.offset));
  const input = top?.input ?? q.plan;
  return { table: rel.name, plan: Object.freeze({ kind: 'Project', input, exprs, columns }) };
}

export interface BoundUpdate {
  readonly table: string;
  readonly assignments: readonly { readonly column: number; readonly value: BoundExpr }[];
  readonly where: BoundExpr | undefined;
}

export function bindUpdate(stmt: Update, catalog: Catalog, params?: BindParams): BoundUpdate {
  const { rel, b, ctx } = dmlContext(stmt, catalog, params);
  const assignments = stmt.assignments.map((a) => {
    const i = rel.columns.findIndex((c) => c.name === a.column);
    if (i < 0) throw undefinedColumn(a.column, b.place(stmt.offset));
    const col = rel.columns[i] as CatalogColumn;
    const value = coerceAssignment(b.bindExpr(a.value.ast, ctx), col.type, col.name, b.place(a.value.offset));
    return Object.freeze({ column: i, value });
  });
  return {
    table: rel.name,
    assignments,
    where: stmt.where === undefined ? undefined : b.bindWhere(stmt.where.ast, ctx),
  };
}

export interface BoundDelete {
  readonly table: string;
  readonly where: BoundExpr | undefined;
}

export function bindDelete(stmt: Delete, catalog: Catalog, params?: BindParams): BoundDelete {
  const { rel, b, ctx } = dmlContext(stmt, catalog, params);
  return { table: rel.name, where: stmt.where === undefined ? undefined : b.bindWhere(stmt.where.ast, ctx) };
}

function dmlContext(stmt: Update | Delete, catalog: Catalog, params: BindParams | undefined) {
  const rel = catalog.getRelation(stmt.table);
  if (rel === undefined) throw undefinedTable(stmt.table, { text: stmt.script, offset: stmt.offset });
  if (rel.kind !== 'table')
    throw new SqlError('42809', `cannot modify ${rel.kind} "${stmt.table}"`, stmt.offset + 1);
  const b = new Binder(catalog, stmt.script, -1, params);
  const table = stmt.alias ?? rel.name;
  const scope = rel.columns.map((c) => ({ name: c.name, table, type: c.type, hidden: false }));
  return { rel, b, ctx: b.plainCtx(scope, 'WHERE') };
}

// ---------------------------------------------------------------------------

interface Cte {
  readonly name: string;
  readonly query: SelectStmt;
  readonly columnNames: readonly string[] | undefined;
  readonly env: CteEnv | undefined;
}

interface CteEnv {
  readonly ctes: ReadonlyMap<string, Cte>;
  readonly parent: CteEnv | undefined;
}

interface AggState {
  /** Scope and context of the aggregate's input (what group keys and aggregate args are over). */
  readonly pre: ExprCtx;
  readonly groupKeys: readonly BoundExpr[];
  /** Aggregate call node → its column in the aggregate's output. */
  readonly aggs: ReadonlyMap<FuncCall, number>;
  /** With grouping sets: the column of the grouping id (see grouping-sets.ts). */
  readonly groupingId?: number;
}

interface ExprCtx {
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

function tagOf(n: Node): string {
  for (const k in n) return k;
  return '';
}

function strings(nodes: readonly Node[] | undefined): string[] {
  return (nodes ?? []).map((n) => ('String' in n ? (n.String.sval ?? '') : '*'));
}

function locationOf(n: Node | undefined): number {
  if (n === undefined) return -1;
  const inner = (n as Record<string, { location?: number }>)[tagOf(n)];
  return inner?.location ?? -1;
}

function funcName(fc: FuncCall): string {
  const parts = strings(fc.funcname);
  const last = parts[parts.length - 1] ?? '';
  return parts.length > 1 && parts[0] !== 'pg_catalog' ? parts.join('.') : last;
}

class Binder {
  private readonly catalog: Catalog;
  private readonly script: string;
  /** Where to point when the parse tree gives no location (the statement's start). */
  private readonly fallback: number;
  private readonly params: BindParams | undefined;
  /** RisingWave's session frames, by the location of their window definition (see QueryAst). */
  private readonly sessionGaps: ReadonlyMap<number, Node> | undefined;

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

  private unsupported(construct: string, offset: number | undefined): SqlError {
    return notSupported(construct, this.place(offset));
  }

  plainCtx(scope: readonly ScopeColumn[], clause: string): ExprCtx {
    return { scope, clause, agg: undefined, windows: undefined, aggAllowed: false };
  }

  // -------------------------------------------------------------------------
  // Queries

  /** `keepUnknown`: a plain SELECT list's untyped expressions stay unknown (INSERT … SELECT). */
  bindSelect(stmt: SelectStmt, outer: CteEnv | undefined, keepUnknown = false): Bound {
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
        plan = applyFilter(plan, predicate);
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
      keys.push(sortKey(columnRef(idx, col.name, col.type), sb, this));
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
      keys.push(sortKey(columnRef(idx, col.name, col.type), s.SortBy, this));
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

  // -------------------------------------------------------------------------
  // FROM

  private bindFromItem(n: Node, env: CteEnv | undefined): Bound {
    if ('RangeVar' in n) return this.bindRangeVar(n.RangeVar, env);
    if ('RangeSubselect' in n) {
      const rs = n.RangeSubselect;
      if (rs.lateral === true) throw this.unsupported('LATERAL subquery', locationOf(rs.subquery));
      const q = rs.subquery;
      if (q === undefined || !('SelectStmt' in q)) throw this.unsupported('subquery', -1);
      const b = this.bindSelect(q.SelectStmt, env);
      return this.aliased(b, rs.alias?.aliasname, strings(rs.alias?.colnames), locationOf(q));
    }
    if ('RangeFunction' in n) return this.bindRangeFunction(n.RangeFunction, env);
    if ('JoinExpr' in n) return this.bindJoin(n.JoinExpr, env);
    throw this.unsupported(`${tagOf(n)} in FROM`, locationOf(n));
  }

  private aliased(b: Bound, alias: string | undefined, colnames: readonly string[], offset: number): Bound {
    if (colnames.length > b.scope.length)
      throw new SqlError(
        '42P10',
        `table "${alias}" has ${b.scope.length} columns available but ${colnames.length} columns specified`,
        offset + 1,
      );
    let plan = b.plan;
    if (colnames.length > 0) {
      const columns = plan.columns.map((c, i) => ({ name: colnames[i] ?? c.name, type: c.type }));
      plan = project(
        plan,
        plan.columns.map((c, i) => columnRef(i, c.name, c.type)),
        columns,
      );
    }
    return {
      plan,
      scope: b.scope.map((c, i) => ({
        name: colnames[i] ?? c.name,
        table: alias,
        type: c.type,
        hidden: c.hidden,
      })),
    };
  }

  private lookupCte(name: string, env: CteEnv | undefined): Cte | undefined {
    for (let e = env; e !== undefined; e = e.parent) {
      const c = e.ctes.get(name);
      if (c !== undefined) return c;
    }
    return undefined;
  }

  /** A relation by name: a CTE in scope, else the catalog. */
  private bindRelation(
    name: string,
    schema: string | undefined,
    env: CteEnv | undefined,
    offset: number,
  ): Bound {
    if (schema === undefined) {
      const cte = this.lookupCte(name, env);
      if (cte !== undefined) {
        const b = this.bindSelect(cte.query, cte.env);
        return this.aliased(b, name, cte.columnNames ?? [], offset);
      }
    }
    const full = schema === undefined ? name : `${schema}.${name}`;
    const rel = this.catalog.getRelation(full);
    if (rel === undefined) throw undefinedTable(full, this.place(offset));
    const columns = rel.columns.map((c) => Object.freeze({ name: c.name, type: c.type }));
    return {
      plan: Object.freeze({ kind: 'Scan', relation: rel.name, relationKind: rel.kind, columns }),
      scope: columns.map((c) => ({ ...c, table: name, hidden: false })),
    };
  }

  /** The right side of `JOIN t FOR SYSTEM_TIME AS OF PROCTIME()`: a table or materialized view. */
  private bindTemporalSide(n: Node, env: CteEnv | undefined): Bound {
    const rv = (n as { RangeVar: RangeVar }).RangeVar;
    const b = this.bindRangeVar(rv, env, true);
    const kind = b.plan.kind === 'Scan' ? b.plan.relationKind : undefined;
    if (kind !== 'table' && kind !== 'view')
      throw this.unsupported(
        `FOR SYSTEM_TIME AS OF PROCTIME() on ${kind === undefined ? 'a query' : `a ${kind}`} (join a table or a materialized view)`,
        rv.location ?? -1,
      );
    return b;
  }

  private bindRangeVar(rv: RangeVar, env: CteEnv | undefined, temporalSide = false): Bound {
    if (!temporalSide && isProcessTime(rv))
      throw this.unsupported(
        'FOR SYSTEM_TIME AS OF PROCTIME() but on the right side of a JOIN',
        rv.location ?? -1,
      );
    const b = this.bindRelation(rv.relname ?? '', rv.schemaname, env, rv.location ?? -1);
    const alias = rv.alias?.aliasname;
    if (alias === undefined) return b;
    return this.aliased(b, alias, strings(rv.alias?.colnames), rv.location ?? -1);
  }

  private bindRangeFunction(rf: RangeFunction, env: CteEnv | undefined): Bound {
    const first = rf.functions?.[0];
    const fnNode = first !== undefined && 'List' in first ? first.List.items?.[0] : undefined;
    if (fnNode === undefined || !('FuncCall' in fnNode)) throw this.unsupported('table function', -1);
    const fc = fnNode.FuncCall;
    const name = funcName(fc);
    const loc = fc.location ?? -1;
    if (rf.lateral === true) throw this.unsupported('LATERAL', loc);
    if (rf.ordinality === true) throw this.unsupported('WITH ORDINALITY', loc);
    if ((rf.functions?.length ?? 0) > 1) throw this.unsupported('ROWS FROM', loc);
    if (name !== 'tumble' && name !== 'hop') throw this.unsupported(`table function ${name}`, loc);
    const args = fc.args ?? [];
    const arity = name === 'tumble' ? [3, 4] : [4, 5];
    if (args.length < (arity[0] as number) || args.length > (arity[1] as number))
      throw undefinedFunction(`${name} with ${args.length} arguments`, this.place(loc));
    const relArg = args[0] as Node;
    if (!('ColumnRef' in relArg))
      throw this.unsupported(`${name.toUpperCase()} over a non-relation`, locationOf(relArg));
    const relName = strings(relArg.ColumnRef.fields);
    const input = this.bindRelation(
      relName[relName.length - 1] ?? '',
      relName.length > 1 ? relName[0] : undefined,
      env,
      relArg.ColumnRef.location ?? -1,
    );
    const timeArg = args[1] as Node;
    const time = this.bindExpr(timeArg, this.plainCtx(input.scope, name.toUpperCase()));
    if (time.kind !== 'ColumnRef')
      throw this.unsupported(`${name.toUpperCase()} over an expression (use a column)`, locationOf(timeArg));
    if (!isTimestamp(time.type) && time.type.name !== 'date')
      throw datatypeMismatch(
        `time column of ${name.toUpperCase()} must be a timestamp, not type ${formatType(time.type)}`,
        this.place(locationOf(timeArg)),
      );
    const ivArg = (i: number) => {
      const a = args[i];
      return a === undefined ? interval(0, 0, 0) : this.constInterval(a, name.toUpperCase());
    };
    const wtype = time.type.name === 'timestamptz' ? T.timestamptz : T.timestamp;
    const columns = [
      ...input.plan.columns,
      { name: 'window_start', type: wtype },
      { name: 'window_end', type: wtype },
    ];
    const alias = rf.alias?.aliasname ?? relName[relName.length - 1];
    const scope = [
      ...input.scope.map((c) => ({ ...c, table: alias })),
      { name: 'window_start', table: alias, type: wtype, hidden: false },
      { name: 'window_end', table: alias, type: wtype, hidden: false },
    ];
    let plan: Plan;
    if (name === 'tumble') {
      const size = ivArg(2);
      plan = Object.freeze({
        kind: 'Tumble',
        input: input.plan,
        timeColumn: time.index,
        size,
        offset: ivArg(3),
        columns,
      });
    } else {
      plan = Object.freeze({
        kind: 'Hop',
        input: input.plan,
        timeColumn: time.index,
        slide: ivArg(2),
        size: ivArg(3),
        offset: ivArg(4),
        columns,
      });
    }
    return { plan, scope };
  }

  private constInterval(n: Node, what: string): Interval {
    const e = this.bindExpr(n, this.plainCtx([], what));
    const v =
      e.kind === 'Literal' && e.type.name === 'unknown'
        ? coerce(e, T.interval, this.place(locationOf(n)))
        : e;
    if (v.kind !== 'Literal' || v.type.name !== 'interval' || v.value === null)
      throw datatypeMismatch(`window size of ${what} must be a constant interval`, this.place(locationOf(n)));
    const iv = v.value as Interval;
    if (iv.months === 0 && iv.days === 0 && iv.micros <= 0 && what !== 'offset')
      throw new SqlError('22023', `window size of ${what} must be positive`, locationOf(n) + 1);
    return iv;
  }

  private crossJoin(l: Bound, r: Bound): Bound {
    return {
      plan: Object.freeze({
        kind: 'Join',
        joinType: 'inner',
        left: l.plan,
        right: r.plan,
        leftKeys: [],
        rightKeys: [],
        residual: undefined,
        columns: [...l.plan.columns, ...r.plan.columns],
      }),
      scope: [...l.scope, ...r.scope],
    };
  }

  private bindJoin(j: JoinExpr, env: CteEnv | undefined): Bound {
    const loc = locationOf(j.rarg);
    if (j.isNatural === true) throw this.unsupported('NATURAL JOIN', loc);
    if (j.alias !== undefined) throw this.unsupported('alias on a JOIN', loc);
    if (
      j.jointype !== undefined &&
      j.jointype !== 'JOIN_INNER' &&
      j.jointype !== 'JOIN_LEFT' &&
      j.jointype !== 'JOIN_RIGHT' &&
      j.jointype !== 'JOIN_FULL'
    )
      throw this.unsupported(j.jointype, loc);
    if (j.larg === undefined || j.rarg === undefined) throw this.unsupported('JOIN', loc);
    const processTime = 'RangeVar' in j.rarg && isProcessTime(j.rarg.RangeVar);
    if (processTime && j.jointype !== undefined && j.jointype !== 'JOIN_INNER' && j.jointype !== 'JOIN_LEFT')
      throw this.unsupported('a temporal join other than INNER or LEFT', loc);
    const left = this.bindFromItem(j.larg, env);
    const right = processTime ? this.bindTemporalSide(j.rarg, env) : this.bindFromItem(j.rarg, env);
    const nl = left.scope.length;
    let scope: ScopeColumn[] = [...left.scope, ...right.scope];
    const conds: BoundExpr[] = [];
    if (j.usingClause !== undefined) {
      for (const name of strings(j.usingClause)) {
        const li = left.scope.findIndex((c) => c.name === name && !c.hidden);
        const ri = right.scope.findIndex((c) => c.name === name && !c.hidden);
        if (li < 0 || ri < 0) throw undefinedColumn(name, this.place(loc));
        const lc = left.scope[li] as ScopeColumn;
        const rc = right.scope[ri] as ScopeColumn;
        conds.push(
          resolveOperator(
            '=',
            columnRef(li, lc.name, lc.type),
            columnRef(nl + ri, rc.name, rc.type),
            this.place(loc),
          ),
        );
        scope = scope.map((c, i) => (i === nl + ri ? { ...c, hidden: true } : c));
      }
    } else if (j.quals !== undefined) {
      conds.push(this.bindWhere(j.quals, this.plainCtx(scope, 'JOIN conditions')));
    }
    const swap = j.jointype === 'JOIN_RIGHT';
    const columns = [...left.plan.columns, ...right.plan.columns];
    if (!swap)
      return {
        plan: joinOn(
          j.jointype === 'JOIN_LEFT' ? 'left' : j.jointype === 'JOIN_FULL' ? 'full' : 'inner',
          left.plan,
          right.plan,
          conds,
          processTime,
        ),
        scope,
      };
    // RIGHT JOIN: a LEFT JOIN with the sides swapped, then the columns put back in order.
    const nr = right.plan.columns.length;
    const remap = (e: BoundExpr) =>
      mapColumns(e, (c) => columnRef(c.index < nl ? c.index + nr : c.index - nl, c.name, c.type));
    const swapped = joinOn('left', right.plan, left.plan, conds.map(remap), false);
    const exprs = columns.map((c, i) => columnRef(i < nl ? i + nr : i - nl, c.name, c.type));
    return { plan: project(swapped, exprs, columns), scope };
  }

  // -------------------------------------------------------------------------
  // Aggregation and windows

  private bindAggregate(stmt: SelectStmt, input: Plan, pre: ExprCtx, aggCalls: readonly FuncCall[]) {
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
  private bindGrouping(g: import('libpg-query').GroupingFunc, ctx: ExprCtx): BoundExpr {
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
        ? [sortKey(this.bindExpr(s.SortBy.node, inner), s.SortBy, this)]
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

  private bindWindows(input: Plan, ctx: ExprCtx, calls: readonly FuncCall[]) {
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
          ? [sortKey(this.bindExpr(s.SortBy.node, inner), s.SortBy, this)]
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

  private bindProjectSet(input: Plan, ctx: ExprCtx, calls: readonly FuncCall[]) {
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

  private groupedRef(pre: BoundExpr, agg: AggState, location: number | undefined): BoundExpr {
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

  // -------------------------------------------------------------------------
  // Expressions

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
}

// ---------------------------------------------------------------------------
// helpers

/** A SELECT without DISTINCT, ORDER BY, LIMIT or OFFSET: its plan ends in its SELECT list's Project. */
function isPlain(stmt: SelectStmt): boolean {
  return (
    stmt.distinctClause === undefined &&
    stmt.sortClause === undefined &&
    stmt.limitCount === undefined &&
    stmt.limitOffset === undefined
  );
}

function isFloat(t: SqlType): boolean {
  return t.name === 'float4' || t.name === 'float8';
}

function isNumericType(t: SqlType): boolean {
  return ['int2', 'int4', 'int8', 'numeric', 'float4', 'float8'].includes(t.name);
}

function constant(c: A_Const): BoundExpr {
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

function sortKey(expr: BoundExpr, sb: SortBy, _b: Binder): SortKey {
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

function project(input: Plan, exprs: readonly BoundExpr[], columns: readonly PlanColumn[]): Plan {
  // Identity: the input as it is.
  if (
    exprs.length === input.columns.length &&
    exprs.every(
      (e, i) => e.kind === 'ColumnRef' && e.index === i && columns[i]?.name === input.columns[i]?.name,
    )
  )
    return input;
  // Project over Project: one projection.
  if (input.kind === 'Project') {
    const inner = input.exprs;
    const composed = exprs.map((e) => mapColumns(e, (c) => inner[c.index] as BoundExpr));
    return project(input.input, composed, columns);
  }
  return Object.freeze({
    kind: 'Project',
    input,
    exprs: Object.freeze([...exprs]),
    columns: Object.freeze([...columns]),
  });
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
const SET_RETURNING: ReadonlySet<string> = new Set(['unnest', 'generate_series']);

/**
 * Calls `visit` on each function call in `n`, outermost first, leaving subqueries out; the
 * walk goes on into a call's own parts unless `visit` returns false.
 */
function forEachCall(n: unknown, visit: (fc: FuncCall) => boolean): void {
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

/** The set-returning calls of a SELECT list item, outermost first, subqueries left out. */
function collectSetReturning(n: unknown, out: FuncCall[]): void {
  forEachCall(n, (fc) => {
    if (!SET_RETURNING.has(funcName(fc)) || fc.over !== undefined) return true;
    out.push(fc);
    return false;
  });
}

/** Aggregate calls (not descending into them) and window calls (descending into their arguments). */
function collectCalls(n: unknown, aggs: FuncCall[], windows: FuncCall[]): void {
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

function conjuncts(e: BoundExpr): BoundExpr[] {
  return e.kind === 'And' ? e.args.flatMap(conjuncts) : [e];
}

function splitJoinCondition(conds: readonly BoundExpr[], nl: number, width: number) {
  const leftKeys: BoundExpr[] = [];
  const rightKeys: BoundExpr[] = [];
  const rest: BoundExpr[] = [];
  /** Conjuncts over one side's columns only (the right's shifted to its own columns). */
  const leftOnly: BoundExpr[] = [];
  const rightOnly: BoundExpr[] = [];
  /** The other conjuncts: over both sides, or over none. */
  const both: BoundExpr[] = [];
  const side = (e: BoundExpr): 'l' | 'r' | 'both' | 'none' => {
    const used = [...columnsUsed(e)];
    if (used.length === 0) return 'none';
    if (used.every((i) => i < nl)) return 'l';
    if (used.every((i) => i >= nl && i < width)) return 'r';
    return 'both';
  };
  const shift = (e: BoundExpr) => mapColumns(e, (c) => columnRef(c.index - nl, c.name, c.type));
  for (const c of conds.flatMap(conjuncts)) {
    if (c.kind === 'Call' && c.fn === '=' && c.args.length === 2) {
      const [a, b] = c.args as [BoundExpr, BoundExpr];
      const sa = side(a);
      const sb = side(b);
      if (sa === 'l' && sb === 'r') {
        leftKeys.push(a);
        rightKeys.push(shift(b));
        continue;
      }
      if (sa === 'r' && sb === 'l') {
        leftKeys.push(b);
        rightKeys.push(shift(a));
        continue;
      }
    }
    rest.push(c);
    const s = side(c);
    if (s === 'l') leftOnly.push(c);
    else if (s === 'r') rightOnly.push(shift(c));
    else both.push(c);
  }
  return {
    leftKeys,
    rightKeys,
    residual: rest.length === 0 ? undefined : and(rest),
    leftOnly,
    rightOnly,
    both,
  };
}

function filtered(input: Plan, conds: readonly BoundExpr[]): Plan {
  if (conds.length === 0) return input;
  return Object.freeze({ kind: 'Filter', input, predicate: and(conds), columns: input.columns });
}

/**
 * A join on `conds`: equalities across the sides become its keys, and a conjunct over one
 * side only filters that side before the join (so the join keeps and pairs only the rows
 * that can match) — for a LEFT JOIN on the right side only, as the left keeps every row.
 */
function joinOn(
  joinType: 'inner' | 'left' | 'full',
  left: Plan,
  right: Plan,
  conds: readonly BoundExpr[],
  processTime: boolean,
): Join {
  const nl = left.columns.length;
  const split = splitJoinCondition(conds, nl, nl + right.columns.length);
  // A condition on one side filters that side before the join unless the side is preserved.
  const residual =
    joinType === 'inner'
      ? split.both
      : joinType === 'left'
        ? [...split.leftOnly, ...split.both]
        : [...split.leftOnly, ...split.rightOnly, ...split.both];
  return Object.freeze({
    kind: 'Join',
    joinType,
    left: joinType === 'inner' ? filtered(left, split.leftOnly) : left,
    right: joinType === 'full' ? right : filtered(right, split.rightOnly),
    leftKeys: split.leftKeys,
    rightKeys: split.rightKeys,
    residual: residual.length === 0 ? undefined : and(residual),
    columns: [...left.columns, ...right.columns],
    ...(processTime ? { processTime } : {}),
  });
}

/** WHERE over `input`; a `rank <= N` conjunct over a ROW_NUMBER/RANK window becomes a TopN. */
function applyFilter(input: Plan, predicate: BoundExpr): Plan {
  let plan = input;
  const rest: BoundExpr[] = [];
  for (const c of conjuncts(predicate)) {
    const limit = rankLimit(c);
    const rewritten = limit === undefined ? undefined : toTopN(plan, limit.column, limit.n);
    if (rewritten !== undefined) plan = rewritten;
    else rest.push(c);
  }
  // A cross join whose WHERE holds equalities across the sides becomes an equi-join.
  if (
    plan.kind === 'Join' &&
    plan.joinType === 'inner' &&
    plan.leftKeys.length === 0 &&
    plan.residual === undefined
  ) {
    const nl = plan.left.columns.length;
    const split = splitJoinCondition(rest, nl, plan.columns.length);
    if (split.leftKeys.length > 0) {
      plan = Object.freeze({ ...plan, leftKeys: split.leftKeys, rightKeys: split.rightKeys });
      rest.length = 0;
      if (split.residual !== undefined) rest.push(split.residual);
    }
  }
  if (plan.kind === 'Hop') {
    // A conjunct over the input's own columns holds for all of a row's windows or none: it
    // filters the input once instead of every window's copy.
    const width = plan.input.columns.length;
    const below = rest.filter((c) => [...columnsUsed(c)].every((i) => i < width));
    if (below.length > 0) {
      plan = Object.freeze({ ...plan, input: filtered(plan.input, below) });
      rest.splice(0, rest.length, ...rest.filter((c) => !below.includes(c)));
    }
  }
  return filtered(plan, rest);
}

function rankLimit(c: BoundExpr): { column: number; n: number } | undefined {
  if (c.kind !== 'Call' || c.args.length !== 2) return undefined;
  const [a, b] = c.args as [BoundExpr, BoundExpr];
  const lit = (e: BoundExpr) =>
    e.kind === 'Literal' && typeof e.value === 'number'
      ? e.value
      : e.kind === 'Cast' && e.arg.kind === 'Literal' && typeof e.arg.value === 'number'
        ? e.arg.value
        : undefined;
  let col: ColumnRef | undefined;
  let n: number | undefined;
  let op = c.fn;
  if (a.kind === 'ColumnRef' && lit(b) !== undefined) {
    col = a;
    n = lit(b);
  } else if (b.kind === 'ColumnRef' && lit(a) !== undefined) {
    col = b;
    n = lit(a);
    op = ({ '<': '>', '<=': '>=', '>': '<', '>=': '<=', '=': '=' } as Record<string, string>)[op] ?? op;
  }
  if (col === undefined || n === undefined || !Number.isInteger(n)) return undefined;
  if (op === '<=') return { column: col.index, n };
  if (op === '<') return { column: col.index, n: n - 1 };
  if (op === '=' && n === 1) return { column: col.index, n: 1 };
  return undefined;
}

function toTopN(plan: Plan, column: number, n: number): Plan | undefined {
  switch (plan.kind) {
    case 'Project': {
      const e = plan.exprs[column];
      if (e === undefined || e.kind !== 'ColumnRef') return undefined;
      const input = toTopN(plan.input, e.index, n);
      return input === undefined ? undefined : Object.freeze({ ...plan, input });
    }
    case 'Sort': {
      const input = toTopN(plan.input, column, n);
      return input === undefined ? undefined : Object.freeze({ ...plan, input });
    }
    case 'Window': {
      const base = plan.input.columns.length;
      const fn = plan.functions[column - base];
      if (fn === undefined || plan.functions.length !== 1) return undefined;
      if (fn.fn !== 'row_number' && fn.fn !== 'rank' && fn.fn !== 'dense_rank') return undefined;
      return Object.freeze({
        kind: 'TopN',
        input: plan.input,
        partitionBy: plan.partitionBy,
        orderBy: plan.orderBy,
        limit: Math.max(n, 0),
        offset: 0,
        rankFunction: fn.fn,
        columns: plan.columns,
      });
    }
    default:
      return undefined;
  }
}
