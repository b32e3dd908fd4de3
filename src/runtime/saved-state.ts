/**
 * The state committed with every epoch next to its changes: the engine's checkpoint and what
 * it consumed of each durable log.
 */
import { deserialize } from 'node:v8';
import type { AccessSnapshot } from '../auth/access-catalog.ts';
import type { EngineCheckpoint } from '../engine/engine.ts';
import { StoreError } from '../store/errors.ts';
import type { ViewStore } from '../store/view-store.ts';
import type { DataflowHeader, StateRecord } from '../stream/graph.ts';
import type { CommittedOffsets } from './data-logs.ts';
import { unpackState } from './state-bytes.ts';

export interface SavedState {
  readonly kind: 'tidewatch-state';
  readonly version: 1;
  readonly engine: EngineCheckpoint;
  /** Per source fed through its durable log, the first offset the engine has not consumed. */
  readonly offsets: Readonly<Record<string, number>>;
  /** Per source fed by a connector (Kafka, files), the position after what it consumed. */
  readonly positions?: Readonly<Record<string, unknown>>;
  /** The first record of the DML log the engine has not applied (absent before there was one). */
  readonly tableLogOffset?: number;
  /** Users and grants (absent in states written before there were any: root alone). */
  readonly access?: AccessSnapshot;
  /** The relations built-in pipelines created, by pipeline (absent in states written before: see PipelineOrigins). */
  readonly pipelines?: Readonly<Record<string, string>>;
}

export function parseState(file: string, bytes: Uint8Array): SavedState {
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

/**
 * The last committed state and what it consumed of each log (nothing before the first commit),
 * with the operator states kept apart from it (incremental checkpoints), per operator.
 */
export async function committedState(store: ViewStore): Promise<{
  state: SavedState | undefined;
  operators: ReadonlyMap<number, readonly StateRecord[]> | undefined;
  offsets: CommittedOffsets;
}> {
  const saved = await store.state();
  if (saved === undefined)
    return {
      state: undefined,
      operators: undefined,
      offsets: { sources: {}, positions: {}, tableLog: 0, epoch: undefined },
    };
  const state = parseState(store.file, saved.state);
  const header = (state.engine.dataflow as unknown[] | undefined)?.[0] as Partial<DataflowHeader> | undefined;
  let operators: Map<number, StateRecord[]> | undefined;
  if (header?.separate === true) {
    operators = new Map();
    for (const r of await store.operatorStates()) {
      let decoded: unknown;
      try {
        decoded = unpackState(r.bytes);
      } catch {
        throw new StoreError('corrupt', `${store.file} holds an unreadable state of operator ${r.operator}`, {
          path: store.file,
        });
      }
      const own = operators.get(r.operator) ?? [];
      own.push({ operator: r.operator, kind: r.whole ? 'full' : 'delta', state: decoded });
      operators.set(r.operator, own);
    }
  }
  return {
    state,
    operators,
    offsets: {
      sources: state.offsets,
      positions: state.positions ?? {},
      tableLog: state.tableLogOffset ?? 0,
      epoch: saved.epoch,
    },
  };
}
