/**
 * CommandComplete tags as PostgreSQL writes them (`SELECT 3`, `INSERT 0 1`, `UPDATE 2`, plain
 * `CREATE_TABLE`), and the transaction status ReadyForQuery reports, followed from the tags.
 */

import type { PgQueryResult } from './backend.ts';
import type { TransactionStatus } from './backend-messages.ts';

/** Tags PostgreSQL completes with a row count. */
const COUNTED = new Set(['SELECT', 'UPDATE', 'DELETE', 'MERGE', 'FETCH', 'MOVE', 'COPY']);

/** The tag for `result`; `rows` overrides the count (rows sent by one Execute of a suspended portal). */
export function completionTag(result: PgQueryResult, rows?: number): string {
  const tag = result.tag;
  const count = rows ?? result.rowCount ?? result.rows?.length ?? 0;
  const upper = tag.toUpperCase();
  if (upper === 'INSERT') return `${tag} 0 ${count}`;
  if (COUNTED.has(upper)) return `${tag} ${count}`;
  return tag;
}

const BEGINS = new Set(['BEGIN', 'START TRANSACTION', 'START_TRANSACTION']);
const ENDS = new Set(['COMMIT', 'ROLLBACK', 'END', 'ABORT']);

/** The status after a statement completed with `tag`. */
export function statusAfter(status: TransactionStatus, tag: string): TransactionStatus {
  const upper = tag.toUpperCase();
  if (ENDS.has(upper)) return 'I';
  if (BEGINS.has(upper) && status === 'I') return 'T';
  return status;
}

/** The status after a statement failed: a failed transaction block stays failed until it ends. */
export function statusAfterError(status: TransactionStatus): TransactionStatus {
  return status === 'I' ? 'I' : 'E';
}
