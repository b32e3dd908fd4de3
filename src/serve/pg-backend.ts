/**
 * What the PostgreSQL endpoint runs: each client session's statements, routed by kind.
 * Queries (SELECT, WITH, VALUES, TABLE) run in the DuckDB store on the session's own reader
 * connection, which sees committed epochs only (store/query); subscriptions and their
 * cursors follow the store's change logs (cursors.ts); COPY TO STDOUT is a query, COPY FROM
 * STDIN hands the rows it reads to a table at once (copy-from.ts); everything else — DDL,
 * DML, FLUSH, SET/SHOW, DESCRIBE, EXPLAIN, transaction verbs — goes to the engine.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { RelationInfo, StatementResult } from '../engine/engine.ts';
import type { SystemParameter } from '../runtime/system-parameters.ts';
import { type CopyCommand, type CopyToCommand, copyCommand } from '../sql/copy-statement.ts';
import { type CursorStatement, parseCursorStatement } from '../sql/cursor-statements.ts';
import { SqlError, SqlState, shiftedBy } from '../sql/errors.ts';
import { type InsertValues, readInsertValues } from '../sql/insert-values.ts';
import type { BindParams } from '../sql/params.ts';
import { parseStatement, type StatementSlice, sliceScript, splitScript } from '../sql/parse.ts';
import { identName, stringValue, type Token } from '../sql/tokens.ts';
import { type SqlType, T, type Value } from '../sql/types.ts';
import {
  AdHocSession,
  type CatalogSink,
  type SourceIngestion,
  type StoredRelation,
  type ViewRuntime,
} from '../store/query/ad-hoc-session.ts';
import { SharedCatalog } from '../store/query/catalog-tables.ts';
import { DEAD_LETTER_COLUMNS, DEAD_LETTERS } from '../store/view-store.ts';
import type { Row } from '../stream/value.ts';
import { copyFrom } from './copy-from.ts';
import { CommitSignal, Cursors, type SubscriptionStore } from './cursors.ts';
import type {
  PgBackend,
  PgColumn,
  PgQueryResult,
  PgSession,
  PgStartup,
  PgStatementInfo,
} from './pgwire/backend.ts';
import { ResultCache } from './result-cache.ts';
import { SessionSettings } from './session-settings.ts';

export interface PgBackendDeps {
  /**
   * Runs engine statements (see recovery.ts): DML returns once durable, DDL and FLUSH once
   * committed; `params` bind `$1…$n` of one statement; `tokens`: the text's tokens (scanned
   * once, here).
   */
  readonly execute: (
    sql: string,
    params?: BindParams,
    tokens?: readonly Token[],
  ) => Promise<StatementResult[]>;
  /**
   * Runs a bulk-load INSERT read without the parser (`readInsertValues`), durably as `execute`
   * does; undefined when it needs the general path (`execute` of its text).
   */
  readonly insertValues: (bulk: InsertValues) => Promise<StatementResult | undefined>;
  /** Ends the epoch and resolves once it is committed (RW_IMPLICIT_FLUSH after DML). */
  readonly flush: () => Promise<void>;
  /** The types of an engine statement's parameters: those declared, else inferred (Engine.describeParams). */
  readonly describeParams: (sql: string, declared: readonly (SqlType | undefined)[]) => readonly SqlType[];
  /** A new DuckDB connection to the store. */
  readonly connectReader: () => Promise<DuckDBConnection>;
  /** The engine's sources, tables and views: the same list until they change. */
  readonly relations: () => readonly RelationInfo[];
  /**
   * Inserts typed rows into a table as INSERT does (COPY FROM): full rows, values in the
   * table's column order; resolves with their number once they are durable.
   */
  readonly insertRows: (table: string, rows: readonly Row[]) => Promise<number>;
  /** Subscriptions and the change logs they follow. */
  readonly subscriptions: SubscriptionStore;
  /** The server's defaults of session settings (`statement_timeout` from --statement-timeout…). */
  readonly settingDefaults?: Readonly<Record<string, string>>;
  /** A number that changes whenever the store may have changed (`ViewStore.version`). */
  readonly storeVersion: () => number;
  /** How each source's ingestion is doing now (rw_kafka_source_metrics, tidewatch_source_ingestion). */
  readonly ingestion: () => readonly SourceIngestion[];
  /** The sinks and how their delivery is doing now (rw_sinks, tidewatch_sinks). */
  readonly sinks?: () => readonly CatalogSink[];
  /** The materialized views' expression errors now (tidewatch_view_errors). */
  readonly views?: () => readonly ViewRuntime[];
  /** RisingWave's system parameters: `SHOW PARAMETERS`, `ALTER SYSTEM SET`. */
  readonly system?: {
    list(): readonly SystemParameter[];
    set(name: string, value: string | undefined): void;
  };
}

const QUERY_WORDS = new Set(['select', 'with', 'values', 'table']);
/** Statements RW_IMPLICIT_FLUSH makes wait for their epoch's commit. */
const DML_TAGS = new Set(['INSERT', 'UPDATE', 'DELETE']);
/** Engine statements that return rows: Describe learns their columns by running them. */
const ROW_WORDS = new Set(['show', 'describe', 'explain']);
/** Session verbs PostgreSQL clients send that change nothing here. */
const NO_OPS: Readonly<Record<string, string>> = { discard: 'DISCARD ALL', deallocate: 'DEALLOCATE' };

type Route = 'query' | 'rows' | 'no-op' | 'engine';

function firstWord(slice: StatementSlice): string {
  const text = slice.tokens[0]?.text ?? '';
  return text === '(' ? 'select' : text.toLowerCase();
}

function route(slice: StatementSlice): Route {
  const word = firstWord(slice);
  if (QUERY_WORDS.has(word)) return 'query';
  if (ROW_WORDS.has(word)) return 'rows';
  if (word in NO_OPS) return 'no-op';
  return 'engine';
}

/** An engine statement's result as the wire protocol sends it. */
export function fromEngine(r: StatementResult): PgQueryResult {
  return {
    tag: r.tag,
    rowCount: r.rowCount,
    columns: r.columns,
    rows: r.rows,
    notices: r.notice === undefined ? undefined : [r.notice],
  };
}

function only(sql: string): StatementSlice | undefined {
  const slices = splitScript(sql);
  const second = slices[1];
  if (second !== undefined)
    throw new SqlError(
      SqlState.syntaxError,
      'cannot insert multiple commands into a prepared statement',
      second.offset + 1,
    );
  return slices[0];
}

class TidewatchSession implements PgSession {
  readonly #deps: PgBackendDeps;
  readonly #adHoc: AdHocSession;
  readonly #cursors: Cursors;
  readonly #settings: SessionSettings;
  readonly #results: ResultCache;

  constructor(
    deps: PgBackendDeps,
    adHoc: AdHocSession,
    cursors: Cursors,
    settings: SessionSettings,
    results: ResultCache,
  ) {
    this.#deps = deps;
    this.#adHoc = adHoc;
    this.#cursors = cursors;
    this.#settings = settings;
    this.#results = results;
  }

  async *simpleQuery(sql: string): AsyncIterable<PgQueryResult> {
    const bulk = readInsertValues(sql);
    const inserted = bulk === undefined ? undefined : await this.#deps.insertValues(bulk);
    if (inserted !== undefined) {
      if (this.#settings.implicitFlush) await this.#deps.flush();
      yield fromEngine(inserted);
      return;
    }
    for (const slice of splitScript(sql)) {
      const cursorStatement = parseCursorStatement({ script: sql, tokens: slice.tokens });
      if (cursorStatement !== undefined) {
        yield await this.#cursor(cursorStatement, [], []);
        continue;
      }
      const copy = copyCommand(sql, slice.tokens);
      if (copy !== undefined) {
        yield await this.#copy(copy, slice.offset);
        continue;
      }
      try {
        yield* await this.#run(slice, [], []);
      } catch (e) {
        throw shiftedBy(e, slice.offset);
      }
    }
  }

  async describe(sql: string, paramTypes: readonly (SqlType | undefined)[]): Promise<PgStatementInfo> {
    const slice = only(sql);
    if (slice === undefined) return { paramTypes: [], columns: undefined, empty: true };
    const cursorStatement = parseCursorStatement({ script: sql, tokens: slice.tokens });
    switch (cursorStatement?.kind) {
      case undefined:
        break;
      case 'Fetch':
        return { paramTypes: [], columns: this.#cursors.fetchColumns(cursorStatement.cursor) };
      case 'DeclareQueryCursor': {
        const d = await this.#adHoc
          .describe(cursorStatement.query)
          .catch((e: unknown) => Promise.reject(shiftedBy(e, cursorStatement.queryOffset)));
        return { paramTypes: d.paramTypes.map((t, i) => paramTypes[i] ?? t), columns: undefined };
      }
      default:
        return { paramTypes: [], columns: undefined };
    }
    // COPY: checked when it runs; PostgreSQL describes it as returning no rows.
    if (firstWord(slice) === 'copy') return { paramTypes: [], columns: undefined };
    switch (route(slice)) {
      case 'query': {
        const d = await this.#adHoc.describe(slice.text);
        return { paramTypes: d.paramTypes.map((t, i) => paramTypes[i] ?? t), columns: d.columns };
      }
      case 'rows': {
        const types = this.#engineParams(slice, paramTypes);
        const own = this.#setting(slice, false);
        const [r] = own === undefined ? await this.#deps.execute(slice.text) : [own];
        return { paramTypes: types, columns: r?.columns };
      }
      case 'engine':
        return { paramTypes: this.#engineParams(slice, paramTypes), columns: undefined };
      case 'no-op':
        return { paramTypes: [], columns: undefined };
    }
  }

  /** The parameter types of an engine statement: none unless it has a `$n` or the client declared some. */
  #engineParams(slice: StatementSlice, declared: readonly (SqlType | undefined)[]): readonly SqlType[] {
    if (declared.length === 0 && !slice.tokens.some((t) => t.kind === 'param')) return [];
    return this.#deps.describeParams(slice.text, declared);
  }

  async execute(
    sql: string,
    params: readonly Value[],
    paramTypes: readonly SqlType[],
  ): Promise<PgQueryResult> {
    const slice = only(sql);
    if (slice === undefined) return { tag: '' };
    const cursorStatement = parseCursorStatement({ script: sql, tokens: slice.tokens });
    if (cursorStatement !== undefined) return this.#cursor(cursorStatement, params, paramTypes);
    const copy = copyCommand(sql, slice.tokens);
    if (copy !== undefined) return this.#copy(copy, slice.offset);
    const [result] = await this.#run(slice, params, paramTypes);
    return result ?? { tag: '' };
  }

  /** COPY … TO STDOUT: the query's rows, sent as COPY data; COPY … FROM STDIN: the client's rows into a table. */
  async #copy(copy: CopyCommand, offset: number): Promise<PgQueryResult> {
    if (copy.kind === 'CopyFrom')
      return copyFrom(copy, {
        ...this.#deps,
        insertRows: async (table, rows) => {
          const n = await this.#deps.insertRows(table, rows);
          if (this.#settings.implicitFlush) await this.#deps.flush();
          return n;
        },
      });
    return this.#copyTo(copy, offset);
  }

  async #copyTo(copy: CopyToCommand, offset: number): Promise<PgQueryResult> {
    try {
      const out = await this.#adHoc.query(copy.query);
      return { tag: 'COPY', columns: out.columns, rows: out.rows, copyOut: copy.copyOut };
    } catch (e) {
      if (copy.queryOffset !== undefined) throw shiftedBy(e, copy.queryOffset);
      // A made-up query (`COPY table`) has no place in the text: point at the statement.
      throw e instanceof SqlError
        ? new SqlError(e.sqlstate, e.message, offset + 1, { detail: e.detail, hint: e.hint })
        : e;
    }
  }

  async #cursor(
    s: CursorStatement,
    params: readonly Value[],
    types: readonly SqlType[],
  ): Promise<PgQueryResult> {
    try {
      return await this.#cursors.run(s, params, types);
    } catch (e) {
      throw s.kind === 'DeclareQueryCursor' ? shiftedBy(e, s.queryOffset) : e;
    }
  }

  /**
   * SET, RESET and SHOW of the session's parameters; undefined for any other statement.
   * Without `apply`, a SET changes nothing (Describe).
   */
  #setting(slice: StatementSlice, apply: boolean): PgQueryResult | undefined {
    const word = firstWord(slice);
    const second = slice.tokens[1]?.upper;
    if (word === 'alter' && second === 'SYSTEM') return this.#alterSystem(slice, apply);
    if (word === 'show' && second === 'PARAMETERS' && slice.tokens.length === 2) return this.#parameters();
    if (word !== 'set' && word !== 'reset' && word !== 'show') return undefined;
    if (word === 'reset' && slice.tokens[1]?.upper === 'ALL' && slice.tokens.length === 2)
      return apply ? this.#settings.resetAll() : { tag: 'RESET' };
    const s = parseStatement(slice.text);
    if (s.kind === 'SetVariable')
      return apply
        ? this.#settings.set(s.name, s.reset || s.values.length === 0 ? undefined : s.values.join(', '))
        : { tag: 'SET_VARIABLE' };
    if (s.kind === 'ShowVariable') return this.#settings.show(s.name);
    return undefined;
  }

  /** `ALTER SYSTEM SET name { = | TO } value | DEFAULT`, and `ALTER SYSTEM RESET name`. */
  #alterSystem(slice: StatementSlice, apply: boolean): PgQueryResult {
    const t = slice.tokens;
    const verb = t[2]?.upper;
    const name = t[3];
    const syntax = () =>
      new SqlError(
        SqlState.syntaxError,
        'expected ALTER SYSTEM SET name = value | DEFAULT, or ALTER SYSTEM RESET name',
        (t[0]?.start ?? 0) + 1,
      );
    if (name === undefined || (name.kind !== 'ident' && name.kind !== 'keyword')) throw syntax();
    let value: string | undefined;
    if (verb === 'RESET' && t.length === 4) value = undefined;
    else if (verb === 'SET' && (t[4]?.text === '=' || t[4]?.upper === 'TO') && t.length === 6) {
      const v = t[5] as Token;
      if (v.upper === 'DEFAULT') value = undefined;
      else if (v.kind === 'number') value = v.text;
      else if (v.kind === 'string') value = stringValue(v);
      else throw syntax();
    } else throw syntax();
    if (this.#deps.system === undefined)
      throw new SqlError(SqlState.featureNotSupported, 'this server has no system parameters to change');
    if (apply) this.#deps.system.set(identName(name), value);
    return { tag: 'ALTER_SYSTEM' };
  }

  /** `SHOW PARAMETERS`: the system parameters, as RisingWave lists them. */
  #parameters(): PgQueryResult {
    const parameters = this.#deps.system?.list() ?? [];
    return {
      tag: 'SHOW',
      columns: [
        { name: 'Name', type: T.varchar },
        { name: 'Value', type: T.varchar },
        { name: 'Description', type: T.varchar },
        { name: 'Mutable', type: T.boolean },
      ],
      rows: parameters.map((p) => [p.name, p.value, p.description, p.mutable]),
    };
  }

  async #run(
    slice: StatementSlice,
    params: readonly Value[],
    types: readonly SqlType[],
  ): Promise<PgQueryResult[]> {
    const how = route(slice);
    if (how === 'query') {
      const key = ResultCache.cacheable(slice.text)
        ? this.#results.key(slice.text, params, types)
        : undefined;
      const hit = key === undefined ? undefined : this.#results.get(key);
      if (hit !== undefined) return [{ tag: 'SELECT', columns: hit.columns, rows: hit.rows }];
      const out = await this.#adHoc.query(slice.text, params, types);
      if (key !== undefined) this.#results.set(key, out);
      return [{ tag: 'SELECT', columns: out.columns, rows: out.rows }];
    }
    if (how === 'no-op') {
      // DISCARD ALL (what connection pools send between clients) resets the session's settings.
      if (firstWord(slice) === 'discard' && slice.tokens[1]?.upper === 'ALL')
        return [{ ...this.#settings.resetAll(), tag: 'DISCARD ALL' }];
      return [{ tag: NO_OPS[firstWord(slice)] as string }];
    }
    const own = this.#setting(slice, true);
    if (own !== undefined) return [own];
    const statement = sliceScript(slice);
    const results = await this.#deps.execute(statement.text, { values: params, types }, statement.tokens);
    if (this.#settings.implicitFlush && results.some((r) => DML_TAGS.has(r.tag))) await this.#deps.flush();
    return results.filter((r) => r.tag !== '' || r.notice).map(fromEngine);
  }

  cursorColumns(name: string): readonly PgColumn[] | undefined {
    return this.#cursors.columnsOf(name);
  }

  cancel(): void {
    this.#adHoc.interrupt();
    this.#cursors.cancel();
  }

  statementTimeoutMs(): number {
    return this.#settings.statementTimeoutMs;
  }

  close(): void {
    this.#adHoc.close();
    this.#cursors.close();
  }
}

/** A store session made ready before a client asks for it. */
interface Prepared {
  readonly adHoc: AdHocSession;
  readonly settings: SessionSettings;
}

/** The store's table of input units sources could not read, queried like a source's raw events. */
const DEAD_LETTERS_RELATION = {
  name: DEAD_LETTERS,
  kind: 'source' as const,
  columns: DEAD_LETTER_COLUMNS,
  definition: `-- input units sources could not read as records, with why (kept by tidewatch)`,
  unique: false,
};

/** What the store's queries know of an engine relation. */
function storedRelation(r: RelationInfo): StoredRelation {
  return {
    name: r.name,
    kind: r.kind,
    columns: r.columns,
    definition: r.definition,
    unique: r.key !== undefined,
    ...(r.source === undefined
      ? {}
      : {
          source: {
            options: Object.fromEntries(r.source.options),
            ...(r.source.format === undefined
              ? {}
              : {
                  format: {
                    format: r.source.format.format,
                    encode: r.source.format.encode,
                    options: Object.fromEntries(r.source.format.options),
                  },
                }),
          },
        }),
  };
}

/** Store sessions kept ready: opening one (its settings table and functions) takes 10–20 ms. */
const SPARE_SESSIONS = 2;

export class TidewatchPgBackend implements PgBackend {
  readonly #deps: PgBackendDeps;
  readonly #commits: CommitSignal;
  readonly #results: ResultCache;
  readonly #spare: Promise<Prepared>[] = [];
  /** The catalog tables all sessions share. */
  readonly #catalog = new SharedCatalog();
  /** The engine's relations as the store's queries know them, made again when the engine's list changes. */
  #stored: { readonly of: readonly RelationInfo[]; readonly list: readonly StoredRelation[] } | undefined;
  #closed = false;

  constructor(deps: PgBackendDeps) {
    this.#deps = deps;
    this.#commits = new CommitSignal(deps.subscriptions);
    this.#results = new ResultCache(deps.storeVersion);
  }

  async open(startup: PgStartup): Promise<PgSession> {
    if (this.#closed) throw new SqlError('57P01', 'the server is shutting down');
    const next = this.#spare.shift() ?? this.#prepare();
    while (this.#spare.length < SPARE_SESSIONS) {
      const spare = this.#prepare();
      spare.catch(() => undefined); // a failure reaches the client that takes it
      this.#spare.push(spare);
    }
    const { adHoc, settings } = await next;
    for (const [name, value] of Object.entries(startup.options))
      if (name === 'application_name' || name === 'DateStyle' || name === 'TimeZone')
        settings.set(name, value);
    const cursors = new Cursors(
      this.#deps.subscriptions,
      this.#commits,
      this.#deps.connectReader,
      (sql, p, t) => adHoc.query(sql, p, t),
    );
    return new TidewatchSession(this.#deps, adHoc, cursors, settings, this.#results);
  }

  /**
   * A store session that runs queries only (SELECT, WITH, VALUES, TABLE: anything else is
   * refused by the parser with 0A000), for the dashboard; the caller closes it.
   */
  async readOnlySession(): Promise<AdHocSession> {
    return (await this.#prepare()).adHoc;
  }

  /** Closes the sessions kept ready; sessions given out are closed by their clients' ends. */
  async close(): Promise<void> {
    this.#closed = true;
    const spare = this.#spare.splice(0);
    for (const s of await Promise.allSettled(spare)) if (s.status === 'fulfilled') s.value.adHoc.close();
  }

  #storedRelations(): readonly StoredRelation[] {
    const of = this.#deps.relations();
    if (this.#stored?.of !== of)
      this.#stored = { of, list: [...of.map(storedRelation), DEAD_LETTERS_RELATION] };
    return this.#stored.list;
  }

  async #prepare(): Promise<Prepared> {
    const conn = await this.#deps.connectReader();
    const settings = new SessionSettings(this.#deps.settingDefaults);
    const adHoc = await AdHocSession.open(
      conn,
      this.#catalog,
      () => this.#storedRelations(),
      (name) => settings.get(name),
      { ingestion: this.#deps.ingestion, sinks: this.#deps.sinks, views: this.#deps.views },
    );
    return { adHoc, settings };
  }
}
