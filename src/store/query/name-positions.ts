/**
 * Where a column or function name first appears in a parsed query, for error positions.
 */
import type { NamePositions } from './duck-errors.ts';
import { asNode, list, locationOf, namesOf, stringOf } from './pg-tree.ts';

function find(n: unknown, kind: string, name: string): number | undefined {
  if (Array.isArray(n)) {
    let best: number | undefined;
    for (const e of n) {
      const p = find(e, kind, name);
      if (p !== undefined && (best === undefined || p < best)) best = p;
    }
    return best;
  }
  if (n === null || typeof n !== 'object') return undefined;
  const node = asNode(n);
  let best: number | undefined;
  if (node?.kind === kind) {
    const names =
      kind === 'ColumnRef' ? list(node.fields.fields).map(stringOf) : (namesOf(node.fields.funcname) ?? []);
    const loc = locationOf(node.fields);
    if (names[names.length - 1]?.toLowerCase() === name.toLowerCase() && loc >= 0) best = loc + 1;
  }
  for (const v of Object.values(node?.fields ?? n)) {
    if (typeof v !== 'object') continue;
    const p = find(v, kind, name);
    if (p !== undefined && (best === undefined || p < best)) best = p;
  }
  return best;
}

export function namePositions(tree: unknown): NamePositions {
  return {
    column: (name) => find(tree, 'ColumnRef', name),
    func: (name) => find(tree, 'FuncCall', name.replace(/^tw_/, '')),
  };
}
