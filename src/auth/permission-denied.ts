/** The 42501 refusals, in PostgreSQL's words. */
import { SqlError, SqlState } from '../sql/errors.ts';

/** `permission denied for table x` (or materialized view, source: the relation's kind). */
export function permissionDenied(kind: string, name: string): SqlError {
  return new SqlError(SqlState.insufficientPrivilege, `permission denied for ${kind} ${name}`);
}

/** `must be owner of table x`: what DROP of a relation says to a user who may not. */
export function mustBeOwner(kind: string, name: string): SqlError {
  return new SqlError(SqlState.insufficientPrivilege, `must be owner of ${kind} ${name}`);
}

/** `must be superuser to …`: statements only a superuser may run. */
export function mustBeSuperuser(what: string): SqlError {
  return new SqlError(SqlState.insufficientPrivilege, `must be superuser to ${what}`);
}
