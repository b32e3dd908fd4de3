/**
 * Errors of the protocol layer and how any error becomes the fields of an ErrorResponse.
 * A `PgFatalError` ends the connection (FATAL); a `SqlError` fails the current query only.
 */
import { isStackOverflow, SqlError, stackDepthExceeded } from '../../sql/errors.ts';

export const PgState = {
  protocolViolation: '08P01',
  invalidPassword: '28P01',
  invalidAuthorization: '28000',
  featureNotSupported: '0A000',
  queryCanceled: '57014',
  internalError: 'XX000',
  invalidBinaryRepresentation: '22P03',
  invalidTextRepresentation: '22P02',
  characterNotInRepertoire: '22021',
  numericValueOutOfRange: '22003',
  invalidParameterValue: '22023',
  undefinedPreparedStatement: '26000',
  duplicatePreparedStatement: '42P05',
  undefinedCursor: '34000',
  duplicateCursor: '42P03',
  objectNotInPrerequisiteState: '55000',
  datatypeMismatch: '42804',
  arraySubscriptError: '2202E',
  adminShutdown: '57P01',
  tooManyConnections: '53300',
  statementTooComplex: '54001',
} as const;

/** A fault after which the connection cannot go on: sent as FATAL, then the socket closes. */
export class PgFatalError extends Error {
  override readonly name = 'PgFatalError';
  readonly sqlstate: string;
  readonly detail: string | undefined;

  constructor(sqlstate: string, message: string, detail?: string) {
    super(message);
    this.sqlstate = sqlstate;
    this.detail = detail;
  }
}

export function protocolViolation(message: string, detail?: string): PgFatalError {
  return new PgFatalError(PgState.protocolViolation, message, detail);
}

export function queryCanceled(): SqlError {
  return new SqlError(PgState.queryCanceled, 'canceling statement due to user request');
}

export type Severity = 'ERROR' | 'FATAL' | 'NOTICE';

export interface ErrorFields {
  readonly severity: Severity;
  readonly code: string;
  readonly message: string;
  readonly detail?: string | undefined;
  readonly hint?: string | undefined;
  /** 1-based character offset into the query text. */
  readonly position?: number | undefined;
  /** The CONTEXT line: where it happened (`COPY t, line 3, column a: "x"`). */
  readonly where?: string | undefined;
}

const sqlstatePattern = /^[0-9A-Z]{5}$/;

function carriedSqlState(e: Error): string | undefined {
  const o = e as Error & { sqlstate?: unknown; code?: unknown };
  return [o.sqlstate, o.code].find((c): c is string => typeof c === 'string' && sqlstatePattern.test(c));
}

/** Whether `e` says what went wrong in SQLSTATE terms; anything else is a bug worth logging. */
export function hasSqlState(e: unknown): boolean {
  return (
    e instanceof SqlError ||
    e instanceof PgFatalError ||
    (e instanceof Error && carriedSqlState(e) !== undefined)
  );
}

/**
 * The ErrorResponse fields for anything thrown: SqlError and PgFatalError as they are, other
 * errors carrying a SQLSTATE in `sqlstate` or `code` (a backend's driver errors) likewise,
 * the rest as XX000 with their message.
 */
export function errorFields(e: unknown): ErrorFields {
  // An expression nested past the stack (a 5,000-term `1+1+…`) is a limit, as in PostgreSQL.
  if (isStackOverflow(e)) return errorFields(stackDepthExceeded());
  if (e instanceof PgFatalError)
    return { severity: 'FATAL', code: e.sqlstate, message: e.message, detail: e.detail };
  if (e instanceof SqlError)
    return {
      severity: 'ERROR',
      code: e.sqlstate,
      message: e.message,
      detail: e.detail,
      hint: e.hint,
      position: e.position,
      where: e.where,
    };
  if (e instanceof Error) {
    const o = e as Error & { detail?: unknown; hint?: unknown; where?: unknown };
    return {
      severity: 'ERROR',
      code: carriedSqlState(e) ?? PgState.internalError,
      message: e.message,
      detail: typeof o.detail === 'string' ? o.detail : undefined,
      hint: typeof o.hint === 'string' ? o.hint : undefined,
      where: typeof o.where === 'string' ? o.where : undefined,
    };
  }
  return { severity: 'ERROR', code: PgState.internalError, message: String(e) };
}
