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
 *
 * `Engine` is the facade: input, epochs, checkpoints and the statement dispatch are here;
 * the catalog is `catalog.ts`, CREATE/DROP `ddl.ts`, INSERT/UPDATE/DELETE and table writes
 * `dml.ts`, SELECT `batch-query.ts`, SET/SHOW `session.ts`, SHOW objects/DESCRIBE/EXPLAIN
 * `introspection.ts` — each given what it needs of the engine as an explicit context.
 */

import { bindDelete, bindInsert, bindQuery, bindUpdate } from '../sql/binder.ts';
import { byName, type Catalog, type CatalogRelation } from '../sql/catalog.ts';
import { notSupported, SqlError, SqlState, undefinedTable } from '../sql/errors.ts';
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
import type { CreateMaterializedView, Delete, Insert, Select, Statement, Update } from '../sql/statement.ts';
import type { Token } from '../sql/tokens.ts';
import { type SqlType, T } from '../sql/types.ts';
import { alignOperators } from '../stream/align-operators.ts';
import { Dataflow, type StateRecord } from '../stream/graph.ts';
import type { OperatorStats } from '../stream/operator.ts';
import { compareRows, type Row, rowKey } from '../stream/value.ts';
import { type BatchContext, expand, runQuery } from './batch-query.ts';
import {
  committed,
  eventTimeOf,
  isSystemView,
  normalizeName,
  type ObjectKind,
  type Relation,
  RelationCatalog,
  type RelationInfo,
  type ViewRelation,
} from './catalog.ts';
import { Ddl, type SourceSpec, type ViewCommitListener } from './ddl.ts';
import { Dml, type TableWrite, type WrittenAs } from './dml.ts';
import type { EventTimeState, EventTimeStats } from './event-time.ts';
import type { ConvertedInsertValues } from './insert-values-rows.ts';
import { describe, explain, showObjects } from './introspection.ts';
import { CHUNK_ROWS, toRows } from './pushed-rows.ts';
import { Session } from './session.ts';
import { SinkCatalog, type SinkSpec } from './sink-catalog.ts';
import { resultColumns, type StatementResult } from './statement-result.ts';
import { sourceStatsRows } from './system-views.ts';

export type { RelationInfo, ResultColumn } from './catalog.ts';
export type { SourceSpec, ViewCommitListener } from './ddl.ts';
export type { TableWrite, WrittenAs } from './dml.ts';
export type { SinkSpec } from './sink-catalog.ts';
export type { StatementResult } from './statement-result.ts';

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
   * With `contentsKeptOutside`: a relation's rows as their keeper holds them once every epoch
   * ended so far is committed. Given it, a view with a unique key keeps no rows in memory (its
   * changes' prior counts are known without them), and a statement that reads such a view
   * borrows its rows from here while it runs.
   */
  readonly readKept?: (relation: string) => Promise<readonly Row[]>;
  /**
   * Operators record what changes between checkpoints, so that `checkpointChanges` can give
   * deltas of their state instead of the whole of it.
   */
  readonly incrementalCheckpoints?: boolean;
  /**
   * What the epoch timer lets finish before it ends an epoch: the fsync that written statements
   * wait on for their answer (undefined: none runs). Else an epoch's end — the writes applied,
   * the barrier, the checkpoint — would run first, and a COPY of 100,000 rows was answered
   * a second late.
   */
  readonly epochsAfter?: () => Promise<unknown> | undefined;
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

/** Statements that read no table's or view's rows: they borrow none (`#borrowKeptRows`). */
const READS_NO_ROWS: ReadonlySet<Statement['kind']> = new Set([
  'CreateSource',
  'Drop',
  'Flush',
  'SetVariable',
  'ShowVariable',
  'ShowObjects',
  'Transaction',
  'Describe',
  'Explain',
]);

const CATALOG_CHANGES: ReadonlySet<Statement['kind']> = new Set([
  'CreateSource',
  'CreateTable',
  'CreateMaterializedView',
  'CreateSink',
  'Drop',
]);

export class Engine implements Catalog {
  readonly #graph = new Dataflow();
  readonly #relations = new RelationCatalog();
  readonly #session = new Session();
  readonly #listeners: ViewCommitListener[] = [];
  readonly #storeListeners: ViewCommitListener[] = [];
  readonly #ddl: string[] = [];
  readonly #epochListeners: ((epoch: number, barrierAt: number) => void)[] = [];
  readonly #inputListeners: ((source: string, rows: readonly Row[]) => void)[] = [];
  readonly #writeListeners: ((write: TableWrite) => void)[] = [];
  readonly #dropListeners: ((relation: string) => void)[] = [];
  /** Input arrived since the last barrier: a catalog change ends the epoch first. */
  #inputInEpoch = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #idleTimeoutMs: number;
  readonly #now: () => number;
  readonly #epochsAfter: (() => Promise<unknown> | undefined) | undefined;
  readonly #sinks = new SinkCatalog();
  /** `restore` runs the catalog's statements again: what was checked at CREATE is not checked again. */
  #restoring = false;
  #epochMs = 0;
  readonly #readKept: ((relation: string) => Promise<readonly Row[]>) | undefined;
  /** Statements reading kept rows: the epoch timer waits while they do (see `#borrowKeptRows`). */
  #borrowing = 0;
  /** Views whose operators started empty at `restore` (see `staleViews`). */
  readonly #stale = new Set<string>();
  readonly #dependentsOutside: (relation: string) => readonly string[];
  readonly #ddlRunner: Ddl;
  readonly #dml: Dml;
  readonly #batch: BatchContext;

  constructor(options: EngineOptions = {}) {
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 10_000;
    this.#now = options.now ?? Date.now;
    this.#epochsAfter = options.epochsAfter;
    this.#dependentsOutside = options.dependentsOutside ?? (() => []);
    this.#readKept = options.contentsKeptOutside === true ? options.readKept : undefined;
    this.#ddlRunner = new Ddl({
      graph: this.#graph,
      relations: this.#relations,
      sinks: this.#sinks,
      binder: this,
      contentsOutside: options.contentsKeptOutside === true,
      rowsOutside: this.#readKept !== undefined,
      restoring: () => this.#restoring,
      checkSource: options.checkSource ?? (() => {}),
      checkSink: options.checkSink ?? (() => {}),
      dependentsOutside: this.#dependentsOutside,
      relationInfo: () => this.relations(),
      viewListeners: this.#listeners,
      storeListeners: this.#storeListeners,
      dropListeners: this.#dropListeners,
    });
    this.#batch = {
      now: this.#now,
      exists: (relation) => this.getRelation(relation) !== undefined,
      systemRows: (relation) => this.#systemRows(relation),
      committed: (relation) => committed(this.#rel(relation) as Relation),
    };
    this.#dml = new Dml({
      graph: this.#graph,
      relations: this.#relations,
      binder: this,
      now: this.#now,
      writeListeners: this.#writeListeners,
      inputArrived: () => {
        this.#inputInEpoch = true;
      },
      afterWrite: () => {
        if (this.implicitFlush) this.flush();
      },
      query: (plan) => runQuery(plan, this.#batch),
    });
    if (options.incrementalCheckpoints === true) this.#graph.trackStateChanges();
    if (options.autoEpoch !== false) this.setEpochMs(options.epochMs ?? 1000);
  }

  /** Ends an epoch every `ms` from now on (0: only on FLUSH); the epoch under way ends on the new beat. */
  setEpochMs(ms: number): void {
    this.#epochMs = ms;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    if (ms > 0) {
      let deferred = false;
      const timer = setInterval(() => {
        if (deferred || this.#borrowing > 0) return;
        const first = this.#epochsAfter?.();
        if (first === undefined) {
          this.flush();
          return;
        }
        deferred = true;
        void first.then(noop, noop).then(() =>
          // A turn later: the answers the fsync released are sent first.
          setImmediate(() => {
            deferred = false;
            if (this.#timer === timer) this.flush();
          }),
        );
      }, ms);
      this.#timer = timer;
      this.#timer.unref?.();
    }
  }

  /** Stops the epoch timer. */
  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Number of the last completed epoch. */
  get epoch(): number {
    return this.#graph.epoch;
  }

  // --- Catalog -----------------------------------------------------------------------

  getRelation(name: string): CatalogRelation | undefined {
    return this.#relations.getRelation(name);
  }

  /** Rows of a system view, computed now; undefined for any other name. */
  #systemRows(name: string): Row[] | undefined {
    return isSystemView(name) ? sourceStatsRows(this.sourceStats()) : undefined;
  }

  #rel(name: string): Relation | undefined {
    return this.#relations.get(name);
  }

  /** Names of the relations of a kind, sorted. */
  list(kind?: ObjectKind): string[] {
    return this.#relations.list(kind);
  }

  /** Every source, table and view, sorted by name: kind, typed columns, the statement that created it. */
  relations(): readonly RelationInfo[] {
    // Asked at every query of the PostgreSQL endpoint; it changes only with the catalog.
    return this.#relations.info(this.#ddl.length);
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
      if (rel.objectKind === 'table') this.#dml.insertRows(rel, asRows);
      else {
        for (const l of this.#inputListeners) l(rel.name, asRows);
        this.#graph.push(rel.sourceName, this.#dml.admit(rel, asRows, split));
      }
    }
  }

  /** A split of a source (see `push`) has ended: its pace no longer holds the watermark back. */
  endSplit(source: string, split: string): void {
    eventTimeOf(this.#rel(source))?.endSplit(split);
  }

  /** Ends the current epoch: everything pushed so far becomes visible in every view. */
  flush(): number {
    this.applyDeferred();
    const barrierAt = performance.now();
    const now = this.#now();
    for (const rel of this.#relations.values()) {
      if (rel.objectKind === 'materialized view') continue;
      const column = rel.eventTime.column;
      if (column === undefined) continue;
      const wm = rel.eventTime.advance(now, this.#idleTimeoutMs);
      if (wm !== undefined) this.#graph.watermark(rel.sourceName, column, wm);
    }
    const epoch = this.#graph.barrier(now * 1000);
    this.#inputInEpoch = false;
    for (const l of this.#epochListeners) l(epoch, barrierAt);
    return epoch;
  }

  /**
   * Called right after each epoch ends, before anything else runs: the moment to make it
   * durable (`checkpoint()`), so that no reader sees an epoch a crash could take back.
   * `barrierAt`: when the epoch's barrier set off through the dataflow (`performance.now()`).
   */
  onEpoch(listener: (epoch: number, barrierAt: number) => void): void {
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
      if (r.objectKind !== 'materialized view') sources[r.name] = r.eventTime.snapshot();
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
      if (r.objectKind !== 'source' && r.store.external) {
        if (load === undefined) throw new Error(`restore: no way to load the contents of ${r.name}`);
        const rows = await load(r.name);
        r.store.load(rows, new Array<number>(rows.length).fill(1));
      }
      if (r.objectKind === 'materialized view') continue;
      const s = cp.sources[r.name];
      if (s !== undefined) r.eventTime.restore(s, this.#now());
      if (r.objectKind === 'table' && r.pkIndex !== undefined)
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
      [...this.#relations.values()].filter((r) => r.objectKind !== 'materialized view').map((r) => r.name),
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
    return this.#relations
      .withReaders(given)
      .map((r) => r.name)
      .filter((n) => !given.has(n));
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
    this.applyDeferred();
    const statements = new Map<string, CreateMaterializedView>();
    for (const [name, sql] of definitions) {
      const s = parseStatement(sql);
      if (s.kind !== 'CreateMaterializedView' || normalizeName(s.name) !== normalizeName(name))
        throw new SqlError(SqlState.invalidParameterValue, `not a CREATE MATERIALIZED VIEW ${name}: ${sql}`);
      statements.set(normalizeName(name), s);
    }
    for (const name of statements.keys())
      if (this.#rel(name)?.objectKind !== 'materialized view') throw undefinedTable(name);
    // The views named, the stale ones and the views reading them: views only.
    const old = this.#relations
      .withReaders(new Set([...statements.keys(), ...this.#stale]))
      .filter((r): r is ViewRelation => r.objectKind === 'materialized view');
    if (old.length === 0) return [];
    const epochMs = this.#epochMs;
    this.setEpochMs(0);
    try {
      // What came before is committed first: each view's committed rows are then the store's.
      this.flush();
      // Rebuilt views start from the rows they had and read their upstream's: all are lent.
      await this.#borrow(() => true);
      const names = new Set(old.map((r) => r.name));
      const sinks = this.#sinks.list().filter((k) => names.has(k.from));
      for (const sink of sinks) {
        this.#sinks.delete(sink.name);
        this.#ddl.push(`DROP SINK ${quoted(sink.name)}`);
      }
      for (const rel of [...old].reverse()) {
        this.#ddlRunner.remove(rel);
        this.#ddl.push(`DROP MATERIALIZED VIEW ${quoted(rel.name)} CASCADE`);
      }
      for (const rel of old) {
        const s = statements.get(rel.name) ?? (parseStatement(rel.definition) as CreateMaterializedView);
        const outside = [
          ...sinks.filter((k) => k.from === rel.name).map((k) => `sink ${k.name}`),
          ...this.#dependentsOutside(rel.name),
        ];
        this.#ddlRunner.createView(s, { previous: rel, outside });
        this.#ddl.push(s.text);
      }
      for (const sink of sinks) {
        this.#sinks.add({ ...sink, key: this.relations().find((r) => r.name === sink.from)?.key });
        this.#ddl.push(sink.definition);
      }
      await this.#ddlRunner.replay(
        old.map((r) => this.#rel(r.name) as ViewRelation),
        retained,
      );
      this.#stale.clear();
      this.flush();
    } finally {
      this.#unlendAll();
      this.setEpochMs(epochMs);
    }
    return old.map((r) => r.name);
  }

  /**
   * A source's feeder has input it cannot deliver yet (backpressure): until the returned
   * function is called, the wait does not count as the source being idle, so its watermark does
   * not follow the clock past events still to come.
   */
  holdIdle(source: string): () => void {
    const eventTime = eventTimeOf(this.#rel(source));
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
    eventTimeOf(this.#rel(source))?.allowLateness(micros);
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
      if (r.objectKind !== 'materialized view') out.push({ name: r.name, ...r.eventTime.stats });
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
    this.#dml.applyTableWrite(write);
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
      if (r.objectKind !== 'materialized view') continue;
      let errors = 0;
      let lastError: string | undefined;
      for (const op of [...r.compiled.operators, r.upstream]) {
        errors += op.stats.errors;
        if (op.stats.lastError !== undefined) lastError = op.stats.lastError.message;
      }
      out.push({ name: r.name, rows: r.store.rowCount, errors, lastError });
    }
    return out.sort(byName);
  }

  /** Counters of every dataflow operator, in topological order. */
  operatorStats(): { name: string; stats: OperatorStats; stateSize: number }[] {
    this.applyDeferred();
    return this.#graph.stats();
  }

  get implicitFlush(): boolean {
    return this.#session.implicitFlush;
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
    return this.#dml.insert(table, rows, writtenAs, deferApply);
  }

  /**
   * Runs a bulk-load INSERT, its statement or its rows converted for the table's columns
   * already; undefined when the statement needs the general path (`Dml.insertValues`).
   * `deferApply` as for `insert`.
   */
  insertValues(bulk: string | ConvertedInsertValues, deferApply = false): StatementResult | undefined {
    return this.#dml.insertValues(bulk, deferApply);
  }

  /**
   * A bulk-load INSERT's table and rows, each literal converted as the INSERT's assignment to
   * its column would; undefined when `insertValues` leaves the statement to the general path.
   */
  rowsOfInsertValues(text: string): { readonly table: string; readonly rows: readonly Row[] } | undefined {
    return this.#dml.rowsOfInsertValues(text);
  }

  /** Applies the writes `insert` and `insertValues` left for later, in the order they were logged. */
  applyDeferred(): void {
    this.#dml.applyDeferred();
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
      const result = this.insertValues(sql);
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
      const ddl = CATALOG_CHANGES.has(stmt.kind);
      const borrowed = await this.#borrowKeptRows(stmt);
      let result: StatementResult;
      try {
        // A catalog change is an epoch boundary of its own: every epoch's input and changes
        // then belong to one catalog, the one at its end.
        if (ddl && this.#inputInEpoch) this.flush();
        result = this.#statement(stmt, params);
      } finally {
        if (borrowed) this.#unlendAll();
      }
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
   * Lends the views that keep no rows (`readKept`) and that `stmt` may read — their names appear
   * in its text — their rows as of the last barrier: their keeper's after the epochs so far
   * commit, the open epoch's changes on top (`Materialize.current`). The epoch timer waits
   * meanwhile; should another statement end an epoch, the rows are read again. The caller
   * takes them back (`unlend`) once the statement ran.
   */
  async #borrowKeptRows(stmt: Statement): Promise<boolean> {
    if (this.#readKept === undefined || this.#restoring || READS_NO_ROWS.has(stmt.kind)) return false;
    const text = stmt.text.toLowerCase();
    return this.#borrow((r) => text.includes(r.name.toLowerCase()));
  }

  /**
   * Lends the views that keep no rows and that `wanted` picks their keeper's rows (see
   * `#borrowKeptRows`); false when there is none.
   */
  async #borrow(wanted: (view: ViewRelation) => boolean): Promise<boolean> {
    const read = this.#readKept;
    if (read === undefined) return false;
    const views = [...this.#relations.values()].filter(
      (r): r is ViewRelation => r.objectKind === 'materialized view' && r.store.rowsOutside && wanted(r),
    );
    if (views.length === 0) return false;
    this.#borrowing++;
    try {
      for (;;) {
        const epoch = this.epoch;
        const rows = await Promise.all(views.map((r) => read(r.name)));
        if (this.epoch !== epoch) continue;
        views.forEach((r, i) => {
          // A view dropped meanwhile is the statement's to report.
          if (this.#rel(r.name) !== r) return;
          const given = rows[i] as readonly Row[];
          r.store.lend(given, new Array<number>(given.length).fill(1));
        });
        return true;
      }
    } finally {
      this.#borrowing--;
    }
  }

  /** Takes back every lent row (`#borrow`), the rebuilt views' included (`Ddl.createView`). */
  #unlendAll(): void {
    for (const r of this.#relations.values()) if (r.objectKind === 'materialized view') r.store.unlend();
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
        return this.#ddlRunner.createInput(s, 'source');
      case 'CreateTable':
        return this.#ddlRunner.createInput(s, 'table');
      case 'CreateMaterializedView':
        return this.#ddlRunner.createView(s);
      case 'CreateView':
        throw notSupported('CREATE VIEW (use CREATE MATERIALIZED VIEW)');
      case 'CreateSink':
        return this.#ddlRunner.createSink(s);
      case 'Insert':
        return this.#dml.insertStatement(s, params);
      case 'Update':
        return this.#dml.update(s, params);
      case 'Delete':
        return this.#dml.delete(s, params);
      case 'Drop':
        return this.#ddlRunner.drop(s);
      case 'ShowObjects':
        return showObjects(s, this.#relations, this.#sinks);
      case 'Describe':
        return describe(s, this.#relations);
      case 'Explain':
        return explain(s, this);
      case 'Flush':
        this.flush();
        return { tag: 'FLUSH' };
      case 'SetVariable':
        return this.#session.set(s);
      case 'ShowVariable':
        return this.#session.show(s);
      case 'Transaction':
        return { tag: s.action.toUpperCase() };
      case 'Select': {
        const { plan, columns } = bindQuery(s.query, this, params);
        const rows = runQuery(plan, this.#batch);
        return { tag: 'SELECT', rowCount: rows.length, columns: resultColumns(columns), rows };
      }
      default: {
        const never: never = s;
        throw notSupported(`statement ${String(never)}`);
      }
    }
  }
}

/** A name as a quoted identifier, for the statements the catalog history records. */
function quoted(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function noop(): void {}
