/**
 * A resolved scalar function body. The binder has already cast every argument to the type the
 * function expects, so a kernel is a plain JS function over runtime values.
 */
import type { Value } from '../../../sql/types.ts';

export interface Kernel {
  /** Takes the arguments positionally, or one array of them when `variadic`. */
  readonly fn: (...args: never[]) => Value;
  /** PostgreSQL's STRICT: any NULL argument gives NULL without calling `fn`. */
  readonly strict: boolean;
  readonly variadic: boolean;
}

export function strict(fn: (...args: never[]) => Value): Kernel {
  return { fn, strict: true, variadic: false };
}

/** Called with NULLs too (`concat`, `IS DISTINCT FROM`, array `||`). */
export function lenient(fn: (...args: never[]) => Value): Kernel {
  return { fn, strict: false, variadic: false };
}

/** Takes all arguments as one array; never strict (callers that are strict check themselves). */
export function variadic(fn: (args: readonly Value[]) => Value): Kernel {
  return { fn: fn as (...args: never[]) => Value, strict: false, variadic: true };
}
