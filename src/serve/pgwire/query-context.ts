/** What the handlers of one client's queries share: the transport, the backend session and the session's status. */

import { SqlError } from '../../sql/errors.ts';
import type { PgSession } from './backend.ts';
import type { TransactionStatus } from './backend-messages.ts';
import type { Transport } from './transport.ts';

export interface QueryContext {
  readonly transport: Transport;
  readonly session: PgSession;
  /** Reported by every ReadyForQuery. */
  status: TransactionStatus;
  /** A CancelRequest arrived while the current query ran (or its statement_timeout passed). */
  canceled: boolean;
  /** The current query ran past the session's statement_timeout and was canceled for it. */
  timedOut: boolean;
  /** An error that is neither a SqlError nor a protocol fault: a bug somewhere, worth a log line. */
  readonly unexpected: (error: unknown) => void;
}

/** The error to report for a query that failed with `e`: a cancel the timeout made says so. */
export function failureOf(ctx: QueryContext, e: unknown): unknown {
  if (ctx.timedOut && e instanceof SqlError && e.sqlstate === '57014')
    return new SqlError('57014', 'canceling statement due to statement timeout');
  return e;
}
