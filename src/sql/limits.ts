/**
 * Limits both paths — views in the engine, ad-hoc queries in DuckDB — hold to alike. The two
 * sizes are the server's (`--max-text-size`, `--query-memory-limit`), set once at its start
 * by `setLimits`; everything else reads them through `limits()`.
 */
import { SqlError, SqlState } from './errors.ts';

export interface Limits {
  /**
   * The longest text or array a function builds (`repeat`, the pads, `||`, `concat`,
   * `string_agg`, `array_agg`, jsonb's builders…): bytes of text, elements of an array.
   * PostgreSQL's is 1 GB, past what a small server can hold for one value; beyond it they
   * fail with 54000 "requested length too large", as PostgreSQL's do past its.
   */
  readonly maxTextBytes: number;
  /** What one ad-hoc query may hold: parsing it, DuckDB's work on it and its result rows (53200 beyond). */
  readonly queryMemoryBytes: number;
}

export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxTextBytes: 64 * 1024 * 1024,
  queryMemoryBytes: 256 * 1024 * 1024,
});

let current: Limits = DEFAULT_LIMITS;

/** The server's limits (the defaults until `setLimits`). */
export function limits(): Limits {
  return current;
}

/** Sets the server's limits; what is not given keeps its default. */
export function setLimits(next: Partial<Limits>): void {
  current = Object.freeze({ ...DEFAULT_LIMITS, ...next });
}

/** Operators one statement may hold: beyond, its tree nests too deep to parse without a gigabyte. */
export const MAX_OPERATORS = 10_000;

/** Parentheses one statement may nest. */
export const MAX_NESTING = 1_000;

/**
 * What scanning and parsing cost per token, both parsers together (PostgreSQL's, whose
 * WebAssembly heap grows for good, and DuckDB's): a 700,000-item `IN` list (1.4 M tokens)
 * took the server from 230 MB to 1.6 GB.
 */
export const PARSE_BYTES_PER_TOKEN = 1000;

const OPERATOR_CHARS = new Set([...'+-*/%^<>=|&~!']);

/** A character of a word or a number: ASCII letters and digits, `_`, `$`, and anything past ASCII. */
function isWordChar(code: number): boolean {
  return (
    (code >= 97 && code <= 122) ||
    (code >= 65 && code <= 90) ||
    (code >= 48 && code <= 57) ||
    code === 95 ||
    code === 36 ||
    code > 127
  );
}

function tooComplex(what: string): SqlError {
  return new SqlError(SqlState.statementTooComplex, 'statement is too complex', undefined, {
    detail: `More than ${what}.`,
    hint: 'Write it with fewer terms (a long list of values: IN (…) or a table).',
  });
}

/** 54000 "requested length too large", for a text or array past `maxTextBytes`. */
export function tooLarge(): SqlError {
  return new SqlError(SqlState.programLimitExceeded, 'requested length too large', undefined, {
    detail: `Texts and arrays are limited to ${limits().maxTextBytes} bytes or elements (--max-text-size).`,
  });
}

/** Throws 54000 when a text of `length` characters or an array of `length` elements would be past `maxTextBytes`. */
export function checkBuiltLength(length: number): void {
  if (length > limits().maxTextBytes) throw tooLarge();
}

/** 53200 for a query that would hold more than `queryMemoryBytes`; `need` says what. */
export function outOfQueryMemory(need: string): SqlError {
  return new SqlError(SqlState.outOfMemory, 'out of memory', undefined, {
    detail: `${need} needs more than the ${formatMiB(limits().queryMemoryBytes)} a query may use (--query-memory-limit).`,
  });
}

function formatMiB(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MiB`;
}

/**
 * Refuses SQL whose parsing alone could not be given back, judged on its characters (outside
 * quotes and comments) before anything scans or parses it: expressions nested past what the
 * parser can build a tree of (54001 — a 100,000-term `1+1+…` grew the parser's heap by 100 MB
 * for good), and more tokens than the query memory limit pays for (53200).
 */
export function checkComplexity(sql: string): void {
  let operators = 0;
  let depth = 0;
  let tokens = 0;
  let inWord = false;
  for (let i = 0; i < sql.length; i++) {
    const code = sql.charCodeAt(i);
    const word = isWordChar(code);
    if (word && !inWord) tokens++;
    inWord = word;
    if (word || code <= 32) continue;
    const c = sql[i] as string;
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      i = end < 0 ? sql.length : end;
      tokens++;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 1;
    } else {
      tokens++;
      if (c === '(') {
        if (++depth > MAX_NESTING) throw tooComplex(`${MAX_NESTING} nested parentheses`);
      } else if (c === ')') depth--;
      else if (c === ';') depth = 0;
      else if (OPERATOR_CHARS.has(c) && ++operators > MAX_OPERATORS)
        throw tooComplex(`${MAX_OPERATORS} operators`);
    }
  }
  if (tokens * PARSE_BYTES_PER_TOKEN > limits().queryMemoryBytes)
    throw outOfQueryMemory(`Parsing a statement of ${tokens} tokens`);
}
