/**
 * A multiset of values kept in sort order: distinct values in a sorted array with their
 * counts. Inserting or retracting is a binary search plus, when a value appears or vanishes,
 * an array splice (a memmove; cheap for the group sizes of per-window aggregates).
 * Serves min/max (retractable: the next extreme is the neighbour), percentiles and ordered
 * string_agg/array_agg.
 */
import { compareValuesExact, type Value } from '../value.ts';

/** A `SortedMultiset` as plain data: its distinct values in order and their counts. */
export type MultisetState<T = Value> = [values: T[], counts: number[]];

export class SortedMultiset<T = Value> {
  readonly values: T[] = [];
  readonly counts: number[] = [];
  /** Sum of the counts. */
  total = 0;
  readonly #cmp: (a: T, b: T) => number;

  constructor(cmp?: (a: T, b: T) => number) {
    this.#cmp = cmp ?? (compareValuesExact as unknown as (a: T, b: T) => number);
  }

  get distinct(): number {
    return this.values.length;
  }

  /** Adds `weight` copies of `v` (negative: removes). */
  add(v: T, weight: number): void {
    const values = this.values;
    const cmp = this.#cmp;
    let lo = 0;
    let hi = values.length;
    // Appending in order is common (time-ordered input): check the end first.
    if (hi > 0 && cmp(values[hi - 1] as T, v) < 0) lo = hi;
    else {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cmp(values[mid] as T, v) < 0) lo = mid + 1;
        else hi = mid;
      }
    }
    this.total += weight;
    if (lo < values.length && cmp(values[lo] as T, v) === 0) {
      const c = (this.counts[lo] as number) + weight;
      if (c === 0) {
        values.splice(lo, 1);
        this.counts.splice(lo, 1);
      } else this.counts[lo] = c;
      return;
    }
    if (lo === values.length) {
      values.push(v);
      this.counts.push(weight);
    } else {
      values.splice(lo, 0, v);
      this.counts.splice(lo, 0, weight);
    }
  }

  first(): T | undefined {
    return this.values[0];
  }

  last(): T | undefined {
    return this.values[this.values.length - 1];
  }

  /** The value at 0-based position `k` of the expanded (sorted, with repeats) sequence. */
  at(k: number): T | undefined {
    const counts = this.counts;
    if (k < this.total / 2) {
      let seen = 0;
      for (let i = 0; i < counts.length; i++) {
        seen += counts[i] as number;
        if (k < seen) return this.values[i];
      }
      return undefined;
    }
    let seen = this.total;
    for (let i = counts.length - 1; i >= 0; i--) {
      seen -= counts[i] as number;
      if (k >= seen) return this.values[i];
    }
    return undefined;
  }

  /** The state as plain data (copies of the arrays; the values themselves are shared). */
  snapshot(): MultisetState<T> {
    return [this.values.slice(), this.counts.slice()];
  }

  /** Replaces the content with a `snapshot()` (of a multiset with the same order). */
  restore(state: MultisetState<T>): void {
    const [values, counts] = state;
    if (values.length !== counts.length)
      throw new Error('multiset snapshot: values and counts differ in length');
    this.values.length = 0;
    this.counts.length = 0;
    let total = 0;
    for (let i = 0; i < values.length; i++) {
      this.values.push(values[i] as T);
      this.counts.push(counts[i] as number);
      total += counts[i] as number;
    }
    this.total = total;
  }

  /** Values in order, each repeated by its count. */
  *expand(): IterableIterator<T> {
    for (let i = 0; i < this.values.length; i++) {
      const v = this.values[i] as T;
      for (let c = this.counts[i] as number; c > 0; c--) yield v;
    }
  }
}
