/**
 * Words PostgreSQL takes as plain names but DuckDB reserves (`SELECT * FROM
 * duckdb_keywords()` against PostgreSQL's keyword list): where PostgreSQL reads one as a
 * name, the rewriter double-quotes it so that DuckDB does too (`SELECT at FROM events`).
 */
import type { Token } from '../../sql/tokens.ts';

const reservedByDuckDb = new Set([
  'anti',
  'asof',
  'at',
  'by',
  'columns',
  'describe',
  'generated',
  'glob',
  'grouping_id',
  'lambda',
  'map',
  'pivot',
  'pivot_longer',
  'pivot_wider',
  'positional',
  'qualify',
  'semi',
  'show',
  'struct',
  'summarize',
  'try_cast',
  'unpack',
  'unpivot',
]);

/** Whether token `i` is a name to PostgreSQL that DuckDB would read as a keyword. */
export function needsQuotes(tokens: readonly Token[], i: number): boolean {
  const t = tokens[i];
  if (t === undefined || t.quoted || (t.kind !== 'ident' && t.kind !== 'keyword')) return false;
  const word = t.text.toLowerCase();
  if (!reservedByDuckDb.has(word)) return false;
  const next = tokens[i + 1];
  const previous = tokens[i - 1];
  if (next?.kind === 'punct' && next.text === '(') return false;
  if (word === 'at' && (next?.upper === 'TIME' || next?.upper === 'LOCAL')) return false;
  if (word === 'by' && ['GROUP', 'ORDER', 'PARTITION'].includes(previous?.upper ?? '')) return false;
  return true;
}
