/**
 * DISTINCT wrapper: `agg(DISTINCT x)` sees each distinct value once.
 * State: the multiplicity of every value. Delta: when a value's multiplicity goes from 0 to
 * positive the inner accumulator gets `(x, +1)`; from positive to 0, `(x, −1)`; other changes
 * are absorbed. NULL is passed through like any value (the inner aggregate skips it or not).
 */
import { hashKey, type Row, type Value } from '../value.ts';
import type { Accumulator } from './accumulator.ts';

export class DistinctAccumulator implements Accumulator {
  readonly #inner: Accumulator;
  /** Primitive values keyed by themselves (Map's SameValueZero: 1 ≠ '1', NaN = NaN). */
  readonly #primitives = new Map<null | boolean | number | string, number>();
  /** Arrays, intervals… keyed by their canonical string (kept apart from text values). */
  #objects: Map<string, number> | undefined;

  constructor(inner: Accumulator) {
    this.#inner = inner;
  }

  add(value: Value, weight: number, sortKey?: Row): void {
    let old: number;
    let now: number;
    if (value === null || typeof value !== 'object') {
      old = this.#primitives.get(value) ?? 0;
      now = old + weight;
      if (now === 0) this.#primitives.delete(value);
      else this.#primitives.set(value, now);
    } else {
      const k = hashKey(value) as string;
      this.#objects ??= new Map();
      const objects = this.#objects;
      old = objects.get(k) ?? 0;
      now = old + weight;
      if (now === 0) objects.delete(k);
      else objects.set(k, now);
    }
    if (old <= 0 && now > 0) this.#inner.add(value, 1, sortKey);
    else if (old > 0 && now <= 0) this.#inner.add(value, -1, sortKey);
  }

  result(): Value {
    return this.#inner.result();
  }

  /** The multiplicity of every value (primitives by value, others by key) and the inner state. */
  snapshot(): DistinctState {
    return [
      new Map(this.#primitives),
      this.#objects === undefined ? null : new Map(this.#objects),
      this.#inner.snapshot(),
    ];
  }

  restore(state: unknown): void {
    const [primitives, objects, inner] = state as DistinctState;
    this.#primitives.clear();
    for (const [v, n] of primitives) this.#primitives.set(v, n);
    this.#objects = objects === null ? undefined : new Map(objects);
    this.#inner.restore(inner);
  }
}

type DistinctState = [
  primitives: Map<null | boolean | number | string, number>,
  objects: Map<string, number> | null,
  inner: unknown,
];
