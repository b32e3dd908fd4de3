/**
 * sum(x) and avg(x), by the kind of their result (PostgreSQL's):
 * - double precision (sum/avg of real and double precision: `SumAccumulator`,
 *   `AvgAccumulator`): the count of non-NULL values and their exact sum (exact-sum.ts), so
 *   retraction leaves no floating-point residue: the result equals the batch sum of the
 *   current multiset, correctly rounded; avg = sum / count.
 * - bigint (sum of smallint and integer: `DecimalSumAccumulator('int8')`): an exact integer
 *   sum; a row that would take it beyond bigint fails with 22003.
 * - numeric (sum of bigint and numeric: `DecimalSumAccumulator('numeric')`; avg of integers
 *   and numeric: `DecimalAvgAccumulator`): the exact sum (decimal-sum.ts) at the largest
 *   display scale of the values; avg is the sum divided by the count at PostgreSQL's division
 *   scale (`325.0000000000000000`). The sum stays a plain integer field while it can, so the
 *   hot path adds numbers and a numeric value is built only when the group's result is read
 *   (at a barrier).
 * sum is NULL when there is no non-NULL value. sum also adds intervals (field by field, as
 * PostgreSQL's interval + interval), and avg divides them.
 */
import { divideInterval } from '../../sql/interval-arithmetic.ts';
import { divNumeric, type Numeric, numericFromInteger } from '../../sql/numeric.ts';
import { type Interval, isInterval, type Value } from '../value.ts';
import type { Accumulator } from './accumulator.ts';
import { DecimalSum, type DecimalSumState } from './decimal-sum.ts';
import { ExactSum, type ExactSumState } from './exact-sum.ts';

type IntervalSumState = [months: number, days: number, micros: ExactSumState];
/** A `Total`: the integer sum while it is one, else the exact sum's state. */
type TotalState = number | ExactSumState;
type SumState = [n: number, sum: TotalState, intervals?: IntervalSumState];

class IntervalSum {
  months = 0;
  days = 0;
  micros = new ExactSum();
  add(v: Interval, w: number): void {
    this.months += v.months * w;
    this.days += v.days * w;
    this.micros.add(v.micros, w);
  }
  value(): Interval {
    return { months: this.months, days: this.days, micros: this.micros.value() };
  }
  snapshot(): IntervalSumState {
    return [this.months, this.days, this.micros.snapshot()];
  }
  restore(state: IntervalSumState): void {
    this.months = state[0];
    this.days = state[1];
    this.micros.restore(state[2]);
  }
}

/**
 * A sum that stays a plain safe integer while it can (integer columns, CASE … THEN 1 ELSE 0)
 * and only then becomes an `ExactSum`: most groups never allocate one.
 */
class Total {
  #int = 0;
  #exact: ExactSum | undefined;

  add(x: number, weight: number): void {
    if (this.#exact === undefined) {
      const n = this.#int + x * weight;
      if (Number.isInteger(x) && Number.isSafeInteger(n) && (weight === 1 || weight === -1)) {
        this.#int = n;
        return;
      }
      this.#exact = new ExactSum();
      this.#exact.add(this.#int);
    }
    this.#exact.add(x, weight);
  }

  value(): number {
    return this.#exact === undefined ? this.#int : this.#exact.value();
  }

  snapshot(): TotalState {
    return this.#exact === undefined ? this.#int : this.#exact.snapshot();
  }

  restore(state: TotalState): void {
    if (typeof state === 'number') {
      this.#int = state;
      this.#exact = undefined;
    } else {
      this.#int = 0;
      this.#exact = ExactSum.fromSnapshot(state);
    }
  }
}

/** sum/avg over real and double precision (and sum of intervals). */
export class SumAccumulator implements Accumulator {
  n = 0;
  readonly sum = new Total();
  protected intervals: IntervalSum | undefined;

  add(value: Value, weight: number): void {
    if (value === null) return;
    this.n += weight;
    if (typeof value === 'number') this.sum.add(value, weight);
    else if (isInterval(value)) {
      this.intervals ??= new IntervalSum();
      this.intervals.add(value, weight);
    } else throw Object.assign(new Error('sum of a non-numeric value'), { sqlstate: '42883' });
  }

  result(): Value {
    if (this.n <= 0) return null;
    return this.intervals !== undefined ? this.intervals.value() : this.sum.value();
  }

  snapshot(): SumState {
    const s: SumState = [this.n, this.sum.snapshot()];
    if (this.intervals !== undefined) s.push(this.intervals.snapshot());
    return s;
  }

  restore(state: unknown): void {
    const [n, sum, intervals] = state as SumState;
    this.n = n;
    this.sum.restore(sum);
    if (intervals === undefined) this.intervals = undefined;
    else {
      this.intervals = new IntervalSum();
      this.intervals.restore(intervals);
    }
  }
}

/** sum(real): a real, as PostgreSQL's is. */
export class RealSumAccumulator extends SumAccumulator {
  override result(): Value {
    const sum = super.result();
    return typeof sum === 'number' ? Math.fround(sum) : sum;
  }
}

/** avg(x): the sum over the count; for intervals PostgreSQL's interval division. */
export class AvgAccumulator extends SumAccumulator {
  override result(): Value {
    if (this.n <= 0) return null;
    const intervals = this.intervals;
    return intervals !== undefined ? divideInterval(intervals.value(), this.n) : this.sum.value() / this.n;
  }
}

/** A `DecimalSumAccumulator` as plain data: the count, and the sum (a number while it is one). */
type DecimalSumAccumulatorState = [n: number, sum: number | DecimalSumState];

/**
 * sum over integers (int8 result) or integers and numerics (numeric result), exact. The sum
 * is a field while it is a safe integer of safe integers; a `DecimalSum` only beyond.
 */
export class DecimalSumAccumulator implements Accumulator {
  n = 0;
  /** The sum while `#exact` is unused. */
  int = 0;
  #exact: DecimalSum | undefined;
  readonly #int8: boolean;

  constructor(kind: 'int8' | 'numeric') {
    this.#int8 = kind === 'int8';
  }

  add(value: Value, weight: number): void {
    if (value === null) return;
    if (this.#exact === undefined && typeof value === 'number') {
      const d = value * weight;
      const s = this.int + d;
      if (Number.isSafeInteger(s) && Number.isSafeInteger(d)) {
        this.int = s;
        this.n += weight;
        return;
      }
    }
    let e = this.#exact;
    if (e === undefined) {
      e = new DecimalSum();
      e.add(this.int, 1);
      this.int = 0;
      this.#exact = e;
    }
    e.add(value, weight);
    if (this.#int8) {
      try {
        e.checkInt8();
      } catch (err) {
        e.add(value, -weight);
        throw err;
      }
    }
    this.n += weight;
  }

  /** The sum as a numeric. */
  protected numericSum(): Numeric {
    return this.#exact === undefined ? numericFromInteger(this.int) : this.#exact.numeric();
  }

  result(): Value {
    if (this.n <= 0) return null;
    if (this.#int8) return this.#exact === undefined ? this.int : this.#exact.int8();
    return this.numericSum();
  }

  snapshot(): DecimalSumAccumulatorState {
    return [this.n, this.#exact === undefined ? this.int : this.#exact.snapshot()];
  }

  restore(state: unknown): void {
    const [n, sum] = state as DecimalSumAccumulatorState;
    this.n = n;
    if (typeof sum === 'number') {
      this.int = sum;
      this.#exact = undefined;
    } else {
      this.int = 0;
      this.#exact = new DecimalSum();
      this.#exact.restore(sum);
    }
  }
}

/** avg over integers and numerics: the exact sum over the count at PostgreSQL's division scale. */
export class DecimalAvgAccumulator extends DecimalSumAccumulator {
  constructor() {
    super('numeric');
  }

  override result(): Value {
    if (this.n <= 0) return null;
    return divNumeric(this.numericSum(), numericFromInteger(this.n));
  }
}
