/**
 * The one message protocol of the dataflow. Every operator consumes and produces a stream of
 *
 * * `Chunk`     — a batch of changes `(row, weight)` (see chunk.ts);
 * * `Barrier`   — the end of an epoch: an operator that buffers (aggregate, top-N, over-window)
 *                 emits its pending changes for the epoch, then the barrier is passed on;
 * * `Watermark` — "no future row has `row[column] < value`" for one column. Operators pass it
 *                 on, translated to their output columns, only where the promise still holds.
 *
 * Delivery is synchronous and depth-first: `emit` calls each downstream operator's `receive`.
 * On every edge messages keep their order, so the chunks an operator emits at a barrier reach
 * its consumers before that barrier does. An operator with several inputs (union, join)
 * handles a barrier once it has arrived on every input (alignment); watermarks of several
 * inputs combine to their minimum (see `WatermarkAligner`).
 *
 * Errors: an expression that throws an error carrying a `sqlstate` (division by zero, bad
 * cast…) makes the operator skip that row and count it in `stats.errors`; any other
 * exception is a bug and propagates.
 *
 * Checkpoints: `snapshot()` returns an operator's state as plain data and `restore(state)`
 * puts it back into an operator built by the same constructor call (the closures it was
 * given — group keys, expressions — are not state: they come from compiling the same plan
 * again). A snapshot is taken only right after a barrier, when no operator holds changes or
 * watermarks of an open epoch: an operator that still does throws instead of dropping them.
 * Snapshots are values `v8.serialize` can write (structured clone: Maps, Sets, arrays, plain
 * objects, primitives, Uint8Array; no class instances or functions). They share rows — which
 * are immutable — with the operator, but no container it goes on mutating: a snapshot stays
 * valid while the operator runs on. `restore` likewise copies the containers it is given.
 * `checkpoint()` adds the operator's name and counters (see `Dataflow.snapshot`).
 *
 * Incremental checkpoints: `checkpointChange()` gives what changed since the previous one —
 * nothing when the operator received nothing, else its whole state, or, from an operator that
 * keeps its state by key and tracks what changed (`trackStateChanges`), a delta of the entries
 * changed and removed. `restoreCheckpoint` takes a whole state, `applyStateDelta` each later
 * delta in order.
 */
import type { Chunk, ChunkBuilder } from './chunk.ts';
import { compareValues, isSqlStateError, type Row, type Value } from './value.ts';

export interface Barrier {
  readonly kind: 'barrier';
  readonly epoch: number;
  /** Processing time of the epoch's end, in microseconds since 1970 (what NOW() is in views). */
  readonly time: number;
}

export interface Watermark {
  readonly kind: 'watermark';
  readonly column: number;
  readonly value: Value;
}

export type Message = Chunk | Barrier | Watermark;

export function barrier(epoch: number, time = Date.now() * 1000): Barrier {
  return { kind: 'barrier', epoch, time };
}

export function watermark(column: number, value: Value): Watermark {
  return { kind: 'watermark', column, value };
}

/** Counters every operator keeps (exposed for the status line and tests). */
export interface OperatorStats {
  rowsIn: number;
  rowsOut: number;
  /** Rows skipped because an expression raised a SQL error. */
  errors: number;
  lastError: (Error & { readonly sqlstate: string }) | undefined;
}

/** `OperatorStats` as plain data (a checkpoint keeps the last error's message and SQLSTATE). */
export interface StatsSnapshot {
  readonly rowsIn: number;
  readonly rowsOut: number;
  readonly errors: number;
  readonly lastError: { readonly message: string; readonly sqlstate: string } | null;
}

/** One operator in a dataflow checkpoint: its name, its counters and its `snapshot()`. */
export interface OperatorCheckpoint {
  readonly name: string;
  readonly stats: StatsSnapshot;
  readonly state: unknown;
}

/** What changed in an operator's state since its previous `checkpointChange()`. */
export type StateChange =
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'full'; readonly state: unknown }
  | { readonly kind: 'delta'; readonly delta: unknown };

/** Input column → output column pairs along which a watermark may pass unchanged. */
export type WatermarkMap = readonly (readonly [from: number, to: number])[];

interface Edge {
  readonly op: Operator;
  readonly input: number;
}

/** While set, what every operator emits reaches these operators only (see `confined`). */
let confinedTo: ReadonlySet<Operator> | undefined;

/**
 * Runs `work` with every operator's output going to the operators of `to` only: input replayed
 * into some views (rebuilt from retained input) must not reach the others, which share the
 * operators over a source with them and have counted that input once already.
 */
export function confined<T>(to: ReadonlySet<Operator>, work: () => T): T {
  const outer = confinedTo;
  confinedTo = to;
  try {
    return work();
  } finally {
    confinedTo = outer;
  }
}

export abstract class Operator {
  /** Number of inputs (0 for a source). */
  abstract readonly arity: number;
  readonly name: string;
  readonly stats: OperatorStats = { rowsIn: 0, rowsOut: 0, errors: 0, lastError: undefined };
  /** Epoch of the last barrier handled. */
  epoch = 0;
  #outputs: Edge[] = [];
  readonly #inputs: (Operator | undefined)[] = [];
  #barriers = 0;
  /** Received a chunk or watermark (or otherwise changed) since the last `checkpointChange()`. */
  #changed = true;
  /** Keyed operators record what changed between checkpoints (on only when checkpoints use it). */
  protected trackingChanges = false;

  constructor(name: string) {
    this.name = name;
  }

  /** Wires this operator's output to input `input` of `down`. */
  connectTo(down: Operator, input = 0): void {
    if (input < 0 || input >= down.arity) throw new Error(`${down.name} has no input ${input}`);
    if (down.#inputs[input] !== undefined)
      throw new Error(`${down.name}: input ${input} is already connected`);
    down.#inputs[input] = this;
    this.#outputs.push({ op: down, input });
  }

  /**
   * Entries of state the operator holds (groups, partitioned rows, join rows, buffered
   * changes): what watermarks must keep bounded. Stateless operators hold none.
   */
  get stateSize(): number {
    return 0;
  }

  /** Unwires every input of an operator that feeds nothing any more (it stops receiving). */
  disconnect(): void {
    if (this.#outputs.length > 0) throw new Error(`${this.name} still feeds ${this.#outputs[0]?.op.name}`);
    for (const [i, up] of this.#inputs.entries()) {
      if (up === undefined) continue;
      up.#outputs = up.#outputs.filter((e) => !(e.op === this && e.input === i));
      this.#inputs[i] = undefined;
    }
  }

  get downstream(): readonly Operator[] {
    return this.#outputs.map((e) => e.op);
  }

  get upstream(): readonly Operator[] {
    return this.#inputs.filter((op) => op !== undefined);
  }

  /** True when every input has an upstream. */
  get fullyConnected(): boolean {
    for (let i = 0; i < this.arity; i++) if (this.#inputs[i] === undefined) return false;
    return true;
  }

  receive(msg: Message, input = 0): void {
    switch (msg.kind) {
      case 'chunk':
        this.stats.rowsIn += msg.rows.length;
        this.#changed = true;
        this.onChunk(msg, input);
        return;
      case 'barrier':
        if (++this.#barriers < Math.max(1, this.arity)) return;
        this.#barriers = 0;
        this.onBarrier(msg);
        this.epoch = msg.epoch;
        this.emit(msg);
        return;
      case 'watermark':
        this.#changed = true;
        this.onWatermark(msg, input);
        return;
      default: {
        const never: never = msg;
        throw new Error(`unknown message ${String(never)}`);
      }
    }
  }

  protected abstract onChunk(chunk: Chunk, input: number): void;

  /**
   * The operator's state as plain data (see the header); undefined for a stateless operator.
   * Call only right after a barrier.
   */
  snapshot(): unknown {
    return undefined;
  }

  /** Replaces the operator's state with a `snapshot()` of an operator built the same way. */
  restore(state: unknown): void {
    if (state !== undefined)
      throw new Error(`${this.name} keeps no state, but the snapshot holds ${describeState(state)}`);
  }

  /** The counters as plain data. */
  statsSnapshot(): StatsSnapshot {
    const { rowsIn, rowsOut, errors, lastError } = this.stats;
    return {
      rowsIn,
      rowsOut,
      errors,
      lastError:
        lastError === undefined ? null : { message: lastError.message, sqlstate: lastError.sqlstate },
    };
  }

  /** Puts counters saved by `statsSnapshot()` back (the last error as an Error with its SQLSTATE). */
  restoreStats(s: StatsSnapshot): void {
    this.stats.rowsIn = s.rowsIn;
    this.stats.rowsOut = s.rowsOut;
    this.stats.errors = s.errors;
    this.stats.lastError =
      s.lastError === null
        ? undefined
        : Object.assign(new Error(s.lastError.message), { sqlstate: s.lastError.sqlstate });
  }

  /** Name, counters and state, right after a barrier (what `Dataflow.snapshot` keeps per operator). */
  checkpoint(): OperatorCheckpoint {
    if (this.#barriers !== 0)
      throw new Error(
        `${this.name}: a barrier has reached only some of its inputs; snapshot after the barrier`,
      );
    return { name: this.name, stats: this.statsSnapshot(), state: this.snapshot() };
  }

  /** Restores a `checkpoint()` of this operator taken at epoch `epoch`. */
  restoreCheckpoint(cp: OperatorCheckpoint, epoch: number): void {
    if (cp.name !== this.name)
      throw new Error(`cannot restore the checkpoint of operator "${cp.name}" into "${this.name}"`);
    this.restore(cp.state);
    this.restoreStats(cp.stats);
    this.#barriers = 0;
    this.epoch = epoch;
    this.#changed = false;
    this.forgetStateChanges();
  }

  /** Goes on from epoch `epoch` with the state it has (empty): an operator a checkpoint had no state for. */
  resumeAt(epoch: number): void {
    this.#barriers = 0;
    this.epoch = epoch;
    this.forgetStateChanges();
  }

  /** From now on, record what changes between checkpoints (for `takeStateDelta`). */
  trackStateChanges(): void {
    this.trackingChanges = true;
    this.forgetStateChanges();
  }

  /**
   * What changed since the previous call, right after a barrier: `whole` asks for the whole
   * state whatever changed. A stateless operator reports no change.
   */
  checkpointChange(whole: boolean): StateChange {
    if (this.#barriers !== 0)
      throw new Error(
        `${this.name}: a barrier has reached only some of its inputs; checkpoint after the barrier`,
      );
    const changed = this.#changed;
    this.#changed = false;
    if (!whole && !changed) return { kind: 'unchanged' };
    if (!whole && this.trackingChanges) {
      const delta = this.takeStateDelta();
      if (delta !== undefined) return { kind: 'delta', delta };
    }
    const state = this.snapshot();
    this.forgetStateChanges();
    return state === undefined ? { kind: 'unchanged' } : { kind: 'full', state };
  }

  /** Marks the state changed by something other than a chunk or a watermark (a barrier's time). */
  protected stateChanged(): void {
    this.#changed = true;
  }

  /**
   * The changes recorded since the last checkpoint as a delta for `applyStateDelta`, and
   * forgets them; undefined from an operator that writes its whole state instead.
   */
  protected takeStateDelta(): unknown {
    return undefined;
  }

  /** Forgets the changes recorded so far (a whole state has just been written or restored). */
  protected forgetStateChanges(): void {}

  /** Applies a `takeStateDelta()` of an operator built the same way, after its base state. */
  applyStateDelta(delta: unknown): void {
    throw new Error(
      `${this.name} keeps no delta of its state, but the checkpoint holds ${describeState(delta)}`,
    );
  }

  /** Throws unless `pending` is 0: a snapshot must not lose what the operator holds for the open epoch. */
  protected assertSettled(pending: number, what: string): void {
    if (pending !== 0)
      throw new Error(
        `${this.name}: cannot snapshot with ${pending} ${what} of an open epoch; snapshot right after a barrier`,
      );
  }

  /** `state` as the snapshot of kind `kind`, or a clear error when it is something else. */
  protected stateOf<T extends { readonly kind: string }>(state: unknown, kind: T['kind']): T {
    const got = (state as { kind?: unknown } | null | undefined)?.kind;
    if (typeof state !== 'object' || state === null || got !== kind)
      throw new Error(`${this.name}: expected a snapshot of kind "${kind}", got ${describeState(state)}`);
    return state as T;
  }

  /** Emits what the operator holds back for the epoch; the barrier is forwarded afterwards. */
  protected onBarrier(_barrier: Barrier): void {}

  /** Default: a watermark passes unchanged (right for operators that keep columns in place). */
  protected onWatermark(wm: Watermark, _input: number): void {
    this.emit(wm);
  }

  protected emit(msg: Message): void {
    if (msg.kind === 'chunk') {
      if (msg.rows.length === 0) return;
      this.stats.rowsOut += msg.rows.length;
    }
    const outs = this.#outputs;
    for (let i = 0; i < outs.length; i++) {
      const e = outs[i] as Edge;
      if (confinedTo === undefined || confinedTo.has(e.op)) e.op.receive(msg, e.input);
    }
  }

  protected emitBuilder(b: ChunkBuilder): void {
    if (b.size > 0) this.emit(b.take());
  }

  /** Counts a SQL error raised by an expression; rethrows anything else. */
  protected fail(e: unknown): void {
    if (!isSqlStateError(e)) throw e;
    this.stats.errors++;
    this.stats.lastError = e;
  }

  /** Evaluates a predicate as SQL WHERE does: NULL and errors (counted) are false. */
  protected test(pred: (row: Row) => boolean | null, row: Row): boolean {
    try {
      return pred(row) === true;
    } catch (e) {
      this.fail(e);
      return false;
    }
  }
}

function describeState(state: unknown): string {
  if (state === undefined) return 'no state';
  const kind = (state as { kind?: unknown } | null)?.kind;
  return typeof kind === 'string' ? `a snapshot of kind "${kind}"` : `a state of type ${typeof state}`;
}

/** A watermark per column, as plain data: `[column, value]` pairs. */
export type WatermarkEntries = [column: number, value: Value][];

/** Forwards a watermark along a column map, if its column is mapped. */
export function mapWatermark(
  emit: (wm: Watermark) => void,
  map: WatermarkMap | undefined,
  wm: Watermark,
): void {
  if (map === undefined) return;
  for (const [from, to] of map) if (from === wm.column) emit(watermark(to, wm.value));
}

/**
 * Combines watermarks of several inputs: per column, the minimum over all inputs once every
 * input has sent one; reports the combined value only when it advances.
 */
export class WatermarkAligner {
  readonly #arity: number;
  readonly #perInput: Map<number, Value>[];
  readonly #emitted = new Map<number, Value>();

  constructor(arity: number) {
    this.#arity = arity;
    this.#perInput = Array.from({ length: arity }, () => new Map<number, Value>());
  }

  /** Records `value` for `column` of `input`; returns the new combined watermark or undefined. */
  update(input: number, column: number, value: Value): Value | undefined {
    const m = this.#perInput[input];
    if (m === undefined) return undefined;
    const old = m.get(column);
    if (old !== undefined && compareValues(value, old) <= 0) return undefined;
    m.set(column, value);
    let min: Value | undefined;
    for (let i = 0; i < this.#arity; i++) {
      const v = this.#perInput[i]?.get(column);
      if (v === undefined) return undefined;
      if (min === undefined || compareValues(v, min) < 0) min = v;
    }
    if (min === undefined) return undefined;
    const last = this.#emitted.get(column);
    if (last !== undefined && compareValues(min, last) <= 0) return undefined;
    this.#emitted.set(column, min);
    return min;
  }

  /** Per input the watermarks seen, and the combined ones forwarded. */
  snapshot(): WatermarkAlignerState {
    return { perInput: this.#perInput.map((m) => [...m]), emitted: [...this.#emitted] };
  }

  restore(state: WatermarkAlignerState): void {
    if (state.perInput.length !== this.#arity)
      throw new Error(`watermark state of ${state.perInput.length} inputs, expected ${this.#arity}`);
    for (const [i, m] of this.#perInput.entries()) {
      m.clear();
      for (const [c, v] of state.perInput[i] as WatermarkEntries) m.set(c, v);
    }
    this.#emitted.clear();
    for (const [c, v] of state.emitted) this.#emitted.set(c, v);
  }
}

export interface WatermarkAlignerState {
  readonly perInput: WatermarkEntries[];
  readonly emitted: WatermarkEntries;
}

/** Keeps the greatest watermark seen per column and reports only advances (single input). */
export class WatermarkTracker {
  readonly #seen = new Map<number, Value>();

  advance(column: number, value: Value): boolean {
    const old = this.#seen.get(column);
    if (old !== undefined && compareValues(value, old) <= 0) return false;
    this.#seen.set(column, value);
    return true;
  }

  get(column: number): Value | undefined {
    return this.#seen.get(column);
  }

  snapshot(): WatermarkEntries {
    return [...this.#seen];
  }

  restore(state: WatermarkEntries): void {
    this.#seen.clear();
    for (const [c, v] of state) this.#seen.set(c, v);
  }
}

/**
 * The watermarks an operator that buffers changes until the barrier (aggregate, top-N,
 * over-window) holds back until its barrier output is out: downstream must not hear that a
 * window closed before it has seen that window's last changes.
 */
export class HeldWatermarks {
  #held: Watermark[] = [];
  readonly #tracker = new WatermarkTracker();

  hold(wm: Watermark): void {
    this.#held.push(wm);
  }

  /** The held watermarks that advance their column, in arrival order; forgets them all. */
  release(): Watermark[] {
    if (this.#held.length === 0) return this.#held;
    const held = this.#held;
    this.#held = [];
    return held.filter((wm) => this.#tracker.advance(wm.column, wm.value));
  }

  /** Watermarks held until the next barrier (0 right after one). */
  get pending(): number {
    return this.#held.length;
  }

  /** The last watermark passed on per column (call when nothing is held). */
  snapshot(): WatermarkEntries {
    if (this.#held.length > 0) throw new Error('held watermarks cannot be snapshot before their barrier');
    return this.#tracker.snapshot();
  }

  restore(state: WatermarkEntries): void {
    this.#held = [];
    this.#tracker.restore(state);
  }
}
