/**
 * Ad-hoc SQL (psql, Grafana, the dashboard) over tidewatch's store: one session per client,
 * on its own DuckDB connection, which sees committed epochs only.
 *
 * A query is parsed by PostgreSQL's parser (parse-query.ts), rewritten for DuckDB over the
 * store's layout and the session's catalog tables (rewrite.ts), run, and its result named
 * and typed as PostgreSQL would (output-columns.ts, result-types.ts). Errors carry
 * SQLSTATEs (duck-errors.ts). Queries of one session run one at a time.
 */
import {
  type DuckDBConnection,
  type DuckDBPreparedStatement,
  type DuckDBResult,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
  VARCHAR,
} from '@duckdb/node-api';
import { SqlError } from '../../sql/errors.ts';
import { limits, outOfQueryMemory } from '../../sql/limits.ts';
import { type SqlType, T, type Value } from '../../sql/types.ts';
import { type CatalogAccess, type LiveState, ROOT_ONLY } from './catalog-relation-spec.ts';
import { findCatalogRelation } from './catalog-relations.ts';
import { CatalogTables, catalogTableSql, type SharedCatalog } from './catalog-tables.ts';
import { fromDuckError } from './duck-errors.ts';
import { duckTypeOfSql, fromDuckValue, guessParamType, sqlTypeOfDuck, toDuckValue } from './duck-values.ts';
import { namePositions } from './name-positions.ts';
import { type OutputColumn, OutputColumns } from './output-columns.ts';
import { type ParsedQuery, parseQuery } from './parse-query.ts';
import { rowBytes } from './result-bytes.ts';
import { resultType } from './result-types.ts';
import { type RewriteEnv, rewriteQuery } from './rewrite.ts';
import { prepareConnection, readsCatalog } from './session-setup.ts';
import { currentSettings } from './settings.ts';
import type { StoredRelation } from './stored-relation.ts';

/** How often an interrupt is sent again until the running query ends. */
const REINTERRUPT_MS = 50;

export type {
  CatalogAccess,
  CatalogGrant,
  CatalogSink,
  CatalogUser,
  PartitionProgress,
  SourceIngestion,
  ViewRuntime,
} from './catalog-relation-spec.ts';
export { isEmptyQuery } from './parse-query.ts';
export { pgTypeOf } from './pg-types.ts';
export type { StoredRelation } from './stored-relation.ts';

export interface QueryColumn {
  readonly name: string;
  readonly type: SqlType;
}

export interface QueryOutput {
  readonly columns: readonly QueryColumn[];
  readonly rows: Value[][];
}

export interface QueryDescription {
  readonly paramTypes: SqlType[];
  readonly columns: QueryColumn[];
}

let nextBackendPid = 10_000;
/** How many translations and prepared statements a session keeps. */
const TRANSLATIONS_KEPT = 256;
const PREPARED_KEPT = 32;

/** A type DuckDB could not decide (`SELECT $1`): text, as PostgreSQL's unknown ends up. */
function known(id: DuckDBTypeId): boolean {
  return id !== DuckDBTypeId.INVALID && id !== DuckDBTypeId.ANY;
}

/** A prepared statement's result columns, an undecided type as VARCHAR. */
interface PreparedColumns {
  readonly names: string[];
  readonly types: DuckDBType[];
  /** Whether DuckDB left a column's type undecided until values are bound. */
  readonly undecided: boolean;
}

function columnsOf(prepared: DuckDBPreparedStatement): PreparedColumns {
  const names: string[] = [];
  const types: DuckDBType[] = [];
  let undecided = false;
  for (let i = 0; i < prepared.columnCount; i++) {
    names.push(prepared.columnName(i));
    const decided = known(prepared.columnTypeId(i));
    types.push(decided ? prepared.columnType(i) : VARCHAR);
    undecided ||= !decided;
  }
  return { names, types, undecided };
}

/** What a translation depends on in the catalog: names, kinds and typed columns. */
function catalogSignature(relations: readonly StoredRelation[]): string {
  return relations.map(relationSignature).join('\u0001');
}

/** A relation's part of `catalogSignature`, made once per relation (asked at every query). */
const relationSignatures = new WeakMap<StoredRelation, string>();

function relationSignature(r: StoredRelation): string {
  let s = relationSignatures.get(r);
  if (s === undefined) {
    s = `${r.name}\u0000${r.kind}\u0000${r.columns.map((c) => `${c.name}:${JSON.stringify(c.type)}`).join(',')}`;
    relationSignatures.set(r, s);
  }
  return s;
}

interface Translation {
  readonly parsed: ParsedQuery;
  readonly sql: string;
  readonly outputs: OutputColumn[] | undefined;
  /** It reads a relation of the sources' ingestion, whose tables are refilled before it runs. */
  readonly readsIngestion: boolean;
  /** The tidewatch relations it reads, for the privilege check. */
  readonly reads: readonly string[];
}

/**
 * The rows of a streamed result as PostgreSQL's values, a chunk at a time, failing with 53200
 * once they would hold more than the query memory limit.
 */
export async function gatherRows(
  result: DuckDBResult,
  columnTypes: readonly DuckDBType[],
  columns: readonly QueryColumn[],
): Promise<Value[][]> {
  const limit = limits().queryMemoryBytes;
  const rows: Value[][] = [];
  let bytes = 0;
  for (
    let chunk = await result.fetchChunk();
    chunk !== null && chunk.rowCount > 0;
    chunk = await result.fetchChunk()
  ) {
    const raws = chunk.getRows();
    // Its values are copied out: the chunk's own memory goes now, not when the collector
    // notices (it sees none of it).
    chunk.reset();
    for (const raw of raws) {
      const row = raw.map((v, i) =>
        fromDuckValue(v, columnTypes[i] as DuckDBType, (columns[i] as QueryColumn).type),
      );
      bytes += rowBytes(row);
      if (bytes > limit) throw outOfQueryMemory(`A result of more than ${rows.length} rows`);
      rows.push(row);
    }
  }
  return rows;
}

export class AdHocSession {
  readonly #conn: DuckDBConnection;
  readonly #catalog: () => readonly StoredRelation[];
  readonly #settings: (name: string) => string | undefined;
  readonly #live: LiveState;
  #guard: ((relations: readonly string[]) => void) | undefined;
  #access: () => CatalogAccess = () => ROOT_ONLY;
  readonly #database: string;
  readonly #tables: CatalogTables;
  readonly #shared: SharedCatalog;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  /** Translations by query text, for the catalog they were made with. */
  readonly #translations = new Map<string, Translation & { readonly signature: string }>();
  /** Prepared statements by translated text: drivers describe, then run, the same query again and again. */
  readonly #prepared = new Map<string, DuckDBPreparedStatement>();
  /** Operations queued or in progress. */
  #pending = 0;
  /** A query is in DuckDB's hands. */
  #running = false;
  /** Sends an interrupt again while the query it was meant for still runs. */
  #reinterrupt: NodeJS.Timeout | undefined;
  /** An interruption arrived before the query ran. */
  #cancelled = false;

  private constructor(
    conn: DuckDBConnection,
    catalog: () => readonly StoredRelation[],
    settings: (name: string) => string | undefined,
    live: LiveState,
    database: string,
    shared: SharedCatalog,
  ) {
    this.#conn = conn;
    this.#catalog = catalog;
    this.#settings = settings;
    this.#live = live;
    this.#database = database;
    this.#shared = shared;
    this.#tables = new CatalogTables(conn, shared);
  }

  /**
   * A session on `conn` (the session owns it from now on and closes it). `catalog` lists
   * tidewatch's relations as of now; `settings` answers `current_setting` and pg_settings
   * (undefined: tidewatch's default, see settings.ts); `live` tells how the sources'
   * ingestion is doing now (rw_kafka_source_metrics, tidewatch_source_ingestion), the sinks
   * and their delivery (rw_sinks, tidewatch_sinks) and the views' expression errors
   * (tidewatch_view_errors). The sessions
   * of one store share the catalog tables of one `shared`.
   */
  static async open(
    conn: DuckDBConnection,
    shared: SharedCatalog,
    catalog: () => readonly StoredRelation[],
    settings: (name: string) => string | undefined = () => undefined,
    live: LiveState = {},
  ): Promise<AdHocSession> {
    const db = await conn.runAndReadAll('SELECT current_database()');
    const session = new AdHocSession(conn, catalog, settings, live, String(db.getRows()[0]?.[0]), shared);
    await session.#tables.create();
    await prepareConnection(conn, nextBackendPid++, shared.database);
    return session;
  }

  /** Runs one query; `params` bind `$1`, `$2`… (typed by `paramTypes` when given). */
  query(sql: string, params: readonly Value[] = [], paramTypes?: readonly SqlType[]): Promise<QueryOutput> {
    return this.#exclusive(async () => {
      const t = await this.#translate(sql);
      const types = params.map((v, i) => paramTypes?.[i] ?? guessParamType(v));
      const values: DuckDBValue[] = params.map((v, i) => toDuckValue(v, types[i] as SqlType));
      const duckTypes: DuckDBType[] = types.map(duckTypeOfSql);
      if (this.#cancelled) {
        this.#cancelled = false;
        throw new SqlError('57014', 'canceling statement due to user request');
      }
      this.#running = true;
      try {
        const result =
          params.length === 0
            ? await this.#conn.stream(t.sql)
            : await this.#runPrepared(t.sql, values, duckTypes);
        const columnTypes = result.columnTypes();
        const columns = this.#columns(t, result.columnNames(), columnTypes);
        return { columns, rows: await gatherRows(result, columnTypes, columns) };
      } catch (e) {
        throw fromDuckError(e, namePositions(t.parsed.select));
      } finally {
        this.#running = false;
        this.#stopReinterrupting();
      }
    });
  }

  /** Runs a translated query with parameters through a cached prepared statement (prepared again once if it went stale). */
  async #runPrepared(sql: string, values: DuckDBValue[], types: DuckDBType[]) {
    const cached = this.#prepared.get(sql);
    try {
      const prepared = cached ?? (await this.#prepare(sql));
      prepared.bind(values, types);
      return await prepared.stream();
    } catch (e) {
      if (cached === undefined) throw e;
      this.#forget(sql);
      const fresh = await this.#prepare(sql);
      fresh.bind(values, types);
      return fresh.stream();
    }
  }

  async #prepare(sql: string): Promise<DuckDBPreparedStatement> {
    const prepared = await this.#conn.prepare(sql);
    if (this.#prepared.size >= PREPARED_KEPT) {
      const oldest = this.#prepared.keys().next().value as string;
      this.#forget(oldest);
    }
    this.#prepared.set(sql, prepared);
    return prepared;
  }

  #forget(sql: string): void {
    this.#prepared.get(sql)?.destroySync();
    this.#prepared.delete(sql);
  }

  /** The parameter and result types of a query, without running it. */
  describe(sql: string): Promise<QueryDescription> {
    return this.#exclusive(async () => {
      const t = await this.#translate(sql);
      try {
        const prepared = this.#prepared.get(t.sql) ?? (await this.#prepare(t.sql));
        let columns = columnsOf(prepared);
        // With an untyped parameter in the select list (`SELECT id, $1 FROM t`) DuckDB describes
        // one column, "unknown", until values are bound. PostgreSQL's unknown parameter is text:
        // the query with its parameters as text says the columns, else the query's own reading.
        const outputs = t.outputs;
        if (columns.undecided && prepared.columnCount === 1 && outputs !== undefined && outputs.length !== 1)
          columns = (await this.#columnsWithTextParams(t.sql, outputs.length)) ?? {
            names: outputs.map((o) => o.name),
            types: outputs.map(() => VARCHAR),
            undecided: false,
          };
        const { names, types } = columns;
        const paramTypes: SqlType[] = [];
        for (let i = 1; i <= prepared.parameterCount; i++)
          paramTypes.push(
            known(prepared.parameterTypeId(i)) ? sqlTypeOfDuck(prepared.parameterType(i)) : T.text,
          );
        return { paramTypes, columns: this.#columns(t, names, types) };
      } catch (e) {
        this.#forget(t.sql);
        throw fromDuckError(e, namePositions(t.parsed.select));
      }
    });
  }

  /**
   * The `width` result columns of `sql` with every parameter cast to VARCHAR, from a statement
   * prepared for that and dropped; undefined when DuckDB refuses that statement (a parameter
   * PostgreSQL would type otherwise, `$1 + 1`) or still cannot decide them.
   */
  async #columnsWithTextParams(sql: string, width: number): Promise<PreparedColumns | undefined> {
    let prepared: DuckDBPreparedStatement | undefined;
    try {
      prepared = await this.#conn.prepare(sql.replace(/\$(\d+)(?!\d)/g, 'CAST($$$1 AS VARCHAR)'));
      const columns = columnsOf(prepared);
      return columns.undecided || columns.names.length !== width ? undefined : columns;
    } catch {
      return undefined;
    } finally {
      prepared?.destroySync();
    }
  }

  /**
   * Asks the running query to stop (it fails with 57014); a query still being prepared
   * stops before it runs. Without a query, nothing happens.
   */
  interrupt(): void {
    if (this.#closed) return;
    if (this.#running) this.#interruptRunning();
    else if (this.#pending > 0) this.#cancelled = true;
  }

  /**
   * DuckDB drops an interrupt that reaches the connection before its query starts on a worker
   * thread (queued behind other work, on a busy machine): it is sent again until the query ends.
   */
  #interruptRunning(): void {
    this.#conn.interrupt();
    if (this.#reinterrupt !== undefined) return;
    this.#reinterrupt = setInterval(() => {
      if (this.#running && !this.#closed) this.#conn.interrupt();
      else this.#stopReinterrupting();
    }, REINTERRUPT_MS);
    this.#reinterrupt.unref();
  }

  #stopReinterrupting(): void {
    if (this.#reinterrupt === undefined) return;
    clearInterval(this.#reinterrupt);
    this.#reinterrupt = undefined;
  }

  /** Closes the session's connection. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopReinterrupting();
    for (const sql of [...this.#prepared.keys()]) this.#forget(sql);
    this.#conn.closeSync();
  }

  #columns(t: Translation, names: readonly string[], types: readonly DuckDBType[]): QueryColumn[] {
    const inferred = t.outputs?.length === names.length ? t.outputs : undefined;
    return names.map((name, i) => ({
      name: inferred?.[i]?.name ?? name,
      type: resultType(inferred?.[i]?.type, sqlTypeOfDuck(types[i] as DuckDBType)),
    }));
  }

  /**
   * From now on, every query and description first hands the tidewatch relations it reads to
   * `guard`, which throws to refuse it (a privilege check); the catalog's users and grants
   * are `access`'s.
   */
  guardReads(guard: (relations: readonly string[]) => void, access: () => CatalogAccess): void {
    this.#guard = guard;
    this.#access = access;
  }

  /** Throws what the guard throws for `sql`, without running it. */
  checkReads(sql: string): Promise<void> {
    return this.#exclusive(async () => {
      await this.#translate(sql);
    });
  }

  async #translate(sql: string): Promise<Translation> {
    const relations = this.#catalog();
    const signature = catalogSignature(relations);
    let t = this.#translations.get(sql);
    if (t === undefined || t.signature !== signature) {
      t = { ...this.#translateAnew(sql, relations), signature };
      if (this.#translations.size >= TRANSLATIONS_KEPT) this.#translations.clear();
      this.#translations.set(sql, t);
    }
    this.#guard?.(t.reads);
    if (readsCatalog(t.sql))
      await this.#tables.refresh(relations, currentSettings(this.#settings), this.#access());
    if (t.readsIngestion) await this.#tables.refreshLive(relations, this.#live, this.#access());
    return t;
  }

  #translateAnew(sql: string, relations: readonly StoredRelation[]): Translation {
    const parsed = parseQuery(sql);
    const byName = new Map(relations.map((r) => [r.name, r]));
    const stored = (name: string) => byName.get(name);
    const reads = new Set<string>();
    const inference = new OutputColumns({
      stored,
      catalogColumns: (schema, name) => findCatalogRelation(schema, name)?.columns,
    });
    const outputs = inference.of(parsed.select);
    let readsIngestion = false;
    const env: RewriteEnv = {
      stored: (name) => {
        const r = stored(name);
        if (r !== undefined) reads.add(r.name);
        return r;
      },
      catalogTable: (schema, name) => {
        const rel = findCatalogRelation(schema, name);
        if (rel === undefined) return undefined;
        if (rel.changesWith === 'ingestion') readsIngestion = true;
        return catalogTableSql(rel, this.#shared.database);
      },
      database: this.#database,
      typeOf: (n) => inference.typeOf(n),
    };
    return { parsed, sql: rewriteQuery(parsed, env), outputs, readsIngestion, reads: [...reads] };
  }

  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    this.#pending++;
    const run = async () => {
      try {
        if (this.#closed) throw new SqlError('08003', 'the session is closed');
        return await work();
      } finally {
        this.#pending--;
        if (this.#pending === 0) this.#cancelled = false;
      }
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }
}
