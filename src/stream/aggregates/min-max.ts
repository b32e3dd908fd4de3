/**
 * min(x) / max(x), retractable: the state is the multiset of non-NULL values in sort order,
 * so deleting the current extreme exposes the next one. Result: the first / last value, NULL
 * when empty. Several calls over the same argument (min, max, percentiles) may share one
 * multiset: the aggregate operator then feeds only the first of them.
 */
import type { Value } from '../value.ts';
import type { Accumulator } from './accumulator.ts';
import { type MultisetState, SortedMultiset } from './sorted-multiset.ts';

/**
 * An accumulator whose state is the sorted multiset of its non-NULL values: min, max and the
 * percentiles, which differ only in the value they read off it.
 */
export abstract class SortedValuesAccumulator implements Accumulator {
  readonly set: SortedMultiset;

  /** `shared`: the multiset of an earlier call over the same argument, fed by that call. */
  constructor(shared?: SortedMultiset) {
    this.set = shared ?? new SortedMultiset();
  }

  add(value: Value, weight: number): void {
    if (value !== null) this.set.add(value, weight);
  }

  abstract result(): Value;

  snapshot(): MultisetState {
    return this.set.snapshot();
  }

  restore(state: unknown): void {
    this.set.restore(state as MultisetState);
  }
}

export class MinAccumulator extends SortedValuesAccumulator {
  result(): Value {
    return this.set.first() ?? null;
  }
}

export class MaxAccumulator extends SortedValuesAccumulator {
  result(): Value {
    return this.set.last() ?? null;
  }
}
