/**
 * Runtime values of the streaming engine (the convention shared with the SQL front end).
 *
 * | SQL                        | JS                                                         |
 * | -------------------------- | ---------------------------------------------------------- |
 * | NULL                       | `null`                                                     |
 * | boolean                    | `boolean`                                                  |
 * | int2, int4, floats         | `number`                                                   |
 * | int8                       | `number` within ±(2^53 − 1), a `bigint` beyond (int8.ts)   |
 * | numeric                    | `Numeric` `{ coef, scale }` (numeric.ts): equal values of  |
 * |                            | different display scales (1.5, 1.50) compare and key alike |
 * | text, varchar              | `string`                                                   |
 * | timestamp                  | `number`: microseconds since 1970-01-01 (UTC, no zone)     |
 * | date                       | `number`: days since 1970-01-01                            |
 * | interval                   | `Interval` = `{ months, days, micros }`                    |
 * | arrays                     | JS arrays of element values                                |
 * | bytea, jsonb               | `Uint8Array`, parsed JSON or `JSON_NULL` (accepted so the  |
 * |                            | front end's values are assignable; compared and keyed,     |
 * |                            | never computed)                                            |
 *
 * A row is `readonly Value[]`. Rows are immutable once created: operators share them.
 */

import {
  compareNumeric,
  isNumericValue,
  type Numeric,
  numericEquals,
  numericIdentical,
  numericKey,
} from '../sql/numeric.ts';
import type { Interval, Value } from '../sql/types.ts';

export type { Interval, Numeric, Value };

export type Row = readonly Value[];

/** Sort direction of one key; `nullsFirst` defaults to `desc` (PostgreSQL: NULL is the largest value). */
export interface OrderSpec {
  readonly desc?: boolean;
  readonly nullsFirst?: boolean;
}

/** An ORDER BY item: how to compute the key from a row, and its direction. */
export interface SortKey extends OrderSpec {
  readonly value: (row: Row) => Value;
}

const MICROS_PER_DAY = 86_400_000_000;

export { isNumericValue };

export function isInterval(v: Value): v is Interval {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Uint8Array) &&
    typeof (v as Interval).months === 'number' &&
    typeof (v as Interval).days === 'number' &&
    typeof (v as Interval).micros === 'number'
  );
}

/** PostgreSQL compares and hashes intervals by their span with 1 month = 30 days, 1 day = 24 h. */
export function intervalSpan(v: Interval): number {
  return v.months * 30 * MICROS_PER_DAY + v.days * MICROS_PER_DAY + v.micros;
}

function typeRank(v: Value): number {
  switch (typeof v) {
    case 'boolean':
      return 0;
    case 'number':
    case 'bigint':
      return 1;
    case 'string':
      return 2;
    default:
      if (v === null) return 9;
      if (Array.isArray(v)) return 5;
      if (v instanceof Uint8Array) return 4;
      if (isNumericValue(v)) return 7;
      return isInterval(v) ? 3 : 6;
  }
}

function compareNumbers(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) return 0;
  // NaN is equal to itself and greater than every other number (PostgreSQL).
  const an = Number.isNaN(a);
  const bn = Number.isNaN(b);
  return an === bn ? 0 : an ? 1 : -1;
}

/**
 * Total order of PostgreSQL on non-null values; NULL sorts after everything (ASC NULLS LAST).
 * Text compares by UTF-16 code units (C collation, as RisingWave and DuckDB do for ASCII).
 * Values of different types (which a typed plan never mixes) order by type.
 */
export function compareValues(a: Value, b: Value): number {
  if (typeof a === 'number' && typeof b === 'number') return compareNumbers(a, b);
  if (a === b) return 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : 1;
  if (a === null) return 1;
  if (b === null) return -1;
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
      return a === b ? 0 : a ? 1 : -1;
    case 1:
      // an int8 beyond the safe range (a bigint) against a number or another: JS compares exactly
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case 7:
      return compareNumeric(a as Numeric, b as Numeric);
    case 3:
      return compareNumbers(intervalSpan(a as Interval), intervalSpan(b as Interval));
    case 4:
      return compareBytes(a as Uint8Array, b as Uint8Array);
    case 5: {
      const x = a as readonly Value[];
      const y = b as readonly Value[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compareValues(x[i] as Value, y[i] as Value);
        if (c !== 0) return c;
      }
      return x.length - y.length < 0 ? -1 : x.length > y.length ? 1 : 0;
    }
    default: {
      const x = JSON.stringify(a);
      const y = JSON.stringify(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/** SQL equality for grouping/DISTINCT purposes: NULL equals NULL, NaN equals NaN, 1.5 equals 1.50. */
export function valuesEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object') {
    return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
  }
  if (isNumericValue(a) && isNumericValue(b)) return numericEquals(a, b);
  return compareValues(a, b) === 0;
}

export function rowsEqual(a: Row, b: Row): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!valuesEqual(a[i] as Value, b[i] as Value)) return false;
  return true;
}

/**
 * Equal and printed alike: `valuesEqual`, and numerics of the same display scale too (1.5 and
 * 1.50 are equal, not identical). A row whose values change only in display scale is a
 * changed row for a view (it prints differently).
 */
export function valuesIdentical(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return valuesEqual(a, b);
  if (isNumericValue(a) && isNumericValue(b)) return numericIdentical(a, b);
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!valuesIdentical(a[i] as Value, b[i] as Value)) return false;
    return true;
  }
  return valuesEqual(a, b);
}

export function rowsIdentical(a: Row, b: Row): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!valuesIdentical(a[i] as Value, b[i] as Value)) return false;
  return true;
}

/**
 * Compares two key tuples under per-key ORDER BY specs (missing specs mean ASC NULLS LAST).
 * `ORDER BY x DESC` puts NULLs first unless `nullsFirst: false`.
 */
export function compareKeys(a: Row, b: Row, spec: readonly OrderSpec[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as Value;
    const y = b[i] as Value;
    const s = spec[i];
    const desc = s?.desc === true;
    let c: number;
    if (x === null || y === null) {
      if (x === y) continue;
      const nullsFirst = s?.nullsFirst ?? desc;
      c = x === null ? (nullsFirst ? -1 : 1) : nullsFirst ? 1 : -1;
      return c;
    }
    c = compareValues(x, y);
    if (c !== 0) return desc ? -c : c;
  }
  return a.length - b.length < 0 ? -1 : a.length > b.length ? 1 : 0;
}

/** Compares whole rows column by column, ASC NULLS LAST: the engine's deterministic tie-break. */
export function compareRows(a: Row, b: Row): number {
  return compareKeys(a, b, []);
}

/** Orders values equal for SQL by how they print: numerics by display scale (1.5 before 1.50). */
function displayOrder(a: Value, b: Value): number {
  if (isNumericValue(a) && isNumericValue(b)) return a.scale < b.scale ? -1 : a.scale > b.scale ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const c = displayOrder(a[i] as Value, b[i] as Value);
      if (c !== 0) return c;
    }
  }
  return 0;
}

/**
 * `compareValues`, then the display scale of equal numerics: a total order of values as they
 * print, so that 1.5 and 1.50 are distinct members of a sorted multiset (min/max state).
 */
export function compareValuesExact(a: Value, b: Value): number {
  return compareValues(a, b) || displayOrder(a, b);
}

/** `compareRows`, then the display scale of equal numerics (see `rowIdentity`). */
export function compareRowsExact(a: Row, b: Row): number {
  const c = compareRows(a, b);
  if (c !== 0) return c;
  for (let i = 0; i < a.length && i < b.length; i++) {
    const d = displayOrder(a[i] as Value, b[i] as Value);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * A string that identifies a value up to SQL equality, distinguishing types
 * (1 vs '1', NULL vs 'null'); self-delimiting, so keys of tuples concatenate.
 */
export function valueKey(v: Value): string {
  switch (typeof v) {
    case 'number':
    case 'bigint':
      // String(-0) is "0": -0 and 0 are one key, as SQL wants. An int8 is a bigint only
      // beyond the safe range, so equal int8 values have one key.
      return `n${v};`;
    case 'string':
      return `s${v.length}:${v}`;
    case 'boolean':
      return v ? 't' : 'f';
    default:
      return objectKey(v, false);
  }
}

/**
 * `valueKey`, but numerics of one value and different display scales apart (`d15e-1;` and
 * `d150e-2;`): the identity of a value as a multiset element (see `rowIdentity`).
 */
export function valueIdentity(v: Value): string {
  return typeof v === 'object' && v !== null ? objectKey(v, true) : valueKey(v);
}

function objectKey(v: Value, exact: boolean): string {
  if (v === null) return 'N';
  if (isNumericValue(v)) return exact ? `d${v.special ?? v.coef}e-${v.scale};` : `d${numericKey(v)};`;
  if (Array.isArray(v)) {
    let k = `a${v.length}:`;
    for (const e of v as readonly Value[]) k += exact ? valueIdentity(e) : valueKey(e);
    return k;
  }
  if (v instanceof Uint8Array) {
    let k = `b${v.length}:`;
    for (const byte of v) k += byte < 16 ? `0${byte.toString(16)}` : byte.toString(16);
    return k;
  }
  if (isInterval(v)) return `i${intervalSpan(v)};`;
  const json = JSON.stringify(v);
  return `j${json.length}:${json}`;
}

/**
 * Map key of a tuple up to SQL equality (a primary key, a group key, a join key): 1.5 and
 * 1.50 have one key. Joined rather than concatenated: `+=` builds a rope of small strings
 * that a map then keeps alive (~700 bytes for a 12-column row); `join` makes one flat string,
 * and is faster too.
 */
export function rowKey(values: Row): string {
  const n = values.length;
  if (n === 1) return valueKey(values[0] as Value);
  const parts: string[] = new Array(n);
  for (let i = 0; i < n; i++) parts[i] = valueKey(values[i] as Value);
  return parts.join('');
}

/**
 * Map key of a row as an element of a multiset of rows (Z-set consolidation, a view's
 * table, the store's row key): `rowKey`, except that numerics keep their display scale, so
 * that a row changing from 1.5 to 1.50 is a retraction and an insertion, as PostgreSQL would
 * print it, rather than no change. Rows differing only so are still equal for SQL (`rowKey`).
 */
export function rowIdentity(values: Row): string {
  const n = values.length;
  if (n === 1) return valueIdentity(values[0] as Value);
  const parts: string[] = new Array(n);
  for (let i = 0; i < n; i++) parts[i] = valueIdentity(values[i] as Value);
  return parts.join('');
}

/** Key of a single value usable directly in a `Map`: primitives as themselves (SameValueZero
 * equates -0/0 and NaN/NaN, keeps 1 and '1' apart, and compares bigints by value), objects by
 * `valueKey` in a box string that cannot clash with a primitive — callers keep object keys in
 * a separate map. */
export function hashKey(v: Value): null | boolean | number | bigint | string {
  if (v === null || typeof v !== 'object') return v;
  return objectKey(v, false);
}

/** True when any of the values is NULL (an equi-join key with a NULL never matches). */
export function hasNull(values: Row): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] === null) return true;
  return false;
}

/** Errors raised by expressions carry a SQLSTATE; operators count and skip such rows. */
export function isSqlStateError(e: unknown): e is Error & { readonly sqlstate: string } {
  return typeof e === 'object' && e !== null && typeof (e as { sqlstate?: unknown }).sqlstate === 'string';
}
