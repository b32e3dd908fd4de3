/**
 * The relations a DML statement reads besides its target: those its query (INSERT … SELECT)
 * or its conditions' subqueries name. Every name counts, even one a CTE of the same name
 * shadows: a privilege check asks for too much rather than too little.
 */
import type { Delete, Insert, Update } from './statement.ts';

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
export function relationsRead(s: Insert | Update | Delete): string[] {
  const out = new Set<string>();
  if (s.kind === 'Insert') {
    if (s.values === undefined) collect(s.query.ast, out);
    else for (const row of s.values) for (const e of row) collect(e.ast, out);
  } else {
    if (s.where !== undefined) collect(s.where.ast, out);
    if (s.kind === 'Update') for (const a of s.assignments) collect(a.value.ast, out);
  }
  return [...out];
}
