/**
 * The durable engine: the streaming engine with its data directory, so that what a client was
 * told is done survives a crash, and a start continues from the last commit.
 *
 * * Writes: the generator's batches go to its source's durable log before the engine sees
 *   them (LoggedSource); every change a statement makes to a table goes to the DML log, and is
 *   fsynced, before the engine applies it (TableLog) — so an acknowledged INSERT, UPDATE or
 *   DELETE is durable whether or not its epoch has committed yet.
 * * Every epoch, right after its barrier: the logs are fsynced, and one DuckDB transaction
 *   (view-store.ts) commits the epoch's changes of every table and view, the store's tables
 *   for the catalog of that epoch (a catalog change is an epoch of its own), the engine's
 *   state at that epoch (its checkpoint, which leaves the contents of tables and views to the
 *   store) and the log offsets it has consumed. Commits run in epoch order.
 * * On start: the logs must hold everything the last commit consumed (else a clear error and
 *   `tidewatch recover`); the engine is restored from the last committed state, its tables
 *   and views loaded from the store, the logs' records beyond the committed offsets applied
 *   again in their order, and then the catalog set up (`setUp`: the CLI applies the pipeline
 *   files, whose `IF NOT EXISTS` statements are no-ops for what the state already has) and
 *   committed. Nothing acknowledged is lost; nothing is counted twice.
 */
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { LoggedSource } from '../connectors/logged-source.ts';
import { TableLog } from '../connectors/table-log.ts';
import { Engine, type EngineOptions, type StatementResult } from '../engine/engine.ts';
import type { InsertValues } from '../sql/insert-values.ts';
import type { BindParams } from '../sql/params.ts';
import type { Token } from '../sql/tokens.ts';
import type { DataDir } from '../store/data-dir.ts';
import type { DurableLog, FsyncPolicy } from '../store/durable-log.ts';
import { StoreError } from '../store/errors.ts';
import type { RetentionPolicy } from '../store/raw-retention.ts';
import { PendingDeltas, type StoreSchema, ViewStore } from '../store/view-store.ts';
import type { Row } from '../stream/value.ts';
import { CommitBacklog } from './commit-backlog.ts';
import { type CommittedOffsets, openCheckedLog, openTableLog } from './data-logs.ts';
import { committedState, type SavedState } from './saved-state.ts';

export interface DurableEngine {
  readonly engine: Engine;
  readonly store: ViewStore;
  /** The generator source's log, when the pipelines define that source. */
  readonly source: LoggedSource | undefined;
  /** The epoch restored from, if a state was committed before. */
  readonly restoredEpoch: number | undefined;
  /** Records pushed again from the source log at start. */
  readonly replayed: number;
  /** Table changes applied again from the DML log at start. */
  readonly replayedWrites: number;
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
   * A bulk-load INSERT read without the parser (Engine.insertValues), durable when it resolves;
   * undefined when it needs the general path (`execute`).
   */
  insertValues(bulk: InsertValues): Promise<StatementResult | undefined>;
  /**
   * Inserts typed rows (values in the table's column order) into a table, as INSERT does
   * (Engine.insert); resolves with their number once they are durable.
   */
  insertRows(table: string, rows: readonly Row[]): Promise<number>;
  /**
   * Ends the epoch and resolves once it is committed, so that everything done before the call
   * is visible to every reader of the store (RW_IMPLICIT_FLUSH). Calls while a commit is in
   * progress share the next epoch.
   */
  flush(): Promise<void>;
  /** Resolves once every epoch ended so far is committed (or the commits failed). */
  committed(): Promise<void>;
  /**
   * For a source pushing into the engine: resolves once at most `MAX_UNCOMMITTED_EPOCHS`
   * epochs wait for their commit (undefined when that is so already), so that ingestion
   * cannot outrun the store.
   */
  commitsCaughtUp(): Promise<void> | undefined;
  /** Commits a last epoch (unless a commit failed), waits for the commits, releases all. */
  close(): Promise<void>;
}

export interface DurableEngineOptions {
  readonly data: DataDir;
  /**
   * Sets the catalog up once the state is restored and the logs applied again (the CLI applies
   * the pipeline files); its statements' epochs are committed before this resolves.
   */
  readonly setUp: (engine: Engine) => Promise<void>;
  readonly engine: EngineOptions;
  /** The source whose input goes through a durable log (the generator's). */
  readonly loggedSource: string;
  /**
   * When the generator's log is fsynced (default once per epoch, before its commit). The DML
   * log is fsynced before each statement is acknowledged, unless this is `never`.
   */
  readonly logFsync?: FsyncPolicy;
  /** How long and how much of each source's raw events to keep. */
  readonly retention: RetentionPolicy;
  /** A commit failed (disk full…): later epochs cannot be made durable, tidewatch must stop. */
  readonly onFatal: (error: Error) => void;
}

/** Epochs that may wait for their commit before ingestion waits (see CommitBacklog). */
const MAX_UNCOMMITTED_EPOCHS = 2;

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
  };
}

/** Restores or creates the engine, replays the logs, and commits every epoch from now on. */
export async function openDurableEngine(options: DurableEngineOptions): Promise<DurableEngine> {
  const file = join(options.data.path, 'tidewatch.duckdb');
  const store = await ViewStore.open(file);
  let state: SavedState | undefined;
  let committed: CommittedOffsets;
  try {
    ({ state, offsets: committed } = await committedState(store));
  } catch (e) {
    await store.close();
    throw e;
  }
  const engine = new Engine({
    ...options.engine,
    contentsKeptOutside: true,
    dependentsOutside: (relation) =>
      store
        .subscriptions()
        .filter((s) => s.view.toLowerCase() === relation.toLowerCase())
        .map((s) => `subscription ${s.name}`),
  });
  const fsync = options.logFsync ?? 'epoch';
  const notices: string[] = [];
  const pending = new PendingDeltas();
  let restoredEpoch: number | undefined;
  let tableLog: TableLog | undefined;
  let source: LoggedSource | undefined;
  const logs = (): DurableLog[] => [tableLog?.log, source?.log].filter((l) => l !== undefined);
  const closeLogs = () => {
    for (const log of logs()) log.close();
  };
  /** The generator's source log, once the engine has that source. */
  const openSource = (): LoggedSource | undefined => {
    const name = options.loggedSource;
    if (engine.getRelation(name)?.kind !== 'source') return undefined;
    const log = openCheckedLog(options.data.path, name, committed, { fsync }, notices);
    return new LoggedSource(engine, name, log, committed.sources[name] ?? 0);
  };
  let replayed = 0;
  let replayedWrites = 0;
  try {
    if (state !== undefined) {
      await engine.restore(state.engine, (relation) => store.rows(relation));
      restoredEpoch = committed.epoch;
    }
    engine.onStoreCommit((relation, delta) => pending.add(relation, delta));
    engine.onSourceInput((source, rows) => pending.addRaw(source, rows));
    // The logs are applied again in the order their records were made, before anything new
    // (the pipelines' statements included) can add to them.
    tableLog = new TableLog(
      engine,
      openTableLog(options.data.path, committed, { fsync: fsync === 'never' ? 'never' : 'epoch' }, notices),
      committed.tableLog,
    );
    replayedWrites = tableLog.replay();
    tableLog.follow();
    source = openSource();
    replayed = source?.replay() ?? 0;
  } catch (e) {
    closeLogs();
    engine.close();
    await store.close();
    throw e;
  }

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
    new StoreError('unusable', `${file}: an earlier commit failed; tidewatch is stopping`, { path: file });
  const catalogSize = () => engine.catalogHistory.length;
  /** The catalog the store's tables were last brought to; the first commit checks them all. */
  let definedFor = -1;
  engine.onEpoch((epoch) => {
    if (failed) return;
    const deltas = pending.take();
    const raw = pending.takeRaw();
    let schema: StoreSchema | undefined;
    if (catalogSize() !== definedFor) {
      schema = schemaOf(engine, options.retention);
      definedFor = catalogSize();
    }
    let state: Uint8Array;
    const consumed = {
      table: tableLog?.offset ?? committed.tableLog,
      source: source?.offset,
    };
    try {
      for (const log of logs()) log.sync();
      const saved: SavedState = {
        kind: 'tidewatch-state',
        version: 1,
        engine: engine.checkpoint(),
        offsets:
          consumed.source === undefined
            ? committed.sources
            : { ...committed.sources, [options.loggedSource]: consumed.source },
        tableLogOffset: consumed.table,
      };
      state = serialize(saved);
    } catch (e) {
      fail(e);
      return;
    }
    backlog.add();
    commits = commits
      .then(async () => {
        if (failed) return;
        await store.commit(epoch, deltas, state, raw, schema);
        // What the store now holds need not be kept in the DML log.
        tableLog?.log.truncateBefore(consumed.table);
      })
      .catch(fail)
      .finally(() => backlog.done());
  });

  try {
    await options.setUp(engine);
    source ??= openSource();
    // What start-up did — the pipelines' catalog, what the logs gave back — is committed before
    // anything new comes in: an event must never reach a view whose CREATE a crash could take
    // back (after a restart that view would be created again, after the event's replay).
    engine.flush();
    await commits;
    if (failed) throw unusable();
  } catch (e) {
    engine.close();
    await commits;
    closeLogs();
    await store.close();
    throw e;
  }

  /**
   * Resolves once every table change made so far is fsynced in the DML log (shared with the
   * statements of other sessions). A change is applied before its fsync ends, so a failed
   * fsync stops tidewatch: what it applied might not survive a crash.
   */
  const durable = async (): Promise<void> => {
    try {
      await tableLog?.log.syncAsync();
    } catch (e) {
      fail(e);
      throw e;
    }
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

  return {
    engine,
    store,
    source,
    restoredEpoch,
    replayed,
    replayedWrites,
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
      if (error !== undefined) throw error;
      if (failed && results?.some((r) => DML.has(r.tag)) === true) throw unusable();
      return results ?? [];
    },
    async insertValues(bulk) {
      if (failed) throw unusable();
      const result = engine.insertValues(bulk);
      await durable();
      return result;
    },
    async insertRows(table, rows) {
      if (failed) throw unusable();
      const n = engine.insert(table, rows);
      await durable();
      return n;
    },
    flush,
    committed: () => commits,
    commitsCaughtUp: () => backlog.atMost(MAX_UNCOMMITTED_EPOCHS),
    async close() {
      // The epoch timer stops first: no commit may start while the store closes.
      engine.close();
      backlog.release();
      // A clean stop commits what came in since the last epoch: nothing left to replay.
      if (!failed) engine.flush();
      await commits;
      closeLogs();
      await store.close();
    },
  };
}
