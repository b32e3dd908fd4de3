/**
 * The audit trail: each event a line on stderr and a record of the `tidewatch_audit` source,
 * appended to its durable log (so it is read into the engine exactly once, also after a crash).
 * Logins without a password (trusted loopback) are recorded in the source but not printed.
 * The line is printed where the event happens, before its statement is answered; the record
 * goes to the engine's thread, whose log input appends it (`appendAuditRecord`).
 */
import { type AuditEvent, auditRecord, auditRow } from '../auth/audit-source.ts';
import { type LogInput, SourceDropped } from '../connectors/log-input.ts';
import { auditLine } from './access-audit.ts';

/** An audit record: its JSON line for the log, and its row. */
export interface AuditEntry {
  readonly line: string;
  readonly row: Record<string, unknown>;
}

export class AuditTrail {
  readonly #append: (entry: AuditEntry) => void;
  readonly #print: (line: string) => void;

  /** `append`: takes each event's record to the audit source's log. */
  constructor(append: (entry: AuditEntry) => void, print: (line: string) => void) {
    this.#append = append;
    this.#print = print;
  }

  record(event: AuditEvent): void {
    if (!(event.kind === 'login' && event.method === 'trust')) this.#print(auditLine(event));
    const at = Date.now();
    const record = auditRecord(event, at);
    this.#append({ line: JSON.stringify(record), row: auditRow(record, at) });
  }
}

/** Appends an audit record to the audit source's log input (none: the source is not there). */
export function appendAuditRecord(input: LogInput | undefined, entry: AuditEntry): void {
  if (input === undefined) return;
  try {
    // The trail does not wait for its reader: logins are few (and throttled), DDL fewer.
    void input.append([entry.line], [entry.row])?.catch(() => undefined);
  } catch (e) {
    if (!(e instanceof SourceDropped)) throw e;
  }
}
