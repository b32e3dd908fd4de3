/**
 * PostgreSQL's interval arithmetic, shared by the expression evaluator and the aggregates
 * (avg and percentile_cont of intervals, window sums): `+` and `−` field by field, `*` and
 * `/` by a number with fractional months cascading into days (30 each) and fractional days
 * into time (24 h each), as `interval_mul` / `interval_div` do.
 */
import { SqlError } from './errors.ts';
import type { Interval } from './types.ts';

const DAYS_PER_MONTH = 30;
const SECS_PER_DAY = 86400;
const MICROS_PER_SECOND = 1_000_000;

/** Round half to even (C's rint), PostgreSQL's rounding of float results. */
export function rint(x: number): number {
  if (!Number.isFinite(x)) return x;
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** 2^63: PostgreSQL keeps an interval's time as an int64 of microseconds. */
const INT64_BOUND = 2 ** 63;

/**
 * Whether `x` can be an interval's microseconds: an integer within int64, as PostgreSQL's
 * FLOAT8_FITS_IN_INT64 asks (beyond 2^53 a double holds it to within its precision).
 */
export function fitsIntervalMicros(x: number): boolean {
  return Number.isInteger(x) && x >= -INT64_BOUND && x < INT64_BOUND;
}

/** An interval value (−0 fields normalised to 0). */
function make(months: number, days: number, micros: number): Interval {
  return { months: months + 0, days: days + 0, micros: micros + 0 };
}

export function addIntervals(a: Interval, b: Interval): Interval {
  return make(a.months + b.months, a.days + b.days, a.micros + b.micros);
}

export function subtractIntervals(a: Interval, b: Interval): Interval {
  return make(a.months - b.months, a.days - b.days, a.micros - b.micros);
}

/** interval * factor (interval_mul). */
export function multiplyInterval(iv: Interval, factor: number): Interval {
  return scale(iv.months * factor, iv.days * factor, iv.micros * factor);
}

/** interval / factor (interval_div). */
export function divideInterval(iv: Interval, factor: number): Interval {
  if (factor === 0) throw new SqlError('22012', 'division by zero');
  return scale(iv.months / factor, iv.days / factor, iv.micros / factor);
}

function tsround(x: number): number {
  return rint(x * 1e6) / 1e6;
}

function int32(x: number): number {
  if (Number.isNaN(x) || x > 2147483647 || x < -2147483648)
    throw new SqlError('22008', 'interval out of range');
  return Math.trunc(x);
}

function scale(monthsF: number, daysF: number, timeF: number): Interval {
  const months = int32(monthsF);
  let days = int32(daysF);
  const monthRemainderDays = tsround((monthsF - months) * DAYS_PER_MONTH);
  let secRemainder = tsround(
    (daysF - days + monthRemainderDays - Math.trunc(monthRemainderDays)) * SECS_PER_DAY,
  );
  if (Math.abs(secRemainder) >= SECS_PER_DAY) {
    const whole = Math.trunc(secRemainder / SECS_PER_DAY);
    days += whole;
    secRemainder -= whole * SECS_PER_DAY;
  }
  days += Math.trunc(monthRemainderDays);
  const micros = rint(timeF + secRemainder * MICROS_PER_SECOND);
  if (!fitsIntervalMicros(micros)) throw new SqlError('22008', 'interval out of range');
  return make(months, days, micros);
}
