/** Array functions: the ARRAY[…] constructor, `||`, array_length, cardinality, string_to_array. */
import type { Value } from '../../../sql/types.ts';
import { type Kernel, lenient, strict, variadic } from './kernel.ts';

function splitToArray(s: Value, delim: Value): Value {
  if (s === null) return null;
  const str = s as string;
  if (str === '') return [];
  if (delim === null) return Array.from(str);
  if (delim === '') return [str];
  return str.split(delim as string);
}

/** `||` over arrays: the binder orders operands as written (array/element on either side). */
function arrayConcat(leftIsArray: boolean, rightIsArray: boolean): Kernel {
  if (leftIsArray && rightIsArray)
    return lenient((a: readonly Value[] | null, b: readonly Value[] | null) =>
      a === null ? b : b === null ? a : [...a, ...b],
    );
  if (leftIsArray) return lenient((a: readonly Value[] | null, e: Value) => (a === null ? [e] : [...a, e]));
  return lenient((e: Value, b: readonly Value[] | null) => (b === null ? [e] : [e, ...b]));
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
    default:
      return undefined;
  }
}
