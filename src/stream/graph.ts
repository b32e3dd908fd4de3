/**
 * A dataflow: a DAG of operators fed by named sources.
 *
 * Operators are added after their inputs, so insertion order is a topological order and the
 * graph cannot have a cycle. Input is pushed into sources; `barrier()` ends the epoch: it
 * sends a barrier into every source, and the barrier flows through the operators in
 * topological order (each operator flushes its epoch's output, then forwards the barrier;
 * multi-input operators wait for the barrier on all inputs). After `barrier()` returns, every
 * materialized view holds the state of the committed epoch.
 *
 * Checkpoints: right after a barrier, `snapshot()` returns the epoch and every operator's
 * name, counters and state as plain data (for `v8.serialize`); `restore()` puts them into a
 * dataflow rebuilt by the same calls (the same DDL), which then carries on as the original.
 * Incremental checkpoints: `changes()` returns the same header and counters, and apart from them
 * a record per operator whose state changed since the previous call — the whole state or a
 * delta (see `Operator.checkpointChange`). `restore` takes the header with, per operator, its
 * last whole state and the deltas after it.
 */
import { type Chunk, chunk } from './chunk.ts';
import {
  barrier,
  type Message,
  type Operator,
  type OperatorCheckpoint,
  type OperatorStats,
  watermark,
} from './operator.ts';
import { Source } from './operators/source.ts';
import type { Row, Value } from './value.ts';

/** Version of the snapshot layout; bump it when an operator's snapshot changes shape. */
const SNAPSHOT_VERSION = 1;

/** First element of `Dataflow.snapshot()`. */
export interface DataflowHeader {
  readonly kind: 'dataflow';
  readonly version: number;
  /** Epoch of the barrier the snapshot follows. */
  readonly epoch: number;
  readonly operators: number;
  /** The operators' states are not in the snapshot but in records kept apart (`changes()`). */
  readonly separate?: true;
}

/** An operator's state in an incremental checkpoint: whole, or a delta over the records before. */
export interface StateRecord {
  /** The operator's index in topological order. */
  readonly operator: number;
  readonly kind: 'full' | 'delta';
  readonly state: unknown;
}

/** `Dataflow.changes()`: a snapshot without the operators' states, and the states that changed. */
export interface DataflowChanges {
  readonly snapshot: unknown[];
  readonly records: StateRecord[];
}

export class Dataflow {
  readonly #operators: Operator[] = [];
  readonly #sources = new Map<string, Source>();
  #epoch = 0;
  #trackingChanges = false;

  /** Declares an input stream. */
  source(name: string, width?: number): Source {
    if (this.#sources.has(name)) throw new Error(`source ${name} already exists`);
    const s = new Source(name, width);
    this.#sources.set(name, s);
    this.#operators.push(s);
    return s;
  }

  /** Adds `op`, wiring `inputs[i]` (already in this graph) to its input `i`. */
  add<T extends Operator>(op: T, ...inputs: Operator[]): T {
    if (this.#operators.includes(op)) throw new Error(`${op.name} is already in the dataflow`);
    if (inputs.length !== op.arity)
      throw new Error(`${op.name} takes ${op.arity} inputs, got ${inputs.length}`);
    for (const [i, up] of inputs.entries()) {
      if (!this.#operators.includes(up)) throw new Error(`${up.name} is not in this dataflow`);
      up.connectTo(op, i);
    }
    if (this.#trackingChanges) op.trackStateChanges();
    this.#operators.push(op);
    return op;
  }

  /**
   * Removes operators that nothing reads any more (a dropped view's): each must feed only
   * operators removed in the same call. Sources among them are forgotten too.
   */
  remove(ops: Iterable<Operator>): void {
    const gone = new Set(ops);
    // Downstream first, so each operator feeds nothing when it is disconnected.
    for (let i = this.#operators.length - 1; i >= 0; i--) {
      const op = this.#operators[i] as Operator;
      if (!gone.has(op)) continue;
      op.disconnect();
      this.#operators.splice(i, 1);
      if (op instanceof Source) this.#sources.delete(op.name);
    }
  }

  /** Operators in topological order. */
  get operators(): readonly Operator[] {
    return this.#operators;
  }

  /** Epoch of the last completed barrier (0 before the first). */
  get epoch(): number {
    return this.#epoch;
  }

  #source(s: Source | string): Source {
    const src = typeof s === 'string' ? this.#sources.get(s) : s;
    if (src === undefined) throw new Error(`unknown source ${String(s)}`);
    return src;
  }

  /** Pushes changes into a source: a chunk, or rows (weight +1 unless `weights` given). */
  push(source: Source | string, input: Chunk | readonly Row[], weights?: readonly number[]): void {
    const c = Array.isArray(input) ? chunk(input as readonly Row[], weights) : (input as Chunk);
    this.#send(this.#source(source), c);
  }

  /** Promises that `source` will send no row with `row[column] < value` any more. */
  watermark(source: Source | string, column: number, value: Value): void {
    this.#send(this.#source(source), watermark(column, value));
  }

  /** Ends the epoch everywhere at processing time `time` (µs); returns its number. */
  barrier(time = Date.now() * 1000): number {
    const epoch = this.#epoch + 1;
    for (const op of this.#operators) {
      if (!op.fullyConnected) throw new Error(`${op.name} has an unconnected input`);
    }
    const b = barrier(epoch, time);
    for (const s of this.#sources.values()) this.#send(s, b);
    for (const op of this.#operators) {
      if (op.epoch !== epoch) throw new Error(`barrier ${epoch} did not reach ${op.name}`);
    }
    this.#epoch = epoch;
    return epoch;
  }

  #send(s: Source, msg: Message): void {
    s.receive(msg, 0);
  }

  /**
   * A checkpoint of the whole dataflow, right after a barrier: a header with the epoch, then
   * each operator's `checkpoint()` (name, counters, state) in topological order. Plain data for
   * `v8.serialize`; throws if an operator still holds changes of an open epoch.
   */
  snapshot(): unknown[] {
    this.#assertBetweenEpochs();
    return [this.#header(), ...this.#operators.map((op) => op.checkpoint())];
  }

  /** From now on operators record what changes between `changes()` calls, where they can. */
  trackStateChanges(): void {
    this.#trackingChanges = true;
    for (const op of this.#operators) op.trackStateChanges();
  }

  /**
   * An incremental checkpoint, right after a barrier: the header and every operator's name and
   * counters, and a record for each operator whose state changed since the previous call —
   * whole where `whole(index)` says so, else as a delta where the operator keeps one.
   */
  changes(whole: (operator: number) => boolean): DataflowChanges {
    this.#assertBetweenEpochs();
    const records: StateRecord[] = [];
    const snapshot: unknown[] = [{ ...this.#header(), separate: true }];
    for (const [i, op] of this.#operators.entries()) {
      const change = op.checkpointChange(whole(i));
      if (change.kind === 'full') records.push({ operator: i, kind: 'full', state: change.state });
      else if (change.kind === 'delta') records.push({ operator: i, kind: 'delta', state: change.delta });
      snapshot.push({ name: op.name, stats: op.statsSnapshot(), state: undefined });
    }
    return { snapshot, records };
  }

  #header(): DataflowHeader {
    return {
      kind: 'dataflow',
      version: SNAPSHOT_VERSION,
      epoch: this.#epoch,
      operators: this.#operators.length,
    };
  }

  #assertBetweenEpochs(): void {
    for (const op of this.#operators)
      if (op.epoch !== this.#epoch)
        throw new Error(
          `snapshot: ${op.name} has not seen barrier ${this.#epoch} yet; snapshot right after a barrier`,
        );
  }

  /**
   * Restores a `snapshot()` into this dataflow, which must have been built by the same calls
   * (same operators, same names, same order). Checks the operator count and names before
   * touching anything; an operator whose state does not fit fails with its name, and leaves
   * the dataflow half restored (rebuild it before trying again). A snapshot of `changes()` takes
   * `records`: per operator index, its last whole state and the deltas after it, in order.
   */
  restore(states: unknown, records?: ReadonlyMap<number, readonly StateRecord[]>): void {
    const { header, cps } = this.#checkpointOf(states, records);
    const ops = this.#operators;
    if (cps.length !== ops.length || header.operators !== cps.length)
      throw new Error(
        `restore: the snapshot has ${cps.length} operators, this dataflow ${ops.length}; ` +
          'rebuild the dataflow from the same definitions as the one that was snapshot',
      );
    for (const [i, op] of ops.entries()) {
      const cp = cps[i];
      if (cp?.name !== op.name)
        throw new Error(
          `restore: operator ${i} is "${String(cp?.name)}" in the snapshot but "${op.name}" in this dataflow; ` +
            'rebuild the dataflow from the same definitions as the one that was snapshot',
        );
    }
    for (const [i, op] of ops.entries())
      this.#restoreOne(op, cps[i] as OperatorCheckpoint, header, records?.get(i));
    this.#epoch = header.epoch as number;
  }

  /**
   * Restores a snapshot into a dataflow built otherwise (see align-operators.ts): operator `i`
   * takes the state of saved operator `from[i]`, and one with none starts empty at the snapshot's
   * epoch, as does one whose saved state does not fit. Returns the operators that started empty.
   */
  restoreAligned(
    states: unknown,
    records: ReadonlyMap<number, readonly StateRecord[]> | undefined,
    from: readonly (number | undefined)[],
  ): number[] {
    const { header, cps } = this.#checkpointOf(states, records);
    const epoch = header.epoch as number;
    const empty: number[] = [];
    for (const [i, op] of this.#operators.entries()) {
      const at = from[i];
      const cp = at === undefined ? undefined : cps[at];
      try {
        if (at !== undefined && cp !== undefined) {
          this.#restoreOne(op, { ...cp, name: op.name }, header, records?.get(at));
          continue;
        }
      } catch {
        // Its state is of another shape now: it starts empty, like an operator with none.
      }
      op.resumeAt(epoch);
      empty.push(i);
    }
    this.#epoch = epoch;
    return empty;
  }

  #checkpointOf(
    states: unknown,
    records: ReadonlyMap<number, readonly StateRecord[]> | undefined,
  ): { header: Partial<DataflowHeader>; cps: OperatorCheckpoint[] } {
    if (!Array.isArray(states)) throw new Error('restore: a dataflow snapshot is an array');
    const header = states[0] as Partial<DataflowHeader> | undefined;
    if (header?.kind !== 'dataflow') throw new Error('restore: not a dataflow snapshot (no header)');
    if (header.version !== SNAPSHOT_VERSION)
      throw new Error(
        `restore: snapshot format version ${header.version}, this build reads ${SNAPSHOT_VERSION}`,
      );
    if (header.separate === true && records === undefined)
      throw new Error("restore: the snapshot keeps its operators' states apart, and none were given");
    return { header, cps: states.slice(1) as OperatorCheckpoint[] };
  }

  /** One operator's saved state: whole in the snapshot, or its records (a whole state, then deltas). */
  #restoreOne(
    op: Operator,
    cp: OperatorCheckpoint,
    header: Partial<DataflowHeader>,
    own: readonly StateRecord[] = [],
  ): void {
    const epoch = header.epoch as number;
    if (header.separate !== true) {
      op.restoreCheckpoint(cp, epoch);
      return;
    }
    if (own.length > 0 && own[0]?.kind !== 'full')
      throw new Error(`restore: the state records of ${op.name} do not start with a whole state`);
    op.restoreCheckpoint({ ...cp, state: own[0]?.state }, epoch);
    for (const r of own.slice(1))
      if (r.kind === 'full') op.restoreCheckpoint({ ...cp, state: r.state }, epoch);
      else op.applyStateDelta(r.state);
  }

  /** Counters of every operator, in topological order. */
  stats(): { name: string; stats: OperatorStats; stateSize: number }[] {
    return this.#operators.map((op) => ({ name: op.name, stats: { ...op.stats }, stateSize: op.stateSize }));
  }
}
