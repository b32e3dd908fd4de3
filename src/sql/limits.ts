/** Limits both paths — views in the engine, ad-hoc queries in DuckDB — hold to alike. */
import { SqlError, SqlState } from './errors.ts';

/**
 * The longest text `repeat`, `lpad` and `rpad` build, in bytes for repeat and characters for
 * the pads (PostgreSQL's limit is 1 GB, past what a small server can hold for one value):
 * beyond it they fail with 54000 "requested length too large", as PostgreSQL's do past its.
 */
export const MAX_BUILT_TEXT = 64 * 1024 * 1024;

/** Operators one statement may hold: beyond, its tree nests too deep to parse without a gigabyte. */
export const MAX_OPERATORS = 10_000;

/** Parentheses one statement may nest. */
export const MAX_NESTING = 1_000;

const OPERATOR_CHARS = new Set([...'+-*/%^<>=|&~!']);

function tooComplex(what: string): SqlError {
  return new SqlError(SqlState.statementTooComplex, 'statement is too complex', undefined, {
    detail: `More than ${what}.`,
    hint: 'Write it with fewer terms (a long list of values: IN (…) or a table).',
  });
}

/**
 * Refuses (54001) SQL whose expressions nest past what the parser can build a tree of and give
 * the memory back — a 100,000-term `1+1+…` grew the parser's heap by 100 MB for good — judged
 * on its characters (outside quotes and comments), before anything scans or parses it.
 */
export function checkComplexity(sql: string): void {
  let operators = 0;
  let depth = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i] as string;
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      i = end < 0 ? sql.length : end;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === '(') {
      if (++depth > MAX_NESTING) throw tooComplex(`${MAX_NESTING} nested parentheses`);
    } else if (c === ')') depth--;
    else if (c === ';') depth = 0;
    else if (OPERATOR_CHARS.has(c) && ++operators > MAX_OPERATORS)
      throw tooComplex(`${MAX_OPERATORS} operators`);
  }
}
