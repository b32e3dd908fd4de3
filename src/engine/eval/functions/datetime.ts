/**
 * Date/time arithmetic and functions. Timestamps are microseconds since 1970-01-01 00:00:00;
 * timestamptz is the same instant in UTC and the session time zone is UTC, so the two
 * compute alike. Dates are days since 1970-01-01; times micros since midnight.
 *
 * `timestamp ± interval` adds months first (clamping the day to the month's end:
 * Jan 31 + 1 mon = Feb 29 in a leap year), then days, then microseconds, like PostgreSQL.
 * `timestamp − timestamp` gives days + time (justify_hours). Intervals compare by span.
 */

import {
  addIntervals,
  divideInterval,
  multiplyInterval,
  rint,
  subtractIntervals,
} from '../../../sql/interval-arithmetic.ts';
import { type Civil, civilFromDays, daysFromCivil } from '../../../sql/literals.ts';
import { addNumeric, divNumeric, type Numeric, numeric, numericFromInteger } from '../../../sql/numeric.ts';
import type { Interval, SqlType, Value } from '../../../sql/types.ts';
import { evalError, invalidParameter, notSupported, timestampOutOfRange } from '../errors.ts';
import { type Kernel, strict } from './kernel.ts';

export const MICROS_PER_SECOND = 1_000_000;
export const MICROS_PER_MINUTE = 60_000_000;
export const MICROS_PER_HOUR = 3_600_000_000;
export const MICROS_PER_DAY = 86_400_000_000;

export { type Civil, civilFromDays, daysFromCivil };

export function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(y: number, m: number): number {
  return m === 2 && isLeap(y) ? 29 : (monthDays[m - 1] as number);
}

export function interval(months: number, days: number, micros: number): Interval {
  return { months: months + 0, days: days + 0, micros: micros + 0 };
}

/** Largest timestamp PostgreSQL accepts (294276-12-31 23:59:59.999999) and smallest (4714-11-24 BC). */
const MAX_TIMESTAMP = 9224318016000000000 - 1;
const MIN_TIMESTAMP = -211813488000000000;

function checkTimestamp(ts: number): number {
  if (!(ts >= MIN_TIMESTAMP && ts <= MAX_TIMESTAMP)) throw timestampOutOfRange();
  return ts;
}

export function splitTimestamp(ts: number): { days: number; micros: number } {
  const days = Math.floor(ts / MICROS_PER_DAY);
  return { days, micros: ts - days * MICROS_PER_DAY };
}

/** timestamp + interval (months, then days, then micros). */
export function addInterval(ts: number, iv: Interval): number {
  let t = ts;
  if (iv.months !== 0) {
    const { days, micros } = splitTimestamp(t);
    const c = civilFromDays(days);
    const m0 = c.year * 12 + (c.month - 1) + iv.months;
    const year = Math.floor(m0 / 12);
    const month = m0 - year * 12 + 1;
    const day = Math.min(c.day, daysInMonth(year, month));
    t = daysFromCivil(year, month, day) * MICROS_PER_DAY + micros;
  }
  return checkTimestamp(t + iv.days * MICROS_PER_DAY + iv.micros);
}

export function negateInterval(iv: Interval): Interval {
  return interval(-iv.months, -iv.days, -iv.micros);
}

/** timestamp − timestamp: whole days and the remaining time (justify_hours). */
export function timestampDiff(a: number, b: number): Interval {
  const diff = a - b;
  const days = Math.trunc(diff / MICROS_PER_DAY);
  return interval(0, days, diff - days * MICROS_PER_DAY);
}

const SECS_PER_DAY = 86400;

function timeAdd(t: number, iv: Interval, sign: number): number {
  let r = (t + sign * iv.micros) % MICROS_PER_DAY;
  if (r < 0) r += MICROS_PER_DAY;
  return r + 0;
}

function checkDate(d: number): number {
  // PostgreSQL's date range: 4714-11-24 BC … 5874897-12-31
  if (d < -2440588 || d > 2145031948) throw evalError('22008', 'date out of range');
  return d;
}

/** `+` / `-` with a date/time/interval operand (operands as the binder arranged them). */
export function temporalKernel(op: string, types: readonly SqlType[], result: SqlType): Kernel | undefined {
  const a = types[0]?.name;
  const b = types[1]?.name;
  if (op === 'neg' && a === 'interval') return strict(negateInterval);
  if (op === '+' || op === '-') {
    const sign = op === '+' ? 1 : -1;
    if ((a === 'timestamp' || a === 'timestamptz') && b === 'interval')
      return strict(
        op === '+' ? addInterval : (t: number, iv: Interval) => addInterval(t, negateInterval(iv)),
      );
    if (a === 'date' && (b === 'int4' || b === 'int2' || b === 'int8'))
      return strict((d: number, n: number) => checkDate(d + sign * n));
    if (a === 'date' && b === 'date' && op === '-') return strict((x: number, y: number) => x - y);
    if (a === 'time' && b === 'interval') return strict((t: number, iv: Interval) => timeAdd(t, iv, sign));
    if (a === 'interval' && b === 'interval') return strict(op === '+' ? addIntervals : subtractIntervals);
    if ((a === 'timestamp' || a === 'timestamptz') && b === a && op === '-' && result.name === 'interval')
      return strict(timestampDiff);
    return undefined;
  }
  if (a === 'interval' && (op === '*' || op === '/'))
    return strict(op === '*' ? multiplyInterval : divideInterval);
  return undefined;
}

// ---------------------------------------------------------------------------
// Fields: extract / date_part / date_trunc

type Field =
  | 'microseconds'
  | 'milliseconds'
  | 'second'
  | 'minute'
  | 'hour'
  | 'day'
  | 'week'
  | 'month'
  | 'quarter'
  | 'year'
  | 'decade'
  | 'century'
  | 'millennium'
  | 'epoch'
  | 'dow'
  | 'isodow'
  | 'doy'
  | 'isoyear'
  | 'julian'
  | 'timezone'
  | 'timezone_hour'
  | 'timezone_minute';

const fieldNames: Readonly<Record<string, Field>> = {
  microsecond: 'microseconds',
  microseconds: 'microseconds',
  microsecon: 'microseconds',
  us: 'microseconds',
  usec: 'microseconds',
  usecs: 'microseconds',
  useconds: 'microseconds',
  millisecond: 'milliseconds',
  milliseconds: 'milliseconds',
  millisecon: 'milliseconds',
  ms: 'milliseconds',
  msec: 'milliseconds',
  msecs: 'milliseconds',
  mseconds: 'milliseconds',
  second: 'second',
  seconds: 'second',
  s: 'second',
  sec: 'second',
  secs: 'second',
  minute: 'minute',
  minutes: 'minute',
  m: 'minute',
  min: 'minute',
  mins: 'minute',
  hour: 'hour',
  hours: 'hour',
  h: 'hour',
  hr: 'hour',
  hrs: 'hour',
  day: 'day',
  days: 'day',
  d: 'day',
  week: 'week',
  weeks: 'week',
  w: 'week',
  month: 'month',
  months: 'month',
  mon: 'month',
  mons: 'month',
  quarter: 'quarter',
  qtr: 'quarter',
  year: 'year',
  years: 'year',
  y: 'year',
  yr: 'year',
  yrs: 'year',
  decade: 'decade',
  decades: 'decade',
  dec: 'decade',
  decs: 'decade',
  century: 'century',
  centuries: 'century',
  c: 'century',
  cent: 'century',
  millennium: 'millennium',
  millennia: 'millennium',
  millenniums: 'millennium',
  mil: 'millennium',
  mils: 'millennium',
  epoch: 'epoch',
  dow: 'dow',
  isodow: 'isodow',
  doy: 'doy',
  isoyear: 'isoyear',
  julian: 'julian',
  j: 'julian',
  timezone: 'timezone',
  timezone_h: 'timezone_hour',
  timezone_hour: 'timezone_hour',
  timezone_m: 'timezone_minute',
  timezone_minute: 'timezone_minute',
};

function typeLabel(t: string): string {
  switch (t) {
    case 'timestamp':
      return 'timestamp without time zone';
    case 'timestamptz':
      return 'timestamp with time zone';
    case 'time':
      return 'time without time zone';
    default:
      return t;
  }
}

function lookupField(unit: string, type: string): Field {
  const f = fieldNames[unit.toLowerCase()];
  if (f === undefined) throw invalidParameter(`unit "${unit}" not recognized for type ${typeLabel(type)}`);
  return f;
}

function unsupportedUnit(unit: string, type: string): Error {
  return notSupported(`unit "${unit}" not supported for type ${typeLabel(type)}`);
}

/** 0 = Sunday. */
export function dayOfWeek(days: number): number {
  return (((days + 4) % 7) + 7) % 7;
}

function isoYearWeek(days: number): { isoyear: number; week: number } {
  const isodow = dayOfWeek(days) || 7;
  const thursday = days - (isodow - 1) + 3;
  const isoyear = civilFromDays(thursday).year;
  return { isoyear, week: Math.floor((thursday - daysFromCivil(isoyear, 1, 1)) / 7) + 1 };
}

function pgYear(y: number): number {
  return y > 0 ? y : y - 1;
}

function dateField(f: Field, days: number, unit: string, type: string): number {
  const c = civilFromDays(days);
  switch (f) {
    case 'day':
      return c.day;
    case 'month':
      return c.month;
    case 'quarter':
      return Math.floor((c.month - 1) / 3) + 1;
    case 'year':
      return pgYear(c.year);
    case 'decade':
      return c.year > 0 ? Math.floor(c.year / 10) : -Math.floor((8 - (c.year - 1)) / 10);
    case 'century':
      return c.year > 0 ? Math.floor((c.year + 99) / 100) : -Math.floor((99 - (c.year - 1)) / 100);
    case 'millennium':
      return c.year > 0 ? Math.floor((c.year + 999) / 1000) : -Math.floor((999 - (c.year - 1)) / 1000);
    case 'week':
      return isoYearWeek(days).week;
    case 'isoyear': {
      const y = isoYearWeek(days).isoyear;
      return y > 0 ? y : y - 1;
    }
    case 'dow':
      return dayOfWeek(days);
    case 'isodow':
      return dayOfWeek(days) || 7;
    case 'doy':
      return days - daysFromCivil(c.year, 1, 1) + 1;
    case 'julian':
      return days + JULIAN_EPOCH;
    default:
      throw unsupportedUnit(unit, type);
  }
}

/** extract(unit FROM source) / date_part as a number (extract's numeric: `extractNumeric`). */
export function extractField(unit: string, v: Value, type: string): number {
  if (type === 'interval') return intervalField(unit, v as Interval);
  if (type === 'date') {
    const f = lookupField(unit, type);
    if (f === 'epoch') return (v as number) * SECS_PER_DAY;
    return dateField(f, v as number, unit, type);
  }
  const f = lookupField(unit, type);
  if (f === 'epoch') return (v as number) / 1e6;
  if (type === 'time') {
    const field = timeOfDayField(f, v as number);
    if (field === undefined) throw unsupportedUnit(unit, type);
    return field;
  }
  const { days, micros } = splitTimestamp(v as number);
  const field = timeOfDayField(f, micros);
  if (field !== undefined) return field;
  switch (f) {
    case 'julian':
      return days + JULIAN_EPOCH + micros / MICROS_PER_DAY;
    case 'timezone':
    case 'timezone_hour':
    case 'timezone_minute':
      if (type === 'timestamptz') return 0;
      throw unsupportedUnit(unit, type);
    default:
      return dateField(f, days, unit, type);
  }
}

/** The fields of a time of day (`micros` since midnight) that time and timestamps share; undefined for others. */
function timeOfDayField(f: Field, micros: number): number | undefined {
  switch (f) {
    case 'microseconds':
      return micros % MICROS_PER_MINUTE;
    case 'milliseconds':
      return (micros % MICROS_PER_MINUTE) / 1000;
    case 'second':
      return (micros % MICROS_PER_MINUTE) / 1e6;
    case 'minute':
      return Math.floor(micros / MICROS_PER_MINUTE) % 60;
    case 'hour':
      return Math.floor(micros / MICROS_PER_HOUR);
    default:
      return undefined;
  }
}

function intervalField(unit: string, iv: Interval): number {
  const f = lookupField(unit, 'interval');
  const years = Math.trunc(iv.months / 12);
  const t = iv.micros;
  switch (f) {
    case 'microseconds':
      return t % MICROS_PER_MINUTE;
    case 'milliseconds':
      return (t % MICROS_PER_MINUTE) / 1000;
    case 'second':
      return (t % MICROS_PER_MINUTE) / 1e6;
    case 'minute':
      return Math.trunc((t % MICROS_PER_HOUR) / MICROS_PER_MINUTE);
    case 'hour':
      return Math.trunc(t / MICROS_PER_HOUR);
    case 'day':
      return iv.days;
    case 'month':
      return iv.months % 12;
    case 'quarter':
      return Math.trunc((iv.months % 12) / 3) + 1;
    case 'year':
      return years;
    case 'decade':
      return Math.trunc(years / 10);
    case 'century':
      return Math.trunc(years / 100);
    case 'millennium':
      return Math.trunc(years / 1000);
    case 'epoch':
      return ((365.25 * years + 30 * (iv.months % 12) + iv.days) * SECS_PER_DAY * 1e6 + t) / 1e6;
    default:
      throw unsupportedUnit(unit, 'interval');
  }
}

const JULIAN_EPOCH = 2440588;
const MICROS_PER_DAY_NUMERIC = numeric(86_400_000_000n, 0);
/** Microseconds in a year of 365.25 days (PostgreSQL's DAYS_PER_YEAR for interval epochs). */
const MICROS_PER_YEAR = 31_557_600_000_000n;

/**
 * extract(unit FROM source) as PostgreSQL 15's numeric: whole fields with scale 0; seconds
 * and epochs (from microseconds) with scale 6, milliseconds 3; the julian day of a timestamp
 * is the day plus the fraction of it as a numeric division (select_div_scale).
 */
export function extractNumeric(unit: string, v: Value, type: string): Numeric {
  if (type === 'date') return numericFromInteger(extractField(unit, v, type));
  const f = lookupField(unit, type);
  if (type === 'interval') {
    const iv = v as Interval;
    const t = iv.micros;
    switch (f) {
      case 'second':
        return numeric(BigInt(t % MICROS_PER_MINUTE), 6);
      case 'milliseconds':
        return numeric(BigInt(t % MICROS_PER_MINUTE), 3);
      case 'epoch': {
        const years = BigInt(Math.trunc(iv.months / 12));
        const days = BigInt(30 * (iv.months % 12) + iv.days);
        return numeric(years * MICROS_PER_YEAR + days * BigInt(MICROS_PER_DAY) + BigInt(t), 6);
      }
      default:
        return numericFromInteger(extractField(unit, v, type));
    }
  }
  const micros = v as number;
  if (f === 'epoch') return numeric(BigInt(micros), 6);
  const ofDay = type === 'time' ? micros : splitTimestamp(micros).micros;
  switch (f) {
    case 'second':
      return numeric(BigInt(ofDay % MICROS_PER_MINUTE), 6);
    case 'milliseconds':
      return numeric(BigInt(ofDay % MICROS_PER_MINUTE), 3);
    case 'julian':
      if (type === 'time') break;
      return addNumeric(
        numericFromInteger(splitTimestamp(micros).days + JULIAN_EPOCH),
        divNumeric(numeric(BigInt(ofDay), 0), MICROS_PER_DAY_NUMERIC),
      );
    default:
      break;
  }
  return numericFromInteger(extractField(unit, v, type));
}

/** date_trunc(unit, timestamp). */
export function truncTimestamp(unit: string, ts: number, type: string): number {
  const f = lookupField(unit, type);
  const { days, micros } = splitTimestamp(ts);
  const c = civilFromDays(days);
  const at = (y: number, m: number, d: number): number => daysFromCivil(y, m, d) * MICROS_PER_DAY;
  switch (f) {
    case 'microseconds':
      return ts;
    case 'milliseconds':
      return ts - (((ts % 1000) + 1000) % 1000);
    case 'second':
      return days * MICROS_PER_DAY + Math.floor(micros / MICROS_PER_SECOND) * MICROS_PER_SECOND;
    case 'minute':
      return days * MICROS_PER_DAY + Math.floor(micros / MICROS_PER_MINUTE) * MICROS_PER_MINUTE;
    case 'hour':
      return days * MICROS_PER_DAY + Math.floor(micros / MICROS_PER_HOUR) * MICROS_PER_HOUR;
    case 'day':
      return days * MICROS_PER_DAY;
    case 'week':
      return (days - ((dayOfWeek(days) || 7) - 1)) * MICROS_PER_DAY;
    case 'month':
      return at(c.year, c.month, 1);
    case 'quarter':
      return at(c.year, 3 * Math.floor((c.month - 1) / 3) + 1, 1);
    case 'year':
      return at(c.year, 1, 1);
    case 'decade':
      return at(
        c.year > 0 ? Math.floor(c.year / 10) * 10 : -(Math.floor((8 - (c.year - 1)) / 10) * 10) + 1,
        1,
        1,
      );
    case 'century':
      return at(
        c.year > 0
          ? Math.floor((c.year + 99) / 100) * 100 - 99
          : -Math.floor((99 - (c.year - 1)) / 100) * 100 + 1,
        1,
        1,
      );
    case 'millennium':
      return at(
        c.year > 0
          ? Math.floor((c.year + 999) / 1000) * 1000 - 999
          : -Math.floor((999 - (c.year - 1)) / 1000) * 1000 + 1,
        1,
        1,
      );
    default:
      throw unsupportedUnit(unit, type);
  }
}

/** date_trunc(unit, interval): zero every field below `unit`. */
export function truncInterval(unit: string, iv: Interval): Interval {
  const f = lookupField(unit, 'interval');
  const t = iv.micros;
  const years = Math.trunc(iv.months / 12);
  const mon = iv.months % 12;
  switch (f) {
    case 'microseconds':
      return iv;
    case 'milliseconds':
      return interval(iv.months, iv.days, t - (t % 1000));
    case 'second':
      return interval(iv.months, iv.days, t - (t % MICROS_PER_SECOND));
    case 'minute':
      return interval(iv.months, iv.days, t - (t % MICROS_PER_MINUTE));
    case 'hour':
      return interval(iv.months, iv.days, t - (t % MICROS_PER_HOUR));
    case 'day':
      return interval(iv.months, iv.days, 0);
    case 'month':
      return interval(iv.months, 0, 0);
    case 'quarter':
      return interval(years * 12 + 3 * Math.trunc(mon / 3), 0, 0);
    case 'year':
      return interval(years * 12, 0, 0);
    case 'decade':
      return interval(Math.trunc(years / 10) * 120, 0, 0);
    case 'century':
      return interval(Math.trunc(years / 100) * 1200, 0, 0);
    case 'millennium':
      return interval(Math.trunc(years / 1000) * 12000, 0, 0);
    case 'week':
      throw notSupported(`unit "${unit}" not supported for type interval`);
    default:
      throw unsupportedUnit(unit, 'interval');
  }
}

/** to_timestamp(seconds since the epoch). */
export function toTimestamp(seconds: number): number {
  if (Number.isNaN(seconds)) throw evalError('22008', 'timestamp cannot be NaN');
  if (!Number.isFinite(seconds)) throw timestampOutOfRange();
  return checkTimestamp(rint(seconds * MICROS_PER_SECOND));
}

// ---------------------------------------------------------------------------
// to_char(timestamp, format)

const monthNames = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const dayNames = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const romanMonths = ['I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X', 'XI', 'XII'];

/** Keywords, longest first; matched case-sensitively in the spellings PostgreSQL knows. */
const keywords = [
  'A.M.',
  'a.m.',
  'P.M.',
  'p.m.',
  'B.C.',
  'b.c.',
  'A.D.',
  'a.d.',
  'Y,YYY',
  'y,yyy',
  'SSSSS',
  'sssss',
  'MONTH',
  'Month',
  'month',
  'HH24',
  'hh24',
  'HH12',
  'hh12',
  'YYYY',
  'yyyy',
  'IYYY',
  'iyyy',
  'IDDD',
  'iddd',
  'SSSS',
  'ssss',
  'YYY',
  'yyy',
  'IYY',
  'iyy',
  'DDD',
  'ddd',
  'MON',
  'Mon',
  'mon',
  'DAY',
  'Day',
  'day',
  'FF1',
  'FF2',
  'FF3',
  'FF4',
  'FF5',
  'FF6',
  'ff1',
  'ff2',
  'ff3',
  'ff4',
  'ff5',
  'ff6',
  'TZH',
  'tzh',
  'TZM',
  'tzm',
  'HH',
  'hh',
  'MI',
  'mi',
  'SS',
  'ss',
  'MS',
  'ms',
  'US',
  'us',
  'YY',
  'yy',
  'IY',
  'iy',
  'MM',
  'mm',
  'DD',
  'dd',
  'DY',
  'Dy',
  'dy',
  'ID',
  'id',
  'IW',
  'iw',
  'WW',
  'ww',
  'CC',
  'cc',
  'AM',
  'am',
  'PM',
  'pm',
  'BC',
  'bc',
  'AD',
  'ad',
  'TZ',
  'tz',
  'OF',
  'of',
  'RM',
  'rm',
  'Y',
  'y',
  'I',
  'i',
  'D',
  'd',
  'W',
  'w',
  'Q',
  'q',
  'J',
  'j',
];

function ordinal(n: number, upper: boolean): string {
  const a = Math.abs(n);
  const s =
    a % 100 >= 11 && a % 100 <= 13
      ? 'th'
      : a % 10 === 1
        ? 'st'
        : a % 10 === 2
          ? 'nd'
          : a % 10 === 3
            ? 'rd'
            : 'th';
  return upper ? s.toUpperCase() : s;
}

function casing(word: string, pattern: string): string {
  if (pattern === pattern.toUpperCase()) return word.toUpperCase();
  if (pattern === pattern.toLowerCase()) return word.toLowerCase();
  return word;
}

/** to_char(timestamp, format) for timestamps (and timestamptz in UTC). */
export function formatTimestampChar(ts: number, format: string, withZone: boolean): string {
  const { days, micros } = splitTimestamp(ts);
  const c = civilFromDays(days);
  const hour = Math.floor(micros / MICROS_PER_HOUR);
  const minute = Math.floor(micros / MICROS_PER_MINUTE) % 60;
  const second = Math.floor(micros / MICROS_PER_SECOND) % 60;
  const usec = micros % MICROS_PER_SECOND;
  const year = c.year > 0 ? c.year : 1 - c.year;
  let out = '';
  let i = 0;
  while (i < format.length) {
    let fm = false;
    if (format.startsWith('FM', i) || format.startsWith('fm', i)) {
      fm = true;
      i += 2;
    }
    const ch = format[i] as string;
    if (ch === '"') {
      let j = i + 1;
      while (j < format.length && format[j] !== '"') {
        if (format[j] === '\\' && j + 1 < format.length) j++;
        out += format[j];
        j++;
      }
      i = j + 1;
      continue;
    }
    if (ch === '\\' && i + 1 < format.length && format[i + 1] === '"') {
      out += '"';
      i += 2;
      continue;
    }
    const kw = keywords.find((k) => format.startsWith(k, i));
    if (kw === undefined) {
      if (!fm) out += ch;
      i += fm ? 0 : 1;
      if (fm && i < format.length) {
        out += format[i];
        i++;
      }
      continue;
    }
    i += kw.length;
    let th: string | undefined;
    if (format.startsWith('TH', i) || format.startsWith('th', i)) {
      th = format.slice(i, i + 2);
      i += 2;
    }
    const num = (n: number, width: number): string => {
      const s = String(Math.abs(n));
      const body = fm ? s : s.padStart(width, '0');
      return (n < 0 ? '-' : '') + body + (th === undefined ? '' : ordinal(n, th === 'TH'));
    };
    const name = (word: string, width: number): string => {
      const w = casing(word, kw);
      return fm ? w : w.padEnd(width, ' ');
    };
    const upper = kw.toUpperCase();
    switch (upper) {
      case 'YYYY':
        out += num(year, 4);
        break;
      case 'Y,YYY': {
        const s = String(year).padStart(4, '0');
        out += `${s.slice(0, s.length - 3)},${s.slice(-3)}`;
        break;
      }
      case 'YYY':
        out += num(year % 1000, 3);
        break;
      case 'YY':
        out += num(year % 100, 2);
        break;
      case 'Y':
        out += num(year % 10, 1);
        break;
      case 'IYYY':
        out += num(isoYearWeek(days).isoyear, 4);
        break;
      case 'IYY':
        out += num(isoYearWeek(days).isoyear % 1000, 3);
        break;
      case 'IY':
        out += num(isoYearWeek(days).isoyear % 100, 2);
        break;
      case 'I':
        out += num(isoYearWeek(days).isoyear % 10, 1);
        break;
      case 'MM':
        out += num(c.month, 2);
        break;
      case 'DD':
        out += num(c.day, 2);
        break;
      case 'DDD':
        out += num(days - daysFromCivil(c.year, 1, 1) + 1, 3);
        break;
      case 'IDDD': {
        const { isoyear } = isoYearWeek(days);
        const jan4 = daysFromCivil(isoyear, 1, 4);
        const start = jan4 - ((dayOfWeek(jan4) || 7) - 1);
        out += num(days - start + 1, 3);
        break;
      }
      case 'D':
        out += num(dayOfWeek(days) + 1, 1);
        break;
      case 'ID':
        out += num(dayOfWeek(days) || 7, 1);
        break;
      case 'IW':
        out += num(isoYearWeek(days).week, 2);
        break;
      case 'WW':
        out += num(Math.floor((days - daysFromCivil(c.year, 1, 1)) / 7) + 1, 2);
        break;
      case 'W':
        out += num(Math.floor((c.day - 1) / 7) + 1, 1);
        break;
      case 'Q':
        out += num(Math.floor((c.month - 1) / 3) + 1, 1);
        break;
      case 'CC':
        out += num(c.year > 0 ? Math.floor((c.year + 99) / 100) : -Math.floor((99 - (c.year - 1)) / 100), 2);
        break;
      case 'J':
        out += num(days + 2440588, 1);
        break;
      case 'HH24':
        out += num(hour, 2);
        break;
      case 'HH':
      case 'HH12':
        out += num(hour % 12 === 0 ? 12 : hour % 12, 2);
        break;
      case 'MI':
        out += num(minute, 2);
        break;
      case 'SS':
        out += num(second, 2);
        break;
      case 'SSSS':
      case 'SSSSS':
        out += num(Math.floor(micros / MICROS_PER_SECOND), 1);
        break;
      case 'MS':
        out += num(Math.floor(usec / 1000), 3);
        break;
      case 'US':
        out += num(usec, 6);
        break;
      case 'FF1':
      case 'FF2':
      case 'FF3':
      case 'FF4':
      case 'FF5':
      case 'FF6': {
        const n = Number(upper[2]);
        out += num(Math.floor(usec / 10 ** (6 - n)), n);
        break;
      }
      case 'AM':
      case 'PM':
        out += casing(hour < 12 ? 'AM' : 'PM', kw);
        break;
      case 'A.M.':
      case 'P.M.':
        out += casing(hour < 12 ? 'A.M.' : 'P.M.', kw);
        break;
      case 'BC':
      case 'AD':
        out += casing(c.year > 0 ? 'AD' : 'BC', kw);
        break;
      case 'B.C.':
      case 'A.D.':
        out += casing(c.year > 0 ? 'A.D.' : 'B.C.', kw);
        break;
      case 'MONTH':
        out += name(monthNames[c.month - 1] as string, 9);
        break;
      case 'MON':
        out += casing((monthNames[c.month - 1] as string).slice(0, 3), kw);
        break;
      case 'DAY':
        out += name(dayNames[dayOfWeek(days)] as string, 9);
        break;
      case 'DY':
        out += casing((dayNames[dayOfWeek(days)] as string).slice(0, 3), kw);
        break;
      case 'RM': {
        const r = romanMonths[c.month - 1] as string;
        out += fm ? casing(r, kw) : casing(r, kw).padEnd(4, ' ');
        break;
      }
      case 'TZ':
        out += withZone ? casing('UTC', kw) : '';
        break;
      case 'TZH':
        out += withZone ? '+00' : '';
        break;
      case 'TZM':
        out += withZone ? '00' : '';
        break;
      case 'OF':
        out += withZone ? '+00' : '';
        break;
      default:
        out += kw;
    }
  }
  return out;
}
