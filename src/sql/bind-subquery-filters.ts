/**
 * WHERE conjuncts with a subquery, made into joins RisingWave streams as well:
 *
 * - `EXISTS (SELECT … FROM … WHERE inner = outer AND local…)`: a semi-join of the outer rows
 *   with the distinct correlation keys of the subquery's rows; `NOT EXISTS`: an anti-join (a
 *   left join with those keys, kept where nothing matched). Without correlation, the outer rows
 *   are joined with the subquery's row count, kept where it is (not) above 0.
 * - `x IN (SELECT c …)` (not correlated): a semi-join on `x = c`; `NOT IN`: an anti-join that
 *   heeds NULLs as SQL does (see notIn).
 * - `x op (SELECT agg(…) FROM …)`, a subquery that gives one row (an aggregate without GROUP
 *   BY): RisingWave's dynamic filter — the outer rows joined with that row and compared; when
 *   the aggregate changes, the rows on either side of it come and go.
 *
 * Each keeps the outer columns as they were, so the rest of the query binds unchanged.
 * Anything else with a subquery (correlation other than equality, a subquery in the
 * SELECT list) is left to the caller, which refuses it with 0A000.
 */
import type { Node, SelectStmt, SubLink } from 'libpg-query';
import { SqlError, SqlState } from './errors.ts';
import { and, type BoundExpr, columnRef, columnsUsed, literal, mapColumns, or } from './expr.ts';
import { countRows, distinctRows, type Plan, type PlanColumn } from './plan.ts';
import { type SqlType, T } from './types.ts';

export interface ScopeColumn {
  readonly name: string;
  readonly table: string | undefined;
  readonly type: SqlType;
  /** The right-hand copy of a USING column: not found by unqualified name nor by `*`. */
  readonly hidden: boolean;
}

export interface Bound {
  readonly plan: Plan;
  readonly scope: readonly ScopeColumn[];
}

/** What the binder lends: binding a whole query, FROM items, and conditions over a scope. */
export interface SubqueryBinding {
  readonly bindQuery: (stmt: SelectStmt) => Bound;
  readonly bindFrom: (items: readonly Node[]) => Bound;
  readonly bindCondition: (n: Node, scope: readonly ScopeColumn[]) => BoundExpr;
  readonly bindValue: (n: Node, scope: readonly ScopeColumn[]) => BoundExpr;
  readonly compare: (op: string, l: BoundExpr, r: BoundExpr) => BoundExpr;
  readonly unsupported: (construct: string, loc: number) => SqlError;
}

/** The conjuncts of a WHERE clause's parse tree. */
export function whereConjuncts(n: Node): Node[] {
  if ('BoolExpr' in n && n.BoolExpr.boolop === 'AND_EXPR')
    return (n.BoolExpr.args ?? []).flatMap(whereConjuncts);
  return [n];
}

/** Applies the conjuncts this module turns into joins; returns the plan and the others. */
export function applySubqueryFilters(
  conjuncts: readonly Node[],
  outer: Bound,
  b: SubqueryBinding,
): { plan: Plan; rest: Node[] } {
  let plan = outer.plan;
  const rest: Node[] = [];
  for (const c of conjuncts) {
    const next = subqueryFilter(c, { plan, scope: outer.scope }, b);
    if (next === undefined) rest.push(c);
    else plan = next;
  }
  return { plan, rest };
}

function subqueryFilter(n: Node, outer: Bound, b: SubqueryBinding): Plan | undefined {
  let negated = false;
  let node = n;
  if ('BoolExpr' in node && node.BoolExpr.boolop === 'NOT_EXPR' && node.BoolExpr.args?.length === 1) {
    const arg = node.BoolExpr.args[0] as Node;
    if (
      'SubLink' in arg &&
      (arg.SubLink.subLinkType === 'EXISTS_SUBLINK' || arg.SubLink.subLinkType === 'ANY_SUBLINK')
    ) {
      negated = true;
      node = arg;
    }
  }
  if ('SubLink' in node) {
    const s = node.SubLink;
    if (s.subLinkType === 'EXISTS_SUBLINK') return exists(s, negated, outer, b);
    if (s.subLinkType === 'ANY_SUBLINK') return inSubquery(s, negated, outer, b);
    return undefined;
  }
  if ('A_Expr' in node && node.A_Expr.kind === 'AEXPR_OP') {
    const e = node.A_Expr;
    const op = e.name?.[0] !== undefined && 'String' in e.name[0] ? e.name[0].String.sval : undefined;
    const scalar = (x: Node | undefined) =>
      x !== undefined && 'SubLink' in x && x.SubLink.subLinkType === 'EXPR_SUBLINK' ? x.SubLink : undefined;
    const right = scalar(e.rexpr);
    const left = scalar(e.lexpr);
    if (op === undefined || (right === undefined) === (left === undefined)) return undefined;
    const other = right === undefined ? e.rexpr : e.lexpr;
    if (other === undefined) return undefined;
    return dynamicFilter(op, (right ?? left) as SubLink, other, right !== undefined, outer, b);
  }
  return undefined;
}

function selectOf(s: SubLink): SelectStmt | undefined {
  const q = s.subselect;
  return q !== undefined && 'SelectStmt' in q ? q.SelectStmt : undefined;
}

/** The outer columns back as they were, after a join appended others. */
function outerColumns(plan: Plan, columns: readonly PlanColumn[]): Plan {
  return Object.freeze({
    kind: 'Project',
    input: plan,
    exprs: columns.map((c, i) => columnRef(i, c.name, c.type)),
    columns,
  });
}

function join(
  type: 'inner' | 'left',
  left: Plan,
  right: Plan,
  leftKeys: readonly BoundExpr[],
  rightKeys: readonly BoundExpr[],
): Plan {
  return Object.freeze({
    kind: 'Join',
    joinType: type,
    left,
    right,
    leftKeys,
    rightKeys,
    residual: undefined,
    columns: [...left.columns, ...right.columns],
  });
}

function exists(s: SubLink, negated: boolean, outer: Bound, b: SubqueryBinding): Plan | undefined {
  const q = selectOf(s);
  if (
    q === undefined ||
    (q.op !== undefined && q.op !== 'SETOP_NONE') ||
    q.groupClause !== undefined ||
    q.havingClause !== undefined ||
    q.limitCount !== undefined ||
    q.fromClause === undefined
  )
    return undefined;
  const inner = b.bindFrom(q.fromClause);
  const wi = inner.scope.length;
  const both = [...inner.scope, ...outer.scope];
  const local: BoundExpr[] = [];
  const innerKeys: BoundExpr[] = [];
  const outerKeys: BoundExpr[] = [];
  for (const c of q.whereClause === undefined ? [] : whereConjuncts(q.whereClause)) {
    let e: BoundExpr;
    try {
      e = b.bindCondition(c, inner.scope);
      local.push(e);
      continue;
    } catch (err) {
      if (
        !(err instanceof SqlError) ||
        (err.sqlstate !== SqlState.undefinedColumn && err.sqlstate !== SqlState.undefinedTable)
      )
        throw err;
    }
    e = b.bindCondition(c, both);
    const pair = correlation(e, wi);
    if (pair === undefined)
      throw b.unsupported('a correlated EXISTS condition other than equality', locationOf(c));
    innerKeys.push(pair.inner);
    outerKeys.push(pair.outer);
  }
  const filtered: Plan =
    local.length === 0
      ? inner.plan
      : Object.freeze({
          kind: 'Filter',
          input: inner.plan,
          predicate: and(local),
          columns: inner.plan.columns,
        });
  const columns = outer.plan.columns;
  if (innerKeys.length === 0) return uncorrelatedExists(filtered, negated, outer.plan, b);
  const keyColumns = innerKeys.map((k, i) => ({ name: `key${i + 1}`, type: k.type }));
  const keys = distinctRows(
    Object.freeze({ kind: 'Project', input: filtered, exprs: innerKeys, columns: keyColumns }),
  );
  const keyRefs = keyColumns.map((c, i) => columnRef(i, c.name, c.type));
  if (!negated) return outerColumns(join('inner', outer.plan, keys, outerKeys, keyRefs), columns);
  // Anti-join: a left join with the keys and a marker, kept where the marker is NULL.
  const marked: Plan = Object.freeze({
    kind: 'Project',
    input: keys,
    exprs: [...keyRefs, literal(true, T.boolean)],
    columns: [...keyColumns, { name: 'matched', type: T.boolean }],
  });
  const joined = join('left', outer.plan, marked, outerKeys, keyRefs);
  const marker = columnRef(columns.length + keyColumns.length, 'matched', T.boolean);
  const unmatched = Object.freeze({
    kind: 'Call' as const,
    fn: 'is_not_true',
    args: [marker],
    type: T.boolean,
  });
  return outerColumns(
    Object.freeze({ kind: 'Filter', input: joined, predicate: unmatched, columns: joined.columns }),
    columns,
  );
}

/** `inner = outer` (each side over one scope only), as key expressions over each side. */
function correlation(e: BoundExpr, wi: number): { inner: BoundExpr; outer: BoundExpr } | undefined {
  if (e.kind !== 'Call' || e.fn !== '=' || e.args.length !== 2) return undefined;
  const [a, c] = e.args as [BoundExpr, BoundExpr];
  const side = (x: BoundExpr) => {
    const cols = [...columnsUsed(x)];
    if (cols.length === 0) return undefined;
    if (cols.every((i) => i < wi)) return 'inner';
    if (cols.every((i) => i >= wi)) return 'outer';
    return undefined;
  };
  const shift = (x: BoundExpr) => mapColumns(x, (r) => columnRef(r.index - wi, r.name, r.type));
  if (side(a) === 'inner' && side(c) === 'outer') return { inner: a, outer: shift(c) };
  if (side(a) === 'outer' && side(c) === 'inner') return { inner: c, outer: shift(a) };
  return undefined;
}

/** The outer rows joined with the subquery's row count, kept where it is (not) above 0. */
function uncorrelatedExists(sub: Plan, negated: boolean, outer: Plan, b: SubqueryBinding): Plan {
  const counted: Plan = Object.freeze({
    kind: 'Aggregate',
    input: sub,
    groupKeys: [],
    aggregates: [countRows()],
    columns: [{ name: 'count', type: T.int8 }],
  });
  const n = columnRef(0, 'count', T.int8);
  const test = b.compare(negated ? '=' : '>', n, literal(0, T.int8));
  const kept: Plan = Object.freeze({
    kind: 'Filter',
    input: counted,
    predicate: test,
    columns: counted.columns,
  });
  return outerColumns(join('inner', outer, kept, [], []), outer.columns);
}

function inSubquery(s: SubLink, negated: boolean, outer: Bound, b: SubqueryBinding): Plan | undefined {
  const operName = s.operName?.[0];
  const op = operName !== undefined && 'String' in operName ? operName.String.sval : '=';
  if (s.testexpr === undefined || op !== '=' || 'RowExpr' in s.testexpr) return undefined;
  const bound = singleColumn(s, b);
  if (bound === undefined) return undefined;
  const { sub, col } = bound;
  const x = b.bindValue(s.testexpr, outer.scope);
  const eq = b.compare('=', x, columnRef(0, col.name, col.type));
  if (eq.kind !== 'Call') return undefined;
  const [l, r] = eq.args as [BoundExpr, BoundExpr];
  const keys = distinctRows(
    Object.freeze({
      kind: 'Project',
      input: sub.plan,
      exprs: [r],
      columns: [{ name: col.name, type: r.type }],
    }),
  );
  const key = columnRef(0, col.name, r.type);
  if (!negated) return outerColumns(join('inner', outer.plan, keys, [l], [key]), outer.plan.columns);
  return notIn(outer.plan, sub.plan, keys, l, key, b);
}

/**
 * `x NOT IN (subquery)` in WHERE, NULLs as SQL has them: true when the subquery has no rows;
 * otherwise only when x is not NULL, no row equals it and no row is NULL. The outer rows are
 * joined with the subquery's row and NULL counts, then left-joined with its distinct values.
 */
function notIn(outer: Plan, sub: Plan, keys: Plan, x: BoundExpr, key: BoundExpr, b: SubqueryBinding): Plan {
  const value = columnRef(0, sub.columns[0]?.name ?? 'value', sub.columns[0]?.type ?? key.type);
  const counted: Plan = Object.freeze({
    kind: 'Aggregate',
    input: sub,
    groupKeys: [],
    aggregates: [
      countRows(),
      countRows(Object.freeze({ kind: 'IsNull', arg: value, negated: false, type: T.boolean })),
    ],
    columns: [
      { name: 'rows', type: T.int8 },
      { name: 'nulls', type: T.int8 },
    ],
  });
  const width = outer.columns.length;
  const withCounts = join('inner', outer, counted, [], []);
  const marked: Plan = Object.freeze({
    kind: 'Project',
    input: keys,
    exprs: [key, literal(true, T.boolean)],
    columns: [...keys.columns, { name: 'matched', type: T.boolean }],
  });
  const joined = join('left', withCounts, marked, [x], [key]);
  const rows = columnRef(width, 'rows', T.int8);
  const nulls = columnRef(width + 1, 'nulls', T.int8);
  const matched = columnRef(width + 3, 'matched', T.boolean);
  const zero = literal(0, T.int8);
  const keep = or([
    b.compare('=', rows, zero),
    and([
      Object.freeze({ kind: 'IsNull', arg: x, negated: true, type: T.boolean }),
      b.compare('=', nulls, zero),
      Object.freeze({ kind: 'Call', fn: 'is_not_true', args: [matched], type: T.boolean }),
    ]),
  ]);
  return outerColumns(
    Object.freeze({ kind: 'Filter', input: joined, predicate: keep, columns: joined.columns }),
    outer.columns,
  );
}

function dynamicFilter(
  op: string,
  s: SubLink,
  other: Node,
  subqueryOnRight: boolean,
  outer: Bound,
  b: SubqueryBinding,
): Plan | undefined {
  const bound = singleColumn(s, b);
  if (bound === undefined || !oneRow(bound.sub.plan)) return undefined;
  const { sub, col } = bound;
  const x = b.bindValue(other, outer.scope);
  const width = outer.plan.columns.length;
  const value = columnRef(width, col.name, col.type);
  const test = subqueryOnRight ? b.compare(op, x, value) : b.compare(op, value, x);
  const joined = join('inner', outer.plan, sub.plan, [], []);
  return outerColumns(
    Object.freeze({ kind: 'Filter', input: joined, predicate: test, columns: joined.columns }),
    outer.plan.columns,
  );
}

/** The subquery bound on its own (not correlated), when it gives one column. */
function singleColumn(s: SubLink, b: SubqueryBinding): { sub: Bound; col: PlanColumn } | undefined {
  const q = selectOf(s);
  if (q === undefined) return undefined;
  let sub: Bound;
  try {
    sub = b.bindQuery(q);
  } catch {
    return undefined;
  }
  const col = sub.plan.columns[0];
  return col === undefined || sub.plan.columns.length !== 1 ? undefined : { sub, col };
}

/** An aggregate without GROUP BY under projections: exactly one row. */
function oneRow(p: Plan): boolean {
  if (p.kind === 'Project') return oneRow(p.input);
  return p.kind === 'Aggregate' && p.groupKeys.length === 0;
}

function locationOf(n: Node): number {
  const inner = Object.values(n)[0] as { location?: number } | undefined;
  return inner?.location ?? -1;
}
