/**
 * An access log's format string — an nginx `log_format` or an Apache `LogFormat`, as the server's
 * configuration has it — compiled into what a line looks like: literal text and fields, in turn.
 *
 * Fields are named as nginx names its variables (`remote_addr`, `time_local`, `request`,
 * `status`, `http_user_agent`…); Apache's directives get the name of the nginx variable that
 * logs the same thing (`%h` → `remote_host`, `%{User-Agent}i` → `http_user_agent`, `%D` →
 * `request_time` in µs), so the rest of the decoder knows one vocabulary. Apache's `%t` is the
 * time between brackets. Adjacent fields with no text between them cannot be told apart, except
 * the URL written in pieces (`%U%q`, `$uri$is_args$args`), read as one `request_uri` field.
 *
 * Named formats: `common`, `combined` (the NCSA formats both servers write), `vhost_combined`
 * (Apache's, with the virtual host and port first) and `main` (nginx's sample configuration:
 * combined plus `"$http_x_forwarded_for"`).
 */
import { SqlError, SqlState } from '../../sql/errors.ts';
import { compileStrftime, minimumWidth, type TimeSpec } from './log-time.ts';

export type LogStyle = 'nginx' | 'apache';

/** What a field's text is, which decides how it converts. */
export type FieldKind =
  /** Text as logged. */
  | 'text'
  /** The request line, `GET /path HTTP/1.1`. */
  | 'request'
  /** The response status. */
  | 'status'
  /** A byte count (`-` is 0 for Apache's `%b`). */
  | 'bytes'
  /** How long the request took, in `durationUnit`. */
  | 'duration'
  /** A piece of the request time (`time`). */
  | 'time';

export interface LogField {
  /** The nginx variable name (`remote_addr`, `http_user_agent`…). */
  readonly name: string;
  /** The field as the format writes it (`$remote_addr`, `%{User-Agent}i`), for messages. */
  readonly written: string;
  readonly kind: FieldKind;
  /** Seconds, milliseconds or microseconds, for a duration. */
  readonly durationUnit: 's' | 'ms' | 'us' | undefined;
  readonly time: TimeSpec | undefined;
  /** Apache's `%>s`: the final status, preferred over `%s` (the original request's). */
  readonly final: boolean;
  /** `-` means 0 (Apache's `%b`), not NULL. */
  readonly dashIsZero: boolean;
  /** The fewest characters the field takes: its end is looked for from there. */
  readonly minWidth: number;
}

/** A compiled format: `literals[0] fields[0] literals[1] … fields[n-1] literals[n]`. */
export interface LogFormat {
  readonly style: LogStyle;
  readonly literals: readonly string[];
  readonly fields: readonly LogField[];
}

const NAMED: Readonly<Record<string, readonly [LogStyle, string]>> = {
  common: ['apache', '%h %l %u %t "%r" %>s %b'],
  combined: ['apache', '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"'],
  vhost_combined: ['apache', '%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"'],
  main: [
    'nginx',
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for"',
  ],
};

export const NAMED_FORMATS = Object.keys(NAMED);

function badFormat(message: string): SqlError {
  return new SqlError(SqlState.invalidParameterValue, `log_format: ${message}`);
}

/**
 * The format of `log_format` (a name or a format string) in `style`, which is guessed from the
 * string when not given: nginx's `$variables` or Apache's `%directives`. SqlError 22023 naming
 * what the string gets wrong.
 */
export function compileLogFormat(logFormat: string, style: LogStyle | undefined): LogFormat {
  const named = NAMED[logFormat.trim().toLowerCase()];
  if (named !== undefined) return compile(named[1], named[0]);
  const text = unescapeConfig(logFormat);
  return compile(text, style ?? guessStyle(text));
}

/** A quoted string of the servers' configurations read back: `\"`, `\'`, `\\`, `\t`, `\n`, `\r`. */
function unescapeConfig(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\(["'\\tnr])/g, (_, c: string) =>
    c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c,
  );
}

function guessStyle(s: string): LogStyle {
  const nginx = /\$(?:[A-Za-z_]|\{)/.test(s);
  const apache = /%(?:[<>!{,0-9^]|[a-zA-Z])/.test(s);
  if (nginx && !apache) return 'nginx';
  if (apache && !nginx) return 'apache';
  if (nginx && apache)
    throw badFormat(
      `has both nginx $variables and Apache %directives: set log_format_style = 'nginx' or 'apache'`,
    );
  throw badFormat(
    `"${s}" has no fields (nginx $variables or Apache %directives), nor is it a named format (${NAMED_FORMATS.join(', ')})`,
  );
}

interface Piece {
  readonly literal: string | undefined;
  readonly field: LogField | undefined;
}

function compile(text: string, style: LogStyle): LogFormat {
  const pieces = style === 'nginx' ? nginxPieces(text) : apachePieces(text);
  const literals: string[] = [''];
  const fields: LogField[] = [];
  for (const p of pieces) {
    if (p.literal !== undefined) literals[literals.length - 1] += p.literal;
    else if (p.field !== undefined) {
      const last = fields[fields.length - 1];
      if (last !== undefined && literals[literals.length - 1] === '') {
        const merged = mergeAdjacent(last, p.field);
        if (merged === undefined)
          throw badFormat(
            `${last.written} and ${p.field.written} have nothing between them, so a line cannot tell them apart`,
          );
        fields[fields.length - 1] = merged;
        continue;
      }
      fields.push(p.field);
      literals.push('');
    }
  }
  if (fields.length === 0) throw badFormat(`"${text}" has no fields`);
  return { style, literals, fields };
}

const URL_PIECES = new Set(['uri', 'document_uri', 'is_args', 'args', 'query_string', 'request_uri']);

/** `%U%q`, `$uri$is_args$args`: the request URI in pieces, read as one field. */
function mergeAdjacent(a: LogField, b: LogField): LogField | undefined {
  if (!URL_PIECES.has(a.name) || !URL_PIECES.has(b.name)) return undefined;
  return field('request_uri', a.written + b.written, 'text');
}

function field(
  name: string,
  written: string,
  kind: FieldKind,
  extra: Partial<Pick<LogField, 'durationUnit' | 'time' | 'final' | 'dashIsZero'>> = {},
): LogField {
  const time = extra.time;
  return Object.freeze({
    name,
    written,
    kind,
    durationUnit: extra.durationUnit,
    time,
    final: extra.final ?? false,
    dashIsZero: extra.dashIsZero ?? false,
    minWidth: time === undefined ? 0 : minimumWidth(time),
  });
}

// ---------------------------------------------------------------------------
// nginx

/** nginx variables whose text is not plain text. */
function nginxField(name: string, written: string): LogField {
  switch (name) {
    case 'time_local':
      return field(name, written, 'time', { time: { kind: 'clf' } });
    case 'time_iso8601':
      return field(name, written, 'time', { time: { kind: 'iso8601' } });
    case 'msec':
      return field(name, written, 'time', { time: { kind: 'epoch', perSecond: 1, fraction: true } });
    case 'request':
      return field(name, written, 'request');
    case 'status':
      return field(name, written, 'status', { final: true });
    case 'body_bytes_sent':
    case 'bytes_sent':
    case 'request_length':
      return field(name, written, 'bytes');
    case 'request_time':
      return field(name, written, 'duration', { durationUnit: 's' });
    default:
      return field(name, written, 'text');
  }
}

function nginxPieces(s: string): Piece[] {
  const out: Piece[] = [];
  let i = 0;
  while (i < s.length) {
    const dollar = s.indexOf('$', i);
    if (dollar < 0) {
      out.push({ literal: s.slice(i), field: undefined });
      break;
    }
    if (dollar > i) out.push({ literal: s.slice(i, dollar), field: undefined });
    let name: string;
    let next: number;
    if (s[dollar + 1] === '{') {
      const close = s.indexOf('}', dollar + 2);
      if (close < 0) throw badFormat(`"\${" at offset ${dollar} has no "}"`);
      name = s.slice(dollar + 2, close);
      next = close + 1;
      if (!/^[A-Za-z0-9_]+$/.test(name)) throw badFormat(`"\${${name}}" is not a variable name`);
    } else {
      const m = /^[A-Za-z0-9_]+/.exec(s.slice(dollar + 1));
      if (m === null) {
        // a lone `$` is text
        out.push({ literal: '$', field: undefined });
        i = dollar + 1;
        continue;
      }
      name = m[0];
      next = dollar + 1 + name.length;
    }
    out.push({ literal: undefined, field: nginxField(name.toLowerCase(), s.slice(dollar, next)) });
    i = next;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Apache

/** `%{Header-Name}i` → `http_header_name`, as nginx names header variables. */
function headerName(prefix: string, header: string): string {
  return prefix + header.toLowerCase().replace(/-/g, '_');
}

const APACHE_TIME_ARGS: Readonly<Record<string, TimeSpec>> = {
  sec: { kind: 'epoch', perSecond: 1, fraction: false },
  msec: { kind: 'epoch', perSecond: 1000, fraction: false },
  usec: { kind: 'epoch', perSecond: 1_000_000, fraction: false },
  msec_frac: { kind: 'fraction', digits: 3 },
  usec_frac: { kind: 'fraction', digits: 6 },
};

function apacheTime(arg: string | undefined, written: string): TimeSpec | undefined {
  if (arg === undefined) return undefined;
  const body = arg.replace(/^(?:begin|end):/, '');
  const named = APACHE_TIME_ARGS[body];
  if (named !== undefined) return named;
  const steps = compileStrftime(body);
  if (typeof steps === 'string') throw badFormat(`${written}: tidewatch cannot read ${steps}`);
  return { kind: 'strftime', steps };
}

/** The field of an Apache directive (`h`, `>s`, `{Referer}i`…); undefined for a letter Apache does not know. */
function apacheField(
  letter: string,
  arg: string | undefined,
  final: boolean,
  written: string,
): LogField | undefined {
  const needArg = (): string => {
    if (arg === undefined || arg === '')
      throw badFormat(`${written} needs a name in braces (%{Name}${letter})`);
    return arg;
  };
  switch (letter) {
    case 'a':
      return field(arg === 'c' ? 'realip_remote_addr' : 'remote_addr', written, 'text');
    case 'A':
      return field('server_addr', written, 'text');
    case 'B':
      return field('body_bytes_sent', written, 'bytes');
    case 'b':
      return field('body_bytes_sent', written, 'bytes', { dashIsZero: true });
    case 'C':
      return field(headerName('cookie_', needArg()), written, 'text');
    case 'D':
      return field('request_time', written, 'duration', { durationUnit: 'us' });
    case 'e':
      return field(`env_${needArg().toLowerCase()}`, written, 'text');
    case 'f':
      return field('request_filename', written, 'text');
    case 'h':
      return field('remote_host', written, 'text');
    case 'H':
      return field('server_protocol', written, 'text');
    case 'i':
      return field(headerName('http_', needArg()), written, 'text');
    case 'k':
      return field('keepalive_requests', written, 'text');
    case 'l':
      return field('remote_logname', written, 'text');
    case 'L':
      return field('request_log_id', written, 'text');
    case 'm':
      return field('request_method', written, 'text');
    case 'n':
      return field(`note_${needArg().toLowerCase()}`, written, 'text');
    case 'o':
      return field(headerName('sent_http_', needArg()), written, 'text');
    case 'p':
      return field(arg === 'remote' ? 'remote_port' : 'server_port', written, 'text');
    case 'P':
      return field('pid', written, 'text');
    case 'q':
      return field('query_string', written, 'text');
    case 'r':
      return field('request', written, 'request');
    case 'R':
      return field('handler', written, 'text');
    case 's':
      return field('status', written, 'status', { final });
    case 't': {
      const time = apacheTime(arg, written);
      return field('time_local', written, 'time', { time: time ?? { kind: 'clf' } });
    }
    case 'T': {
      const unit = arg === 'ms' ? 'ms' : arg === 'us' ? 'us' : 's';
      if (arg !== undefined && arg !== 'ms' && arg !== 'us' && arg !== 's')
        throw badFormat(`${written}: the unit of %T is s, ms or us`);
      return field('request_time', written, 'duration', { durationUnit: unit });
    }
    case 'u':
      return field('remote_user', written, 'text');
    case 'U':
      return field('uri', written, 'text');
    case 'v':
    case 'V':
      return field('server_name', written, 'text');
    case 'X':
      return field('connection_status', written, 'text');
    case 'I':
      return field('request_length', written, 'bytes');
    case 'O':
      return field('bytes_sent', written, 'bytes');
    case 'S':
      return field('bytes_transferred', written, 'bytes');
    case '^ti':
    case '^to':
      return field(
        `trailer_${letter.slice(2)}${arg === undefined ? '' : `_${arg.toLowerCase()}`}`,
        written,
        'text',
      );
    default:
      return undefined;
  }
}

function apachePieces(s: string): Piece[] {
  const out: Piece[] = [];
  let i = 0;
  while (i < s.length) {
    const pct = s.indexOf('%', i);
    if (pct < 0) {
      out.push({ literal: s.slice(i), field: undefined });
      break;
    }
    if (pct > i) out.push({ literal: s.slice(i, pct), field: undefined });
    if (s[pct + 1] === '%') {
      out.push({ literal: '%', field: undefined });
      i = pct + 2;
      continue;
    }
    // modifiers in any order: a status condition (`!200,304`), `<` / `>`, an argument in braces
    let j = pct + 1;
    let arg: string | undefined;
    let final = false;
    for (;;) {
      const c = s[j];
      if (c === undefined) throw badFormat(`the directive at offset ${pct} is cut short`);
      if (c === '{') {
        const close = s.indexOf('}', j + 1);
        if (close < 0) throw badFormat(`"%{" at offset ${pct} has no "}"`);
        arg = s.slice(j + 1, close);
        j = close + 1;
      } else if (c === '>') {
        final = true;
        j++;
      } else if (c === '<' || c === '!' || c === ',' || (c >= '0' && c <= '9')) j++;
      else break;
    }
    const letter = s[j] === '^' ? s.slice(j, j + 3) : (s[j] as string);
    const next = j + letter.length;
    const written = s.slice(pct, next);
    // %t: the time in brackets
    const f = apacheField(letter, arg, final, written);
    if (f === undefined) throw badFormat(`unknown directive ${written} at offset ${pct}`);
    if (letter === 't' && arg === undefined) {
      out.push(
        { literal: '[', field: undefined },
        { literal: undefined, field: f },
        { literal: ']', field: undefined },
      );
    } else out.push({ literal: undefined, field: f });
    i = next;
  }
  return out;
}
