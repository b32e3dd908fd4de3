/**
 * What crosses between `tidewatch start`'s two threads (engine-thread.ts, engine-client.ts):
 * the calls by name and the shapes of what they carry. Types and names only, so that the
 * serving thread loads none of the engine's thread's modules for them.
 */

import type { RelationInfo } from '../engine/catalog.ts';
import type { Engine } from '../engine/engine.ts';
import type { CommitLatencyFigures } from '../runtime/commit-latency.ts';
import type { CommittedState } from '../runtime/durable-engine.ts';
import type { EventLoopDelayFigures } from '../runtime/event-loop-delay.ts';
import type { IdentifiedSink } from '../runtime/sink-deliveries.ts';
import type { SourceProgress } from './http-answers.ts';
import type { StartSettings } from './start-command.ts';

/** What the engine's thread is started with (before the data directory is opened). */
export interface EngineThreadData {
  readonly settings: StartSettings;
  readonly cwd: string;
}

/** What opening the engine takes: the data directory, the pipeline files, what the store holds. */
export interface EngineOpening {
  readonly dataDir: string;
  readonly pipelines: readonly string[];
  readonly committed: CommittedState;
  readonly epochMs: number;
  readonly subscriptions: readonly { readonly name: string; readonly view: string }[];
}

/** The catalog as the serving thread keeps a copy of it: plain data. */
export interface CatalogCopy {
  readonly relations: readonly RelationInfo[];
  readonly sinks: readonly IdentifiedSink[];
}

export interface OpenedEngine {
  readonly restoredEpoch: number | undefined;
  readonly replayedWrites: number;
  /** The pipeline files applied, in order. */
  readonly applied: readonly string[];
}

/** What starting to feed the sources found. */
export interface FedEngine {
  /** Records the logs held beyond the last commit. */
  readonly replayedRecords: number;
  /** What opening the data directory and setting up the pipelines repaired or noticed. */
  readonly notices: readonly string[];
}

/** What `/api/status` and the status line get from this thread. */
export interface EngineStatus {
  readonly epoch: number;
  readonly sourceTotals: readonly (readonly [string, number])[];
  readonly sources: readonly SourceProgress[];
  readonly views: ReturnType<Engine['viewStats']>;
  readonly attackEpisodes: number;
  readonly commitLatency: CommitLatencyFigures;
  readonly eventLoopDelay: EventLoopDelayFigures;
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
}

/** Calls and notices between the threads, by name. */
export const ENGINE_CALLS = {
  open: 'engine.open',
  feed: 'engine.feed',
  execute: 'engine.execute',
  insertValues: 'engine.insertValues',
  insertRows: 'engine.insertRows',
  copyBegin: 'engine.copyBegin',
  copyChunk: 'engine.copyChunk',
  copyEnd: 'engine.copyEnd',
  copyAbort: 'engine.copyAbort',
  copyFailed: 'serve.copyFailed',
  flush: 'engine.flush',
  describeParams: 'engine.describeParams',
  status: 'engine.status',
  ingestion: 'engine.ingestion',
  viewErrors: 'engine.viewErrors',
  ingest: 'engine.ingest',
  audit: 'engine.audit',
  setEpochMs: 'engine.setEpochMs',
  close: 'engine.close',
  // From this thread to the serving one.
  catalog: 'serve.catalog',
  relationDropped: 'serve.relationDropped',
  fatal: 'serve.fatal',
  generatorEnded: 'serve.generatorEnded',
  stdinEnded: 'serve.stdinEnded',
} as const;
