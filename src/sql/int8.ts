/**
 * bigint (int8) values: exact over the whole 64-bit range.
 *
 * An int8 is a JS `number` while |v| ≤ 2^53 − 1 and a JS `bigint` beyond, and always in that
 * canonical form (never a bigint that fits a safe number), so `===`, `Map` keys, `<` and
 * `valueKey` agree for equal values. Arithmetic takes the number path and falls back to
 * BigInt only when a result leaves the safe range; a result outside int8 raises 22003
 * `bigint out of range`, as PostgreSQL does.
 */
import { SqlError } from './errors.ts';

export type Int8 = number | bigint;

export const INT8_MIN = -(2n ** 63n);
export const INT8_MAX = 2n ** 63n - 1n;
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

export function bigintOutOfRange(): SqlError {
  return new SqlError('22003', 'bigint out of range');
}

/** Whether `b` is within int8. */
export function inInt8(b: bigint): boolean {
  return b >= INT8_MIN && b <= INT8_MAX;
}

/** The canonical int8 of an integer (22003 outside int8). */
export function int8(b: bigint): Int8 {
  if (b >= SAFE_MIN && b <= SAFE_MAX) return Number(b);
  if (b < INT8_MIN || b > INT8_MAX) throw bigintOutOfRange();
  return b;
}

/** The canonical int8 of a number that is an integer but may have left the safe range. */
export function int8OfNumber(n: number): Int8 {
  return Number.isSafeInteger(n) ? n + 0 : int8(BigInt(n));
}

/** An int8 as a bigint. */
export function toBigInt(v: Int8): bigint {
  return typeof v === 'bigint' ? v : BigInt(v);
}

/** `a + b` (22003 outside int8). */
export function addInt8(a: Int8, b: Int8): Int8 {
  if (typeof a === 'number' && typeof b === 'number') {
    const v = a + b;
    if (Number.isSafeInteger(v)) return v;
  }
  return int8(toBigInt(a) + toBigInt(b));
}

export function subInt8(a: Int8, b: Int8): Int8 {
  if (typeof a === 'number' && typeof b === 'number') {
    const v = a - b;
    if (Number.isSafeInteger(v)) return v;
  }
  return int8(toBigInt(a) - toBigInt(b));
}

export function mulInt8(a: Int8, b: Int8): Int8 {
  if (typeof a === 'number' && typeof b === 'number') {
    const v = a * b;
    // A true product within the safe range is exact as a double; one beyond rounds beyond it.
    if (Number.isSafeInteger(v)) return v + 0;
  }
  return int8(toBigInt(a) * toBigInt(b));
}

/** Integer division truncating toward zero (22012 for a zero divisor). */
export function divInt8(a: Int8, b: Int8): Int8 {
  if (b === 0) throw new SqlError('22012', 'division by zero');
  if (typeof a === 'number' && typeof b === 'number') return Math.trunc(a / b) + 0;
  return int8(toBigInt(a) / toBigInt(b));
}

/** Remainder with the dividend's sign (22012 for a zero divisor). */
export function modInt8(a: Int8, b: Int8): Int8 {
  if (b === 0) throw new SqlError('22012', 'division by zero');
  if (typeof a === 'number' && typeof b === 'number') return (a % b) + 0;
  return int8(toBigInt(a) % toBigInt(b));
}

export function negInt8(a: Int8): Int8 {
  return typeof a === 'number' ? -a + 0 : int8(-a);
}

export function absInt8(a: Int8): Int8 {
  return typeof a === 'number' ? Math.abs(a) : int8(a < 0n ? -a : a);
}

export function signInt8(a: Int8): number {
  return a > 0 ? 1 : a < 0 ? -1 : 0;
}

/** Comparison of two int8 values (JS compares a number and a bigint exactly). */
export function compareInt8(a: Int8, b: Int8): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
