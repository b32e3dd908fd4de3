/**
 * PostgreSQL 15 as the batch oracle of the engine's differential tests (see
 * features-differential.test.ts): the same DDL and DML run in both; a materialized view in
 * tidewatch is a plain VIEW in PostgreSQL, so after every epoch the two must agree as
 * multisets.
 *
 * RisingWave's table functions are rewritten for PostgreSQL:
 * - `TUMBLE(rel, col, size [, offset])` becomes a subquery adding
 *   `window_start = date_bin(size, col, epoch + offset)` and `window_end = window_start + size`
 *   (a NULL time gives NULL bounds, as in RisingWave);
 * - `HOP(rel, col, slide, size [, offset])` becomes a subquery joining each row to every
 *   window `[s, s + size)` with `s ≡ offset (mod slide)` that contains it (a NULL time gives no
 *   row, as in RisingWave).
 * - `JOIN t FOR SYSTEM_TIME AS OF PROCTIME()` is the plain join (what the table holds now).
 *
 * Values are compared through text: engine values are printed with `formatValue` (exactly
 * PostgreSQL's text output) and PostgreSQL's are read as raw text, so timestamps, intervals,
 * arrays, booleans, strings, bigints and numerics (exact, display scale included) must match
 * to the character. Floating-point columns (and arrays of them) are compared as numbers,
 * rounded by `assertSameRows` to 10 significant digits: a float sum's last bits depend on
 * the order of additions.
 */
import type pg from 'pg';
import type { CatalogColumn } from '../../src/sql/catalog.ts';
import { isNumericValue, numericToNumber } from '../../src/sql/numeric.ts';
import type { SqlType } from '../../src/sql/types.ts';
import { formatValue } from '../../src/sql/value-text.ts';
import type { Row, Value } from '../../src/stream/value.ts';

const INTERVAL = String.raw`INTERVAL\s*'[^']*'(?:\s*(?:SECOND|MINUTE|HOUR|DAY)S?\b)?`;
const ARG = String.raw`\s*,\s*(${INTERVAL})`;
const tumbleRe = new RegExp(String.raw`\bTUMBLE\s*\(\s*(\w+)\s*,\s*(\w+)${ARG}(?:${ARG})?\s*\)`, 'gi');
const hopRe = new RegExp(String.raw`\bHOP\s*\(\s*(\w+)\s*,\s*(\w+)${ARG}${ARG}(?:${ARG})?\s*\)`, 'gi');

/** Words that may follow a FROM item and are not an alias. */
const notAlias = new Set([
  'where',
  'group',
  'having',
  'order',
  'limit',
  'offset',
  'join',
  'inner',
  'left',
  'right',
  'full',
  'cross',
  'natural',
  'on',
  'using',
  'union',
  'except',
  'intersect',
  'window',
]);

/** ` AS rel` unless the FROM item in `rest` already has an alias (PostgreSQL 15 requires one). */
function aliasFor(rel: string, rest: string): string {
  const m = /^\s+(?:AS\s+)?(\w+)/i.exec(rest);
  return m !== null && !notAlias.has((m[1] as string).toLowerCase()) ? '' : ` AS ${rel}`;
}

const ORIGIN = "TIMESTAMP '1970-01-01 00:00:00'";

/** RisingWave's process-time temporal join: in a batch query over a table, the plain join. */
const processTimeRe = /\s+FOR\s+SYSTEM_TIME\s+AS\s+OF\s+PROCTIME\s*\(\s*\)/gi;

/** The query text with TUMBLE/HOP rewritten for PostgreSQL and temporal joins made plain joins. */
export function forPostgres(sql: string): string {
  return sql
    .replace(processTimeRe, '')
    .replace(
      tumbleRe,
      (m, rel: string, col: string, size: string, offset: string | undefined, at: number, all: string) => {
        const origin = offset === undefined ? ORIGIN : `${ORIGIN} + ${offset}`;
        const ws = `date_bin(${size}, ${rel}.${col}, ${origin})`;
        return (
          `(SELECT ${rel}.*, ${ws} AS window_start, ${ws} + ${size} AS window_end FROM ${rel})` +
          aliasFor(rel, all.slice(at + m.length))
        );
      },
    )
    .replace(
      hopRe,
      (
        m,
        rel: string,
        col: string,
        slide: string,
        size: string,
        offset: string | undefined,
        at: number,
        all: string,
      ) => {
        const origin = offset === undefined ? ORIGIN : `${ORIGIN} + ${offset}`;
        const n = `ceil(extract(epoch FROM ${size}) / extract(epoch FROM ${slide}))::int`;
        const starts =
          `(SELECT date_bin(${slide}, ${rel}.${col}, ${origin}) - k * ${slide} AS s ` +
          `FROM generate_series(0, ${n} - 1) AS k)`;
        return (
          `(SELECT ${rel}.*, w.s AS window_start, w.s + ${size} AS window_end ` +
          `FROM ${rel} CROSS JOIN LATERAL ${starts} AS w WHERE ${rel}.${col} < w.s + ${size})` +
          aliasFor(rel, all.slice(at + m.length))
        );
      },
    );
}

/** Every value as PostgreSQL's text (no type parsing). */
const rawText = { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig;

export interface PgResult {
  readonly names: readonly string[];
  readonly typeOids: readonly number[];
  readonly rows: readonly (readonly (string | null)[])[];
}

export async function queryPostgres(client: pg.Client, sql: string): Promise<PgResult> {
  const r = await client.query({ text: sql, rowMode: 'array', types: rawText });
  return {
    names: r.fields.map((f) => f.name),
    typeOids: r.fields.map((f) => f.dataTypeID),
    rows: r.rows as (string | null)[][],
  };
}

const typeNames = new Map<number, string>();

/** `format_type(oid, NULL)`: `integer`, `character varying`, `timestamp without time zone[]`… */
export async function postgresTypeName(client: pg.Client, oid: number): Promise<string> {
  let name = typeNames.get(oid);
  if (name === undefined) {
    const r = await client.query({ text: 'SELECT format_type($1, NULL)', values: [oid], rowMode: 'array' });
    name = String((r.rows[0] as unknown[])[0]);
    typeNames.set(oid, name);
  }
  return name;
}

/**
 * How numbers compare: floats as numbers (to 10 significant digits) always; numerics exactly
 * as text unless `approximateNumeric`.
 */
export interface NumberComparison {
  readonly approximateNumeric?: boolean;
}

function isNumberType(t: SqlType, how: NumberComparison = {}): boolean {
  return (
    t.name === 'float4' || t.name === 'float8' || (how.approximateNumeric === true && t.name === 'numeric')
  );
}

/** `{1.5,NULL,-2}` (one dimension, numbers only) as a list of numbers. */
function parseNumberArray(text: string): (number | null)[] {
  const body = text.slice(1, -1);
  return body === '' ? [] : body.split(',').map((s) => (s === 'NULL' ? null : Number(s)));
}

function numberArrayText(xs: readonly (number | null)[]): string {
  return `{${xs.map((x) => (x === null ? 'NULL' : String(Number(x.toPrecision(10))))).join(',')}}`;
}

/** An engine value in comparable form: a number for float columns, else PostgreSQL's text. */
export function engineCell(v: Value, t: SqlType, how: NumberComparison = {}): Value {
  if (v === null) return null;
  if (isNumberType(t, how)) return isNumericValue(v) ? numericToNumber(v) : v;
  if (t.name === 'array' && t.element !== undefined && isNumberType(t.element, how))
    return numberArrayText((v as (number | null)[]).map((x) => (isNumericValue(x) ? numericToNumber(x) : x)));
  return formatValue(v, t);
}

/** A PostgreSQL text value in comparable form (see `engineCell`). */
export function postgresCell(text: string | null, t: SqlType, how: NumberComparison = {}): Value {
  if (text === null) return null;
  if (isNumberType(t, how)) return Number(text);
  if (t.name === 'array' && t.element !== undefined && isNumberType(t.element, how))
    return numberArrayText(parseNumberArray(text));
  return text;
}

export function engineRows(
  rows: readonly Row[],
  columns: readonly CatalogColumn[],
  how: NumberComparison = {},
): Row[] {
  return rows.map((r) => columns.map((c, i) => engineCell(r[i] as Value, c.type, how)));
}

export function postgresRows(
  res: PgResult,
  columns: readonly CatalogColumn[],
  how: NumberComparison = {},
): Row[] {
  return res.rows.map((r) => columns.map((c, i) => postgresCell(r[i] ?? null, c.type, how)));
}

function close(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (typeof a !== 'number' || typeof b !== 'number') return false;
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

/**
 * Pairs each engine row with a PostgreSQL row that has the same text in every other column
 * and numbers within a relative 1e-9 in the numeric/float columns, and gives it PostgreSQL's
 * numbers: a double and an exact numeric that agree to 15 digits can still round apart at 10
 * (58188.196625 → …662 / …663). Unpaired rows are left as they are for `assertSameRows`
 * to report.
 */
export function snapNumbers(
  actual: readonly Row[],
  expected: readonly Row[],
  cols: readonly CatalogColumn[],
  how: NumberComparison = {},
): Row[] {
  const numeric = cols.map((c) => isNumberType(c.type, how));
  if (!numeric.some((x) => x)) return [...actual];
  const keyOf = (r: Row) => JSON.stringify(r.map((v, i) => (numeric[i] ? 0 : v)));
  const pool = new Map<string, Row[]>();
  for (const e of expected) {
    const k = keyOf(e);
    const list = pool.get(k);
    if (list === undefined) pool.set(k, [e]);
    else list.push(e);
  }
  return actual.map((a) => {
    const list = pool.get(keyOf(a));
    const i = list?.findIndex((e) => e.every((v, j) => close(a[j] as Value, v))) ?? -1;
    if (list === undefined || i < 0) return a;
    const [e] = list.splice(i, 1);
    return e as Row;
  });
}
