/**
 * The catalog relations (catalog-relations.ts) as temporary tables of one DuckDB connection:
 * never in the data file, private to the session, refilled when tidewatch's relations or the
 * settings change. Also a table of type display names for `format_type`.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { SqlType, Value } from '../../sql/types.ts';
import { quoteIdent } from '../view-store.ts';
import {
  type CatalogRelation,
  type CatalogSetting,
  type CatalogSnapshot,
  catalogRelations,
  rowValues,
} from './catalog-relations.ts';
import { duckTypeOfSql, toDuckValue } from './duck-values.ts';
import { pgTypes } from './pg-types.ts';
import type { StoredRelation } from './stored-relation.ts';

/** The temporary table holding a catalog relation, as SQL. */
export function catalogTableSql(rel: Pick<CatalogRelation, 'schema' | 'name'>): string {
  return `temp.main.${quoteIdent(`tw__${rel.schema}__${rel.name}`)}`;
}

/** `oid → format_type(oid, NULL)`. */
export const TYPE_NAMES_TABLE = 'temp.main.tw__type_names';

const FIRST_USER_OID = 16384;
const OID_SPAN = 2 ** 31 - FIRST_USER_OID;

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * OIDs of tidewatch relations: a hash of the name, so a relation keeps its OID across
 * sessions and restarts (psql looks a relation up, then queries by OID); collisions move on
 * to the next free number, in name order.
 */
export function relationOids(names: readonly string[]): Map<string, number> {
  const used = new Set<number>();
  const out = new Map<string, number>();
  for (const name of [...names].sort()) {
    let oid = FIRST_USER_OID + (fnv1a(name) % OID_SPAN);
    while (used.has(oid)) oid = oid + 1 >= FIRST_USER_OID + OID_SPAN ? FIRST_USER_OID : oid + 1;
    used.add(oid);
    out.set(name, oid);
  }
  return out;
}

function columnsSql(columns: readonly { name: string; type: SqlType }[]): string {
  return columns.map((c) => `${quoteIdent(c.name)} ${duckTypeOfSql(c.type).toString()}`).join(', ');
}

async function append(
  conn: DuckDBConnection,
  table: string,
  columns: readonly { name: string; type: SqlType }[],
  rows: readonly (readonly Value[])[],
): Promise<void> {
  const a = await conn.createAppender(table, 'main', 'temp');
  try {
    const types = columns.map((c) => duckTypeOfSql(c.type));
    for (const row of rows) {
      columns.forEach((c, i) => {
        a.appendValue(toDuckValue(row[i] ?? null, c.type), types[i]);
      });
      a.endRow();
    }
    a.flushSync();
  } finally {
    a.closeSync();
  }
}

/** The catalog tables of one connection. */
export class CatalogTables {
  readonly #conn: DuckDBConnection;
  #fingerprint: string | undefined;
  /** What each catalog table holds now, as JSON of its rows (absent: empty). */
  readonly #held = new Map<CatalogRelation, string>();

  constructor(conn: DuckDBConnection) {
    this.#conn = conn;
  }

  /** Creates the tables (empty) and the type names. */
  async create(): Promise<void> {
    await this.#conn.run(
      [
        ...catalogRelations.map(
          (rel) => `CREATE OR REPLACE TEMP TABLE ${catalogTableSql(rel)} (${columnsSql(rel.columns)})`,
        ),
        `CREATE OR REPLACE TEMP TABLE ${TYPE_NAMES_TABLE} (oid BIGINT, name VARCHAR)`,
      ].join(';\n'),
    );
    this.#held.clear();
    await append(
      this.#conn,
      'tw__type_names',
      [
        { name: 'oid', type: { name: 'int8' } },
        { name: 'name', type: { name: 'varchar' } },
      ],
      pgTypes.map((t) => [t.oid, t.display]),
    );
  }

  /** Refills the tables whose rows differ from this catalog's, unless none can. */
  async refresh(relations: readonly StoredRelation[], settings: readonly CatalogSetting[]): Promise<void> {
    const sorted = [...relations].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const fingerprint = JSON.stringify([sorted, settings]);
    if (fingerprint === this.#fingerprint) return;
    const oids = relationOids(sorted.map((r) => r.name));
    const snapshot: CatalogSnapshot = {
      relations: sorted,
      settings,
      relationOid: (name) => oids.get(name) ?? 0,
    };
    const changed: { rel: CatalogRelation; rows: Value[][]; held: string }[] = [];
    for (const rel of catalogRelations) {
      const rows = rel.rows(snapshot).map((r) => rowValues(rel, r));
      const held = JSON.stringify(rows);
      if (held !== (this.#held.get(rel) ?? '[]')) changed.push({ rel, rows, held });
    }
    const emptied = changed.filter((c) => this.#held.has(c.rel));
    await this.#conn.run('BEGIN TRANSACTION');
    try {
      if (emptied.length > 0)
        await this.#conn.run(emptied.map((c) => `DELETE FROM ${catalogTableSql(c.rel)}`).join(';\n'));
      for (const { rel, rows } of changed)
        if (rows.length > 0) await append(this.#conn, `tw__${rel.schema}__${rel.name}`, rel.columns, rows);
      await this.#conn.run('COMMIT');
    } catch (e) {
      await this.#conn.run('ROLLBACK').catch(() => undefined);
      throw e;
    }
    for (const { rel, rows, held } of changed)
      if (rows.length > 0) this.#held.set(rel, held);
      else this.#held.delete(rel);
    this.#fingerprint = fingerprint;
  }
}
