/**
 * Run-time errors of expression evaluation, each with PostgreSQL's SQLSTATE and message.
 * They are thrown per row; the operator that evaluates counts the row and skips it.
 */
import { SqlError } from '../../sql/errors.ts';

export const EvalState = {
  divisionByZero: '22012',
  numericOutOfRange: '22003',
  invalidText: '22P02',
  invalidDatetimeFormat: '22007',
  datetimeFieldOverflow: '22008',
  invalidRegex: '2201B',
  invalidParameter: '22023',
  invalidEscape: '22025',
  substringError: '22011',
  invalidArgumentForLog: '2201E',
  invalidArgumentForPower: '2201F',
  featureNotSupported: '0A000',
  invalidBinary: '22P03',
} as const;

export function divisionByZero(): SqlError {
  return new SqlError(EvalState.divisionByZero, 'division by zero');
}

/** `integer out of range`, `smallint out of range`, `bigint out of range`, … */
export function outOfRange(what: string): SqlError {
  return new SqlError(EvalState.numericOutOfRange, `${what} out of range`);
}

export function floatOverflow(): SqlError {
  return new SqlError(EvalState.numericOutOfRange, 'value out of range: overflow');
}

export function floatUnderflow(): SqlError {
  return new SqlError(EvalState.numericOutOfRange, 'value out of range: underflow');
}

export function invalidInput(type: string, text: string): SqlError {
  return new SqlError(EvalState.invalidText, `invalid input syntax for type ${type}: "${text}"`);
}

export function invalidDatetime(type: string, text: string): SqlError {
  return new SqlError(EvalState.invalidDatetimeFormat, `invalid input syntax for type ${type}: "${text}"`);
}

export function datetimeOverflow(text: string): SqlError {
  return new SqlError(EvalState.datetimeFieldOverflow, `date/time field value out of range: "${text}"`);
}

export function timestampOutOfRange(): SqlError {
  return new SqlError(EvalState.datetimeFieldOverflow, 'timestamp out of range');
}

export function invalidRegex(message: string): SqlError {
  return new SqlError(EvalState.invalidRegex, `invalid regular expression: ${message}`);
}

export function invalidParameter(message: string): SqlError {
  return new SqlError(EvalState.invalidParameter, message);
}

export function notSupported(message: string): SqlError {
  return new SqlError(EvalState.featureNotSupported, message);
}

export function evalError(sqlstate: string, message: string): SqlError {
  return new SqlError(sqlstate, message);
}
