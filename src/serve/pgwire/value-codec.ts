/**
 * Values on the wire in either format: decoding Bind parameters (text through the SQL
 * literal parser, binary through `binary-values.ts`) and encoding DataRow fields (text as
 * PostgreSQL prints it, or binary), with the format-code rules of Bind.
 */

import { SqlError } from '../../sql/errors.ts';
import { parseLiteral } from '../../sql/literals.ts';
import { formatType, type SqlType, T, type Value } from '../../sql/types.ts';
import { formatValue } from '../../sql/value-text.ts';
import { type ArrayItem, splitArrayLiteral } from './array-literal.ts';
import { decodeBinary, encodeBinary } from './binary-values.ts';
import { PgState } from './errors.ts';
import { decodeUtf8 } from './field-reader.ts';

export const TEXT_FORMAT = 0;
export const BINARY_FORMAT = 1;

/**
 * Bind's format codes for `count` values: none means all text, one applies to all, otherwise
 * one each. Throws SqlError 08P01 for a wrong count, 22023 for a code other than 0 and 1.
 */
export function expandFormats(codes: readonly number[], count: number, what: string): number[] {
  for (const c of codes)
    if (c !== TEXT_FORMAT && c !== BINARY_FORMAT)
      throw new SqlError(PgState.invalidParameterValue, `unsupported format code: ${c}`);
  if (codes.length === 0) return new Array<number>(count).fill(TEXT_FORMAT);
  if (codes.length === 1) return new Array<number>(count).fill(codes[0] as number);
  if (codes.length !== count)
    throw new SqlError(
      PgState.protocolViolation,
      what === 'result'
        ? `bind message has ${codes.length} result formats but query has ${count} columns`
        : `bind message has ${codes.length} parameter formats but ${count} parameters`,
    );
  return [...codes];
}

function invalidText(type: SqlType, text: string): SqlError {
  return new SqlError(
    PgState.invalidTextRepresentation,
    `invalid input syntax for type ${formatType(type)}: "${text}"`,
  );
}

function arrayFromItems(
  items: readonly ArrayItem[],
  element: SqlType,
  whole: string,
  type: SqlType,
): Value[] {
  return items.map((item): Value => {
    if (item === null) return null;
    if (typeof item === 'string') {
      if (element.name === 'array') throw invalidText(type, whole);
      return parseText(item, element);
    }
    if (element.name !== 'array') throw invalidText(type, whole);
    return arrayFromItems(item, element.element ?? T.text, whole, type);
  });
}

/** A value of `type` from its text form, as PostgreSQL's input functions read it. */
export function parseText(text: string, type: SqlType): Value {
  if (type.name === 'array') {
    const items = splitArrayLiteral(text);
    if (items === undefined) throw invalidText(type, text);
    return arrayFromItems(items, type.element ?? T.text, text, type);
  }
  const v = parseLiteral(text, type);
  if (v === undefined) throw invalidText(type, text);
  // real values are held at single precision, as the engine's casts round them.
  return type.name === 'float4' ? Math.fround(v as number) : v;
}

/** Bind parameter `index` (0-based) of `type` in `format`. */
export function decodeParam(bytes: Buffer | null, type: SqlType, format: number, index: number): Value {
  if (bytes === null) return null;
  if (format === TEXT_FORMAT) return parseText(decodeUtf8(bytes), type);
  try {
    return decodeBinary(bytes, type);
  } catch (e) {
    if (e instanceof SqlError && e.sqlstate === PgState.invalidBinaryRepresentation)
      throw new SqlError(
        PgState.invalidBinaryRepresentation,
        `incorrect binary data format in bind parameter ${index + 1}`,
        undefined,
        { detail: e.message },
      );
    throw e;
  }
}

/** The text form of a value, as a text-format DataRow carries it: null for SQL NULL. */
export function textOf(v: Value, type: SqlType): string | null {
  if (v === null) return null;
  return formatValue(v, type) ?? '';
}

/** A DataRow field: null for SQL NULL. */
export function encodeField(v: Value, type: SqlType, format: number): Uint8Array | null {
  if (v === null) return null;
  if (format === BINARY_FORMAT) return encodeBinary(v, type);
  return Buffer.from(textOf(v, type) ?? '', 'utf8');
}
