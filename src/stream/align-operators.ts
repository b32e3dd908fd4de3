/**
 * Which operators of a dataflow built now can take the states a checkpoint saved, when the two
 * were built from the same statements by different code (a binder that now filters one side of
 * a join before it): the operator lists may then differ in places.
 *
 * Both lists are cut into segments, each ending at an operator that ends what one statement
 * added — a view's or table's `Materialize` (`view x`, `table x`) or a source's dataflow
 * source (`x#3`) — as operators are added after their inputs, statement by statement. Segments
 * are paired in order by the relation they end at; a pair whose operators have the same names
 * (a source's number aside) keeps its states, operator by operator. A segment with no equal
 * partner starts empty: the caller rebuilds the view it belongs to. When the relations
 * themselves do not pair up, nothing is kept.
 */

export interface Alignment {
  /** Per operator built now, the index of the saved operator whose state it takes, if any. */
  readonly from: readonly (number | undefined)[];
  /** Per operator built now, the relation its segment ends at (`view x` → `x`). */
  readonly owner: readonly string[];
  /** Relations whose segments start empty, in the order built. */
  readonly unmatched: readonly string[];
}

interface Segment {
  readonly start: number;
  readonly names: readonly string[];
  readonly relation: string;
}

const NUMBERED = /^(.*)#\d+$/;
const ENDS = /^(?:view|table) (.+)$/;

/** A name without a source's number (`values#12` → `values`): numbers follow creation counts. */
function unnumbered(name: string): string {
  return NUMBERED.exec(name)?.[1] ?? name;
}

/** The relation whose statement `name` ends, if it ends one (`sources`: names of sources and tables). */
function relationEnded(name: string, sources: ReadonlySet<string>): string | undefined {
  const end = ENDS.exec(name)?.[1];
  if (end !== undefined) return end;
  const base = NUMBERED.exec(name)?.[1];
  return base !== undefined && sources.has(base) ? base : undefined;
}

function segments(names: readonly string[], sources: ReadonlySet<string>): Segment[] | undefined {
  const out: Segment[] = [];
  let start = 0;
  for (const [i, name] of names.entries()) {
    const relation = relationEnded(name, sources);
    if (relation === undefined) continue;
    out.push({ start, names: names.slice(start, i + 1).map(unnumbered), relation });
    start = i + 1;
  }
  return start === names.length ? out : undefined;
}

/**
 * Pairs the operators `built` (names, in order) with those `saved`; `sources` names the
 * catalog's sources and tables (whose dataflow sources end a segment).
 */
export function alignOperators(
  saved: readonly string[],
  built: readonly string[],
  sources: ReadonlySet<string>,
): Alignment {
  const from: (number | undefined)[] = new Array(built.length).fill(undefined);
  const owner: string[] = new Array(built.length).fill('');
  const now = segments(built, sources) ?? [{ start: 0, names: built, relation: '' }];
  for (const s of now) for (let i = 0; i < s.names.length; i++) owner[s.start + i] = s.relation;
  const before = segments(saved, sources);
  const paired =
    before !== undefined &&
    before.length === now.length &&
    before.every((s, i) => s.relation === now[i]?.relation);
  const unmatched: string[] = [];
  for (const [i, s] of now.entries()) {
    const old = paired ? before[i] : undefined;
    if (
      old === undefined ||
      old.names.length !== s.names.length ||
      old.names.some((n, k) => n !== s.names[k])
    ) {
      unmatched.push(s.relation);
      continue;
    }
    for (let k = 0; k < s.names.length; k++) from[s.start + k] = old.start + k;
  }
  return { from, owner, unmatched };
}
