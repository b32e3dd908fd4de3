/**
 * A JSON value as a column's value, the way RisingWave's JSON parser reads one with its default
 * options (`JsonParseOptions::DEFAULT`), typed with tidewatch's text input functions.
 *
 * | column type          | takes                                                                   |
 * | -------------------- | ----------------------------------------------------------------------- |
 * | text, varchar        | strings; numbers and booleans as their text (`200` → `'200'`)            |
 * | smallint…bigint      | integral numbers in range; strings through the type's text input         |
 * | real, double         | numbers; strings through the text input (`'NaN'`, `'Infinity'` too)      |
 * | numeric              | integers exactly, other numbers through a double (as RisingWave); strings exactly (`'0.10'` keeps its scale), `NAN`, `POSITIVE_INFINITY`… |
 * | boolean              | `true`, `false` only                                                     |
 * | timestamp, timestamptz | ISO 8601 strings (an offset is converted to UTC; none means UTC); integral epoch numbers, |
 * |                      | the unit told by magnitude: below 1e11 seconds, below 1e14 milliseconds, below 1e17 µs, else ns |
 * | date, time, interval, bytea | strings through the text input; date also days, time also µs     |
 * | jsonb                | any value                                                               |
 * | arrays               | JSON arrays, each element by these rules                                |
 *
 * JSON null is NULL. Anything else is a type error naming the column. A number with a fraction
 * is an error for an integer column and for a timestamp, as in RisingWave (whose JSON reader
 * types `1.5` a float, and takes no float there).
 *
 * Converters see what `JSON.parse` gives. When a number's digits matter beyond what a double
 * holds (an integer beyond 2^53 for a bigint or numeric, a text column given `1.5e300`), a
 * converter asks for the number's source text by throwing `NEED_SOURCE`; the decoder then reads
 * the record again with numbers as `JsonNumber` (their text as written) and the converter reads
 * that. Either way a value converts alike: the slow path only adds the digits a double lacks.
 */

import {
  columnTypmod,
  parseDateText,
  parseFloatText,
  parseInteger,
  parseIntervalText,
  parseTimestampText,
  parseTimeText,
} from '../../engine/eval/functions/casts.ts';
import { parseBytea } from '../../sql/literals.ts';
import {
  NUMERIC_INFINITY,
  NUMERIC_NAN,
  NUMERIC_NEG_INFINITY,
  numericFromInteger,
  numericFromShortest,
  parseNumeric,
} from '../../sql/numeric.ts';
import { formatType, type SqlType, type Value } from '../../sql/types.ts';
import { excerpt } from './record-decoder.ts';

/** A JSON number as written in the record (only on the slow path, see NEED_SOURCE). */
export class JsonNumber {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** Thrown by a converter that needs the number's text as written. */
export const NEED_SOURCE: unique symbol = Symbol('needs the JSON number as written');

/** A value that does not fit its column: the message names the column. */
export class JsonFieldError extends Error {}

/** How a timestamptz column reads numbers and strings (RisingWave's `timestamptz.handling.mode`). */
export type TimestamptzMode = 'guess_number_unit' | 'milli' | 'micro' | 'utc_string' | 'utc_without_suffix';

export type Converter = (v: unknown) => Value;

/** The converter of non-null JSON values for a column. */
export function jsonConverter(column: string, type: SqlType, mode: TimestamptzMode): Converter {
  const base = converterFor(column, type, mode);
  const typmod = columnTypmod(type);
  if (typmod === undefined) return base;
  return (v) => {
    const x = base(v);
    try {
      return typmod(x);
    } catch (e) {
      throw fieldError(column, e);
    }
  };
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof JsonNumber) return `the number ${excerpt(v.text)}`;
  switch (typeof v) {
    case 'string':
      return `the string ${JSON.stringify(excerpt(v))}`;
    case 'number':
      return `the number ${v}`;
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return 'an object';
  }
}

function mismatch(column: string, expected: string, v: unknown): JsonFieldError {
  return new JsonFieldError(`${column}: expected ${expected}, got ${kindOf(v)}`);
}

/** A text input function's error (22P02 …) about the column's value. */
function fieldError(column: string, e: unknown): unknown {
  if (e === NEED_SOURCE || e instanceof JsonFieldError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new JsonFieldError(`${column}: ${message}`);
}

/** `f(text)`, its error about the column. */
function input<T>(column: string, f: (s: string) => T, text: string): T {
  try {
    return f(text);
  } catch (e) {
    throw fieldError(column, e);
  }
}

const INTEGER_TEXT = /^-?\d+$/;

function converterFor(column: string, type: SqlType, mode: TimestamptzMode): Converter {
  const label = formatType(type);
  switch (type.name) {
    case 'varchar':
    case 'text':
    case 'unknown':
      return (v) => {
        if (typeof v === 'string') return v;
        if (typeof v === 'number') {
          if (Number.isSafeInteger(v)) return String(v);
          throw NEED_SOURCE;
        }
        if (v instanceof JsonNumber) {
          const x = Number(v.text);
          return Number.isSafeInteger(x) ? String(x) : v.text;
        }
        if (typeof v === 'boolean') return v ? 'true' : 'false';
        throw mismatch(column, 'a string', v);
      };
    case 'int2':
    case 'int4':
    case 'int8': {
      const name = type.name;
      const lo = name === 'int2' ? -32768 : name === 'int4' ? -2147483648 : Number.MIN_SAFE_INTEGER;
      const hi = name === 'int2' ? 32767 : name === 'int4' ? 2147483647 : Number.MAX_SAFE_INTEGER;
      const readInteger = (s: string) => parseInteger(s, name);
      return (v) => {
        if (typeof v === 'number') {
          if (Number.isInteger(v)) {
            if (v >= lo && v <= hi) return v + 0;
            if (name === 'int8') throw NEED_SOURCE;
            throw new JsonFieldError(`${column}: ${v} is out of range for type ${label}`);
          }
          throw mismatch(column, 'an integer', v);
        }
        if (v instanceof JsonNumber) {
          if (INTEGER_TEXT.test(v.text)) return input(column, readInteger, v.text);
          // `1e3`, `1.0`: integral, as the fast path reads them
          const x = Number(v.text);
          if (!Number.isInteger(x)) throw mismatch(column, 'an integer', v);
          return input(column, readInteger, BigInt(x).toString());
        }
        if (typeof v === 'string') return input(column, readInteger, v);
        throw mismatch(column, 'an integer', v);
      };
    }
    case 'float4':
    case 'float8': {
      const f4 = type.name === 'float4';
      const readFloat = (s: string) => parseFloatText(s, f4);
      return (w) => {
        const v = w instanceof JsonNumber ? Number(w.text) : w;
        if (typeof v === 'number') {
          // JSON has no infinities: one here is a number too large for a double
          const r = f4 ? Math.fround(v) : v;
          if (!Number.isFinite(r) || (r === 0 && v !== 0))
            throw new JsonFieldError(`${column}: ${v} is out of range for type ${label}`);
          return r;
        }
        if (typeof v === 'string') return input(column, readFloat, v);
        throw mismatch(column, 'a number', v);
      };
    }
    case 'numeric':
      return (v) => {
        if (typeof v === 'number') {
          if (Number.isSafeInteger(v)) return numericFromInteger(v + 0);
          if (Number.isInteger(v)) throw NEED_SOURCE;
          return numericFromShortest(v);
        }
        if (v instanceof JsonNumber) {
          if (INTEGER_TEXT.test(v.text)) return numericFromInteger(BigInt(v.text));
          return numericFromShortest(Number(v.text));
        }
        if (typeof v === 'string') {
          // Debezium's names for the special values, which RisingWave reads too
          if (v === 'NAN') return NUMERIC_NAN;
          if (v === 'POSITIVE_INFINITY') return NUMERIC_INFINITY;
          if (v === 'NEGATIVE_INFINITY') return NUMERIC_NEG_INFINITY;
          return input(column, parseNumeric, v);
        }
        throw mismatch(column, 'a number', v);
      };
    case 'boolean':
      return (v) => {
        if (typeof v === 'boolean') return v;
        throw mismatch(column, 'true or false', v);
      };
    case 'timestamp':
      return timestampConverter(column, 'guess_number_unit');
    case 'timestamptz':
      return timestampConverter(column, mode);
    case 'date':
      return (v) => {
        if (typeof v === 'string') return input(column, parseDateText, v);
        const n = integerOf(v);
        if (n !== undefined && n >= -2147483648 && n <= 2147483647) return n;
        throw mismatch(column, 'a date or a day number', v);
      };
    case 'time':
      return (v) => {
        if (typeof v === 'string') return input(column, parseTimeText, v);
        const n = integerOf(v);
        if (n !== undefined && n >= 0 && n < 86_400_000_000) return n;
        throw mismatch(column, 'a time or microseconds since midnight', v);
      };
    case 'interval':
      return (v) => {
        if (typeof v === 'string') return input(column, parseIntervalText, v);
        throw mismatch(column, 'an interval string', v);
      };
    case 'bytea':
      return (v) => {
        if (typeof v === 'string') return input(column, parseBytea, v);
        throw mismatch(column, 'a string', v);
      };
    case 'jsonb':
      return (v) => (holdsJsonNumber(v) ? jsonbValue(v) : v) as Value;
    case 'array': {
      const element = converterFor(column, type.element ?? { name: 'text' }, mode);
      return (v) => {
        if (!Array.isArray(v)) throw mismatch(column, 'an array', v);
        const out: Value[] = new Array(v.length);
        for (let i = 0; i < v.length; i++) {
          const e = v[i];
          out[i] = e === null ? null : element(e);
        }
        return out;
      };
    }
    default: {
      const never: never = type.name;
      return never;
    }
  }
}

function holdsJsonNumber(v: unknown): boolean {
  if (v instanceof JsonNumber) return true;
  if (typeof v !== 'object' || v === null) return false;
  for (const x of Array.isArray(v) ? v : Object.values(v)) if (holdsJsonNumber(x)) return true;
  return false;
}

/** A jsonb value: what the slow path wrapped as JsonNumber back to a number. */
function jsonbValue(v: unknown): unknown {
  if (v instanceof JsonNumber) return Number(v.text);
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(jsonbValue);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = jsonbValue(x);
  return out;
}

/** A JSON integer as a safe number, or a bigint beyond; undefined for anything else. */
function integerOf(v: unknown): number | bigint | undefined {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return v + 0;
    if (Number.isInteger(v)) throw NEED_SOURCE;
    return undefined;
  }
  if (v instanceof JsonNumber) {
    let b: bigint;
    if (INTEGER_TEXT.test(v.text)) b = BigInt(v.text);
    else {
      const x = Number(v.text);
      if (!Number.isInteger(x)) return undefined;
      b = BigInt(x);
    }
    return b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b;
  }
  return undefined;
}

const E11 = 100_000_000_000;
const E14 = 100_000_000_000_000;
const E17 = 100_000_000_000_000_000n;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/** µs since 1970 of an epoch integer whose unit its magnitude tells (RisingWave's `i64_to_timestamptz`). */
export function epochMicros(n: number | bigint): number {
  if (typeof n === 'number') {
    // a safe integer: below 1e17, so seconds, milliseconds or microseconds
    const a = Math.abs(n);
    return a < E11 ? n * 1_000_000 : a < E14 ? n * 1_000 : n;
  }
  const a = n < 0n ? -n : n;
  // below 1e17 µs; else ns, divided with truncation toward zero as Rust's `/` does
  return Number(a < E17 ? n : n / 1000n);
}

function timestampConverter(column: string, mode: TimestamptzMode): Converter {
  // RisingWave reads an offset into timestamptz; tidewatch reads it into timestamp too (as UTC).
  const withZone = mode !== 'utc_without_suffix';
  return (v) => {
    if (typeof v === 'string') {
      try {
        return parseTimestampText(v, withZone);
      } catch (e) {
        if ((e as { sqlstate?: string }).sqlstate !== '22007') throw fieldError(column, e);
        throw mismatch(column, 'an ISO 8601 timestamp', v);
      }
    }
    if (mode === 'utc_string' || mode === 'utc_without_suffix')
      throw mismatch(column, 'a timestamp string (timestamptz.handling.mode)', v);
    const n = integerOf(v);
    if (n === undefined || (typeof n === 'bigint' && (n < I64_MIN || n > I64_MAX)))
      throw mismatch(column, 'an ISO 8601 timestamp or an integral epoch', v);
    if (mode === 'micro') return Number(n);
    if (mode === 'milli') return typeof n === 'number' ? n * 1000 : Number(n * 1000n);
    return epochMicros(n);
  };
}
