/**
 * `COPY … TO STDOUT`: a result's rows as COPY data, byte for byte what PostgreSQL 15 writes
 * (copyto.c): CopyOutResponse, one CopyData per line (the header, then each row), CopyDone,
 * CommandComplete `COPY n`. Text format escapes backslash, control characters and the
 * delimiter; CSV quotes what would otherwise read back differently.
 */
import { SqlError } from '../../sql/errors.ts';
import type { PgCopyOut, PgQueryResult } from './backend.ts';
import { commandComplete, copyData, copyDone, copyOutResponse, noticeResponse } from './backend-messages.ts';
import { PgState, queryCanceled } from './errors.ts';
import type { QueryContext } from './query-context.ts';
import { textOf } from './value-codec.ts';

/** Options with PostgreSQL's defaults filled in, checked. */
export interface CopyLayout {
  readonly csv: boolean;
  readonly header: boolean;
  readonly delimiter: string;
  readonly null: string;
}

/** Delimiters the text format refuses: `\` is ambiguous, and COPY FROM reads `\.`, `\N`, `\b`, `\123`… specially. */
const UNSAFE_TEXT_DELIMITERS = '\\.abcdefghijklmnopqrstuvwxyz0123456789';

/** `options` checked as PostgreSQL's ProcessCopyOptions checks them, with its messages. Throws SqlError. */
export function copyLayout(options: PgCopyOut): CopyLayout {
  const csv = options.format === 'csv';
  const delimiter = options.delimiter ?? (csv ? ',' : '\t');
  const nullString = options.null ?? (csv ? '' : '\\N');
  const invalid = (message: string): SqlError => new SqlError(PgState.invalidParameterValue, message);
  if (delimiter.length !== 1 || delimiter === '\0' || delimiter.charCodeAt(0) > 0x7f)
    throw new SqlError(PgState.featureNotSupported, 'COPY delimiter must be a single one-byte character');
  if (delimiter === '\n' || delimiter === '\r')
    throw invalid('COPY delimiter cannot be newline or carriage return');
  if (nullString.includes('\n') || nullString.includes('\r'))
    throw invalid('COPY null representation cannot use newline or carriage return');
  if (!csv && UNSAFE_TEXT_DELIMITERS.includes(delimiter))
    throw invalid(`COPY delimiter cannot be "${delimiter}"`);
  if (csv && delimiter === '"') throw invalid('COPY delimiter and quote must be different');
  if (nullString.includes(delimiter))
    throw new SqlError(
      PgState.featureNotSupported,
      'COPY delimiter must not appear in the NULL specification',
    );
  if (csv && nullString.includes('"'))
    throw new SqlError(
      PgState.featureNotSupported,
      'CSV quote character must not appear in the NULL specification',
    );
  return { csv, header: options.header === true, delimiter, null: nullString };
}

/** A value in the text format: backslash, the delimiter and \b \f \n \r \t \v backslash-escaped. */
function escapeText(s: string, delimiter: string): string {
  let out = '';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let escaped: string | undefined;
    if (c < 0x20) {
      switch (c) {
        case 0x08:
          escaped = '\\b';
          break;
        case 0x0c:
          escaped = '\\f';
          break;
        case 0x0a:
          escaped = '\\n';
          break;
        case 0x0d:
          escaped = '\\r';
          break;
        case 0x09:
          escaped = '\\t';
          break;
        case 0x0b:
          escaped = '\\v';
          break;
        default:
          // Other control characters go out as they are, unless one is the delimiter.
          if (s[i] === delimiter) escaped = `\\${delimiter}`;
      }
    } else if (c === 0x5c || s[i] === delimiter) escaped = `\\${s[i]}`;
    if (escaped === undefined) continue;
    out += s.slice(start, i) + escaped;
    start = i + 1;
  }
  return start === 0 ? s : out + s.slice(start);
}

/**
 * A value in CSV: quoted (quotes doubled) when it holds the delimiter, a quote, CR or LF, when
 * it reads as the NULL string (the empty string by default), or when it is `\.` alone on a line.
 */
function quoteCsv(s: string, layout: CopyLayout, singleColumn: boolean): string {
  const quote =
    s === layout.null ||
    (singleColumn && s === '\\.') ||
    s.includes(layout.delimiter) ||
    s.includes('"') ||
    s.includes('\n') ||
    s.includes('\r');
  return quote ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One line of COPY output, `\n` included; null: SQL NULL. */
export function copyLine(layout: CopyLayout, values: readonly (string | null)[]): string {
  const single = values.length === 1;
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += layout.delimiter;
    const v = values[i] ?? null;
    if (v === null) line += layout.null;
    else line += layout.csv ? quoteCsv(v, layout, single) : escapeText(v, layout.delimiter);
  }
  return `${line}\n`;
}

/** How often row sending looks for a cancel request. */
const CANCEL_CHECK_ROWS = 256;

/**
 * Sends a result that has `copyOut`, all of it: no row limit applies, as PostgreSQL runs a
 * COPY to completion. Throws SqlError for bad options (before anything is sent) and 57014
 * when canceled meanwhile (the ErrorResponse then ends the copy, as in PostgreSQL).
 */
export async function sendCopyOut(ctx: QueryContext, result: PgQueryResult): Promise<void> {
  const layout = copyLayout(result.copyOut as PgCopyOut);
  const columns = result.columns ?? [];
  const rows = result.rows ?? [];
  const t = ctx.transport;
  for (const notice of result.notices ?? []) t.queue(noticeResponse(notice));
  t.queue(copyOutResponse(columns.length));
  const send = (values: readonly (string | null)[]): void => {
    t.queue(copyData(Buffer.from(copyLine(layout, values), 'utf8')));
  };
  // The header line: the column names written as values.
  if (layout.header) send(columns.map((c) => c.name));
  for (let i = 0; i < rows.length; i++) {
    if (i % CANCEL_CHECK_ROWS === 0 && ctx.canceled) throw queryCanceled();
    const row = rows[i] ?? [];
    send(columns.map((c, j) => textOf(row[j] ?? null, c.type)));
    if (t.shouldFlush) await t.flush();
  }
  t.queue(copyDone());
  t.queue(commandComplete(`COPY ${rows.length}`));
}
