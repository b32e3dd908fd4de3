/** How `start` tells of logins, DDL and users and privileges: the audit line of each, and a user's password check. */
import type { User } from '../auth/access-catalog.ts';
import type { AuditEvent, TokenAudit } from '../auth/audit-source.ts';
import { parseScramSecret, type ScramSecret } from '../auth/scram-secret.ts';
import type { CredentialRefusal } from '../serve/credential-gate.ts';

const CREDENTIALS = { bearer: 'bearer token', 'api-key': 'API key' } as const;

/** A request refused for its credential on the HTTP port, as the audit trail records it. */
export function credentialAudit(r: CredentialRefusal): TokenAudit {
  const what = CREDENTIALS[r.scheme];
  return {
    kind: 'token',
    method: r.scheme,
    address: r.address,
    request: `${r.method} ${r.path}`,
    refused: r.missing
      ? { sqlstate: '28000', message: `no ${what}` }
      : { sqlstate: '28P01', message: `wrong ${what}` },
  };
}

/**
 * `login FAILED: user "alice" database "dev" from 127.0.0.1 (scram-sha-256): 28P01 "…"`,
 * `login FAILED: HTTP "GET /api/status" from 127.0.0.1 (bearer): 28P01 "…"` (or `(api-key)`),
 * `access: "GRANT SELECT ON v TO \"alice\"" by "root" from 127.0.0.1`, `ddl: …` likewise
 * (names and statements quoted as JSON: no line breaks slip in).
 */
export function auditLine(event: AuditEvent): string {
  if (event.kind === 'token')
    return `login FAILED: HTTP ${JSON.stringify(event.request)} from ${event.address} (${event.method}): ${event.refused.sqlstate} ${JSON.stringify(event.refused.message)}`;
  const refused = event.refused;
  if (event.kind === 'login') {
    const login = `user ${JSON.stringify(event.user)} database ${JSON.stringify(event.database)} from ${event.address} (${event.method})`;
    if (refused === undefined) return `login ok: ${login}`;
    return `login FAILED: ${login}: ${refused.sqlstate} ${JSON.stringify(refused.message)}`;
  }
  const what = JSON.stringify(event.statement);
  const who = `by ${JSON.stringify(event.user)} from ${event.address}`;
  if (refused === undefined) return `${event.kind}: ${what} ${who}`;
  return `${event.kind} REFUSED (${refused.sqlstate} ${JSON.stringify(refused.message)}): ${what} ${who}`;
}

/** What a user's password is checked against; undefined for a user without one (or none). */
export function scramSecretOf(user: User | undefined): ScramSecret | undefined {
  return user?.password == null ? undefined : parseScramSecret(user.password);
}
