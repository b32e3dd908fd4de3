/**
 * `FORMAT PLAIN ENCODE ACCESS_LOG (log_format = '…' [, log_format_style = 'nginx' | 'apache']
 * [, client_ip = 'remote_addr' | 'x_forwarded_for'])`: web-server access-log lines into rows of
 * the reference schema (tidewatch's own encode).
 *
 * The format (log-format.ts) is compiled once into literals and fields; a line is matched by
 * looking for each literal after its field with `indexOf` (no regular expression), and only the
 * fields some column needs are then sliced and converted.
 *
 * Columns, by name:
 *
 * | column              | from                                                                              |
 * | ------------------- | --------------------------------------------------------------------------------- |
 * | `ip_address`        | the remote address (`$remote_addr`, `%a`, else `%h`); with `client_ip = 'x_forwarded_for'` the first address of `X-Forwarded-For` when logged and not `-` |
 * | `request_timestamp` | the time fields together (`$time_local`, `%t`, `$time_iso8601`, `$msec`, `%{…}t`), UTC |
 * | `http_method`       | `$request_method` / `%m`, else the request line's method                            |
 * | `url`               | the request line's target as logged, else `$request_uri` / `%U%q`, else `$uri`      |
 * | `protocol`          | `$server_protocol` / `%H`, else the request line's protocol                         |
 * | `status_code`       | `$status`, `%>s` (else `%s`)                                                        |
 * | `response_time`     | `$request_time` (s), `%D` (µs), `%T` / `%{s|ms|us}T`, in milliseconds               |
 * | `referrer`          | `$http_referer` / `%{Referer}i`                                                     |
 * | `user_agent`        | `$http_user_agent` / `%{User-Agent}i`                                               |
 * | `username`          | `$remote_user` / `%u`                                                               |
 * | any other           | the field of that nginx name (`request_time`, `body_bytes_sent`, `http_x_forwarded_for`, `upstream_addr`…) as logged; else NULL |
 *
 * A field logged as `-` is NULL (but Apache's `%b`, where `-` means 0 bytes). Values keep the
 * server's escapes (`\"`, `\\`, `\xhh`) as logged. Each value is typed for its column: text as
 * is, anything else through the column type's text input; milliseconds are exact (`0.0015` s is
 * 1.5 ms: numeric 1.5, integer 2, rounded half away from zero as numeric → integer rounds).
 *
 * A quoted field ends at the first unescaped `"` followed by what the format has after it, so
 * Apache's `\"` inside the request line, referrer or user agent is part of the field. A line
 * that ends inside its last quoted field (no closing quote: a line cut short) is read as if the
 * quote were there; text after the format's last literal, after a space, is ignored (fields a
 * server appends to a standard format). Errors: a line that does not match (saying at which
 * column and field it stopped), a value that does not fit its column, invalid UTF-8, lines
 * over 1 MiB.
 */
import { columnTypmod, fromText } from '../../engine/eval/functions/casts.ts';
import { MICROS_PER_DAY } from '../../engine/eval/functions/datetime.ts';
import { SqlError, SqlState } from '../../sql/errors.ts';
import { numeric, pow10 } from '../../sql/numeric.ts';
import { formatType, type SqlType, type Value } from '../../sql/types.ts';
import { compileLogFormat, type LogField, type LogFormat, type LogStyle } from './log-format.ts';
import { clfMicros, TimeParts } from './log-time.ts';
import { type Decoded, excerpt, inputText, type RecordDecoder, type SourceColumn } from './record-decoder.ts';
import { type RequestParts, requestParts, splitRequest } from './request-line.ts';

/** The longest line read. */
export const ACCESS_LOG_MAX_BYTES = 1024 * 1024;

type ClientIp = 'remote_addr' | 'x_forwarded_for';

interface AccessLogOptions {
  readonly format: LogFormat;
  readonly clientIp: ClientIp;
}

function badOption(message: string): SqlError {
  return new SqlError(SqlState.invalidParameterValue, message);
}

function readOptions(options: ReadonlyMap<string, string>): AccessLogOptions {
  let logFormat: string | undefined;
  let style: LogStyle | undefined;
  let clientIp: ClientIp = 'remote_addr';
  for (const [key, value] of options) {
    switch (key) {
      case 'log_format':
        logFormat = value;
        break;
      case 'log_format_style': {
        const v = value.toLowerCase();
        if (v !== 'nginx' && v !== 'apache')
          throw badOption(`log_format_style must be 'nginx' or 'apache', not '${value}'`);
        style = v;
        break;
      }
      case 'client_ip': {
        const v = value.toLowerCase();
        if (v !== 'remote_addr' && v !== 'x_forwarded_for')
          throw badOption(`client_ip must be 'remote_addr' or 'x_forwarded_for', not '${value}'`);
        clientIp = v;
        break;
      }
      default:
        throw badOption(
          `unknown ENCODE ACCESS_LOG option "${key}" (known: log_format, log_format_style, client_ip)`,
        );
    }
  }
  if (logFormat === undefined)
    throw badOption(
      `ENCODE ACCESS_LOG needs log_format (a named format such as 'combined', or the server's format string)`,
    );
  return { format: compileLogFormat(logFormat, style), clientIp };
}

/** A value that does not fit its column; the message names the column. */
class FieldError extends Error {}

/** Where the fields of the current line lie, shared by the column readers. */
interface LineState {
  line: string;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** The request line's parts, split on first use for each line. */
  readonly request: RequestParts;
  requestSplit: boolean;
  readonly time: TimeParts;
}

type ColumnReader = (state: LineState) => Value;

function isDash(state: LineState, f: number): boolean {
  const a = state.starts[f] as number;
  return (state.ends[f] as number) - a === 1 && state.line.charCodeAt(a) === 0x2d;
}

function fieldText(state: LineState, f: number): string {
  return state.line.slice(state.starts[f], state.ends[f]);
}

function isText(type: SqlType): boolean {
  return type.name === 'text' || type.name === 'varchar';
}

/** text → the column's type by its text input function, errors naming the column. */
function textInput(column: string, type: SqlType): (text: string) => Value {
  if (isText(type) || type.name === 'unknown') return (t) => t;
  const f = fromText(type);
  const typmod = columnTypmod(type);
  return (t) => {
    try {
      const v = f(t);
      return typmod === undefined ? v : typmod(v);
    } catch (e) {
      throw new FieldError(`${column}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
}

function mismatch(column: string, type: SqlType, what: string, accepts: string): SqlError {
  return new SqlError(
    SqlState.datatypeMismatch,
    `column "${column}" is ${formatType(type)}, but ${what} needs ${accepts}`,
  );
}

/** A field of text (or a request line) as a value of the column. */
function textReader(column: string, type: SqlType, f: number): ColumnReader {
  const convert = textInput(column, type);
  return (s) => (isDash(s, f) ? null : convert(fieldText(s, f)));
}

/** The largest integer read in place for each integer type (at most nine digits are read so). */
const INT_MAX: Partial<Record<SqlType['name'], number>> = {
  int2: 32767,
  int4: 2147483647,
  int8: 999_999_999,
};

/** A status or byte count: digits read in place for an integer column, else the text input. */
function integerReader(column: string, type: SqlType, field: LogField, f: number): ColumnReader {
  const convert = textInput(column, type);
  const max = INT_MAX[type.name];
  const zero = field.dashIsZero ? convert('0') : null;
  return (s) => {
    const a = s.starts[f] as number;
    const e = s.ends[f] as number;
    const line = s.line;
    if (e - a === 1 && line.charCodeAt(a) === 0x2d) return zero;
    if (max !== undefined && e > a && e - a <= 9) {
      let v = 0;
      let k = a;
      for (; k < e; k++) {
        const d = line.charCodeAt(k) - 0x30;
        if (!(d >= 0 && d <= 9)) break;
        v = v * 10 + d;
      }
      if (k === e && v <= max) return v;
    }
    return convert(line.slice(a, e));
  };
}

const MILLIS_SHIFT = { s: 3, ms: 0, us: -3 } as const;

/**
 * A duration as milliseconds in the column's type, exactly: the logged decimal shifted by its
 * unit; rounded half away from zero for an integer column (as numeric → integer rounds).
 */
function millisReader(column: string, type: SqlType, field: LogField, f: number): ColumnReader {
  const shift = MILLIS_SHIFT[field.durationUnit ?? 's'];
  const name = type.name;
  if (isText(type)) return textReader(column, type, f);
  if (
    name !== 'int2' &&
    name !== 'int4' &&
    name !== 'int8' &&
    name !== 'numeric' &&
    name !== 'float4' &&
    name !== 'float8'
  )
    throw mismatch(column, type, `${field.written} (milliseconds)`, 'a number or text column');
  const typmod = columnTypmod(type);
  const asInteger = textInput(column, type);
  const max = name === 'int2' ? 32767 : name === 'int4' ? 2147483647 : Number.MAX_SAFE_INTEGER;
  const unit =
    field.durationUnit === 'us' ? 'microseconds' : field.durationUnit === 'ms' ? 'milliseconds' : 'seconds';
  return (s) => {
    const a = s.starts[f] as number;
    const e = s.ends[f] as number;
    const line = s.line;
    if (e - a === 1 && line.charCodeAt(a) === 0x2d) return null;
    // digits [. digits]
    let k = a;
    let dot = -1;
    let total = 0;
    for (; k < e; k++) {
      const c = line.charCodeAt(k);
      if (c === 0x2e && dot < 0) dot = k;
      else if (c >= 0x30 && c <= 0x39) total = total * 10 + (c - 0x30);
      else break;
    }
    const digitCount = e - a - (dot < 0 ? 0 : 1);
    if (k !== e || digitCount === 0 || dot === e - 1)
      throw new FieldError(
        `${column}: expected ${unit} like 0.123 in ${field.written}, got "${excerpt(line.slice(a, e))}"`,
      );
    const scale = (dot < 0 ? 0 : e - dot - 1) - shift;
    if (name === 'float4' || name === 'float8') {
      const digits = dot < 0 ? line.slice(a, e) : line.slice(a, dot) + line.slice(dot + 1, e);
      const x = Number(`${digits}e${-scale}`);
      return name === 'float4' ? Math.fround(x) : x;
    }
    // up to 12 digits, milliseconds stay below 2^53 even from seconds
    if (name === 'numeric' || digitCount > 12) {
      const digits = dot < 0 ? line.slice(a, e) : line.slice(a, dot) + line.slice(dot + 1, e);
      let coef = BigInt(digits);
      if (scale < 0) coef *= pow10(-scale);
      const n = numeric(coef, Math.max(scale, 0));
      if (name === 'numeric') {
        if (typmod === undefined) return n;
        try {
          return typmod(n);
        } catch (err) {
          throw new FieldError(`${column}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      // an integer column given more digits than a double holds: the engine's numeric → integer cast
      return asInteger(String(scale <= 0 ? coef : roundHalfUp(coef, scale)));
    }
    let v: number;
    if (scale <= 0) v = total * 10 ** -scale;
    else {
      const d = 10 ** scale;
      const q = Math.floor(total / d);
      v = q + (2 * (total - q * d) >= d ? 1 : 0);
    }
    if (v > max) throw new FieldError(`${column}: ${v} ms is out of range for type ${formatType(type)}`);
    return v;
  };
}

function roundHalfUp(coef: bigint, scale: number): bigint {
  const d = pow10(scale);
  const q = coef / d;
  return q + (2n * (coef - q * d) >= d ? 1n : 0n);
}

/** The request time from the line's time fields, as the column's type. */
function timeReader(
  column: string,
  type: SqlType,
  fields: readonly LogField[],
  indexes: readonly number[],
): ColumnReader {
  const first = indexes[0] as number;
  if (isText(type)) return textReader(column, type, first);
  const name = type.name;
  if (name !== 'timestamp' && name !== 'timestamptz' && name !== 'date')
    throw mismatch(column, type, 'the request time', 'timestamp, timestamptz, date or text');
  const asDate = name === 'date';
  const out = (us: number): Value => (asDate ? Math.floor(us / MICROS_PER_DAY) : us);
  const only = fields[first] as LogField;
  const bad = (s: LineState, f: number): FieldError => {
    const field = fields[f] as LogField;
    return new FieldError(`${column}: ${field.written} is not a time: "${excerpt(fieldText(s, f))}"`);
  };
  if (indexes.length === 1 && only.time?.kind === 'clf')
    return (s) => {
      if (isDash(s, first)) return null;
      const us = clfMicros(s.line, s.starts[first] as number, s.ends[first] as number);
      if (Number.isNaN(us)) throw bad(s, first);
      return out(us);
    };
  return (s) => {
    const parts = s.time;
    parts.reset();
    for (const f of indexes) {
      if (isDash(s, f)) return null;
      const spec = (fields[f] as LogField).time;
      if (spec === undefined || !parts.read(spec, s.line, s.starts[f] as number, s.ends[f] as number))
        throw bad(s, f);
    }
    const us = parts.result();
    if (Number.isNaN(us))
      throw new FieldError(
        `${column}: ${indexes.map((f) => (fields[f] as LogField).written).join(' ')} give no valid time`,
      );
    return out(us);
  };
}

/** A part of the request line (0 method, 1 target, 2 protocol). */
function requestPartReader(column: string, type: SqlType, f: number, part: 0 | 1 | 2): ColumnReader {
  const convert = textInput(column, type);
  return (s) => {
    if (!s.requestSplit) {
      splitRequest(s.line, s.starts[f] as number, s.ends[f] as number, s.request);
      s.requestSplit = true;
    }
    const a = s.request[2 * part] as number;
    if (a < 0) return null;
    return convert(s.line.slice(a, s.request[2 * part + 1]));
  };
}

/** The first hop of X-Forwarded-For, else the remote address. */
function forwardedReader(column: string, type: SqlType, xff: number, remote: number): ColumnReader {
  const convert = textInput(column, type);
  return (s) => {
    if (!isDash(s, xff)) {
      const text = fieldText(s, xff);
      const comma = text.indexOf(',');
      const first = (comma < 0 ? text : text.slice(0, comma)).trim();
      if (first !== '' && first !== '-') return convert(first);
    }
    return remote < 0 || isDash(s, remote) ? null : convert(fieldText(s, remote));
  };
}

/** Index of the first field named any of `names` (earlier names first); -1 if none. */
function find(format: LogFormat, ...names: string[]): number {
  for (const n of names) {
    const i = format.fields.findIndex((f) => f.name === n);
    if (i >= 0) return i;
  }
  return -1;
}

function statusIndex(format: LogFormat): number {
  const final = format.fields.findIndex((f) => f.name === 'status' && f.final);
  return final >= 0 ? final : find(format, 'status');
}

/** A field as the column wants it, by the field's kind. */
function fieldReader(column: string, type: SqlType, format: LogFormat, f: number): ColumnReader {
  const field = format.fields[f] as LogField;
  switch (field.kind) {
    case 'status':
    case 'bytes':
      return integerReader(column, type, field, f);
    case 'time':
      return timeReader(column, type, format.fields, [f]);
    default:
      return textReader(column, type, f);
  }
}

const nothing: ColumnReader = () => null;

/** How the column is filled from a line of `format`. */
function columnReader(column: SourceColumn, options: AccessLogOptions): ColumnReader {
  const { format } = options;
  const { name, type } = column;
  const fields = format.fields;
  const request = find(format, 'request');
  switch (name) {
    case 'ip_address': {
      const remote = find(format, 'remote_addr', 'remote_host');
      if (options.clientIp === 'x_forwarded_for') {
        const xff = find(format, 'http_x_forwarded_for');
        if (xff < 0)
          throw badOption(
            `client_ip = 'x_forwarded_for' needs X-Forwarded-For in log_format ($http_x_forwarded_for or %{X-Forwarded-For}i)`,
          );
        return forwardedReader(name, type, xff, remote);
      }
      return remote < 0 ? nothing : textReader(name, type, remote);
    }
    case 'request_timestamp': {
      const times = fields.flatMap((f, i) => (f.kind === 'time' ? [i] : []));
      return times.length === 0 ? nothing : timeReader(name, type, fields, times);
    }
    case 'http_method': {
      const method = find(format, 'request_method');
      if (method >= 0) return textReader(name, type, method);
      return request < 0 ? nothing : requestPartReader(name, type, request, 0);
    }
    case 'url': {
      if (request >= 0) return requestPartReader(name, type, request, 1);
      const uri = find(format, 'request_uri', 'uri');
      return uri < 0 ? nothing : textReader(name, type, uri);
    }
    case 'protocol': {
      const protocol = find(format, 'server_protocol');
      if (protocol >= 0) return textReader(name, type, protocol);
      return request < 0 ? nothing : requestPartReader(name, type, request, 2);
    }
    case 'status_code': {
      const status = statusIndex(format);
      return status < 0 ? nothing : integerReader(name, type, fields[status] as LogField, status);
    }
    case 'response_time': {
      const d = fields.findIndex((f) => f.kind === 'duration');
      return d < 0 ? nothing : millisReader(name, type, fields[d] as LogField, d);
    }
    case 'referrer': {
      const f = find(format, 'http_referer');
      return f < 0 ? nothing : textReader(name, type, f);
    }
    case 'user_agent': {
      const f = find(format, 'http_user_agent');
      return f < 0 ? nothing : textReader(name, type, f);
    }
    case 'username': {
      const f = find(format, 'remote_user');
      return f < 0 ? nothing : textReader(name, type, f);
    }
    default: {
      const f = name === 'status' ? statusIndex(format) : find(format, name);
      return f < 0 ? nothing : fieldReader(name, type, format, f);
    }
  }
}

/** Characters a time field holds: a literal starting with one could be inside the field. */
function canBeInsideTime(c: string | undefined): boolean {
  return c !== undefined && /[ \t:/.+\-0-9A-Za-z]/.test(c);
}

export class AccessLogDecoder implements RecordDecoder {
  readonly #fields: readonly LogField[];
  readonly #first: string;
  /** The literal after each field. */
  readonly #after: readonly string[];
  /** The literal after each field as char codes, to check it in place. */
  readonly #afterCodes: readonly (readonly number[])[];
  readonly #quoted: readonly boolean[];
  /** Where to start looking for the literal after a field: past the field's fewest characters. */
  readonly #skip: readonly number[];
  readonly #readers: readonly ColumnReader[];
  readonly #state: LineState;

  constructor(columns: readonly SourceColumn[], options: ReadonlyMap<string, string>) {
    const opts = readOptions(options);
    const { literals, fields } = opts.format;
    this.#fields = fields;
    this.#first = literals[0] as string;
    this.#after = literals.slice(1);
    this.#afterCodes = this.#after.map((l) => Array.from(l, (c) => c.charCodeAt(0)));
    this.#quoted = fields.map(
      (_, f) => (literals[f] as string).endsWith('"') && (literals[f + 1] as string).startsWith('"'),
    );
    this.#skip = fields.map((field, f) => (canBeInsideTime(literals[f + 1]?.[0]) ? field.minWidth : 0));
    this.#readers = columns.map((c) => columnReader(c, opts));
    const n = fields.length;
    this.#state = {
      line: '',
      starts: new Int32Array(n),
      ends: new Int32Array(n),
      request: requestParts(),
      requestSplit: false,
      time: new TimeParts(),
    };
  }

  decode(input: Uint8Array | string): Decoded {
    const text = inputText(input, ACCESS_LOG_MAX_BYTES);
    if (typeof text !== 'string') return text;
    const line = text.charCodeAt(text.length - 1) === 0x0d ? text.slice(0, -1) : text;
    const mismatch = this.#match(line);
    if (mismatch !== undefined) return { error: mismatch };
    const state = this.#state;
    state.line = line;
    state.requestSplit = false;
    const readers = this.#readers;
    const row: Value[] = new Array(readers.length);
    try {
      for (let k = 0; k < readers.length; k++) row[k] = (readers[k] as ColumnReader)(state);
    } catch (e) {
      if (e instanceof FieldError) return { error: e.message };
      return { error: `cannot read the line: ${e instanceof Error ? e.message : String(e)}` };
    }
    return { row };
  }

  /** Finds the fields of `line`; a reason when it does not match the format. */
  #match(line: string): string | undefined {
    const first = this.#first;
    if (first !== '' && !line.startsWith(first))
      return `line does not match log_format at column 1: expected ${JSON.stringify(first)}`;
    const { starts, ends } = this.#state;
    const fields = this.#fields;
    const n = fields.length;
    let pos = first.length;
    for (let f = 0; f < n; f++) {
      const after = this.#after[f] as string;
      const last = f === n - 1;
      let end: number;
      if (this.#quoted[f]) {
        end = this.#quotedEnd(line, pos, f, last);
        if (end === TRUNCATED) {
          starts[f] = pos;
          ends[f] = line.length;
          return undefined;
        }
      } else if (after === '') end = line.length;
      else {
        const skip = this.#skip[f] as number;
        end = line.indexOf(after, pos + skip);
        if (skip > 0 && end < 0) end = line.indexOf(after, pos);
      }
      if (end < 0) {
        const field = fields[f] as LogField;
        return `line does not match log_format at column ${pos + 1} (${field.written}): expected ${JSON.stringify(after)} after the field`;
      }
      starts[f] = pos;
      ends[f] = end;
      pos = end + after.length;
    }
    if (pos < line.length && !(line.charCodeAt(pos) === 0x20 && (this.#after[n - 1] as string) !== '')) {
      const field = fields[n - 1] as LogField;
      return `line does not match log_format at column ${pos + 1}: unexpected ${JSON.stringify(excerpt(line.slice(pos), 20))} after ${field.written}`;
    }
    return undefined;
  }

  /**
   * The end of quoted field `f` starting at `pos`: the first `"` not escaped by a backslash and
   * followed by the rest of the literal after the field (for the last field: then the line's
   * end or a space). TRUNCATED when the last field's closing quote is missing.
   */
  #quotedEnd(line: string, pos: number, f: number, last: boolean): number {
    const codes = this.#afterCodes[f] as readonly number[];
    const len = codes.length;
    let from = pos;
    for (;;) {
      const q = line.indexOf('"', from);
      if (q < 0) return last && len === 1 && !closesBefore(line, pos) ? TRUNCATED : -1;
      if (!escaped(line, pos, q) && matchesAt(line, q, codes)) {
        if (!last || q + len === line.length || line.charCodeAt(q + len) === 0x20) return q;
      }
      from = q + 1;
    }
  }
}

/** A line cut inside its last quoted field. */
const TRUNCATED = -2;

/** Whether the quote at `q` is escaped: an odd number of backslashes before it (from `pos`). */
function escaped(line: string, pos: number, q: number): boolean {
  let n = 0;
  for (let b = q - 1; b >= pos && line.charCodeAt(b) === 0x5c; b--) n++;
  return (n & 1) === 1;
}

/** Whether an unescaped quote lies in `line` from `pos` (then the field did close, just not as the format says). */
function closesBefore(line: string, pos: number): boolean {
  for (let q = line.indexOf('"', pos); q >= 0; q = line.indexOf('"', q + 1))
    if (!escaped(line, pos, q)) return true;
  return false;
}

function matchesAt(line: string, at: number, codes: readonly number[]): boolean {
  for (let k = 0; k < codes.length; k++) if (line.charCodeAt(at + k) !== codes[k]) return false;
  return true;
}
