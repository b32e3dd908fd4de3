/**
 * DDL: CREATE SOURCE / TABLE / MATERIALIZED VIEW / SINK and DROP (CASCADE too). A source or
 * table becomes a dataflow source (a table with its content kept); a view is compiled into
 * the engine's one dataflow, sharing equal operators with the views already there, and
 * backfilled from the current content of what it reads; a DROP removes the operators no
 * view uses any more. For `Engine.replaceViews`, the steps of a view rebuilt in place: taken
 * out (`remove`), created again from the previous view's rows, fed the retained input of its
 * sources (`replay`).
 */

import { bindQuery } from '../sql/binder.ts';
import type { Catalog } from '../sql/catalog.ts';
import {
  dependentObjects,
  duplicateObject,
  notSupported,
  SqlError,
  SqlState,
  undefinedTable,
} from '../sql/errors.ts';
import { intervalMicros, parseInterval } from '../sql/literals.ts';
import { type PlanColumn, planRelations } from '../sql/plan.ts';
import { uniqueKey } from '../sql/plan-keys.ts';
import { isReservedName } from '../sql/reserved-names.ts';
import type {
  ColumnDef,
  CreateMaterializedView,
  CreateSink,
  CreateSource,
  CreateTable,
  Drop,
  FormatSpec,
  Options,
} from '../sql/statement.ts';
import { formatType, type SqlType } from '../sql/types.ts';
import { type Chunk, chunk } from '../stream/chunk.ts';
import type { Dataflow } from '../stream/graph.ts';
import { confined, type Operator } from '../stream/operator.ts';
import { EmitOnWindowClose } from '../stream/operators/emit-on-window-close.ts';
import { Expire } from '../stream/operators/expire.ts';
import { Materialize } from '../stream/operators/materialize.ts';
import { TextPool } from '../stream/text-pool.ts';
import type { Row } from '../stream/value.ts';
import {
  isAppendOnly,
  isSystemView,
  normalizeName,
  type ObjectKind,
  type Relation,
  type RelationCatalog,
  type RelationInfo,
  type ResultColumn,
  relationKey,
  type ViewRelation,
} from './catalog.ts';
import { type CompiledQuery, compilePlan, forgetShared } from './compile-plan.ts';
import { EventTime } from './event-time.ts';
import { CHUNK_ROWS, exactNumbers, objectReader } from './pushed-rows.ts';
import type { SinkCatalog, SinkSpec } from './sink-catalog.ts';
import type { StatementResult } from './statement-result.ts';
import { watermarkDelay } from './watermark-delay.ts';

/** A source as its CREATE SOURCE defined it: where its records come from and how to read them. */
export interface SourceSpec {
  readonly name: string;
  readonly options: Options;
  readonly format: FormatSpec | undefined;
  readonly columns: readonly ResultColumn[];
}

/** A view's changes of one epoch (for the store and live push). */
export type ViewCommitListener = (view: string, delta: Chunk, epoch: number) => void;

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

/** What DDL reads and changes of the engine. */
export interface DdlContext {
  readonly graph: Dataflow;
  readonly relations: RelationCatalog;
  readonly sinks: SinkCatalog;
  /** The catalog the binder resolves names in (the engine's, system views included). */
  readonly binder: Catalog;
  /** Tables' and views' contents are persisted outside (see `EngineOptions.contentsKeptOutside`). */
  readonly contentsOutside: boolean;
  /** Views with a unique key keep no rows: their keeper does (see `EngineOptions.readKept`). */
  readonly rowsOutside: boolean;
  /** The catalog's statements run again by `restore`: what CREATE checked is not checked again. */
  readonly restoring: () => boolean;
  readonly checkSource: (source: SourceSpec) => void;
  readonly checkSink: (sink: SinkSpec) => void;
  readonly dependentsOutside: (relation: string) => readonly string[];
  /** `Engine.relations()`: what a sink is told of the relation it reads. */
  readonly relationInfo: () => readonly RelationInfo[];
  readonly viewListeners: readonly ViewCommitListener[];
  readonly storeListeners: readonly ViewCommitListener[];
  readonly dropListeners: readonly ((relation: string) => void)[];
}

/** Runs the engine's DDL; keeps which compiled operators views use and share. */
export class Ddl {
  readonly #ctx: DdlContext;
  /** Stateless operators shared by views over sources (see compile-plan.ts). */
  readonly #shared = new Map<string, Operator>();
  /** How many views use each compiled operator; at 0 it leaves the dataflow. */
  readonly #users = new Map<Operator, number>();
  #uid = 0;
  /** The texts of the rows tables keep, shared by all the engine's tables. */
  readonly #tableTexts = new TextPool();

  constructor(ctx: DdlContext) {
    this.#ctx = ctx;
  }

  #checkNew(name: string, ifNotExists: boolean, kind: string): StatementResult | undefined {
    if (this.#ctx.relations.getRelation(name) === undefined && !this.#ctx.sinks.has(normalizeName(name))) {
      if (isReservedName(name))
        throw new SqlError(SqlState.reservedName, `${kind} name "${name}" is reserved`, undefined, {
          hint: 'Names beginning with "tidewatch_" or "__tw_" are tidewatch\'s own.',
        });
      return undefined;
    }
    if (ifNotExists) return { tag: '', notice: `relation "${name}" already exists, skipping` };
    throw duplicateObject(kind === 'materialized view' ? 'relation' : kind, name);
  }

  createInput(s: CreateSource | CreateTable, kind: 'source' | 'table'): StatementResult {
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
    const delay = s.watermark === undefined ? 0 : watermarkDelay(s.watermark, columns, this.#ctx.binder);
    if (s.watermark !== undefined && kind === 'table' && !(s.kind === 'CreateTable' && s.appendOnly))
      throw notSupported('WATERMARK on a table that is not APPEND ONLY');
    if (kind === 'source' && !this.#ctx.restoring())
      this.#ctx.checkSource({ name, options: s.options, format: s.format, columns });
    const sourceName = `${name}#${++this.#uid}`;
    const src = this.#ctx.graph.source(sourceName, columns.length);
    const appendOnly = s.kind === 'CreateTable' && s.appendOnly;
    const input = {
      name,
      kind,
      columns,
      ...(wm >= 0 ? { watermarkColumn: wm } : {}),
      definition: s.text,
      primaryKey,
      upstream: src,
      sourceName,
      fromObject: objectReader(columns.map((c) => c.name)),
      exactNumbers: exactNumbers(columns.map((c) => c.type)),
      eventTime: new EventTime(wm >= 0 ? wm : undefined, delay),
      watermarkColumns: wm >= 0 ? [wm] : [],
    };
    if (kind === 'source') {
      this.#ctx.relations.add({ ...input, kind, objectKind: kind, options: s.options, format: s.format });
      return { tag };
    }
    const store = this.#ctx.graph.add(
      new Materialize(`table ${name}`, { appendOnly, texts: this.#tableTexts }),
      src,
    );
    this.#keep(store, name);
    this.#ctx.relations.add({
      ...input,
      kind,
      objectKind: kind,
      appendOnly,
      store,
      pkIndex: primaryKey.length > 0 ? new Map() : undefined,
    });
    return { tag };
  }

  createSink(s: CreateSink): StatementResult {
    const tag = 'CREATE_SINK';
    const exists = this.#checkNew(s.name, s.ifNotExists, 'sink');
    if (exists !== undefined) return { ...exists, tag };
    if (s.from === undefined)
      throw notSupported('CREATE SINK … AS SELECT (create a materialized view and CREATE SINK … FROM it)');
    const rel = this.#ctx.relations.get(s.from);
    if (rel === undefined) throw undefinedTable(s.from);
    if (rel.objectKind === 'source')
      throw notSupported(
        `CREATE SINK FROM a source ("${rel.name}"): sink a table or materialized view of it`,
      );
    const spec: SinkSpec = {
      name: normalizeName(s.name),
      from: rel.name,
      columns: rel.columns.map((c) => ({ name: c.name, type: c.type })),
      key: this.#ctx.relationInfo().find((r) => r.name === rel.name)?.key,
      appendOnly: isAppendOnly(rel),
      options: s.options,
      format: s.format,
      definition: s.text,
    };
    if (!this.#ctx.restoring()) this.#ctx.checkSink(spec);
    this.#ctx.sinks.add(spec);
    return { tag };
  }

  /**
   * `replacing`: the view this one takes the place of (`Engine.replaceViews`), and what reads it
   * from outside the dataflow (sinks, subscriptions).
   */
  createView(
    s: CreateMaterializedView,
    replacing?: { readonly previous: ViewRelation; readonly outside: readonly string[] },
  ): StatementResult {
    const tag = 'CREATE_MATERIALIZED_VIEW';
    const exists = this.#checkNew(s.name, s.ifNotExists, 'materialized view');
    if (exists !== undefined) return { ...exists, tag };
    const name = normalizeName(s.name);
    const bound = bindQuery(s.query, this.#ctx.binder);
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
    const mat = this.#ctx.graph.add(new Materialize(`view ${name}`), compiled.output);
    const rel: ViewRelation = {
      name,
      kind: 'view',
      columns: columns.map((c) => Object.freeze({ name: c.name, type: c.type })),
      objectKind: 'materialized view',
      definition: s.text,
      upstream: mat,
      watermarkColumns: compiled.watermarkColumns,
      store: mat,
      dependsOn: planRelations(bound.plan),
      compiled,
      plan: bound.plan,
    };
    this.#keep(mat, name);
    if (
      this.#ctx.rowsOutside &&
      uniqueKey(bound.plan, (n) => relationKey(this.#ctx.relations, n)) !== undefined
    )
      mat.keepRowsOutside();
    mat.onCommit((delta, epoch) => {
      if (delta.rows.length > 0) for (const l of this.#ctx.viewListeners) l(name, delta, epoch);
    });
    if (replacing !== undefined) this.#startFrom(mat, rel, replacing.previous, replacing.outside);
    // Backfill from the current content of the tables and views it reads.
    for (const port of compiled.scans) {
      const up = this.#ctx.relations.get(port.relation);
      if (up === undefined || up.objectKind === 'source') continue;
      // Replayed by `restore`: the views' rows come back after the catalog, and none is there yet.
      if (up.store.rowsOutside && this.#ctx.restoring()) continue;
      const rows: Row[] = [];
      const weights: number[] = [];
      for (const e of up.store.current()) {
        rows.push(e.row);
        weights.push(e.weight);
      }
      if (rows.length > 0) port.inject(chunk(rows, weights));
    }
    for (const c of compiled.constants) this.#ctx.graph.push(c.source, c.rows);
    this.#ctx.relations.add(rel);
    return { tag };
  }

  /** Marks a table's or view's contents as kept outside and reports its deltas to the store listeners. */
  #keep(store: Materialize, name: string): void {
    store.external = this.#ctx.contentsOutside;
    store.onCommit((delta, epoch) => {
      if (delta.rows.length > 0) for (const l of this.#ctx.storeListeners) l(name, delta, epoch);
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
    const op = this.#ctx.graph.add(make(column), compiled.output);
    return { ...compiled, output: op, operators: [...compiled.operators, op] };
  }

  /** Removes the operators a failed CREATE added (shared ones other views use stay). */
  #abandon(compiled: CompiledQuery): void {
    const unused = compiled.operators.filter((op) => !this.#users.has(op));
    this.#ctx.graph.remove(unused);
    forgetShared(this.#shared, unused);
  }

  #compileContext() {
    return {
      graph: this.#ctx.graph,
      upstream: (relation: string): Operator => {
        const r = this.#ctx.relations.get(relation);
        if (r === undefined && isSystemView(relation))
          throw notSupported(`a materialized view over the system view ${relation}`);
        if (r === undefined) throw undefinedTable(relation);
        return r.upstream;
      },
      uniqueName: (base: string) => `${base}#${++this.#uid}`,
      shared: this.#shared,
      liveOnly: (relation: string) => this.#ctx.relations.get(relation)?.objectKind === 'source',
      watermarks: (relation: string) => this.#ctx.relations.get(relation)?.watermarkColumns ?? [],
      keyOf: (relation: string) => relationKey(this.#ctx.relations, relation),
      continuous: true,
    };
  }

  drop(s: Drop): StatementResult {
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
      const rel = this.#ctx.relations.get(n);
      if (rel === undefined) {
        if (s.ifExists) continue;
        throw new SqlError(SqlState.undefinedTable, `${s.objectKind} "${n}" does not exist`);
      }
      if (rel.objectKind !== want)
        throw new SqlError(SqlState.wrongObjectType, `"${rel.name}" is not a ${s.objectKind}`, undefined, {
          hint: `Use DROP ${rel.objectKind.toUpperCase()} to remove a ${rel.objectKind}.`,
        });
      const deps = [
        ...this.#ctx.relations
          .dependents(rel.name)
          .filter((d) => !s.names.map(normalizeName).includes(d.name))
          .map((d) => `${d.objectKind} ${d.name}`),
        ...this.#ctx.sinks.readersOf(rel.name).map((sink) => `sink ${sink.name}`),
        ...this.#ctx.dependentsOutside(rel.name),
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
      if (!this.#ctx.sinks.has(n) && !s.ifExists)
        throw new SqlError(SqlState.undefinedObject, `sink "${n}" does not exist`);
    for (const n of names) if (this.#ctx.sinks.delete(n)) for (const l of this.#ctx.dropListeners) l(n);
    return { tag };
  }

  #dropCascade(rel: Relation): void {
    if (!this.#ctx.relations.has(rel.name)) return;
    for (const sink of this.#ctx.sinks.readersOf(rel.name))
      if (this.#ctx.sinks.delete(sink.name)) for (const l of this.#ctx.dropListeners) l(sink.name);
    for (const d of this.#ctx.relations.dependents(rel.name)) this.#dropCascade(d);
    this.remove(rel);
    for (const l of this.#ctx.dropListeners) l(rel.name);
  }

  /** Takes a relation out of the catalog, and out of the dataflow the operators only it used. */
  remove(rel: Relation): void {
    const unused: Operator[] = [rel.upstream];
    if (rel.objectKind === 'table') unused.push(rel.store);
    for (const op of rel.objectKind === 'materialized view' ? rel.compiled.operators : []) {
      const n = (this.#users.get(op) ?? 1) - 1;
      if (n > 0) this.#users.set(op, n);
      else {
        this.#users.delete(op);
        unused.push(op);
      }
    }
    this.#ctx.graph.remove(unused);
    forgetShared(this.#shared, unused);
    this.#ctx.relations.delete(rel.name);
  }

  /**
   * A view taking the place of `previous` starts from its rows, taken back in the same epoch:
   * its first delta is then the difference between the old rows and the new. With other
   * columns it starts empty, which what reads it from outside (`outside`) could not follow.
   */
  #startFrom(mat: Materialize, rel: ViewRelation, previous: ViewRelation, outside: readonly string[]): void {
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
    // Replayed by `restore`: the views' rows come back after the catalog, and none is there yet.
    if (!(previous.store.rowsOutside && this.#ctx.restoring()))
      for (const e of previous.store.entries()) {
        rows.push(e.row);
        weights.push(e.weight);
      }
    mat.load(rows, weights);
    // A view that keeps no rows holds these until the statement ends: what reads it meanwhile
    // (a view rebuilt after it) and its first barrier's prior counts start from them.
    if (mat.rowsOutside && rows.length > 0) mat.lend(rows, weights);
    if (rows.length > 0)
      mat.receive(
        chunk(
          rows,
          weights.map((w) => -w),
        ),
      );
  }

  /**
   * Replays what `views` (just created) read of sources: each source's retained events into those
   * views' operators alone, then the source's watermark, so that the windows it closed close.
   */
  async replay(
    views: readonly ViewRelation[],
    retained: (source: string) => AsyncIterable<readonly Row[]>,
  ): Promise<void> {
    const ops = new Set<Operator>();
    const read = new Set<string>();
    for (const v of views) {
      ops.add(v.upstream);
      for (const op of v.compiled.operators) ops.add(op);
      for (const port of v.compiled.scans) {
        ops.add(port);
        read.add(port.relation);
      }
    }
    const graph = this.#ctx.graph;
    for (const name of read) {
      const input = this.#ctx.relations.get(name);
      if (input?.objectKind !== 'source') continue;
      const sourceName = input.sourceName;
      const lateness = input.eventTime.fresh();
      for await (const epoch of retained(input.name)) {
        const rows = lateness.admit(epoch, 0);
        lateness.advance(0, 0);
        for (let start = 0; start < rows.length; start += CHUNK_ROWS)
          confined(ops, () => graph.push(sourceName, rows.slice(start, start + CHUNK_ROWS)));
      }
      const wm = input.eventTime.stats.watermark;
      const column = input.eventTime.column;
      if (wm !== undefined && column !== undefined)
        confined(ops, () => graph.watermark(sourceName, column, wm));
    }
  }
}
