/**
 * One ad-hoc query, parsed by PostgreSQL's own parser: its tokens (to find the extent of
 * nodes) and its tree with every location turned into a string index of the query text.
 * Anything but one query (SELECT, VALUES, WITH …, TABLE) is refused: the caller sends DDL
 * and DML to the engine.
 */
import { parseSync } from 'libpg-query';
import { SqlError, SqlState } from '../../sql/errors.ts';
import { checkProcessTimePlacement, findProcessTimeClauses } from '../../sql/process-time.ts';
import { findSessionFrames } from '../../sql/session-frames.ts';
import { blank, byteToIndexMap, rethrowParseError, scan, type Token } from '../../sql/tokens.ts';
import { asNode, type Fields } from './pg-tree.ts';

export interface ParsedQuery {
  readonly text: string;
  /** Tokens of the statement (comments dropped), in order. */
  readonly tokens: readonly Token[];
  /** The `SelectStmt` fields of the statement. */
  readonly select: Fields;
  /** String index one past the statement's last token (a trailing `;` excluded). */
  readonly end: number;
}

/** Whether the text holds no statement at all (only comments, blanks or semicolons). */
export function isEmptyQuery(sql: string): boolean {
  return scan(sql).every((t) => t.kind === 'punct' && t.text === ';');
}

function relocate(node: unknown, map: (b: number) => number): void {
  if (Array.isArray(node)) {
    for (const n of node) relocate(n, map);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  for (const k in o) {
    const v = o[k];
    if (typeof v === 'number') {
      if ((k === 'location' || k === 'stmt_location') && v >= 0) o[k] = map(v);
    } else if (typeof v === 'object') relocate(v, map);
  }
}

const statementNames: Readonly<Record<string, string>> = {
  InsertStmt: 'INSERT',
  UpdateStmt: 'UPDATE',
  DeleteStmt: 'DELETE',
  MergeStmt: 'MERGE',
  CreateStmt: 'CREATE TABLE',
  ViewStmt: 'CREATE VIEW',
  CreateTableAsStmt: 'CREATE TABLE AS',
  DropStmt: 'DROP',
  VariableSetStmt: 'SET',
  VariableShowStmt: 'SHOW',
  ExplainStmt: 'EXPLAIN',
  CopyStmt: 'COPY',
  TransactionStmt: 'a transaction statement',
};

/** Parses `sql`, which must hold exactly one query. */
export function parseQuery(written: string): ParsedQuery {
  // A process-time temporal join reads the table as it is now: here, the plain join.
  const scanned = scan(written);
  const clauses = findProcessTimeClauses(scanned);
  const sql = blank(written, clauses.cuts);
  const tokens = clauses.cuts.length === 0 ? scanned : scan(sql);
  const semis = tokens.filter((t) => t.kind === 'punct' && t.text === ';');
  const body = tokens.filter((t) => !(t.kind === 'punct' && t.text === ';'));
  const first = body[0];
  if (first === undefined) throw new SqlError(SqlState.syntaxError, 'empty query');
  const last = body[body.length - 1] as Token;
  const split = semis.find((s) => s.start > first.start && s.start < last.start);
  if (split !== undefined)
    throw new SqlError(
      SqlState.syntaxError,
      'cannot insert multiple commands into a single statement',
      (body.find((t) => t.start > split.start) as Token).start + 1,
    );
  const session = findSessionFrames({ script: sql, tokens })[0];
  if (session !== undefined)
    throw new SqlError(
      SqlState.featureNotSupported,
      'a session frame (SESSION WITH GAP) is supported in materialized views only, not in ad-hoc queries',
      (tokens[session.session] as Token).start + 1,
    );
  const map = byteToIndexMap(sql);
  let result: ReturnType<typeof parseSync>;
  try {
    result = parseSync(sql);
  } catch (e) {
    rethrowParseError(e, sql, 0, map);
  }
  const stmt = result.stmts?.[0]?.stmt;
  relocate(stmt, map);
  checkProcessTimePlacement(stmt, clauses.relations, written);
  const node = asNode(stmt);
  if (node === undefined) throw new SqlError(SqlState.syntaxError, 'empty query');
  if (node.kind !== 'SelectStmt') {
    const what = statementNames[node.kind] ?? node.kind.replace(/Stmt$/, '');
    throw new SqlError(
      SqlState.featureNotSupported,
      `${what} is not a query: only SELECT, VALUES, WITH and TABLE run as ad-hoc SQL`,
      first.start + 1,
    );
  }
  if (node.fields.intoClause !== undefined)
    throw new SqlError(SqlState.featureNotSupported, 'SELECT INTO is not supported', first.start + 1);
  if (node.fields.lockingClause !== undefined)
    throw new SqlError(
      SqlState.featureNotSupported,
      'SELECT … FOR UPDATE/SHARE is not supported',
      first.start + 1,
    );
  return Object.freeze({ text: sql, tokens: body, select: node.fields, end: last.end });
}
