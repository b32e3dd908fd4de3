/**
 * mode() WITHIN GROUP (ORDER BY x): the most frequent non-NULL value; among equally frequent
 * ones, the first in the ORDER BY order (PostgreSQL's choice). State: each distinct value and
 * its count; the result scans them (a group's distinct values, once per epoch it changed).
 */
import { compareValuesExact, type Value, valueIdentity } from '../value.ts';
import type { Accumulator } from './accumulator.ts';

type ModeState = [values: Value[], counts: number[]];

export class ModeAccumulator implements Accumulator {
  readonly #counts = new Map<string, { value: Value; count: number }>();
  readonly #descending: boolean;

  constructor(descending: boolean) {
    this.#descending = descending;
  }

  add(value: Value, weight: number): void {
    if (value === null) return;
    const k = valueIdentity(value);
    const e = this.#counts.get(k);
    if (e === undefined) this.#counts.set(k, { value, count: weight });
    else {
      e.count += weight;
      if (e.count === 0) this.#counts.delete(k);
    }
  }

  result(): Value {
    let best: { value: Value; count: number } | undefined;
    for (const e of this.#counts.values()) {
      if (e.count <= 0) continue;
      if (best === undefined || e.count > best.count) best = e;
      else if (e.count === best.count) {
        const order = compareValuesExact(e.value, best.value);
        if (this.#descending ? order > 0 : order < 0) best = e;
      }
    }
    return best === undefined ? null : best.value;
  }

  snapshot(): ModeState {
    const values: Value[] = [];
    const counts: number[] = [];
    for (const e of this.#counts.values()) {
      values.push(e.value);
      counts.push(e.count);
    }
    return [values, counts];
  }

  restore(state: unknown): void {
    const [values, counts] = state as ModeState;
    this.#counts.clear();
    for (let i = 0; i < values.length; i++) {
      const value = values[i] as Value;
      this.#counts.set(valueIdentity(value), { value, count: counts[i] as number });
    }
  }
}
