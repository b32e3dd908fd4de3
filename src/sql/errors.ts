/**
 * Errors of the SQL front end. Every error carries a SQLSTATE and, when the fault
 * has a place, a PostgreSQL-style position: the 1-based character offset into the
 * query text that was handed to the parser (the whole script for a multi-statement
 * string, as PostgreSQL does). The stage that knows the fault raises it.
 */

/** SQLSTATE codes used by the SQL front end. */
export const SqlState = {
  syntaxError: '42601',
  featureNotSupported: '0A000',
  undefinedTable: '42P01',
  undefinedColumn: '42703',
  datatypeMismatch: '42804',
  undefinedFunction: '42883',
  duplicateObject: '42P07',
  divisionByZero: '22012',
  dependentObjectsStillExist: '2BP01',
  ambiguousColumn: '42702',
  invalidTextRepresentation: '22P02',
  groupingError: '42803',
  undefinedObject: '42704',
  invalidParameterValue: '22023',
  wrongObjectType: '42809',
  invalidCursorName: '34000',
  duplicateCursor: '42P03',
  queryCanceled: '57014',
  cantChangeRuntimeParam: '55P02',
  insufficientPrivilege: '42501',
  duplicateRole: '42710',
  objectInUse: '55006',
  invalidGrantOperation: '0LP01',
  reservedName: '42939',
  programLimitExceeded: '54000',
  statementTooComplex: '54001',
  outOfMemory: '53200',
} as const;
export type SqlStateCode = (typeof SqlState)[keyof typeof SqlState];

export interface LineColumn {
  readonly line: number;
  readonly column: number;
}

/** Line and column (both 1-based) of a 1-based position in `text`. */
export function lineColumn(text: string, position: number): LineColumn {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(position - 1, 0), text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/** "line L, column C" for a 1-based position in `text`. */
export function describePosition(text: string, position: number): string {
  const { line, column } = lineColumn(text, position);
  return `line ${line}, column ${column}`;
}

export class SqlError extends Error {
  override readonly name = 'SqlError';
  /** Five-character SQLSTATE. */
  readonly sqlstate: string;
  /** 1-based character offset into the query text, or undefined when not tied to a place. */
  readonly position: number | undefined;
  readonly detail: string | undefined;
  readonly hint: string | undefined;
  /** Where it happened, PostgreSQL's CONTEXT line (`COPY t, line 3, column a: "x"`). */
  readonly where: string | undefined;

  constructor(
    sqlstate: string,
    message: string,
    position?: number,
    extra?: { readonly detail?: string; readonly hint?: string; readonly where?: string },
  ) {
    super(message);
    this.sqlstate = sqlstate;
    this.position = position;
    this.detail = extra?.detail;
    this.hint = extra?.hint;
    this.where = extra?.where;
  }

  /** Line/column of this error's position in `text` (the text the position refers to). */
  lineColumn(text: string): LineColumn | undefined {
    return this.position === undefined ? undefined : lineColumn(text, this.position);
  }
}

export function isSqlError(e: unknown): e is SqlError {
  return e instanceof SqlError;
}

/** Where a fault is: the query text and a 0-based offset into it (as produced by the parser). */
export interface Place {
  readonly text: string;
  readonly offset: number;
}

function pos(place: Place | undefined): number | undefined {
  return place === undefined || place.offset < 0 ? undefined : place.offset + 1;
}

export function syntaxError(message: string, place?: Place): SqlError {
  return new SqlError(SqlState.syntaxError, message, pos(place));
}

/** 0A000: names the construct and where it is. */
export function notSupported(construct: string, place?: Place): SqlError {
  const p = pos(place);
  const where = place !== undefined && p !== undefined ? ` at ${describePosition(place.text, p)}` : '';
  return new SqlError(SqlState.featureNotSupported, `${construct} is not supported${where}`, p);
}

export function undefinedTable(name: string, place?: Place): SqlError {
  return new SqlError(SqlState.undefinedTable, `relation "${name}" does not exist`, pos(place));
}

export function undefinedColumn(name: string, place?: Place): SqlError {
  return new SqlError(SqlState.undefinedColumn, `column "${name}" does not exist`, pos(place));
}

export function ambiguousColumn(name: string, place?: Place): SqlError {
  return new SqlError(SqlState.ambiguousColumn, `column reference "${name}" is ambiguous`, pos(place));
}

export function datatypeMismatch(message: string, place?: Place): SqlError {
  return new SqlError(SqlState.datatypeMismatch, message, pos(place));
}

export function undefinedFunction(signature: string, place?: Place): SqlError {
  return new SqlError(SqlState.undefinedFunction, `function ${signature} does not exist`, pos(place), {
    hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
  });
}

export function undefinedOperator(signature: string, place?: Place): SqlError {
  return new SqlError(SqlState.undefinedFunction, `operator does not exist: ${signature}`, pos(place), {
    hint: 'No operator matches the given name and argument types. You might need to add explicit type casts.',
  });
}

/** Whether `e` is JavaScript's stack overflow (an expression nested past what recursion takes). */
export function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && /call stack/i.test(e.message);
}

/** 54001, as PostgreSQL says it when a statement nests past its stack. */
export function stackDepthExceeded(): SqlError {
  return new SqlError(SqlState.statementTooComplex, 'stack depth limit exceeded', undefined, {
    hint: 'The statement nests too deeply; write it with fewer nested terms.',
  });
}

export function duplicateObject(kind: string, name: string, place?: Place): SqlError {
  return new SqlError(SqlState.duplicateObject, `${kind} "${name}" already exists`, pos(place));
}

export function divisionByZero(): SqlError {
  return new SqlError(SqlState.divisionByZero, 'division by zero');
}

export function dependentObjects(name: string, dependents: readonly string[]): SqlError {
  return new SqlError(
    SqlState.dependentObjectsStillExist,
    `cannot drop ${name} because other objects depend on it`,
    undefined,
    {
      detail: dependents.map((d) => `${d} depends on ${name}`).join('\n'),
      hint: 'Use DROP ... CASCADE to drop the dependent objects too.',
    },
  );
}

export function invalidText(type: string, value: string, place?: Place): SqlError {
  return new SqlError(
    SqlState.invalidTextRepresentation,
    `invalid input syntax for type ${type}: "${value}"`,
    pos(place),
  );
}

export function groupingError(message: string, place?: Place): SqlError {
  return new SqlError(SqlState.groupingError, message, pos(place));
}

/**
 * An error of a statement that sits at `offset` in a longer text, its position moved to
 * that text's coordinates; anything else as it is.
 */
export function shiftedBy(e: unknown, offset: number): unknown {
  if (!(e instanceof SqlError) || e.position === undefined || offset === 0) return e;
  return new SqlError(e.sqlstate, e.message, e.position + offset, {
    detail: e.detail,
    hint: e.hint,
    where: e.where,
  });
}
