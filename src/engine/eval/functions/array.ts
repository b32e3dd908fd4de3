/**
 * Array functions: the ARRAY[…] constructor, `||`, array_length, cardinality, string_to_array,
 * array_append/prepend/cat/remove/position/contains/to_string, subscripts and slices (1-based,
 * NULL or empty outside the array, as PostgreSQL's), and `op ANY/ALL (array)`.
 */
import { checkBuiltLength } from '../../../sql/limits.ts';
import type { SqlType, Value } from '../../../sql/types.ts';
import { formatValue } from '../../../sql/value-text.ts';
import { valuesEqual } from '../../../stream/value.ts';
import { comparisonKernel } from './comparison.ts';
import { type Kernel, lenient, strict, variadic } from './kernel.ts';

type List = readonly Value[];

/** IS NOT DISTINCT FROM between elements (array_position, array_remove). */
function same(a: Value, b: Value): boolean {
  return a === null || b === null ? a === b : valuesEqual(a, b);
}

/** `x op ANY/ALL (a)`: OR / AND of the comparisons, NULL when undecided with NULLs in play. */
export function quantifiedKernel(fn: string, elementType: SqlType): Kernel | undefined {
  const [quantifier, op] = fn.split(' ') as [string, string];
  const cmp = comparisonKernel(op, elementType)?.fn as ((a: Value, b: Value) => boolean) | undefined;
  if (cmp === undefined) return undefined;
  const any = quantifier === 'any';
  return strict((x: Value, a: List) => {
    let unknown = false;
    for (const e of a) {
      if (e === null) {
        unknown = true;
        continue;
      }
      if (cmp(x, e) === any) return any;
    }
    return unknown ? null : !any;
  });
}

function subscript(a: List, i: number): Value {
  return i >= 1 && i <= a.length ? (a[i - 1] as Value) : null;
}

function slice(a: List | null, lo: number | null, hi: number | null): Value {
  if (a === null) return null;
  const from = Math.max(lo ?? 1, 1);
  const to = Math.min(hi ?? a.length, a.length);
  return from > to ? [] : a.slice(from - 1, to);
}

function arrayToString(elementType: SqlType): Kernel {
  return lenient((a: List | null, delim: string | null, nullText?: string | null) => {
    if (a === null || delim === null) return null;
    const parts: string[] = [];
    let length = 0;
    for (const e of a) {
      const part = e !== null ? (formatValue(e, elementType) ?? '') : (nullText ?? undefined);
      if (part === undefined) continue;
      length += part.length + (parts.length > 0 ? delim.length : 0);
      checkBuiltLength(length);
      parts.push(part);
    }
    return parts.join(delim);
  });
}

/** The array functions that need their element type (see arrayKernel for the others). */
export function typedArrayKernel(fn: string, types: readonly SqlType[]): Kernel | undefined {
  const t0 = types[0];
  const element = t0?.name === 'array' ? (t0.element ?? t0) : undefined;
  if (fn.startsWith('any ') || fn.startsWith('all ')) {
    const el = types[1]?.name === 'array' ? types[1].element : undefined;
    return el === undefined ? undefined : quantifiedKernel(fn, el);
  }
  if (fn === 'array_to_string' && element !== undefined) return arrayToString(element);
  return undefined;
}

function splitToArray(s: Value, delim: Value): Value {
  if (s === null) return null;
  const str = s as string;
  if (str === '') return [];
  if (delim === null) return Array.from(str);
  if (delim === '') return [str];
  return str.split(delim as string);
}

/** Two arrays one after the other, within the limit of a built array. */
function concatenated(a: List | null, b: List | null): List | null {
  if (a === null) return b;
  if (b === null) return a;
  checkBuiltLength(a.length + b.length);
  return [...a, ...b];
}

/** `||` over arrays: the binder orders operands as written (array/element on either side). */
function arrayConcat(leftIsArray: boolean, rightIsArray: boolean): Kernel {
  if (leftIsArray && rightIsArray) return lenient(concatenated);
  if (leftIsArray) return lenient((a: List | null, e: Value) => concatenated(a, [e]));
  return lenient((e: Value, b: List | null) => concatenated([e], b));
}

export function arrayKernel(fn: string, argIsArray: readonly boolean[]): Kernel | undefined {
  switch (fn) {
    case 'array':
      return variadic((args) => [...args]);
    case '||':
      return arrayConcat(argIsArray[0] === true, argIsArray[1] === true);
    case 'array_length':
      return strict((a: readonly Value[], dim: number) => (dim === 1 && a.length > 0 ? a.length : null));
    case 'cardinality':
      return strict((a: readonly Value[]) => a.length);
    case 'string_to_array':
      return lenient(splitToArray);
    case 'array_subscript':
      return strict(subscript);
    case 'array_slice':
      return lenient(slice);
    case 'array_append':
      return lenient((a: List | null, e: Value) => concatenated(a, [e]));
    case 'array_prepend':
      return lenient((e: Value, a: List | null) => concatenated([e], a));
    case 'array_cat':
      return lenient(concatenated);
    case 'array_remove':
      return lenient((a: List | null, e: Value) => (a === null ? null : a.filter((x) => !same(x, e))));
    case 'array_position':
      return lenient((a: List | null, e: Value) => {
        if (a === null) return null;
        const i = a.findIndex((x) => same(x, e));
        return i < 0 ? null : i + 1;
      });
    case 'array_contains':
      return strict((a: List, b: List) =>
        b.every((e) => e !== null && a.some((x) => x !== null && valuesEqual(x, e))),
      );
    case 'array_overlap':
      return strict((a: List, b: List) =>
        b.some((e) => e !== null && a.some((x) => x !== null && valuesEqual(x, e))),
      );
    default:
      return undefined;
  }
}
