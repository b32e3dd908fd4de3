/**
 * A column set a plan's output rows are unique on, when the plan says so: an aggregate's
 * group keys or the key of a relation scanned (a table's primary key, a view's own key),
 * carried through projections that keep them, filters, windows, top-N, sorts and limits, and
 * a join's, both sides' keys together (as RisingWave's stream key of a join). A change log uses
 * it to tell an update (a row retracted and one inserted with the same key) from a delete and
 * an insert; a temporal join, to hold one entry per left row.
 */
import type { Plan } from './plan.ts';

/**
 * Output column indexes the rows are unique on; undefined when the plan does not tell.
 * `keyOf` gives the key of a relation a plan scans.
 */
export function uniqueKey(
  plan: Plan,
  keyOf: (relation: string) => readonly number[] | undefined = () => undefined,
): readonly number[] | undefined {
  switch (plan.kind) {
    case 'Scan':
      return keyOf(plan.relation);
    case 'Aggregate':
      return plan.groupKeys.map((_, i) => i);
    case 'Project': {
      const inner = uniqueKey(plan.input, keyOf);
      if (inner === undefined) return undefined;
      const out: number[] = [];
      for (const k of inner) {
        const at = plan.exprs.findIndex((e) => e.kind === 'ColumnRef' && e.index === k);
        if (at < 0) return undefined;
        out.push(at);
      }
      return out;
    }
    // Their output starts with their input's columns.
    case 'Filter':
    case 'Window':
    case 'TopN':
    case 'Sort':
    case 'Limit':
      return uniqueKey(plan.input, keyOf);
    case 'Join': {
      // A pair is one left row and one right row (or one padded with NULLs, once).
      const left = uniqueKey(plan.left, keyOf);
      const right = left === undefined ? undefined : uniqueKey(plan.right, keyOf);
      if (left === undefined || right === undefined) return undefined;
      const width = plan.left.columns.length;
      return [...left, ...right.map((k) => k + width)];
    }
    default:
      return undefined;
  }
}
