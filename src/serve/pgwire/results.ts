/** Sending a statement's results: notices, RowDescription, DataRows and CommandComplete (or COPY data either way). */

import type { PgColumn, PgQueryResult } from './backend.ts';
import {
  commandComplete,
  dataRow,
  noticeResponse,
  parameterStatus,
  rowDescription,
} from './backend-messages.ts';
import { completionTag, statusAfter } from './command-tag.ts';
import { receiveCopyIn } from './copy-in.ts';
import { sendCopyOut } from './copy-out.ts';
import { queryCanceled } from './errors.ts';
import type { QueryContext } from './query-context.ts';
import { typeLength, typeOid } from './type-oids.ts';
import { encodeField, TEXT_FORMAT } from './value-codec.ts';

/** RowDescription of `columns` sent in `formats` (one code per column; missing ones are text). */
export function describeRows(columns: readonly PgColumn[], formats: readonly number[]): Buffer {
  return rowDescription(
    columns.map((c, i) => ({
      name: c.name,
      typeOid: typeOid(c.type),
      typeLength: typeLength(c.type),
      format: formats[i] ?? TEXT_FORMAT,
    })),
  );
}

/** What goes before a statement's rows: its notices and the parameters it changed. */
export function queueNotices(ctx: QueryContext, result: PgQueryResult): void {
  for (const notice of result.notices ?? []) ctx.transport.queue(noticeResponse(notice));
  for (const [name, value] of Object.entries(result.parameterStatus ?? {}))
    ctx.transport.queue(parameterStatus(name, value));
}

/** How often row sending looks for a cancel request. */
const CANCEL_CHECK_ROWS = 256;

/** DataRows for rows `from` up to (not including) `to` of `result`. Throws 57014 when canceled meanwhile. */
export async function sendRows(
  ctx: QueryContext,
  result: PgQueryResult,
  formats: readonly number[],
  from: number,
  to: number,
): Promise<void> {
  const columns = result.columns ?? [];
  const rows = result.rows ?? [];
  const t = ctx.transport;
  for (let i = from; i < to; i++) {
    if ((i - from) % CANCEL_CHECK_ROWS === 0 && ctx.canceled) throw queryCanceled();
    const row = rows[i] ?? [];
    t.queue(dataRow(columns.map((c, j) => encodeField(row[j] ?? null, c.type, formats[j] ?? TEXT_FORMAT))));
    if (t.shouldFlush) await t.flush();
  }
}

/** A whole result in text format (or as COPY data, out or in), as the simple protocol sends it. */
export async function sendResult(ctx: QueryContext, result: PgQueryResult): Promise<void> {
  if (result.copyOut !== undefined) return sendCopyOut(ctx, result);
  if (result.copyIn !== undefined) return receiveCopyIn(ctx, result);
  queueNotices(ctx, result);
  if (result.columns !== undefined) {
    ctx.transport.queue(describeRows(result.columns, []));
    await sendRows(ctx, result, [], 0, result.rows?.length ?? 0);
  }
  ctx.transport.queue(commandComplete(completionTag(result)));
  ctx.status = statusAfter(ctx.status, result.tag);
}
