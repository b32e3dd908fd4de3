/**
 * DISTINCT wrapper: `agg(DISTINCT x)` sees each distinct value once.
 * State: the multiplicity of every value. Delta: when a value's multiplicity goes from 0 to
 * positive the inner accumulator gets `(x, +1)`; from positive to 0, `(x, −1)`; other changes
 * are absorbed. NULL is passed through like any value (the inner aggregate skips it or not).
 * Values equal for SQL but printed apart (1.5 and 1.50) are one value: the first seen stands
 * for it, and is what the inner accumulator is given and later retracts.
 */
import { hashKey, type Row, type Value } from '../value.ts';
import type { Accumulator } from './accumulator.ts';

export class DistinctAccumulator implements Accumulator {
  readonly #inner: Accumulator;
  /** Primitive values keyed by themselves (Map's SameValueZero: 1 ≠ '1', NaN = NaN). */
  readonly #primitives = new Map<Primitive, number>();
  /** Arrays, intervals, numerics… keyed by their canonical string (kept apart from text values). */
  #objects: Map<string, { value: Value; count: number }> | undefined;

  constructor(inner: Accumulator) {
    this.#inner = inner;
  }

  add(value: Value, weight: number, sortKey?: Row): void {
    let old: number;
    let now: number;
    let v = value;
    if (value === null || typeof value !== 'object') {
      old = this.#primitives.get(value) ?? 0;
      now = old + weight;
      if (now === 0) this.#primitives.delete(value);
      else this.#primitives.set(value, now);
    } else {
      const k = hashKey(value) as string;
      this.#objects ??= new Map();
      const objects = this.#objects;
      const e = objects.get(k);
      old = e?.count ?? 0;
      now = old + weight;
      if (e !== undefined) v = e.value;
      if (now === 0) objects.delete(k);
      else if (e === undefined) objects.set(k, { value, count: now });
      else e.count = now;
    }
    if (old <= 0 && now > 0) this.#inner.add(v, 1, sortKey);
    else if (old > 0 && now <= 0) this.#inner.add(v, -1, sortKey);
  }

  result(): Value {
    return this.#inner.result();
  }

  /** The multiplicity of every value (primitives by value, others by key) and the inner state. */
  snapshot(): DistinctState {
    return [
      new Map(this.#primitives),
      this.#objects === undefined
        ? null
        : new Map([...this.#objects].map(([k, e]) => [k, { value: e.value, count: e.count }])),
      this.#inner.snapshot(),
    ];
  }

  restore(state: unknown): void {
    const [primitives, objects, inner] = state as DistinctState;
    this.#primitives.clear();
    for (const [v, n] of primitives) this.#primitives.set(v, n);
    this.#objects =
      objects === null
        ? undefined
        : new Map([...objects].map(([k, e]) => [k, { value: e.value, count: e.count }]));
    this.#inner.restore(inner);
  }
}

type Primitive = null | boolean | number | bigint | string;

type DistinctState = [
  primitives: Map<Primitive, number>,
  objects: Map<string, { value: Value; count: number }> | null,
  inner: unknown,
];
