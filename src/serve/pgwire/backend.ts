/**
 * What the PostgreSQL endpoint asks of the rest of tidewatch: sessions that run SQL and
 * return typed values. Nothing here knows about the wire protocol; the server turns these
 * results into messages, and `SqlError`s thrown by a session into ErrorResponses.
 */
import type { SqlType, Value } from '../../sql/types.ts';

export interface PgColumn {
  readonly name: string;
  readonly type: SqlType;
}

/**
 * How `COPY … TO STDOUT` writes rows, as PostgreSQL's COPY options say it. `format` text:
 * columns split by `delimiter` (default tab), NULL as `null` (default `\N`), backslash and
 * control characters escaped. csv: `delimiter` default `,`, `null` default empty, values
 * quoted with `"` when needed. `header`: the column names first.
 */
export interface PgCopyOut {
  readonly format: 'text' | 'csv';
  readonly header?: boolean;
  /** One ASCII character; newline, CR, and in text format `\`, `.`, a-z and 0-9 are refused (as PostgreSQL does). */
  readonly delimiter?: string;
  /** No newline, CR or delimiter in it, and in csv no `"`. */
  readonly null?: string;
}

/**
 * How `COPY … FROM STDIN` takes the client's data: the server announces it in CopyInResponse
 * and hands what the client sends to `receive`, as a stream of chunks.
 */
export interface PgCopyIn {
  /** CopyInResponse's format: textual (COPY text and csv) or binary, the same for every column. */
  readonly format: 'text' | 'binary';
  /** The number of columns the data holds (those of the statement's column list). */
  readonly columns: number;
  /**
   * Takes the data: `data` yields the bodies of the client's CopyData messages in order, cut
   * wherever the client cut them, and ends at CopyDone. It throws SqlError 57014 for a
   * CopyFail (`COPY from stdin failed: …`) or a CancelRequest (taken between messages), 08P01
   * for a message that has no place in copy mode (the connection then ends), and `ClientGone`
   * when the client disconnects; the session may add a CONTEXT (`where`) to those SqlErrors
   * and throw them on. Read it to its end before applying anything: a CopyFail may follow
   * data that reads well. Resolves with the number of rows copied (`COPY n`); a throw fails
   * the COPY at once (an ErrorResponse; the client's copy messages still to come are dropped).
   */
  receive(data: AsyncIterable<Buffer>): Promise<number>;
}

export interface PgQueryResult {
  /**
   * The command tag without counts (`SELECT`, `INSERT`, `CREATE_MATERIALIZED_VIEW`); the
   * server appends `rowCount` the way PostgreSQL does (`SELECT 3`, `INSERT 0 1`). The tags
   * `BEGIN` / `START TRANSACTION` and `COMMIT` / `ROLLBACK` drive the transaction status.
   */
  readonly tag: string;
  /** Rows affected or returned; for queries defaults to `rows.length`. */
  readonly rowCount?: number;
  /** Present when the statement returns rows (even none). */
  readonly columns?: readonly PgColumn[];
  readonly rows?: readonly (readonly Value[])[];
  /**
   * Run-time parameters the statement changed that clients track (`application_name`,
   * `TimeZone`…): sent as ParameterStatus before the command completes.
   */
  readonly parameterStatus?: Readonly<Record<string, string>>;
  /** Sent as NoticeResponses before the command completes. */
  readonly notices?: readonly string[];
  /**
   * `COPY … TO STDOUT`: `rows` (of `columns`) are sent as COPY data in this format instead of
   * RowDescription and DataRows, whole even under an Execute row limit, and the command
   * completes as `COPY n`, n the rows sent (`tag` and `rowCount` are not used). For such a
   * statement `describe` answers `columns: undefined` (NoData), as PostgreSQL does.
   */
  readonly copyOut?: PgCopyOut;
  /**
   * `COPY … FROM STDIN`: the server sends CopyInResponse, lets `copyIn` take the data, and
   * completes the command as `COPY n` (`tag`, `rowCount`, `columns` and `rows` are not used).
   * Describe answers NoData for it, as for COPY TO.
   */
  readonly copyIn?: PgCopyIn;
}

export interface PgStatementInfo {
  /** One type per parameter `$1…$n`, those the client left unspecified inferred. */
  readonly paramTypes: readonly SqlType[];
  /** The result columns; undefined when the statement returns no rows. */
  readonly columns: readonly PgColumn[] | undefined;
  /** The text holds no statement, only blanks and comments: Execute answers EmptyQueryResponse. */
  readonly empty?: boolean;
}

export interface PgStartup {
  readonly user: string;
  readonly database: string;
  /** The client's address, for the audit trail. */
  readonly address?: string;
  /** Every other startup parameter (`application_name`, `options`, `client_encoding`…). */
  readonly options: Readonly<Record<string, string>>;
}

export interface PgSession {
  /**
   * Simple protocol: the text may hold several statements; yields one result per statement,
   * in order, and nothing for a text with no statement (blanks, comments). Throws `SqlError`
   * (positions relative to the whole text); results yielded before stay sent.
   */
  simpleQuery(sql: string): AsyncIterable<PgQueryResult>;
  /**
   * Extended protocol, Parse: the parameter types and result columns of one statement. The
   * client's `paramTypes` may be shorter than the statement's parameters and may hold
   * undefined entries (OID 0): those the backend infers. The answer has one type per
   * parameter, declared ones kept. Several statements in the text: SqlError 42601. Throws
   * `SqlError`.
   */
  describe(sql: string, paramTypes: readonly (SqlType | undefined)[]): Promise<PgStatementInfo>;
  /**
   * Extended protocol, Execute: runs one statement that `describe` accepted, with its
   * parameters decoded to `paramTypes` (those `describe` returned). The columns must be
   * those `describe` announced. Throws `SqlError`.
   */
  execute(sql: string, params: readonly Value[], paramTypes: readonly SqlType[]): Promise<PgQueryResult>;
  /**
   * The columns of a cursor the session's SQL declared (`DECLARE c CURSOR FOR …`): such a
   * cursor is a portal too, which clients may Describe (psycopg does). Undefined: no such cursor.
   */
  cursorColumns?(name: string): readonly PgColumn[] | undefined;
  /** CancelRequest: interrupt what runs now, best effort (throw SqlError 57014 from it). */
  cancel(): void;
  /** The session's statement_timeout in milliseconds (0: none): a query running longer is canceled. */
  statementTimeoutMs?(): number;
  /** The client is gone (Terminate, disconnect, server shutdown). Called once. */
  close(): void;
}

export interface PgBackend {
  /** A session for an authenticated client; a thrown `SqlError` refuses it (FATAL). */
  open(startup: PgStartup): Promise<PgSession>;
}
