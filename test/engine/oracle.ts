/**
 * DuckDB as the batch oracle of the engine's differential tests: the same statements run in
 * both; after every epoch each view must equal, as a multiset, DuckDB's answer to the view's
 * query over all input so far. RisingWave-only table functions are rewritten for DuckDB:
 * `TUMBLE(t, col, size)` and `HOP(t, col, slide, size)` become subqueries adding
 * `window_start` / `window_end`.
 */
import assert from 'node:assert/strict';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { isNumericValue, numericToNumber } from '../../src/sql/numeric.ts';
import { bigintReplacer } from '../../src/sql/types.ts';
import { compareRows, type Row, type Value } from '../../src/stream/value.ts';

export async function duck(): Promise<DuckDBConnection> {
  const db = await DuckDBInstance.create(':memory:');
  return db.connect();
}

const tumbleRe = /TUMBLE\s*\(\s*(\w+)\s*,\s*(\w+)\s*,\s*(INTERVAL\s*'[^']+')\s*\)/gi;
const hopRe =
  /HOP\s*\(\s*(\w+)\s*,\s*(\w+)\s*,\s*INTERVAL\s*'(\d+) SECONDS?'\s*,\s*INTERVAL\s*'(\d+) SECONDS?'\s*\)/gi;

/** The query text with TUMBLE/HOP rewritten for DuckDB. */
export function forDuckDb(sql: string): string {
  return sql
    .replace(
      tumbleRe,
      (_m, rel: string, col: string, iv: string) =>
        `(SELECT *, time_bucket(${iv}, ${col}) AS window_start, time_bucket(${iv}, ${col}) + ${iv} AS window_end FROM ${rel})`,
    )
    .replace(hopRe, (_m, rel: string, col: string, slide: string, size: string) => {
      const n = Number(size) / Number(slide);
      const ws = `time_bucket(INTERVAL '${slide} SECONDS', ${col}) - k.i * INTERVAL '${slide} SECONDS'`;
      return `(SELECT ${rel}.*, ${ws} AS window_start, ${ws} + INTERVAL '${size} SECONDS' AS window_end FROM ${rel} CROSS JOIN range(0, ${n}) AS k(i))`;
    });
}

/** A DuckDB value in the engine's representation (timestamps in µs, numbers as numbers). */
export function fromDuck(v: unknown): Value {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'object') {
    const o = v as { micros?: bigint; toDouble?: () => number };
    if (typeof o.micros === 'bigint') return Number(o.micros);
    if (typeof o.toDouble === 'function') return o.toDouble();
  }
  return v as Value;
}

export async function queryDuck(conn: DuckDBConnection, sql: string): Promise<Row[]> {
  const r = await conn.runAndReadAll(sql);
  return r.getRows().map((row) => row.map(fromDuck));
}

/**
 * Numbers as DuckDB has them, non-integers rounded to 10 significant digits so that float
 * noise does not matter: DuckDB computes avg and numeric as doubles, the engine exactly
 * (a numeric becomes its double, an int8 beyond 2^53 a number).
 */
function norm(row: Row): Row {
  return row.map((v) => {
    const x = isNumericValue(v) ? numericToNumber(v) : typeof v === 'bigint' ? Number(v) : v;
    return typeof x === 'number' && !Number.isInteger(x) ? Number(x.toPrecision(10)) : x;
  });
}

export function assertSameRows(actual: readonly Row[], expected: readonly Row[], what: string): void {
  const a = actual.map(norm).sort(compareRows);
  const e = expected.map(norm).sort(compareRows);
  if (a.length === e.length && a.every((r, i) => compareRows(r, e[i] as Row) === 0)) return;
  const show = (rows: Row[]) =>
    rows
      .slice(0, 8)
      .map((r) => JSON.stringify(r, bigintReplacer))
      .join('\n    ');
  const missing = e.filter((r) => !a.some((x) => compareRows(x, r) === 0));
  const extra = a.filter((r) => !e.some((x) => compareRows(x, r) === 0));
  assert.fail(
    `${what}: ${a.length} rows, expected ${e.length}\n  missing:\n    ${show(missing)}\n  unexpected:\n    ${show(extra)}`,
  );
}

/** A SQL literal for DuckDB. */
export function sqlLiteral(v: Value, timestamp = false): string {
  if (v === null) return 'NULL';
  if (timestamp && typeof v === 'number') return `make_timestamp(${Math.trunc(v)}::BIGINT)`;
  if (typeof v === 'number') return String(v);
  return `'${String(v).replace(/'/g, "''")}'`;
}
