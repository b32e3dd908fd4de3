/**
 * Whether a plan's output only ever inserts rows: what reads a source through filters, projections,
 * windows (TUMBLE, HOP), unnest and UNION ALL. A temporal filter (`ts > NOW() - …`) retracts rows
 * as time passes, and joins, aggregates, window functions and top-N update what they emitted.
 * An aggregate over such an input keeps only the extreme of a min/max.
 */
import type { Plan } from '../sql/plan.ts';
import { splitTemporal } from './temporal-filter.ts';

export function insertOnly(p: Plan): boolean {
  switch (p.kind) {
    case 'Scan':
      return p.relationKind === 'source';
    case 'Values':
      return true;
    case 'Filter':
      return splitTemporal(p.predicate).temporal.length === 0 && insertOnly(p.input);
    case 'Project':
    case 'Tumble':
    case 'Hop':
    case 'ProjectSet':
      return insertOnly(p.input);
    case 'UnionAll':
      return p.inputs.every(insertOnly);
    default:
      return false;
  }
}
