/**
 * Comparison of values of one type, as PostgreSQL orders them.
 *
 * Collation: text and varchar compare by Unicode code point — PostgreSQL's "C" collation
 * (byte order of UTF-8). It is deterministic, locale-free and what RisingWave does; JS `<`
 * compares UTF-16 code units, which misorders characters above U+FFFF against U+E000–U+FFFF,
 * so `compareText` corrects for surrogates.
 *
 * Floats and numeric: NaN equals NaN and sorts above every other value (including Infinity);
 * numerics compare by value whatever their display scales (1.5 = 1.50). bigint values are
 * numbers or, beyond ±(2^53 − 1), bigints: JS compares the two kinds exactly.
 * Intervals: compared by their span with a month as 30 days (`'1 mon' = '30 days'` is true).
 */
import { compareNumeric, type Numeric, numericEquals } from '../../../sql/numeric.ts';
import type { Interval, SqlType, Value } from '../../../sql/types.ts';
import { type Kernel, lenient, strict, variadic } from './kernel.ts';

export type Comparator = (a: Value, b: Value) => number;

const MICROS_PER_DAY = 86_400_000_000;

function numericComparator(a: Value, b: Value): number {
  return compareNumeric(a as Numeric, b as Numeric);
}

function compareNumber(a: Value, b: Value): number {
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

export function compareFloat(a: Value, b: Value): number {
  const x = a as number;
  const y = b as number;
  if (x < y) return -1;
  if (x > y) return 1;
  if (x === y) return 0;
  const nx = Number.isNaN(x);
  const ny = Number.isNaN(y);
  return nx === ny ? 0 : nx ? 1 : -1;
}

function rank(c: number): number {
  // UTF-16 unit → an order-preserving key of the code point it starts
  if (c < 0xd800) return c;
  if (c < 0xe000) return c + 0x2000;
  return c - 0x800;
}

/** Code point order of two strings (PostgreSQL "C" collation). */
export function compareText(a: Value, b: Value): number {
  const x = a as string;
  const y = b as string;
  if (x === y) return 0;
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const p = x.charCodeAt(i);
    const q = y.charCodeAt(i);
    if (p !== q) return rank(p) < rank(q) ? -1 : 1;
  }
  return x.length < y.length ? -1 : 1;
}

function compareBool(a: Value, b: Value): number {
  return a === b ? 0 : a === false ? -1 : 1;
}

/** Days and remainder micros of an interval's span (month = 30 days). */
export function intervalSpan(iv: Interval): { days: number; micros: number } {
  const extra = Math.floor(iv.micros / MICROS_PER_DAY);
  return { days: iv.months * 30 + iv.days + extra, micros: iv.micros - extra * MICROS_PER_DAY };
}

export function compareInterval(a: Value, b: Value): number {
  const x = intervalSpan(a as Interval);
  const y = intervalSpan(b as Interval);
  if (x.days !== y.days) return x.days < y.days ? -1 : 1;
  return x.micros < y.micros ? -1 : x.micros > y.micros ? 1 : 0;
}

function compareBytes(a: Value, b: Value): number {
  const x = a as Uint8Array;
  const y = b as Uint8Array;
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const p = x[i] as number;
    const q = y[i] as number;
    if (p !== q) return p < q ? -1 : 1;
  }
  return x.length - y.length < 0 ? -1 : x.length === y.length ? 0 : 1;
}

function compareJson(a: Value, b: Value): number {
  return compareText(JSON.stringify(a), JSON.stringify(b));
}

function arrayComparator(element: Comparator): Comparator {
  return (a, b) => {
    const x = a as readonly Value[];
    const y = b as readonly Value[];
    const n = Math.min(x.length, y.length);
    for (let i = 0; i < n; i++) {
      const p = x[i] as Value;
      const q = y[i] as Value;
      if (p === null || q === null) {
        if (p === q) continue;
        return p === null ? 1 : -1;
      }
      const c = element(p, q);
      if (c !== 0) return c;
    }
    return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
  };
}

/** Total order of non-NULL values of `type`. */
export function comparatorFor(type: SqlType): Comparator {
  switch (type.name) {
    case 'int2':
    case 'int4':
    case 'int8':
    case 'timestamp':
    case 'timestamptz':
    case 'date':
    case 'time':
      return compareNumber;
    case 'numeric':
      return numericComparator;
    case 'float4':
    case 'float8':
      return compareFloat;
    case 'varchar':
    case 'text':
    case 'unknown':
      return compareText;
    case 'boolean':
      return compareBool;
    case 'interval':
      return compareInterval;
    case 'bytea':
      return compareBytes;
    case 'jsonb':
      return compareJson;
    case 'array':
      return arrayComparator(comparatorFor(type.element ?? { name: 'text' }));
    default: {
      const never: never = type.name;
      return never;
    }
  }
}

export type Equality = (a: Value, b: Value) => boolean;

/** Equality of non-NULL values of `type` (consistent with `comparatorFor`). */
export function equalityFor(type: SqlType): Equality {
  switch (type.name) {
    case 'int2':
    case 'int4':
    case 'int8':
    case 'timestamp':
    case 'timestamptz':
    case 'date':
    case 'time':
    case 'varchar':
    case 'text':
    case 'unknown':
    case 'boolean':
      return (a, b) => a === b;
    case 'numeric':
      return (a, b) => numericEquals(a as Numeric, b as Numeric);
    case 'float4':
    case 'float8':
      return (a, b) => a === b || (Number.isNaN(a) && Number.isNaN(b));
    default: {
      const cmp = comparatorFor(type);
      return (a, b) => cmp(a, b) === 0;
    }
  }
}

/** `=`, `<>`, `<`, `<=`, `>`, `>=` over two operands of `type`. */
export function comparisonKernel(op: string, type: SqlType): Kernel | undefined {
  if (op === '=' || op === '<>') {
    const eq = equalityFor(type);
    return strict(op === '=' ? (a: Value, b: Value) => eq(a, b) : (a: Value, b: Value) => !eq(a, b));
  }
  const fast = type.name === 'int2' || type.name === 'int4' || type.name === 'int8' || type.name === 'date';
  const fastTime = type.name === 'timestamp' || type.name === 'timestamptz' || type.name === 'time';
  if (fast || fastTime) {
    switch (op) {
      case '<':
        return strict((a: number, b: number) => a < b);
      case '<=':
        return strict((a: number, b: number) => a <= b);
      case '>':
        return strict((a: number, b: number) => a > b);
      case '>=':
        return strict((a: number, b: number) => a >= b);
      default:
        return undefined;
    }
  }
  const cmp = comparatorFor(type);
  switch (op) {
    case '<':
      return strict((a: Value, b: Value) => cmp(a, b) < 0);
    case '<=':
      return strict((a: Value, b: Value) => cmp(a, b) <= 0);
    case '>':
      return strict((a: Value, b: Value) => cmp(a, b) > 0);
    case '>=':
      return strict((a: Value, b: Value) => cmp(a, b) >= 0);
    default:
      return undefined;
  }
}

/** `IS [NOT] DISTINCT FROM`: NULL-safe equality. */
export function distinctKernel(negated: boolean, type: SqlType): Kernel {
  const eq = equalityFor(type);
  const same = (a: Value, b: Value): boolean => (a === null || b === null ? a === b : eq(a, b));
  return lenient(negated ? (a: Value, b: Value) => same(a, b) : (a: Value, b: Value) => !same(a, b));
}

/** `IS [NOT] TRUE / FALSE / UNKNOWN` (never NULL). */
export function booleanTestKernel(fn: string): Kernel | undefined {
  switch (fn) {
    case 'is_true':
      return lenient((a: Value) => a === true);
    case 'is_not_true':
      return lenient((a: Value) => a !== true);
    case 'is_false':
      return lenient((a: Value) => a === false);
    case 'is_not_false':
      return lenient((a: Value) => a !== false);
    case 'is_unknown':
      return lenient((a: Value) => a === null);
    case 'is_not_unknown':
      return lenient((a: Value) => a !== null);
    default:
      return undefined;
  }
}

/** greatest / least: NULL arguments are ignored; all NULL gives NULL. */
export function extremeKernel(fn: 'greatest' | 'least', type: SqlType): Kernel {
  const cmp = comparatorFor(type);
  const sign = fn === 'greatest' ? 1 : -1;
  return variadic((args) => {
    let best: Value = null;
    for (const v of args) {
      if (v === null) continue;
      if (best === null || sign * cmp(v, best) > 0) best = v;
    }
    return best;
  });
}
