/**
 * Which output columns of a plan carry a watermark — a promise that no future change has a
 * value below it there — and along which columns each operator passes it on. Watermarks start
 * at sources (`WATERMARK FOR col AS …`) and survive only where the promise still holds:
 *
 * | plan            | watermark columns of the output                                          |
 * | --------------- | ------------------------------------------------------------------------ |
 * | Scan            | the relation's (a source's WATERMARK column, a view's derived ones)      |
 * | Filter / Sort   | the input's                                                              |
 * | Project         | plain copies of an input watermark column                               |
 * | Tumble / Hop    | the input's, plus window_start and window_end if the time column has one |
 * | Aggregate       | group keys that are plain input watermark columns                        |
 * | Window / TopN   | partition keys that are plain input watermark columns (rows keep place) |
 * | Join            | equal key pairs whose two columns both carry one (minimum of the sides) |
 * | temporal Join   | the left input's (the right side is a table: a lookup, not a stream)     |
 * | UnionAll        | columns that carry one in every input (minimum of the inputs)            |
 * | Values / Limit  | none                                                                     |
 */
import type { BoundExpr } from '../sql/expr.ts';
import type { Plan } from '../sql/plan.ts';

/** `[input column, output column]` pairs. */
export type ColumnPairs = readonly (readonly [number, number])[];

/** The input column a key expression copies, if it is a plain column reference. */
function copied(e: BoundExpr | undefined): number | undefined {
  return e?.kind === 'ColumnRef' ? e.index : undefined;
}

/** For keys that copy an input watermark column: `[input column, key index]`. */
export function watermarkKeys(keys: readonly BoundExpr[], input: readonly number[]): ColumnPairs {
  const out: [number, number][] = [];
  keys.forEach((k, i) => {
    const c = copied(k);
    if (c !== undefined && input.includes(c)) out.push([c, i]);
  });
  return out;
}

/** Equal join keys whose both sides carry a watermark: `[left column, right column, key index]`. */
export function joinWatermarkKeys(
  p: Extract<Plan, { kind: 'Join' }>,
  left: readonly number[],
  right: readonly number[],
): (readonly [number, number, number])[] {
  const out: [number, number, number][] = [];
  p.leftKeys.forEach((lk, i) => {
    const l = copied(lk);
    const r = copied(p.rightKeys[i]);
    if (l !== undefined && r !== undefined && left.includes(l) && right.includes(r)) out.push([l, r, i]);
  });
  return out;
}

export function planWatermarks(p: Plan, scan: (relation: string) => readonly number[]): number[] {
  const of = (q: Plan) => planWatermarks(q, scan);
  switch (p.kind) {
    case 'Scan':
      return [...scan(p.relation)];
    case 'Values':
    case 'Limit':
      return [];
    case 'Filter':
    case 'Sort':
    case 'ProjectSet':
      return of(p.input);
    case 'Project': {
      const input = of(p.input);
      return watermarkKeys(p.exprs, input).map(([, i]) => i);
    }
    case 'Tumble':
    case 'Hop': {
      const input = of(p.input);
      const width = p.input.columns.length;
      return input.includes(p.timeColumn) ? [...input, width, width + 1] : input;
    }
    case 'Aggregate':
      return watermarkKeys(p.groupKeys, of(p.input)).map(([, i]) => i);
    case 'Window':
    case 'TopN':
      return watermarkKeys(p.partitionBy, of(p.input)).map(([c]) => c);
    case 'Join': {
      if (p.processTime === true) return of(p.left);
      const width = p.left.columns.length;
      return joinWatermarkKeys(p, of(p.left), of(p.right)).flatMap(([l, r]) => [l, width + r]);
    }
    case 'UnionAll': {
      const [first, ...rest] = p.inputs.map(of);
      return (first ?? []).filter((c) => rest.every((cols) => cols.includes(c)));
    }
    default: {
      const never: never = p;
      throw new Error(`plan node ${String(never)}`);
    }
  }
}
