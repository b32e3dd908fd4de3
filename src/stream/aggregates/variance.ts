/**
 * var_pop, var_samp, stddev_pop, stddev_samp — retractable without float drift. Over real and
 * double precision (`VarianceAccumulator`):
 * State: n, the exact sum S1 = Σx and the exact sum S2 = Σx² (each x² split exactly into two
 * doubles, so S2 is exact too). At result time M = n·S2 − S1² is computed exactly from the
 * partials and rounded once; var_pop = M / n², var_samp = M / (n(n−1)).
 * Hence the result depends only on the current multiset, never on the history, and there is
 * no cancellation even for large means (timestamps). NULL when n = 0 (samp: n < 2).
 */
import {
  divideAt,
  isNumericValue,
  mulNumeric,
  NUMERIC_NAN,
  NUMERIC_ZERO,
  numeric,
  numericFromInteger,
  selectDivScale,
  sqrtAt,
  withScale,
} from '../../sql/numeric.ts';
import type { Value } from '../value.ts';
import type { Accumulator } from './accumulator.ts';
import { DecimalSum, type DecimalSumState } from './decimal-sum.ts';
import { ExactSum, type ExactSumState, twoProduct } from './exact-sum.ts';

export type VarianceKind = 'stddev_samp' | 'stddev_pop' | 'var_samp' | 'var_pop';

export class VarianceAccumulator implements Accumulator {
  n = 0;
  readonly s1 = new ExactSum();
  readonly s2 = new ExactSum();
  readonly #kind: VarianceKind;

  constructor(kind: VarianceKind) {
    this.#kind = kind;
  }

  add(value: Value, weight: number): void {
    if (value === null) return;
    if (typeof value !== 'number') {
      throw Object.assign(new Error('variance of a non-numeric value'), { sqlstate: '42883' });
    }
    this.n += weight;
    this.s1.add(value, weight);
    const [p, e] = twoProduct(value, value);
    this.s2.add(p, weight);
    if (e !== 0) this.s2.add(e, weight);
  }

  result(): Value {
    const n = this.n;
    const samp = this.#kind === 'var_samp' || this.#kind === 'stddev_samp';
    if (n <= 0 || (samp && n < 2)) return null;
    const m = new ExactSum();
    for (const x of this.s2.partials) m.add(x, n);
    const p1 = this.s1.partials;
    for (let i = 0; i < p1.length; i++) {
      for (let j = 0; j < p1.length; j++) {
        const [p, e] = twoProduct(p1[i] as number, p1[j] as number);
        m.add(-p);
        if (e !== 0) m.add(-e);
      }
    }
    let v = Math.max(0, m.value()) / (samp ? n * (n - 1) : n * n);
    if (!Number.isFinite(this.s1.value())) v = Number.NaN;
    return this.#kind.startsWith('stddev') ? Math.sqrt(v) : v;
  }

  snapshot(): [n: number, s1: ExactSumState, s2: ExactSumState] {
    return [this.n, this.s1.snapshot(), this.s2.snapshot()];
  }

  restore(state: unknown): void {
    const [n, s1, s2] = state as [number, ExactSumState, ExactSumState];
    this.n = n;
    this.s1.restore(s1);
    this.s2.restore(s2);
  }
}

/**
 * The variance family over integers and numeric, exact as PostgreSQL computes it
 * (numeric_stddev_internal): with S1 = Σx and S2 = Σx² exact at the largest display scale d
 * of the values (2d for S2), the numerator N·S2 − S1² (0 when not positive) over N·(N−1) or
 * N², divided at select_div_scale; stddev is the square root of that quotient at the same
 * scale. Any NaN or infinity gives NaN.
 */
export class NumericVarianceAccumulator implements Accumulator {
  n = 0;
  readonly s1 = new DecimalSum();
  readonly s2 = new DecimalSum();
  readonly #kind: VarianceKind;

  constructor(kind: VarianceKind) {
    this.#kind = kind;
  }

  add(value: Value, weight: number): void {
    if (value === null) return;
    const x = typeof value === 'number' || typeof value === 'bigint' ? numericFromInteger(value) : value;
    if (!isNumericValue(x))
      throw Object.assign(new Error('variance of a non-numeric value'), { sqlstate: '42883' });
    this.s1.add(x, weight);
    this.s2.add(mulNumeric(x, x), weight);
    this.n += weight;
  }

  result(): Value {
    const n = this.n;
    const samp = this.#kind === 'var_samp' || this.#kind === 'stddev_samp';
    if (n <= 0 || (samp && n < 2)) return null;
    const sum = this.s1.numeric();
    const sumSquares = this.s2.numeric();
    if (sum.special !== undefined || sumSquares.special !== undefined) return NUMERIC_NAN;
    const scale = 2 * sum.scale;
    const big = BigInt(n);
    // N·S2 − S1², at scale 2d
    const num = big * withScale(sumSquares, scale).coef - sum.coef * sum.coef;
    if (num <= 0n) return NUMERIC_ZERO;
    const numerator = numeric(num, scale);
    const denominator = numeric(samp ? big * (big - 1n) : big * big, 0);
    const rscale = selectDivScale(numerator, denominator);
    const variance = divideAt(numerator, denominator, rscale);
    return this.#kind.startsWith('stddev') ? sqrtAt(variance, rscale) : variance;
  }

  snapshot(): [n: number, s1: DecimalSumState, s2: DecimalSumState] {
    return [this.n, this.s1.snapshot(), this.s2.snapshot()];
  }

  restore(state: unknown): void {
    const [n, s1, s2] = state as [number, DecimalSumState, DecimalSumState];
    this.n = n;
    this.s1.restore(s1);
    this.s2.restore(s2);
  }
}
