/**
 * Arithmetic on integers, floats and numeric, with PostgreSQL's errors: integer results out of
 * their type's range → 22003, division or modulo by zero → 22012, float overflow/underflow →
 * 22003, logarithms of zero/negatives → 2201E, bad powers/square roots → 2201F.
 *
 * Integer division truncates toward zero; `%` takes the dividend's sign. bigint is exact over
 * its whole range (src/sql/int8.ts: a number while safe, a bigint beyond). numeric is exact
 * with PostgreSQL's display scales (src/sql/numeric.ts; its functions: ../numeric.ts).
 */
import {
  absInt8,
  addInt8,
  divInt8,
  INT8_MAX,
  INT8_MIN,
  type Int8,
  modInt8,
  mulInt8,
  negInt8,
  signInt8,
  subInt8,
} from '../../../sql/int8.ts';
import { rint } from '../../../sql/interval-arithmetic.ts';
import {
  absNumeric,
  addNumeric,
  ceilNumeric,
  divNumeric,
  floorNumeric,
  modNumeric,
  mulNumeric,
  type Numeric,
  negNumeric,
  numeric,
  roundNumeric,
  signNumeric,
  subNumeric,
  truncNumeric,
} from '../../../sql/numeric.ts';
import { expNumeric, lnNumeric, logNumeric, powerNumeric, sqrtNumeric } from '../../../sql/numeric-math.ts';
import type { SqlType } from '../../../sql/types.ts';
import { divisionByZero, evalError, floatOverflow, floatUnderflow, outOfRange } from '../errors.ts';
import { type Kernel, strict } from './kernel.ts';

interface IntRange {
  readonly lo: number;
  readonly hi: number;
  readonly name: string;
}

export const INT_RANGES: Readonly<Record<'int2' | 'int4' | 'int8', IntRange>> = {
  int2: { lo: -32768, hi: 32767, name: 'smallint' },
  int4: { lo: -2147483648, hi: 2147483647, name: 'integer' },
  int8: { lo: Number(INT8_MIN), hi: Number(INT8_MAX), name: 'bigint' },
};

/** The bounds of each integer type as bigints (exact for int8). */
export const INT_BOUNDS: Readonly<Record<'int2' | 'int4' | 'int8', { lo: bigint; hi: bigint }>> = {
  int2: { lo: -32768n, hi: 32767n },
  int4: { lo: -2147483648n, hi: 2147483647n },
  int8: { lo: INT8_MIN, hi: INT8_MAX },
};

function int8Kernel(op: string): Kernel | undefined {
  switch (op) {
    case '+':
      return strict(addInt8);
    case '-':
      return strict(subInt8);
    case '*':
      return strict(mulInt8);
    case '/':
      return strict(divInt8);
    case '%':
    case 'mod':
      return strict(modInt8);
    case 'neg':
      return strict(negInt8);
    case 'abs':
      return strict(absInt8);
    case 'sign':
      return strict((a: Int8) => signInt8(a));
    default:
      return undefined;
  }
}

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

function numericKernel(op: string): Kernel | undefined {
  switch (op) {
    case '+':
      return strict(addNumeric);
    case '-':
      return strict(subNumeric);
    case '*':
      return strict(mulNumeric);
    case '/':
      return strict(divNumeric);
    case '%':
    case 'mod':
      return strict(modNumeric);
    case 'neg':
      return strict(negNumeric);
    case 'abs':
      return strict(absNumeric);
    case 'sign':
      return strict(signNumeric);
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

const TEN = numeric(10n, 0);

function numericMath(fn: string, arity: number): Kernel | undefined {
  switch (fn) {
    case 'ceil':
      return strict(ceilNumeric);
    case 'floor':
      return strict(floorNumeric);
    case 'round':
      return arity === 1
        ? strict((x: Numeric) => roundNumeric(x, 0))
        : strict((x: Numeric, s: number) => roundNumeric(x, s));
    case 'trunc':
      return arity === 1
        ? strict((x: Numeric) => truncNumeric(x, 0))
        : strict((x: Numeric, s: number) => truncNumeric(x, s));
    case 'sqrt':
      return strict(sqrtNumeric);
    case 'exp':
      return strict(expNumeric);
    case 'ln':
      return strict(lnNumeric);
    case 'log10':
      return strict((x: Numeric) => logNumeric(TEN, x));
    case 'log':
      return arity === 1
        ? strict((x: Numeric) => logNumeric(TEN, x))
        : strict((b: Numeric, x: Numeric) => logNumeric(b, x));
    case 'power':
    case '^':
      return strict(powerNumeric);
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
    if (name === 'int8') return int8Kernel(fn);
    if (name === 'int2' || name === 'int4') return intKernel(fn, INT_RANGES[name]);
    if (name === 'float4' || name === 'float8') return floatKernel(fn, name === 'float4');
    if (name === 'numeric') return numericKernel(fn);
    return undefined;
  }
  if (name === 'numeric') return numericMath(fn, argTypes.length);
  if (name === 'float8' || name === 'float4') return floatMath(fn);
  return undefined;
}
