/**
 * The catalog relations (catalog-relations.ts) as DuckDB tables, never in the data file.
 * Those that depend only on tidewatch's relations, and a table of type display names for
 * `format_type`, live in an in-memory database attached to the store's instance and shared
 * by all its sessions (`SharedCatalog`): refilled once per change of the relations, where
 * every session filling its own took 40–80 ms at its first catalog query. pg_settings, which
 * shows the session's settings, is a temporary table of each session (`CatalogTables`), and
 * so are the relations of the sources' ingestion, refilled at every query that reads them
 * (only those whose rows changed are written).
 */

import type { DuckDBConnection } from '@duckdb/node-api';
import { byName } from '../../sql/catalog.ts';
import type { SqlType, Value } from '../../sql/types.ts';
import { quoteIdent } from '../view-store.ts';
import {
  type CatalogAccess,
  type CatalogRelation,
  type CatalogSetting,
  type CatalogSink,
  type CatalogSnapshot,
  type LiveState,
  ROOT_ONLY,
  type SourceIngestion,
  type ViewRuntime,
} from './catalog-relation-spec.ts';
import { catalogRelations, rowValues } from './catalog-relations.ts';
import { duckTypeOfSql, toDuckValue } from './duck-values.ts';
import { pgTypes } from './pg-types.ts';
import type { StoredRelation } from './stored-relation.ts';

function tableName(rel: Pick<CatalogRelation, 'schema' | 'name'>): string {
  return `tw__${rel.schema}__${rel.name}`;
}

const shared = (rel: CatalogRelation) => rel.changesWith === 'catalog';

/** The table holding a catalog relation, as SQL: a session's own, or one of the `shared` database. */
export function catalogTableSql(rel: CatalogRelation, sharedDatabase: string): string {
  return `${shared(rel) ? quoteIdent(sharedDatabase) : 'temp'}.main.${quoteIdent(tableName(rel))}`;
}

/** `oid → format_type(oid, NULL)`, in the `shared` database. */
export function typeNamesTable(shared: string): string {
  return `${quoteIdent(shared)}.main.tw__type_names`;
}

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
  database: string,
  table: string,
  columns: readonly { name: string; type: SqlType }[],
  rows: readonly (readonly Value[])[],
): Promise<void> {
  const a = await conn.createAppender(table, 'main', database);
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

/** What changes while tidewatch runs, as it is now. */
interface LiveNow {
  readonly ingestion: readonly SourceIngestion[];
  readonly sinks: readonly CatalogSink[];
  readonly views: readonly ViewRuntime[];
}

const NOTHING_LIVE: LiveNow = { ingestion: [], sinks: [], views: [] };

async function liveNow(live: LiveState): Promise<LiveNow> {
  const [ingestion, sinks, views] = await Promise.all([live.ingestion?.(), live.sinks?.(), live.views?.()]);
  return { ingestion: ingestion ?? [], sinks: sinks ?? [], views: views ?? [] };
}

function snapshotOf(
  relations: readonly StoredRelation[],
  settings: readonly CatalogSetting[],
  live: LiveNow = NOTHING_LIVE,
  access: CatalogAccess = ROOT_ONLY,
): CatalogSnapshot {
  const sorted = [...relations].sort(byName);
  const oids = relationOids(sorted.map((r) => r.name));
  return {
    relations: sorted,
    settings,
    relationOid: (name) => oids.get(name) ?? 0,
    ingestion: live.ingestion,
    sinks: live.sinks,
    views: live.views,
    access,
  };
}

/**
 * Catalog tables in `database` (`temp` or a shared one) and what each holds, as JSON of its
 * rows (absent: empty): a refill replaces only the tables whose rows differ.
 */
class CatalogTableSet {
  readonly #database: string;
  readonly #relations: readonly CatalogRelation[];
  readonly #held = new Map<CatalogRelation, string>();

  constructor(database: string, relations: readonly CatalogRelation[]) {
    this.#database = database;
    this.#relations = relations;
  }

  createSql(): string[] {
    const temporary = this.#database === 'temp' ? 'TEMP ' : '';
    return this.#relations.map(
      (rel) =>
        `CREATE OR REPLACE ${temporary}TABLE ${quoteIdent(this.#database)}.main.${quoteIdent(tableName(rel))} (${columnsSql(rel.columns)})`,
    );
  }

  async refill(conn: DuckDBConnection, snapshot: CatalogSnapshot): Promise<void> {
    const changed: { rel: CatalogRelation; rows: Value[][]; held: string }[] = [];
    for (const rel of this.#relations) {
      const rows = rel.rows(snapshot).map((r) => rowValues(rel, r));
      const held = JSON.stringify(rows);
      if (held !== (this.#held.get(rel) ?? '[]')) changed.push({ rel, rows, held });
    }
    if (changed.length === 0) return;
    const emptied = changed.filter((c) => this.#held.has(c.rel));
    const database = quoteIdent(this.#database);
    await conn.run('BEGIN TRANSACTION');
    try {
      if (emptied.length > 0)
        await conn.run(
          emptied.map((c) => `DELETE FROM ${database}.main.${quoteIdent(tableName(c.rel))}`).join(';\n'),
        );
      for (const { rel, rows } of changed)
        if (rows.length > 0) await append(conn, this.#database, tableName(rel), rel.columns, rows);
      await conn.run('COMMIT');
    } catch (e) {
      await conn.run('ROLLBACK').catch(() => undefined);
      throw e;
    }
    for (const { rel, rows, held } of changed)
      if (rows.length > 0) this.#held.set(rel, held);
      else this.#held.delete(rel);
  }
}

let sharedCatalogs = 0;

/**
 * The catalog tables the sessions of one store share: an in-memory database attached to the
 * store's DuckDB instance, under a name of its own. Refills run one at a time, each on the
 * connection of the session that asks.
 */
export class SharedCatalog {
  readonly database = `tw_catalog_${++sharedCatalogs}`;
  readonly #tables = new CatalogTableSet(this.database, catalogRelations.filter(shared));
  #ready: Promise<void> | undefined;
  #queue: Promise<void> = Promise.resolve();
  #fingerprint: string | undefined;

  /** Attaches the database and creates its tables, once, on the first session's connection. */
  prepare(conn: DuckDBConnection): Promise<void> {
    this.#ready ??= (async () => {
      await conn.run(`ATTACH ':memory:' AS ${quoteIdent(this.database)}`);
      await conn.run(
        [
          ...this.#tables.createSql(),
          `CREATE TABLE ${typeNamesTable(this.database)} (oid BIGINT, name VARCHAR)`,
        ].join(';\n'),
      );
      await append(
        conn,
        this.database,
        'tw__type_names',
        [
          { name: 'oid', type: { name: 'int8' } },
          { name: 'name', type: { name: 'varchar' } },
        ],
        pgTypes.map((t) => [t.oid, t.display]),
      );
    })();
    return this.#ready;
  }

  /** Brings the tables up to `relations` and `access`, unless they hold them already. */
  refresh(
    conn: DuckDBConnection,
    relations: readonly StoredRelation[],
    access: CatalogAccess,
  ): Promise<void> {
    const run = this.#queue.then(async () => {
      const snapshot = snapshotOf(relations, [], NOTHING_LIVE, access);
      const fingerprint = JSON.stringify([snapshot.relations, access]);
      if (fingerprint === this.#fingerprint) return;
      await this.#tables.refill(conn, snapshot);
      this.#fingerprint = fingerprint;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

/**
 * The catalog tables of one connection: the shared ones, its own pg_settings, and its own
 * tables of the sources' ingestion.
 */
export class CatalogTables {
  readonly #conn: DuckDBConnection;
  readonly #shared: SharedCatalog;
  readonly #own = new CatalogTableSet(
    'temp',
    catalogRelations.filter((rel) => rel.changesWith === 'session'),
  );
  readonly #ingestion = new CatalogTableSet(
    'temp',
    catalogRelations.filter((rel) => rel.changesWith === 'ingestion'),
  );
  #fingerprint: string | undefined;

  constructor(conn: DuckDBConnection, shared: SharedCatalog) {
    this.#conn = conn;
    this.#shared = shared;
  }

  /** Creates the session's own tables (empty), and the shared ones unless they exist. */
  async create(): Promise<void> {
    await this.#shared.prepare(this.#conn);
    await this.#conn.run([...this.#own.createSql(), ...this.#ingestion.createSql()].join(';\n'));
  }

  /** Brings the tables up to these relations, settings, users and grants. */
  async refresh(
    relations: readonly StoredRelation[],
    settings: readonly CatalogSetting[],
    access: CatalogAccess = ROOT_ONLY,
  ): Promise<void> {
    await this.#shared.refresh(this.#conn, relations, access);
    const fingerprint = JSON.stringify(settings);
    if (fingerprint === this.#fingerprint) return;
    await this.#own.refill(this.#conn, snapshotOf(relations, settings));
    this.#fingerprint = fingerprint;
  }

  /** Brings the tables of what changes while tidewatch runs up to now (the rows that changed). */
  async refreshLive(
    relations: readonly StoredRelation[],
    live: LiveState,
    access: CatalogAccess = ROOT_ONLY,
  ): Promise<void> {
    await this.#ingestion.refill(this.#conn, snapshotOf(relations, [], await liveNow(live), access));
  }
}
