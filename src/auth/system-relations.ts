/**
 * Relations tidewatch keeps for itself are no client's to drop, superusers included (as
 * PostgreSQL refuses to drop a system catalog): above all the audit trail, `tidewatch_audit`,
 * which an intruder holding root's password must not be able to erase.
 */
import { SqlError, SqlState } from '../sql/errors.ts';
import { isSystemRelation } from '../sql/reserved-names.ts';
import type { Statement } from '../sql/statement.ts';

/** Throws 42501 for a statement that would drop a system relation. */
export function refuseSystemChange(s: Statement): void {
  if (s.kind !== 'Drop') return;
  const system = s.names.find(isSystemRelation);
  if (system !== undefined)
    throw new SqlError(
      SqlState.insufficientPrivilege,
      `permission denied: "${system}" is a system ${s.objectKind} of tidewatch`,
    );
}
