/**
 * The relations a statement's queries read: an INSERT's query (INSERT … SELECT), the
 * subqueries of an UPDATE's or DELETE's conditions and values, what an EXPLAIN would run —
 * never the name of a statement's target, which is not a query's. Every name counts, even one
 * a CTE of the same name shadows: a privilege check asks for too much rather than too little.
 */
import type { Statement } from './statement.ts';

function collect(node: unknown, out: Set<string>): void {
  if (Array.isArray(node)) {
    for (const n of node) collect(n, out);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    if (key === 'RangeVar' && value !== null && typeof value === 'object') {
      const rv = value as { relname?: string; schemaname?: string };
      if (rv.relname !== undefined && (rv.schemaname === undefined || rv.schemaname === 'public'))
        out.add(rv.relname);
      continue;
    }
    collect(value, out);
  }
}

/** The relation names `s` reads, its target excluded unless it reads it in a subquery. */
export function relationsRead(s: Statement): string[] {
  const out = new Set<string>();
  collect(s, out);
  return [...out];
}
