/**
 * min(x) / max(x), retractable: the state is the multiset of non-NULL values in sort order,
 * so deleting the current extreme exposes the next one. Result: the first / last value, NULL
 * when empty. Several calls over the same argument (min, max, percentiles) may share one
 * multiset: the aggregate operator then feeds only the first of them.
 */
import { compareValuesExact, type Value } from '../value.ts';
import type { Accumulator } from './accumulator.ts';
import { type MultisetState, SortedMultiset } from './sorted-multiset.ts';

/**
 * An accumulator whose state is the sorted multiset of its non-NULL values: min, max and the
 * percentiles, which differ only in the value they read off it.
 */
export abstract class SortedValuesAccumulator implements Accumulator {
  readonly set: SortedMultiset;
  #tracking = false;
  /** The values added since the last `takeChanges`, with their weights, while tracked. */
  #changes: SortedValuesChanges | undefined;

  /** `shared`: the multiset of an earlier call over the same argument, fed by that call. */
  constructor(shared?: SortedMultiset) {
    this.set = shared ?? new SortedMultiset();
  }

  add(value: Value, weight: number): void {
    if (value === null) return;
    this.set.add(value, weight);
    if (this.#tracking) {
      this.#changes ??= [[], []];
      this.#changes[0].push(value);
      this.#changes[1].push(weight);
    }
  }

  abstract result(): Value;

  snapshot(): MultisetState {
    return this.set.snapshot();
  }

  restore(state: unknown): void {
    this.set.restore(state as MultisetState);
  }

  trackChanges(): void {
    this.#tracking = true;
    this.#changes = undefined;
  }

  takeChanges(): SortedValuesChanges {
    const changes = this.#changes ?? [[], []];
    this.#changes = undefined;
    return changes;
  }

  applyChanges(changes: unknown): void {
    const [values, weights] = changes as SortedValuesChanges;
    for (let i = 0; i < values.length; i++) this.set.add(values[i] as Value, weights[i] as number);
  }
}

/** Values added to a multiset (retractions with a negative weight), in order. */
type SortedValuesChanges = [values: Value[], weights: number[]];

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

/**
 * min(x) / max(x) over an input that only ever inserts: the extreme so far. Its snapshot is
 * `[value]`; it also restores the `[values, counts]` multiset a retractable min/max saved.
 */
export class InsertOnlyExtremeAccumulator implements Accumulator {
  readonly #sign: 1 | -1;
  #value: Value = null;
  /** The extreme changed since the last `takeChanges`. */
  #changed = false;

  constructor(keep: 'min' | 'max') {
    this.#sign = keep === 'max' ? 1 : -1;
  }

  add(value: Value, weight: number): void {
    if (value === null) return;
    if (weight < 0) throw new Error('min/max over an insert-only input received a retraction');
    if (this.#value === null || this.#sign * compareValuesExact(value, this.#value) > 0) {
      this.#value = value;
      this.#changed = true;
    }
  }

  result(): Value {
    return this.#value;
  }

  snapshot(): [Value] {
    return [this.#value];
  }

  restore(state: unknown): void {
    const saved = state as [Value] | MultisetState;
    if (saved.length === 1) this.#value = saved[0];
    else {
      const values = saved[0];
      this.#value = (this.#sign > 0 ? values[values.length - 1] : values[0]) ?? null;
    }
  }

  trackChanges(): void {
    this.#changed = false;
  }

  /** The extreme when it changed, else undefined (nothing to write). */
  takeChanges(): [Value] | undefined {
    if (!this.#changed) return undefined;
    this.#changed = false;
    return [this.#value];
  }

  applyChanges(changes: unknown): void {
    this.restore(changes);
  }
}
