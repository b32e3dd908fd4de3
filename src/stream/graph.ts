/**
 * A dataflow: a DAG of operators fed by named sources.
 *
 * Operators are added after their inputs, so insertion order is a topological order and the
 * graph cannot have a cycle. Input is pushed into sources; `barrier()` ends the epoch: it
 * sends a barrier into every source, and the barrier flows through the operators in
 * topological order (each operator flushes its epoch's output, then forwards the barrier;
 * multi-input operators wait for the barrier on all inputs). After `barrier()` returns, every
 * materialized view holds the state of the committed epoch.
 */
import { type Chunk, chunk } from './chunk.ts';
import { barrier, type Message, type Operator, type OperatorStats, watermark } from './operator.ts';
import { Source } from './operators/source.ts';
import type { Row, Value } from './value.ts';

export class Dataflow {
  readonly #operators: Operator[] = [];
  readonly #sources = new Map<string, Source>();
  #epoch = 0;

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

  /** Counters of every operator, in topological order. */
  stats(): { name: string; stats: OperatorStats; stateSize: number }[] {
    return this.#operators.map((op) => ({ name: op.name, stats: { ...op.stats }, stateSize: op.stateSize }));
  }
}
