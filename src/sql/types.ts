/**
 * SQL types and the runtime representation of values.
 *
 * Runtime values (what a row holds, column by column):
 *
 * | SQL type                         | JS value                                                   |
 * | -------------------------------- | ---------------------------------------------------------- |
 * | NULL (any type)                  | `null`                                                     |
 * | boolean                          | `boolean`                                                  |
 * | smallint / integer               | `number`                                                   |
 * | bigint                           | `number` within ±(2^53 − 1), a JS `bigint` beyond (int8.ts) |
 * | numeric                          | `Numeric` = `{ coef: bigint, scale }` (+ `special` for     |
 * |                                  | NaN/±Infinity): exact, with its display scale (numeric.ts) |
 * | real / double precision          | `number`                                                   |
 * | varchar / text                   | `string`                                                   |
 * | timestamp (without time zone)    | `number`: microseconds since 1970-01-01 00:00:00           |
 * | timestamptz                      | `number`: microseconds since the epoch, UTC                |
 * | date                             | `number`: days since 1970-01-01                            |
 * | time                             | `number`: microseconds since midnight                      |
 * | interval                         | `Interval` = `{ months, days, micros }`                    |
 * | jsonb                            | parsed JSON value (object, array, string, number, boolean) |
 * |                                  | or `JSON_NULL`, a JSON null apart from NULL (jsonb-value.ts) |
 * | bytea                            | `Uint8Array`                                               |
 * | arrays                           | JS arrays of the element representation                    |
 *
 * `unknown` is the type of a string literal whose type is not yet decided (PostgreSQL's
 * `unknown`): it resolves to the type the context asks for.
 */

import type { Numeric } from './numeric.ts';

export type { Numeric };

export type TypeName =
  | 'boolean'
  | 'int2'
  | 'int4'
  | 'int8'
  | 'numeric'
  | 'float4'
  | 'float8'
  | 'varchar'
  | 'text'
  | 'timestamp'
  | 'timestamptz'
  | 'date'
  | 'time'
  | 'interval'
  | 'jsonb'
  | 'bytea'
  | 'unknown'
  | 'array';

export interface SqlType {
  readonly name: TypeName;
  /** Element type of an array type. */
  readonly element?: SqlType;
  /**
   * A numeric column's `numeric(precision, scale)`: what it holds is rounded to the scale on
   * INSERT and UPDATE, 22003 beyond the precision, as PostgreSQL applies its typmod. The type
   * is still numeric (`sameType`).
   */
  readonly typmod?: readonly [precision: number, scale: number];
}

export interface Interval {
  readonly months: number;
  readonly days: number;
  readonly micros: number;
}

export type Value =
  | null
  | boolean
  | number
  | bigint
  | string
  | Numeric
  | Interval
  | Uint8Array
  | readonly Value[]
  | { readonly [key: string]: unknown };

/**
 * `JSON.stringify` replacer for values that may hold bigints (int8 beyond ±(2^53 − 1), the
 * coefficients of numerics): a bigint becomes the string `<digits>n`. For keys, fingerprints
 * and messages; not read back.
 */
export function bigintReplacer(_key: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v;
}

function scalar(name: TypeName): SqlType {
  return Object.freeze({ name });
}

/** The scalar types, one frozen instance each (compare with `sameType`, or by `name` for scalars). */
export const T = {
  boolean: scalar('boolean'),
  int2: scalar('int2'),
  int4: scalar('int4'),
  int8: scalar('int8'),
  numeric: scalar('numeric'),
  float4: scalar('float4'),
  float8: scalar('float8'),
  varchar: scalar('varchar'),
  text: scalar('text'),
  timestamp: scalar('timestamp'),
  timestamptz: scalar('timestamptz'),
  date: scalar('date'),
  time: scalar('time'),
  interval: scalar('interval'),
  jsonb: scalar('jsonb'),
  bytea: scalar('bytea'),
  unknown: scalar('unknown'),
} as const satisfies Record<Exclude<TypeName, 'array'>, SqlType>;

/** `numeric(precision, scale)` of a column. */
export function numericOf(precision: number, scale: number): SqlType {
  return Object.freeze({ name: 'numeric', typmod: Object.freeze([precision, scale] as const) });
}

export function arrayOf(element: SqlType): SqlType {
  return Object.freeze({ name: 'array', element });
}

export function sameType(a: SqlType, b: SqlType): boolean {
  if (a.name !== b.name) return false;
  if (a.name !== 'array') return true;
  return a.element !== undefined && b.element !== undefined && sameType(a.element, b.element);
}

/** PostgreSQL's display name (as `pg_typeof` / `format_type` print it). */
export function formatType(t: SqlType): string {
  switch (t.name) {
    case 'boolean':
      return 'boolean';
    case 'int2':
      return 'smallint';
    case 'int4':
      return 'integer';
    case 'int8':
      return 'bigint';
    case 'numeric':
      return 'numeric';
    case 'float4':
      return 'real';
    case 'float8':
      return 'double precision';
    case 'varchar':
      return 'character varying';
    case 'text':
      return 'text';
    case 'timestamp':
      return 'timestamp without time zone';
    case 'timestamptz':
      return 'timestamp with time zone';
    case 'date':
      return 'date';
    case 'time':
      return 'time without time zone';
    case 'interval':
      return 'interval';
    case 'jsonb':
      return 'jsonb';
    case 'bytea':
      return 'bytea';
    case 'unknown':
      return 'unknown';
    case 'array':
      return `${t.element === undefined ? 'unknown' : formatType(t.element)}[]`;
    default: {
      const never: never = t.name;
      return never;
    }
  }
}

/** Short name used in plans and signatures (`int4`, `timestamp`, `text[]`). */
export function shortType(t: SqlType): string {
  return t.name === 'array' ? `${t.element === undefined ? 'unknown' : shortType(t.element)}[]` : t.name;
}

const typeAliases: Readonly<Record<string, SqlType>> = {
  bool: T.boolean,
  boolean: T.boolean,
  int2: T.int2,
  smallint: T.int2,
  int: T.int4,
  int4: T.int4,
  integer: T.int4,
  int8: T.int8,
  bigint: T.int8,
  numeric: T.numeric,
  decimal: T.numeric,
  float4: T.float4,
  real: T.float4,
  float8: T.float8,
  float: T.float8,
  double: T.float8,
  'double precision': T.float8,
  varchar: T.varchar,
  'character varying': T.varchar,
  string: T.varchar,
  bpchar: T.varchar,
  char: T.varchar,
  character: T.varchar,
  text: T.text,
  timestamp: T.timestamp,
  timestamptz: T.timestamptz,
  date: T.date,
  time: T.time,
  interval: T.interval,
  jsonb: T.jsonb,
  json: T.jsonb,
  bytea: T.bytea,
};

/** Resolves a type name as written (`integer`, `pg_catalog.int4`, `varchar`); undefined if unknown. */
export function lookupType(name: string): SqlType | undefined {
  return typeAliases[name.toLowerCase()];
}

// ---------------------------------------------------------------------------
// Categories (PostgreSQL's typcategory), used by function/operator resolution.

export type TypeCategory = 'boolean' | 'numeric' | 'string' | 'datetime' | 'timespan' | 'array' | 'other';

export function category(t: SqlType): TypeCategory {
  switch (t.name) {
    case 'boolean':
      return 'boolean';
    case 'int2':
    case 'int4':
    case 'int8':
    case 'numeric':
    case 'float4':
    case 'float8':
      return 'numeric';
    case 'varchar':
    case 'text':
    case 'unknown':
      return 'string';
    case 'timestamp':
    case 'timestamptz':
    case 'date':
    case 'time':
      return 'datetime';
    case 'interval':
      return 'timespan';
    case 'array':
      return 'array';
    default:
      return 'other';
  }
}

const numericRank: Partial<Record<TypeName, number>> = {
  int2: 1,
  int4: 2,
  int8: 3,
  numeric: 4,
  float4: 5,
  float8: 6,
};

export function isNumeric(t: SqlType): boolean {
  return numericRank[t.name] !== undefined;
}
export function isInteger(t: SqlType): boolean {
  return t.name === 'int2' || t.name === 'int4' || t.name === 'int8';
}
export function isString(t: SqlType): boolean {
  return t.name === 'varchar' || t.name === 'text';
}
export function isTimestamp(t: SqlType): boolean {
  return t.name === 'timestamp' || t.name === 'timestamptz';
}

/**
 * Type two numeric operands of an arithmetic or comparison operator are brought to, as
 * PostgreSQL's operator resolution picks it: the wider type, except that real meeting any
 * other numeric type gives double precision (the cross-type `float48` operators).
 */
export function numericCommon(a: SqlType, b: SqlType): SqlType {
  const ra = numericRank[a.name] ?? 0;
  const rb = numericRank[b.name] ?? 0;
  if (a.name === 'float4' && b.name === 'float4') return T.float4;
  if ((ra >= 5 || rb >= 5) && ra !== rb) return T.float8;
  return ra >= rb ? a : b;
}

/**
 * Common supertype for UNION / VALUES / CASE / COALESCE / GREATEST / ARRAY / IN lists
 * (PostgreSQL's select_common_type), or undefined when the types cannot be matched.
 * `unknown` gives way to the other side; two unknowns stay `unknown`, which the caller
 * resolves as text once every input is seen. Among numeric types the one every other
 * casts to implicitly wins: real beats integers and numeric (`COALESCE(1::real, 2)` is
 * real), unlike operators, where `real * integer` is double precision (`numericCommon`).
 */
export function commonType(a: SqlType, b: SqlType): SqlType | undefined {
  if (a.name === 'unknown') return b;
  if (b.name === 'unknown') return a;
  if (sameType(a, b)) return a;
  if (isNumeric(a) && isNumeric(b)) return (numericRank[a.name] ?? 0) >= (numericRank[b.name] ?? 0) ? a : b;
  // varchar and text convert to each other implicitly, so PostgreSQL keeps the first one
  // (select_common_type): varchar UNION text is varchar, text UNION varchar is text.
  if (isString(a) && isString(b)) return a;
  const ca = category(a);
  if (ca === 'datetime' && category(b) === 'datetime') {
    if (a.name === 'time' || b.name === 'time') return undefined;
    if (a.name === 'timestamptz' || b.name === 'timestamptz') return T.timestamptz;
    return T.timestamp;
  }
  return undefined;
}

/** Whether PostgreSQL would apply the cast implicitly (assignment casts included when `assignment`). */
export function canImplicitCast(from: SqlType, to: SqlType, assignment = false): boolean {
  if (sameType(from, to) || from.name === 'unknown') return true;
  if (isNumeric(from) && isNumeric(to)) {
    if (assignment) return true;
    return (numericRank[from.name] ?? 0) <= (numericRank[to.name] ?? 0);
  }
  if (isString(from) && isString(to)) return true;
  // text[] → varchar[]: the same strings (other element casts would need each value cast).
  if (from.name === 'array' && to.name === 'array' && from.element !== undefined && to.element !== undefined)
    return isString(from.element) && isString(to.element);
  if (from.name === 'date' && isTimestamp(to)) return true;
  if (from.name === 'timestamp' && to.name === 'timestamptz') return true;
  if (assignment && to.name !== 'array' && isString(to)) return true;
  if (assignment && from.name === 'timestamptz' && (to.name === 'timestamp' || to.name === 'date'))
    return true;
  return false;
}

/** Whether an explicit `CAST(x AS t)` exists. */
export function canExplicitCast(from: SqlType, to: SqlType): boolean {
  if (canImplicitCast(from, to, true)) return true;
  if (isString(from)) return to.name !== 'array';
  if (isString(to)) return true;
  if (isNumeric(from) && isNumeric(to)) return true;
  if (category(from) === 'datetime' && category(to) === 'datetime') return true;
  if (from.name === 'int4' && to.name === 'boolean') return true;
  if (from.name === 'boolean' && to.name === 'int4') return true;
  if (from.name === 'jsonb' && (isNumeric(to) || to.name === 'boolean')) return true;
  if (from.name === 'array' && to.name === 'array') return true;
  return false;
}
