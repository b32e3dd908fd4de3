/**
 * PostgreSQL/RisingWave query text → DuckDB query text with the same meaning over
 * tidewatch's store. The parse tree says what is where; the original text is spliced, so
 * everything not rewritten reaches DuckDB exactly as written.
 *
 * Rewritten:
 * - relation names: CTEs stay; `pg_catalog`/`information_schema`/`rw_catalog` relations
 *   become the session's catalog tables; tidewatch relations (`name`, `public.name`,
 *   `dev.public.name`) become a subquery with exactly their columns and rows
 *   (relation-sql.ts), keeping the name as alias; anything else is 42P01. An unqualified
 *   name is looked up in pg_catalog (PostgreSQL searches it first), then among tidewatch's
 *   relations, then in rw_catalog (RisingWave's search path ends there). `TABLE name` is
 *   `SELECT * FROM name`.
 * - functions in FROM: TUMBLE/HOP and the rest (rewrite-from-functions.ts);
 * - expressions whose meaning differs (rewrite-expressions.ts);
 * - names DuckDB reserves and PostgreSQL does not (`at`, `map`…) are quoted.
 */
import { notSupported, SqlError, SqlState, undefinedTable } from '../../sql/errors.ts';
import type { SqlType } from '../../sql/types.ts';
import { quoteIdent } from '../view-store.ts';
import { needsQuotes } from './duckdb-keywords.ts';
import { Edits } from './edits.ts';
import { Extents } from './extent.ts';
import type { ParsedQuery } from './parse-query.ts';
import { asNode, type Fields, fieldsIf, list, locationOf } from './pg-tree.ts';
import { storedRelationSql } from './relation-sql.ts';
import type { RewriteContext } from './rewrite-context.ts';
import { rewriteExpression } from './rewrite-expressions.ts';
import { rewriteFromFunction } from './rewrite-from-functions.ts';
import { rewriteNumeric } from './rewrite-numeric.ts';
import { DATABASE, PUBLIC_SCHEMA, type StoredRelation } from './stored-relation.ts';

export type CatalogSchema = 'pg_catalog' | 'information_schema' | 'rw_catalog';

export interface RewriteEnv {
  /** The tidewatch relation of that exact name. */
  stored(name: string): StoredRelation | undefined;
  /** SQL naming the session's table standing for a catalog relation, if there is one. */
  catalogTable(schema: CatalogSchema, name: string): string | undefined;
  /** The DuckDB database (catalog) that holds tidewatch's relations. */
  readonly database: string;
  /** The PostgreSQL type of an expression, when known (output-columns.ts). */
  readonly typeOf?: (n: unknown) => SqlType | undefined;
}

/** CTE names visible at a point of the query. */
class Scope {
  readonly #names: ReadonlySet<string>;
  readonly #parent: Scope | undefined;

  constructor(names: Iterable<string>, parent?: Scope) {
    this.#names = new Set(names);
    this.#parent = parent;
  }

  has(name: string): boolean {
    return this.#names.has(name) || (this.#parent?.has(name) ?? false);
  }
}

/** The DuckDB text of a parsed query. */
export function rewriteQuery(q: ParsedQuery, env: RewriteEnv): string {
  const r = new Rewriter(q, env);
  const { edits } = r.ctx;
  const first = q.tokens[0];
  if (first?.upper === 'TABLE') edits.replace(first.start, first.end, 'SELECT * FROM');
  q.tokens.forEach((t, i) => {
    if (needsQuotes(q.tokens, i)) edits.replace(t.start, t.end, `"${t.text.toLowerCase()}"`);
  });
  r.select(q.select, new Scope([]));
  return edits.apply();
}

class Rewriter {
  readonly ctx: RewriteContext;
  readonly #env: RewriteEnv;

  constructor(q: ParsedQuery, env: RewriteEnv) {
    const text = q.text.slice(0, q.end);
    this.ctx = {
      text,
      edits: new Edits(text),
      extents: new Extents(q.tokens),
      columnTypes: new Map(),
      typeOf: env.typeOf ?? (() => undefined),
      numericText: new WeakSet(),
    };
    this.#env = env;
  }

  select(f: Fields, outer: Scope): void {
    rewriteNumeric(this.ctx, 'SelectStmt', f);
    let scope = outer;
    const w = f.withClause as Fields | undefined;
    if (w !== undefined) {
      const ctes = list(w.ctes).map((c) => fieldsIf(c, 'CommonTableExpr') ?? {});
      const names = ctes.map((c) => String(c.ctename ?? ''));
      scope = new Scope(names, outer);
      ctes.forEach((c, i) => {
        this.expr(c.ctequery, w.recursive === true ? scope : new Scope(names.slice(0, i), outer));
      });
    }
    if (f.op !== undefined && f.op !== 'SETOP_NONE') {
      this.select(f.larg as Fields, scope);
      this.select(f.rarg as Fields, scope);
    }
    for (const item of list(f.fromClause)) this.#fromItem(item, scope);
    for (const key of [
      'targetList',
      'distinctClause',
      'whereClause',
      'groupClause',
      'havingClause',
      'windowClause',
      'valuesLists',
      'sortClause',
      'limitOffset',
      'limitCount',
    ])
      this.expr(f[key], scope);
  }

  expr(n: unknown, scope: Scope, inFrom = false): void {
    if (Array.isArray(n)) {
      for (const e of n) this.expr(e, scope);
      return;
    }
    const node = asNode(n);
    if (node === undefined) return;
    const f = node.fields;
    switch (node.kind) {
      case 'SelectStmt':
        this.select(f, scope);
        return;
      case 'RangeVar':
      case 'RangeFunction':
      case 'JoinExpr':
      case 'RangeSubselect':
        this.#fromItem(n, scope);
        return;
    }
    rewriteExpression(this.ctx, node.kind, f, inFrom);
    for (const [k, v] of Object.entries(f)) {
      if (k === 'location' || typeof v !== 'object' || v === null) continue;
      // A call's OVER clause is a bare WindowDef (no kind key).
      if (k === 'over' && !Array.isArray(v)) this.expr({ WindowDef: v }, scope);
      else this.expr(v, scope);
    }
  }

  // ---------------------------------------------------------------------------
  // FROM

  #fromItem(n: unknown, scope: Scope): void {
    const node = asNode(n);
    if (node === undefined) return;
    const f = node.fields;
    switch (node.kind) {
      case 'RangeVar':
        this.#rangeVar(f, scope);
        return;
      case 'RangeSubselect':
        this.expr(f.subquery, scope);
        return;
      case 'JoinExpr':
        this.#fromItem(f.larg, scope);
        this.#fromItem(f.rarg, scope);
        this.expr(f.quals, scope);
        return;
      case 'RangeFunction':
        rewriteFromFunction(this.ctx, f, {
          relation: (names, location) => this.#relation(names, location, scope),
          visit: (child, inFrom) => this.expr(child, scope, inFrom),
        });
        return;
      default:
        throw notSupported(`${node.kind} in FROM`);
    }
  }

  /** SQL standing for a relation named `names` (as written), or an error at `location`. */
  #relation(names: readonly string[], location: number, scope: Scope): string | undefined {
    const written = names.join('.');
    const place = { text: this.ctx.text, offset: location };
    if (names.length > 3)
      throw new SqlError(
        SqlState.syntaxError,
        `improper relation name (too many dotted names): ${written}`,
        location + 1,
      );
    const rel = names[names.length - 1] ?? '';
    const schema = names.length >= 2 ? names[names.length - 2] : undefined;
    const db = names.length === 3 ? names[0] : undefined;
    if (db !== undefined && db !== DATABASE)
      throw new SqlError(
        SqlState.featureNotSupported,
        `cross-database references are not implemented: ${written}`,
        location + 1,
      );
    if (schema === undefined && scope.has(rel)) return undefined;
    let sql: string | undefined;
    if (schema === undefined || schema === 'pg_catalog') sql = this.#env.catalogTable('pg_catalog', rel);
    else if (schema === 'information_schema' || schema === 'rw_catalog')
      sql = this.#env.catalogTable(schema, rel);
    if (sql === undefined && (schema === undefined || schema === PUBLIC_SCHEMA)) {
      const stored = this.#env.stored(rel);
      if (stored !== undefined) {
        sql = storedRelationSql(stored, this.#env.database);
        for (const c of stored.columns) this.ctx.columnTypes.set(c.name, c.type);
      }
    }
    if (sql === undefined && schema === undefined) sql = this.#env.catalogTable('rw_catalog', rel);
    if (sql === undefined) throw undefinedTable(written, place);
    return sql;
  }

  #rangeVar(f: Fields, scope: Scope): void {
    const names = [f.catalogname, f.schemaname, f.relname].filter((x): x is string => typeof x === 'string');
    const location = locationOf(f);
    const sql = this.#relation(names, location, scope);
    if (sql === undefined) return;
    const span = this.ctx.extents.nameSpan(location);
    const alias = f.alias === undefined ? ` AS ${quoteIdent(String(f.relname))}` : '';
    this.ctx.edits.replace(span.start, span.end, sql + alias);
  }
}
