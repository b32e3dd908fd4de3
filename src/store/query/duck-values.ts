/**
 * Values and types between DuckDB and tidewatch's representation (src/sql/types.ts), for
 * query results (any DuckDB type a query may produce), bound parameters and the catalog
 * tables.
 *
 * | DuckDB result type                          | SqlType      |
 * | ------------------------------------------- | ------------ |
 * | BOOLEAN                                     | boolean      |
 * | TINYINT, SMALLINT, UTINYINT                 | int2         |
 * | INTEGER, USMALLINT                          | int4         |
 * | BIGINT, UINTEGER                            | int8         |
 * | HUGEINT, UBIGINT, UHUGEINT, DECIMAL, BIGNUM | numeric      |
 * | FLOAT / DOUBLE                              | float4 / float8 |
 * | VARCHAR, UUID, ENUM, BIT, TIME WITH TIME ZONE, STRUCT, MAP, UNION (as text) | text |
 * | VARCHAR with alias JSON                     | jsonb        |
 * | VARCHAR where the query's type is numeric   | numeric (its exact text, rewrite-numeric.ts) |
 * | TIMESTAMP (_S, _MS, _NS) / TIMESTAMPTZ      | timestamp / timestamptz |
 * | DATE, TIME, INTERVAL, BLOB                  | date, time, interval, bytea |
 * | LIST or ARRAY of T                          | array of T   |
 * | NULL (an untyped NULL)                      | text         |
 */
import {
  BIGINT,
  BLOB,
  BOOLEAN,
  blobValue,
  DATE,
  DOUBLE,
  type DuckDBBlobValue,
  type DuckDBDateValue,
  type DuckDBDecimalValue,
  type DuckDBIntervalValue,
  type DuckDBListValue,
  type DuckDBTimestampMillisecondsValue,
  type DuckDBTimestampNanosecondsValue,
  type DuckDBTimestampSecondsValue,
  type DuckDBTimestampTZValue,
  type DuckDBTimestampValue,
  type DuckDBTimeValue,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
  dateValue,
  FLOAT,
  INTEGER,
  INTERVAL,
  intervalValue,
  LIST,
  listValue,
  SMALLINT,
  TIME,
  TIMESTAMP,
  TIMESTAMPTZ,
  timestampTZValue,
  timestampValue,
  timeValue,
  VARCHAR,
} from '@duckdb/node-api';
import { SqlError, SqlState } from '../../sql/errors.ts';
import { INT8_MAX, INT8_MIN, int8 } from '../../sql/int8.ts';
import { fitsIntervalMicros } from '../../sql/interval-arithmetic.ts';
import { jsonbText, storedJsonb } from '../../sql/jsonb-value.ts';
import {
  formatNumeric,
  isNumericValue,
  numeric,
  numericFromInteger,
  numericFromShortest,
  numericToNumber,
  parseNumeric,
} from '../../sql/numeric.ts';
import { arrayOf, type Interval, type SqlType, T, type Value } from '../../sql/types.ts';

/** The SqlType of a DuckDB result column. */
export function sqlTypeOfDuck(t: DuckDBType): SqlType {
  switch (t.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return T.boolean;
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.UTINYINT:
      return T.int2;
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.USMALLINT:
      return T.int4;
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UINTEGER:
      return T.int8;
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.DECIMAL:
    case DuckDBTypeId.BIGNUM:
      return T.numeric;
    case DuckDBTypeId.FLOAT:
      return T.float4;
    case DuckDBTypeId.DOUBLE:
      return T.float8;
    case DuckDBTypeId.VARCHAR:
      return t.alias?.toUpperCase() === 'JSON' ? T.jsonb : T.text;
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return T.timestamp;
    case DuckDBTypeId.TIMESTAMP_TZ:
      return T.timestamptz;
    case DuckDBTypeId.DATE:
      return T.date;
    case DuckDBTypeId.TIME:
      return T.time;
    case DuckDBTypeId.INTERVAL:
      return T.interval;
    case DuckDBTypeId.BLOB:
      return T.bytea;
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return arrayOf(sqlTypeOfDuck((t as { valueType: DuckDBType }).valueType));
    default:
      return T.text;
  }
}

function micros(v: DuckDBValue, t: DuckDBType): number {
  switch (t.typeId) {
    case DuckDBTypeId.TIMESTAMP_S:
      return Number((v as DuckDBTimestampSecondsValue).seconds) * 1_000_000;
    case DuckDBTypeId.TIMESTAMP_MS:
      return Number((v as DuckDBTimestampMillisecondsValue).millis) * 1000;
    case DuckDBTypeId.TIMESTAMP_NS:
      return Math.floor(Number((v as DuckDBTimestampNanosecondsValue).nanos) / 1000);
    case DuckDBTypeId.TIMESTAMP_TZ:
      return Number((v as DuckDBTimestampTZValue).micros);
    default:
      return Number((v as DuckDBTimestampValue).micros);
  }
}

/** An integer result as `target` has it: numeric, an int8 (number or bigint), else a number. */
function integerAs(b: bigint, target: SqlType): Value {
  if (target.name === 'numeric') return numeric(b, 0);
  if (target.name === 'float8' || target.name === 'float4') return Number(b);
  return b >= INT8_MIN && b <= INT8_MAX ? int8(b) : numeric(b, 0);
}

/** A DuckDB result value (of DuckDB type `t`) in tidewatch's representation of `target`. */
export function fromDuckValue(v: DuckDBValue, t: DuckDBType, target: SqlType): Value {
  if (v === null) return null;
  switch (t.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return v as boolean;
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.BIGNUM:
      return integerAs(BigInt(v as bigint | number), target);
    case DuckDBTypeId.DECIMAL: {
      const d = v as DuckDBDecimalValue;
      const n = numeric(d.value, d.scale);
      return target.name === 'numeric' ? n : numericToNumber(n);
    }
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
      return target.name === 'numeric' ? numericFromInteger(v as number) : (v as number);
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return target.name === 'numeric' ? numericFromShortest(v as number) : (v as number);
    case DuckDBTypeId.VARCHAR:
      if (target.name === 'numeric') return parseNumeric(v as string);
      return target.name === 'jsonb' ? storedJsonb(v as string) : (v as string);
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return micros(v, t);
    case DuckDBTypeId.DATE:
      return (v as DuckDBDateValue).days;
    case DuckDBTypeId.TIME:
      return Number((v as DuckDBTimeValue).micros);
    case DuckDBTypeId.INTERVAL: {
      const i = v as DuckDBIntervalValue;
      return { months: i.months, days: i.days, micros: Number(i.micros) };
    }
    case DuckDBTypeId.BLOB:
      return (v as DuckDBBlobValue).bytes;
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY: {
      const element = (t as { valueType: DuckDBType }).valueType;
      const targetElement = target.name === 'array' ? (target.element ?? T.text) : T.text;
      return (v as DuckDBListValue).items.map((e) => fromDuckValue(e, element, targetElement));
    }
    default:
      return String(v);
  }
}

/** The DuckDB type values of `t` are bound or appended as. */
export function duckTypeOfSql(t: SqlType): DuckDBType {
  switch (t.name) {
    case 'boolean':
      return BOOLEAN;
    case 'int2':
      return SMALLINT;
    case 'int4':
      return INTEGER;
    case 'int8':
      return BIGINT;
    case 'float4':
      return FLOAT;
    case 'float8':
      return DOUBLE;
    case 'timestamp':
      return TIMESTAMP;
    case 'timestamptz':
      return TIMESTAMPTZ;
    case 'date':
      return DATE;
    case 'time':
      return TIME;
    case 'interval':
      return INTERVAL;
    case 'bytea':
      return BLOB;
    case 'array':
      return LIST(duckTypeOfSql(t.element ?? T.text));
    default:
      return VARCHAR;
  }
}

function integer(v: number | bigint, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if (!Number.isSafeInteger(v))
    throw new SqlError(SqlState.invalidParameterValue, `${what} ${v} is not an integer in the safe range`);
  return BigInt(v);
}

/** A tidewatch value of type `t` as a DuckDB value of `duckTypeOfSql(t)` (a numeric as its exact text). */
export function toDuckValue(v: Value, t: SqlType): DuckDBValue {
  if (v === null) return null;
  switch (t.name) {
    case 'int8':
      return integer(v as number | bigint, 'bigint');
    case 'numeric':
      return isNumericValue(v) ? formatNumeric(v) : String(v);
    case 'timestamp':
      return timestampValue(integer(v as number, 'timestamp'));
    case 'timestamptz':
      return timestampTZValue(integer(v as number, 'timestamptz'));
    case 'date':
      return dateValue(v as number);
    case 'time':
      return timeValue(integer(v as number, 'time'));
    case 'interval': {
      const i = v as Interval;
      if (!fitsIntervalMicros(i.micros)) throw new SqlError('22008', 'interval out of range');
      return intervalValue(i.months, i.days, BigInt(i.micros));
    }
    case 'jsonb':
      return jsonbText(v);
    case 'bytea':
      return blobValue(v as Uint8Array);
    case 'array':
      return listValue((v as readonly Value[]).map((e) => toDuckValue(e, t.element ?? T.text)));
    case 'varchar':
    case 'text':
    case 'unknown':
      return typeof v === 'string' ? v : String(v);
    default:
      return v as DuckDBValue;
  }
}

/** The type a parameter without a declared type is bound as, from its JS value. */
export function guessParamType(v: Value): SqlType {
  if (typeof v === 'boolean') return T.boolean;
  if (typeof v === 'number') return Number.isSafeInteger(v) ? T.int8 : T.float8;
  if (typeof v === 'bigint') return T.int8;
  if (isNumericValue(v)) return T.numeric;
  if (v instanceof Uint8Array) return T.bytea;
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && 'months' in v) return T.interval;
  return T.text;
}
