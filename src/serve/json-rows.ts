/**
 * Query results as the HTTP API answers them: columns with their PostgreSQL type names, and
 * values a person (or a browser) reads as they are — timestamps and dates as ISO 8601 text,
 * with microseconds when they have them. Numerics and large bigints keep their exact digits
 * when serialized (http.ts).
 */
import { jsonOf } from '../sql/jsonb-value.ts';
import { formatType, type SqlType, type Value } from '../sql/types.ts';

export interface JsonColumn {
  readonly name: string;
  readonly type: string;
}

export interface JsonRows {
  readonly columns: readonly JsonColumn[];
  readonly rows: readonly (readonly unknown[])[];
}

export function jsonRows(
  columns: readonly { name: string; type: SqlType }[],
  rows: readonly (readonly Value[])[],
): JsonRows {
  const convert = columns.map((c) => converterOf(c.type));
  return {
    columns: columns.map((c) => ({ name: c.name, type: formatType(c.type) })),
    rows: rows.map((row) =>
      row.map((v, i) => (v === null ? null : (convert[i] as (v: Value) => unknown)(v))),
    ),
  };
}

const same = (v: Value): unknown => v;

/** One value of `type` as `jsonRows` answers it. */
export function jsonValue(type: SqlType, v: Value): unknown {
  return v === null ? null : converterOf(type)(v);
}

function converterOf(type: SqlType): (v: Value) => unknown {
  switch (type.name) {
    case 'timestamp':
      return (v) => isoTimestamp(v as number, '');
    case 'timestamptz':
      return (v) => isoTimestamp(v as number, 'Z');
    case 'date':
      return (v) => new Date((v as number) * 86_400_000).toISOString().slice(0, 10);
    case 'jsonb':
      return jsonOf;
    default:
      return same;
  }
}

/** `2024-01-25T12:00:00.123456` from microseconds since 1970 (milliseconds only when they are all). */
export function isoTimestamp(micros: number, zone: '' | 'Z'): string {
  const ms = Math.floor(micros / 1000);
  const iso = new Date(ms).toISOString().slice(0, -1);
  const extra = micros - ms * 1000;
  return `${extra === 0 ? iso : `${iso}${String(extra).padStart(3, '0')}`}${zone}`;
}
