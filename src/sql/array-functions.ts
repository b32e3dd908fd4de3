/**
 * Arrays in expressions: `x op ANY (array)` / `ALL`, subscripts `a[i]` and slices `a[i:j]`,
 * and the array functions RisingWave and PostgreSQL share. The binder types them here; the
 * evaluator's kernels (eval/functions/array.ts) compute them.
 */
import { datatypeMismatch, type Place } from './errors.ts';
import type { BoundExpr } from './expr.ts';
import { arrayOf, commonType, formatType, type SqlType, T } from './types.ts';

function call(fn: string, args: readonly BoundExpr[], type: SqlType): BoundExpr {
  return Object.freeze({ kind: 'Call', fn, args: Object.freeze([...args]), type });
}

function elementOf(t: SqlType): SqlType | undefined {
  return t.name === 'array' ? (t.element ?? T.text) : undefined;
}

type Coerce = (e: BoundExpr, to: SqlType, place: Place | undefined) => BoundExpr;

/**
 * `x op ANY (a)` / `x op ALL (a)`: `op` (a comparison) between x and each element, combined
 * with OR / AND in SQL's three-valued logic. An unknown literal array takes x's type.
 */
export function bindQuantified(
  quantifier: 'any' | 'all',
  op: string,
  x: BoundExpr,
  array: BoundExpr,
  place: Place,
  coerce: Coerce,
): BoundExpr | undefined {
  const arr = array.type.name === 'unknown' ? coerce(array, arrayOf(x.type), place) : array;
  const element = elementOf(arr.type);
  if (element === undefined) return undefined;
  const t = commonType(x.type, element);
  if (t === undefined) return undefined;
  return call(`${quantifier} ${op}`, [coerce(x, t, place), coerce(arr, arrayOf(t), place)], T.boolean);
}

/** `a[i]` (the element type) or `a[lo:hi]` (the array type; a missing bound is NULL). */
export function bindSubscript(
  array: BoundExpr,
  index: { lower: BoundExpr | undefined; upper: BoundExpr | undefined; slice: boolean },
  place: Place,
  coerce: Coerce,
): BoundExpr {
  const element = elementOf(array.type);
  if (element === undefined)
    throw datatypeMismatch(
      `cannot subscript type ${formatType(array.type)} because it does not support subscripting`,
      place,
    );
  const int = (e: BoundExpr | undefined) =>
    e === undefined
      ? Object.freeze({ kind: 'Literal' as const, value: null, type: T.int4 })
      : coerce(e, T.int4, place);
  if (!index.slice) return call('array_subscript', [array, int(index.upper)], element);
  return call('array_slice', [array, int(index.lower), int(index.upper)], array.type);
}

/**
 * The array operators `@>` (contains), `<@` (is contained by) and `&&` (overlaps): both sides
 * arrays of one element type (an unknown literal takes the other's); undefined for other
 * operands. An element is matched by equality, so a NULL element matches nothing.
 */
export function resolveArrayOperator(
  op: string,
  l: BoundExpr,
  r: BoundExpr,
  place: Place | undefined,
  coerce: Coerce,
): BoundExpr | undefined {
  if (op !== '@>' && op !== '<@' && op !== '&&') return undefined;
  if (l.type.name !== 'array' && r.type.name !== 'array') return undefined;
  const t =
    l.type.name === 'unknown' ? r.type : r.type.name === 'unknown' ? l.type : commonType(l.type, r.type);
  if (t?.name !== 'array') return undefined;
  const [a, b] = [coerce(l, t, place), coerce(r, t, place)];
  if (op === '&&') return call('array_overlap', [a, b], T.boolean);
  return call('array_contains', op === '@>' ? [a, b] : [b, a], T.boolean);
}

/** Array functions by name: the call, or undefined when the arguments do not fit. */
export function resolveArrayFunction(
  name: string,
  args: readonly BoundExpr[],
  place: Place | undefined,
  coerce: Coerce,
): BoundExpr | undefined {
  const [a, b, c] = args;
  const el = a === undefined ? undefined : elementOf(a.type);
  switch (name) {
    case 'array_length':
      if (args.length !== 2 || el === undefined || b === undefined) return undefined;
      return call(name, [a as BoundExpr, coerce(b, T.int4, place)], T.int4);
    case 'array_append':
    case 'array_remove':
    case 'array_position':
    case 'array_contains':
      if (args.length !== 2 || el === undefined || b === undefined) return undefined;
      return call(
        name,
        [
          a as BoundExpr,
          name === 'array_contains' ? coerce(b, (a as BoundExpr).type, place) : coerce(b, el, place),
        ],
        name === 'array_position' ? T.int4 : name === 'array_contains' ? T.boolean : (a as BoundExpr).type,
      );
    case 'array_prepend': {
      const be = b === undefined ? undefined : elementOf(b.type);
      if (args.length !== 2 || be === undefined || a === undefined) return undefined;
      return call(name, [coerce(a, be, place), b as BoundExpr], (b as BoundExpr).type);
    }
    case 'array_cat':
      if (args.length !== 2 || el === undefined || b === undefined) return undefined;
      return call(name, [a as BoundExpr, coerce(b, (a as BoundExpr).type, place)], (a as BoundExpr).type);
    case 'array_to_string':
      if (el === undefined || b === undefined || args.length > 3) return undefined;
      return call(
        name,
        [a as BoundExpr, coerce(b, T.text, place), ...(c === undefined ? [] : [coerce(c, T.text, place)])],
        T.text,
      );
    default:
      return undefined;
  }
}
