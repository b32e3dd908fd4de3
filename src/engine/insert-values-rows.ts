/**
 * A bulk-load INSERT's literals (`sql/insert-values.ts`) made into a table's rows, each literal
 * converted as the INSERT's assignment to its column would. Pure: it needs only the table's
 * columns, so the thread that serves clients converts a statement with its copy of the catalog
 * and the engine's thread takes the rows when its own columns are the same (`tableShape`).
 */

import { type InsertLiteral, readInsertInto } from '../sql/insert-values.ts';
import { category, lookupType, type SqlType } from '../sql/types.ts';
import type { Row, Value } from '../stream/value.ts';
import { columnTypmod, fromText } from './eval/functions/casts.ts';

export interface TableColumn {
  readonly name: string;
  readonly type: SqlType;
}

/** A bulk INSERT converted where it arrived: its rows, for the table whose columns were `shape`. */
export interface ConvertedInsertValues {
  readonly table: string;
  readonly shape: string;
  readonly rows: readonly Row[];
  /** The statement (what the DML log keeps: read again, its rows are these). */
  readonly text: string;
}

/** A table's columns, names and types, as one string: equal strings convert literals alike. */
export function tableShape(columns: readonly TableColumn[]): string {
  return columns.map((c) => `${JSON.stringify(c.name)} ${typeShape(c.type)}`).join(', ');
}

function typeShape(t: SqlType): string {
  if (t.element !== undefined) return `${typeShape(t.element)}[]`;
  return t.typmod === undefined ? t.name : `${t.name}(${t.typmod.join(',')})`;
}

/**
 * Reads a bulk-load INSERT straight into rows, each literal converted as it is read, for the
 * table whose columns `columnsOf` gives; undefined when the statement needs the general path:
 * not of the bulk form, a table `columnsOf` does not know, a literal not converted here, a
 * wrong number of values, an unknown column, a value that fails to convert (the general path
 * reports it with its position).
 */
export function readInsertRows(
  sql: string,
  columnsOf: (table: string) => readonly TableColumn[] | undefined,
): { readonly table: string; readonly columns: readonly TableColumn[]; readonly rows: Row[] } | undefined {
  let table = '';
  let rows: RowsOfLiterals | undefined;
  let read: boolean;
  try {
    read = readInsertInto(sql, {
      begin(name, names) {
        const columns = columnsOf(name);
        if (columns === undefined) return false;
        table = name;
        rows = new RowsOfLiterals(columns);
        return rows.begin(names);
      },
      literal: (k, literal) => (rows as RowsOfLiterals).literal(k, literal),
      endRow: (count) => (rows as RowsOfLiterals).endRow(count),
    });
  } catch {
    return undefined; // a value that failed to convert
  }
  return read && rows !== undefined ? { table, columns: rows.columns, rows: rows.rows } : undefined;
}

/** A bulk INSERT's rows for a table, made literal by literal (a conversion may throw). */
class RowsOfLiterals {
  readonly columns: readonly TableColumn[];
  readonly rows: Row[] = [];
  #targets: readonly number[] = [];
  #converters: readonly LiteralConverter[] = [];
  #row: Value[];

  constructor(columns: readonly TableColumn[]) {
    this.columns = columns;
    this.#row = this.#emptyRow();
  }

  begin(names: readonly string[] | undefined): boolean {
    const columns = this.columns;
    const targets = (names ?? columns.map((c) => c.name)).map((name) =>
      columns.findIndex((c) => c.name === name),
    );
    if (targets.some((i) => i < 0) || new Set(targets).size !== targets.length) return false;
    this.#targets = targets;
    this.#converters = targets.map((i) => literalConverter((columns[i] as TableColumn).type));
    return true;
  }

  literal(k: number, literal: InsertLiteral): boolean {
    const v = this.#converters[k]?.(literal);
    if (v === undefined) return false;
    this.#row[this.#targets[k] as number] = v;
    return true;
  }

  endRow(count: number): boolean {
    if (count !== this.#targets.length) return false;
    this.rows.push(this.#row);
    this.#row = this.#emptyRow();
    return true;
  }

  #emptyRow(): Value[] {
    return new Array(this.columns.length).fill(null);
  }
}

/** A literal of a bulk INSERT as its column's value; undefined: not converted here. */
type LiteralConverter = (literal: InsertLiteral) => Value | undefined;

/**
 * The conversion of literals to a column's type that gives what the binder's assignment gives:
 * a string (optionally cast to the column's own type) through the type's input function, a
 * number into a numeric column likewise (but a decimal into an integer column, which rounds),
 * NULL, a boolean into a boolean column. Anything else is left to the general path.
 */
function literalConverter(type: SqlType): LiteralConverter {
  let input: ((v: Value) => Value) | undefined;
  try {
    const text = fromText(type);
    const typmod = columnTypmod(type);
    input = typmod === undefined ? text : (v) => typmod(text(v));
  } catch {
    input = undefined;
  }
  const numeric = category(type) === 'numeric';
  const integer = type.name === 'int2' || type.name === 'int4' || type.name === 'int8';
  return (literal) => {
    switch (literal.kind) {
      case 'null':
        return null;
      case 'boolean':
        return type.name === 'boolean' ? literal.value : undefined;
      case 'number':
        return numeric && (literal.integer || !integer) ? input?.(literal.text) : undefined;
      case 'string':
        if (literal.cast !== undefined && lookupType(literal.cast)?.name !== type.name) return undefined;
        return input?.(literal.value);
    }
  };
}
