/**
 * An exact, retractable sum of integers and numerics (sum/avg over int2/int4/int8/numeric).
 *
 * State: the sum as a plain safe integer while every value added was one and the sum stays
 * one (counts, `CASE … THEN 1 ELSE 0`, response times: most groups never leave it); beyond,
 * the sum as a bigint coefficient at the largest scale seen. PostgreSQL prints a sum with the
 * largest display scale of the values summed, so the count of values of each display scale
 * above 0 is kept too (retracting the only 1.25 of {1.25, 2.5} leaves a sum of scale 1).
 * NaN and ±Infinity are counted apart, so that they can be retracted: any NaN, or both
 * infinities, make the sum NaN.
 */
import { bigintOutOfRange, INT8_MAX, INT8_MIN, type Int8, int8 } from '../../sql/int8.ts';
import {
  divNumeric,
  isNumericValue,
  NUMERIC_INFINITY,
  NUMERIC_NAN,
  NUMERIC_NEG_INFINITY,
  type Numeric,
  numeric,
  numericFromInteger,
  pow10,
} from '../../sql/numeric.ts';
import type { Value } from '../value.ts';

/** A `DecimalSum` as plain data. */
export type DecimalSumState = [
  int: number,
  big: bigint | null,
  scale: number,
  scales: [scale: number, count: number][] | null,
  specials: [nan: number, posInf: number, negInf: number],
];

export class DecimalSum {
  /** The sum while it is a safe integer and `#big` is unused. */
  #int = 0;
  /** The sum × 10^#scale, once it left the safe integers or saw a bigint or a fraction. */
  #big: bigint | undefined;
  #scale = 0;
  /** Values added per display scale above 0 (their count, with weights). */
  #scales: Map<number, number> | undefined;
  #nan = 0;
  #posInf = 0;
  #negInf = 0;

  /** Adds `weight` copies of an integer (number or bigint) or a numeric. */
  add(v: Value, weight: number): void {
    if (typeof v === 'number') {
      if (this.#big === undefined) {
        const n = this.#int + v * weight;
        if (Number.isSafeInteger(n) && Number.isSafeInteger(v * weight)) {
          this.#int = n;
          return;
        }
      }
      this.#addBig(BigInt(v) * BigInt(weight), 0);
      return;
    }
    if (typeof v === 'bigint') {
      this.#addBig(v * BigInt(weight), 0);
      return;
    }
    if (!isNumericValue(v))
      throw Object.assign(new Error('sum of a non-numeric value'), { sqlstate: '42883' });
    if (v.special !== undefined) {
      if (v.special === 'NaN') this.#nan += weight;
      else if (v.special === 'Infinity') this.#posInf += weight;
      else this.#negInf += weight;
      return;
    }
    if (v.scale > 0) {
      this.#scales ??= new Map();
      const c = (this.#scales.get(v.scale) ?? 0) + weight;
      if (c === 0) this.#scales.delete(v.scale);
      else this.#scales.set(v.scale, c);
    }
    this.#addBig(v.coef * BigInt(weight), v.scale);
  }

  /** Adds coef × 10^−scale to the bigint sum. */
  #addBig(coef: bigint, scale: number): void {
    if (this.#big === undefined) {
      this.#big = BigInt(this.#int) * pow10(this.#scale);
      this.#int = 0;
    }
    if (scale > this.#scale) {
      this.#big *= pow10(scale - this.#scale);
      this.#scale = scale;
    }
    this.#big += scale === this.#scale ? coef : coef * pow10(this.#scale - scale);
  }

  /** The display scale of the sum: the largest of the values held. */
  get displayScale(): number {
    let s = 0;
    if (this.#scales !== undefined) for (const k of this.#scales.keys()) if (k > s) s = k;
    return s;
  }

  /** The special value the sum is, if any. */
  #special(): Numeric | undefined {
    if (this.#nan !== 0 || (this.#posInf !== 0 && this.#negInf !== 0)) return NUMERIC_NAN;
    if (this.#posInf !== 0) return NUMERIC_INFINITY;
    if (this.#negInf !== 0) return NUMERIC_NEG_INFINITY;
    return undefined;
  }

  /** The sum as a numeric, at the largest display scale of the values held. */
  numeric(): Numeric {
    const special = this.#special();
    if (special !== undefined) return special;
    if (this.#big === undefined) return numericFromInteger(this.#int);
    const d = this.displayScale;
    // every value held has a scale ≤ d, so the sum is a multiple of 10^−d
    return numeric(d === this.#scale ? this.#big : this.#big / pow10(this.#scale - d), d);
  }

  /** The sum of integers as an int8 (22003 beyond it). */
  int8(): Int8 {
    if (this.#big === undefined) return this.#int;
    return int8(this.#scale === 0 ? this.#big : this.#big / pow10(this.#scale));
  }

  /** 22003 when the sum of integers has left int8 (sum(int2/int4) is a bigint). */
  checkInt8(): void {
    if (this.#big !== undefined && (this.#big < INT8_MIN || this.#big > INT8_MAX)) throw bigintOutOfRange();
  }

  /** The mean of `n` values: the sum / n at PostgreSQL's division scale. */
  mean(n: number): Numeric {
    return divNumeric(this.numeric(), numericFromInteger(n));
  }

  snapshot(): DecimalSumState {
    return [
      this.#int,
      this.#big ?? null,
      this.#scale,
      this.#scales === undefined ? null : [...this.#scales],
      [this.#nan, this.#posInf, this.#negInf],
    ];
  }

  restore(state: DecimalSumState): void {
    const [int, big, scale, scales, [nan, posInf, negInf]] = state;
    this.#int = int;
    this.#big = big ?? undefined;
    this.#scale = scale;
    this.#scales = scales === null ? undefined : new Map(scales);
    this.#nan = nan;
    this.#posInf = posInf;
    this.#negInf = negInf;
  }
}
