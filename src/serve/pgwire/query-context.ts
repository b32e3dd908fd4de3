/** What the handlers of one client's queries share: the transport, the backend session and the session's status. */

import type { PgSession } from './backend.ts';
import type { TransactionStatus } from './backend-messages.ts';
import type { Transport } from './transport.ts';

export interface QueryContext {
  readonly transport: Transport;
  readonly session: PgSession;
  /** Reported by every ReadyForQuery. */
  status: TransactionStatus;
  /** A CancelRequest arrived while the current query ran. */
  canceled: boolean;
  /** An error that is neither a SqlError nor a protocol fault: a bug somewhere, worth a log line. */
  readonly unexpected: (error: unknown) => void;
}
