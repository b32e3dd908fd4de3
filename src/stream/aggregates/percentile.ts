/**
 * percentile_cont(f) / percentile_disc(f) WITHIN GROUP (ORDER BY x), exact.
 * State: the multiset of non-NULL x in sort order. Result (PostgreSQL's definitions, n values
 * sorted ascending, 0-based):
 * * cont: position p = f·(n−1); lo = ⌊p⌋, hi = ⌈p⌉; v[lo] + (v[hi] − v[lo])·(p − lo)
 *   (numbers only; intervals are not interpolated);
 * * disc: the first value whose cumulative share reaches f: v[max(1, ⌈f·n⌉) − 1].
 * NULL when there is no value. approx_percentile reuses cont (exact is a valid approximation).
 */
import { addIntervals, multiplyInterval, subtractIntervals } from '../../sql/interval-arithmetic.ts';
import { isInterval, type Value } from '../value.ts';
import { SortedValuesAccumulator } from './min-max.ts';
import type { SortedMultiset } from './sorted-multiset.ts';

export class PercentileContAccumulator extends SortedValuesAccumulator {
  readonly #f: number;

  constructor(fraction: number, shared?: SortedMultiset) {
    super(shared);
    this.#f = fraction;
  }

  result(): Value {
    const n = this.set.total;
    if (n <= 0) return null;
    return percentileCont(this.#f, n, (k) => this.set.at(k) ?? null);
  }
}

/** PostgreSQL's percentile_cont over n sorted values given by `at(k)`. */
export function percentileCont(f: number, n: number, at: (k: number) => Value): Value {
  const p = f * (n - 1);
  const lo = Math.floor(p);
  const hi = Math.ceil(p);
  // an int8 beyond 2^53 (a bigint) read as the double percentile_cont takes
  const asDouble = (v: Value): Value => (typeof v === 'bigint' ? Number(v) : v);
  const a = asDouble(at(lo));
  if (lo === hi) return a;
  const b = asDouble(at(hi));
  if (typeof a === 'number' && typeof b === 'number') return a + (b - a) * (p - lo);
  if (isInterval(a) && isInterval(b))
    return addIntervals(a, multiplyInterval(subtractIntervals(b, a), p - lo));
  return a;
}

export class PercentileDiscAccumulator extends SortedValuesAccumulator {
  readonly #f: number;
  readonly #desc: boolean;

  constructor(fraction: number, desc: boolean, shared?: SortedMultiset) {
    super(shared);
    this.#f = fraction;
    this.#desc = desc;
  }

  result(): Value {
    const n = this.set.total;
    if (n <= 0) return null;
    const k = Math.max(1, Math.ceil(this.#f * n)) - 1;
    return this.set.at(this.#desc ? n - 1 - k : k) ?? null;
  }
}
