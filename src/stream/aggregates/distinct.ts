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
  #tracking = false;
  /** While tracked: the values whose multiplicity changed since the last `takeChanges`, with it now (0: gone). */
  #changed: Map<Primitive, number> | undefined;
  #changedObjects: Map<string, { value: Value; count: number }> | undefined;

  /**
   * The input only ever inserts: what decides the result is whether a value is there, so each
   * is kept once (multiplicity 1) and a checkpoint records it when it first comes, not each
   * time it comes again.
   */
  readonly #insertOnly: boolean;

  constructor(inner: Accumulator, insertOnly = false) {
    this.#inner = inner;
    this.#insertOnly = insertOnly;
  }

  add(value: Value, weight: number, sortKey?: Row): void {
    let old: number;
    let now: number;
    let v = value;
    if (this.#insertOnly && weight < 0)
      throw new Error('DISTINCT over an insert-only input received a retraction');
    if (value === null || typeof value !== 'object') {
      old = this.#primitives.get(value) ?? 0;
      if (this.#insertOnly && old > 0) return;
      now = this.#insertOnly ? 1 : old + weight;
      if (now === 0) this.#primitives.delete(value);
      else this.#primitives.set(value, now);
      if (this.#tracking) {
        this.#changed ??= new Map();
        this.#changed.set(value, now);
      }
    } else {
      const k = hashKey(value) as string;
      this.#objects ??= new Map();
      const objects = this.#objects;
      const e = objects.get(k);
      old = e?.count ?? 0;
      if (this.#insertOnly && old > 0) return;
      now = this.#insertOnly ? 1 : old + weight;
      if (e !== undefined) v = e.value;
      if (now === 0) objects.delete(k);
      else if (e === undefined) objects.set(k, { value, count: now });
      else e.count = now;
      if (this.#tracking) {
        this.#changedObjects ??= new Map();
        this.#changedObjects.set(k, { value: v, count: now });
      }
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

  trackChanges(): void {
    this.#tracking = true;
    this.#changed = undefined;
    this.#changedObjects = undefined;
  }

  /** The values whose multiplicity changed, with it now (0: gone), and the inner state whole. */
  takeChanges(): DistinctState {
    const changes: DistinctState = [
      this.#changed ?? new Map(),
      this.#changedObjects ?? null,
      this.#inner.snapshot(),
    ];
    this.#changed = undefined;
    this.#changedObjects = undefined;
    return changes;
  }

  applyChanges(changes: unknown): void {
    const [primitives, objects, inner] = changes as DistinctState;
    for (const [v, n] of primitives) {
      if (n === 0) this.#primitives.delete(v);
      else this.#primitives.set(v, n);
    }
    if (objects !== null) {
      this.#objects ??= new Map();
      for (const [k, e] of objects) {
        if (e.count === 0) this.#objects.delete(k);
        else this.#objects.set(k, { value: e.value, count: e.count });
      }
    }
    this.#inner.restore(inner);
  }
}

type Primitive = null | boolean | number | bigint | string;

type DistinctState = [
  primitives: Map<Primitive, number>,
  objects: Map<string, { value: Value; count: number }> | null,
  inner: unknown,
];
