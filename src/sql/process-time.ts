/**
 * RisingWave's process-time temporal join: `JOIN t FOR SYSTEM_TIME AS OF PROCTIME() ON …`.
 * PostgreSQL's grammar has no such clause, so it is cut out by token before parsing and the
 * relation it followed is remembered: `FOR SYSTEM_TIME AS OF PROCTIME()` right after a
 * relation name (and before its alias). The binder asks `isProcessTime` of a RangeVar.
 */
import type { JoinExpr, Node, RangeVar } from 'libpg-query';
import { notSupported } from './errors.ts';
import { isPunct, isWord } from './risingwave.ts';
import type { Token } from './tokens.ts';

const CLAUSE = ['FOR', 'SYSTEM_TIME', 'AS', 'OF', 'PROCTIME', '(', ')'] as const;

export interface ProcessTimeClauses {
  /** String ranges of the clauses in the scanned text, to blank before parsing. */
  readonly cuts: readonly (readonly [number, number])[];
  /** Where each relation followed by the clause starts in the scanned text. */
  readonly relations: ReadonlySet<number>;
}

function clauseAt(tokens: readonly Token[], i: number): boolean {
  return CLAUSE.every((w, k) =>
    w === '(' || w === ')' ? isPunct(tokens[i + k], w) : isWord(tokens[i + k], w),
  );
}

/** The first token of the (possibly qualified) name that ends right before token `i`. */
function nameStart(tokens: readonly Token[], i: number): number | undefined {
  let j = i - 1;
  const named = (t: Token | undefined) => t !== undefined && (t.kind === 'ident' || t.kind === 'keyword');
  if (!named(tokens[j])) return undefined;
  while (isPunct(tokens[j - 1], '.') && named(tokens[j - 2])) j -= 2;
  return tokens[j]?.start;
}

export function findProcessTimeClauses(tokens: readonly Token[]): ProcessTimeClauses {
  const cuts: [number, number][] = [];
  const relations = new Set<number>();
  for (let i = 0; i < tokens.length; i++) {
    if (!isWord(tokens[i], 'FOR') || !clauseAt(tokens, i)) continue;
    const start = nameStart(tokens, i);
    if (start === undefined) continue;
    relations.add(start);
    cuts.push([(tokens[i] as Token).start, (tokens[i + CLAUSE.length - 1] as Token).end]);
    i += CLAUSE.length - 1;
  }
  return { cuts, relations };
}

const marked = new WeakSet<RangeVar>();

/** Calls `visit` with every object node of a parse tree. */
function eachNode(tree: unknown, visit: (node: Record<string, unknown>) => void): void {
  if (Array.isArray(tree)) {
    for (const n of tree) eachNode(n, visit);
    return;
  }
  if (tree === null || typeof tree !== 'object') return;
  const o = tree as Record<string, unknown>;
  visit(o);
  for (const k in o) if (typeof o[k] === 'object') eachNode(o[k], visit);
}

/** Marks the RangeVars of a parse tree that start at one of `starts` (string indexes). */
export function markProcessTime(tree: Node, starts: ReadonlySet<number>): void {
  if (starts.size === 0) return;
  eachNode(tree, (o) => {
    const rv = o.RangeVar as RangeVar | undefined;
    if (rv !== undefined && starts.has(rv.location ?? -1)) marked.add(rv);
  });
}

/** Whether a FROM item was written `t FOR SYSTEM_TIME AS OF PROCTIME()`. */
export function isProcessTime(rv: RangeVar): boolean {
  return marked.has(rv);
}

/**
 * Throws 0A000 unless every relation at one of `starts` is the right side of an inner or left
 * JOIN (what the binder accepts), for readers of a query that do not bind it.
 */
export function checkProcessTimePlacement(tree: unknown, starts: ReadonlySet<number>, text: string): void {
  if (starts.size === 0) return;
  const placed = new Set<number>();
  eachNode(tree, (o) => {
    const j = o.JoinExpr as JoinExpr | undefined;
    const rv = j?.rarg !== undefined && 'RangeVar' in j.rarg ? j.rarg.RangeVar : undefined;
    const kind = j?.jointype ?? 'JOIN_INNER';
    if (rv !== undefined && (kind === 'JOIN_INNER' || kind === 'JOIN_LEFT')) placed.add(rv.location ?? -1);
  });
  for (const at of starts)
    if (!placed.has(at))
      throw notSupported('FOR SYSTEM_TIME AS OF PROCTIME() but on the right side of an inner or left JOIN', {
        text,
        offset: at,
      });
}
