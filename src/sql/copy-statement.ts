/**
 * `COPY … TO STDOUT` as psql's `\copy` and drivers send it: `COPY (query) TO STDOUT …` and
 * `COPY table [(columns)] TO STDOUT …`, recognised token by token with PostgreSQL 15's
 * options (`WITH (FORMAT text|csv, HEADER [bool], DELIMITER 'x', NULL 'x')`, or the old
 * `CSV HEADER DELIMITER AS 'x' NULL AS 'x'`). The statement becomes the query whose rows are
 * copied; `COPY table` reads the table's columns as written in the statement.
 */
import { parseSync } from 'libpg-query';
import { SqlError, SqlState } from './errors.ts';
import type { Token } from './tokens.ts';

/** How the rows are written (PostgreSQL's COPY options). */
export interface CopyFormat {
  readonly format: 'text' | 'csv';
  readonly header?: boolean;
  readonly delimiter?: string;
  readonly null?: string;
}

type CopyOptions = { -readonly [K in keyof CopyFormat]: CopyFormat[K] };

export interface CopyCommand {
  /** The query whose rows are copied. */
  readonly query: string;
  /** Offset of `query` in the statement; undefined when the query is made up (`COPY table`). */
  readonly queryOffset: number | undefined;
  readonly copyOut: CopyFormat;
}

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

/** A COPY option's value as written: a string's value, a word or number's text. */
function optionValue(t: Token): string {
  return t.kind === 'string' ? stringValue(t) : t.text;
}

function copyOption(options: CopyOptions, name: string, value: Token | undefined, sql: string): void {
  const word = value === undefined ? undefined : optionValue(value).toLowerCase();
  switch (name) {
    case 'FORMAT':
      if (word === 'text' || word === 'csv') options.format = word;
      else if (word === 'binary')
        throw new SqlError(SqlState.featureNotSupported, 'COPY BINARY is not supported');
      else if (word === undefined) throw syntaxErrorAt(value, sql);
      else throw new SqlError(SqlState.invalidParameterValue, `COPY format "${word}" not recognized`);
      return;
    case 'HEADER':
      if (word === undefined || word === 'true' || word === 'on' || word === '1') options.header = true;
      else if (word === 'false' || word === 'off' || word === '0') options.header = false;
      else if (word === 'match')
        throw new SqlError(SqlState.featureNotSupported, 'cannot use "match" with HEADER in COPY TO');
      else throw new SqlError(SqlState.syntaxError, 'header requires a Boolean value or "match"');
      return;
    case 'DELIMITER':
    case 'NULL':
      if (value?.kind !== 'string') throw syntaxErrorAt(value, sql);
      if (name === 'DELIMITER') options.delimiter = stringValue(value);
      else options.null = stringValue(value);
      return;
    default:
      throw new SqlError(
        SqlState.featureNotSupported,
        `COPY option "${name.toLowerCase()}" is not supported`,
      );
  }
}

/** `COPY … TO STDOUT …` recognised; undefined for any other statement. Throws SqlError. */
export function copyCommand(sql: string, tokens: readonly Token[]): CopyCommand | undefined {
  if (tokens[0]?.upper !== 'COPY') return undefined;
  let i = 1;
  let query: string;
  let queryOffset: number | undefined;
  if (tokens[1]?.text === '(') {
    const close = closingParen(tokens, 1);
    if (close < 0) throw syntaxErrorAt(undefined, sql);
    if (close === 2) throw syntaxErrorAt(tokens[2], sql);
    query = textBetween(sql, tokens, 2, close);
    queryOffset = (tokens[2] as Token).start;
    i = close + 1;
  } else {
    while (i < tokens.length && !['(', 'TO', 'FROM'].includes((tokens[i] as Token).upper)) i++;
    if (i === 1) throw syntaxErrorAt(tokens[1], sql);
    const table = textBetween(sql, tokens, 1, i);
    let columns = '*';
    if (tokens[i]?.text === '(') {
      const close = closingParen(tokens, i);
      if (close < 0) throw syntaxErrorAt(undefined, sql);
      if (close === i + 1) throw syntaxErrorAt(tokens[close], sql);
      columns = textBetween(sql, tokens, i + 1, close);
      i = close + 1;
    }
    query = `SELECT ${columns} FROM ${table}`;
  }
  const direction = tokens[i];
  if (direction?.upper === 'FROM')
    throw new SqlError(
      SqlState.featureNotSupported,
      'COPY FROM is not supported (tidewatch takes input through sources and INSERT)',
    );
  if (direction?.upper !== 'TO') throw syntaxErrorAt(direction, sql);
  if (tokens[i + 1]?.upper !== 'STDOUT')
    throw new SqlError(SqlState.featureNotSupported, 'COPY to a file or program is not supported');
  i += 2;
  if (tokens[i]?.upper === 'WITH') i++;
  const options: CopyOptions = { format: 'text' };
  const seen = new Set<string>();
  const option = (name: Token, value: Token | undefined): void => {
    const key = name.upper === 'CSV' || name.upper === 'BINARY' ? 'FORMAT' : name.upper;
    if (seen.has(key))
      throw new SqlError(SqlState.syntaxError, 'conflicting or redundant options', name.start + 1);
    seen.add(key);
    copyOption(options, key, value, sql);
  };
  if (tokens[i]?.text === '(') {
    // WITH (name [value], …)
    i++;
    for (;;) {
      const name = tokens[i++];
      if (name === undefined || name.kind === 'punct') throw syntaxErrorAt(name, sql);
      const next = tokens[i];
      const value = next === undefined || next.text === ',' || next.text === ')' ? undefined : next;
      if (value !== undefined) i++;
      option(name, value);
      const separator = tokens[i++];
      if (separator?.text === ')') break;
      if (separator?.text !== ',') throw syntaxErrorAt(separator, sql);
    }
  } else {
    // The options before PostgreSQL 9.0: BINARY, CSV, HEADER, DELIMITER [AS] 'x', NULL [AS] 'x'.
    while (i < tokens.length) {
      const name = tokens[i++] as Token;
      if (name.upper === 'CSV' || name.upper === 'BINARY') option(name, { ...name, text: name.upper });
      else if (name.upper === 'HEADER') option(name, undefined);
      else if (name.upper === 'DELIMITER' || name.upper === 'NULL') {
        if (tokens[i]?.upper === 'AS') i++;
        option(name, tokens[i++]);
      } else throw syntaxErrorAt(name, sql);
    }
  }
  if (i < tokens.length) throw syntaxErrorAt(tokens[i], sql);
  return { query, queryOffset, copyOut: options };
}
