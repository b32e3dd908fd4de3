/**
 * `tidewatch_audit`: tidewatch's own audit trail as a source that views can read — every login
 * to the PostgreSQL endpoint (user, client address, method, success or failure), every request
 * the HTTP API refused for its bearer token and every one the decisions API refused for its key
 * (failed logins of method `bearer` and `api-key`), every DDL
 * statement and every change of users and privileges a client ran or had refused, with its
 * event time. It is a system source: created at start, fed by tidewatch alone (no client may
 * post into it, drop it or alter it), readable by superusers and whoever they grant it to.
 */

import { AUDIT_SOURCE } from '../sql/reserved-names.ts';
import type { Token } from '../sql/tokens.ts';

export { AUDIT_SOURCE };

/** Event time may lag this much behind the newest event before an event is late. */
const WATERMARK_DELAY = "INTERVAL '5 SECONDS'";

/** Its definition, applied at every start before the pipelines (a no-op once it exists). */
export const AUDIT_SOURCE_DDL = `CREATE SOURCE IF NOT EXISTS ${AUDIT_SOURCE} (
    event_time TIMESTAMP,
    kind VARCHAR,
    user_name VARCHAR,
    client_address VARCHAR,
    method VARCHAR,
    database_name VARCHAR,
    success BOOLEAN,
    statement VARCHAR,
    sqlstate VARCHAR,
    message VARCHAR,
    WATERMARK FOR event_time AS event_time - ${WATERMARK_DELAY}
) FORMAT PLAIN ENCODE JSON`;

/** Why something was refused: its SQLSTATE and message. */
export interface Refusal {
  readonly sqlstate: string;
  readonly message: string;
}

/** A login attempt that reached its password check (or trust), and how it ended. */
export interface LoginAudit {
  readonly kind: 'login';
  readonly user: string;
  readonly address: string;
  /** trust, scram-sha-256 or md5. */
  readonly method: string;
  readonly database: string;
  /** Undefined when the session was opened. */
  readonly refused?: Refusal;
}

/** A statement a client ran or had refused: DDL, or a change of users and privileges. */
export interface StatementAudit {
  readonly kind: 'ddl' | 'access';
  readonly user: string;
  readonly address: string;
  /** What it does, without passwords or connector options (describeDdl, describeAccessStatement). */
  readonly statement: string;
  readonly refused?: Refusal;
}

/**
 * A request on the HTTP port refused for its credential — the HTTP API's bearer token, or a
 * decisions API's bouncer key — missing (28000) or wrong (28P01).
 */
export interface TokenAudit {
  readonly kind: 'token';
  /** `bearer` or `api-key`. */
  readonly method: string;
  readonly address: string;
  /** `GET /api/status`: the method and path, without the query string. */
  readonly request: string;
  readonly refused: Refusal;
}

export type AuditEvent = LoginAudit | StatementAudit | TokenAudit;

/** The event as the source's JSON record, as it is logged (event time ISO 8601, UTC). */
export function auditRecord(event: AuditEvent, atMs: number): Record<string, unknown> {
  if (event.kind === 'token')
    return {
      event_time: new Date(atMs).toISOString(),
      kind: 'login',
      user_name: null,
      client_address: event.address,
      method: event.method,
      database_name: null,
      success: false,
      statement: event.request,
      sqlstate: event.refused.sqlstate,
      message: event.refused.message,
    };
  return {
    event_time: new Date(atMs).toISOString(),
    kind: event.kind,
    user_name: event.user,
    client_address: event.address,
    method: event.kind === 'login' ? event.method : null,
    database_name: event.kind === 'login' ? event.database : null,
    success: event.refused === undefined,
    statement: event.kind === 'login' ? null : event.statement,
    sqlstate: event.refused?.sqlstate ?? null,
    message: event.refused?.message ?? null,
  };
}

/** The record as the engine takes it: event time in microseconds. */
export function auditRow(record: Record<string, unknown>, atMs: number): Record<string, unknown> {
  return { ...record, event_time: atMs * 1000 };
}

/** The words before an object's name in a DDL statement. */
const OBJECT_WORDS: ReadonlySet<string> = new Set([
  'CREATE',
  'DROP',
  'ALTER',
  'OR',
  'REPLACE',
  'TEMP',
  'TEMPORARY',
  'MATERIALIZED',
  'VIEW',
  'TABLE',
  'SOURCE',
  'SINK',
  'INDEX',
  'SUBSCRIPTION',
  'FUNCTION',
  'SCHEMA',
  'DATABASE',
  'SECRET',
  'CONNECTION',
  'APPEND',
  'ONLY',
  'IF',
  'NOT',
  'EXISTS',
]);

/** Statement words that define, change or drop a catalog object. */
const DDL_WORDS: ReadonlySet<string> = new Set(['CREATE', 'DROP', 'ALTER']);

/** Whether a statement's tokens make it DDL (CREATE, DROP, ALTER other than ALTER SYSTEM). */
export function isDdl(tokens: readonly Token[]): boolean {
  const first = tokens[0]?.upper ?? '';
  return DDL_WORDS.has(first) && !(first === 'ALTER' && tokens[1]?.upper === 'SYSTEM');
}

/**
 * A DDL statement as the audit trail tells it: its keywords up to the object's name
 * (`CREATE MATERIALIZED VIEW IF NOT EXISTS failed_logins`), so that no option — a sink's
 * password, a connector's credentials — reaches the trail; and the new owner of an
 * `ALTER … OWNER TO`.
 */
export function describeDdl(tokens: readonly Token[]): string {
  const words: string[] = [];
  let i = 0;
  for (; i < tokens.length && OBJECT_WORDS.has((tokens[i] as Token).upper); i++)
    words.push((tokens[i] as Token).upper);
  const named = (t: Token | undefined) => t !== undefined && (t.kind === 'ident' || t.kind === 'keyword');
  if (!named(tokens[i])) return words.join(' ');
  let name = (tokens[i] as Token).text;
  while (tokens[i + 1]?.text === '.' && named(tokens[i + 2])) {
    name += `.${(tokens[i + 2] as Token).text}`;
    i += 2;
  }
  const newOwner = tokens[i + 3];
  if (tokens[i + 1]?.upper === 'OWNER' && tokens[i + 2]?.upper === 'TO' && named(newOwner))
    return [...words, name, 'OWNER TO', (newOwner as Token).text].join(' ');
  return [...words, name].join(' ');
}
