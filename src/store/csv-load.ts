/**
 * Bulk rows handed to DuckDB as a CSV file that its own reader loads, on DuckDB's threads: for
 * an epoch of thousands of rows, writing the text takes the main thread (the engine's and the
 * endpoint's) about half the time an appender call per value takes, for about 1.1–1.2 times
 * the CPU over all threads (`npm run bench -- raw-append`). Only for column types whose text DuckDB
 * reads back as the same value; the caller appends other tables value by value.
 *
 * The text: every string quoted (inner quotes doubled), NULL as an unquoted `\N`, numbers as
 * JavaScript prints them (`-0`, `Infinity` and `NaN` included), timestamps and dates as their
 * microseconds and days, turned back by the load's SELECT.
 */
import { closeSync, mkdirSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { jsonbText } from '../sql/jsonb-value.ts';
import { formatNumeric, type Numeric } from '../sql/numeric.ts';
import type { SqlType, Value } from '../sql/types.ts';
import type { Row } from '../stream/value.ts';
import { ioError, StoreError } from './errors.ts';

/** Fewer rows than this go through the appender: a file per small epoch costs more than it saves. */
export const CSV_LOAD_MIN_ROWS = 2048;

/**
 * DuckDB's CSV reader refuses a line longer than its `max_line_size` (2 MB by default); a row
 * whose text is longer (in UTF-16 units, at most 3 bytes each) makes the caller append instead.
 */
const MAX_LINE_CHARS = 600_000;

export interface CsvColumn {
  readonly name: string;
  readonly type: SqlType;
}

/** A column of the table that is the same for every loaded row, as a DuckDB literal. */
export interface CsvConstant {
  readonly name: string;
  readonly literal: string;
}

export interface CsvLoadTarget {
  /** The table, a quoted DuckDB name. */
  readonly table: string;
  /** The rows' columns, in row order. */
  readonly columns: readonly CsvColumn[];
  /** One more column from outside the row, per row (an append-only view's weight). */
  readonly extra?: { readonly column: CsvColumn; readonly valueOf: (index: number) => Value };
  readonly constants?: readonly CsvConstant[];
}

type Format = (v: Value) => string;

/** How a value of `type` is written, and the column type DuckDB reads it as; undefined: not loadable. */
function csvTypeOf(
  type: SqlType,
): { format: Format; read: string; select: (c: string) => string } | undefined {
  const plain = (read: string, format: Format) => ({ format, read, select: (c: string) => c });
  switch (type.name) {
    case 'boolean':
      return plain('BOOLEAN', (v) => (v ? 'true' : 'false'));
    case 'int2':
      return plain('SMALLINT', String);
    case 'int4':
      return plain('INTEGER', String);
    case 'int8':
      return plain('BIGINT', String);
    case 'float4':
    case 'float8':
      return plain('DOUBLE', (v) => (Object.is(v, -0) ? '-0' : String(v)));
    case 'numeric':
      return plain('VARCHAR', (v) => formatNumeric(v as Numeric));
    case 'varchar':
    case 'text':
    case 'unknown':
      return plain('VARCHAR', (v) => quoted(v as string));
    case 'jsonb':
      return plain('VARCHAR', (v) => quoted(jsonbText(v)));
    case 'timestamp':
      return { format: integerOf('timestamp'), read: 'BIGINT', select: (c) => `make_timestamp(${c})` };
    case 'timestamptz':
      return {
        format: integerOf('timestamptz'),
        read: 'BIGINT',
        select: (c) => `make_timestamp(${c}) AT TIME ZONE 'UTC'`,
      };
    case 'date':
      return {
        format: integerOf('date'),
        read: 'INTEGER',
        select: (c) => `CAST(DATE '1970-01-01' + ${c} AS DATE)`,
      };
    default:
      return undefined;
  }
}

function quoted(s: string): string {
  return `"${s.includes('"') ? s.replaceAll('"', '""') : s}"`;
}

function integerOf(what: string): Format {
  return (v) => {
    if (!Number.isSafeInteger(v))
      throw new StoreError(
        'invalid-argument',
        `view store: ${what} ${String(v)} is not an integer in the safe range`,
      );
    return String(v);
  };
}

/** Whether rows of these column types can be loaded from CSV. */
export function csvLoadable(types: readonly SqlType[]): boolean {
  return types.every((t) => csvTypeOf(t) !== undefined);
}

/** Loads rows into tables from CSV files written in `dir` (made when needed, emptied on open). */
export class CsvLoader {
  readonly #dir: string;
  #files = 0;
  /** Loads that inserted their rows from CSV. */
  loads = 0;

  constructor(dir: string) {
    this.#dir = dir;
    // Files a crashed load left behind hold nothing committed.
    for (const f of safeList(dir)) rmSync(join(dir, f), { force: true });
  }

  /**
   * Inserts `rows` into the target in the transaction under way on `conn`; false (nothing
   * inserted) when a row is too long for DuckDB's reader, so that the caller appends instead.
   */
  async load(conn: DuckDBConnection, target: CsvLoadTarget, rows: readonly Row[]): Promise<boolean> {
    const columns = target.extra === undefined ? target.columns : [...target.columns, target.extra.column];
    const kinds = columns.map((c) => {
      const kind = csvTypeOf(c.type);
      if (kind === undefined)
        throw new StoreError('invalid-argument', `view store: no CSV form for type ${c.type.name}`);
      return kind;
    });
    mkdirSync(this.#dir, { recursive: true });
    const file = join(this.#dir, `load-${++this.#files}.csv`);
    try {
      if (!this.#write(file, rows, kinds, target)) return false;
      const read = columns.map((_, i) => `'c${i}': '${(kinds[i] as { read: string }).read}'`).join(', ');
      const names = [...columns, ...(target.constants ?? [])].map((c) => `"${c.name.replaceAll('"', '""')}"`);
      const values = [
        ...kinds.map((k, i) => k.select(`c${i}`)),
        ...(target.constants ?? []).map((c) => c.literal),
      ];
      await conn.run(
        `INSERT INTO ${target.table} (${names.join(', ')}) SELECT ${values.join(', ')} FROM read_csv($1, ` +
          `columns = {${read}}, header = false, auto_detect = false, delim = ',', quote = '"', ` +
          `escape = '"', nullstr = '\\N', allow_quoted_nulls = false)`,
        [file],
      );
      this.loads++;
      return true;
    } finally {
      rmSync(file, { force: true });
    }
  }

  /** Removes the directory of the loads. */
  close(): void {
    rmSync(this.#dir, { recursive: true, force: true });
  }

  #write(
    file: string,
    rows: readonly Row[],
    kinds: readonly { format: Format }[],
    target: CsvLoadTarget,
  ): boolean {
    const fd = openSync(file, 'w');
    try {
      const n = target.columns.length;
      const formats = kinds.map((k) => k.format);
      const extra = target.extra;
      // Each line is written into one reused buffer as it is made: about twice as fast as
      // gathering the text in a string and converting it at the end.
      const buffer = writeBuffer();
      let at = 0;
      for (let r = 0; r < rows.length; r++) {
        const row = rows[r] as Row;
        let line = '';
        for (let i = 0; i < n; i++) {
          const v = row[i] as Value;
          if (i > 0) line += ',';
          line += v === null ? '\\N' : (formats[i] as Format)(v);
        }
        if (extra !== undefined) {
          const v = extra.valueOf(r);
          line += v === null ? ',\\N' : `,${(formats[n] as Format)(v)}`;
        }
        if (line.length > MAX_LINE_CHARS) return false;
        line += '\n';
        // A UTF-16 unit is at most 3 bytes of UTF-8.
        if (at + line.length * 3 > buffer.length) {
          writeAll(fd, file, buffer, at);
          at = 0;
        }
        at += buffer.write(line, at);
      }
      writeAll(fd, file, buffer, at);
      return true;
    } finally {
      closeSync(fd);
    }
  }
}

let shared: Buffer | undefined;

/** The buffer lines are written into, made once: a line of MAX_LINE_CHARS fits. */
function writeBuffer(): Buffer {
  shared ??= Buffer.allocUnsafe(4 * MAX_LINE_CHARS);
  return shared;
}

/** Writes the first `length` bytes of `bytes`: a write may take only part (a full disk), which must not pass unseen. */
function writeAll(fd: number, file: string, bytes: Buffer, length: number): void {
  try {
    for (let at = 0; at < length; ) at += writeSync(fd, bytes, at, length - at);
  } catch (e) {
    throw ioError('view store', 'write', file, e);
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
