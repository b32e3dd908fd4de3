/**
 * Bound scalar expressions: the binder's output inside plan nodes. Column references are
 * by index into the input row of the plan node that holds the expression; every node
 * carries its result type; operands already have the types the function expects (the
 * binder inserts `Cast` nodes), so an evaluator never resolves types at run time.
 */
import type { SqlType, Value } from './types.ts';
import { bigintReplacer, T } from './types.ts';

export interface ColumnRef {
  readonly kind: 'ColumnRef';
  readonly index: number;
  /** The column's name, for display. */
  readonly name: string;
  readonly type: SqlType;
}

export interface Literal {
  readonly kind: 'Literal';
  readonly value: Value;
  readonly type: SqlType;
  /** n of the bind parameter `$n` this constant stands for (describing a statement infers its type). */
  readonly param?: number;
}

/**
 * A scalar function or operator, resolved. `fn` is the operator symbol (`+`, `=`, `||`,
 * `~~` for LIKE, `~~*` ILIKE, `~` / `~*` regex, `neg` unary minus) or the function's lower-case name.
 */
export interface Call {
  readonly kind: 'Call';
  readonly fn: string;
  readonly args: readonly BoundExpr[];
  readonly type: SqlType;
}

export interface Cast {
  readonly kind: 'Cast';
  readonly arg: BoundExpr;
  readonly type: SqlType;
}

export interface CaseWhen {
  readonly condition: BoundExpr;
  readonly result: BoundExpr;
}

/** Searched CASE (a simple `CASE x WHEN v …` is bound as `x = v`). */
export interface Case {
  readonly kind: 'Case';
  readonly whens: readonly CaseWhen[];
  readonly else: BoundExpr;
  readonly type: SqlType;
}

export interface And {
  readonly kind: 'And';
  readonly args: readonly BoundExpr[];
  readonly type: SqlType;
}

export interface Or {
  readonly kind: 'Or';
  readonly args: readonly BoundExpr[];
  readonly type: SqlType;
}

export interface Not {
  readonly kind: 'Not';
  readonly arg: BoundExpr;
  readonly type: SqlType;
}

export interface IsNull {
  readonly kind: 'IsNull';
  readonly arg: BoundExpr;
  readonly negated: boolean;
  readonly type: SqlType;
}

/** `IS [NOT] TRUE / FALSE / UNKNOWN` and `IS [NOT] DISTINCT FROM` fold into Call (`is_true`, …). */
export interface InList {
  readonly kind: 'InList';
  readonly arg: BoundExpr;
  readonly list: readonly BoundExpr[];
  readonly negated: boolean;
  readonly type: SqlType;
}

export interface Coalesce {
  readonly kind: 'Coalesce';
  readonly args: readonly BoundExpr[];
  readonly type: SqlType;
}

export interface NullIf {
  readonly kind: 'NullIf';
  readonly left: BoundExpr;
  readonly right: BoundExpr;
  readonly type: SqlType;
}

export type BoundExpr =
  | ColumnRef
  | Literal
  | Call
  | Cast
  | Case
  | And
  | Or
  | Not
  | IsNull
  | InList
  | Coalesce
  | NullIf;

export type BoundExprKind = BoundExpr['kind'];

export function columnRef(index: number, name: string, type: SqlType): ColumnRef {
  return Object.freeze({ kind: 'ColumnRef', index, name, type });
}

export function literal(value: Value, type: SqlType): Literal {
  return Object.freeze({ kind: 'Literal', value, type });
}

export function call(fn: string, args: readonly BoundExpr[], type: SqlType): Call {
  return Object.freeze({ kind: 'Call', fn, args: Object.freeze(args), type });
}

export function cast(arg: BoundExpr, type: SqlType): Cast {
  return Object.freeze({ kind: 'Cast', arg, type });
}

export function and(args: readonly BoundExpr[]): BoundExpr {
  if (args.length === 1) return args[0] as BoundExpr;
  return Object.freeze({ kind: 'And', args: Object.freeze(args), type: T.boolean });
}

export function or(args: readonly BoundExpr[]): BoundExpr {
  if (args.length === 1) return args[0] as BoundExpr;
  return Object.freeze({ kind: 'Or', args: Object.freeze(args), type: T.boolean });
}

export function not(arg: BoundExpr): Not {
  return Object.freeze({ kind: 'Not', arg, type: T.boolean });
}

/** Children of an expression, in evaluation order. */
export function children(e: BoundExpr): readonly BoundExpr[] {
  switch (e.kind) {
    case 'ColumnRef':
    case 'Literal':
      return [];
    case 'Call':
    case 'And':
    case 'Or':
    case 'Coalesce':
      return e.args;
    case 'Cast':
    case 'Not':
    case 'IsNull':
      return [e.arg];
    case 'Case':
      return [...e.whens.flatMap((w) => [w.condition, w.result]), e.else];
    case 'InList':
      return [e.arg, ...e.list];
    case 'NullIf':
      return [e.left, e.right];
    default: {
      const never: never = e;
      return never;
    }
  }
}

/** Rebuilds `e` with every column reference replaced by `f(ref)`. */
export function mapColumns(e: BoundExpr, f: (c: ColumnRef) => BoundExpr): BoundExpr {
  switch (e.kind) {
    case 'ColumnRef':
      return f(e);
    case 'Literal':
      return e;
    case 'Call':
      return Object.freeze({ ...e, args: Object.freeze(e.args.map((a) => mapColumns(a, f))) });
    case 'And':
    case 'Or':
    case 'Coalesce':
      return Object.freeze({ ...e, args: Object.freeze(e.args.map((a) => mapColumns(a, f))) });
    case 'Cast':
    case 'Not':
    case 'IsNull':
      return Object.freeze({ ...e, arg: mapColumns(e.arg, f) });
    case 'Case':
      return Object.freeze({
        ...e,
        whens: Object.freeze(
          e.whens.map((w) =>
            Object.freeze({ condition: mapColumns(w.condition, f), result: mapColumns(w.result, f) }),
          ),
        ),
        else: mapColumns(e.else, f),
      });
    case 'InList':
      return Object.freeze({
        ...e,
        arg: mapColumns(e.arg, f),
        list: Object.freeze(e.list.map((a) => mapColumns(a, f))),
      });
    case 'NullIf':
      return Object.freeze({ ...e, left: mapColumns(e.left, f), right: mapColumns(e.right, f) });
    default: {
      const never: never = e;
      return never;
    }
  }
}

/** The set of input column indexes an expression reads. */
export function columnsUsed(e: BoundExpr, into: Set<number> = new Set()): Set<number> {
  if (e.kind === 'ColumnRef') into.add(e.index);
  else for (const c of children(e)) columnsUsed(c, into);
  return into;
}

/** Structural equality (used to match GROUP BY keys and deduplicate aggregates). */
export function exprEquals(a: BoundExpr, b: BoundExpr): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'ColumnRef':
      return a.index === (b as ColumnRef).index;
    case 'Literal': {
      const bv = (b as Literal).value;
      return (
        a.type.name === b.type.name &&
        JSON.stringify(a.value, bigintReplacer) === JSON.stringify(bv, bigintReplacer)
      );
    }
    case 'Call':
      if (a.fn !== (b as Call).fn) return false;
      break;
    case 'IsNull':
      if (a.negated !== (b as IsNull).negated) return false;
      break;
    case 'InList':
      if (a.negated !== (b as InList).negated) return false;
      break;
    case 'Cast':
      if (a.type.name !== b.type.name) return false;
      break;
    default:
      break;
  }
  const ca = children(a);
  const cb = children(b);
  return ca.length === cb.length && ca.every((c, i) => exprEquals(c, cb[i] as BoundExpr));
}
