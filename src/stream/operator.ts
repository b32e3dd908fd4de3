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

/** Input column → output column pairs along which a watermark may pass unchanged. */
export type WatermarkMap = readonly (readonly [from: number, to: number])[];

interface Edge {
  readonly op: Operator;
  readonly input: number;
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
        this.onWatermark(msg, input);
        return;
      default: {
        const never: never = msg;
        throw new Error(`unknown message ${String(never)}`);
      }
    }
  }

  protected abstract onChunk(chunk: Chunk, input: number): void;

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
      e.op.receive(msg, e.input);
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
}
