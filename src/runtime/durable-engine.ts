/**
 * The durable engine: the streaming engine with its data directory, so that what a client was
 * told is done survives a crash, and a start continues from the last commit.
 *
 * * Input: each source is fed by a connector the runtime pulls batches from (Ingestion), the
 *   position after each batch committed with its epoch; input that cannot be read again (the
 *   generator, HTTP, stdin) goes through the source's durable log first (LogInput). Writes:
 *   every change a statement makes to a table goes to the DML log, and is
 *   fsynced, before the engine applies it (TableLog) — so an acknowledged INSERT, UPDATE or
 *   DELETE is durable whether or not its epoch has committed yet.
 * * Every epoch, right after its barrier: the logs are fsynced, and one DuckDB transaction
 *   (view-store.ts) commits the epoch's changes of every table and view, the store's tables
 *   for the catalog of that epoch (a catalog change is an epoch of its own), the engine's
 *   state at that epoch (its checkpoint, which leaves the contents of tables and views to the
 *   store) and the log offsets it has consumed. Commits run in epoch order; epochs that ended
 *   while the store was busy are committed together (commit-groups.ts).
 * * On start: the logs must hold everything the last commit consumed (else a clear error and
 *   `tidewatch recover`); the engine is restored from the last committed state, its tables
 *   and views loaded from the store, the logs' records beyond the committed offsets applied
 *   again in their order, and then the catalog set up (`setUp`: the CLI applies the pipeline
 *   files, whose `IF NOT EXISTS` statements are no-ops for what the state already has) and
 *   committed. Nothing acknowledged is lost; nothing is counted twice.
 */

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LogDecoder, LogInput } from '../connectors/log-input.ts';
import { type CopyReader, TableLog } from '../connectors/table-log.ts';
import {
  Engine,
  type EngineOptions,
  type SinkSpec,
  type SourceSpec,
  type StatementResult,
  type WrittenAs,
} from '../engine/engine.ts';
import type { ConvertedInsertValues } from '../engine/insert-values-rows.ts';
import type { BindParams } from '../sql/params.ts';
import type { Token } from '../sql/tokens.ts';
import { PhaseTimer } from '../store/commit-phases.ts';
import { type DurableLog, type FsyncPolicy, sourceLogDir } from '../store/durable-log.ts';
import { StoreError } from '../store/errors.ts';
import type { RetentionPolicy } from '../store/raw-retention.ts';
import { type OperatorStateWrite, PendingDeltas, type StoreSchema } from '../store/view-store.ts';
import type { StateRecord } from '../stream/graph.ts';
import type { Row } from '../stream/value.ts';
import { type AttackLabel, AttackLabelFile } from './attack-labels.ts';
import { CommitBacklog } from './commit-backlog.ts';
import { type EndedEpoch, epochPhases, mergeEndedEpochs, takeCommitGroup } from './commit-groups.ts';
import { CommitLatency, type CommitLatencyFigures } from './commit-latency.ts';
import { type CommittedOffsets, openCheckedLog, openTableLog } from './data-logs.ts';
import type { EngineSavedState, EpochStore } from './epoch-store.ts';
import { IncrementalCheckpoints } from './incremental-checkpoints.ts';
import { Ingestion, type IngestionStatus } from './ingestion.ts';
import { PipelineOrigins } from './pipeline-origins.ts';
import type { RawGathering } from './raw-spool.ts';
import type { SavedState } from './saved-state.ts';
import type { SourceConnector, SourceReader } from './source.ts';
import { packOperatorStates } from './state-bytes.ts';

export interface DurableEngine {
  readonly engine: Engine;
  /** The epoch restored from, if a state was committed before. */
  readonly restoredEpoch: number | undefined;
  /** Table changes applied again from the DML log at start. */
  readonly replayedWrites: number;
  /** Records the log inputs opened so far held beyond the last commit at their opening. */
  replayedRecords(): number;
  /** What opening the data directory repaired or noticed (a torn log tail cut, a stale lock taken over). */
  readonly notices: readonly string[];
  /**
   * Runs statements of a client (the PostgreSQL endpoint): DML returns once its changes are
   * durable (in the DML log); a statement that changes the catalog defines or drops its
   * tables in the store and is durable when this returns (its epoch is committed); FLUSH
   * returns once its epoch is committed, so that a query of the store that follows sees it.
   * `params` bind `$1…$n` (Engine.execute).
   */
  execute(sql: string, params?: BindParams, tokens?: readonly Token[]): Promise<StatementResult[]>;
  /**
   * A bulk-load INSERT read without the parser, or converted already (Engine.insertValues),
   * durable when it resolves; undefined when it needs the general path (`execute`).
   */
  insertValues(bulk: string | ConvertedInsertValues): Promise<StatementResult | undefined>;
  /**
   * Inserts typed rows (values in the table's column order) into a table, as INSERT does
   * (Engine.insert); resolves with their number once they are durable.
   */
  insertRows(table: string, rows: readonly Row[], writtenAs?: WrittenAs): Promise<number>;
  /**
   * Ends the epoch and resolves once it is committed, so that everything done before the call
   * is visible to every reader of the store (RW_IMPLICIT_FLUSH). Calls while a commit is in
   * progress share the next epoch.
   */
  flush(): Promise<void>;
  /** From each epoch's barrier to its commit in the store, over the last minute. */
  commitLatency(): CommitLatencyFigures;
  /** Resolves once every epoch ended so far is committed (or the commits failed). */
  committed(): Promise<void>;
  /**
   * For a source pushing into the engine: resolves once at most `MAX_UNCOMMITTED_EPOCHS`
   * epochs wait for their commit (undefined when that is so already), so that ingestion
   * cannot outrun the store.
   */
  commitsCaughtUp(): Promise<void> | undefined;
  /**
   * Feeds a source from input that cannot be read again (the generator, HTTP posts, stdin)
   * through a durable log: what is appended is read back from the log by offset, decoded by the
   * source's FORMAT (`options.decoderFor`), also after a crash (`replay`: records beyond the
   * last commit, read first). Units of another kind (`--input -` in an access-log format) go
   * to a log of their own, which records their format: a later start reads what it holds beyond
   * the last commit, with or without that input. The same one for every caller of a kind and
   * format; undefined when the engine has no source of that name.
   */
  logInput(
    source: string,
    units?: OtherUnits,
  ): { readonly input: LogInput; readonly replay: number } | undefined;
  /**
   * Runs the connector of every source that has one (`options.connectorFor`), from its
   * committed position; sources created later get theirs once their CREATE is committed.
   * `instead` replaces a source's connector: with another (files given on the command line) or
   * with none (null: the generator feeds it through its log input).
   */
  feedConnectors(instead: ReadonlyMap<string, SourceConnector<unknown> | null>): Promise<void>;
  /** How each fed source's ingestion is doing (its log input's, its connector's), by source name. */
  ingestion(): Readonly<Record<string, readonly IngestionStatus[]>>;
  /** Stops ingestion, commits a last epoch (unless a commit failed), waits for the commits, releases all. */
  close(): Promise<void>;
  /**
   * Keeps the labels of attack episodes whose first events are about to be appended to
   * `source`'s log input, at the offsets given (durable when this returns); each reaches
   * `tidewatch_attack_labels` in the epoch that consumes its first event.
   */
  recordAttackLabels(
    source: string,
    labels: readonly { readonly label: AttackLabel; readonly offset: number }[],
  ): void;
  /** Attack labels in the data directory, every run's. */
  attackLabels(): number;
}

/** What `setUp` is given beside the engine. */
export interface StartUp {
  /** Which relations built-in pipelines created; what `setUp` records here is committed with its epochs. */
  readonly origins: PipelineOrigins;
  /**
   * Builds views again from retained input, in one committed catalog change
   * (`Engine.replaceViews`, each source's retained raw events from the store).
   */
  replaceViews(definitions: ReadonlyMap<string, string>): Promise<readonly string[]>;
}

/** What the last commit holds (`committedState`), read from the store by its owner. */
export interface CommittedState {
  readonly state: SavedState | undefined;
  readonly operators: ReadonlyMap<number, readonly StateRecord[]> | undefined;
  readonly offsets: CommittedOffsets;
}

export interface DurableEngineOptions {
  /** The data directory's path: the durable logs are in it. */
  readonly dataDir: string;
  /** The store the epochs are committed to, and what its last commit holds. */
  readonly store: EpochStore;
  readonly committed: CommittedState;
  /** A DROP ran (also a dropped relation's CASCADE): the store's side forgets its grants. */
  readonly onRelationDropped?: (relation: string) => void;
  /**
   * Sets the catalog up once the state is restored and the logs applied again (the CLI applies
   * the pipeline files); its statements' epochs are committed before this resolves. No epoch
   * ends on the clock before it is done.
   */
  readonly setUp: (engine: Engine, startUp: StartUp) => Promise<void>;
  readonly engine: EngineOptions;
  /**
   * When the sources' durable logs are fsynced (default once per epoch, before its commit;
   * `appendDurably` always). The DML log is fsynced before each statement is acknowledged,
   * unless this is `never`.
   */
  readonly logFsync?: FsyncPolicy;
  /** Size of the sources' durable log segments (default: the log's). */
  readonly logSegmentBytes?: number;
  /** How long and how much of each source's raw events to keep. */
  readonly retention: RetentionPolicy;
  /** A commit failed (disk full…): later epochs cannot be made durable, tidewatch must stop. */
  readonly onFatal: (error: Error) => void;
  /** The connector a source's definition names (undefined: it has none). */
  readonly connectorFor?: (source: SourceSpec) => SourceConnector<unknown> | undefined;
  /**
   * The decoder of a source's units: in its FORMAT, or in `format` for a log input of another
   * kind of units (`OtherUnits.format`, also when read back after a restart).
   */
  readonly decoderFor?: (source: SourceSpec, format?: string) => LogDecoder;
  /** Reads a COPY the DML log kept as its data (the endpoint's COPY FROM); without it, such a record stops the start. */
  readonly readCopy?: CopyReader;
}

/** Units of a log input that are not in its source's FORMAT (lines of stdin in an access-log format). */
export interface OtherUnits {
  /** Where they come from (`stdin`). */
  readonly kind: string;
  /** Their format, as `decoderFor` takes it. */
  readonly format: string;
}

/** What the log of other units records about them (`units.json` in its directory). */
interface UnitsFile extends OtherUnits {
  readonly source: string;
}

const UNITS_FILE = 'units.json';

/** The log of a source's other units: one per kind and format, so that each is read back as written. */
function otherUnitsLog(source: string, units: OtherUnits): string {
  const format = createHash('sha256').update(units.format).digest('hex').slice(0, 12);
  return `${source}#${units.kind}-${format}`;
}

/** The other-units logs in the data directory, as their `units.json` describe them. */
function otherUnitsLogs(dataDir: string): UnitsFile[] {
  const dir = join(dataDir, 'log');
  if (!existsSync(dir)) return [];
  const found: UnitsFile[] = [];
  for (const entry of readdirSync(dir)) {
    const file = join(dir, entry, UNITS_FILE);
    if (existsSync(file)) found.push(JSON.parse(readFileSync(file, 'utf8')) as UnitsFile);
  }
  return found;
}

/**
 * Epochs that may wait for their commit before ingestion waits (see CommitBacklog). One: at
 * `--generator-rate max` with both pipelines, committed events/s were the same as with two
 * (26,790 and 30,322 against 24,208 and 29,373) and freshness p50 3.7–3.8 s against 5.0–5.3 s.
 */
const MAX_UNCOMMITTED_EPOCHS = 1;

const DML = new Set(['INSERT', 'UPDATE', 'DELETE']);

/** The store's tables for the engine's catalog now. */
function schemaOf(engine: Engine, retention: RetentionPolicy): StoreSchema {
  const relations = engine.relations();
  const columns = (r: (typeof relations)[number]) => r.columns.map((c) => ({ name: c.name, type: c.type }));
  return {
    views: relations
      .filter((r) => r.kind !== 'source')
      .map((r) => ({ name: r.name, columns: columns(r), key: r.key, appendOnly: r.appendOnly })),
    sources: relations
      .filter((r) => r.kind === 'source')
      .map((r) => ({ name: r.name, columns: columns(r), retention })),
    sinks: engine.sinks().map((s) => ({ name: s.name, view: s.from, snapshot: snapshotOption(s) })),
  };
}

/** A sink's `snapshot` option (RisingWave's): its relation's rows at CREATE are delivered first unless 'false'. */
function snapshotOption(sink: SinkSpec): boolean {
  return sink.options.get('snapshot')?.trim().toLowerCase() !== 'false';
}

/** Restores or creates the engine, replays the logs, and commits every epoch from now on. */
export async function openDurableEngine(options: DurableEngineOptions): Promise<DurableEngine> {
  const { store, dataDir } = options;
  const { state, operators: operatorStates, offsets: committed } = options.committed;
  /** The fsync that written statements wait on for their answer, while one runs (`durable`). */
  let answering: Promise<void> | undefined;
  const engine = new Engine({
    ...options.engine,
    // Start-up ends its epochs itself: none may commit a state it is still repairing.
    autoEpoch: false,
    contentsKeptOutside: true,
    // The store's rows are the engine's last barrier's once the commits so far are done.
    readKept: async (relation) => {
      await commits;
      if (failed) throw unusable();
      return store.rows(relation);
    },
    incrementalCheckpoints: true,
    epochsAfter: () => answering,
    // Subscriptions live in the store; sinks are the engine's own catalog objects.
    dependentsOutside: (relation) =>
      store
        .subscriptions()
        .filter((s) => s.view.toLowerCase() === relation.toLowerCase())
        .map((s) => `subscription ${s.name}`),
  });
  const fsync = options.logFsync ?? 'epoch';
  const notices: string[] = [];
  const pending = new PendingDeltas();
  /** Where each source's raw events go until their epoch ends: `pending`, or the store's spool. */
  let gatherRaw: RawGathering = pending;
  let restoredEpoch: number | undefined;
  let tableLog: TableLog | undefined;
  /** A source's ingestion: through its durable log, or from its connector (one of each at most). */
  interface Fed {
    readonly ingestion: Ingestion<unknown>;
    readonly stop: AbortController;
    readonly done: Promise<void>;
  }
  /** Log inputs by their log's name (the source's, or `source#kind` for another kind of units). */
  const logFed = new Map<
    string,
    Fed & { readonly source: string; readonly input: LogInput; readonly replay: number }
  >();
  const connectorFed = new Map<string, Fed>();
  /** Connectors run instead of the ones sources name (null: none). */
  let instead: ReadonlyMap<string, SourceConnector<unknown> | null> = new Map();
  const logs = (): DurableLog[] =>
    [tableLog?.log, ...[...logFed.values()].map((f) => f.input.log)].filter((l) => l !== undefined);
  const closeLogs = () => {
    for (const log of logs()) log.close();
  };
  let replayedWrites = 0;
  const origins = new PipelineOrigins(state?.pipelines);
  let labels: AttackLabelFile | undefined;
  try {
    labels = new AttackLabelFile(join(dataDir, 'attack-labels.ndjson'), {
      fsync: fsync !== 'never',
      committed: (source) => committed.sources[source] ?? 0,
      notices,
    });
    if (state !== undefined) {
      await engine.restore(state.engine, (relation) => store.rows(relation), operatorStates);
      restoredEpoch = committed.epoch;
    }
    // Restoring runs the catalog's drops again: the grants restored are those after them.
    engine.onRelationDropped((relation) => {
      options.onRelationDropped?.(relation);
      origins.forget(relation);
    });
    const objects = new Set([...engine.relations(), ...engine.sinks()].map((o) => o.name));
    origins.keepOnly((relation) => objects.has(relation));
    engine.onStoreCommit((relation, delta) => pending.add(relation, delta));
    gatherRaw =
      store.rawGathering?.((source) => {
        const rel = engine.getRelation(source);
        return rel?.kind === 'source' ? rel.columns : undefined;
      }) ?? pending;
    engine.onSourceInput((source, rows) => gatherRaw.addRaw(source, rows));
    // The logs are applied again in the order their records were made, before anything new
    // (the pipelines' statements included) can add to them.
    tableLog = new TableLog(
      engine,
      openTableLog(dataDir, committed, { fsync: fsync === 'never' ? 'never' : 'epoch' }, notices),
      committed.tableLog,
      options.readCopy,
    );
    replayedWrites = tableLog.replay();
    tableLog.follow();
  } catch (e) {
    labels?.close();
    closeLogs();
    engine.close();
    throw e;
  }
  const labelFile = labels;

  let failed = false;
  let commits: Promise<void> = Promise.resolve();
  const backlog = new CommitBacklog();
  const fail = (e: unknown) => {
    if (failed) return;
    failed = true;
    backlog.release();
    options.onFatal(e instanceof Error ? e : new Error(String(e)));
  };
  const unusable = () =>
    new StoreError('unusable', `${dataDir}: an earlier commit failed; tidewatch is stopping`, {
      path: dataDir,
    });
  const catalogSize = () => engine.catalogHistory.length;
  const checkpoints = new IncrementalCheckpoints();
  /** The catalog the store's tables were last brought to; the first commit checks them all. */
  let definedFor = -1;
  const latency = new CommitLatency();
  /** Epochs ended and checkpointed, oldest first, waiting for the store. */
  const ended: EndedEpoch[] = [];
  /**
   * Commits the epochs ended so far that can go together (`takeCommitGroup`) as one store
   * transaction. Each ended epoch queues a call; when the store fell behind, the first call
   * takes its followers and theirs find nothing left.
   */
  const commitEnded = async (): Promise<void> => {
    const group = takeCommitGroup(ended);
    if (group.length === 0) return;
    try {
      if (failed) return;
      for (const e of group) e.timer.lap('earlier_commits');
      const last = group[group.length - 1] as EndedEpoch;
      const merged = mergeEndedEpochs(group);
      // The store writes the epochs while their operator states are packed and logs fsynced.
      const phases = await store.commit({
        epoch: last.epoch,
        deltas: merged.deltas,
        saved: last.saved,
        raw: merged.raw,
        schema: group[0]?.schema,
        deadLetters: merged.deadLetters,
        labels: merged.labels,
        operators: group.map((e) => ({ epoch: e.epoch, write: e.operators })),
        durableFirst: Promise.all(group.map((e) => e.logsSynced)),
      });
      latency.committed(group.map((e) => ({ barrierAt: e.barrierAt, phases: epochPhases(e, phases) })));
      // What the store now holds need not be kept in the logs (the store keeps raw events
      // for --retain-hours): a log keeps the segment the next read starts in, and what follows.
      tableLog?.log.truncateBefore(last.consumedTable);
      for (const [log, consumed] of last.consumedLogs) if (!log.isClosed) log.truncateBefore(consumed);
    } finally {
      for (const _ of group) backlog.done();
    }
  };
  engine.onEpoch((epoch, barrierAt) => {
    if (failed) return;
    const timer = new PhaseTimer();
    const barrierMs = timer.started - barrierAt;
    const deltas = pending.take();
    const raw = gatherRaw.takeRaw();
    const deadLetters = pending.takeDeadLetters();
    let schema: StoreSchema | undefined;
    if (catalogSize() !== definedFor) {
      schema = schemaOf(engine, options.retention);
      definedFor = catalogSize();
    }
    let saved: EngineSavedState;
    let operators: Promise<OperatorStateWrite>;
    let released: ReturnType<AttackLabelFile['release']>;
    const consumedTable = tableLog?.offset ?? committed.tableLog;
    // What the epoch consumed is fsynced off the event loop; its commit waits for that (a commit
    // must never name an offset its log could lose).
    let logsSynced: Promise<unknown>;
    /** Each source log and where the epoch leaves it: what is before is the store's now. */
    const consumedLogs: [DurableLog, number][] = [];
    try {
      logsSynced = Promise.all(logs().map((log) => log.syncAsync()));
      logsSynced.catch(() => undefined); // awaited by its commit, after the commits before it
      const offsets: Record<string, number> = { ...committed.sources };
      const positions: Record<string, unknown> = { ...committed.positions };
      for (const [name, f] of logFed) {
        const at = f.ingestion.position;
        if (at !== undefined) offsets[name] = at as number;
        const consumed = offsets[name];
        if (consumed !== undefined) consumedLogs.push([f.input.log, consumed]);
      }
      for (const [name, f] of connectorFed) {
        const at = f.ingestion.position;
        if (at !== undefined) positions[name] = { connector: f.ingestion.kind, at };
      }
      const taken = checkpoints.take(engine, catalogSize());
      operators = packOperatorStates(taken.operators);
      operators.catch(() => undefined); // awaited by its commit, after the commits before it
      saved = {
        kind: 'tidewatch-state',
        version: 1,
        engine: taken.checkpoint,
        offsets,
        positions,
        tableLogOffset: consumedTable,
        pipelines: origins.snapshot(),
      };
      released = labelFile.release(offsets);
    } catch (e) {
      fail(e);
      return;
    }
    timer.lap('checkpoint');
    ended.push({
      epoch,
      barrierAt,
      barrierMs,
      timer,
      deltas,
      raw,
      deadLetters,
      schema,
      saved,
      operators,
      labels: released,
      logsSynced,
      consumedTable,
      consumedLogs,
    });
    backlog.add();
    commits = commits.then(commitEnded).catch(fail);
  });

  const replaceViews = (definitions: ReadonlyMap<string, string>) =>
    engine.replaceViews(definitions, (source) => store.retainedEvents(source));
  try {
    const stale = engine.staleViews();
    if (stale.length > 0) {
      // Before anything commits: a commit would keep these views' operators empty for good.
      const rebuilt = await replaceViews(new Map());
      notices.push(
        `views ${stale.join(', ')} were saved with operators this version builds otherwise; ` +
          `built again with the views reading them from the retained raw events (--retain-hours): ${rebuilt.join(', ')}`,
      );
    }
    await options.setUp(engine, { origins, replaceViews });
    // What start-up did — the pipelines' catalog, what the logs gave back — is committed before
    // anything new comes in: an event must never reach a view whose CREATE a crash could take
    // back (after a restart that view would be created again, after the event's replay).
    engine.flush();
    await commits;
    if (failed) throw unusable();
    if (options.engine.autoEpoch !== false) engine.setEpochMs(options.engine.epochMs ?? 1000);
  } catch (e) {
    engine.close();
    await commits;
    closeLogs();
    labelFile.close();
    throw e;
  }

  /**
   * Resolves once every table change made so far is fsynced in the DML log (shared with the
   * statements of other sessions). A change is applied before its fsync ends, so a failed
   * fsync stops tidewatch: what it applied might not survive a crash.
   */
  const durable = async (): Promise<void> => {
    const sync = tableLog?.log.syncAsync();
    answering = sync;
    try {
      await sync;
    } catch (e) {
      fail(e);
      throw e;
    } finally {
      if (answering === sync) answering = undefined;
    }
  };

  /**
   * Once a fast INSERT or a COPY is answered, its rows go through the views: the work then
   * overlaps the client's next statement instead of delaying this one's answer.
   */
  let applyScheduled = false;
  const applyAfterAnswer = (): void => {
    if (applyScheduled) return;
    applyScheduled = true;
    setImmediate(() => {
      applyScheduled = false;
      if (failed) return;
      try {
        engine.applyDeferred();
      } catch (e) {
        fail(e);
      }
    });
  };

  /** An epoch end that waits for the commits in progress, shared by everyone who asks meanwhile. */
  let nextFlush: Promise<void> | undefined;
  const flush = (): Promise<void> => {
    nextFlush ??= commits.then(() => {
      nextFlush = undefined;
      if (failed) throw unusable();
      engine.flush();
      return commits.then(() => {
        if (failed) throw unusable();
      });
    });
    return nextFlush;
  };

  /** Runs a source's ingestion from `reader`, opened at `position`. */
  const feed = <P>(source: string, kind: string, reader: SourceReader<P>, position: P | undefined): Fed => {
    const ingestion = new Ingestion<P>(
      kind,
      {
        engine,
        source,
        caughtUp: () => backlog.atMost(MAX_UNCOMMITTED_EPOCHS),
        deadLetters: (name, letters) => pending.addDeadLetters(name, letters),
      },
      reader,
      position,
    );
    const stop = new AbortController();
    const done = ingestion.run(stop.signal).finally(() => reader.close());
    return { ingestion: ingestion as Ingestion<unknown>, stop, done };
  };

  /** `DurableEngine.logInput`. */
  const openLogInput = (
    source: string,
    units?: OtherUnits,
  ): { readonly input: LogInput; readonly replay: number } | undefined => {
    const name = units === undefined ? source : otherUnitsLog(source, units);
    const existing = logFed.get(name);
    if (existing !== undefined) return existing;
    const spec = engine.sourceSpec(source);
    if (spec === undefined) return undefined;
    const decodeUnit = options.decoderFor?.(spec, units?.format);
    if (decodeUnit === undefined) throw new Error(`no decoder for the units of source ${source}`);
    const log = openCheckedLog(
      dataDir,
      name,
      committed,
      { fsync, ...(options.logSegmentBytes === undefined ? {} : { segmentBytes: options.logSegmentBytes }) },
      notices,
    );
    if (units === undefined) labelFile.cutOrphans(source, log.nextOffset);
    if (units !== undefined) {
      const file = join(log.dir, UNITS_FILE);
      if (!existsSync(file)) {
        // Whole or absent after a crash: written aside, then renamed.
        writeFileSync(`${file}.new`, JSON.stringify({ source, ...units } satisfies UnitsFile));
        renameSync(`${file}.new`, file);
      }
    }
    const from = committed.sources[name] ?? 0;
    const input = new LogInput({
      source,
      log,
      decode: decodeUnit,
      alive: () => engine.sourceSpec(source) !== undefined,
      hold: () => engine.holdIdle(source),
      from,
    });
    const fed = {
      ...feed(source, input.kind, input.reader(from), from),
      source,
      input,
      replay: log.nextOffset - from,
    };
    logFed.set(name, fed);
    return fed;
  };

  /**
   * Brings the feeding to the catalog: a dropped source's feeding stops (its durable log goes
   * with it, so that a source created again under its name starts afresh), and every source with
   * a connector that nothing else feeds gets it running, from its committed position.
   */
  /**
   * The durable logs an earlier run left (what was posted, generated or piped to a source): what
   * lies beyond the committed offset is read at once, not only once something is appended
   * again. Logs made later are opened by the `logInput` that makes them.
   */
  const openRestoredLogs = (): void => {
    for (const name of engine.list('source'))
      if (!logFed.has(name) && existsSync(sourceLogDir(dataDir, name))) openLogInput(name);
    for (const { source, kind, format } of otherUnitsLogs(dataDir))
      if (engine.sourceSpec(source) !== undefined) openLogInput(source, { kind, format });
  };

  const reconcile = async (): Promise<void> => {
    for (const [name, f] of logFed) {
      if (engine.sourceSpec(f.source) !== undefined) continue;
      logFed.delete(name);
      f.stop.abort();
      await f.done;
      f.input.log.close();
      rmSync(sourceLogDir(dataDir, name), { recursive: true, force: true });
    }
    for (const [name, f] of connectorFed) {
      if (engine.sourceSpec(name) !== undefined) continue;
      connectorFed.delete(name);
      f.stop.abort();
      await f.done;
    }
    for (const name of engine.list('source')) {
      const spec = engine.sourceSpec(name);
      if (connectorFed.has(name) || spec === undefined) continue;
      const connector = instead.has(name) ? instead.get(name) : options.connectorFor?.(spec);
      if (connector === undefined || connector === null) continue;
      // A position is the connector's own: another connector (files instead of Kafka) starts afresh.
      const saved = committed.positions[name] as { connector: string; at: unknown } | undefined;
      const position = saved?.connector === connector.kind ? saved.at : undefined;
      connectorFed.set(name, feed(name, connector.kind, await connector.open(position), position));
    }
  };

  return {
    engine,
    restoredEpoch,
    replayedWrites,
    replayedRecords: () => [...logFed.values()].reduce((sum, f) => sum + f.replay, 0),
    notices,
    async execute(sql, params, tokens) {
      const before = catalogSize();
      let results: StatementResult[] | undefined;
      let error: unknown;
      try {
        results = await engine.execute(sql, params, tokens);
      } catch (e) {
        error = e; // the statements before the failing one did run
      }
      await durable();
      // A catalog change ended its epoch already (Engine.execute), and FLUSH too.
      if (catalogSize() !== before || results?.some((r) => r.tag === 'FLUSH') === true) {
        await commits;
        if (failed) throw unusable();
      }
      if (catalogSize() !== before) await reconcile();
      if (error !== undefined) throw error;
      if (failed && results?.some((r) => DML.has(r.tag)) === true) throw unusable();
      return results ?? [];
    },
    async insertValues(bulk) {
      if (failed) throw unusable();
      const result = engine.insertValues(bulk, true);
      if (result === undefined) return undefined;
      await durable();
      applyAfterAnswer();
      return result;
    },
    async insertRows(table, rows, writtenAs) {
      if (failed) throw unusable();
      const n = engine.insert(table, rows, writtenAs, true);
      await durable();
      applyAfterAnswer();
      return n;
    },
    logInput: openLogInput,
    async feedConnectors(replacements) {
      instead = new Map(replacements);
      openRestoredLogs();
      await reconcile();
    },
    ingestion() {
      const out: Record<string, IngestionStatus[]> = {};
      for (const [name, f] of [...[...logFed.values()].map((f) => [f.source, f] as const), ...connectorFed])
        out[name] = [...(out[name] ?? []), f.ingestion.status()];
      return out;
    },
    flush,
    commitLatency: () => latency.figures(),
    recordAttackLabels: (source, entries) => labelFile.append(source, entries),
    attackLabels: () => labelFile.total,
    committed: () => commits,
    commitsCaughtUp: () => backlog.atMost(MAX_UNCOMMITTED_EPOCHS),
    async close() {
      // Ingestion stops first, then the epoch timer: no commit may start while the store closes.
      const fedNow = [...logFed.values(), ...connectorFed.values()];
      for (const f of fedNow) f.stop.abort();
      backlog.release();
      await Promise.allSettled(fedNow.map((f) => f.done));
      engine.close();
      // A clean stop commits what came in since the last epoch: nothing left to replay.
      if (!failed) engine.flush();
      await commits;
      closeLogs();
      labelFile.close();
    },
  };
}
