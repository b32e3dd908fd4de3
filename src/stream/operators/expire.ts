/**
 * Expire: keeps the rows whose `column` is above a moving bound, and retracts them once the
 * bound passes them. Two uses, one mechanism:
 *
 * * a temporal filter, `col > NOW() - INTERVAL '7 days'` (`>=` with `inclusive`) in a view,
 *   as RisingWave has it: the bound is the barrier's processing time minus `offset`;
 * * a view's `retention`: the bound is the watermark on `column` minus `offset` (event time,
 *   so a replay of old logs keeps what a live run would have kept).
 *
 * Delta: a change passes when its row is above the bound, and is then remembered by its
 * `column` value; a change below the bound is dropped (an insert arrives expired; a
 * retraction's row was already retracted when it expired, or never passed). When the bound
 * moves, remembered rows at or below it are retracted, oldest first, and forgotten.
 * State: the rows currently passed (what the output holds). Watermarks pass unchanged.
 * Snapshot: the bound, and the rows held per `column` value in ascending order.
 */
import { type Chunk, ChunkBuilder, fromMultiset, type WeightedRow } from '../chunk.ts';
import { type Barrier, Operator, type Watermark } from '../operator.ts';
import { type Row, rowIdentity } from '../value.ts';

export interface ExpireOptions {
  readonly column: number;
  /** Microseconds between the clock (processing time or watermark) and the bound. */
  readonly offset: number;
  /** What moves the bound: the barrier's processing time, or the watermark on `column`. */
  readonly clock: 'processing-time' | 'watermark';
  /** Keep rows equal to the bound too (`>=`). */
  readonly inclusive?: boolean;
  readonly name?: string;
}

interface ExpireState {
  readonly kind: 'expire';
  readonly clock: ExpireOptions['clock'];
  readonly column: number;
  readonly bound: number;
  /** The distinct `column` values held, ascending, and per value its rows and weights. */
  readonly times: number[];
  readonly rows: (readonly Row[])[];
  readonly weights: (readonly number[])[];
}

export class Expire extends Operator {
  readonly arity = 1;
  readonly #o: ExpireOptions;
  #bound = Number.NEGATIVE_INFINITY;
  /** Passed rows by their `column` value. */
  readonly #byTime = new Map<number, Map<string, WeightedRow>>();
  /** The distinct `column` values held, ascending (appends are the common case). */
  #times: number[] = [];
  #size = 0;

  constructor(options: ExpireOptions) {
    super(options.name ?? (options.clock === 'watermark' ? 'retention' : 'temporal_filter'));
    this.#o = options;
  }

  override get stateSize(): number {
    return this.#size;
  }

  #above(t: number): boolean {
    return this.#o.inclusive === true ? t >= this.#bound : t > this.#bound;
  }

  protected onChunk(chunk: Chunk): void {
    const { rows, weights } = chunk;
    const c = this.#o.column;
    const out = new ChunkBuilder();
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Row;
      const w = weights[i] as number;
      const t = row[c];
      if (typeof t !== 'number' || !this.#above(t)) continue;
      let bucket = this.#byTime.get(t);
      if (bucket === undefined) {
        bucket = new Map();
        this.#byTime.set(t, bucket);
        this.#insertTime(t);
      }
      const k = rowIdentity(row);
      const e = bucket.get(k);
      if (e === undefined) {
        bucket.set(k, { row, weight: w });
        this.#size++;
      } else {
        e.weight += w;
        if (e.weight === 0) {
          bucket.delete(k);
          this.#size--;
        }
      }
      out.push(row, w);
    }
    this.emitBuilder(out);
  }

  #insertTime(t: number): void {
    const times = this.#times;
    let lo = 0;
    let hi = times.length;
    if (hi > 0 && (times[hi - 1] as number) < t) lo = hi;
    else
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((times[mid] as number) < t) lo = mid + 1;
        else hi = mid;
      }
    times.splice(lo, 0, t);
  }

  /** Moves the bound and retracts what falls at or below it. */
  #advance(bound: number): void {
    if (!(bound > this.#bound)) return;
    this.#bound = bound;
    this.stateChanged();
    const out = new ChunkBuilder();
    let n = 0;
    for (const t of this.#times) {
      if (this.#above(t)) break;
      const bucket = this.#byTime.get(t);
      if (bucket !== undefined)
        for (const e of bucket.values()) {
          out.push(e.row, -e.weight);
          this.#size--;
        }
      this.#byTime.delete(t);
      n++;
    }
    if (n > 0) this.#times = this.#times.slice(n);
    this.emitBuilder(out);
  }

  protected override onBarrier(b: Barrier): void {
    if (this.#o.clock === 'processing-time') this.#advance(b.time - this.#o.offset);
  }

  protected override onWatermark(wm: Watermark): void {
    if (this.#o.clock === 'watermark' && wm.column === this.#o.column && typeof wm.value === 'number')
      this.#advance(wm.value - this.#o.offset);
    this.emit(wm);
  }

  override snapshot(): ExpireState {
    const s: ExpireState = {
      kind: 'expire',
      clock: this.#o.clock,
      column: this.#o.column,
      bound: this.#bound,
      times: [],
      rows: [],
      weights: [],
    };
    for (const t of this.#times) {
      const { rows, weights } = fromMultiset(this.#byTime.get(t) ?? new Map());
      s.times.push(t);
      s.rows.push(rows);
      s.weights.push(weights);
    }
    return s;
  }

  override restore(state: unknown): void {
    const s = this.stateOf<ExpireState>(state, 'expire');
    if (s.clock !== this.#o.clock || s.column !== this.#o.column)
      throw new Error(
        `${this.name}: the snapshot expires column ${s.column} by ${s.clock}, ` +
          `this operator column ${this.#o.column} by ${this.#o.clock}`,
      );
    this.#bound = s.bound;
    this.#byTime.clear();
    this.#times = [...s.times];
    this.#size = 0;
    for (let i = 0; i < s.times.length; i++) {
      const bucket = new Map<string, WeightedRow>();
      const rows = s.rows[i] as Row[];
      const weights = s.weights[i] as number[];
      for (let j = 0; j < rows.length; j++) {
        const row = rows[j] as Row;
        bucket.set(rowIdentity(row), { row, weight: weights[j] as number });
      }
      this.#size += bucket.size;
      this.#byTime.set(s.times[i] as number, bucket);
    }
  }
}
