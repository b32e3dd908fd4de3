/**
 * bool_and(x) / bool_or(x). State: counts of TRUE and FALSE inputs (NULLs skipped).
 * bool_and = no FALSE (NULL if no input); bool_or = some TRUE (NULL if no input).
 */
import type { Value } from '../value.ts';
import type { Accumulator } from './accumulator.ts';

class BoolCounts {
  trues = 0;
  falses = 0;
  add(value: Value, weight: number): void {
    if (value === true) this.trues += weight;
    else if (value === false) this.falses += weight;
  }
  snapshot(): [trues: number, falses: number] {
    return [this.trues, this.falses];
  }
  restore(state: unknown): void {
    [this.trues, this.falses] = state as [number, number];
  }
}

export class BoolAndAccumulator extends BoolCounts implements Accumulator {
  result(): Value {
    if (this.trues + this.falses <= 0) return null;
    return this.falses <= 0;
  }
}

export class BoolOrAccumulator extends BoolCounts implements Accumulator {
  result(): Value {
    if (this.trues + this.falses <= 0) return null;
    return this.trues > 0;
  }
}
