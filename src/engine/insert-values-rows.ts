/**
 * A bulk-load INSERT's literals (`sql/insert-values.ts`) made into a table's rows, each literal
 * converted as the INSERT's assignment to its column would. Pure: it needs only the table's
 * columns, so the thread that serves clients converts a statement with its copy of the catalog
 * and the engine's thread takes the rows when its own columns are the same (`tableShape`).
 */

import type { InsertLiteral, InsertValues } from '../sql/insert-values.ts';
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
 * The rows of a bulk-load INSERT into a table of these columns; undefined when the statement
 * needs the general path: a literal not converted here, a wrong number of values, an unknown
 * column, a value that fails to convert (the general path reports it with its position).
 */
export function insertValuesRows(bulk: InsertValues, columns: readonly TableColumn[]): Row[] | undefined {
  const targets = (bulk.columns ?? columns.map((c) => c.name)).map((name) =>
    columns.findIndex((c) => c.name === name),
  );
  if (targets.some((i) => i < 0) || new Set(targets).size !== targets.length) return undefined;
  const converters = targets.map((i) => literalConverter((columns[i] as TableColumn).type));
  const width = columns.length;
  const rows: Row[] = new Array(bulk.rows.length);
  try {
    for (let r = 0; r < bulk.rows.length; r++) {
      const literals = bulk.rows[r] as readonly InsertLiteral[];
      if (literals.length !== targets.length) return undefined;
      const row: Value[] = new Array(width).fill(null);
      for (let k = 0; k < literals.length; k++) {
        const v = (converters[k] as LiteralConverter)(literals[k] as InsertLiteral);
        if (v === undefined) return undefined;
        row[targets[k] as number] = v;
      }
      rows[r] = row;
    }
  } catch {
    return undefined;
  }
  return rows;
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
