/**
 * What makes `start` crash-safe: every epoch is committed to the data directory, and a start
 * continues from the last commit.
 *
 * * Every epoch, right after its barrier: the generator source's durable log is fsynced, and
 *   one DuckDB transaction (view-store.ts) commits the epoch's changes of every table and
 *   view together with the engine's state at that epoch (its checkpoint, which leaves the
 *   contents of tables and views to the store) and the log offset it has consumed. Commits
 *   run in epoch order, after the epoch is visible in memory.
 * * On start: the engine is restored from the last committed state, its tables and views
 *   loaded from the store, the pipelines applied (their `IF NOT EXISTS` statements are
 *   no-ops for what the state already has), and the records the log holds beyond the
 *   committed offset pushed again. Nothing acknowledged is lost; nothing is counted twice.
 */
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { LoggedSource } from '../connectors/logged-source.ts';
import { Engine, type EngineCheckpoint, type EngineOptions, type StatementResult } from '../engine/engine.ts';
import type { BindParams } from '../sql/params.ts';
import type { DataDir } from '../store/data-dir.ts';
import { type FsyncPolicy, openSourceLog } from '../store/durable-log.ts';
import { StoreError } from '../store/errors.ts';
import type { RetentionPolicy } from '../store/raw-retention.ts';
import { PendingDeltas, type ViewColumn, ViewStore } from '../store/view-store.ts';
import type { Row } from '../stream/value.ts';
import { CommitBacklog } from './commit-backlog.ts';
import { applyPipelines } from './pipelines.ts';

interface SavedState {
  readonly kind: 'tidewatch-state';
  readonly version: 1;
  readonly engine: EngineCheckpoint;
  /** Per logged source, the first offset the engine has not consumed. */
  readonly offsets: Readonly<Record<string, number>>;
}

export interface DurableEngine {
  readonly engine: Engine;
  readonly store: ViewStore;
  /** The generator source's log, when the pipelines define that source. */
  readonly source: LoggedSource | undefined;
  /** The epoch restored from, if a state was committed before. */
  readonly restoredEpoch: number | undefined;
  /** Records pushed again from the log at start. */
  readonly replayed: number;
  /**
   * Runs statements of a client (the PostgreSQL endpoint): a statement that changes the
   * catalog defines or drops its tables in the store and is durable when this returns (an
   * epoch is ended and committed); FLUSH returns once its epoch is committed, so that a
   * query of the store that follows sees it. `params` bind `$1…$n` (Engine.execute).
   */
  execute(sql: string, params?: BindParams): Promise<StatementResult[]>;
  /**
   * Inserts typed rows (values in the table's column order) into a table, as INSERT does
   * (Engine.insert); resolves with their number once they are durable.
   */
  insertRows(table: string, rows: readonly Row[]): Promise<number>;
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
  readonly pipelines: readonly string[];
  readonly engine: EngineOptions;
  /** The source whose input goes through a durable log (the generator's). */
  readonly loggedSource: string;
  /** When the durable log is fsynced (default once per epoch, before its commit). */
  readonly logFsync?: FsyncPolicy;
  /** How long and how much of each source's raw events to keep. */
  readonly retention: RetentionPolicy;
  /** A commit failed (disk full…): later epochs cannot be made durable, tidewatch must stop. */
  readonly onFatal: (error: Error) => void;
}

/** Epochs that may wait for their commit before ingestion waits (see CommitBacklog). */
const MAX_UNCOMMITTED_EPOCHS = 2;

function parseState(file: string, bytes: Uint8Array): SavedState {
  let state: SavedState | undefined;
  try {
    state = deserialize(bytes) as SavedState;
  } catch {
    state = undefined;
  }
  if (state?.kind !== 'tidewatch-state' || state.version !== 1)
    throw new StoreError('corrupt', `${file} holds no tidewatch state of version 1`, { path: file });
  return state;
}

function storedColumns(engine: Engine, name: string) {
  return (engine.getRelation(name)?.columns ?? []).map((c) => ({ name: c.name, type: c.type }));
}

/** The tables the store must hold for the engine's catalog at one moment (see `applyStoreTables`). */
interface StoreTables {
  readonly views: readonly { name: string; columns: ViewColumn[]; key: readonly number[] | undefined }[];
  readonly sources: readonly { name: string; columns: ViewColumn[] }[];
}

function storeTablesOf(engine: Engine): StoreTables {
  const keys = new Map(engine.relations().map((r) => [r.name, r.key]));
  return {
    views: [...engine.list('table'), ...engine.list('materialized view')].map((name) => ({
      name,
      columns: storedColumns(engine, name),
      key: keys.get(name),
    })),
    sources: engine.list('source').map((name) => ({ name, columns: storedColumns(engine, name) })),
  };
}

/**
 * Every table and view of `tables` has its table in the store, every source its table of
 * retained raw events, and nothing else does.
 */
async function applyStoreTables(
  store: ViewStore,
  tables: StoreTables,
  retention: RetentionPolicy,
): Promise<void> {
  const views = new Set(tables.views.map((v) => v.name));
  const sources = new Set(tables.sources.map((s) => s.name));
  for (const v of store.views()) if (!views.has(v.name)) await store.dropView(v.name);
  for (const s of store.sources()) if (!sources.has(s.name)) await store.dropSource(s.name);
  for (const v of tables.views) {
    await store.defineView(v.name, v.columns);
    store.setKey(v.name, v.key);
  }
  for (const s of tables.sources) {
    await store.defineSource(s.name, s.columns);
    store.setRetention(s.name, retention);
  }
}

/** Restores or creates the engine, replays the log, and commits every epoch from now on. */
export async function openDurableEngine(options: DurableEngineOptions): Promise<DurableEngine> {
  const file = join(options.data.path, 'tidewatch.duckdb');
  const store = await ViewStore.open(file);
  const engine = new Engine({
    ...options.engine,
    contentsKeptOutside: true,
    dependentsOutside: (relation) =>
      store
        .subscriptions()
        .filter((s) => s.view.toLowerCase() === relation.toLowerCase())
        .map((s) => `subscription ${s.name}`),
  });
  let restoredEpoch: number | undefined;
  const pending = new PendingDeltas();
  let source: LoggedSource | undefined;
  try {
    const saved = await store.state();
    const state = saved === undefined ? undefined : parseState(file, saved.state);
    if (saved !== undefined && state !== undefined) {
      await engine.restore(state.engine, (relation) => store.rows(relation));
      restoredEpoch = saved.epoch;
    }
    engine.onStoreCommit((relation, delta) => pending.add(relation, delta));
    engine.onSourceInput((source, rows) => pending.addRaw(source, rows));
    await applyPipelines(engine, options.pipelines);
    await applyStoreTables(store, storeTablesOf(engine), options.retention);
    const name = options.loggedSource;
    if (engine.getRelation(name)?.kind === 'source')
      source = new LoggedSource(
        engine,
        name,
        openSourceLog(options.data.path, name, { fsync: options.logFsync ?? 'epoch' }),
        state?.offsets[name] ?? 0,
      );
  } catch (e) {
    engine.close();
    await store.close();
    throw e;
  }
  const replayed = source?.replay() ?? 0;
  let failed = false;
  let commits: Promise<void> = Promise.resolve();
  const backlog = new CommitBacklog();
  const fail = (e: unknown) => {
    if (failed) return;
    failed = true;
    backlog.release();
    options.onFatal(e instanceof Error ? e : new Error(String(e)));
  };
  const catalogSize = () => engine.catalogHistory.length;
  /** The catalog the store's tables were last defined for. */
  let definedFor = catalogSize();
  engine.onEpoch((epoch) => {
    if (failed) return;
    const deltas = pending.take();
    // The first epoch after DDL brings the store's tables up to date, as of that epoch: a view
    // created over rows already there has its first rows in an epoch that ends within its
    // CREATE; a dropped view's table goes after the epochs that still change it.
    let tables: StoreTables | undefined;
    if (catalogSize() !== definedFor) {
      tables = storeTablesOf(engine);
      definedFor = catalogSize();
    }
    const raw = pending.takeRaw();
    let state: Uint8Array;
    try {
      source?.log.sync();
      const saved: SavedState = {
        kind: 'tidewatch-state',
        version: 1,
        engine: engine.checkpoint(),
        offsets: source === undefined ? {} : { [options.loggedSource]: source.offset },
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
        if (tables !== undefined) await applyStoreTables(store, tables, options.retention);
        await store.commit(epoch, deltas, state, raw);
      })
      .catch(fail)
      .finally(() => backlog.done());
  });
  engine.flush();
  return {
    engine,
    store,
    source,
    restoredEpoch,
    replayed,
    async execute(sql, params) {
      const before = catalogSize();
      let results: StatementResult[] | undefined;
      let error: unknown;
      try {
        results = await engine.execute(sql, params);
      } catch (e) {
        error = e; // the statements before the failing one did run
      }
      const changed = catalogSize() !== before;
      if (changed) engine.flush();
      if (changed || results?.some((r) => r.tag === 'FLUSH') === true) {
        await commits;
        if (failed)
          throw new StoreError('unusable', `${file}: an earlier commit failed; tidewatch is stopping`, {
            path: file,
          });
      }
      if (error !== undefined) throw error;
      return results ?? [];
    },
    async insertRows(table, rows) {
      return engine.insert(table, rows);
    },
    committed: () => commits,
    commitsCaughtUp: () => backlog.atMost(MAX_UNCOMMITTED_EPOCHS),
    async close() {
      // The epoch timer stops first: no commit may start while the store closes.
      engine.close();
      backlog.release();
      // A clean stop commits what came in since the last epoch: nothing left to replay.
      if (!failed) engine.flush();
      await commits;
      source?.log.close();
      await store.close();
    },
  };
}
