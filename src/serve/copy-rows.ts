/**
 * COPY FROM's fields made into typed rows of a table, as PostgreSQL 15's NextCopyFrom makes
 * them: the fields of a line go to the columns copied, in order, each through its type's
 * input function (text: the engine's text casts, eval/functions/casts.ts; binary: the wire
 * protocol's binary receive functions); the columns not copied are NULL. One converter per
 * column is chosen once; the loop over a line's fields calls them and allocates the row.
 *
 * Errors are PostgreSQL's, with its CONTEXT: "extra data after last expected column" (before
 * any field is converted), a field's conversion error with `COPY t, line 3, column a: "x"`,
 * then "missing data for column "c"" when the line ends early (22P04, `COPY t, line 3: "…"`).
 */
import { isUtf8 } from 'node:buffer';
import { columnTypmod, fromText } from '../engine/eval/functions/casts.ts';
import { SqlError } from '../sql/errors.ts';
import type { SqlType, Value } from '../sql/types.ts';
import type { Row } from '../stream/value.ts';
import {
  BAD_COPY_FILE_FORMAT,
  type CopyLineSink,
  type CopyPosition,
  invalidUtf8,
  invalidUtf8At,
  limitPrintout,
  lineContext,
} from './copy-decode.ts';
import { type ArrayItem, splitArrayLiteral } from './pgwire/array-literal.ts';
import { decodeBinary } from './pgwire/binary-values.ts';

export interface CopyColumn {
  readonly name: string;
  readonly type: SqlType;
}

/** Where the rows go: a table's columns and which of them the data's fields fill. */
export interface CopyTarget {
  /** The table's name, as errors show it. */
  readonly relation: string;
  /** The table's columns, in order: a row has one value each. */
  readonly columns: readonly CopyColumn[];
  /** The column (index in `columns`) of each field of a line, in order. */
  readonly fields: readonly number[];
}

type Convert<F> = (field: F) => Value;

/** A text field's value: a string, or NULL (the NULL string). */
export type TextField = string | null;

function malformedArray(text: string): SqlError {
  return new SqlError('22P02', `malformed array literal: "${text}"`);
}

/** An array's text (`{1,2,NULL}`) read with its elements' input function. */
function arrayInput(type: SqlType): Convert<string> {
  const element = type.element ?? { name: 'text' };
  const convert = element.name === 'array' ? undefined : textInput(element);
  const items = (list: readonly ArrayItem[], text: string): Value[] =>
    list.map((item): Value => {
      if (item === null) return null;
      if (typeof item !== 'string') return items(item, text);
      if (convert === undefined) throw malformedArray(text);
      return convert(item);
    });
  return (text) => {
    const list = splitArrayLiteral(text);
    if (list === undefined) throw malformedArray(text);
    return items(list, text);
  };
}

/** The input function of `type` for text; undefined when the text is the value (text, varchar). */
export function textInput(type: SqlType): Convert<string> | undefined {
  if (type.name === 'text' || type.name === 'varchar' || type.name === 'unknown') return undefined;
  if (type.name === 'array') return arrayInput(type);
  return fromText(type) as Convert<string>;
}

/** Sizes of the types whose binary form has one; PostgreSQL's receive functions read that many bytes. */
const FIXED_SIZE: Partial<Record<SqlType['name'], number>> = {
  boolean: 1,
  int2: 2,
  int4: 4,
  int8: 8,
  float4: 4,
  float8: 8,
  date: 4,
  time: 8,
  timestamp: 8,
  timestamptz: 8,
  interval: 16,
};

/**
 * The binary receive function of `type`. A value of a fixed-size type that is too short
 * runs out of data (08P01), one too long leaves bytes unread (22P03), as in PostgreSQL.
 */
export function binaryInput(type: SqlType): Convert<Buffer> {
  const size = FIXED_SIZE[type.name];
  if (type.name === 'text' || type.name === 'varchar' || type.name === 'unknown')
    // Text must be UTF-8 without NUL, and PostgreSQL says which bytes are not.
    return (bytes) => {
      if (!isUtf8(bytes) || bytes.indexOf(0) >= 0) throw invalidUtf8(bytes, invalidUtf8At(bytes));
      return bytes.toString('utf8');
    };
  if (size === undefined) return (bytes) => decodeBinary(bytes, type);
  return (bytes) => {
    if (bytes.length < size) throw new SqlError('08P01', 'insufficient data left in message');
    if (bytes.length > size) throw new SqlError('22P03', 'incorrect binary data format');
    return decodeBinary(bytes, type);
  };
}

function withContext(e: unknown, where: string): unknown {
  if (!(e instanceof SqlError)) return e;
  return new SqlError(e.sqlstate, e.message, undefined, { detail: e.detail, hint: e.hint, where });
}

/**
 * Collects the rows of a COPY from the lines a decoder reads. `F` is the field type: strings
 * for text and CSV, bytes for binary.
 */
abstract class CopyRowsBase<F> {
  readonly rows: Row[] = [];
  protected readonly target: CopyTarget;
  /** One converter per field; undefined where the field is the value. */
  readonly #convert: readonly (Convert<F> | undefined)[];
  readonly #columnOf: readonly number[];
  /** A row of NULLs, copied for each line. */
  readonly #empty: Value[];

  constructor(target: CopyTarget, convert: (type: SqlType) => Convert<F> | undefined) {
    this.target = target;
    this.#columnOf = target.fields;
    this.#convert = target.fields.map((c) => {
      const type = (target.columns[c] as CopyColumn).type;
      const input = convert(type);
      const typmod = columnTypmod(type);
      if (typmod === undefined || input === undefined) return input;
      return (field: F) => typmod(input(field));
    });
    this.#empty = target.columns.map(() => null);
  }

  /** The CONTEXT of a field's conversion error. */
  protected abstract fieldContext(at: CopyPosition, column: string, field: F): string;

  /** The field as the line gives it, before conversion (CSV's FORCE options apply here). */
  protected field(fields: readonly (F | null)[], k: number): F | null {
    return fields[k] ?? null;
  }

  line(fields: readonly (F | null)[], count: number, at: CopyPosition): void {
    const n = this.#columnOf.length;
    // A table of no columns takes empty lines only.
    if ((count > n && n > 0) || (n === 0 && (at.lineText() ?? '') !== ''))
      throw this.lineError('extra data after last expected column', at);
    const row = this.#empty.slice();
    const convert = this.#convert;
    const columnOf = this.#columnOf;
    const m = Math.min(count, n);
    let k = 0;
    try {
      for (; k < m; k++) {
        const v = this.field(fields, k);
        if (v === null) continue;
        const f = convert[k];
        row[columnOf[k] as number] = f === undefined ? (v as Value) : f(v);
      }
    } catch (e) {
      const column = (this.target.columns[columnOf[k] as number] as CopyColumn).name;
      throw withContext(e, this.fieldContext(at, column, this.field(fields, k) as F));
    }
    if (count < n) {
      const missing = this.target.columns[columnOf[count] as number] as CopyColumn;
      throw this.lineError(`missing data for column "${missing.name}"`, at);
    }
    this.rows.push(row);
  }

  protected lineError(message: string, at: CopyPosition): SqlError {
    return new SqlError(BAD_COPY_FILE_FORMAT, message, undefined, {
      where: lineContext(this.target.relation, at),
    });
  }
}

export interface CopyTextOptions {
  readonly csv: boolean;
  /** The NULL string (shown by HEADER MATCH errors, and what FORCE_NOT_NULL reads NULL as). */
  readonly null: string;
  /** CSV: per field of a line, whether FORCE_NOT_NULL / FORCE_NULL apply to it. */
  readonly forceNotNull?: readonly boolean[];
  readonly forceNull?: readonly boolean[];
}

/** Rows from text or CSV lines (copy-decode.ts). */
export class CopyTextRows extends CopyRowsBase<string> implements CopyLineSink {
  readonly #null: string;
  readonly #forceNotNull: readonly boolean[] | undefined;
  readonly #forceNull: readonly boolean[] | undefined;

  constructor(target: CopyTarget, options: CopyTextOptions) {
    super(target, textInput);
    this.#null = options.null;
    const any = (flags: readonly boolean[] | undefined) =>
      options.csv && flags?.some((f) => f) === true ? flags : undefined;
    this.#forceNotNull = any(options.forceNotNull);
    this.#forceNull = any(options.forceNull);
  }

  protected override field(fields: readonly TextField[], k: number): TextField {
    const v = fields[k] ?? null;
    if (this.#forceNotNull?.[k] === true && v === null) return this.#null;
    if (this.#forceNull?.[k] === true && v === this.#null) return null;
    return v;
  }

  protected fieldContext(at: CopyPosition, column: string, field: string | null): string {
    return field === null
      ? `COPY ${this.target.relation}, line ${at.lineNumber}, column ${column}: null input`
      : `COPY ${this.target.relation}, line ${at.lineNumber}, column ${column}: "${limitPrintout(field)}"`;
  }

  /** HEADER MATCH: the header's fields must name the columns copied, in order. */
  header(fields: readonly TextField[], count: number, at: CopyPosition): void {
    const names = this.target.fields.map((c) => (this.target.columns[c] as CopyColumn).name);
    if (count !== names.length)
      throw this.lineError(
        `wrong number of fields in header line: got ${count}, expected ${names.length}`,
        at,
      );
    names.forEach((name, k) => {
      const got = fields[k] ?? null;
      if (got === null)
        throw this.lineError(
          `column name mismatch in header line field ${k + 1}: got null value ("${this.#null}"), expected "${name}"`,
          at,
        );
      if (got !== name)
        throw this.lineError(
          `column name mismatch in header line field ${k + 1}: got "${got}", expected "${name}"`,
          at,
        );
    });
  }
}

/** Rows from binary tuples (copy-binary.ts). */
export class CopyBinaryRows extends CopyRowsBase<Buffer> {
  constructor(target: CopyTarget) {
    super(target, binaryInput);
  }

  protected fieldContext(at: CopyPosition, column: string): string {
    return `COPY ${this.target.relation}, line ${at.lineNumber}, column ${column}`;
  }
}
