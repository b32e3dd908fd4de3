/** Binding INSERT, UPDATE and DELETE against their table. */

import { Binder } from './bind-select.ts';
import type { Catalog, CatalogColumn } from './catalog.ts';
import { type Place, SqlError, SqlState, undefinedColumn, undefinedTable } from './errors.ts';
import { type BoundExpr, columnRef, literal } from './expr.ts';
import { coerceAssignment } from './functions.ts';
import { optimize } from './optimizer/optimize.ts';
import type { BindParams } from './params.ts';
import type { Plan } from './plan.ts';
import type { Delete, Insert, Update } from './statement.ts';

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
  const q = optimize(b.bindSelect(stmt.query.ast, undefined, true).plan, b.whereFilters);
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
