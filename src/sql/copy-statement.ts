/**
 * COPY statements as psql's `\copy` and drivers send them, recognised token by token with
 * PostgreSQL 15's grammar:
 *
 * * `COPY (query) TO STDOUT …` and `COPY table [(columns)] TO STDOUT …` become the query
 *   whose rows are copied (`COPY table` reads the table's columns as written);
 * * `COPY table [(columns)] FROM STDIN …` names the table and columns as written; its
 *   options are checked by `copyFromFormat` once the table and columns are known, the
 *   order in which PostgreSQL reports faults.
 *
 * Options come as `WITH (FORMAT text|csv|binary, HEADER [bool|match], DELIMITER 'x',
 * NULL 'x', QUOTE 'x', ESCAPE 'x', FORCE_NOT_NULL (cols), FORCE_NULL (cols), FREEZE,
 * ENCODING 'x')` or in the forms before PostgreSQL 9.0 (`BINARY`, `CSV`, `HEADER`,
 * `DELIMITER [AS] 'x'`, `NULL [AS] 'x'`, `QUOTE [AS] 'x'`, `ESCAPE [AS] 'x'`,
 * `FORCE NOT NULL a, b`, `FORCE NULL c`, `[USING] DELIMITERS 'x'`), and are checked as
 * ProcessCopyOptions checks them, with its SQLSTATEs and messages.
 *
 * Files and programs on the server are refused (0A000): tidewatch reads no server files on a
 * client's behalf, and a client that is told `is_superuser` = on should not be answered with
 * a privilege error (42501) it cannot do anything about. COPY FROM STDIN, and psql's `\copy`,
 * which sends a client's file that way, work.
 */
import { parseSync } from 'libpg-query';
import { SqlError, SqlState } from './errors.ts';
import { identName, type Token } from './tokens.ts';

/** How `COPY … TO STDOUT` writes rows (PostgreSQL's COPY options). */
export interface CopyFormat {
  readonly format: 'text' | 'csv';
  readonly header?: boolean;
  readonly delimiter?: string;
  readonly null?: string;
}

/** An option's argument as written: a string (constants and words alike), a number, a list, `*`. */
export type CopyOptionArg =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly value: string; readonly integer: boolean }
  | { readonly kind: 'list'; readonly items: readonly string[] }
  | { readonly kind: 'star' };

/** One option of a COPY statement, as PostgreSQL's grammar hands it to ProcessCopyOptions. */
export interface CopyOption {
  /** Lower case, as PostgreSQL names it: `format`, `header`, `force_not_null`… */
  readonly name: string;
  /** Undefined when none is written (`HEADER`, `WITH (header)`). */
  readonly arg: CopyOptionArg | undefined;
  /** 1-based position of the option in the statement, for the errors that point at it. */
  readonly position: number;
}

/** The options of `COPY … FROM`, checked, with PostgreSQL's defaults filled in. */
export interface CopyFromFormat {
  readonly format: 'text' | 'csv' | 'binary';
  /** `match`: the first line must name the columns copied, in order (PostgreSQL 15). */
  readonly header: boolean | 'match';
  /** One ASCII character: tab in text format, `,` in CSV. */
  readonly delimiter: string;
  /** `\N` in text format, the empty string in CSV. */
  readonly null: string;
  /** CSV only (`"` by default); empty otherwise. */
  readonly quote: string;
  /** CSV only (the quote by default); empty otherwise. */
  readonly escape: string;
  /** Columns whose unquoted NULL string reads as that string (CSV). */
  readonly forceNotNull: readonly string[];
  /** Columns whose quoted NULL string reads as NULL (CSV). */
  readonly forceNull: readonly string[];
}

export interface CopyToCommand {
  readonly kind: 'CopyTo';
  /** The query whose rows are copied. */
  readonly query: string;
  /** Offset of `query` in the statement; undefined when the query is made up (`COPY table`). */
  readonly queryOffset: number | undefined;
  readonly copyOut: CopyFormat;
}

export interface CopyFromCommand {
  readonly kind: 'CopyFrom';
  /** The table, each part of its name folded as an identifier (`public.t`). */
  readonly table: string;
  /** The columns listed, folded as identifiers; undefined when there is no list (all columns). */
  readonly columns: readonly string[] | undefined;
  /** The options in the order written; `copyFromFormat` checks them. */
  readonly options: readonly CopyOption[];
}

export type CopyCommand = CopyToCommand | CopyFromCommand;

function syntaxErrorAt(t: Token | undefined, sql: string): SqlError {
  if (t === undefined)
    return new SqlError(SqlState.syntaxError, 'syntax error at end of input', sql.length + 1);
  return new SqlError(SqlState.syntaxError, `syntax error at or near "${t.text}"`, t.start + 1);
}

/** Index of the `)` closing the `(` at `open`, or -1. */
function closingParen(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const text = tokens[i]?.text;
    if (text === '(') depth++;
    else if (text === ')' && --depth === 0) return i;
  }
  return -1;
}

/** The text of the tokens `from` up to (not including) `to`, as written. */
function textBetween(sql: string, tokens: readonly Token[], from: number, to: number): string {
  return sql.slice((tokens[from] as Token).start, (tokens[to - 1] as Token).end);
}

/** The value of a string constant token, every escape decoded by PostgreSQL's own parser. */
function stringValue(t: Token): string {
  const tree = parseSync(`SELECT ${t.text}`) as {
    stmts: {
      stmt: {
        SelectStmt: { targetList: { ResTarget: { val: { A_Const: { sval?: { sval?: string } } } } }[] };
      };
    }[];
  };
  return tree.stmts[0]?.stmt.SelectStmt.targetList[0]?.ResTarget.val.A_Const.sval?.sval ?? '';
}

const isWord = (t: Token | undefined): t is Token => t?.kind === 'ident' || t?.kind === 'keyword';

/** PostgreSQL's reserved keywords: never a name, nor a word an option's argument may be. */
const RESERVED = new Set(
  (
    'ALL ANALYSE ANALYZE AND ANY ARRAY AS ASC ASYMMETRIC BOTH CASE CAST CHECK COLLATE COLUMN ' +
    'CONSTRAINT CREATE CURRENT_CATALOG CURRENT_DATE CURRENT_ROLE CURRENT_TIME CURRENT_TIMESTAMP ' +
    'CURRENT_USER DEFAULT DEFERRABLE DESC DISTINCT DO ELSE END EXCEPT FALSE FETCH FOR FOREIGN FROM ' +
    'GRANT GROUP HAVING IN INITIALLY INTERSECT INTO LATERAL LEADING LIMIT LOCALTIME LOCALTIMESTAMP ' +
    'NOT NULL OFFSET ON ONLY OR ORDER PLACING PRIMARY REFERENCES RETURNING SELECT SESSION_USER SOME ' +
    'SYMMETRIC TABLE THEN TO TRAILING TRUE UNION UNIQUE USER USING VARIADIC WHEN WHERE WINDOW WITH'
  ).split(' '),
);

/** Keywords that may name a type or function but not a table or column. */
const TYPE_FUNC_NAME = new Set(
  (
    'AUTHORIZATION BINARY COLLATION CONCURRENTLY CROSS CURRENT_SCHEMA FREEZE FULL ILIKE INNER IS ' +
    'ISNULL JOIN LEFT LIKE NATURAL NOTNULL OUTER OVERLAPS RIGHT SIMILAR TABLESAMPLE VERBOSE'
  ).split(' '),
);

const isKeywordIn = (t: Token, set: ReadonlySet<string>): boolean => t.kind === 'keyword' && set.has(t.upper);

/** Reads the statement's tokens in order, failing with PostgreSQL's syntax error. */
class Reader {
  readonly sql: string;
  readonly tokens: readonly Token[];
  i = 0;

  constructor(sql: string, tokens: readonly Token[]) {
    this.sql = sql;
    this.tokens = tokens;
  }

  get peek(): Token | undefined {
    return this.tokens[this.i];
  }

  /** The next token when it is the keyword or punctuation `text` (upper case); undefined otherwise. */
  accept(text: string): Token | undefined {
    const t = this.tokens[this.i];
    if (t === undefined || (t.kind !== 'keyword' && t.kind !== 'punct') || t.upper !== text) return undefined;
    this.i++;
    return t;
  }

  expect(text: string): Token {
    const t = this.accept(text);
    if (t === undefined) throw this.fail();
    return t;
  }

  fail(): SqlError {
    return syntaxErrorAt(this.tokens[this.i], this.sql);
  }

  /** An identifier (a column or table name part), folded. */
  name(): string {
    const t = this.tokens[this.i];
    if (!isWord(t) || isKeywordIn(t, RESERVED) || isKeywordIn(t, TYPE_FUNC_NAME)) throw this.fail();
    this.i++;
    return identName(t);
  }

  /** A string constant's value. */
  string(): string {
    const t = this.tokens[this.i];
    if (t?.kind !== 'string') throw this.fail();
    this.i++;
    return stringValue(t);
  }

  /** `a, b, c` (no parentheses: the old FORCE options). */
  nameList(): string[] {
    const names = [this.name()];
    while (this.accept(',')) names.push(this.name());
    return names;
  }
}

/** `opt_boolean_or_string`: a string constant, TRUE, FALSE, ON, or another word folded as an identifier. */
function booleanOrString(r: Reader): string | undefined {
  const t = r.peek;
  if (t?.kind === 'string') return r.string();
  if (!isWord(t)) return undefined;
  if (t.kind === 'keyword' && (t.upper === 'TRUE' || t.upper === 'FALSE' || t.upper === 'ON')) {
    r.i++;
    return t.upper.toLowerCase();
  }
  if (isKeywordIn(t, RESERVED)) return undefined;
  r.i++;
  return identName(t);
}

/** The argument of a `WITH (name arg, …)` option; undefined when there is none. */
function genericArg(r: Reader): CopyOptionArg | undefined {
  const t = r.peek;
  if (t === undefined || t.text === ',' || t.text === ')') return undefined;
  if (r.accept('*')) return { kind: 'star' };
  if (r.accept('(')) {
    const items: string[] = [];
    do {
      const item = booleanOrString(r);
      if (item === undefined) throw r.fail();
      items.push(item);
    } while (r.accept(','));
    r.expect(')');
    return { kind: 'list', items };
  }
  const sign = t.text === '-' || t.text === '+' ? t : undefined;
  const number = sign === undefined ? t : r.tokens[r.i + 1];
  if (number?.kind === 'number') {
    r.i += sign === undefined ? 1 : 2;
    const text = `${sign?.text === '-' ? '-' : ''}${number.text}`;
    // PostgreSQL's integer constants fit 32 bits; longer ones are numeric.
    const integer = /^-?\d+$/.test(text) && Math.abs(Number(text)) <= 0x7fff_ffff;
    return { kind: 'number', value: integer ? String(Number(text)) : text, integer };
  }
  const value = booleanOrString(r);
  if (value === undefined) throw r.fail();
  return { kind: 'string', value };
}

/** `WITH (name [arg], …)`, the `(` already read. */
function genericOptions(r: Reader, options: CopyOption[]): void {
  do {
    const t = r.peek;
    if (!isWord(t)) throw r.fail();
    r.i++;
    options.push({ name: identName(t), arg: genericArg(r), position: t.start + 1 });
  } while (r.accept(','));
  r.expect(')');
}

const string = (value: string): CopyOptionArg => ({ kind: 'string', value });

/** The options before PostgreSQL 9.0, as many as there are. */
function oldOptions(r: Reader, options: CopyOption[]): void {
  for (;;) {
    const t = r.peek;
    if (t?.kind !== 'keyword') return;
    const position = t.start + 1;
    const add = (name: string, arg: CopyOptionArg | undefined): void => {
      options.push({ name, arg, position });
    };
    const asString = (): CopyOptionArg => {
      r.accept('AS');
      return string(r.string());
    };
    switch (t.upper) {
      case 'BINARY':
        r.i++;
        add('format', string('binary'));
        break;
      case 'CSV':
        r.i++;
        add('format', string('csv'));
        break;
      case 'FREEZE':
      case 'HEADER':
        r.i++;
        add(t.upper.toLowerCase(), string('true'));
        break;
      case 'DELIMITER':
      case 'NULL':
      case 'QUOTE':
      case 'ESCAPE':
        r.i++;
        add(t.upper.toLowerCase(), asString());
        break;
      case 'ENCODING':
        r.i++;
        add('encoding', string(r.string()));
        break;
      case 'FORCE':
        r.i++;
        if (r.accept('QUOTE')) add('force_quote', r.accept('*') ? { kind: 'star' } : list(r.nameList()));
        else if (r.accept('NOT')) {
          r.expect('NULL');
          add('force_not_null', list(r.nameList()));
        } else {
          r.expect('NULL');
          add('force_null', list(r.nameList()));
        }
        break;
      default:
        return;
    }
  }
}

const list = (items: readonly string[]): CopyOptionArg => ({ kind: 'list', items });

/** COPY TO and FROM share these; PostgreSQL's `defGetString`. */
function argString(o: CopyOption): string {
  const arg = o.arg;
  if (arg === undefined) throw new SqlError(SqlState.syntaxError, `${o.name} requires a parameter`);
  switch (arg.kind) {
    case 'string':
    case 'number':
      return arg.value;
    case 'list':
      return arg.items.join('.');
    case 'star':
      return '*';
  }
}

/** PostgreSQL's `defGetBoolean`. */
function argBoolean(o: CopyOption): boolean {
  const arg = o.arg;
  if (arg === undefined) return true;
  if (arg.kind === 'number' && arg.integer && (arg.value === '0' || arg.value === '1'))
    return arg.value === '1';
  if (arg.kind !== 'number') {
    const word = argString(o).toLowerCase();
    if (word === 'true' || word === 'on') return true;
    if (word === 'false' || word === 'off') return false;
  }
  throw new SqlError(SqlState.syntaxError, `${o.name} requires a Boolean value`);
}

/** PostgreSQL's `defGetCopyHeaderChoice`. */
function argHeader(o: CopyOption, from: boolean): boolean | 'match' {
  const arg = o.arg;
  if (arg === undefined) return true;
  if (arg.kind === 'number') {
    if (arg.integer && (arg.value === '0' || arg.value === '1')) return arg.value === '1';
  } else {
    const word = argString(o);
    const lower = word.toLowerCase();
    if (lower === 'true' || lower === 'on') return true;
    if (lower === 'false' || lower === 'off') return false;
    if (lower === 'match') {
      if (!from)
        throw new SqlError(SqlState.featureNotSupported, `cannot use "${word}" with HEADER in COPY TO`);
      return 'match';
    }
  }
  throw new SqlError(SqlState.syntaxError, `${o.name} requires a Boolean value or "match"`);
}

function columnList(o: CopyOption): readonly string[] {
  if (o.arg?.kind === 'list') return o.arg.items;
  throw new SqlError(
    SqlState.invalidParameterValue,
    `argument to option "${o.name}" must be a list of column names`,
    o.position,
  );
}

/** Encoding names PostgreSQL knows (pg_char_to_encoding, non-alphanumerics dropped). */
const ENCODINGS = new Set(
  (
    'abc alt big5 euccn eucjis2004 eucjp euckr euctw gb18030 gbk iso88591 iso885910 iso885913 ' +
    'iso885914 iso885915 iso885916 iso88592 iso88593 iso88594 iso88595 iso88596 iso88597 ' +
    'iso88598 iso88599 johab koi8 koi8r koi8u latin1 latin10 latin2 latin3 latin4 latin5 ' +
    'latin6 latin7 latin8 latin9 mskanji muleinternal shiftjis shiftjis2004 sjis sqlascii tcvn ' +
    'tcvn5712 uhc unicode utf8 vscii win win1250 win1251 win1252 win1253 win1254 win1255 ' +
    'win1256 win1257 win1258 win866 win874 win932 win936 win949 win950 windows1250 windows1251 ' +
    'windows1252 windows1253 windows1254 windows1255 windows1256 windows1257 windows1258 ' +
    'windows866 windows874 windows932 windows936 windows949 windows950'
  ).split(' '),
);

interface Checked {
  readonly format: 'text' | 'csv' | 'binary';
  readonly header: boolean | 'match';
  readonly delimiter: string;
  readonly null: string;
  readonly quote: string | undefined;
  readonly escape: string | undefined;
  readonly forceQuote: boolean;
  readonly forceNotNull: readonly string[] | undefined;
  readonly forceNull: readonly string[] | undefined;
}

const oneByte = (s: string): boolean => s.length === 1 && s.charCodeAt(0) < 0x80;

/**
 * The options checked as PostgreSQL 15's ProcessCopyOptions checks them, in its order and
 * with its messages: each option once, known names and values, then the combinations.
 */
function processOptions(options: readonly CopyOption[], from: boolean): Checked {
  let format: 'text' | 'csv' | 'binary' | undefined;
  let freeze: boolean | undefined;
  let header: boolean | 'match' | undefined;
  let delimiter: string | undefined;
  let nullString: string | undefined;
  let quote: string | undefined;
  let escapeString: string | undefined;
  let forceQuote: boolean | undefined;
  let forceNotNull: readonly string[] | undefined;
  let forceNull: readonly string[] | undefined;
  let encoding: string | undefined;
  for (const o of options) {
    const once = (seen: unknown): void => {
      if (seen !== undefined)
        throw new SqlError(SqlState.syntaxError, 'conflicting or redundant options', o.position);
    };
    switch (o.name) {
      case 'format': {
        const name = argString(o);
        once(format);
        if (name === 'text' || name === 'csv' || name === 'binary') format = name;
        else
          throw new SqlError(
            SqlState.invalidParameterValue,
            `COPY format "${name}" not recognized`,
            o.position,
          );
        break;
      }
      case 'freeze':
        once(freeze);
        freeze = argBoolean(o);
        break;
      case 'delimiter':
        once(delimiter);
        delimiter = argString(o);
        break;
      case 'null':
        once(nullString);
        nullString = argString(o);
        break;
      case 'header':
        once(header);
        header = argHeader(o, from);
        break;
      case 'quote':
        once(quote);
        quote = argString(o);
        break;
      case 'escape':
        once(escapeString);
        escapeString = argString(o);
        break;
      case 'force_quote':
        once(forceQuote);
        if (o.arg?.kind !== 'star') columnList(o);
        forceQuote = true;
        break;
      case 'force_not_null':
        once(forceNotNull);
        forceNotNull = columnList(o);
        break;
      case 'force_null':
        once(forceNull);
        forceNull = columnList(o);
        break;
      case 'encoding': {
        once(encoding);
        encoding = argString(o);
        const clean = encoding.toLowerCase().replace(/[^a-z0-9]/g, '');
        if (!ENCODINGS.has(clean))
          throw new SqlError(
            SqlState.invalidParameterValue,
            `argument to option "encoding" must be a valid encoding name`,
            o.position,
          );
        if (clean !== 'utf8' && clean !== 'unicode')
          throw new SqlError(
            SqlState.featureNotSupported,
            `COPY encoding "${encoding}" is not supported: data is read and written as UTF8`,
            o.position,
          );
        break;
      }
      case 'convert_selectively':
        // An option of PostgreSQL's file_fdw, not of SQL.
        throw new SqlError(
          SqlState.featureNotSupported,
          'COPY option "convert_selectively" is not supported',
        );
      default:
        throw new SqlError(SqlState.syntaxError, `option "${o.name}" not recognized`, o.position);
    }
  }
  const fmt = format ?? 'text';
  const csv = fmt === 'csv';
  const binary = fmt === 'binary';
  const invalid = (message: string): SqlError => new SqlError(SqlState.invalidParameterValue, message);
  const unsupported = (message: string): SqlError => new SqlError(SqlState.featureNotSupported, message);
  if (binary && delimiter !== undefined)
    throw new SqlError(SqlState.syntaxError, 'cannot specify DELIMITER in BINARY mode');
  if (binary && nullString !== undefined)
    throw new SqlError(SqlState.syntaxError, 'cannot specify NULL in BINARY mode');
  const delim = delimiter ?? (csv ? ',' : '\t');
  const nul = nullString ?? (csv ? '' : '\\N');
  if (csv) {
    quote ??= '"';
    escapeString ??= quote;
  }
  if (!oneByte(delim)) throw unsupported('COPY delimiter must be a single one-byte character');
  if (delim === '\r' || delim === '\n') throw invalid('COPY delimiter cannot be newline or carriage return');
  if (nul.includes('\r') || nul.includes('\n'))
    throw invalid('COPY null representation cannot use newline or carriage return');
  if (!csv && '\\.abcdefghijklmnopqrstuvwxyz0123456789'.includes(delim))
    throw invalid(`COPY delimiter cannot be "${delim}"`);
  if (binary && header !== undefined && header !== false)
    throw unsupported('cannot specify HEADER in BINARY mode');
  if (!csv && quote !== undefined) throw unsupported('COPY quote available only in CSV mode');
  if (csv && !oneByte(quote as string)) throw unsupported('COPY quote must be a single one-byte character');
  if (csv && delim === quote) throw invalid('COPY delimiter and quote must be different');
  if (!csv && escapeString !== undefined) throw unsupported('COPY escape available only in CSV mode');
  if (csv && !oneByte(escapeString as string))
    throw unsupported('COPY escape must be a single one-byte character');
  if (!csv && forceQuote) throw unsupported('COPY force quote available only in CSV mode');
  if (forceQuote && from) throw unsupported('COPY force quote only available using COPY TO');
  if (!csv && forceNotNull !== undefined) throw unsupported('COPY force not null available only in CSV mode');
  if (forceNotNull !== undefined && !from)
    throw unsupported('COPY force not null only available using COPY FROM');
  if (!csv && forceNull !== undefined) throw unsupported('COPY force null available only in CSV mode');
  if (forceNull !== undefined && !from) throw unsupported('COPY force null only available using COPY FROM');
  if (nul.includes(delim)) throw unsupported('COPY delimiter must not appear in the NULL specification');
  if (csv && nul.includes(quote as string))
    throw unsupported('CSV quote character must not appear in the NULL specification');
  return {
    format: fmt,
    header: header ?? false,
    delimiter: delim,
    null: nul,
    quote,
    escape: escapeString,
    forceQuote: forceQuote === true,
    forceNotNull,
    forceNull,
  };
}

/**
 * The options of a `COPY … FROM`, checked. FREEZE is accepted and changes nothing (it is a
 * hint about storage; tidewatch has no transactions to freeze rows in). Throws SqlError.
 */
export function copyFromFormat(options: readonly CopyOption[]): CopyFromFormat {
  const c = processOptions(options, true);
  return {
    format: c.format,
    header: c.header,
    delimiter: c.delimiter,
    null: c.null,
    quote: c.quote ?? '',
    escape: c.escape ?? '',
    forceNotNull: c.forceNotNull ?? [],
    forceNull: c.forceNull ?? [],
  };
}

/** The options of a `COPY … TO`: PostgreSQL's checks, then what COPY TO STDOUT cannot do yet refused. */
function copyToFormat(options: readonly CopyOption[]): CopyFormat {
  const c = processOptions(options, false);
  if (c.format === 'binary') throw new SqlError(SqlState.featureNotSupported, 'COPY BINARY is not supported');
  for (const o of options)
    if (o.name === 'quote' || o.name === 'escape' || o.name === 'force_quote')
      throw new SqlError(SqlState.featureNotSupported, `COPY option "${o.name}" is not supported`);
  const out: { -readonly [K in keyof CopyFormat]: CopyFormat[K] } = { format: c.format };
  if (options.some((o) => o.name === 'header')) out.header = c.header === true;
  if (options.some((o) => o.name === 'delimiter')) out.delimiter = c.delimiter;
  if (options.some((o) => o.name === 'null')) out.null = c.null;
  return out;
}

function serverFileRefused(from: boolean, program: boolean): SqlError {
  const what = program ? 'a program' : 'a file';
  return new SqlError(
    SqlState.featureNotSupported,
    `COPY ${from ? 'from' : 'to'} ${what} on the server is not supported`,
    undefined,
    {
      hint: `COPY ${from ? 'FROM STDIN' : 'TO STDOUT'} works, and so does psql's \\copy command, which uses it to ${from ? 'read' : 'write'} a file on the client.`,
    },
  );
}

/** `COPY …` recognised; undefined for any other statement. Throws SqlError. */
export function copyCommand(sql: string, tokens: readonly Token[]): CopyCommand | undefined {
  if (tokens[0]?.upper !== 'COPY') return undefined;
  const r = new Reader(sql, tokens);
  r.i = 1;
  const options: CopyOption[] = [];
  let query: { text: string; offset: number } | undefined;
  let table: string[] = [];
  let tableText = '';
  let columns: string[] | undefined;
  let columnsText = '*';
  const first = r.peek;
  if (first?.text === '(') {
    const close = closingParen(tokens, 1);
    if (close < 0) throw syntaxErrorAt(undefined, sql);
    if (close === 2) throw syntaxErrorAt(tokens[2], sql);
    query = { text: textBetween(sql, tokens, 2, close), offset: (tokens[2] as Token).start };
    r.i = close + 1;
  } else {
    const binary = r.accept('BINARY');
    if (binary !== undefined)
      options.push({ name: 'format', arg: string('binary'), position: binary.start + 1 });
    const nameStart = r.i;
    table = [r.name()];
    while (r.accept('.')) table.push(r.name());
    tableText = textBetween(sql, tokens, nameStart, r.i);
    if (r.accept('(')) {
      const listStart = r.i;
      columns = r.nameList();
      columnsText = textBetween(sql, tokens, listStart, r.i);
      r.expect(')');
    }
  }
  const direction = r.peek;
  const from = direction?.upper === 'FROM' && query === undefined;
  if (!from && direction?.upper !== 'TO') throw r.fail();
  r.i++;
  const program = r.accept('PROGRAM') !== undefined;
  const file = r.peek;
  if (file?.kind === 'string') r.i++;
  else if (r.accept('STDIN') === undefined && r.accept('STDOUT') === undefined) throw r.fail();
  if (program && file?.kind !== 'string')
    throw new SqlError(
      SqlState.syntaxError,
      'STDIN/STDOUT not allowed with PROGRAM',
      (file as Token).start + 1,
    );
  if (query === undefined) {
    // [USING] DELIMITERS 'x'
    const using = r.accept('USING');
    const delimiters = r.accept('DELIMITERS');
    if (using !== undefined && delimiters === undefined) throw r.fail();
    if (delimiters !== undefined)
      options.push({ name: 'delimiter', arg: string(r.string()), position: (using ?? delimiters).start + 1 });
  }
  r.accept('WITH');
  if (r.accept('(')) genericOptions(r, options);
  else oldOptions(r, options);
  const where = query === undefined ? r.accept('WHERE') : undefined;
  if (where !== undefined && !from)
    throw new SqlError(SqlState.syntaxError, 'WHERE clause not allowed with COPY TO', where.start + 1);
  if (where === undefined && r.peek !== undefined) throw r.fail();
  if (file?.kind === 'string') throw serverFileRefused(from, program);
  if (where !== undefined)
    throw new SqlError(SqlState.featureNotSupported, 'COPY FROM … WHERE is not supported', where.start + 1);
  if (from) return { kind: 'CopyFrom', table: table.join('.'), columns, options };
  return {
    kind: 'CopyTo',
    query: query?.text ?? `SELECT ${columnsText} FROM ${tableText}`,
    queryOffset: query?.offset,
    copyOut: copyToFormat(options),
  };
}
