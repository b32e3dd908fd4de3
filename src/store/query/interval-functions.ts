/**
 * Interval arithmetic in ad-hoc queries with the engine's code (sql/interval-arithmetic.ts):
 * DuckDB multiplies and divides an interval its own way (its `/` makes one of months, days and
 * time in microseconds) and has no sum of intervals, where PostgreSQL cascades fractional
 * months into days (30 each) and fractional days into time. rewrite-intervals.ts calls these:
 * `iv * n` → `tw_interval_mul(iv, n)`, `n * iv` → `tw_mul_interval(n, iv)`, `iv / n` →
 * `tw_interval_div(iv, n)`, `sum(iv)` → `tw_interval_sum(list(iv))`, `avg(iv)` →
 * `tw_interval_avg(list(iv))`.
 */
import { DOUBLE, type DuckDBListValue, type DuckDBScalarFunction, INTERVAL, LIST } from '@duckdb/node-api';
import { addIntervals, divideInterval, multiplyInterval } from '../../sql/interval-arithmetic.ts';
import { type Interval, T } from '../../sql/types.ts';
import { fromDuckValue, toDuckValue } from './duck-values.ts';
import { scalar } from './scalar-function.ts';

function interval(v: unknown): Interval {
  return fromDuckValue(v as never, INTERVAL, T.interval) as Interval;
}

function duck(iv: Interval): unknown {
  return toDuckValue(iv, T.interval);
}

/** The sum of a list's intervals and how many there are (NULLs left out). */
function total(l: DuckDBListValue): { sum: Interval; n: number } {
  let sum: Interval = { months: 0, days: 0, micros: 0 };
  let n = 0;
  for (const v of l.items) {
    if (v === null) continue;
    sum = addIntervals(sum, interval(v));
    n++;
  }
  return { sum, n };
}

/** The JavaScript functions of interval arithmetic, for the session to register. */
export function intervalFunctions(): DuckDBScalarFunction[] {
  return [
    scalar('tw_interval_mul', [INTERVAL, DOUBLE], INTERVAL, (iv: unknown, x: number) =>
      duck(multiplyInterval(interval(iv), x)),
    ),
    scalar('tw_mul_interval', [DOUBLE, INTERVAL], INTERVAL, (x: number, iv: unknown) =>
      duck(multiplyInterval(interval(iv), x)),
    ),
    scalar('tw_interval_div', [INTERVAL, DOUBLE], INTERVAL, (iv: unknown, x: number) =>
      duck(divideInterval(interval(iv), x)),
    ),
    scalar('tw_interval_sum', [LIST(INTERVAL)], INTERVAL, (l: DuckDBListValue) => {
      const { sum, n } = total(l);
      return n === 0 ? null : duck(sum);
    }),
    scalar('tw_interval_avg', [LIST(INTERVAL)], INTERVAL, (l: DuckDBListValue) => {
      const { sum, n } = total(l);
      return n === 0 ? null : duck(divideInterval(sum, n));
    }),
  ];
}
