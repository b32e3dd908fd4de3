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
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
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

/**
 * Rows a load writes between two turns of the event loop, on the thread that serves clients:
 * some 5 ms of work, so that a query waits no longer.
 */
const LOAD_YIELD_ROWS = 2048;

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

/**
 * Rows another thread wrote to a CSV file (`writeCsvFile`) in the order they came, so that they
 * need not be copied across: a delta's with its weight as one more column, a source's raw events
 * with their `rawBytes` summed. Whoever loads the file removes it.
 */
export interface SpooledRows {
  readonly spooled: string;
  readonly rows: number;
  readonly bytes: number;
  /**
   * Rows a relation with keys did not hold (`insertsNewRows`): each row's key (`rowIdentity`)
   * follows its values, before the weight.
   */
  readonly keyed?: boolean;
}

/**
 * A part of a source's raw events in a commit: rows, or a file of them. A commit holds a
 * source's parts in the order their rows came (an epoch written to a file as it came, rows a
 * file could not take, the epochs of a group one after the other).
 */
export type RawPart = readonly Row[] | SpooledRows;

/** Whether a relation's rows of a commit came as a file. */
export function isSpooled(rows: object): rows is SpooledRows {
  return 'spooled' in rows;
}

/** What a written file is loaded into: the table, the file's columns in order, and constants. */
export interface CsvFileTarget {
  /** The table, a quoted DuckDB name. */
  readonly table: string;
  /** The file's columns, in the order they were written. */
  readonly columns: readonly CsvColumn[];
  readonly constants?: readonly CsvConstant[];
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
    emptyDirectory(dir);
  }

  /**
   * Inserts `rows` into the target in the transaction under way on `conn`; false (nothing
   * inserted) when a row is too long for DuckDB's reader, so that the caller appends instead.
   */
  async load(conn: DuckDBConnection, target: CsvLoadTarget, rows: readonly Row[]): Promise<boolean> {
    const columns = target.extra === undefined ? target.columns : [...target.columns, target.extra.column];
    mkdirSync(this.#dir, { recursive: true });
    const file = join(this.#dir, `load-${++this.#files}.csv`);
    try {
      if (!(await writeCsvFile(file, rows, columns, LOAD_YIELD_ROWS, target.extra?.valueOf))) return false;
      await this.loadFile(conn, { table: target.table, columns, constants: target.constants }, file);
      return true;
    } finally {
      rmSync(file, { force: true });
    }
  }

  /** Inserts the rows of a file `writeCsvFile` wrote into the target, in the transaction under way on `conn`. */
  async loadFile(conn: DuckDBConnection, target: CsvFileTarget, file: string): Promise<void> {
    const kinds = kindsOf(target.columns);
    const names = [...target.columns, ...(target.constants ?? [])].map(
      (c) => `"${c.name.replaceAll('"', '""')}"`,
    );
    const values = [
      ...kinds.map((k, i) => k.select(`c${i}`)),
      ...(target.constants ?? []).map((c) => c.literal),
    ];
    await conn.run(
      `INSERT INTO ${target.table} (${names.join(', ')}) SELECT ${values.join(', ')} FROM ${readCsv(kinds)}`,
      [file],
    );
    this.loads++;
  }

  /** Removes the directory of the loads. */
  close(): void {
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/**
 * The rows of a file `writeCsvFile` wrote with `columns`, each value as DuckDB gives it back
 * cast to `duckType(column)`: for a caller that needs the rows themselves after all.
 */
export async function readCsvFile(
  conn: DuckDBConnection,
  columns: readonly CsvColumn[],
  file: string,
  duckType: (type: SqlType) => string,
): Promise<DuckDBValue[][]> {
  const kinds = kindsOf(columns);
  const values = kinds.map(
    (k, i) => `CAST(${k.select(`c${i}`)} AS ${duckType((columns[i] as CsvColumn).type)})`,
  );
  const result = await conn.runAndReadAll(`SELECT ${values.join(', ')} FROM ${readCsv(kinds)}`, [file]);
  return result.getRows();
}

function kindsOf(
  columns: readonly CsvColumn[],
): { format: Format; read: string; select: (c: string) => string }[] {
  return columns.map((c) => {
    const kind = csvTypeOf(c.type);
    if (kind === undefined)
      throw new StoreError('invalid-argument', `view store: no CSV form for type ${c.type.name}`);
    return kind;
  });
}

/** DuckDB's reader of a file of these columns, the file as the parameter $1. */
function readCsv(kinds: readonly { read: string }[]): string {
  const read = kinds.map((k, i) => `'c${i}': '${k.read}'`).join(', ');
  return (
    `read_csv($1, columns = {${read}}, header = false, auto_detect = false, delim = ',', quote = '"', ` +
    `escape = '"', nullstr = '\\N', allow_quoted_nulls = false)`
  );
}

/** Removes the files in `dir` (a directory that may not exist yet). */
export function emptyDirectory(dir: string): void {
  for (const f of safeList(dir)) rmSync(join(dir, f), { force: true });
}

/** Characters of text gathered before they are written. */
const CHUNK_CHARS = 65_536;

/** The write buffer when no write holds it (a write that yields keeps its own). */
let idleBuffer: Buffer | undefined;

/** A row's line (without its newline): its first `n` values in their formats, then `extra`'s. */
function csvLine(row: Row, formats: readonly Format[], n: number, extra?: Value): string {
  let line = '';
  for (let i = 0; i < n; i++) {
    const v = row[i] as Value;
    if (i > 0) line += ',';
    line += v === null ? '\\N' : (formats[i] as Format)(v);
  }
  if (extra !== undefined) line += extra === null ? ',\\N' : `,${(formats[n] as Format)(extra)}`;
  return line;
}

/**
 * Writes `rows` into `file` as CSV of `columns` (the last one's values from `extra`, when
 * given: a column from outside the rows), letting the event loop run every `yieldRows` rows;
 * false when a row is too long for DuckDB's reader (the file is then of no use).
 */
export async function writeCsvFile(
  file: string,
  rows: readonly Row[],
  columns: readonly CsvColumn[],
  yieldRows: number,
  extra?: (index: number) => Value,
): Promise<boolean> {
  const formats = kindsOf(columns).map((k) => k.format);
  const n = extra === undefined ? columns.length : columns.length - 1;
  // Lines are gathered in a string of some 64K characters, which is then written into a
  // buffer and the file: a fraction faster than writing each line into the buffer (a call per
  // line), and much faster than gathering the whole text in one string. A buffer in use by a
  // write that yielded is not shared.
  const buffer = idleBuffer ?? Buffer.allocUnsafe(4 * MAX_LINE_CHARS);
  idleBuffer = undefined;
  let fd: number;
  try {
    fd = openSync(file, 'w');
  } catch (e) {
    idleBuffer = buffer;
    throw ioError('view store', 'write', file, e);
  }
  try {
    let text = '';
    for (let r = 0; r < rows.length; r++) {
      if (r > 0 && r % yieldRows === 0) await new Promise((resolve) => setImmediate(resolve));
      const line = csvLine(rows[r] as Row, formats, n, extra?.(r));
      if (line.length > MAX_LINE_CHARS) return false;
      text += `${line}\n`;
      if (text.length >= CHUNK_CHARS) {
        // A UTF-16 unit is at most 3 bytes of UTF-8: CHUNK_CHARS and a longest line fit.
        writeAll(fd, file, buffer, buffer.write(text, 0));
        text = '';
      }
    }
    writeAll(fd, file, buffer, buffer.write(text, 0));
    return true;
  } finally {
    closeSync(fd);
    idleBuffer = buffer;
  }
}

/**
 * A file `writeCsvFile` would write, written a few rows at a time as they come (a source's raw
 * events as they are read): the rows need not be kept until the whole file is written.
 */
export class CsvFileWriter {
  readonly file: string;
  readonly #formats: readonly Format[];
  readonly #width: number;
  readonly #fd: number;
  #text = '';
  #closed = false;
  /** Rows written. */
  rows = 0;

  /** Creates `file` (throws a StoreError when it cannot). */
  constructor(file: string, columns: readonly CsvColumn[]) {
    this.#formats = kindsOf(columns).map((k) => k.format);
    this.#width = columns.length;
    try {
      this.#fd = openSync(file, 'w');
    } catch (e) {
      throw ioError('view store', 'write', file, e);
    }
    this.file = file;
  }

  /** Writes `row`'s line; false, and nothing written, when the row is too long for DuckDB's reader. */
  add(row: Row): boolean {
    const line = csvLine(row, this.#formats, this.#width);
    if (line.length > MAX_LINE_CHARS) return false;
    this.#text += `${line}\n`;
    this.rows++;
    if (this.#text.length >= CHUNK_CHARS) this.#write();
    return true;
  }

  #write(): void {
    const bytes = Buffer.from(this.#text, 'utf8');
    this.#text = '';
    writeAll(this.#fd, this.file, bytes, bytes.length);
  }

  /** Writes what is left and closes the file, which then holds every row added. */
  finish(): void {
    try {
      this.#write();
    } finally {
      this.#close();
    }
  }

  /** Closes (if still open) and removes the file. */
  discard(): void {
    this.#close();
    rmSync(this.file, { force: true });
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }
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
