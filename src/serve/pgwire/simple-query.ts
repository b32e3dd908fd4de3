/**
 * The simple query protocol: one Query message, possibly several statements, each answered
 * with its rows and CommandComplete; EmptyQueryResponse when there is no statement; an error
 * stops the rest (what was sent stays sent). The caller sends ReadyForQuery.
 */
import { emptyQueryResponse, errorResponse } from './backend-messages.ts';
import { statusAfterError } from './command-tag.ts';
import { errorFields, hasSqlState, PgFatalError } from './errors.ts';
import { failureOf, type QueryContext } from './query-context.ts';
import { sendResult } from './results.ts';
import { ClientGone } from './transport.ts';

export async function simpleQuery(ctx: QueryContext, sql: string): Promise<void> {
  let statements = 0;
  try {
    for await (const result of ctx.session.simpleQuery(sql)) {
      statements++;
      await sendResult(ctx, result);
    }
    if (statements === 0) ctx.transport.queue(emptyQueryResponse());
  } catch (e) {
    if (e instanceof ClientGone || e instanceof PgFatalError) throw e;
    if (!hasSqlState(e)) ctx.unexpected(e);
    ctx.transport.queue(errorResponse(errorFields(failureOf(ctx, e))));
    ctx.status = statusAfterError(ctx.status);
  }
}
