/**
 * min(x) / max(x), retractable: the state is the multiset of non-NULL values in sort order,
 * so deleting the current extreme exposes the next one. Result: the first / last value, NULL
 * when empty. Several calls over the same argument (min, max, percentiles) may share one
 * multiset: the aggregate operator then feeds only the first of them.
 */
import type { Value } from '../value.ts';
import type { Accumulator } from './accumulator.ts';
import { type MultisetState, SortedMultiset } from './sorted-multiset.ts';

export class MinAccumulator implements Accumulator {
  readonly set: SortedMultiset;
  constructor(shared?: SortedMultiset) {
    this.set = shared ?? new SortedMultiset();
  }
  add(value: Value, weight: number): void {
    if (value !== null) this.set.add(value, weight);
  }
  result(): Value {
    return this.set.first() ?? null;
  }
  snapshot(): MultisetState {
    return this.set.snapshot();
  }
  restore(state: unknown): void {
    this.set.restore(state as MultisetState);
  }
}

export class MaxAccumulator implements Accumulator {
  readonly set: SortedMultiset;
  constructor(shared?: SortedMultiset) {
    this.set = shared ?? new SortedMultiset();
  }
  add(value: Value, weight: number): void {
    if (value !== null) this.set.add(value, weight);
  }
  result(): Value {
    return this.set.last() ?? null;
  }
  snapshot(): MultisetState {
    return this.set.snapshot();
  }
  restore(state: unknown): void {
    this.set.restore(state as MultisetState);
  }
}
