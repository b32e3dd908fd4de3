/**
 * Epochs that commit together. Each epoch is checkpointed at its barrier, but when the store
 * falls behind (its commits take longer than an epoch), the epochs that queued meanwhile go to
 * the store as one transaction: their changes summed, their raw events and operator states each
 * written, the last one's state and offsets. A reader then waits for one commit instead of a
 * queue of them, and a commit's fixed cost (DuckDB's BEGIN and COMMIT, a statement per view) is
 * paid once for all of them. An epoch that changed the catalog starts a group of its own: the
 * changes before it are of the tables it replaced.
 */

import type { CommitPhases, PhaseTimer } from '../store/commit-phases.ts';
import type { RawPart } from '../store/csv-load.ts';
import type { DurableLog } from '../store/durable-log.ts';
import {
  type AttackLabelRow,
  type DeadLetter,
  type OperatorStateWrite,
  PendingDeltas,
  type StoreSchema,
  type ViewDelta,
} from '../store/view-store.ts';
import type { EngineSavedState } from './epoch-store.ts';

/** An epoch ended and checkpointed, waiting for its commit. */
export interface EndedEpoch {
  readonly epoch: number;
  /** When its barrier was injected (performance.now()), and how long the barrier took. */
  readonly barrierAt: number;
  readonly barrierMs: number;
  /** Its phases so far: the checkpoint, then the wait for earlier commits. */
  readonly timer: PhaseTimer;
  readonly deltas: ReadonlyMap<string, ViewDelta>;
  readonly raw: ReadonlyMap<string, readonly RawPart[]>;
  readonly deadLetters: ReadonlyMap<string, readonly DeadLetter[]>;
  /** The store's tables for the catalog the epoch ended with, when that changed. */
  readonly schema: StoreSchema | undefined;
  /** The saved state at its barrier. */
  readonly saved: EngineSavedState;
  readonly operators: Promise<OperatorStateWrite>;
  readonly labels: readonly AttackLabelRow[];
  /** The fsync of the logs whose offsets `state` names. */
  readonly logsSynced: Promise<unknown>;
  /** The DML log's offset and each source log's that the epoch consumed up to. */
  readonly consumedTable: number;
  readonly consumedLogs: readonly (readonly [DurableLog, number])[];
}

/**
 * Removes from `queue` and returns the epochs its oldest commits with: the oldest, and those
 * after it up to the next catalog change.
 */
export function takeCommitGroup(queue: EndedEpoch[]): EndedEpoch[] {
  let n = Math.min(queue.length, 1);
  while (n < queue.length && queue[n]?.schema === undefined) n++;
  return queue.splice(0, n);
}

/** What a group's epochs hand the store as one: summed view changes, every raw event, letter and label. */
export function mergeEndedEpochs(group: readonly EndedEpoch[]): {
  readonly deltas: ReadonlyMap<string, ViewDelta>;
  readonly raw: ReadonlyMap<string, readonly RawPart[]>;
  readonly deadLetters: ReadonlyMap<string, readonly DeadLetter[]>;
  readonly labels: readonly AttackLabelRow[];
} {
  if (group.length === 1) {
    const only = group[0] as EndedEpoch;
    return { deltas: only.deltas, raw: only.raw, deadLetters: only.deadLetters, labels: only.labels };
  }
  // Gathered again as the epochs were, one after the other.
  const pending = new PendingDeltas();
  for (const e of group) {
    for (const [view, delta] of e.deltas) pending.add(view, delta);
    for (const [source, parts] of e.raw) for (const part of parts) pending.addRaw(source, part);
    for (const [source, letters] of e.deadLetters) pending.addDeadLetters(source, letters);
  }
  return {
    deltas: pending.take(),
    raw: pending.takeRaw(),
    deadLetters: pending.takeDeadLetters(),
    labels: group.flatMap((e) => e.labels),
  };
}

/** The phases of an epoch's commit: its own up to the store, then the store's (shared by its group). */
export function epochPhases(e: EndedEpoch, storePhases: CommitPhases): CommitPhases {
  const phases: CommitPhases = { barrier: e.barrierMs, ...e.timer.phases };
  for (const [phase, ms] of Object.entries(storePhases)) phases[`store_${phase}`] = ms;
  return phases;
}
