/**
 * COPY FROM's text and CSV formats, decoded as PostgreSQL 15 reads them (copyfromparse.c):
 * bytes in, in chunks cut anywhere, the fields of each line out. Pure: no I/O, no knowledge
 * of tables or types (copy-rows.ts converts the fields).
 *
 * * Lines end at LF, CR or CRLF; the first line end decides which, and a different one later
 *   is an error ("literal newline found in data"…). A line that ends the data without a line
 *   end is a line; an empty one is not.
 * * Text format: fields split at the delimiter (tab); `\b \f \n \r \t \v \\`, octal `\NNN`,
 *   hex `\xHH`, and a backslash before any other character stands for that character (a
 *   backslash before a line end continues the line); a field that reads, as written, as the
 *   NULL string (`\N`) is NULL; `\.` ends the data, and anything after it is ignored.
 * * CSV: fields split at the delimiter (`,`) outside quotes; a quoted field may hold the
 *   delimiter, line ends, and the quote doubled (or after ESCAPE); an unquoted field that
 *   reads as the NULL string (empty) is NULL, so `""` is an empty string; `\.` alone on a
 *   line ends the data.
 * * The data must be UTF-8 and hold no NUL, also where escapes make bytes (22021).
 * * The line number is PostgreSQL's: one per line read, the header included, plus the line
 *   ends inside quoted CSV fields (counted once the data's line end is known, as PostgreSQL
 *   counts them).
 *
 * The hot path reads a line without escapes, quotes or CR with one pass over its characters
 * and slices each field out of the chunk's text; anything else takes the slow path, which
 * follows PostgreSQL's CopyReadLineText and CopyReadAttributes* character by character.
 */
import { SqlError } from '../sql/errors.ts';

/** What the decoder needs of the COPY options (checked beforehand: copy-statement.ts). */
export interface CopyTextLayout {
  readonly csv: boolean;
  /** One ASCII character. */
  readonly delimiter: string;
  readonly null: string;
  /** CSV: one ASCII character each. */
  readonly quote: string;
  readonly escape: string;
  /** Whether the first line is a header: skipped (true) or handed to `header` (`match`). */
  readonly header: boolean | 'match';
}

/** Where the decoder is, for the errors of whoever takes its lines. */
export interface CopyPosition {
  /** PostgreSQL's line number of the line being read (1-based, the header counts). */
  readonly lineNumber: number;
  /** The line as read, without its line end; undefined while it is being read. */
  lineText(): string | undefined;
}

/** Takes the decoder's lines. `fields` is reused: read it before returning. */
export interface CopyLineSink {
  /** A data line's fields, `count` of them; null is SQL NULL. */
  line(fields: readonly (string | null)[], count: number, at: CopyPosition): void;
  /** The header line's fields, when the layout's header is `match`. */
  header(fields: readonly (string | null)[], count: number, at: CopyPosition): void;
}

export const BAD_COPY_FILE_FORMAT = '22P04';
const CHARACTER_NOT_IN_REPERTOIRE = '22021';

/** PostgreSQL's MAX_COPY_DATA_DISPLAY: longer data is cut (at a character) and `...` added. */
const MAX_DISPLAY_BYTES = 100;

/** Data shown in an error's context, at most 100 bytes of it (limit_printout_length). */
export function limitPrintout(s: string): string {
  if (s.length <= MAX_DISPLAY_BYTES / 3 || Buffer.byteLength(s) <= MAX_DISPLAY_BYTES) return s;
  let bytes = 0;
  let i = 0;
  while (i < s.length) {
    const cp = s.codePointAt(i) as number;
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + n > MAX_DISPLAY_BYTES) break;
    bytes += n;
    i += cp >= 0x10000 ? 2 : 1;
  }
  return `${s.slice(0, i)}...`;
}

/** The CONTEXT of an error about a line: `COPY t, line 3: "…"`, or without the text. */
export function lineContext(relation: string, at: CopyPosition): string {
  const text = at.lineText();
  return text === undefined
    ? `COPY ${relation}, line ${at.lineNumber}`
    : `COPY ${relation}, line ${at.lineNumber}: "${limitPrintout(text)}"`;
}

// ---------------------------------------------------------------------------
// UTF-8

/**
 * Offset of the first byte of `bytes` (from `from`) that does not start a valid UTF-8
 * character as PostgreSQL's pg_utf8_islegal judges it (NUL is refused too), or -1. A
 * character cut off by the end counts as invalid.
 */
export function invalidUtf8At(bytes: Uint8Array, from = 0): number {
  const n = bytes.length;
  let i = from;
  while (i < n) {
    const b = bytes[i] as number;
    if (b > 0 && b < 0x80) {
      i++;
      continue;
    }
    const len = b >= 0xf0 && b < 0xf8 ? 4 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xc0 && b < 0xe0 ? 2 : 1;
    if (b === 0 || len === 1 || b < 0xc2 || b > 0xf4 || i + len > n) return i;
    const b1 = bytes[i + 1] as number;
    const lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    const hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    if (b1 < lo || b1 > hi) return i;
    for (let k = 2; k < len; k++) {
      const c = bytes[i + k] as number;
      if (c < 0x80 || c > 0xbf) return i;
    }
    i += len;
  }
  return -1;
}

/** PostgreSQL's report_invalid_encoding: the bad character's bytes, as many as its lead byte says. */
export function invalidUtf8(bytes: Uint8Array, at: number, where?: string): SqlError {
  const b = bytes[at] as number;
  const len = (b & 0xe0) === 0xc0 ? 2 : (b & 0xf0) === 0xe0 ? 3 : (b & 0xf8) === 0xf0 ? 4 : 1;
  const shown: string[] = [];
  for (let k = at; k < Math.min(at + len, bytes.length); k++)
    shown.push(`0x${(bytes[k] as number).toString(16).padStart(2, '0')}`);
  return new SqlError(
    CHARACTER_NOT_IN_REPERTOIRE,
    `invalid byte sequence for encoding "UTF8": ${shown.join(' ')}`,
    undefined,
    where === undefined ? undefined : { where },
  );
}

/** Bytes at the end of `b` that begin a character not complete yet (0–3). */
function incompleteTail(b: Uint8Array): number {
  const n = b.length;
  for (let k = 1; k <= Math.min(3, n); k++) {
    const c = b[n - k] as number;
    if ((c & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const len = c >= 0xf0 && c < 0xf8 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return len > k ? k : 0;
  }
  return 0;
}

// ---------------------------------------------------------------------------
// the decoder

const LF = 0x0a;
const CR = 0x0d;
const BACKSLASH = 0x5c;
const DOT = 0x2e;

/** The data's line end, once the first line has shown it. */
type Eol = 0 | 1 | 2 | 3;
const EOL_UNKNOWN = 0;
const EOL_NL = 1;
const EOL_CR = 2;
const EOL_CRNL = 3;

/** How a scan of a line ended. */
type Scan = 0 | 1 | 2 | 3;
/** A line end: the line is [start, #end), the next one starts at #next. */
const SCAN_LINE = 0;
/** `\.`: the line before it is [start, #end), and the data ends. */
const SCAN_MARKER = 1;
/** The end of the data, without a line end: the line is [start, #end). */
const SCAN_EOF = 2;
/** More data is needed: what is before #next was read, the rest must be read again. */
const SCAN_MORE = 3;

export class CopyTextDecoder implements CopyPosition {
  readonly #relation: string;
  readonly #sink: CopyLineSink;
  readonly #csv: boolean;
  readonly #delimiter: number;
  readonly #quote: number;
  readonly #escape: number;
  readonly #null: string;
  /** The NULL string starts with a backslash (text format: `\N`), so the hot path can spot it. */
  readonly #nullEscaped: boolean;
  #headerPending: boolean;
  readonly #headerMatch: boolean;

  #eol: Eol = EOL_UNKNOWN;
  #lineNumber = 0;
  /** The data ended (`\.`) or failed: what comes is ignored. */
  #ended = false;
  /** A line is being read whose start came in an earlier chunk: its text so far. */
  #parts: string[] | undefined;
  /** Bytes kept for the next chunk: text to be read again, and an incomplete character. */
  #held: Buffer | undefined;
  /** Invalid UTF-8 where the text ends (its message): raised when reading gets there. */
  #badBytes: string | undefined;

  // The slow scan's state, kept across chunks.
  #inQuote = false;
  #lastWasEscape = false;
  #firstChar = true;
  #end = 0;
  #next = 0;

  // The current line, for lineText().
  #lineSource = '';
  #lineStart = 0;
  #lineEnd = -1;

  readonly #fields: (string | null)[] = [];

  // The hot path's look-ahead in the text #read reads: the next delimiter, backslash, CR and
  // quote at or after where it reads (the text's length when there is none; -1: not known).
  #nextDelimiter = -1;
  #nextBackslash = -1;
  #nextCr = -1;
  #nextQuote = -1;
  readonly #delimiterChar: string;
  readonly #quoteChar: string;
  readonly #escapeChar: string;

  /** `relation` names the table in errors' context (`COPY t, line 3: "…"`). */
  constructor(layout: CopyTextLayout, sink: CopyLineSink, relation: string) {
    this.#relation = relation;
    this.#sink = sink;
    this.#csv = layout.csv;
    this.#delimiter = layout.delimiter.charCodeAt(0);
    this.#delimiterChar = layout.delimiter;
    this.#quoteChar = layout.csv ? layout.quote : '';
    this.#escapeChar = layout.csv ? layout.escape : '';
    this.#quote = layout.csv ? layout.quote.charCodeAt(0) : -1;
    this.#escape = layout.csv ? layout.escape.charCodeAt(0) : -1;
    this.#null = layout.null;
    this.#nullEscaped = !layout.csv && layout.null.charCodeAt(0) === BACKSLASH;
    this.#headerPending = layout.header !== false;
    this.#headerMatch = layout.header === 'match';
  }

  get lineNumber(): number {
    return this.#lineNumber;
  }

  lineText(): string | undefined {
    if (this.#lineEnd < 0) return undefined;
    return this.#lineSource.slice(this.#lineStart, this.#lineEnd);
  }

  /**
   * The CONTEXT of an error met while more data is awaited (a CopyFail, a message out of
   * place): PostgreSQL is then reading a line it has not got, the next one or the one begun.
   */
  readingContext(): string {
    const begun = this.#ended || this.#parts !== undefined;
    return `COPY ${this.#relation}, line ${begun ? this.#lineNumber : this.#lineNumber + 1}`;
  }

  /** The CONTEXT of an error between lines (a cancel): the last line read. */
  currentContext(): string {
    return lineContext(this.#relation, this);
  }

  /** The end-of-data marker has been read: further data is ignored. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Decodes a chunk of data. Throws SqlError with its context (22P04, 22021, or what the sink throws). */
  write(chunk: Uint8Array): void {
    if (this.#ended || chunk.length === 0) return;
    let bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    if (this.#held !== undefined) {
      bytes = Buffer.concat([this.#held, bytes]);
      this.#held = undefined;
    }
    const tail = incompleteTail(bytes);
    const complete = tail === 0 ? bytes : bytes.subarray(0, bytes.length - tail);
    if (tail > 0) this.#held = Buffer.from(bytes.subarray(bytes.length - tail));
    this.#read(this.#text(complete), false);
  }

  /** The end of the data (CopyDone). Throws as `write` does. */
  end(): void {
    if (this.#ended) return;
    const held = this.#held;
    this.#held = undefined;
    // An incomplete character at the very end is invalid where it starts.
    const text = held === undefined ? '' : this.#text(held, true);
    this.#read(text, true);
    if (this.#ended) return;
    // PostgreSQL reads the header line even from no data at all.
    if (this.#headerPending) {
      this.#lineNumber++;
      this.#emit('', 0, 0);
    }
    this.#ended = true;
  }

  /**
   * `bytes` as text. Invalid UTF-8 (or a NUL) cuts the text where it starts, and the error is
   * raised once the lines before it are read, as PostgreSQL reports it on the line it is on.
   */
  #text(bytes: Buffer, atEnd = false): string {
    const text = bytes.toString('utf8');
    if (text.indexOf('\uFFFD') < 0 && text.indexOf('\0') < 0 && !atEnd) return text;
    const bad = invalidUtf8At(bytes);
    if (bad < 0) return text;
    this.#badBytes = invalidUtf8(bytes, bad).message;
    return bytes.toString('utf8', 0, bad);
  }

  /** An error of the data, where the decoder is; the data has ended for good. */
  #error(code: string, message: string, hint?: string): SqlError {
    this.#ended = true;
    const where = lineContext(this.#relation, this);
    return new SqlError(code, message, undefined, hint === undefined ? { where } : { hint, where });
  }

  #fail(message: string, hint?: string): SqlError {
    return this.#error(BAD_COPY_FILE_FORMAT, message, hint);
  }

  /** Reads the lines of `s`, which follows what was read before; `eof`: nothing follows it. */
  #read(s: string, end: boolean): void {
    // Text cut at invalid bytes does not end where the data ends.
    const eof = end && this.#badBytes === undefined;
    const n = s.length;
    this.#nextDelimiter = -1;
    this.#nextBackslash = -1;
    this.#nextCr = -1;
    this.#nextQuote = -1;
    let i = 0;
    if (this.#parts !== undefined) {
      // The rest of a line begun in an earlier chunk.
      const scan = this.#scan(s, 0, eof);
      if (scan === SCAN_MORE) {
        this.#keep(s, 0);
        return;
      }
      const parts = this.#parts;
      this.#parts = undefined;
      parts.push(s.slice(0, this.#end));
      const line = parts.join('');
      i = this.#next;
      if (!this.#line(line, 0, line.length, scan)) return;
    }
    while (i < n) {
      this.#lineNumber++;
      this.#lineEnd = -1;
      this.#inQuote = false;
      this.#lastWasEscape = false;
      this.#firstChar = true;
      const next = this.#hotLine(s, i);
      if (next >= 0) {
        i = next;
        if (this.#ended) return;
        continue;
      }
      const scan = this.#scan(s, i, eof);
      if (scan === SCAN_MORE) {
        this.#keep(s, i);
        return;
      }
      const start = i;
      i = this.#next;
      if (!this.#line(s, start, this.#end, scan)) return;
    }
    if (this.#badBytes !== undefined) {
      // PostgreSQL meets them reading the next line.
      this.#lineNumber++;
      this.#lineEnd = -1;
      throw this.#error(CHARACTER_NOT_IN_REPERTOIRE, this.#badBytes);
    }
  }

  /** A line continues past the end of `s`: keeps what was read of it, and the text to read again. */
  #keep(s: string, start: number): void {
    const read = this.#next;
    if (this.#parts === undefined) this.#parts = [];
    this.#parts.push(s.slice(start, read));
    if (this.#badBytes !== undefined) throw this.#error(CHARACTER_NOT_IN_REPERTOIRE, this.#badBytes);
    if (read < s.length) {
      const again = Buffer.from(s.slice(read), 'utf8');
      this.#held = this.#held === undefined ? again : Buffer.concat([again, this.#held]);
    }
  }

  /** Hands over a line read by `#scan`; false once the data has ended. */
  #line(s: string, start: number, end: number, scan: Scan): boolean {
    // At the end of the data an empty line is no line (but a header is read all the same).
    if (scan === SCAN_LINE || end > start || this.#headerPending) this.#emit(s, start, end);
    if (scan === SCAN_LINE) return !this.#ended;
    this.#ended = true;
    return false;
  }

  /** Splits the line [start, end) of `s` into fields and hands them over. */
  #emit(s: string, start: number, end: number): void {
    this.#lineSource = s;
    this.#lineStart = start;
    this.#lineEnd = end;
    // A header that is only skipped is read as a line, never split into fields.
    if (this.#headerPending && !this.#headerMatch) {
      this.#headerPending = false;
      return;
    }
    const count = this.#csv ? this.#csvFields(s, start, end) : this.#textFields(s, start, end);
    this.#deliver(count);
  }

  #deliver(count: number): void {
    if (this.#headerPending) {
      this.#headerPending = false;
      if (this.#headerMatch) this.#sink.header(this.#fields, count, this);
      return;
    }
    this.#sink.line(this.#fields, count, this);
  }

  /**
   * The hot path: a line that ends in `s` at LF (or CRLF) and holds no CR, no backslash but
   * whole `\N`-style NULL fields (text), no quote but around whole fields without line ends,
   * doubled quotes or escapes (CSV), its fields sliced out between delimiters found by
   * `indexOf`. Where the next delimiter, backslash, CR and quote are is kept per text, so
   * each is searched for once. Returns where the next line starts, or -1 when the line needs
   * the slow path.
   */
  #hotLine(s: string, i: number): number {
    const eol = this.#eol;
    if (eol === EOL_CR) return -1;
    const lf = s.indexOf('\n', i);
    if (lf < 0) return -1;
    let end = lf;
    let nextCr = this.#nextCr;
    if (nextCr < i) this.#nextCr = nextCr = next(s, '\r', i);
    if (nextCr < lf) {
      if (nextCr !== lf - 1 || eol === EOL_NL) return -1;
      end = lf - 1;
    } else if (eol === EOL_CRNL) return -1;
    const csv = this.#csv;
    let nextBackslash = this.#nextBackslash;
    if (nextBackslash < i) this.#nextBackslash = nextBackslash = next(s, '\\', i);
    if (csv && nextBackslash === i) return -1; // `\.` first on a line may end the data
    let nextQuote = -1;
    if (csv) {
      nextQuote = this.#nextQuote;
      if (nextQuote < i) this.#nextQuote = nextQuote = next(s, this.#quoteChar, i);
    }
    const fields = this.#fields;
    const delimiter = this.#delimiterChar;
    const nul = this.#null;
    const nullLength = nul.length;
    let nextDelimiter = this.#nextDelimiter;
    let count = 0;
    let start = i;
    for (;;) {
      if (nextDelimiter < start) nextDelimiter = next(s, delimiter, start);
      const fieldEnd = Math.min(nextDelimiter, end);
      let value: string | null;
      if (csv && nextQuote < fieldEnd) {
        // A field wholly in quotes, closed before the line ends and followed by its end.
        if (nextQuote !== start) return -1;
        const close = next(s, this.#quoteChar, start + 1);
        if (close >= end || s.charCodeAt(close + 1) === this.#quote) return -1;
        if (this.#escape !== this.#quote && s.indexOf(this.#escapeChar, start + 1) < close) return -1;
        const after = close + 1;
        if (after !== end && s.charCodeAt(after) !== this.#delimiter) return -1;
        this.#nextQuote = nextQuote = next(s, this.#quoteChar, after);
        value = s.slice(start + 1, close);
        if (after === end) {
          fields[count++] = value;
          break;
        }
        fields[count++] = value;
        start = after + 1;
        continue;
      }
      if (!csv && nextBackslash < fieldEnd) {
        // `\N` (the NULL string) as a whole field is the one backslash the hot path takes.
        if (!this.#nullEscaped || nextBackslash !== start || fieldEnd - start !== nullLength) return -1;
        if (!s.startsWith(nul, start)) return -1;
        this.#nextBackslash = nextBackslash = next(s, '\\', start + 1);
        value = null;
      } else
        value = fieldEnd - start === nullLength && s.startsWith(nul, start) ? null : s.slice(start, fieldEnd);
      fields[count++] = value;
      if (fieldEnd === end) break;
      start = fieldEnd + 1;
    }
    this.#nextDelimiter = nextDelimiter;
    this.#eol = end === lf ? EOL_NL : EOL_CRNL;
    this.#lineSource = s;
    this.#lineStart = i;
    this.#lineEnd = end;
    this.#deliver(count);
    return lf + 1;
  }

  /**
   * PostgreSQL's CopyReadLineText from `i`, which is a line's start or where an earlier scan of
   * it stopped (its state kept). Sets #end and #next.
   */
  #scan(s: string, i: number, eof: boolean): Scan {
    const n = s.length;
    const csv = this.#csv;
    const quote = this.#quote;
    // An escape that is the quote needs no attention here: the quote toggles.
    const escapeChar = this.#escape === quote ? -1 : this.#escape;
    let inQuote = this.#inQuote;
    let lastWasEscape = this.#lastWasEscape;
    let firstChar = this.#firstChar;
    let j = i;
    const save = (): void => {
      this.#inQuote = inQuote;
      this.#lastWasEscape = lastWasEscape;
      this.#firstChar = firstChar;
    };
    for (;;) {
      if (j >= n) {
        save();
        if (eof) {
          this.#end = n;
          this.#next = n;
          return SCAN_EOF;
        }
        this.#next = n;
        return SCAN_MORE;
      }
      const at = j;
      const c = s.charCodeAt(j++);
      // A CR or backslash needs what follows it (`\.` up to three characters): read it again
      // with the next chunk, before any state changes.
      if (!eof && ((c === CR && j >= n) || (c === BACKSLASH && n - j < 3 && (!csv || firstChar)))) {
        save();
        this.#next = at;
        return SCAN_MORE;
      }
      if (csv) {
        if (inQuote && c === escapeChar) lastWasEscape = !lastWasEscape;
        if (c === quote && !lastWasEscape) inQuote = !inQuote;
        if (c !== escapeChar) lastWasEscape = false;
        // PostgreSQL counts the line ends inside quotes, once it knows what they look like.
        if (inQuote && c === (this.#eol === EOL_NL ? LF : CR)) this.#lineNumber++;
      }
      if (c === CR && !(csv && inQuote)) {
        if (this.#eol === EOL_UNKNOWN || this.#eol === EOL_CRNL) {
          if (j < n && s.charCodeAt(j) === LF) {
            j++;
            this.#eol = EOL_CRNL;
          } else {
            if (this.#eol === EOL_CRNL) throw this.#carriageReturn();
            this.#eol = EOL_CR;
          }
        } else if (this.#eol === EOL_NL) throw this.#carriageReturn();
        save();
        this.#end = at;
        this.#next = j;
        return SCAN_LINE;
      }
      if (c === LF && !(csv && inQuote)) {
        if (this.#eol === EOL_CR || this.#eol === EOL_CRNL)
          throw csv
            ? this.#fail('unquoted newline found in data', 'Use quoted CSV field to represent newline.')
            : this.#fail('literal newline found in data', 'Use "\\n" to represent newline.');
        this.#eol = EOL_NL;
        save();
        this.#end = at;
        this.#next = j;
        return SCAN_LINE;
      }
      if (c === BACKSLASH && (!csv || firstChar)) {
        if (j >= n) {
          // A backslash ends the data: the line keeps it (the field reader drops it).
          save();
          this.#end = n;
          this.#next = n;
          return SCAN_EOF;
        }
        if (s.charCodeAt(j) === DOT) {
          const marker = this.#marker(s, j + 1);
          if (marker >= 0) {
            save();
            this.#end = at;
            this.#next = marker;
            return SCAN_MARKER;
          }
          // CSV: `\.` and more is data; go on after the backslash.
        } else if (!csv) j++; // the escaped character, whatever it is, is part of the line
      }
      firstChar = false;
    }
  }

  /**
   * After `\.` (at `j`, the character after the dot): where the data ends if this is the
   * end-of-data marker, -1 if it is CSV data. Throws for a corrupt marker in text format.
   */
  #marker(s: string, j: number): number {
    const csv = this.#csv;
    const n = s.length;
    let c2 = j < n ? s.charCodeAt(j) : 0;
    j++;
    if (this.#eol === EOL_CRNL) {
      if (c2 === LF) {
        if (!csv) throw this.#fail('end-of-copy marker does not match previous newline style');
        return -1;
      }
      if (c2 !== CR) {
        if (!csv) throw this.#fail('end-of-copy marker corrupt');
        return -1;
      }
      c2 = j < n ? s.charCodeAt(j) : 0;
      j++;
    }
    if (c2 !== CR && c2 !== LF) {
      if (!csv) throw this.#fail('end-of-copy marker corrupt');
      return -1;
    }
    const eol = this.#eol;
    if ((eol === EOL_NL && c2 !== LF) || (eol === EOL_CRNL && c2 !== LF) || (eol === EOL_CR && c2 !== CR))
      throw this.#fail('end-of-copy marker does not match previous newline style');
    return Math.min(j, n);
  }

  #carriageReturn(): SqlError {
    return this.#csv
      ? this.#fail(
          'unquoted carriage return found in data',
          'Use quoted CSV field to represent carriage return.',
        )
      : this.#fail('literal carriage return found in data', 'Use "\\r" to represent carriage return.');
  }

  /** PostgreSQL's CopyReadAttributesText over the line [start, end): the field count. */
  #textFields(s: string, start: number, end: number): number {
    const fields = this.#fields;
    const delimiter = this.#delimiter;
    const nul = this.#null;
    let count = 0;
    let p = start;
    for (;;) {
      const fieldStart = p;
      let fieldEnd = p;
      let foundDelimiter = false;
      let escaped = false;
      while (p < end) {
        const c = s.charCodeAt(p);
        if (c === delimiter) {
          fieldEnd = p++;
          foundDelimiter = true;
          break;
        }
        if (c === BACKSLASH) {
          escaped = true;
          // A backslash ending the line escapes nothing and is dropped.
          if (p + 1 >= end) {
            fieldEnd = p++;
            break;
          }
          p += 2;
        } else p++;
        fieldEnd = p;
      }
      // The raw text is compared with the NULL string before any escape is decoded.
      if (fieldEnd - fieldStart === nul.length && s.startsWith(nul, fieldStart)) fields[count++] = null;
      else
        fields[count++] = escaped ? this.#unescape(s, fieldStart, fieldEnd) : s.slice(fieldStart, fieldEnd);
      if (!foundDelimiter) return count;
    }
  }

  /** A text-format field's escapes decoded; bytes they make must form UTF-8 with the rest. */
  #unescape(s: string, start: number, end: number): string {
    let out = '';
    let piece = start;
    let bytesMade = false;
    for (let p = start; p < end; ) {
      if (s.charCodeAt(p) !== BACKSLASH) {
        p++;
        continue;
      }
      out += s.slice(piece, p);
      const v = escapeAt(s, p + 1, end);
      if (v.byte && (v.code === 0 || v.code >= 0x80)) bytesMade = true;
      // A character standing for itself stays in the text (a surrogate pair stays whole).
      if (v.itself) piece = p + 1;
      else {
        out += String.fromCharCode(v.code);
        piece = v.next;
      }
      p = v.next;
    }
    out += s.slice(piece, end);
    return bytesMade ? this.#fromBytes(s, start, end) : out;
  }

  /** A field whose escapes make non-ASCII bytes or NUL: decoded as bytes, checked as UTF-8. */
  #fromBytes(s: string, start: number, end: number): string {
    const bytes: number[] = [];
    let piece = start;
    const text = (to: number): void => {
      if (to > piece) for (const b of Buffer.from(s.slice(piece, to), 'utf8')) bytes.push(b);
    };
    for (let p = start; p < end; ) {
      if (s.charCodeAt(p) !== BACKSLASH) {
        p++;
        continue;
      }
      text(p);
      const v = escapeAt(s, p + 1, end);
      if (v.itself) piece = p + 1;
      else {
        bytes.push(v.code); // a byte, or an ASCII control character
        piece = v.next;
      }
      p = v.next;
    }
    text(end);
    const buf = Buffer.from(bytes);
    const bad = invalidUtf8At(buf);
    if (bad >= 0) throw this.#error(CHARACTER_NOT_IN_REPERTOIRE, invalidUtf8(buf, bad).message);
    return buf.toString('utf8');
  }

  /** PostgreSQL's CopyReadAttributesCSV over the line [start, end): the field count. */
  #csvFields(s: string, start: number, end: number): number {
    const fields = this.#fields;
    const delimiter = this.#delimiter;
    const quote = this.#quote;
    const escapeChar = this.#escape;
    const nul = this.#null;
    let count = 0;
    let p = start;
    for (;;) {
      const fieldStart = p;
      let fieldEnd = p;
      let out = '';
      let piece = p;
      let sawQuote = false;
      let foundDelimiter = false;
      field: for (;;) {
        // Outside quotes.
        for (;;) {
          fieldEnd = p;
          if (p >= end) break field;
          const c = s.charCodeAt(p++);
          if (c === delimiter) {
            foundDelimiter = true;
            break field;
          }
          if (c === quote) {
            sawQuote = true;
            out += s.slice(piece, p - 1);
            piece = p;
            break;
          }
        }
        // Inside quotes.
        for (;;) {
          if (p >= end) throw this.#fail('unterminated CSV quoted field');
          const c = s.charCodeAt(p++);
          if (c === escapeChar && p < end) {
            const next = s.charCodeAt(p);
            if (next === escapeChar || next === quote) {
              out += s.slice(piece, p - 1);
              piece = p++;
              continue;
            }
          }
          if (c === quote) {
            out += s.slice(piece, p - 1);
            piece = p;
            break;
          }
        }
      }
      if (!sawQuote && fieldEnd - fieldStart === nul.length && s.startsWith(nul, fieldStart))
        fields[count++] = null;
      else fields[count++] = sawQuote ? out + s.slice(piece, fieldEnd) : s.slice(fieldStart, fieldEnd);
      if (!foundDelimiter) return count;
    }
  }
}

/** Where `c` next is in `s` from `from`; the length of `s` when nowhere. */
function next(s: string, c: string, from: number): number {
  const at = s.indexOf(c, from);
  return at < 0 ? s.length : at;
}

const OCTAL_0 = 0x30;
const OCTAL_7 = 0x37;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/**
 * One escape decoded: the character or byte it stands for, whether that is a byte (octal,
 * hex) or the escaped character itself, and where the text goes on. Reused: escapes are
 * decoded one at a time.
 */
const escaped = { code: 0, byte: false, itself: false, next: 0 };

/** The escape whose character after the backslash is at `p` (before `end`). */
function escapeAt(s: string, p: number, end: number): typeof escaped {
  const c = s.charCodeAt(p);
  let code = c;
  let byte = false;
  let next = p + 1;
  if (c >= OCTAL_0 && c <= OCTAL_7) {
    code = c - OCTAL_0;
    for (let k = 0; k < 2 && next < end; k++) {
      const d = s.charCodeAt(next);
      if (d < OCTAL_0 || d > OCTAL_7) break;
      code = (code << 3) + d - OCTAL_0;
      next++;
    }
    code &= 0xff;
    byte = true;
  } else if (c === 0x78 /* x */) {
    const h1 = next < end ? hexValue(s.charCodeAt(next)) : -1;
    if (h1 >= 0) {
      code = h1;
      next++;
      const h2 = next < end ? hexValue(s.charCodeAt(next)) : -1;
      if (h2 >= 0) {
        code = (code << 4) + h2;
        next++;
      }
      byte = true;
    }
  } else {
    switch (c) {
      case 0x62 /* b */:
        code = 0x08;
        break;
      case 0x66 /* f */:
        code = 0x0c;
        break;
      case 0x6e /* n */:
        code = LF;
        break;
      case 0x72 /* r */:
        code = CR;
        break;
      case 0x74 /* t */:
        code = 0x09;
        break;
      case 0x76 /* v */:
        code = 0x0b;
        break;
      default:
        escaped.itself = true;
        escaped.code = c;
        escaped.byte = false;
        escaped.next = next;
        return escaped;
    }
  }
  escaped.itself = false;
  escaped.code = code;
  escaped.byte = byte;
  escaped.next = next;
  return escaped;
}
