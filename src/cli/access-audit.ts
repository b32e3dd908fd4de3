/** How `start` tells of users and privileges: the audit line of a change, and a user's password check. */
import type { User } from '../auth/access-catalog.ts';
import { parseScramSecret, type ScramSecret } from '../auth/scram-secret.ts';
import type { AccessChangeEvent } from '../serve/pg-backend.ts';

/** `GRANT SELECT ON v TO "alice" by "root" from 127.0.0.1` (names quoted as JSON: no line breaks slip in). */
export function accessAuditLine(change: AccessChangeEvent): string {
  const what = JSON.stringify(change.statement);
  const who = `by ${JSON.stringify(change.user)} from ${change.address}`;
  if (change.refused === undefined) return `access: ${what} ${who}`;
  return `access REFUSED (${change.refused.sqlstate} ${JSON.stringify(change.refused.message)}): ${what} ${who}`;
}

/** What a user's password is checked against; undefined for a user without one (or none). */
export function scramSecretOf(user: User | undefined): ScramSecret | undefined {
  return user?.password == null ? undefined : parseScramSecret(user.password);
}
