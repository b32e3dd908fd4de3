/**
 * PostgreSQL's text output of values: what psql shows and what the wire protocol sends in
 * text mode (DateStyle ISO, IntervalStyle postgres, TimeZone UTC, extra_float_digits 1).
 * A numeric prints with its own display scale (`1.50`, src/sql/numeric.ts); an int8 is a
 * number or, beyond ±(2^53 − 1), a bigint. The engine, the wire protocol and the ad-hoc
 * path's casts to text all print with it.
 */

import { isJsonNull } from './jsonb-value.ts';
import {
  civilFromDays,
  MICROS_PER_DAY,
  MICROS_PER_HOUR,
  MICROS_PER_MINUTE,
  MICROS_PER_SECOND,
} from './literals.ts';
import { formatNumeric, numericFromShortest } from './numeric.ts';
import type { Interval, Numeric, SqlType, Value } from './types.ts';
/** The text PostgreSQL sends for `v` of `type` (NULL → null). */
export function formatValue(v: Value, type: SqlType): string | null {
  if (v === null) return null;
  switch (type.name) {
    case 'boolean':
      return v === true ? 't' : 'f';
    case 'int2':
    case 'int4':
    case 'int8':
      return String(v);
    case 'numeric':
      return formatNumeric(v as Numeric);
    case 'float8':
      return formatFloat8(v as number);
    case 'float4':
      return formatFloat4(v as number);
    case 'varchar':
    case 'text':
    case 'unknown':
      return String(v);
    case 'timestamp':
      return formatTimestamp(v as number);
    case 'timestamptz':
      return `${formatTimestamp(v as number)}+00`;
    case 'date':
      return formatDate(v as number);
    case 'time':
      return formatTime(v as number);
    case 'interval':
      return formatInterval(v as Interval);
    case 'jsonb':
      return formatJsonb(v);
    case 'bytea':
      return formatBytea(v as Uint8Array);
    case 'array':
      return formatArray(v as readonly Value[], type.element ?? { name: 'text' });
    default: {
      const never: never = type.name;
      return never;
    }
  }
}

// ---------------------------------------------------------------------------
// floats: shortest round-trip digits (Ryu), exponent form outside [1e-4, 1e15) (1e6 for real)

function shortestFloat(neg: boolean, digits: string, exp: number, fixedLimit: number): string {
  const sign = neg ? '-' : '';
  if (exp < -4 || exp >= fixedLimit) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    return `${sign}${mant}e${exp < 0 ? '-' : '+'}${e < 10 ? `0${e}` : e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return sign + digits + '0'.repeat(exp + 1 - digits.length);
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

function specialFloat(x: number): string | undefined {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Number.POSITIVE_INFINITY) return 'Infinity';
  if (x === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  return undefined;
}

function splitExponential(s: string): { neg: boolean; digits: string; exp: number } {
  const neg = s.charCodeAt(0) === 45;
  const body = neg ? s.slice(1) : s;
  const e = body.indexOf('e');
  return { neg, digits: body.slice(0, e).replace('.', ''), exp: Number(body.slice(e + 1)) };
}

export function formatFloat8(x: number): string {
  const sp = specialFloat(x);
  if (sp !== undefined) return sp;
  const { neg, digits, exp } = splitExponential(x.toExponential());
  return shortestFloat(neg, digits, exp, 15);
}

export function formatFloat4(x: number): string {
  const sp = specialFloat(x);
  if (sp !== undefined) return sp;
  let s = x.toExponential(8);
  for (let p = 0; p <= 8; p++) {
    const t = x.toExponential(p);
    if (Math.fround(Number(t)) === x) {
      s = t;
      break;
    }
  }
  const { neg, digits, exp } = splitExponential(s);
  return shortestFloat(neg, digits.replace(/(.)0+$/, '$1'), exp, 6);
}

// ---------------------------------------------------------------------------
// date/time

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function fraction(us: number): string {
  return us === 0 ? '' : `.${pad(us, 6).replace(/0+$/, '')}`;
}

function yearText(y: number): { text: string; bc: boolean } {
  return y > 0 ? { text: pad(y, 4), bc: false } : { text: pad(1 - y, 4), bc: true };
}

export function formatDate(days: number): string {
  const c = civilFromDays(days);
  const y = yearText(c.year);
  return `${y.text}-${pad(c.month, 2)}-${pad(c.day, 2)}${y.bc ? ' BC' : ''}`;
}

export function formatTime(micros: number): string {
  const h = Math.floor(micros / MICROS_PER_HOUR);
  const m = Math.floor(micros / MICROS_PER_MINUTE) % 60;
  const s = Math.floor(micros / MICROS_PER_SECOND) % 60;
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}${fraction(micros % MICROS_PER_SECOND)}`;
}

export function formatTimestamp(ts: number): string {
  const days = Math.floor(ts / MICROS_PER_DAY);
  const c = civilFromDays(days);
  const y = yearText(c.year);
  const t = formatTime(ts - days * MICROS_PER_DAY);
  return `${y.text}-${pad(c.month, 2)}-${pad(c.day, 2)} ${t}${y.bc ? ' BC' : ''}`;
}

/** IntervalStyle postgres: `1 year 2 mons -3 days +04:05:06.5`. */
export function formatInterval(iv: Interval): string {
  let out = '';
  let isZero = true;
  let isBefore = false;
  const part = (value: number, unit: string): void => {
    if (value === 0) return;
    const plus = !isZero && isBefore && value > 0 ? '+' : '';
    out += `${isZero ? '' : ' '}${plus}${value} ${unit}${value !== 1 ? 's' : ''}`;
    isBefore = value < 0;
    isZero = false;
  };
  part(Math.trunc(iv.months / 12), 'year');
  part(iv.months % 12, 'mon');
  part(iv.days, 'day');
  const t = iv.micros;
  if (isZero || t !== 0) {
    const minus = t < 0;
    const a = Math.abs(t);
    const h = Math.floor(a / MICROS_PER_HOUR);
    const m = Math.floor(a / MICROS_PER_MINUTE) % 60;
    const s = Math.floor(a / MICROS_PER_SECOND) % 60;
    const sign = minus ? '-' : isBefore ? '+' : '';
    out += `${isZero ? '' : ' '}${sign}${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}${fraction(a % MICROS_PER_SECOND)}`;
  }
  return out;
}

// ---------------------------------------------------------------------------
// jsonb, bytea, arrays

/** jsonb's output: `{"a": 1, "b": [1, 2]}`, object keys ordered by length, then bytes. */
export function formatJsonb(v: unknown): string {
  if (v === null || isJsonNull(v)) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return Number.isFinite(v) ? formatNumeric(numericFromShortest(v)) : 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map(formatJsonb).join(', ')}]`;
  if (typeof v === 'object') {
    const keys = Object.keys(v as object).sort((a, b) => {
      const la = Buffer.byteLength(a);
      const lb = Buffer.byteLength(b);
      if (la !== lb) return la - lb;
      return Buffer.compare(Buffer.from(a), Buffer.from(b));
    });
    const o = v as Record<string, unknown>;
    return `{${keys.map((k) => `${JSON.stringify(k)}: ${formatJsonb(o[k])}`).join(', ')}}`;
  }
  return JSON.stringify(v);
}

export function formatBytea(b: Uint8Array): string {
  return `\\x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')}`;
}

function quoteArrayElement(s: string): string {
  if (s === '' || /[{}",\\\s]/.test(s) || s.toUpperCase() === 'NULL')
    return `"${s.replace(/(["\\])/g, '\\$1')}"`;
  return s;
}

export function formatArray(a: readonly Value[], element: SqlType): string {
  const parts = a.map((e) => {
    if (e === null) return 'NULL';
    if (element.name === 'array')
      return formatArray(e as readonly Value[], element.element ?? { name: 'text' });
    return quoteArrayElement(formatValue(e, element) as string);
  });
  return `{${parts.join(',')}}`;
}
