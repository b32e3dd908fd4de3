/**
 * A predicate as its conjuncts, and what a join makes of them: equalities across the sides
 * become its keys, conjuncts over one side can filter that side.
 */

import { and, type BoundExpr, columnRef, columnsUsed, mapColumns } from './expr.ts';
import type { Plan } from './plan.ts';

/** The operands of a predicate's ANDs, nested ones flattened. */
export function conjuncts(e: BoundExpr): BoundExpr[] {
  return e.kind === 'And' ? e.args.flatMap(conjuncts) : [e];
}

/** `input` filtered on every one of `conds` (itself when there are none). */
export function filtered(input: Plan, conds: readonly BoundExpr[]): Plan {
  if (conds.length === 0) return input;
  return Object.freeze({ kind: 'Filter', input, predicate: and(conds), columns: input.columns });
}

/**
 * Conjuncts over a join's output (left columns `0…nl-1`, then the right's up to `width`):
 * equalities across the sides as keys of each side, the rest as a residual, and that rest
 * as conjuncts over one side only (the right's shifted to its own columns) or over both.
 */
export function splitJoinCondition(conds: readonly BoundExpr[], nl: number, width: number) {
  const leftKeys: BoundExpr[] = [];
  const rightKeys: BoundExpr[] = [];
  const rest: BoundExpr[] = [];
  /** Conjuncts over one side's columns only (the right's shifted to its own columns). */
  const leftOnly: BoundExpr[] = [];
  const rightOnly: BoundExpr[] = [];
  /** The other conjuncts: over both sides, or over none. */
  const both: BoundExpr[] = [];
  const side = (e: BoundExpr): 'l' | 'r' | 'both' | 'none' => {
    const used = [...columnsUsed(e)];
    if (used.length === 0) return 'none';
    if (used.every((i) => i < nl)) return 'l';
    if (used.every((i) => i >= nl && i < width)) return 'r';
    return 'both';
  };
  const shift = (e: BoundExpr) => mapColumns(e, (c) => columnRef(c.index - nl, c.name, c.type));
  for (const c of conds.flatMap(conjuncts)) {
    if (c.kind === 'Call' && c.fn === '=' && c.args.length === 2) {
      const [a, b] = c.args as [BoundExpr, BoundExpr];
      const sa = side(a);
      const sb = side(b);
      if (sa === 'l' && sb === 'r') {
        leftKeys.push(a);
        rightKeys.push(shift(b));
        continue;
      }
      if (sa === 'r' && sb === 'l') {
        leftKeys.push(b);
        rightKeys.push(shift(a));
        continue;
      }
    }
    rest.push(c);
    const s = side(c);
    if (s === 'l') leftOnly.push(c);
    else if (s === 'r') rightOnly.push(shift(c));
    else both.push(c);
  }
  return {
    leftKeys,
    rightKeys,
    residual: rest.length === 0 ? undefined : and(rest),
    leftOnly,
    rightOnly,
    both,
  };
}
