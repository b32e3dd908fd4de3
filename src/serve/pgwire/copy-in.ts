/**
 * `COPY … FROM STDIN`: copy-in mode as PostgreSQL 15 runs it (the protocol documentation and
 * copyfromparse.c's CopyGetData). CopyInResponse goes out; the client's CopyData messages go
 * to the session, which reads them as a stream of chunks, until CopyDone; Flush and Sync are
 * ignored (libpq sends them without noticing that the command was a COPY); CopyFail fails the
 * COPY with 57014 `COPY from stdin failed: <the client's message>`; any other message is a
 * protocol violation (08P01) after which the connection cannot go on. A CancelRequest fails
 * the COPY (57014) when the next message has been taken. The command completes as `COPY n`.
 *
 * A failure is thrown to the caller, which answers it as any statement's (ErrorResponse; the
 * rest of a simple Query discarded, or everything up to Sync in the extended protocol). The
 * copy messages the client sends after it are dropped by the connection, which ignores
 * CopyData, CopyDone and CopyFail outside copy mode, as PostgreSQL does.
 */
import { SqlError } from '../../sql/errors.ts';
import type { PgCopyIn, PgQueryResult } from './backend.ts';
import { commandComplete, copyInResponse, errorResponse, noticeResponse } from './backend-messages.ts';
import { errorFields, PgFatalError, PgState, queryCanceled } from './errors.ts';
import { FieldReader } from './field-reader.ts';
import type { QueryContext } from './query-context.ts';
import { ClientGone } from './transport.ts';

const COPY_DATA = 0x64;
const COPY_DONE = 0x63;
const COPY_FAIL = 0x66;
const FLUSH = 0x48;
const SYNC = 0x53;

/** The client's copy data: the bodies of its CopyData messages, up to CopyDone. */
class CopyInData implements AsyncIterable<Buffer> {
  readonly #ctx: QueryContext;
  #done = false;
  #violation: SqlError | undefined;

  constructor(ctx: QueryContext) {
    this.#ctx = ctx;
  }

  /** CopyDone has been read: the connection is out of copy mode. */
  get done(): boolean {
    return this.#done;
  }

  /** The error for a message that had no place in copy mode: the connection cannot go on. */
  get violation(): SqlError | undefined {
    return this.#violation;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      const chunk = await this.#next();
      if (chunk === undefined) return;
      yield chunk;
    }
  }

  /** Reads what is left up to CopyDone, throwing for CopyFail as reading it would. */
  async drain(): Promise<void> {
    while ((await this.#next()) !== undefined);
  }

  /** The next CopyData body; undefined at CopyDone (and ever after). */
  async #next(): Promise<Buffer | undefined> {
    const ctx = this.#ctx;
    while (!this.#done) {
      // A CancelRequest is acted on between messages, as PostgreSQL holds it while it reads one.
      if (ctx.canceled) throw queryCanceled();
      const frame = await ctx.transport.nextFrame();
      if (frame === undefined) throw new ClientGone();
      switch (frame.type) {
        case COPY_DATA:
          return frame.body;
        case COPY_DONE:
          this.#done = true;
          return undefined;
        case COPY_FAIL:
          throw new SqlError(
            PgState.queryCanceled,
            `COPY from stdin failed: ${new FieldReader(frame.body).cstring()}`,
          );
        case FLUSH:
        case SYNC:
          break;
        default: {
          const hex = frame.type.toString(16).toUpperCase().padStart(2, '0');
          this.#violation = new SqlError(
            PgState.protocolViolation,
            `unexpected message type 0x${hex} during COPY from stdin`,
          );
          throw this.#violation;
        }
      }
    }
    return undefined;
  }
}

/**
 * Runs a result that has `copyIn`: CopyInResponse, the data to the session, `COPY n`. Throws
 * what the session throws (SqlError, ClientGone, PgFatalError), sending nothing for it; but a
 * message out of place is answered here (its error, as the session passed it on) and the
 * connection ended (PgFatalError).
 */
export async function receiveCopyIn(ctx: QueryContext, result: PgQueryResult): Promise<void> {
  const copyIn = result.copyIn as PgCopyIn;
  const t = ctx.transport;
  for (const notice of result.notices ?? []) t.queue(noticeResponse(notice));
  t.queue(copyInResponse(copyIn.format === 'binary', copyIn.columns));
  await t.flush();
  const data = new CopyInData(ctx);
  let rows: number | undefined;
  let failure: unknown;
  try {
    rows = await copyIn.receive(data);
  } catch (e) {
    if (data.violation === undefined) throw e;
    failure = e;
  }
  if (data.violation !== undefined) {
    // PostgreSQL reports the message (as the session passes the error on, with its context),
    // then finds it cannot tell where the next message starts.
    t.queue(errorResponse(errorFields(failure instanceof SqlError ? failure : data.violation)));
    throw new PgFatalError(
      PgState.protocolViolation,
      'terminating connection because protocol synchronization was lost',
    );
  }
  // A session that stopped reading early: the rest of the copy is still the client's COPY.
  if (!data.done) await data.drain();
  t.queue(commandComplete(`COPY ${rows ?? 0}`));
}
