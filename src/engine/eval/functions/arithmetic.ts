/**
 * Arithmetic on integers, floats and numeric, with PostgreSQL's errors: integer results out of
 * their type's range → 22003, division or modulo by zero → 22012, float overflow/underflow →
 * 22003, logarithms of zero/negatives → 2201E, bad powers/square roots → 2201F.
 *
 * Integer division truncates toward zero; `%` takes the dividend's sign. `bigint` values must
 * stay in JS's safe-integer range (types.ts): an int8 result beyond ±(2^53−1) raises 22003
 * `bigint out of range` (PostgreSQL raises it only beyond ±2^63).
 */
import { rint } from '../../../sql/interval-arithmetic.ts';
import type { SqlType } from '../../../sql/types.ts';
import { divisionByZero, evalError, floatOverflow, floatUnderflow, outOfRange } from '../errors.ts';
import { decimalsOf, divisionScale, roundNumeric, truncNumeric } from '../numeric.ts';
import { type Kernel, strict } from './kernel.ts';

interface IntRange {
  readonly lo: number;
  readonly hi: number;
  readonly name: string;
}

export const INT_RANGES: Readonly<Record<'int2' | 'int4' | 'int8', IntRange>> = {
  int2: { lo: -32768, hi: 32767, name: 'smallint' },
  int4: { lo: -2147483648, hi: 2147483647, name: 'integer' },
  int8: { lo: Number.MIN_SAFE_INTEGER, hi: Number.MAX_SAFE_INTEGER, name: 'bigint' },
};

function intKernel(op: string, r: IntRange): Kernel | undefined {
  const { lo, hi, name } = r;
  switch (op) {
    case '+':
      return strict((a: number, b: number) => {
        const v = a + b;
        if (v > hi || v < lo) throw outOfRange(name);
        return v;
      });
    case '-':
      return strict((a: number, b: number) => {
        const v = a - b;
        if (v > hi || v < lo) throw outOfRange(name);
        return v;
      });
    case '*':
      return strict((a: number, b: number) => {
        const v = a * b;
        if (v > hi || v < lo) throw outOfRange(name);
        return v + 0;
      });
    case '/':
      return strict((a: number, b: number) => {
        if (b === 0) throw divisionByZero();
        const v = Math.trunc(a / b);
        if (v > hi || v < lo) throw outOfRange(name);
        return v + 0;
      });
    case '%':
    case 'mod':
      return strict((a: number, b: number) => {
        if (b === 0) throw divisionByZero();
        return (a % b) + 0;
      });
    case 'neg':
      return strict((a: number) => {
        const v = -a;
        if (v > hi) throw outOfRange(name);
        return v + 0;
      });
    case 'abs':
      return strict((a: number) => {
        const v = Math.abs(a);
        if (v > hi) throw outOfRange(name);
        return v;
      });
    case 'sign':
      return strict((a: number) => (a > 0 ? 1 : a < 0 ? -1 : 0));
    default:
      return undefined;
  }
}

/** C's rint: round half to even (float8 → int casts and round(float8)). */
export { rint };

function checkFloat(v: number, a: number, b: number, f4: boolean): number {
  const r = f4 ? Math.fround(v) : v;
  if (
    (r === Number.POSITIVE_INFINITY || r === Number.NEGATIVE_INFINITY) &&
    Number.isFinite(a) &&
    Number.isFinite(b)
  )
    throw floatOverflow();
  return r;
}

function floatKernel(op: string, f4: boolean): Kernel | undefined {
  const round = f4 ? Math.fround : (x: number) => x;
  switch (op) {
    case '+':
      return strict((a: number, b: number) => checkFloat(a + b, a, b, f4));
    case '-':
      return strict((a: number, b: number) => checkFloat(a - b, a, b, f4));
    case '*':
      return strict((a: number, b: number) => {
        const r = checkFloat(a * b, a, b, f4);
        if (r === 0 && a !== 0 && b !== 0) throw floatUnderflow();
        return r;
      });
    case '/':
      return strict((a: number, b: number) => {
        if (b === 0 && !Number.isNaN(a)) throw divisionByZero();
        const r = round(a / b);
        if (!Number.isFinite(r) && !Number.isNaN(r) && Number.isFinite(a)) throw floatOverflow();
        if (r === 0 && a !== 0 && Number.isFinite(b)) throw floatUnderflow();
        return r;
      });
    case 'neg':
      return strict((a: number) => -a);
    case 'abs':
      return strict((a: number) => Math.abs(a));
    case 'sign':
      return strict((a: number) => (a > 0 ? 1 : a < 0 ? -1 : 0));
    default:
      return undefined;
  }
}

function numericOverflow(): Error {
  return evalError('22003', 'value overflows numeric format');
}

function checkNumeric(v: number, a: number, b: number): number {
  if (
    (v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY) &&
    Number.isFinite(a) &&
    Number.isFinite(b)
  )
    throw numericOverflow();
  return v;
}

/** numeric x / y, rounded to PostgreSQL's division scale. */
export function numericDivide(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.NaN;
  if (b === 0) throw divisionByZero();
  const q = checkNumeric(a / b, a, 1);
  if (Number.isInteger(q) || !Number.isFinite(q)) return q + 0;
  return roundNumeric(q, divisionScale(a, b, decimalsOf(a), decimalsOf(b)));
}

function numericKernel(op: string): Kernel | undefined {
  switch (op) {
    case '+':
      return strict((a: number, b: number) => {
        const v = checkNumeric(a + b, a, b);
        return Number.isInteger(a) && Number.isInteger(b)
          ? v
          : roundNumeric(v, Math.max(decimalsOf(a), decimalsOf(b)));
      });
    case '-':
      return strict((a: number, b: number) => {
        const v = checkNumeric(a - b, a, b);
        return Number.isInteger(a) && Number.isInteger(b)
          ? v
          : roundNumeric(v, Math.max(decimalsOf(a), decimalsOf(b)));
      });
    case '*':
      return strict((a: number, b: number) => {
        const v = checkNumeric(a * b, a, b);
        return Number.isInteger(a) && Number.isInteger(b)
          ? v + 0
          : roundNumeric(v, decimalsOf(a) + decimalsOf(b));
      });
    case '/':
      return strict(numericDivide);
    case '%':
    case 'mod':
      return strict((a: number, b: number) => {
        if (Number.isNaN(a) || Number.isNaN(b)) return Number.NaN;
        if (b === 0) throw divisionByZero();
        const v = a % b;
        return Number.isInteger(a) && Number.isInteger(b)
          ? v + 0
          : roundNumeric(v, Math.max(decimalsOf(a), decimalsOf(b)));
      });
    case 'neg':
      return strict((a: number) => -a + 0);
    case 'abs':
      return strict((a: number) => Math.abs(a));
    case 'sign':
      return strict((a: number) => (a > 0 ? 1 : a < 0 ? -1 : Number.isNaN(a) ? Number.NaN : 0));
    default:
      return undefined;
  }
}

function checkLog(x: number): void {
  if (x === 0) throw evalError('2201E', 'cannot take logarithm of zero');
  if (x < 0) throw evalError('2201E', 'cannot take logarithm of a negative number');
}

function checkPower(a: number, b: number): void {
  if (a === 0 && b < 0) throw evalError('2201F', 'zero raised to a negative power is undefined');
  if (a < 0 && Math.floor(b) !== b && Number.isFinite(b))
    throw evalError('2201F', 'a negative number raised to a non-integer power yields a complex result');
}

/** C's pow: pow(1, y) = 1 and pow(-1, ±inf) = 1, where JS gives NaN. */
function cpow(a: number, b: number): number {
  if (a === 1 || b === 0) return 1;
  if (a === -1 && !Number.isFinite(b) && !Number.isNaN(b)) return 1;
  return a ** b;
}

function floatMath(fn: string): Kernel | undefined {
  switch (fn) {
    case 'ceil':
      return strict(Math.ceil);
    case 'floor':
      return strict(Math.floor);
    case 'round':
      return strict(rint);
    case 'trunc':
      return strict(Math.trunc);
    case 'sqrt':
      return strict((x: number) => {
        if (x < 0) throw evalError('2201F', 'cannot take square root of a negative number');
        return Math.sqrt(x);
      });
    case 'cbrt':
      return strict(Math.cbrt);
    case 'exp':
      return strict((x: number) => {
        const r = Math.exp(x);
        if (r === Number.POSITIVE_INFINITY && Number.isFinite(x)) throw floatOverflow();
        if (r === 0 && x !== Number.NEGATIVE_INFINITY) throw floatUnderflow();
        return r;
      });
    case 'ln':
      return strict((x: number) => {
        checkLog(x);
        return Math.log(x);
      });
    case 'log':
    case 'log10':
      return strict((x: number) => {
        checkLog(x);
        return Math.log10(x);
      });
    case 'power':
    case '^':
      return strict((a: number, b: number) => {
        checkPower(a, b);
        const r = cpow(a, b);
        if (!Number.isFinite(r) && !Number.isNaN(r) && Number.isFinite(a) && Number.isFinite(b))
          throw floatOverflow();
        if (r === 0 && a !== 0 && Number.isFinite(a) && Number.isFinite(b)) throw floatUnderflow();
        return r;
      });
    default:
      return undefined;
  }
}

function numericMath(fn: string, arity: number): Kernel | undefined {
  switch (fn) {
    case 'ceil':
      return strict((x: number) => Math.ceil(x) + 0);
    case 'floor':
      return strict((x: number) => Math.floor(x) + 0);
    case 'round':
      return arity === 1
        ? strict((x: number) => roundNumeric(x, 0))
        : strict((x: number, s: number) => roundNumeric(x, s));
    case 'trunc':
      return arity === 1
        ? strict((x: number) => Math.trunc(x) + 0)
        : strict((x: number, s: number) => truncNumeric(x, s));
    case 'sqrt':
      return strict((x: number) => {
        if (x < 0) throw evalError('2201F', 'cannot take square root of a negative number');
        return Math.sqrt(x);
      });
    case 'exp':
      return strict((x: number) => checkNumeric(Math.exp(x), x, 0));
    case 'ln':
      return strict((x: number) => {
        checkLog(x);
        return Math.log(x);
      });
    case 'log10':
      return strict((x: number) => {
        checkLog(x);
        return Math.log10(x);
      });
    case 'log':
      return arity === 1
        ? strict((x: number) => {
            checkLog(x);
            return Math.log10(x);
          })
        : strict((b: number, x: number) => {
            checkLog(b);
            checkLog(x);
            if (b === 1) throw divisionByZero();
            return Math.log(x) / Math.log(b);
          });
    case 'power':
    case '^':
      return strict((a: number, b: number) => {
        checkPower(a, b);
        return checkNumeric(cpow(a, b), a, b);
      });
    default:
      return undefined;
  }
}

const binaryOps = new Set(['+', '-', '*', '/', '%', 'mod', 'neg', 'abs', 'sign']);

/** Kernels for arithmetic operators and math functions over numeric types. */
export function arithmeticKernel(fn: string, argTypes: readonly SqlType[]): Kernel | undefined {
  const t = argTypes[0];
  if (t === undefined) return undefined;
  const name = t.name;
  if (binaryOps.has(fn)) {
    if (name === 'int2' || name === 'int4' || name === 'int8') return intKernel(fn, INT_RANGES[name]);
    if (name === 'float4' || name === 'float8') return floatKernel(fn, name === 'float4');
    if (name === 'numeric') return numericKernel(fn);
    return undefined;
  }
  if (name === 'numeric') return numericMath(fn, argTypes.length);
  if (name === 'float8' || name === 'float4') return floatMath(fn);
  return undefined;
}
