/**
 * The audit trail: each event a line on stderr and a record of the `tidewatch_audit` source,
 * appended to its durable log (so it is read into the engine exactly once, also after a crash).
 * Logins without a password (trusted loopback) are recorded in the source but not printed.
 */
import { type AuditEvent, auditRecord, auditRow } from '../auth/audit-source.ts';
import { type LogInput, SourceDropped } from '../connectors/log-input.ts';
import { auditLine } from './access-audit.ts';

export class AuditTrail {
  readonly #input: LogInput | undefined;
  readonly #print: (line: string) => void;

  /** `input`: the audit source's log input (undefined: lines only). */
  constructor(input: LogInput | undefined, print: (line: string) => void) {
    this.#input = input;
    this.#print = print;
  }

  record(event: AuditEvent): void {
    if (!(event.kind === 'login' && event.method === 'trust')) this.#print(auditLine(event));
    if (this.#input === undefined) return;
    const at = Date.now();
    const record = auditRecord(event, at);
    try {
      // The trail does not wait for its reader: logins are few (and throttled), DDL fewer.
      void this.#input.append([JSON.stringify(record)], [auditRow(record, at)])?.catch(() => undefined);
    } catch (e) {
      if (!(e instanceof SourceDropped)) throw e;
    }
  }
}
