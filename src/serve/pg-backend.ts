/**
 * What the PostgreSQL endpoint runs: each client session's statements, routed by kind.
 * Queries (SELECT, WITH, VALUES, TABLE) run in the DuckDB store on the session's own reader
 * connection, which sees committed epochs only (store/query); subscriptions and their
 * cursors follow the store's change logs (cursors.ts); COPY TO STDOUT is a query, COPY FROM
 * STDIN hands the rows it reads to a table at once (copy-from.ts); everything else — DDL,
 * DML, FLUSH, SET/SHOW, DESCRIBE, EXPLAIN, transaction verbs — goes to the engine.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { AccessCatalog } from '../auth/access-catalog.ts';
import { describeDdl, isDdl, type Refusal, type StatementAudit } from '../auth/audit-source.ts';
import { DASHBOARD_USER } from '../auth/built-in-users.ts';
import { changeOwner, type OwnedObject } from '../auth/change-owner.ts';
import { describeAccessStatement } from '../auth/describe-access-statement.ts';
import { mustBeOwner } from '../auth/permission-denied.ts';
import { type GrantableRelation, runAccessStatement } from '../auth/run-access-statement.ts';
import { createdObject, SessionPrivileges } from '../auth/session-privileges.ts';
import { refuseSystemChange } from '../auth/system-relations.ts';
import type { RelationInfo, StatementResult, WrittenAs } from '../engine/engine.ts';
import type { SystemParameter } from '../runtime/system-parameters.ts';
import { type AccessStatement, parseAccessStatement } from '../sql/access-statements.ts';
import { type AlterOwner, parseAlterOwner } from '../sql/alter-statements.ts';
import type { CopyFromCommand } from '../sql/copy-statement.ts';
import { type CopyCommand, type CopyToCommand, copyCommand } from '../sql/copy-statement.ts';
import { type CursorStatement, parseCursorStatement } from '../sql/cursor-statements.ts';
import { SqlError, SqlState, shiftedBy } from '../sql/errors.ts';
import { readInsertTable } from '../sql/insert-values.ts';
import type { BindParams } from '../sql/params.ts';
import { parseStatement, type StatementSlice, sliceScript, splitScript } from '../sql/parse.ts';
import { redactDefinition, redactOptions } from '../sql/secret-options.ts';
import type { Statement } from '../sql/statement.ts';
import { identName, stringValue, type Token } from '../sql/tokens.ts';
import { type SqlType, T, type Value } from '../sql/types.ts';
import {
  AdHocSession,
  type CatalogAccess,
  type CatalogSink,
  type SourceIngestion,
  type StoredRelation,
  type ViewRuntime,
} from '../store/query/ad-hoc-session.ts';
import { SharedCatalog } from '../store/query/catalog-tables.ts';
import { DATABASE } from '../store/query/stored-relation.ts';
import {
  ATTACK_LABEL_COLUMNS,
  ATTACK_LABELS,
  DEAD_LETTER_COLUMNS,
  DEAD_LETTERS,
} from '../store/view-store.ts';
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
   * Runs a bulk-load INSERT read without the parser (`readInsertRows` of `text`), durably as
   * `execute` does; undefined when it needs the general path (`execute` of its text).
   */
  readonly insertValues: (text: string) => Promise<StatementResult | undefined>;
  /** Ends the epoch and resolves once it is committed (RW_IMPLICIT_FLUSH after DML). */
  readonly flush: () => Promise<void>;
  /** The types of an engine statement's parameters: those declared, else inferred (Engine.describeParams). */
  readonly describeParams: (
    sql: string,
    declared: readonly (SqlType | undefined)[],
  ) => readonly SqlType[] | Promise<readonly SqlType[]>;
  /** A new DuckDB connection to the store. */
  readonly connectReader: () => Promise<DuckDBConnection>;
  /** The engine's sources, tables and views: the same list until they change. */
  readonly relations: () => readonly RelationInfo[];
  /**
   * Inserts typed rows into a table as INSERT does (COPY FROM): full rows, values in the
   * table's column order; resolves with their number once they are durable.
   */
  readonly insertRows: (table: string, rows: readonly Row[], writtenAs?: WrittenAs) => Promise<number>;
  /**
   * Reads a COPY's data where the engine is, as it arrives (CopyFromDeps.readElsewhere);
   * without it, the data is read here and its rows handed to `insertRows`.
   */
  readonly copyRows?: (copy: CopyFromCommand, data: AsyncIterable<Buffer>) => Promise<number>;
  /** Subscriptions and the change logs they follow. */
  readonly subscriptions: SubscriptionStore;
  /** Users and grants, and how a change of them is made durable (without: root alone, in memory). */
  readonly access?: PgAccess;
  /**
   * Told of every DDL statement and every CREATE/ALTER/DROP USER, GRANT and REVOKE a client ran
   * or had refused, for the audit trail.
   */
  readonly onAudit?: (event: StatementAudit) => void;
  /** The server's defaults of session settings (`statement_timeout` from --statement-timeout…). */
  readonly settingDefaults?: Readonly<Record<string, string>>;
  /** A number that changes whenever the store may have changed (`ViewStore.version`). */
  readonly storeVersion: () => number;
  /** How each source's ingestion is doing now (rw_kafka_source_metrics, tidewatch_source_ingestion). */
  readonly ingestion: () => readonly SourceIngestion[] | Promise<readonly SourceIngestion[]>;
  /** The sinks and how their delivery is doing now (rw_sinks, tidewatch_sinks). */
  readonly sinks?: () => readonly CatalogSink[];
  /** The materialized views' expression errors now (tidewatch_view_errors). */
  readonly views?: () => readonly ViewRuntime[] | Promise<readonly ViewRuntime[]>;
  /** RisingWave's system parameters: `SHOW PARAMETERS`, `ALTER SYSTEM SET`. */
  readonly system?: {
    list(): readonly SystemParameter[];
    set(name: string, value: string | undefined): void;
  };
}

/** The users and grants a backend checks sessions against. */
export interface PgAccess {
  readonly catalog: AccessCatalog;
  /** Runs a change and resolves once it is durable. */
  change<T>(edit: (catalog: AccessCatalog) => T): Promise<T>;
}

/** Users and grants kept in memory only, for a backend without a data directory. */
function memoryAccess(): PgAccess {
  const catalog = new AccessCatalog();
  return { catalog, change: async (edit) => edit(catalog) };
}

const QUERY_WORDS = new Set(['select', 'with', 'values', 'table']);
/** Statements RW_IMPLICIT_FLUSH makes wait for their epoch's commit. */
const DML_TAGS = new Set(['INSERT', 'UPDATE', 'DELETE']);
/** Engine statements that return rows: Describe learns their columns by running them. */
const ROW_WORDS = new Set(['show', 'describe', 'explain']);
/** Session verbs PostgreSQL clients send that change nothing here. */
const NO_OPS: Readonly<Record<string, string>> = { discard: 'DISCARD ALL', deallocate: 'DEALLOCATE' };

/** A statement's own text and tokens (sliceScript). */
type ScriptStatement = ReturnType<typeof sliceScript>;

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

/** Who a session is and what it may do. */
interface SessionIdentity {
  readonly privileges: SessionPrivileges;
  readonly address: string;
  readonly access: PgAccess;
  /** The relations privileges can be granted on now. */
  readonly grantable: () => readonly GrantableRelation[];
}

class TidewatchSession implements PgSession {
  readonly #deps: PgBackendDeps;
  readonly #adHoc: AdHocSession;
  readonly #cursors: Cursors;
  readonly #settings: SessionSettings;
  readonly #results: ResultCache;
  readonly #identity: SessionIdentity;

  constructor(
    deps: PgBackendDeps,
    adHoc: AdHocSession,
    cursors: Cursors,
    settings: SessionSettings,
    results: ResultCache,
    identity: SessionIdentity,
  ) {
    this.#deps = deps;
    this.#adHoc = adHoc;
    this.#cursors = cursors;
    this.#settings = settings;
    this.#results = results;
    this.#identity = identity;
  }

  get #privileges(): SessionPrivileges {
    return this.#identity.privileges;
  }

  async *simpleQuery(sql: string): AsyncIterable<PgQueryResult> {
    // Only its table is read here, for the privilege: the rows are read where they are converted.
    const bulkInto = readInsertTable(sql);
    if (bulkInto !== undefined) this.#privileges.require(bulkInto, 'INSERT');
    const inserted = bulkInto === undefined ? undefined : await this.#deps.insertValues(sql);
    if (inserted !== undefined) {
      if (this.#settings.implicitFlush) await this.#deps.flush();
      yield fromEngine(inserted);
      return;
    }
    for (const slice of splitScript(sql)) {
      const access = parseAccessStatement({ script: sql, tokens: slice.tokens });
      if (access !== undefined) {
        yield await this.#access(access);
        continue;
      }
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
    if (parseAccessStatement({ script: sql, tokens: slice.tokens }) !== undefined)
      return { paramTypes: [], columns: undefined };
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
        const types = await this.#engineParams(slice, paramTypes);
        const own = this.#setting(slice, false);
        const [r] = own === undefined ? await this.#deps.execute(slice.text) : [own];
        return { paramTypes: types, columns: r?.columns };
      }
      case 'engine':
        return { paramTypes: await this.#engineParams(slice, paramTypes), columns: undefined };
      case 'no-op':
        return { paramTypes: [], columns: undefined };
    }
  }

  /** The parameter types of an engine statement: none unless it has a `$n` or the client declared some. */
  async #engineParams(
    slice: StatementSlice,
    declared: readonly (SqlType | undefined)[],
  ): Promise<readonly SqlType[]> {
    if (declared.length === 0 && !slice.tokens.some((t) => t.kind === 'param')) return [];
    return await this.#deps.describeParams(slice.text, declared);
  }

  async execute(
    sql: string,
    params: readonly Value[],
    paramTypes: readonly SqlType[],
  ): Promise<PgQueryResult> {
    const slice = only(sql);
    if (slice === undefined) return { tag: '' };
    const access = parseAccessStatement({ script: sql, tokens: slice.tokens });
    if (access !== undefined) return this.#access(access);
    const cursorStatement = parseCursorStatement({ script: sql, tokens: slice.tokens });
    if (cursorStatement !== undefined) return this.#cursor(cursorStatement, params, paramTypes);
    const copy = copyCommand(sql, slice.tokens);
    if (copy !== undefined) return this.#copy(copy, slice.offset);
    const [result] = await this.#run(slice, params, paramTypes);
    return result ?? { tag: '' };
  }

  /** COPY … TO STDOUT: the query's rows, sent as COPY data; COPY … FROM STDIN: the client's rows into a table. */
  async #copy(copy: CopyCommand, offset: number): Promise<PgQueryResult> {
    if (copy.kind === 'CopyFrom') this.#privileges.require(copy.table, 'INSERT');
    if (copy.kind === 'CopyFrom') {
      const flushed = async (n: number) => {
        if (this.#settings.implicitFlush) await this.#deps.flush();
        return n;
      };
      const elsewhere = this.#deps.copyRows;
      return copyFrom(copy, {
        ...this.#deps,
        insertRows: async (table, rows, writtenAs) =>
          flushed(await this.#deps.insertRows(table, rows, writtenAs)),
        ...(elsewhere === undefined
          ? {}
          : { readElsewhere: async (c, data) => flushed(await elsewhere(c, data)) }),
      });
    }
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
    this.#checkCursor(s);
    try {
      return await this.#cursors.run(s, params, types);
    } catch (e) {
      throw s.kind === 'DeclareQueryCursor' ? shiftedBy(e, s.queryOffset) : e;
    }
  }

  /** Subscriptions and their cursors read their relation: SELECT on it; dropping one is a superuser's. */
  #checkCursor(s: CursorStatement): void {
    const p = this.#privileges;
    switch (s.kind) {
      case 'CreateSubscription':
        p.require(s.from, 'SELECT');
        return;
      case 'DropSubscription':
        if (!p.superuser) throw mustBeOwner('subscription', s.name);
        return;
      case 'DeclareCursor': {
        const view = this.#deps.subscriptions.subscription(s.subscription)?.view;
        if (view !== undefined) p.require(view, 'SELECT');
        return;
      }
      default:
        return;
    }
  }

  /** CREATE/ALTER/DROP USER, GRANT, REVOKE: run as the session's user, durable when answered, audited. */
  async #access(s: AccessStatement): Promise<PgQueryResult> {
    const { access, address, privileges, grantable } = this.#identity;
    const audit = (refused?: Refusal) =>
      this.#deps.onAudit?.({
        kind: 'access',
        user: privileges.user,
        address,
        statement: describeAccessStatement(s),
        ...(refused === undefined ? {} : { refused }),
      });
    try {
      const result = await access.change((catalog) =>
        runAccessStatement(catalog, s, privileges.user, grantable()),
      );
      audit();
      return { tag: result.tag, notices: result.notices };
    } catch (e) {
      if (e instanceof SqlError) audit({ sqlstate: e.sqlstate, message: e.message });
      throw e;
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
    if (apply) {
      this.#privileges.requireSetParameter(identName(name));
      this.#deps.system.set(identName(name), value);
    }
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
      // An answer kept for another session is given only to a session that may read it too.
      if (!this.#privileges.superuser) await this.#adHoc.checkReads(slice.text);
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
    const results = isDdl(statement.tokens)
      ? await this.#ddl(statement, params, types)
      : await this.#engine(statement, params, types);
    if (this.#settings.implicitFlush && results.some((r) => DML_TAGS.has(r.tag))) await this.#deps.flush();
    return results.filter((r) => r.tag !== '' || r.notice).map(fromEngine);
  }

  /** An engine statement, once the session's user may run it. */
  async #engine(
    statement: ScriptStatement,
    params: readonly Value[],
    types: readonly SqlType[],
  ): Promise<StatementResult[]> {
    if (!this.#privileges.superuser) this.#privileges.requireForStatement(parseStatement(statement.text));
    return this.#deps.execute(statement.text, { values: params, types }, statement.tokens);
  }

  /** A DDL statement: a system relation is nobody's to change; run or refused, it is audited. */
  async #ddl(
    statement: ScriptStatement,
    params: readonly Value[],
    types: readonly SqlType[],
  ): Promise<StatementResult[]> {
    const audit = (refused?: Refusal) =>
      this.#deps.onAudit?.({
        kind: 'ddl',
        user: this.#privileges.user,
        address: this.#identity.address,
        statement: describeDdl(statement.tokens),
        ...(refused === undefined ? {} : { refused }),
      });
    try {
      const owner = parseAlterOwner({ script: statement.text, tokens: statement.tokens });
      if (owner !== undefined) {
        const changed = await this.#changeOwner(owner);
        audit();
        return [changed];
      }
      const parsed = parseStatement(statement.text);
      refuseSystemChange(parsed);
      const disown = this.#claimOwnership(parsed);
      const results = await this.#engine(statement, params, types).catch((e: unknown) => {
        disown();
        throw e;
      });
      audit();
      return results;
    } catch (e) {
      if (e instanceof SqlError) audit({ sqlstate: e.sqlstate, message: e.message });
      throw e;
    }
  }

  /** ALTER … OWNER TO: a change of the access catalog, durable when answered. */
  async #changeOwner(s: AlterOwner): Promise<StatementResult> {
    const { access, privileges, grantable } = this.#identity;
    const objects: OwnedObject[] = [
      ...grantable(),
      ...(this.#deps.sinks?.() ?? []).map((k) => ({ name: k.name, kind: 'sink' as const })),
    ];
    const result = await access.change((catalog) => changeOwner(catalog, s, privileges.user, objects));
    return { tag: result.tag, ...(result.notices[0] === undefined ? {} : { notice: result.notices[0] }) };
  }

  /**
   * Records the session's user as the owner of what `s` creates before it runs, so that the
   * owner is committed in the CREATE's own epoch; the function returned gives the name back to
   * whoever had it before when the CREATE fails. Nothing for an object there already.
   */
  #claimOwnership(s: Statement): () => void {
    const object = createdObject(s);
    const exists = (name: string) =>
      this.#deps.relations().some((r) => r.name === name) ||
      (this.#deps.sinks?.() ?? []).some((k) => k.name === name);
    if (object === undefined || exists(object)) return () => undefined;
    const catalog = this.#identity.access.catalog;
    const user = this.#privileges.user;
    const before = catalog.now.ownerId(object);
    const beforeName = catalog.now.users().find((u) => u.id === before)?.name;
    catalog.change((a) => a.setOwner(object, user));
    return () => {
      if (!catalog.now.owns(user, object) || beforeName === undefined) return;
      catalog.change((a) => a.setOwner(object, beforeName));
    };
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

/** The store's table of the generator's attack labels, its ground truth for scoring detections. */
const ATTACK_LABELS_RELATION = {
  name: ATTACK_LABELS,
  kind: 'source' as const,
  columns: ATTACK_LABEL_COLUMNS,
  definition: `-- the generator's attack episodes, each committed with its first event (kept by tidewatch)`,
  unique: false,
};

/** What the store's queries know of an engine relation. */
function storedRelation(r: RelationInfo): StoredRelation {
  return {
    name: r.name,
    kind: r.kind,
    columns: r.columns,
    // What the catalog shows every session: secrets redacted (the engine keeps them).
    definition: r.definition === undefined ? undefined : redactDefinition(r.definition),
    unique: r.key !== undefined,
    rawEvents: r.kind === 'source',
    ...(r.source === undefined
      ? {}
      : {
          source: {
            options: redactOptions(Object.fromEntries(r.source.options)),
            ...(r.source.format === undefined
              ? {}
              : {
                  format: {
                    format: r.source.format.format,
                    encode: r.source.format.encode,
                    options: redactOptions(Object.fromEntries(r.source.format.options)),
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
  readonly #access: PgAccess;
  /** The users and grants as the catalog relations show them, made again when they change. */
  #shown: { readonly version: number; readonly access: CatalogAccess } | undefined;
  #closed = false;

  constructor(deps: PgBackendDeps) {
    this.#deps = deps;
    this.#access = deps.access ?? memoryAccess();
    this.#commits = new CommitSignal(deps.subscriptions);
    this.#results = new ResultCache(deps.storeVersion);
  }

  async open(startup: PgStartup): Promise<PgSession> {
    if (this.#closed) throw new SqlError('57P01', 'the server is shutting down');
    const user = this.#access.catalog.now.user(startup.user);
    if (user === undefined) throw new SqlError('28000', `role "${startup.user}" does not exist`);
    if (!user.login) throw new SqlError('28000', `role "${startup.user}" is not permitted to log in`);
    if (startup.database !== DATABASE)
      throw new SqlError('3D000', `database "${startup.database}" does not exist`);
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
    settings.identify(user.name, user.superuser);
    const privileges = new SessionPrivileges(
      user.name,
      () => this.#access.catalog.now,
      (name) => this.#storedRelations().find((r) => r.name === name)?.kind,
    );
    adHoc.guardReads(
      (relations) => privileges.requireReads(relations),
      () => this.#catalogAccess(),
    );
    const cursors = new Cursors(
      this.#deps.subscriptions,
      this.#commits,
      this.#deps.connectReader,
      (sql, p, t) => adHoc.query(sql, p, t),
    );
    return new TidewatchSession(this.#deps, adHoc, cursors, settings, this.#results, {
      privileges,
      address: startup.address ?? 'unknown',
      access: this.#access,
      grantable: () => this.#storedRelations(),
    });
  }

  /** Whether a session `superuser` opens now is a superuser's (for the startup's is_superuser). */
  isSuperuser(user: string): boolean {
    return this.#access.catalog.now.user(user)?.superuser === true;
  }

  #catalogAccess(): CatalogAccess {
    const catalog = this.#access.catalog;
    if (this.#shown?.version !== catalog.version) {
      const users = catalog.now.users();
      const name = (id: number) => users.find((u) => u.id === id)?.name ?? String(id);
      this.#shown = {
        version: catalog.version,
        access: {
          users: users.map((u) => ({
            id: u.id,
            name: u.name,
            superuser: u.superuser,
            createdb: u.createdb,
            createuser: u.createuser,
            login: u.login,
            hasPassword: u.password !== null,
          })),
          owners: Object.fromEntries(catalog.now.owners()),
          grants: catalog.now.grants().map((g) => ({
            grantee: name(g.userId),
            grantor: name(g.grantorId),
            relation: g.relation,
            privilege: g.privilege,
            grantable: g.grantOption,
          })),
        },
      };
    }
    return this.#shown.access;
  }

  /**
   * A store session that runs queries only (SELECT, WITH, VALUES, TABLE: anything else is
   * refused by the parser with 0A000) and reads every relation, for the dashboard: its user is
   * `dashboard` (built-in-users.ts); the caller closes it.
   */
  async readOnlySession(): Promise<AdHocSession> {
    const { adHoc, settings } = await this.#prepare();
    settings.identify(DASHBOARD_USER, false);
    adHoc.guardReads(
      () => {},
      () => this.#catalogAccess(),
    );
    return adHoc;
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
      this.#stored = { of, list: [...of.map(storedRelation), DEAD_LETTERS_RELATION, ATTACK_LABELS_RELATION] };
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
