/**
 * count(*) counts rows; count(x) counts non-NULL values. State: one integer.
 * Delta: count += w (for count(x) only when x is not NULL).
 */
import type { Value } from '../value.ts';
import type { Accumulator } from './accumulator.ts';

export class CountStarAccumulator implements Accumulator {
  n = 0;
  add(_value: Value, weight: number): void {
    this.n += weight;
  }
  result(): Value {
    return this.n;
  }
  snapshot(): number {
    return this.n;
  }
  restore(state: unknown): void {
    this.n = state as number;
  }
}

export class CountAccumulator implements Accumulator {
  n = 0;
  add(value: Value, weight: number): void {
    if (value !== null) this.n += weight;
  }
  result(): Value {
    return this.n;
  }
  snapshot(): number {
    return this.n;
  }
  restore(state: unknown): void {
    this.n = state as number;
  }
}
