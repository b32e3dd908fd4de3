/**
 * Text → value conversion for typed literals (`INTERVAL '1 MINUTES'`, `'2024-01-25T12:30:45Z'::timestamp`,
 * `'42'::int`), following PostgreSQL's input syntax closely enough for the dialect we accept.
 * Failures return undefined; the caller raises 22P02 with the literal's position.
 */
import { parseArrayText } from './array-literal.ts';
import { SqlError, SqlState } from './errors.ts';
import { INT8_MAX, INT8_MIN, int8 } from './int8.ts';
import { parseJsonb } from './jsonb-value.ts';
import { tryParseNumeric } from './numeric.ts';
import type { Interval, SqlType, Value } from './types.ts';

export const MICROS_PER_SECOND = 1_000_000;
export const MICROS_PER_MINUTE = 60 * MICROS_PER_SECOND;
export const MICROS_PER_HOUR = 60 * MICROS_PER_MINUTE;
export const MICROS_PER_DAY = 24 * MICROS_PER_HOUR;

export function interval(months: number, days: number, micros: number): Interval {
  return Object.freeze({ months, days, micros });
}

/** Interval field masks of PostgreSQL's typmod (`INTERVAL '1' MINUTE` → MINUTE). */
const fieldMask = {
  month: 1 << 1,
  year: 1 << 2,
  day: 1 << 3,
  hour: 1 << 10,
  minute: 1 << 11,
  second: 1 << 12,
} as const;

type Unit =
  | 'micro'
  | 'milli'
  | 'second'
  | 'minute'
  | 'hour'
  | 'day'
  | 'week'
  | 'month'
  | 'year'
  | 'decade'
  | 'century'
  | 'millennium';

const unitNames: Readonly<Record<string, Unit>> = {
  microsecond: 'micro',
  microseconds: 'micro',
  us: 'micro',
  usec: 'micro',
  usecs: 'micro',
  millisecond: 'milli',
  milliseconds: 'milli',
  ms: 'milli',
  msec: 'milli',
  msecs: 'milli',
  second: 'second',
  seconds: 'second',
  sec: 'second',
  secs: 'second',
  s: 'second',
  minute: 'minute',
  minutes: 'minute',
  min: 'minute',
  mins: 'minute',
  m: 'minute',
  hour: 'hour',
  hours: 'hour',
  hr: 'hour',
  hrs: 'hour',
  h: 'hour',
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
  year: 'year',
  years: 'year',
  yr: 'year',
  yrs: 'year',
  y: 'year',
  decade: 'decade',
  decades: 'decade',
  century: 'century',
  centuries: 'century',
  millennium: 'millennium',
  millennia: 'millennium',
};

/** The unit a bare number means under an interval typmod (the least significant field). */
function unitOfTypmod(typmod: number | undefined): Unit {
  if (typmod === undefined || typmod < 0) return 'second';
  const range = typmod & 0x7fff;
  if (range & fieldMask.second) return 'second';
  if (range & fieldMask.minute) return 'minute';
  if (range & fieldMask.hour) return 'hour';
  if (range & fieldMask.day) return 'day';
  if (range & fieldMask.month) return 'month';
  if (range & fieldMask.year) return 'year';
  return 'second';
}

class IntervalBuilder {
  months = 0;
  days = 0;
  micros = 0;
  add(n: number, unit: Unit): void {
    switch (unit) {
      case 'micro':
        this.micros += n;
        return;
      case 'milli':
        this.micros += n * 1000;
        return;
      case 'second':
        this.micros += n * MICROS_PER_SECOND;
        return;
      case 'minute':
        this.micros += n * MICROS_PER_MINUTE;
        return;
      case 'hour':
        this.micros += n * MICROS_PER_HOUR;
        return;
      case 'day':
        this.addDays(n);
        return;
      case 'week':
        this.addDays(n * 7);
        return;
      case 'month':
        this.addMonths(n);
        return;
      case 'year':
        this.addMonths(n * 12);
        return;
      case 'decade':
        this.addMonths(n * 120);
        return;
      case 'century':
        this.addMonths(n * 1200);
        return;
      case 'millennium':
        this.addMonths(n * 12000);
        return;
      default: {
        const never: never = unit;
        throw new Error(`unknown unit ${String(never)}`);
      }
    }
  }
  private addDays(n: number): void {
    const whole = Math.trunc(n);
    this.days += whole;
    this.micros += Math.round((n - whole) * MICROS_PER_DAY);
  }
  private addMonths(n: number): void {
    const whole = Math.trunc(n);
    this.months += whole;
    this.addDays((n - whole) * 30);
  }
}

const numberRe = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;
const clockRe = /^([+-])?(\d+):(\d{1,2})(?::(\d{1,2}(?:\.\d+)?))?$/;

/**
 * Parses PostgreSQL interval input: `'1 MINUTES'`, `'30 seconds'`, `'1 hour 30 min'`, `'00:00:05'`,
 * `'1 day 02:00:00'`, `'-1 day'`, `'2 days ago'`, and with a typmod a bare number (`INTERVAL '1' MINUTE`).
 */
export function parseInterval(text: string, typmod?: number): Interval | undefined {
  const words = text.trim().toLowerCase().split(/\s+/);
  if (words.length === 0 || words[0] === '') return undefined;
  const b = new IntervalBuilder();
  let ago = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (w === 'ago' && i === words.length - 1) {
      ago = true;
      continue;
    }
    if (w.startsWith('@')) continue;
    const clock = clockRe.exec(w);
    if (clock !== null) {
      const sign = clock[1] === '-' ? -1 : 1;
      const h = Number(clock[2]);
      const m = Number(clock[3]);
      const s = clock[4] === undefined ? 0 : Number(clock[4]);
      b.micros += sign * (h * MICROS_PER_HOUR + m * MICROS_PER_MINUTE + Math.round(s * MICROS_PER_SECOND));
      continue;
    }
    // "5seconds" / "5s": split number and unit.
    const glued = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))([a-z]+)$/.exec(w);
    if (glued !== null) {
      const unit = unitNames[glued[2] as string];
      if (unit === undefined) return undefined;
      b.add(Number(glued[1]), unit);
      continue;
    }
    if (!numberRe.test(w)) return undefined;
    const n = Number(w);
    const next = words[i + 1];
    const unit = next === undefined ? undefined : unitNames[next];
    if (unit !== undefined) {
      b.add(n, unit);
      i++;
    } else if (next === undefined || next === 'ago') {
      b.add(n, unitOfTypmod(typmod));
    } else {
      return undefined;
    }
  }
  const sign = ago ? -1 : 1;
  return interval(sign * b.months + 0, sign * b.days + 0, sign * Math.round(b.micros) + 0);
}

/** PostgreSQL's default interval output (`1 day 02:00:00`, `00:01:00`, `1 mon`). */
export function formatInterval(iv: Interval): string {
  const parts: string[] = [];
  const years = Math.trunc(iv.months / 12);
  const months = iv.months % 12;
  if (years !== 0) parts.push(`${years} year${Math.abs(years) === 1 ? '' : 's'}`);
  if (months !== 0) parts.push(`${months} mon${Math.abs(months) === 1 ? '' : 's'}`);
  if (iv.days !== 0) parts.push(`${iv.days} day${Math.abs(iv.days) === 1 ? '' : 's'}`);
  if (iv.micros !== 0 || parts.length === 0) {
    const neg = iv.micros < 0;
    let us = Math.abs(iv.micros);
    const h = Math.floor(us / MICROS_PER_HOUR);
    us -= h * MICROS_PER_HOUR;
    const m = Math.floor(us / MICROS_PER_MINUTE);
    us -= m * MICROS_PER_MINUTE;
    const s = Math.floor(us / MICROS_PER_SECOND);
    us -= s * MICROS_PER_SECOND;
    const frac = us === 0 ? '' : `.${String(us).padStart(6, '0').replace(/0+$/, '')}`;
    parts.push(`${neg ? '-' : ''}${pad2(h)}:${pad2(m)}:${pad2(s)}${frac}`);
  }
  return parts.join(' ');
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** Whole microseconds of an interval without months (months are not of fixed length). */
export function intervalMicros(iv: Interval): number | undefined {
  return iv.months === 0 ? iv.days * MICROS_PER_DAY + iv.micros : undefined;
}

const dateRe = /^(\d{4,})-(\d{1,2})-(\d{1,2})/;
const timeRe = /^[T\s]+(\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?/i;
const zoneRe = /^\s*(?:(z|utc|gmt)|([+-])(\d{1,2})(?::?(\d{2}))?)\s*$/i;

/** Days since 1970-01-01 for a proleptic Gregorian date. */
export interface Civil {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** Proleptic Gregorian date of a day number (days since 1970-01-01). */
export function civilFromDays(z0: number): Civil {
  const z = z0 + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const y = yoe + era * 400;
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: month <= 2 ? y + 1 : y, month, day };
}

export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Parses `YYYY-MM-DD[ T]HH:MM[:SS[.ffffff]][Z|±hh[:mm]]` to microseconds since the epoch. */
export function parseTimestamp(text: string, withZone: boolean): number | undefined {
  const s = text.trim();
  const dm = dateRe.exec(s);
  if (dm === null) return undefined;
  const y = Number(dm[1]);
  const mo = Number(dm[2]);
  const d = Number(dm[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return undefined;
  let rest = s.slice(dm[0].length);
  let micros = daysFromCivil(y, mo, d) * MICROS_PER_DAY;
  const tm = timeRe.exec(rest);
  if (tm !== null) {
    const h = Number(tm[1]);
    const mi = Number(tm[2]);
    const se = tm[3] === undefined ? 0 : Number(tm[3]);
    if (h > 24 || mi > 59 || se > 60) return undefined;
    const frac = tm[4] === undefined ? 0 : Math.round(Number(tm[4]) * MICROS_PER_SECOND);
    micros += h * MICROS_PER_HOUR + mi * MICROS_PER_MINUTE + se * MICROS_PER_SECOND + frac;
    rest = rest.slice(tm[0].length);
  }
  if (rest.trim() === '') return micros;
  const zm = zoneRe.exec(rest);
  if (zm === null) return undefined;
  if (!withZone || zm[1] !== undefined) return micros;
  const sign = zm[2] === '-' ? -1 : 1;
  const offset = (Number(zm[3]) * 60 + (zm[4] === undefined ? 0 : Number(zm[4]))) * MICROS_PER_MINUTE;
  return micros - sign * offset;
}

export function parseDate(text: string): number | undefined {
  const m = /^\s*(\d{4,})-(\d{1,2})-(\d{1,2})\s*$/.exec(text);
  if (m === null) return undefined;
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return undefined;
  return daysFromCivil(Number(m[1]), mo, d);
}

/**
 * bytea input (byteain): hex format `\x41ff` (whitespace allowed between digit pairs), else
 * escape format, where `\\` is a backslash and `\nnn` an octal byte. Throws 22023 for bad hex
 * and 22P02 for a bad escape, as PostgreSQL does.
 */
export function parseBytea(text: string): Uint8Array {
  if (text.startsWith('\\x')) {
    const hex = text.slice(2).replace(/\s+/g, '');
    const bad = /[^0-9a-f]/i.exec(hex);
    if (bad !== null)
      throw new SqlError(SqlState.invalidParameterValue, `invalid hexadecimal digit: "${bad[0]}"`);
    if (hex.length % 2 !== 0)
      throw new SqlError(SqlState.invalidParameterValue, 'invalid hexadecimal data: odd number of digits');
    return new Uint8Array(Buffer.from(hex, 'hex'));
  }
  const out: number[] = [];
  const enc = Buffer.from(text, 'utf8');
  for (let i = 0; i < enc.length; i++) {
    const c = enc[i] as number;
    if (c !== 92) {
      out.push(c);
      continue;
    }
    const next = enc[i + 1];
    if (next === 92) {
      out.push(92);
      i++;
      continue;
    }
    const oct = enc.subarray(i + 1, i + 4).toString('latin1');
    if (/^[0-3][0-7][0-7]$/.test(oct)) {
      out.push(Number.parseInt(oct, 8));
      i += 3;
      continue;
    }
    throw new SqlError(SqlState.invalidTextRepresentation, 'invalid input syntax for type bytea');
  }
  return new Uint8Array(out);
}

const intRe = /^\s*[+-]?\d+\s*$/;
const limits: Readonly<Record<string, readonly [bigint, bigint]>> = {
  int2: [-32768n, 32767n],
  int4: [-2147483648n, 2147483647n],
  int8: [INT8_MIN, INT8_MAX],
};

/** Converts literal text to a value of `type`; undefined when the text is not valid input. */
export function parseLiteral(text: string, type: SqlType, typmod?: number): Value | undefined {
  switch (type.name) {
    case 'boolean': {
      const t = text.trim().toLowerCase();
      if (['t', 'true', 'y', 'yes', 'on', '1'].includes(t)) return true;
      if (['f', 'false', 'n', 'no', 'off', '0'].includes(t)) return false;
      return undefined;
    }
    case 'int2':
    case 'int4':
    case 'int8': {
      if (!intRe.test(text)) return undefined;
      const n = BigInt(text.trim());
      const [lo, hi] = limits[type.name] ?? [0n, 0n];
      return n < lo || n > hi ? undefined : int8(n);
    }
    case 'numeric':
      return tryParseNumeric(text); // 22003 beyond numeric's range
    case 'float4':
    case 'float8': {
      const t = text.trim();
      if (numberRe.test(t)) return Number(t);
      const l = t.toLowerCase();
      if (l === 'nan') return Number.NaN;
      if (l === 'infinity' || l === '+infinity' || l === 'inf' || l === '+inf')
        return Number.POSITIVE_INFINITY;
      if (l === '-infinity' || l === '-inf') return Number.NEGATIVE_INFINITY;
      return undefined;
    }
    case 'varchar':
    case 'text':
    case 'unknown':
      return text;
    case 'timestamp':
      return parseTimestamp(text, false);
    case 'timestamptz':
      return parseTimestamp(text, true);
    case 'date':
      return parseDate(text);
    case 'time': {
      const m = /^\s*(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?\s*$/.exec(text);
      if (m === null) return undefined;
      return (
        Number(m[1]) * MICROS_PER_HOUR +
        Number(m[2]) * MICROS_PER_MINUTE +
        Math.round(Number(m[3] ?? 0) * MICROS_PER_SECOND)
      );
    }
    case 'interval':
      return parseInterval(text, typmod);
    case 'jsonb':
      return parseJsonb(text);
    case 'bytea':
      try {
        return parseBytea(text);
      } catch {
        return undefined;
      }
    case 'array': {
      const element = type.element;
      if (element === undefined || element.name === 'array') return undefined;
      return parseArrayText(text, (t) => parseLiteral(t, element));
    }
    default: {
      const never: never = type.name;
      return never;
    }
  }
}
