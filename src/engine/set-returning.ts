/**
 * The set-returning functions a SELECT list may call (the ProjectSet operator runs them):
 * `unnest(array)` — its elements, every dimension flattened, as PostgreSQL does — and
 * `generate_series(start, stop[, step])` over integers, or timestamps with an interval step.
 */
import { SqlError, SqlState } from '../sql/errors.ts';
import type { SetReturningCall } from '../sql/plan.ts';
import type { Interval } from '../sql/types.ts';
import type { ElementsOf } from '../stream/operators/project-set.ts';
import type { Row, Value } from '../stream/value.ts';
import { addInterval } from './eval/functions/datetime.ts';

/** Longest series one call may return: a typo in a bound should not take the heap. */
const MAX_ELEMENTS = 10_000_000;

type Arg = (row: Row) => Value;

export function elementsOf(call: SetReturningCall, args: readonly Arg[]): ElementsOf {
  if (call.fn === 'unnest') {
    const array = args[0] as Arg;
    return (row) => {
      const a = array(row);
      return a === null ? [] : flatten(a as readonly Value[]);
    };
  }
  const [start, stop, step] = args as [Arg, Arg, Arg | undefined];
  if (call.type.name === 'timestamp' || call.type.name === 'timestamptz')
    return (row) => timestampSeries(start(row), stop(row), step?.(row) ?? null);
  return (row) => integerSeries(start(row), stop(row), step === undefined ? 1 : step(row));
}

function flatten(a: readonly Value[]): Value[] {
  return a.some(Array.isArray) ? a.flatMap((v) => (Array.isArray(v) ? flatten(v as Value[]) : [v])) : [...a];
}

function integerSeries(start: Value, stop: Value, step: Value): Value[] {
  if (start === null || stop === null || step === null) return [];
  const [a, b, s] = [Number(start), Number(stop), Number(step)];
  if (s === 0) throw new SqlError(SqlState.invalidParameterValue, 'step size cannot equal zero');
  const n = Math.floor((b - a) / s) + 1;
  if (n <= 0) return [];
  tooLong(n);
  return Array.from({ length: n }, (_, i) => a + i * s);
}

function timestampSeries(start: Value, stop: Value, step: Value): Value[] {
  if (start === null || stop === null || step === null) return [];
  const iv = step as Interval;
  if (iv.months === 0 && iv.days === 0 && iv.micros === 0)
    throw new SqlError(SqlState.invalidParameterValue, 'step size cannot equal zero');
  const out: Value[] = [];
  const end = stop as number;
  const forward = iv.months > 0 || (iv.months === 0 && (iv.days > 0 || (iv.days === 0 && iv.micros > 0)));
  for (let t = start as number; forward ? t <= end : t >= end; t = addInterval(t, iv)) {
    out.push(t);
    tooLong(out.length);
  }
  return out;
}

function tooLong(n: number): void {
  if (n > MAX_ELEMENTS)
    throw new SqlError(
      '54000',
      `generate_series would return more than ${MAX_ELEMENTS.toLocaleString('en-US')} rows`,
    );
}
