/**
 * The streaming SQL engine: statements in (RisingWave's dialect), continuously maintained
 * materialized views out, in process.
 *
 * One `Dataflow` holds every relation: each source and table is one dataflow source (read
 * once, however many views consume it); a table also keeps its content (a `Materialize`
 * hung on its source) so that UPDATE/DELETE can retract rows and new views can backfill;
 * each materialized view is its compiled plan ending in a `Materialize`, whose output feeds
 * the views defined over it.
 *
 * Epochs: input goes into the dataflow as it arrives; every `epochMs` (and on FLUSH, and
 * after each DML when RW_IMPLICIT_FLUSH is on) a barrier ends the epoch. Readers see the
 * committed snapshot of each view — the integral of its per-epoch deltas, updated at the
 * barrier — never a half-applied epoch.
 *
 * Ad-hoc SELECTs run (for now) by compiling their plan into a temporary dataflow fed with
 * the committed snapshot of the relations they read.
 */

import { bindDelete, bindInsert, bindQuery, bindUpdate } from '../sql/binder.ts';
import {
  byName,
  type Catalog,
  type CatalogColumn,
  type CatalogRelation,
  type RelationKind,
} from '../sql/catalog.ts';
import type { CopyFromCommand } from '../sql/copy-statement.ts';
import {
  dependentObjects,
  duplicateObject,
  notSupported,
  SqlError,
  SqlState,
  undefinedTable,
} from '../sql/errors.ts';
import { explainPlan } from '../sql/explain.ts';
import { type InsertLiteral, type InsertValues, readInsertValues } from '../sql/insert-values.ts';
import { int8 } from '../sql/int8.ts';
import { intervalMicros, parseInterval } from '../sql/literals.ts';
import { numericFromInteger, numericFromShortest, parseNumeric } from '../sql/numeric.ts';
import {
  type BindParams,
  boundParamTypes,
  checkParamsAllowed,
  describePlaceholders,
  NO_PARAMS,
  paramUses,
  takesParams,
} from '../sql/params.ts';
import { parseScript, parseStatement } from '../sql/parse.ts';
import {
  type Plan,
  type PlanColumn,
  type SortKey as PlanSortKey,
  type Project,
  planRelations,
} from '../sql/plan.ts';
import { uniqueKey } from '../sql/plan-keys.ts';
import { isReservedName, isSystemRelation } from '../sql/reserved-names.ts';
import type {
  ColumnDef,
  CreateMaterializedView,
  CreateSink,
  CreateSource,
  CreateTable,
  Delete,
  Describe,
  Drop,
  Explain,
  FormatSpec,
  Insert,
  Options,
  Select,
  SetVariable,
  ShowObjects,
  ShowVariable,
  Statement,
  Update,
} from '../sql/statement.ts';
import type { Token } from '../sql/tokens.ts';
import { category, formatType, lookupType, type SqlType, T } from '../sql/types.ts';
import { alignOperators } from '../stream/align-operators.ts';
import { type Chunk, chunk, type WeightedRow } from '../stream/chunk.ts';
import { Dataflow, type StateRecord } from '../stream/graph.ts';
import { confined, type Operator, type OperatorStats } from '../stream/operator.ts';
import { EmitOnWindowClose } from '../stream/operators/emit-on-window-close.ts';
import { Expire } from '../stream/operators/expire.ts';
import { Materialize } from '../stream/operators/materialize.ts';
import { compareRows, compareValues, type Row, rowKey, type Value } from '../stream/value.ts';
import { type CompiledQuery, compilePlan, forgetShared } from './compile-plan.ts';
import { compileExpr, compilePredicate } from './eval/compile.ts';
import { columnTypmod, fromText } from './eval/functions/casts.ts';
import type { EvalOptions } from './eval/functions/registry.ts';
import { EventTime, type EventTimeState, type EventTimeStats } from './event-time.ts';
import { SinkCatalog, type SinkSpec } from './sink-catalog.ts';
import { SOURCE_STATS, sourceStatsRelation, sourceStatsRows } from './system-views.ts';
import { watermarkDelay } from './watermark-delay.ts';

export type { SinkSpec } from './sink-catalog.ts';

export interface EngineOptions {
  /** Epoch length in milliseconds (default 1000). */
  readonly epochMs?: number;
  /** End epochs on a timer (default true); without it only FLUSH / `flush()` ends one. */
  readonly autoEpoch?: boolean;
  /**
   * After this long without input, a source's watermark follows the wall clock so that its
   * last window closes (default 10 000 ms; 0: never).
   */
  readonly idleTimeoutMs?: number;
  /** The wall clock in milliseconds (tests replace it). */
  readonly now?: () => number;
  /**
   * Tables' and views' contents are persisted by the caller from their per-epoch changes
   * (`onStoreCommit`): checkpoints leave them out, and `restore` reads them back through
   * its `load` argument.
   */
  readonly contentsKeptOutside?: boolean;
  /**
   * Operators record what changes between checkpoints, so that `checkpointChanges` can give
   * deltas of their state instead of the whole of it.
   */
  readonly incrementalCheckpoints?: boolean;
  /**
   * What depends on a table or view outside the engine (`subscription s`, one line each):
   * DROP refuses the relation without CASCADE while anything does, as RisingWave does.
   */
  readonly dependentsOutside?: (relation: string) => readonly string[];
  /**
   * Checks a new source's connector, options and format (throws a SqlError naming what is
   * wrong), so that CREATE SOURCE refuses what could never be read. Not run by `restore`.
   */
  readonly checkSource?: (source: SourceSpec) => void;
  /**
   * Checks a new sink's connector, options and format (throws a SqlError naming what is wrong),
   * so that CREATE SINK refuses what could never deliver. Not run by `restore`.
   */
  readonly checkSink?: (sink: SinkSpec) => void;
}

/** A source as its CREATE SOURCE defined it: where its records come from and how to read them. */
export interface SourceSpec {
  readonly name: string;
  readonly options: Options;
  readonly format: FormatSpec | undefined;
  readonly columns: readonly ResultColumn[];
}

export interface ResultColumn {
  readonly name: string;
  readonly type: SqlType;
}

/** What a statement returns: a command tag, and columns + rows for queries. */
export interface StatementResult {
  /** `CREATE_MATERIALIZED_VIEW`, `INSERT`, `SELECT`, `SHOW`, … */
  readonly tag: string;
  /** Rows affected (DML) or returned (queries). */
  readonly rowCount?: number;
  readonly columns?: readonly ResultColumn[];
  readonly rows?: readonly Row[];
  /** E.g. "relation … already exists, skipping". */
  readonly notice?: string;
}

/** See `Engine.checkpoint`. */
export interface EngineCheckpoint {
  readonly kind: 'tidewatch-engine';
  readonly version: 1;
  /** CREATE and DROP statements in order. */
  readonly catalog: readonly string[];
  readonly dataflow: unknown;
  readonly sources: Readonly<Record<string, EventTimeState>>;
}

export interface ViewStats {
  readonly name: string;
  /** Rows in the committed snapshot. */
  readonly rows: number;
  /** Rows skipped because an expression raised a runtime SQL error (22012, …). */
  readonly errors: number;
  readonly lastError: string | undefined;
}

/**
 * One statement's change to a table, as data: what a durable log of DML keeps so that
 * `applyTableWrite` can do it again after a crash. `insert`: rows as INSERT gives them (upsert
 * on the primary key, late rows dropped — both decided again when applied, against the same
 * state); `change`: retractions and insertions as UPDATE and DELETE computed them.
 */
export type TableWrite =
  | {
      readonly kind: 'insert';
      readonly table: string;
      readonly rows: readonly Row[];
      /** How the client sent the rows, when they can be read from it again (a log keeps that instead). */
      readonly writtenAs?: WrittenAs;
    }
  | {
      readonly kind: 'change';
      readonly table: string;
      readonly rows: readonly Row[];
      readonly weights: readonly number[];
    };

/**
 * Rows as their client sent them: a bulk INSERT's statement (`Engine.rowsOfInsertValues` reads
 * it again), a COPY's command and data (as the endpoint's COPY reads them).
 */
export type WrittenAs =
  | { readonly kind: 'insert-values'; readonly text: string }
  | { readonly kind: 'copy'; readonly command: CopyFromCommand; readonly data: readonly Uint8Array[] };

/** A view's changes of one epoch (for the store and live push). */
export type ViewCommitListener = (view: string, delta: Chunk, epoch: number) => void;

type ObjectKind = 'source' | 'table' | 'materialized view';

export interface RelationInfo {
  readonly name: string;
  readonly kind: ObjectKind;
  readonly columns: readonly ResultColumn[];
  /** The statement that created it. */
  readonly definition: string;
  /**
   * Columns its rows are unique on, when known (a table's primary key, a view's group keys):
   * a change log pairs a retraction and an insertion of one key as an update.
   */
  readonly key: readonly number[] | undefined;
  /** An APPEND ONLY table: rows are only ever inserted. */
  readonly appendOnly: boolean;
  /** A source's `WITH (…)` options and `FORMAT … ENCODE …`; undefined for tables and views. */
  readonly source?: { readonly options: Options; readonly format: FormatSpec | undefined };
}

interface Relation extends CatalogRelation {
  readonly objectKind: ObjectKind;
  /** The statement text that created it. */
  readonly definition: string;
  readonly options: Options;
  readonly format: FormatSpec | undefined;
  /** Column indexes of the primary key (tables). */
  readonly primaryKey: readonly number[];
  readonly appendOnly: boolean;
  /** The operator carrying its changes (dataflow source, or the view's Materialize). */
  readonly upstream: Operator;
  /** Dataflow source name (sources and tables). */
  readonly sourceName: string | undefined;
  /** Current content (tables and views), including the open epoch. */
  readonly store: Materialize | undefined;
  /** Reads a pushed record given by column name (sources and tables). */
  readonly fromObject: ObjectReader;
  /** Brings pushed numbers of numeric and bigint columns to their exact form (undefined: none). */
  readonly exactNumbers: ((row: Row) => Row) | undefined;
  /** Rows admitted, late rows and the watermark (sources and tables). */
  readonly eventTime: EventTime | undefined;
  /** Columns that carry a watermark: a source's WATERMARK column, a view's derived ones. */
  readonly watermarkColumns: readonly number[];
  /** Tables with a primary key: pk → current row. */
  readonly pkIndex: Map<string, Row> | undefined;
  readonly dependsOn: ReadonlySet<string>;
  readonly compiled: CompiledQuery | undefined;
  readonly plan: Plan | undefined;
}

const DEFAULT_SESSION: ReadonlyMap<string, string> = new Map([
  ['rw_implicit_flush', 'false'],
  ['timezone', 'UTC'],
  ['application_name', ''],
  ['search_path', '"$user", public'],
  ['server_version', '13.14.0'],
  ['client_encoding', 'UTF8'],
  ['datestyle', 'ISO, MDY'],
  ['streaming_parallelism', 'default'],
]);

/**
 * A view's `retention` in microseconds: `WITH (retention = '7 days')`, or RisingWave's
 * `retention_seconds = 604800`; undefined when not set.
 */
function retentionOf(options: Options): number | undefined {
  const seconds = options.get('retention_seconds');
  const text = options.get('retention');
  if (seconds !== undefined && text !== undefined)
    throw new SqlError(SqlState.syntaxError, 'give retention or retention_seconds, not both');
  if (seconds !== undefined) {
    const n = Number(seconds);
    if (seconds.trim() === '' || !(n > 0))
      throw new SqlError(
        SqlState.invalidParameterValue,
        `retention_seconds must be a positive number, not "${seconds}"`,
      );
    return n * 1_000_000;
  }
  if (text === undefined) return undefined;
  const iv = parseInterval(text);
  const micros = iv === undefined ? undefined : intervalMicros(iv);
  if (micros === undefined || !(micros > 0))
    throw new SqlError(
      SqlState.invalidParameterValue,
      `retention must be a positive interval without months, not "${text}"`,
    );
  return micros;
}

const CATALOG_CHANGES: ReadonlySet<Statement['kind']> = new Set([
  'CreateSource',
  'CreateTable',
  'CreateMaterializedView',
  'CreateSink',
  'Drop',
]);

/** Rows per chunk that `push` sends into the dataflow. */
const CHUNK_ROWS = 1024;

/** Rows `from`…`to` of pushed input as arrays in column order (objects through `fromObject`). */
function toRows(
  input: readonly (Row | Readonly<Record<string, unknown>>)[],
  from: number,
  to: number,
  fromObject: ObjectReader,
): Row[] {
  const out: Row[] = new Array(to - from);
  for (let i = from; i < to; i++) {
    const r = input[i];
    out[i - from] = Array.isArray(r) ? (r as Row) : fromObject(r as Readonly<Record<string, unknown>>);
  }
  return out;
}

/**
 * A pushed row's numeric and bigint values in the engine's representation: JSON numbers of
 * a numeric column become the decimal they print as (12.5 → 12.5), decimal text is read as
 * numeric input; a bigint column's integers beyond ±(2^53 − 1) become bigints. Other values
 * pass (a wrong type fails where it is used, as before).
 */
function exactNumbers(types: readonly SqlType[]): ((row: Row) => Row) | undefined {
  const numerics: number[] = [];
  const bigints: number[] = [];
  types.forEach((t, i) => {
    if (t.name === 'numeric') numerics.push(i);
    else if (t.name === 'int8') bigints.push(i);
  });
  if (numerics.length === 0 && bigints.length === 0) return undefined;
  return (row) => {
    let out: Value[] | undefined;
    const set = (i: number, v: Value) => {
      out ??= [...row];
      out[i] = v;
    };
    for (const i of numerics) {
      const v = row[i];
      if (typeof v === 'number') set(i, numericFromShortest(v));
      else if (typeof v === 'bigint') set(i, numericFromInteger(v));
      else if (typeof v === 'string') set(i, parseNumeric(v));
    }
    for (const i of bigints) {
      const v = row[i];
      if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) set(i, int8(BigInt(v)));
      else if (typeof v === 'bigint') set(i, int8(v));
    }
    return out ?? row;
  };
}

/** Reads a record given by column name into a row (a missing column is NULL). */
type ObjectReader = (o: Readonly<Record<string, unknown>>) => Value[];

/**
 * A reader specialised to the columns: `o => [o["a"] ?? null, o["b"] ?? null, …]`, so each
 * property load sees one name (an inline cache hit) instead of a loop whose `o[name]` sees
 * them all — ~5× faster on the ingest path. Names enter the code only as JSON string literals.
 */
function objectReader(names: readonly string[]): ObjectReader {
  const items = names.map((n) => {
    const key = JSON.stringify(n);
    // "constructor", "toString"…: only the record's own property, not Object.prototype's.
    return n in Object.prototype
      ? `(Object.hasOwn(o, ${key}) ? o[${key}] ?? null : null)`
      : `o[${key}] ?? null`;
  });
  return new Function('o', `return [${items.join(', ')}];`) as ObjectReader;
}

/** Content of a table or view as of the last barrier (nothing for a source). */
function committed(rel: Relation): Iterable<WeightedRow> {
  return rel.store?.entries() ?? [];
}

function normalizeName(name: string): string {
  const n = name.toLowerCase();
  return n.startsWith('public.') ? n.slice(7) : n.startsWith('main.') ? n.slice(5) : n;
}

function parseBool(v: string): boolean | undefined {
  const s = v.trim().toLowerCase();
  if (s === 'true' || s === 'on' || s === 't' || s === '1' || s === 'yes') return true;
  if (s === 'false' || s === 'off' || s === 'f' || s === '0' || s === 'no') return false;
  return undefined;
}

export class Engine implements Catalog {
  readonly #graph = new Dataflow();
  readonly #relations = new Map<string, Relation>();
  readonly #session = new Map<string, string>();
  readonly #listeners: ViewCommitListener[] = [];
  readonly #storeListeners: ViewCommitListener[] = [];
  readonly #contentsOutside: boolean;
  readonly #ddl: string[] = [];
  /** `relations()` as of the catalog history's length it was computed at. */
  #relationInfo: { at: number; list: readonly RelationInfo[] } | undefined;
  readonly #epochListeners: ((epoch: number) => void)[] = [];
  readonly #inputListeners: ((source: string, rows: readonly Row[]) => void)[] = [];
  readonly #writeListeners: ((write: TableWrite) => void)[] = [];
  readonly #dropListeners: ((relation: string) => void)[] = [];
  /** Input arrived since the last barrier: a catalog change ends the epoch first. */
  #inputInEpoch = false;
  /** Stateless operators shared by views over sources (see compile-plan.ts). */
  readonly #shared = new Map<string, Operator>();
  /** How many views use each compiled operator; at 0 it leaves the dataflow. */
  readonly #users = new Map<Operator, number>();
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #idleTimeoutMs: number;
  readonly #now: () => number;
  readonly #dependentsOutside: (relation: string) => readonly string[];
  readonly #checkSource: (source: SourceSpec) => void;
  readonly #checkSink: (sink: SinkSpec) => void;
  readonly #sinks = new SinkCatalog();
  /** `restore` runs the catalog's statements again: what was checked at CREATE is not checked again. */
  #restoring = false;
  /** Table writes reported to the listeners (logged) whose rows have not reached the dataflow yet. */
  readonly #unapplied: { readonly rel: Relation; readonly write: TableWrite }[] = [];
  #uid = 0;
  #epochMs = 0;
  /** Views whose operators started empty at `restore` (see `staleViews`). */
  readonly #stale = new Set<string>();

  constructor(options: EngineOptions = {}) {
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 10_000;
    this.#contentsOutside = options.contentsKeptOutside === true;
    this.#now = options.now ?? Date.now;
    this.#dependentsOutside = options.dependentsOutside ?? (() => []);
    this.#checkSource = options.checkSource ?? (() => {});
    this.#checkSink = options.checkSink ?? (() => {});
    if (options.incrementalCheckpoints === true) this.#graph.trackStateChanges();
    if (options.autoEpoch !== false) this.setEpochMs(options.epochMs ?? 1000);
  }

  /** Ends an epoch every `ms` from now on (0: only on FLUSH); the epoch under way ends on the new beat. */
  setEpochMs(ms: number): void {
    this.#epochMs = ms;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    if (ms > 0) {
      this.#timer = setInterval(() => this.flush(), ms);
      this.#timer.unref?.();
    }
  }

  /** Stops the epoch timer. */
  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
  }

  /** Number of the last completed epoch. */
  get epoch(): number {
    return this.#graph.epoch;
  }

  // --- Catalog -----------------------------------------------------------------------

  getRelation(name: string): CatalogRelation | undefined {
    const n = normalizeName(name);
    return this.#relations.get(n) ?? (n === SOURCE_STATS ? sourceStatsRelation : undefined);
  }

  /** Rows of a system view, computed now; undefined for any other name. */
  #systemRows(name: string): Row[] | undefined {
    return normalizeName(name) === SOURCE_STATS ? sourceStatsRows(this.sourceStats()) : undefined;
  }

  #rel(name: string): Relation | undefined {
    return this.#relations.get(normalizeName(name));
  }

  /** Names of the relations of a kind, sorted. */
  list(kind?: ObjectKind): string[] {
    return [...this.#relations.values()]
      .filter((r) => kind === undefined || r.objectKind === kind)
      .map((r) => r.name)
      .sort();
  }

  /** Every source, table and view, sorted by name: kind, typed columns, the statement that created it. */
  relations(): readonly RelationInfo[] {
    // Asked at every query of the PostgreSQL endpoint; it changes only with the catalog.
    if (this.#relationInfo?.at === this.#ddl.length) return this.#relationInfo.list;
    const keys = new Map<string, readonly number[] | undefined>();
    const keyOf = (name: string): readonly number[] | undefined => {
      if (keys.has(name)) return keys.get(name);
      const r = this.#rel(name);
      const key =
        r?.plan !== undefined
          ? uniqueKey(r.plan, keyOf)
          : r !== undefined && r.primaryKey.length > 0
            ? [...r.primaryKey]
            : undefined;
      keys.set(name, key);
      return key;
    };
    const list = this.list().map((name) => {
      const r = this.#rel(name) as Relation;
      return {
        name: r.name,
        kind: r.objectKind,
        columns: r.columns.map((c) => ({ name: c.name, type: c.type })),
        definition: r.definition,
        key: keyOf(r.name),
        appendOnly: r.appendOnly,
        ...(r.objectKind === 'source' ? { source: { options: r.options, format: r.format } } : {}),
      };
    });
    this.#relationInfo = { at: this.#ddl.length, list };
    return list;
  }

  // --- input and epochs --------------------------------------------------------------

  /**
   * Feeds rows into a source or table (tables: upsert on the primary key). Rows are arrays
   * in column order or objects keyed by column name; timestamps in microseconds. `split` names
   * the part of a source they come from when its parts are read at their own paces (a Kafka
   * partition, a file): the source's watermark then follows the slowest part.
   */
  push(relation: string, rows: readonly (Row | Readonly<Record<string, unknown>>)[], split?: string): void {
    this.applyDeferred();
    const rel = this.#rel(relation);
    if (rel === undefined) throw undefinedTable(relation);
    if (rel.objectKind === 'materialized view')
      throw new SqlError(SqlState.wrongObjectType, `cannot insert into materialized view "${rel.name}"`);
    if (rows.length > 0) this.#inputInEpoch = true;
    // Small chunks keep each chunk's rows short-lived: they die in the young generation
    // instead of being promoted while a long chunk is still flowing through every view.
    for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
      let asRows = toRows(rows, start, Math.min(rows.length, start + CHUNK_ROWS), rel.fromObject);
      if (rel.exactNumbers !== undefined) asRows = asRows.map(rel.exactNumbers);
      if (rel.objectKind === 'table') this.#insertRows(rel, asRows);
      else {
        for (const l of this.#inputListeners) l(rel.name, asRows);
        this.#graph.push(rel.sourceName as string, this.#admit(rel, asRows, split));
      }
    }
  }

  /** A split of a source (see `push`) has ended: its pace no longer holds the watermark back. */
  endSplit(source: string, split: string): void {
    this.#rel(source)?.eventTime?.endSplit(split);
  }

  /** Ends the current epoch: everything pushed so far becomes visible in every view. */
  flush(): number {
    this.applyDeferred();
    const now = this.#now();
    for (const rel of this.#relations.values()) {
      const column = rel.eventTime?.column;
      if (column === undefined) continue;
      const wm = rel.eventTime?.advance(now, this.#idleTimeoutMs);
      if (wm !== undefined) this.#graph.watermark(rel.sourceName as string, column, wm);
    }
    const epoch = this.#graph.barrier(now * 1000);
    this.#inputInEpoch = false;
    for (const l of this.#epochListeners) l(epoch);
    return epoch;
  }

  /**
   * Called right after each epoch ends, before anything else runs: the moment to make it
   * durable (`checkpoint()`), so that no reader sees an epoch a crash could take back.
   */
  onEpoch(listener: (epoch: number) => void): void {
    this.#epochListeners.push(listener);
  }

  /** Called with each table, source, view or sink a DROP removes (CASCADE's dependents included), as it goes. */
  onRelationDropped(listener: (relation: string) => void): void {
    this.#dropListeners.push(listener);
  }

  /**
   * The engine's whole state as plain data (`v8.serialize`-able), taken between epochs: the
   * catalog history, every operator's state and every source's event-time progress.
   * `Engine.restore` on a fresh engine continues exactly from it.
   */
  checkpoint(): EngineCheckpoint {
    this.applyDeferred();
    return this.#checkpointWith(this.#graph.snapshot());
  }

  /**
   * `checkpoint()` whose operators' states are left out, and apart from it a record of each
   * operator's state that changed since the previous call: whole where `whole(operator)` says
   * so, else a delta where the operator keeps one (see `Dataflow.changes`). `restore` takes
   * the checkpoint with, per operator, its last whole state and the deltas since.
   */
  checkpointChanges(whole: (operator: number) => boolean): {
    checkpoint: EngineCheckpoint;
    records: StateRecord[];
  } {
    this.applyDeferred();
    const { snapshot, records } = this.#graph.changes(whole);
    return { checkpoint: this.#checkpointWith(snapshot), records };
  }

  #checkpointWith(dataflow: unknown[]): EngineCheckpoint {
    const sources: Record<string, EventTimeState> = {};
    for (const r of this.#relations.values())
      if (r.eventTime !== undefined) sources[r.name] = r.eventTime.snapshot();
    return { kind: 'tidewatch-engine', version: 1, catalog: [...this.#ddl], dataflow, sources };
  }

  /**
   * Continues from `checkpoint()` of another engine; this engine must be new (no statements
   * run). With `contentsKeptOutside`, `load` gives each table's and view's rows back.
   */
  async restore(
    cp: EngineCheckpoint,
    load?: (relation: string) => Promise<readonly Row[]>,
    stateRecords?: ReadonlyMap<number, readonly StateRecord[]>,
  ): Promise<void> {
    if (cp?.kind !== 'tidewatch-engine' || cp.version !== 1)
      throw new Error('restore: not a tidewatch engine checkpoint of version 1');
    if (this.#ddl.length > 0 || this.#relations.size > 0)
      throw new Error('restore: the engine must be new (it already has relations)');
    this.#restoring = true;
    try {
      for (const sql of cp.catalog) await this.execute(sql);
    } finally {
      this.#restoring = false;
    }
    this.#restoreOperators(cp.dataflow, stateRecords);
    for (const r of this.#relations.values()) {
      if (r.store?.external === true) {
        if (load === undefined) throw new Error(`restore: no way to load the contents of ${r.name}`);
        const rows = await load(r.name);
        r.store.load(rows, new Array<number>(rows.length).fill(1));
      }
      const s = cp.sources[r.name];
      if (r.eventTime !== undefined && s !== undefined) r.eventTime.restore(s, this.#now());
      if (r.pkIndex !== undefined)
        for (const e of committed(r)) r.pkIndex.set(rowKey(r.primaryKey.map((i) => e.row[i] ?? null)), e.row);
    }
  }

  /**
   * The operators' states of a checkpoint, into the dataflow the catalog built now. Where this
   * code builds a view's operators otherwise than the code that saved them did (or a state no
   * longer fits), the view's operators start empty and the view is stale: `replaceViews` builds
   * it again from retained input. Tables and sources keep nothing there (their rows are loaded).
   */
  #restoreOperators(
    dataflow: unknown,
    records: ReadonlyMap<number, readonly StateRecord[]> | undefined,
  ): void {
    try {
      this.#graph.restore(dataflow, records);
      return;
    } catch (e) {
      if (!Array.isArray(dataflow)) throw e;
    }
    const saved = dataflow.slice(1).map((cp) => String((cp as { name?: unknown } | undefined)?.name));
    const inputs = new Set(
      [...this.#relations.values()].filter((r) => r.sourceName !== undefined).map((r) => r.name),
    );
    const alignment = alignOperators(
      saved,
      this.#graph.operators.map((op) => op.name),
      inputs,
    );
    const empty = this.#graph.restoreAligned(dataflow, records, alignment.from);
    for (const name of [...alignment.unmatched, ...empty.map((i) => alignment.owner[i] as string)])
      if (this.#rel(name)?.objectKind === 'materialized view') this.#stale.add(name);
  }

  /**
   * Views `restore` could not give their operators' states (see `#restoreOperators`): their
   * contents are as committed, but their operators are empty until `replaceViews` rebuilds them.
   */
  staleViews(): readonly string[] {
    return [...this.#stale].sort();
  }

  /**
   * The views reading any of `names`, directly or through other views, in creation order (each
   * after what it reads); `names` themselves are left out.
   */
  viewsReading(names: Iterable<string>): string[] {
    const given = new Set([...names].map(normalizeName));
    return this.#withReaders(given)
      .map((r) => r.name)
      .filter((n) => !given.has(n));
  }

  /** The relations named and the views reading them, in creation order (a view comes after its inputs). */
  #withReaders(names: ReadonlySet<string>): Relation[] {
    const found = new Set(names);
    const out: Relation[] = [];
    for (const r of this.#relations.values()) {
      if (!found.has(r.name) && [...r.dependsOn].some((d) => found.has(d))) found.add(r.name);
      if (found.has(r.name)) out.push(r);
    }
    return out;
  }

  /**
   * Builds materialized views again, in one catalog change (one epoch): each view of
   * `definitions` (name → its CREATE MATERIALIZED VIEW) as defined there, the stale views and
   * every view reading one of these as defined now. Each is dropped and created again under its
   * name, its state computed from the current contents of the tables and views it reads and from
   * `retained`: each source's raw events kept by the store, one committed epoch at a time, oldest
   * first, replayed into the rebuilt views alone (late rows dropped again by the source's
   * WATERMARK). The sinks reading them stay, and so do their grants and owners (no drop is
   * reported): a view whose columns stay the same commits the difference between its old and new
   * rows, so that its sinks and subscriptions see only what changed; one whose columns change is
   * refused while a sink or subscription reads it. The catalog history records the change as the
   * drops and creations it is, so that a restore builds the same operators.
   *
   * For start-up, before anything else uses the engine: the epoch timer waits meanwhile, and a
   * failure leaves the catalog half changed (nothing of it is committed). Returns the views
   * rebuilt, in the order created.
   */
  async replaceViews(
    definitions: ReadonlyMap<string, string>,
    retained: (source: string) => AsyncIterable<readonly Row[]>,
  ): Promise<readonly string[]> {
    const statements = new Map<string, CreateMaterializedView>();
    for (const [name, sql] of definitions) {
      const s = parseStatement(sql);
      if (s.kind !== 'CreateMaterializedView' || normalizeName(s.name) !== normalizeName(name))
        throw new SqlError(SqlState.invalidParameterValue, `not a CREATE MATERIALIZED VIEW ${name}: ${sql}`);
      statements.set(normalizeName(name), s);
    }
    for (const name of statements.keys())
      if (this.#rel(name)?.objectKind !== 'materialized view') throw undefinedTable(name);
    const old = this.#withReaders(new Set([...statements.keys(), ...this.#stale]));
    if (old.length === 0) return [];
    const epochMs = this.#epochMs;
    this.setEpochMs(0);
    try {
      // What came before is committed first: each view's committed rows are then the store's.
      this.flush();
      const names = new Set(old.map((r) => r.name));
      const sinks = this.#sinks.list().filter((k) => names.has(k.from));
      for (const sink of sinks) {
        this.#sinks.delete(sink.name);
        this.#ddl.push(`DROP SINK ${quoted(sink.name)}`);
      }
      for (const rel of [...old].reverse()) {
        this.#remove(rel);
        this.#ddl.push(`DROP MATERIALIZED VIEW ${quoted(rel.name)} CASCADE`);
      }
      for (const rel of old) {
        const s = statements.get(rel.name) ?? (parseStatement(rel.definition) as CreateMaterializedView);
        const outside = [
          ...sinks.filter((k) => k.from === rel.name).map((k) => `sink ${k.name}`),
          ...this.#dependentsOutside(rel.name),
        ];
        this.#createView(s, { previous: rel, outside });
        this.#ddl.push(s.text);
      }
      for (const sink of sinks) {
        this.#sinks.add({ ...sink, key: this.relations().find((r) => r.name === sink.from)?.key });
        this.#ddl.push(sink.definition);
      }
      await this.#replay(
        old.map((r) => this.#rel(r.name) as Relation),
        retained,
      );
      this.#stale.clear();
      this.flush();
    } finally {
      this.setEpochMs(epochMs);
    }
    return old.map((r) => r.name);
  }

  /**
   * Replays what `views` (just created) read of sources: each source's retained events into those
   * views' operators alone, then the source's watermark, so that the windows it closed close.
   */
  async #replay(
    views: readonly Relation[],
    retained: (source: string) => AsyncIterable<readonly Row[]>,
  ): Promise<void> {
    const ops = new Set<Operator>();
    const read = new Set<string>();
    for (const v of views) {
      ops.add(v.upstream);
      for (const op of v.compiled?.operators ?? []) ops.add(op);
      for (const port of v.compiled?.scans ?? []) {
        ops.add(port);
        read.add(port.relation);
      }
    }
    for (const name of read) {
      const input = this.#rel(name);
      if (input?.objectKind !== 'source' || input.sourceName === undefined) continue;
      const sourceName = input.sourceName;
      const lateness = input.eventTime?.fresh();
      for await (const epoch of retained(input.name)) {
        const rows = lateness === undefined ? epoch : lateness.admit(epoch, 0);
        lateness?.advance(0, 0);
        for (let start = 0; start < rows.length; start += CHUNK_ROWS)
          confined(ops, () => this.#graph.push(sourceName, rows.slice(start, start + CHUNK_ROWS)));
      }
      const wm = input.eventTime?.stats.watermark;
      const column = input.eventTime?.column;
      if (wm !== undefined && column !== undefined)
        confined(ops, () => this.#graph.watermark(sourceName, column, wm));
    }
  }

  /**
   * A source's feeder has input it cannot deliver yet (backpressure): until the returned
   * function is called, the wait does not count as the source being idle, so its watermark does
   * not follow the clock past events still to come.
   */
  holdIdle(source: string): () => void {
    const eventTime = this.#rel(source)?.eventTime;
    if (eventTime === undefined) return () => {};
    eventTime.hold();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      eventTime.release();
    };
  }

  /**
   * Lets a source's rows be up to `micros` behind its newest event time before they are late
   * (its WATERMARK's delay, if shorter, is lengthened; not kept in the catalog): for logs fed
   * from the command line, whose disorder the pipeline's WATERMARK did not foresee.
   */
  allowLateness(source: string, micros: number): void {
    this.#rel(source)?.eventTime?.allowLateness(micros);
  }

  /** A source's definition (where its records come from); undefined for anything else. */
  sourceSpec(name: string): SourceSpec | undefined {
    const rel = this.#rel(name);
    if (rel?.objectKind !== 'source') return undefined;
    return { name: rel.name, options: rel.options, format: rel.format, columns: rel.columns };
  }

  /** Every sink, sorted by name. */
  sinks(): readonly SinkSpec[] {
    return this.#sinks.list();
  }

  /** Per source and table: rows admitted, late rows dropped, event time and watermark. */
  sourceStats(): ({ name: string } & EventTimeStats)[] {
    this.applyDeferred();
    const out: ({ name: string } & EventTimeStats)[] = [];
    for (const r of this.#relations.values())
      if (r.eventTime !== undefined) out.push({ name: r.name, ...r.eventTime.stats });
    return out.sort(byName);
  }

  /** Called with each view's consolidated delta at every epoch commit. */
  onViewCommit(listener: ViewCommitListener): void {
    this.#listeners.push(listener);
  }

  /**
   * Called with every row pushed into a source, as typed rows in column order, late rows
   * included (the raw events a store retains).
   */
  onSourceInput(listener: (source: string, rows: readonly Row[]) => void): void {
    this.#inputListeners.push(listener);
  }

  /**
   * Called with every change a statement (INSERT, UPDATE, DELETE, `insert`) makes to a table,
   * before the change is applied: a listener that throws fails the statement, which then
   * changes nothing. Not called for `applyTableWrite`.
   */
  onTableWrite(listener: (write: TableWrite) => void): void {
    this.#writeListeners.push(listener);
  }

  /** Applies a change `onTableWrite` reported (after a restore: the writes of epochs not committed). */
  applyTableWrite(write: TableWrite): void {
    this.applyDeferred();
    this.#applyWrite(this.#table(write.table, 'insert into'), write);
  }

  /** Called with each table's and view's consolidated delta at every epoch commit. */
  onStoreCommit(listener: ViewCommitListener): void {
    this.#storeListeners.push(listener);
  }

  /** Committed content of a table or view (rows repeated by multiplicity, sorted). */
  rows(name: string): Row[] {
    this.applyDeferred();
    const rel = this.#rel(name);
    if (rel === undefined) throw undefinedTable(name);
    return expand(committed(rel)).sort(compareRows);
  }

  /** Per-view row counts and runtime errors. */
  viewStats(): ViewStats[] {
    this.applyDeferred();
    const out: ViewStats[] = [];
    for (const r of this.#relations.values()) {
      if (r.objectKind !== 'materialized view' || r.compiled === undefined) continue;
      let errors = 0;
      let lastError: string | undefined;
      for (const op of [...r.compiled.operators, r.upstream]) {
        errors += op.stats.errors;
        if (op.stats.lastError !== undefined) lastError = op.stats.lastError.message;
      }
      let rows = 0;
      for (const e of committed(r)) rows += e.weight;
      out.push({ name: r.name, rows, errors, lastError });
    }
    return out.sort(byName);
  }

  /** Counters of every dataflow operator, in topological order. */
  operatorStats(): { name: string; stats: OperatorStats; stateSize: number }[] {
    this.applyDeferred();
    return this.#graph.stats();
  }

  get implicitFlush(): boolean {
    return parseBool(this.#session.get('rw_implicit_flush') ?? 'false') === true;
  }

  // --- statements --------------------------------------------------------------------

  /**
   * Runs a script; stops at the first failing statement (its SqlError is thrown). `params`
   * bind `$1…$n` of INSERT, UPDATE, DELETE and SELECT (a script of one statement, then);
   * a `$n` beyond them is 42P02, one in any other statement 0A000. `tokens`: the script's
   * tokens, when the caller has scanned it already (it is not scanned again).
   */
  async execute(
    sql: string,
    params: BindParams = NO_PARAMS,
    tokens?: readonly Token[],
  ): Promise<StatementResult[]> {
    this.applyDeferred();
    if (params.values.length === 0) {
      const bulk = readInsertValues(sql);
      const result = bulk === undefined ? undefined : this.insertValues(bulk);
      if (result !== undefined) return [result];
    }
    const statements = parseScript(sql, tokens);
    const second = statements[1];
    if (params.values.length > 0 && second !== undefined)
      throw new SqlError(
        SqlState.syntaxError,
        'cannot insert multiple commands into a prepared statement',
        second.offset + 1,
      );
    const out: StatementResult[] = [];
    for (const stmt of statements) {
      checkParamsAllowed(stmt);
      // A catalog change is an epoch boundary of its own: every epoch's input and changes
      // then belong to one catalog, the one at its end.
      const ddl = CATALOG_CHANGES.has(stmt.kind);
      if (ddl && this.#inputInEpoch) this.flush();
      const result = this.#statement(stmt, params);
      out.push(result);
      // "already exists, skipping" changed nothing: re-applied pipelines do not grow the history.
      if (ddl && result.notice === undefined) {
        this.#ddl.push(stmt.text);
        // A new view's first rows end this epoch too: its checkpoint then holds the statement
        // along with the view's operators.
        this.flush();
      }
    }
    return out;
  }

  /**
   * Every statement that changed the catalog, in order, drops included: run again on an empty
   * engine they rebuild the same dataflow, operator for operator (what a checkpoint's
   * operator states are restored into).
   */
  get catalogHistory(): readonly string[] {
    return this.#ddl;
  }

  /**
   * The types of the parameters `$1…$n` of one statement, for a client's Parse: those it
   * declared, else the type the context gives `$n` (an INSERT's target column, the other side
   * of a comparison, a cast), else text. Refuses `$n` where `execute` would.
   */
  describeParams(sql: string, declared: readonly (SqlType | undefined)[] = []): SqlType[] {
    const s = parseStatement(sql);
    checkParamsAllowed(s);
    const count = Math.max(0, ...paramUses(s).map((u) => u.number));
    const placeholders = describePlaceholders(declared, count);
    const inferred =
      count > 0 && takesParams(s) ? boundParamTypes(this.#bind(s, placeholders)) : new Map<number, SqlType>();
    return placeholders.types.map((_, i) => declared[i] ?? inferred.get(i + 1) ?? T.text);
  }

  #bind(s: Insert | Update | Delete | Select, params: BindParams) {
    switch (s.kind) {
      case 'Insert':
        return bindInsert(s, this, params);
      case 'Update':
        return bindUpdate(s, this, params);
      case 'Delete':
        return bindDelete(s, this, params);
      case 'Select':
        return bindQuery(s.query, this, params);
    }
  }

  #statement(s: Statement, params: BindParams): StatementResult {
    switch (s.kind) {
      case 'CreateSource':
        return this.#createInput(s, 'source');
      case 'CreateTable':
        return this.#createInput(s, 'table');
      case 'CreateMaterializedView':
        return this.#createView(s);
      case 'CreateView':
        throw notSupported('CREATE VIEW (use CREATE MATERIALIZED VIEW)');
      case 'CreateSink':
        return this.#createSink(s);
      case 'Insert':
        return this.#insert(s, params);
      case 'Update':
        return this.#update(s, params);
      case 'Delete':
        return this.#delete(s, params);
      case 'Drop':
        return this.#drop(s);
      case 'ShowObjects':
        return this.#showObjects(s);
      case 'Describe':
        return this.#describe(s);
      case 'Explain':
        return this.#explain(s);
      case 'Flush':
        this.flush();
        return { tag: 'FLUSH' };
      case 'SetVariable':
        return this.#set(s);
      case 'ShowVariable':
        return this.#show(s);
      case 'Transaction':
        return { tag: s.action.toUpperCase() };
      case 'Select': {
        const { plan, columns } = bindQuery(s.query, this, params);
        const rows = this.#query(plan);
        return { tag: 'SELECT', rowCount: rows.length, columns: resultColumns(columns), rows };
      }
      default: {
        const never: never = s;
        throw notSupported(`statement ${String(never)}`);
      }
    }
  }

  #checkNew(name: string, ifNotExists: boolean, kind: string): StatementResult | undefined {
    if (this.getRelation(name) === undefined && !this.#sinks.has(normalizeName(name))) {
      if (isReservedName(name))
        throw new SqlError(SqlState.reservedName, `${kind} name "${name}" is reserved`, undefined, {
          hint: 'Names beginning with "tidewatch_" or "__tw_" are tidewatch\'s own.',
        });
      return undefined;
    }
    if (ifNotExists) return { tag: '', notice: `relation "${name}" already exists, skipping` };
    throw duplicateObject(kind === 'materialized view' ? 'relation' : kind, name);
  }

  #createInput(s: CreateSource | CreateTable, kind: 'source' | 'table'): StatementResult {
    const tag = kind === 'source' ? 'CREATE_SOURCE' : 'CREATE_TABLE';
    const exists = this.#checkNew(s.name, s.ifNotExists, kind);
    if (exists !== undefined) return { ...exists, tag };
    const name = normalizeName(s.name);
    const columns = s.columns.map((c: ColumnDef) => Object.freeze({ name: c.name, type: c.type }));
    const pkNames = [...s.primaryKey, ...s.columns.filter((c) => c.primaryKey).map((c) => c.name)];
    const primaryKey = [...new Set(pkNames)].map((n) => {
      const i = columns.findIndex((c) => c.name === n);
      if (i < 0) throw new SqlError(SqlState.undefinedColumn, `column "${n}" named in key does not exist`);
      return i;
    });
    const wm = s.watermark === undefined ? -1 : columns.findIndex((c) => c.name === s.watermark?.column);
    if (s.watermark !== undefined && wm < 0)
      throw new SqlError(SqlState.undefinedColumn, `column "${s.watermark.column}" does not exist`);
    const delay = s.watermark === undefined ? 0 : watermarkDelay(s.watermark, columns, this);
    if (s.watermark !== undefined && kind === 'table' && !(s.kind === 'CreateTable' && s.appendOnly))
      throw notSupported('WATERMARK on a table that is not APPEND ONLY');
    if (kind === 'source' && !this.#restoring)
      this.#checkSource({ name, options: s.options, format: s.format, columns });
    const sourceName = `${name}#${++this.#uid}`;
    const src = this.#graph.source(sourceName, columns.length);
    const appendOnly = s.kind === 'CreateTable' && s.appendOnly;
    const store =
      kind === 'table' ? this.#graph.add(new Materialize(`table ${name}`, { appendOnly }), src) : undefined;
    if (store !== undefined) this.#keep(store, name);
    const rel: Relation = {
      name,
      kind: kind as RelationKind,
      columns,
      ...(wm >= 0 ? { watermarkColumn: wm } : {}),
      objectKind: kind,
      definition: s.text,
      options: s.options,
      format: s.format,
      primaryKey,
      appendOnly,
      upstream: src,
      sourceName,
      fromObject: objectReader(columns.map((c) => c.name)),
      exactNumbers: exactNumbers(columns.map((c) => c.type)),
      eventTime: new EventTime(wm >= 0 ? wm : undefined, delay),
      watermarkColumns: wm >= 0 ? [wm] : [],
      store,
      pkIndex: kind === 'table' && primaryKey.length > 0 ? new Map() : undefined,
      dependsOn: new Set(),
      compiled: undefined,
      plan: undefined,
    };
    this.#relations.set(name, rel);
    return { tag };
  }

  #createSink(s: CreateSink): StatementResult {
    const tag = 'CREATE_SINK';
    const exists = this.#checkNew(s.name, s.ifNotExists, 'sink');
    if (exists !== undefined) return { ...exists, tag };
    if (s.from === undefined)
      throw notSupported('CREATE SINK … AS SELECT (create a materialized view and CREATE SINK … FROM it)');
    const rel = this.#rel(s.from);
    if (rel === undefined) throw undefinedTable(s.from);
    if (rel.objectKind === 'source')
      throw notSupported(
        `CREATE SINK FROM a source ("${rel.name}"): sink a table or materialized view of it`,
      );
    const spec: SinkSpec = {
      name: normalizeName(s.name),
      from: rel.name,
      columns: rel.columns.map((c) => ({ name: c.name, type: c.type })),
      key: this.relations().find((r) => r.name === rel.name)?.key,
      appendOnly: rel.appendOnly,
      options: s.options,
      format: s.format,
      definition: s.text,
    };
    if (!this.#restoring) this.#checkSink(spec);
    this.#sinks.add(spec);
    return { tag };
  }

  /**
   * `replacing`: the view this one takes the place of (`replaceViews`), and what reads it from
   * outside the dataflow (sinks, subscriptions).
   */
  #createView(
    s: CreateMaterializedView,
    replacing?: { readonly previous: Relation; readonly outside: readonly string[] },
  ): StatementResult {
    const tag = 'CREATE_MATERIALIZED_VIEW';
    const exists = this.#checkNew(s.name, s.ifNotExists, 'materialized view');
    if (exists !== undefined) return { ...exists, tag };
    const name = normalizeName(s.name);
    const bound = bindQuery(s.query, this);
    let columns: PlanColumn[] = [...bound.columns];
    if (s.columnNames !== undefined) {
      if (s.columnNames.length > columns.length)
        throw new SqlError(SqlState.syntaxError, `too many column names were specified`);
      columns = columns.map((c, i) => ({ name: s.columnNames?.[i] ?? c.name, type: c.type }));
    }
    const seen = new Set<string>();
    for (const c of columns) {
      if (seen.has(c.name)) throw new SqlError('42701', `column "${c.name}" specified more than once`);
      seen.add(c.name);
    }
    let compiled = compilePlan(bound.plan, {
      ...this.#compileContext(),
      emitOnWindowClose: s.emitOnWindowClose,
    });
    if (s.emitOnWindowClose && !compiled.closesWindows)
      compiled = this.#onWatermarkColumn(
        compiled,
        columns,
        'EMIT ON WINDOW CLOSE',
        (c) => new EmitOnWindowClose(c),
      );
    const retention = retentionOf(s.options);
    if (retention !== undefined)
      compiled = this.#onWatermarkColumn(
        compiled,
        columns,
        'retention',
        (column) => new Expire({ column, offset: retention, clock: 'watermark' }),
      );
    for (const op of compiled.operators) this.#users.set(op, (this.#users.get(op) ?? 0) + 1);
    const mat = this.#graph.add(new Materialize(`view ${name}`), compiled.output);
    const rel: Relation = {
      name,
      kind: 'view',
      columns: columns.map((c) => Object.freeze({ name: c.name, type: c.type })),
      objectKind: 'materialized view',
      definition: s.text,
      options: s.options,
      format: undefined,
      primaryKey: [],
      appendOnly: false,
      upstream: mat,
      sourceName: undefined,
      fromObject: () => {
        throw new SqlError(SqlState.wrongObjectType, `cannot insert into materialized view "${name}"`);
      },
      exactNumbers: undefined,
      eventTime: undefined,
      watermarkColumns: compiled.watermarkColumns,
      store: mat,
      pkIndex: undefined,
      dependsOn: planRelations(bound.plan),
      compiled,
      plan: bound.plan,
    };
    this.#keep(mat, name);
    mat.onCommit((delta, epoch) => {
      if (delta.rows.length > 0) for (const l of this.#listeners) l(name, delta, epoch);
    });
    if (replacing !== undefined) this.#startFrom(mat, rel, replacing.previous, replacing.outside);
    // Backfill from the current content of the tables and views it reads.
    for (const port of compiled.scans) {
      const up = this.#rel(port.relation);
      if (up?.store === undefined) continue;
      const rows: Row[] = [];
      const weights: number[] = [];
      for (const e of up.store.current()) {
        rows.push(e.row);
        weights.push(e.weight);
      }
      if (rows.length > 0) port.inject(chunk(rows, weights));
    }
    for (const c of compiled.constants) this.#graph.push(c.source, c.rows);
    this.#relations.set(name, rel);
    return { tag };
  }

  /**
   * A view taking the place of `previous` starts from its rows, taken back in the same epoch:
   * its first delta is then the difference between the old rows and the new. With other
   * columns it starts empty, which what reads it from outside (`outside`) could not follow.
   */
  #startFrom(mat: Materialize, rel: Relation, previous: Relation, outside: readonly string[]): void {
    const same =
      previous.columns.length === rel.columns.length &&
      previous.columns.every(
        (c, i) =>
          c.name === rel.columns[i]?.name &&
          formatType(c.type) === formatType(rel.columns[i]?.type as SqlType),
      );
    if (!same) {
      if (outside.length > 0)
        throw new SqlError(
          SqlState.dependentObjectsStillExist,
          `the columns of materialized view ${rel.name} change, and ${outside.join(', ')} read${outside.length > 1 ? '' : 's'} it`,
          undefined,
          {
            hint: `Drop ${outside.length > 1 ? 'them' : 'it'} first, and create ${outside.length > 1 ? 'them' : 'it'} again afterwards.`,
          },
        );
      return;
    }
    const rows: Row[] = [];
    const weights: number[] = [];
    for (const e of previous.store?.entries() ?? []) {
      rows.push(e.row);
      weights.push(e.weight);
    }
    mat.load(rows, weights);
    if (rows.length > 0)
      mat.receive(
        chunk(
          rows,
          weights.map((w) => -w),
        ),
      );
  }

  /** Marks a table's or view's contents as kept outside and reports its deltas to the store listeners. */
  #keep(store: Materialize, name: string): void {
    store.external = this.#contentsOutside;
    store.onCommit((delta, epoch) => {
      if (delta.rows.length > 0) for (const l of this.#storeListeners) l(name, delta, epoch);
    });
  }

  /**
   * Puts an operator driven by the view's watermark after its plan: EMIT ON WINDOW CLOSE or
   * retention, on the first output column that carries a watermark. Without one, the CREATE
   * fails with 0A000 and leaves nothing behind.
   */
  #onWatermarkColumn(
    compiled: CompiledQuery,
    columns: readonly PlanColumn[],
    what: string,
    make: (column: number) => Operator,
  ): CompiledQuery {
    const column = compiled.watermarkColumns[0];
    if (column === undefined) {
      this.#abandon(compiled);
      throw new SqlError(
        SqlState.featureNotSupported,
        `${what} needs a watermark on one of the view's columns`,
        undefined,
        {
          hint: `Group by a window column (window_start, window_end) of a source with a WATERMARK; the view's columns are ${columns.map((c) => c.name).join(', ')}.`,
        },
      );
    }
    const op = this.#graph.add(make(column), compiled.output);
    return { ...compiled, output: op, operators: [...compiled.operators, op] };
  }

  /** Removes the operators a failed CREATE added (shared ones other views use stay). */
  #abandon(compiled: CompiledQuery): void {
    const unused = compiled.operators.filter((op) => !this.#users.has(op));
    this.#graph.remove(unused);
    forgetShared(this.#shared, unused);
  }

  #compileContext() {
    return {
      graph: this.#graph,
      upstream: (relation: string): Operator => {
        const r = this.#rel(relation);
        if (r === undefined && this.#systemRows(relation) !== undefined)
          throw notSupported(`a materialized view over the system view ${relation}`);
        if (r === undefined) throw undefinedTable(relation);
        return r.upstream;
      },
      uniqueName: (base: string) => `${base}#${++this.#uid}`,
      shared: this.#shared,
      liveOnly: (relation: string) => this.#rel(relation)?.objectKind === 'source',
      watermarks: (relation: string) => this.#rel(relation)?.watermarkColumns ?? [],
      continuous: true,
    };
  }

  /**
   * Runs a query plan over the committed snapshot in a temporary dataflow. A presentation
   * order (ORDER BY at the top, possibly under the SELECT list's projections) is applied
   * to the result: the ordered sub-plan runs, its rows are sorted, then projected.
   */
  #query(plan: Plan): Row[] {
    // NOW() is the statement's time, the same in every row and every part of the query.
    const statementTime = this.#now() * 1000;
    const options = { now: () => statementTime };
    const projections: Project[] = [];
    let p = plan;
    while (p.kind === 'Project') {
      projections.push(p);
      p = p.input;
    }
    const order = presentationOrder(p);
    if (order === undefined) return this.#evaluate(plan, options);
    const rows = this.#evaluate(p, options).sort(order);
    if (projections.length === 0) return rows;
    const steps = projections.reverse().map((pr) => pr.exprs.map((e) => compileExpr(e, options)));
    return rows.map((row) => {
      let r: Row = row;
      for (const fs of steps) {
        const input = r;
        r = fs.map((f) => f(input) as Value);
      }
      return r;
    });
  }

  #evaluate(plan: Plan, options: EvalOptions): Row[] {
    let oneOff = 0; // names in this query's own dataflow: the engine's counter stays catalog-only
    const g = new Dataflow();
    const feeds = new Map<string, Operator>();
    const compiled = compilePlan(plan, {
      graph: g,
      eval: options,
      upstream: (relation) => {
        let s = feeds.get(relation);
        if (s === undefined) {
          if (this.getRelation(relation) === undefined) throw undefinedTable(relation);
          s = g.source(relation);
          feeds.set(relation, s);
        }
        return s;
      },
      uniqueName: (base) => `${base}#${++oneOff}`,
    });
    const mat = g.add(new Materialize('result'), compiled.output);
    for (const relation of feeds.keys()) {
      const system = this.#systemRows(relation);
      if (system !== undefined) {
        if (system.length > 0) g.push(relation, system);
        continue;
      }
      const rows: Row[] = [];
      const weights: number[] = [];
      for (const e of committed(this.#rel(relation) as Relation)) {
        rows.push(e.row);
        weights.push(e.weight);
      }
      if (rows.length > 0) g.push(relation, chunk(rows, weights));
    }
    for (const c of compiled.constants) g.push(c.source, c.rows);
    g.barrier();
    for (const { stats } of g.stats()) if (stats.lastError !== undefined) throw stats.lastError;
    return mat.rows();
  }

  // --- DML ---------------------------------------------------------------------------

  #table(name: string, verb: string): Relation {
    const rel = this.#rel(name);
    if (rel === undefined) throw undefinedTable(name);
    if (rel.objectKind !== 'table')
      throw new SqlError(SqlState.wrongObjectType, `cannot ${verb} ${rel.objectKind} "${rel.name}"`);
    return rel;
  }

  #insert(s: Insert, params: BindParams): StatementResult {
    const rel = this.#table(s.table, 'insert into');
    const bound = bindInsert(s, this, params);
    const rows = this.#query(bound.plan);
    this.#write(rel, { kind: 'insert', table: rel.name, rows });
    if (this.implicitFlush) this.flush();
    return { tag: 'INSERT', rowCount: rows.length };
  }

  /**
   * Inserts typed rows (values in the table's column order) into a table, as INSERT does:
   * upsert on the primary key, late rows dropped. COPY FROM and the fast INSERT path use it.
   * Returns how many rows were given. With `deferApply` the rows are reported to the
   * `onTableWrite` listeners now and reach the dataflow at the next `applyDeferred`, which every
   * other method calls first: a caller answers its client once the write is logged, and the
   * views' work overlaps the client's next request.
   */
  insert(table: string, rows: readonly Row[], writtenAs?: WrittenAs, deferApply = false): number {
    const rel = this.#table(table, 'insert into');
    for (const row of rows)
      if (row.length !== rel.columns.length)
        throw new SqlError(
          SqlState.syntaxError,
          `a row of ${row.length} values for table "${rel.name}" of ${rel.columns.length} columns`,
        );
    this.#write(rel, { kind: 'insert', table: rel.name, rows, writtenAs }, deferApply);
    if (this.implicitFlush) this.flush();
    return rows.length;
  }

  /**
   * Runs a bulk-load INSERT that `readInsertValues` read, converting each literal as the
   * INSERT's assignment to its column would. Undefined when the statement needs the general
   * path: a literal this does not convert here, a wrong number of values, an unknown table or
   * column, a value that fails to convert (the general path reports it with its position).
   * `deferApply` as for `insert`.
   */
  insertValues(bulk: InsertValues, deferApply = false): StatementResult | undefined {
    const rows = this.rowsOfInsertValues(bulk);
    if (rows === undefined) return undefined;
    const rel = this.#table(bulk.table, 'insert into');
    this.#write(
      rel,
      { kind: 'insert', table: rel.name, rows, writtenAs: { kind: 'insert-values', text: bulk.text } },
      deferApply,
    );
    if (this.implicitFlush) this.flush();
    return { tag: 'INSERT', rowCount: rows.length };
  }

  /**
   * The rows of a bulk-load INSERT, each literal converted as the INSERT's assignment to its
   * column would; undefined when `insertValues` leaves the statement to the general path.
   */
  rowsOfInsertValues(bulk: InsertValues): Row[] | undefined {
    const rel = this.#rel(bulk.table);
    if (rel === undefined || rel.objectKind !== 'table') return undefined;
    const targets = (bulk.columns ?? rel.columns.map((c) => c.name)).map((name) =>
      rel.columns.findIndex((c) => c.name === name),
    );
    if (targets.some((i) => i < 0) || new Set(targets).size !== targets.length) return undefined;
    const converters = targets.map((i) => literalConverter((rel.columns[i] as CatalogColumn).type));
    const width = rel.columns.length;
    const rows: Row[] = new Array(bulk.rows.length);
    try {
      for (let r = 0; r < bulk.rows.length; r++) {
        const literals = bulk.rows[r] as readonly InsertLiteral[];
        if (literals.length !== targets.length) return undefined;
        const row: Value[] = new Array(width).fill(null);
        for (let k = 0; k < literals.length; k++) {
          const v = (converters[k] as LiteralConverter)(literals[k] as InsertLiteral);
          if (v === undefined) return undefined;
          row[targets[k] as number] = v;
        }
        rows[r] = row;
      }
    } catch {
      return undefined;
    }
    return rows;
  }

  /** Reports a statement's change to the listeners, then applies it (or leaves it to `applyDeferred`). */
  #write(rel: Relation, write: TableWrite, deferApply = false): void {
    if (write.rows.length === 0) return;
    for (const l of this.#writeListeners) l(write);
    if (deferApply) this.#unapplied.push({ rel, write });
    else {
      this.applyDeferred();
      this.#applyWrite(rel, write);
    }
  }

  /** Applies the writes `insert` and `insertValues` left for later, in the order they were logged. */
  applyDeferred(): void {
    for (let next = this.#unapplied.shift(); next !== undefined; next = this.#unapplied.shift())
      this.#applyWrite(next.rel, next.write);
  }

  #applyWrite(rel: Relation, write: TableWrite): void {
    this.#inputInEpoch = true;
    if (write.kind === 'insert') {
      for (let start = 0; start < write.rows.length; start += CHUNK_ROWS)
        this.#insertRows(rel, write.rows.slice(start, start + CHUNK_ROWS));
      return;
    }
    const index = rel.pkIndex;
    if (index !== undefined) {
      const key = (r: Row) => rowKey(rel.primaryKey.map((i) => r[i] ?? null));
      write.rows.forEach((r, i) => {
        if ((write.weights[i] as number) < 0) index.delete(key(r));
      });
      write.rows.forEach((r, i) => {
        if ((write.weights[i] as number) > 0) index.set(key(r), r);
      });
    }
    this.#graph.push(rel.sourceName as string, chunk([...write.rows], [...write.weights]));
  }

  /** The rows on time for the relation's watermark (late ones are counted and dropped). */
  #admit(rel: Relation, rows: readonly Row[], split?: string): readonly Row[] {
    return rel.eventTime === undefined ? rows : rel.eventTime.admit(rows, this.#now(), split);
  }

  #insertRows(rel: Relation, input: readonly Row[]): void {
    const rows = this.#admit(rel, input);
    const index = rel.pkIndex;
    if (index === undefined) {
      this.#graph.push(rel.sourceName as string, rows);
      return;
    }
    const out: Row[] = [];
    const weights: number[] = [];
    for (const row of rows) {
      const k = rowKey(rel.primaryKey.map((i) => row[i] ?? null));
      const old = index.get(k);
      if (old !== undefined) {
        out.push(old);
        weights.push(-1);
      }
      index.set(k, row);
      out.push(row);
      weights.push(1);
    }
    this.#graph.push(rel.sourceName as string, chunk(out, weights));
  }

  #modifiable(name: string, verb: string): Relation {
    const rel = this.#table(name, verb);
    if (rel.appendOnly)
      throw new SqlError(SqlState.featureNotSupported, `cannot ${verb} append-only table "${rel.name}"`);
    return rel;
  }

  /** Current rows of a table matching `where` (each distinct row with its multiplicity). */
  #matching(rel: Relation, where: Parameters<typeof compilePredicate>[0] | undefined): WeightedRow[] {
    const pred = where === undefined ? undefined : compilePredicate(where);
    const out: WeightedRow[] = [];
    for (const e of (rel.store as Materialize).current()) {
      if (e.weight <= 0) continue;
      if (pred === undefined || pred(e.row) === true) out.push({ row: e.row, weight: e.weight });
    }
    return out;
  }

  #update(s: Update, params: BindParams): StatementResult {
    const rel = this.#modifiable(s.table, 'update');
    const bound = bindUpdate(s, this, params);
    const sets = bound.assignments.map((a) => ({ column: a.column, value: compileExpr(a.value) }));
    const hit = this.#matching(rel, bound.where);
    const out: Row[] = [];
    const weights: number[] = [];
    let n = 0;
    for (const e of hit) {
      const next = [...e.row];
      for (const a of sets) next[a.column] = a.value(e.row) as Value;
      out.push(e.row, next);
      weights.push(-e.weight, e.weight);
      n += e.weight;
    }
    this.#write(rel, { kind: 'change', table: rel.name, rows: out, weights });
    if (this.implicitFlush) this.flush();
    return { tag: 'UPDATE', rowCount: n };
  }

  #delete(s: Delete, params: BindParams): StatementResult {
    const rel = this.#modifiable(s.table, 'delete from');
    const bound = bindDelete(s, this, params);
    const hit = this.#matching(rel, bound.where);
    let n = 0;
    for (const e of hit) n += e.weight;
    this.#write(rel, {
      kind: 'change',
      table: rel.name,
      rows: hit.map((e) => e.row),
      weights: hit.map((e) => -e.weight),
    });
    if (this.implicitFlush) this.flush();
    return { tag: 'DELETE', rowCount: n };
  }

  // --- DDL and introspection ---------------------------------------------------------

  #dependents(name: string): Relation[] {
    return [...this.#relations.values()].filter((r) => r.dependsOn.has(name));
  }

  #drop(s: Drop): StatementResult {
    const tag = `DROP_${s.objectKind.toUpperCase().replace(/ /g, '_')}`;
    if (s.objectKind === 'sink') return this.#dropSinks(s, tag);
    const kinds: Record<string, ObjectKind | undefined> = {
      source: 'source',
      table: 'table',
      'materialized view': 'materialized view',
    };
    const want = kinds[s.objectKind];
    if (want === undefined) throw notSupported(`DROP ${s.objectKind.toUpperCase()}`);
    // Check everything first, then drop: a failing DROP changes nothing.
    const targets: Relation[] = [];
    for (const n of s.names) {
      const rel = this.#rel(n);
      if (rel === undefined) {
        if (s.ifExists) continue;
        throw new SqlError(SqlState.undefinedTable, `${s.objectKind} "${n}" does not exist`);
      }
      if (rel.objectKind !== want)
        throw new SqlError(SqlState.wrongObjectType, `"${rel.name}" is not a ${s.objectKind}`, undefined, {
          hint: `Use DROP ${rel.objectKind.toUpperCase()} to remove a ${rel.objectKind}.`,
        });
      const deps = [
        ...this.#dependents(rel.name)
          .filter((d) => !s.names.map(normalizeName).includes(d.name))
          .map((d) => `${d.objectKind} ${d.name}`),
        ...this.#sinks.readersOf(rel.name).map((sink) => `sink ${sink.name}`),
        ...this.#dependentsOutside(rel.name),
      ];
      if (deps.length > 0 && !s.cascade) throw dependentObjects(`${s.objectKind} ${rel.name}`, deps);
      targets.push(rel);
    }
    for (const rel of targets) this.#dropCascade(rel);
    return { tag };
  }

  #dropSinks(s: Drop, tag: string): StatementResult {
    const names = s.names.map(normalizeName);
    for (const n of names)
      if (!this.#sinks.has(n) && !s.ifExists)
        throw new SqlError(SqlState.undefinedObject, `sink "${n}" does not exist`);
    for (const n of names) if (this.#sinks.delete(n)) for (const l of this.#dropListeners) l(n);
    return { tag };
  }

  #dropCascade(rel: Relation): void {
    if (!this.#relations.has(rel.name)) return;
    for (const sink of this.#sinks.readersOf(rel.name))
      if (this.#sinks.delete(sink.name)) for (const l of this.#dropListeners) l(sink.name);
    for (const d of this.#dependents(rel.name)) this.#dropCascade(d);
    this.#remove(rel);
    for (const l of this.#dropListeners) l(rel.name);
  }

  /** Takes a relation out of the catalog, and out of the dataflow the operators only it used. */
  #remove(rel: Relation): void {
    const unused: Operator[] = [rel.upstream];
    if (rel.store !== undefined && rel.store !== rel.upstream) unused.push(rel.store);
    for (const op of rel.compiled?.operators ?? []) {
      const n = (this.#users.get(op) ?? 1) - 1;
      if (n > 0) this.#users.set(op, n);
      else {
        this.#users.delete(op);
        unused.push(op);
      }
    }
    this.#graph.remove(unused);
    forgetShared(this.#shared, unused);
    this.#relations.delete(rel.name);
  }

  #showObjects(s: ShowObjects): StatementResult {
    const kind: Record<ShowObjects['objects'], ObjectKind | undefined> = {
      sources: 'source',
      tables: 'table',
      'materialized views': 'materialized view',
      views: undefined,
      sinks: undefined,
    };
    const k = kind[s.objects];
    const names =
      s.objects === 'sinks'
        ? this.#sinks.list().map((sink) => sink.name)
        : k === undefined
          ? []
          : // As RisingWave's SHOW lists no system catalog: tidewatch's own sources are in rw_sources.
            this.list(k).filter((name) => !isSystemRelation(name));
    return {
      tag: 'SHOW',
      rowCount: names.length,
      columns: [{ name: 'Name', type: { name: 'varchar' } }],
      rows: names.map((n) => [n]),
    };
  }

  #describe(s: Describe): StatementResult {
    const rel = this.#rel(s.name);
    if (rel === undefined) throw undefinedTable(s.name);
    const rows: Row[] = rel.columns.map((c: CatalogColumn, i) => [
      c.name,
      formatType(c.type),
      rel.primaryKey.includes(i) ? 'primary key' : null,
    ]);
    return {
      tag: 'DESCRIBE',
      rowCount: rows.length,
      columns: [
        { name: 'Name', type: { name: 'varchar' } },
        { name: 'Type', type: { name: 'varchar' } },
        { name: 'Key', type: { name: 'varchar' } },
      ],
      rows,
    };
  }

  #explain(s: Explain): StatementResult {
    const st = s.statement;
    if (st.kind === 'CreateSink') throw notSupported('EXPLAIN CREATE SINK');
    const { plan } = bindQuery(st.query, this);
    const lines = explainPlan(plan, { verbose: s.verbose }).split('\n');
    return {
      tag: 'EXPLAIN',
      rowCount: lines.length,
      columns: [{ name: 'QUERY PLAN', type: { name: 'varchar' } }],
      rows: lines.map((l) => [l]),
    };
  }

  #set(s: SetVariable): StatementResult {
    const name = s.name.toLowerCase();
    if (s.reset) this.#session.delete(name);
    else {
      const value = s.values.join(', ');
      if (name === 'rw_implicit_flush' && parseBool(value) === undefined)
        throw new SqlError(
          SqlState.invalidParameterValue,
          `invalid value for parameter "${name}": "${value}"`,
        );
      this.#session.set(name, value);
    }
    return { tag: 'SET_VARIABLE' };
  }

  #show(s: ShowVariable): StatementResult {
    const name = s.name.toLowerCase();
    const v = this.#session.get(name) ?? DEFAULT_SESSION.get(name);
    if (v === undefined)
      throw new SqlError(SqlState.undefinedObject, `unrecognized configuration parameter "${s.name}"`);
    return {
      tag: 'SHOW',
      rowCount: 1,
      columns: [{ name, type: { name: 'varchar' } }],
      rows: [[v]],
    };
  }
}

/** A literal of a bulk INSERT as its column's value; undefined: not converted here. */
type LiteralConverter = (literal: InsertLiteral) => Value | undefined;

/**
 * The conversion of literals to a column's type that gives what the binder's assignment gives:
 * a string (optionally cast to the column's own type) through the type's input function, a
 * number into a numeric column likewise (but a decimal into an integer column, which rounds),
 * NULL, a boolean into a boolean column. Anything else is left to the general path.
 */
function literalConverter(type: SqlType): LiteralConverter {
  let input: ((v: Value) => Value) | undefined;
  try {
    const text = fromText(type);
    const typmod = columnTypmod(type);
    input = typmod === undefined ? text : (v) => typmod(text(v));
  } catch {
    input = undefined;
  }
  const numeric = category(type) === 'numeric';
  const integer = type.name === 'int2' || type.name === 'int4' || type.name === 'int8';
  return (literal) => {
    switch (literal.kind) {
      case 'null':
        return null;
      case 'boolean':
        return type.name === 'boolean' ? literal.value : undefined;
      case 'number':
        return numeric && (literal.integer || !integer) ? input?.(literal.text) : undefined;
      case 'string':
        if (literal.cast !== undefined && lookupType(literal.cast)?.name !== type.name) return undefined;
        return input?.(literal.value);
    }
  };
}

function expand(entries: Iterable<WeightedRow>): Row[] {
  const out: Row[] = [];
  for (const e of entries) for (let i = 0; i < e.weight; i++) out.push(e.row);
  return out;
}

function resultColumns(cols: readonly PlanColumn[]): ResultColumn[] {
  return cols.map((c) => ({ name: c.name, type: c.type }));
}

/** The ORDER BY of a query's top (through LIMIT), as a row comparator over its output. */
function presentationOrder(p: Plan): ((a: Row, b: Row) => number) | undefined {
  let sortKeys: readonly PlanSortKey[];
  if (p.kind === 'Sort') sortKeys = p.keys;
  else if (p.kind === 'Limit' && p.input.kind === 'Sort') sortKeys = p.input.keys;
  else if (p.kind === 'TopN' && p.partitionBy.length === 0 && p.rankFunction === undefined)
    sortKeys = p.orderBy;
  else return undefined;
  const keys = sortKeys.map((k) => ({
    f: compileExpr(k.expr),
    desc: k.descending,
    nullsFirst: k.nullsFirst,
  }));
  return (a, b) => {
    for (const k of keys) {
      const x = k.f(a) as Value;
      const y = k.f(b) as Value;
      if (x === null || y === null) {
        if (x === y) continue;
        return (x === null) === k.nullsFirst ? -1 : 1;
      }
      const c = compareValues(x, y);
      if (c !== 0) return k.desc ? -c : c;
    }
    return 0;
  };
}

/** A name as a quoted identifier, for the statements the catalog history records. */
function quoted(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
