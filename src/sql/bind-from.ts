/**
 * Binding FROM: tables, sources and views, CTEs, subqueries, TUMBLE/HOP and other table
 * functions, joins (their conditions split into keys, filters of one side and a residual),
 * temporal joins (FOR SYSTEM_TIME AS OF PROCTIME()).
 */

import type { JoinExpr, Node, RangeFunction, RangeVar, SelectStmt } from 'libpg-query';
import { ExpressionBinder, funcName, locationOf, strings, tagOf } from './bind-expressions.ts';
import type { Bound, ScopeColumn } from './bind-subquery-filters.ts';
import { filtered, splitJoinCondition } from './conjuncts.ts';
import { datatypeMismatch, SqlError, undefinedColumn, undefinedFunction, undefinedTable } from './errors.ts';
import { and, type BoundExpr, columnRef, mapColumns } from './expr.ts';
import { coerce, resolveOperator } from './functions.ts';
import { interval } from './literals.ts';
import type { Join, Plan } from './plan.ts';
import { project } from './plan.ts';
import { isProcessTime } from './process-time.ts';
import { formatType, type Interval, isTimestamp, T } from './types.ts';

export interface Cte {
  readonly name: string;
  readonly query: SelectStmt;
  readonly columnNames: readonly string[] | undefined;
  readonly env: CteEnv | undefined;
}

export interface CteEnv {
  readonly ctes: ReadonlyMap<string, Cte>;
  readonly parent: CteEnv | undefined;
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

export abstract class FromBinder extends ExpressionBinder {
  /** Binds a SELECT in the scope of the CTEs `outer` names (bind-select.ts). */
  abstract override bindSelect(stmt: SelectStmt, outer: CteEnv | undefined, keepUnknown?: boolean): Bound;

  protected bindFromItem(n: Node, env: CteEnv | undefined): Bound {
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

  protected crossJoin(l: Bound, r: Bound): Bound {
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
}
