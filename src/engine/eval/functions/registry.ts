/**
 * Resolves a bound `Call` (operator symbol or function name, with argument types fixed by
 * the binder) to its kernel. Every operator and function `src/sql/functions.ts` can resolve
 * has an entry here; anything else is 0A000 at compile time, never at run time.
 */
import type { Call } from '../../../sql/expr.ts';
import { formatType, type Interval, type SqlType, type Value } from '../../../sql/types.ts';
import { notSupported } from '../errors.ts';
import { arithmeticKernel } from './arithmetic.ts';
import { arrayKernel, typedArrayKernel } from './array.ts';
import { numericTypmodKernel, varcharTypmodKernel } from './casts.ts';
import { booleanTestKernel, comparisonKernel, distinctKernel, extremeKernel } from './comparison.ts';
import {
  extractField,
  extractNumeric,
  formatTimestampChar,
  MICROS_PER_DAY,
  temporalKernel,
  toTimestamp,
  truncInterval,
  truncTimestamp,
} from './datetime.ts';
import { jsonbKernel } from './jsonb.ts';
import { type Kernel, lenient, strict } from './kernel.ts';
import { patternKernel } from './pattern.ts';
import { textKernel } from './text.ts';
import { formatNumberChar } from './to-char.ts';

export interface EvalOptions {
  /** The clock for now() / current_timestamp / proctime(), in microseconds since the epoch. */
  readonly now?: () => number;
}

const NUMERIC_TYPES = new Set(['int2', 'int4', 'int8', 'numeric', 'float4', 'float8']);

function isNumber(t: SqlType | undefined): boolean {
  return t !== undefined && NUMERIC_TYPES.has(t.name);
}

function clockKernel(fn: string, options: EvalOptions): Kernel | undefined {
  const now = options.now ?? (() => Date.now() * 1000);
  switch (fn) {
    case 'now':
    case 'proctime':
    case 'localtimestamp':
      return lenient(() => now());
    case 'current_date':
      return lenient(() => Math.floor(now() / MICROS_PER_DAY));
    default:
      return undefined;
  }
}

/** Functions whose value changes between calls: never constant-folded. */
export const VOLATILE = new Set(['now', 'proctime', 'localtimestamp', 'current_date']);

function datetimeFunction(fn: string, types: readonly SqlType[]): Kernel | undefined {
  const src = types[1]?.name ?? '';
  switch (fn) {
    case 'date_trunc':
      return src === 'interval'
        ? strict((u: string, iv: Interval) => truncInterval(u, iv))
        : strict((u: string, ts: number) => truncTimestamp(u, ts, src));
    case 'extract':
      return strict((u: string, v: Value) => extractNumeric(u, v, src));
    case 'date_part':
      return strict((u: string, v: Value) => extractField(u, v, src));
    case 'to_timestamp':
      return strict(toTimestamp);
    case 'to_char': {
      const t = types[0]?.name;
      if (t === 'timestamp' || t === 'timestamptz') {
        const zone = t === 'timestamptz';
        return strict((ts: number, f: string) => formatTimestampChar(ts, f, zone));
      }
      if (t === 'date')
        return strict((d: number, f: string) => formatTimestampChar(d * MICROS_PER_DAY, f, false));
      if (isNumber(types[0])) return strict(formatNumberChar);
      return undefined;
    }
    default:
      return undefined;
  }
}

export function resolveKernel(call: Call, options: EvalOptions = {}): Kernel {
  const types = call.args.map((a) => a.type);
  const fn = call.fn;
  const k = find(fn, types, call.type, options);
  if (k === undefined)
    throw notSupported(
      `function ${fn}(${types.map(formatType).join(', ')}) is not supported by the evaluator`,
    );
  return k;
}

function find(
  fn: string,
  types: readonly SqlType[],
  result: SqlType,
  options: EvalOptions,
): Kernel | undefined {
  const t0 = types[0];
  switch (fn) {
    case '=':
    case '<>':
    case '<':
    case '<=':
    case '>':
    case '>=':
      return t0 === undefined ? undefined : comparisonKernel(fn, t0);
    case 'is_distinct_from':
    case 'is_not_distinct_from':
      return t0 === undefined ? undefined : distinctKernel(fn === 'is_not_distinct_from', t0);
    case 'is_true':
    case 'is_not_true':
    case 'is_false':
    case 'is_not_false':
    case 'is_unknown':
    case 'is_not_unknown':
      return booleanTestKernel(fn);
    case '+':
    case '-':
    case '*':
    case '/':
    case '%':
    case 'neg':
      if (isNumber(t0) && (types.length === 1 || isNumber(types[1]))) return arithmeticKernel(fn, types);
      return temporalKernel(fn, types, result);
    case '||':
      if (result.name === 'array')
        return arrayKernel(
          fn,
          types.map((t) => t.name === 'array'),
        );
      return textKernel(fn, types.length);
    case 'greatest':
    case 'least':
      return extremeKernel(fn, result);
    case 'numeric':
      return types.length === 3 ? numericTypmodKernel() : undefined;
    case 'varchar':
      return types.length === 2 ? varcharTypmodKernel() : undefined;
    case 'pg_typeof': {
      const name = t0 === undefined ? 'unknown' : formatType(t0);
      return lenient(() => name);
    }
    default:
      break;
  }
  return (
    clockKernel(fn, options) ??
    datetimeFunction(fn, types) ??
    (isNumber(t0) ? arithmeticKernel(fn === '^' ? 'power' : fn, types) : undefined) ??
    patternKernel(fn, types.length) ??
    typedArrayKernel(fn, types) ??
    jsonbKernel(fn, types) ??
    arrayKernel(
      fn,
      types.map((t) => t.name === 'array'),
    ) ??
    textKernel(fn, types.length)
  );
}
