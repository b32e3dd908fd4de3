/**
 * What the durable engine asks of the store, which lives on another thread than the engine
 * (DuckDB's connections stay on the thread that opened them): each epoch's commit, and the
 * rows a restore and a rebuild read back.
 */

import type { CommitPhases } from '../store/commit-phases.ts';
import type { CsvColumn, RawPart } from '../store/csv-load.ts';
import type {
  AttackLabelRow,
  DeadLetter,
  EpochOperatorStates,
  StoreSchema,
  ViewDelta,
} from '../store/view-store.ts';
import type { Row } from '../stream/value.ts';
import type { RawGathering } from './raw-spool.ts';
import type { SavedState } from './saved-state.ts';

/** The state the engine's side saves with an epoch; the store's side adds the users and grants it keeps. */
export type EngineSavedState = Omit<SavedState, 'access'>;

/** One commit of one or more epochs (ViewStore.commit). */
export interface EpochCommit {
  readonly epoch: number;
  readonly deltas: ReadonlyMap<string, ViewDelta>;
  readonly saved: EngineSavedState;
  /** Each source's raw events, in parts (`RawPart`) in the order they came. */
  readonly raw: ReadonlyMap<string, readonly RawPart[]>;
  readonly schema: StoreSchema | undefined;
  readonly deadLetters: ReadonlyMap<string, readonly DeadLetter[]>;
  readonly labels: readonly AttackLabelRow[];
  readonly operators: readonly EpochOperatorStates[];
  /** Settled before COMMIT: the fsync of the logs whose offsets `saved` names. */
  readonly durableFirst: Promise<unknown>;
}

export interface EpochStore {
  /** Commits atomically; resolves with how long each phase of the commit took. */
  commit(commit: EpochCommit): Promise<CommitPhases>;
  /** A table's or view's committed rows (a restore loads them back into the engine). */
  rows(relation: string): Promise<Row[]>;
  /** A source's retained raw events, oldest first, in batches (a view built again reads them). */
  retainedEvents(source: string): AsyncIterable<Row[]>;
  /** The subscriptions now, and the view each follows (a DROP of the view must name them). */
  subscriptions(): readonly { readonly name: string; readonly view: string }[];
  /**
   * Where the raw events of the epoch under way are gathered, when the store takes them some
   * other way than as rows kept until the commit (`raw-spool.ts`); `columnsOf` gives a source's
   * columns as its rows come. Undefined: kept as rows (`PendingDeltas`).
   */
  rawGathering?(columnsOf: (source: string) => readonly CsvColumn[] | undefined): RawGathering | undefined;
}
