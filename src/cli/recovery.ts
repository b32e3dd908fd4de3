/**
 * What makes `start` crash-safe: the engine's state is committed at every epoch, and a start
 * continues from the last commit.
 *
 * * Every epoch, right after its barrier and before anything can read it: the generator
 *   source's durable log is fsynced, then a checkpoint — the engine's state and the log
 *   offset it has consumed — is committed (checkpoints.ts: atomic rename). A reader never
 *   sees an epoch a crash could take back.
 * * On start: the newest checkpoint is restored, the pipelines are applied (their
 *   `IF NOT EXISTS` statements are no-ops for what the checkpoint already has), and the
 *   records the log holds beyond the checkpoint's offset are pushed again and committed as
 *   one epoch. Nothing acknowledged is lost; nothing is counted twice.
 */
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { LoggedSource } from '../connectors/logged-source.ts';
import { Engine, type EngineCheckpoint, type EngineOptions } from '../engine/engine.ts';
import { CheckpointFiles } from '../store/checkpoints.ts';
import type { DataDir } from '../store/data-dir.ts';
import { openSourceLog } from '../store/durable-log.ts';
import { StoreError } from '../store/errors.ts';
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
  /** The generator source's log, when the pipelines define that source. */
  readonly source: LoggedSource | undefined;
  /** The epoch restored from, if a checkpoint existed. */
  readonly restoredEpoch: number | undefined;
  /** Records pushed again from the log at start. */
  readonly replayed: number;
  /** Commits a last epoch (unless a commit failed) and releases the engine and the log. */
  close(): void;
}

export interface DurableEngineOptions {
  readonly data: DataDir;
  readonly pipelines: readonly string[];
  readonly engine: EngineOptions;
  /** The source whose input goes through a durable log (the generator's). */
  readonly loggedSource: string;
  /** A commit failed (disk full…): the epoch is not durable, tidewatch must stop. */
  readonly onFatal: (error: Error) => void;
}

function loadState(checkpoints: CheckpointFiles): { epoch: number; state: SavedState } | undefined {
  const latest = checkpoints.latest();
  if (latest === undefined) return undefined;
  let state: SavedState;
  try {
    state = deserialize(latest.payload) as SavedState;
  } catch {
    state = undefined as unknown as SavedState;
  }
  if (state?.kind !== 'tidewatch-state' || state.version !== 1)
    throw new StoreError('corrupt', `checkpoint ${latest.file} holds no tidewatch state of version 1`, {
      path: latest.file,
    });
  return { epoch: latest.epoch, state };
}

/** Restores or creates the engine, replays the log, and commits every epoch from now on. */
export async function openDurableEngine(options: DurableEngineOptions): Promise<DurableEngine> {
  const checkpoints = new CheckpointFiles(join(options.data.path, 'checkpoints'));
  const saved = loadState(checkpoints);
  const engine = new Engine(options.engine);
  try {
    if (saved !== undefined) await engine.restore(saved.state.engine);
    await applyPipelines(engine, options.pipelines);
  } catch (e) {
    engine.close();
    throw e;
  }
  const name = options.loggedSource;
  const source =
    engine.getRelation(name)?.kind === 'source'
      ? new LoggedSource(
          engine,
          name,
          openSourceLog(options.data.path, name),
          saved?.state.offsets[name] ?? 0,
        )
      : undefined;
  const replayed = source?.replay() ?? 0;
  let failed = false;
  engine.onEpoch((epoch) => {
    if (failed) return;
    try {
      source?.log.sync();
      const state: SavedState = {
        kind: 'tidewatch-state',
        version: 1,
        engine: engine.checkpoint(),
        offsets: source === undefined ? {} : { [name]: source.offset },
      };
      checkpoints.write(epoch, serialize(state));
    } catch (e) {
      failed = true;
      options.onFatal(e instanceof Error ? e : new Error(String(e)));
    }
  });
  engine.flush();
  return {
    engine,
    source,
    restoredEpoch: saved?.epoch,
    replayed,
    close() {
      // A clean stop commits what came in since the last epoch: nothing left to replay.
      if (!failed) engine.flush();
      engine.close();
      source?.log.close();
    },
  };
}
