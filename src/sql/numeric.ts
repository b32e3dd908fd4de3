/**
 * numeric values: exact decimals with PostgreSQL 15's display scale, NaN and ±Infinity.
 *
 * A finite numeric is the frozen plain object `{ coef, scale }` standing for coef × 10^−scale:
 * `coef` a bigint holding every digit, `scale` the display scale (digits printed after the
 * decimal point, ≥ 0). `1.50` is `{ coef: 150n, scale: 2 }`, `1.5` is `{ coef: 15n, scale: 1 }`:
 * equal values (they compare and hash alike) that print differently, as in PostgreSQL. The
 * special values carry `special` ('NaN', 'Infinity', '-Infinity') with coef 0n and scale 0.
 * Being plain data (no class), a numeric survives `structuredClone` and `v8.serialize`/
 * `deserialize` (checkpoints, durable logs) unchanged in meaning; `isNumericValue` recognises
 * one by its shape.
 *
 * The operations follow PostgreSQL's numeric.c: add/sub keep the larger scale, mul the sum of
 * the scales, division rounds half away from zero at `selectDivScale` (at least 16
 * significant digits), round/trunc to a given scale, casts to integers round half away from
 * zero. Limits as PostgreSQL's: up to 131072 digits before the decimal point and a display
 * scale up to 16383 (22003 `value overflows numeric format` beyond).
 */
import { SqlError } from './errors.ts';
import { type Int8, int8 } from './int8.ts';

export type NumericSpecial = 'NaN' | 'Infinity' | '-Infinity';

export interface Numeric {
  /** All digits of the value: value = coef × 10^−scale (0n for special values). */
  readonly coef: bigint;
  /** Display scale: the digits printed after the decimal point. */
  readonly scale: number;
  /** Present only for NaN and ±Infinity. */
  readonly special?: NumericSpecial;
}

/** PostgreSQL's NUMERIC_MIN_SIG_DIGITS: division and functions give at least this many. */
export const MIN_SIG_DIGITS = 16;
/** NUMERIC_MAX_DISPLAY_SCALE: the largest scale a division or function chooses. */
export const MAX_DISPLAY_SCALE = 1000;
/** NUMERIC_MAX_RESULT_SCALE: the largest scale round() and trunc() take. */
export const MAX_RESULT_SCALE = 2000;
/** NUMERIC_DSCALE_MAX: the largest display scale a value can have. */
const DSCALE_MAX = 16383;
/** Digits before the decimal point a value can have (base-10000 weight below 32768). */
const MAX_INTEGER_DIGITS = 131072;

export const NUMERIC_NAN: Numeric = Object.freeze({ coef: 0n, scale: 0, special: 'NaN' });
export const NUMERIC_INFINITY: Numeric = Object.freeze({ coef: 0n, scale: 0, special: 'Infinity' });
export const NUMERIC_NEG_INFINITY: Numeric = Object.freeze({ coef: 0n, scale: 0, special: '-Infinity' });
export const NUMERIC_ZERO: Numeric = Object.freeze({ coef: 0n, scale: 0 });

/** A finite numeric (no limit checks: see `checkedNumeric`). */
export function numeric(coef: bigint, scale: number): Numeric {
  return Object.freeze({ coef, scale });
}

export function isNumericValue(v: unknown): v is Numeric {
  return typeof v === 'object' && v !== null && typeof (v as { coef?: unknown }).coef === 'bigint';
}

export function numericSpecial(s: NumericSpecial): Numeric {
  return s === 'NaN' ? NUMERIC_NAN : s === 'Infinity' ? NUMERIC_INFINITY : NUMERIC_NEG_INFINITY;
}

export function isNaNumeric(n: Numeric): boolean {
  return n.special === 'NaN';
}

export function overflow(): SqlError {
  return new SqlError('22003', 'value overflows numeric format');
}

export function divisionByZero(): SqlError {
  return new SqlError('22012', 'division by zero');
}

// ---------------------------------------------------------------------------
// powers of ten and digit counts

const POW10: bigint[] = [1n];

/** 10^n as a bigint (n ≥ 0). */
export function pow10(n: number): bigint {
  if (n < 1100) {
    for (let i = POW10.length; i <= n; i++) POW10.push((POW10[i - 1] as bigint) * 10n);
    return POW10[n] as bigint;
  }
  return 10n ** BigInt(n);
}

function abs(b: bigint): bigint {
  return b < 0n ? -b : b;
}

/** Decimal digits of |b| (1 for 0). */
export function digitCount(b: bigint): number {
  const a = abs(b);
  if (a < 9007199254740992n) {
    const n = Number(a);
    if (n < 10) return 1;
    let d = 1;
    let p = 10;
    while (p <= n) {
      p *= 10;
      d++;
    }
    return d;
  }
  return a.toString().length;
}

/** num / den rounded half away from zero (den ≠ 0). */
export function roundDiv(num: bigint, den: bigint): bigint {
  let n = num;
  let d = den;
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const q = n / d;
  const r = n - q * d;
  if (r === 0n) return q;
  const twice = r < 0n ? -2n * r : 2n * r;
  if (twice >= d) return n < 0n ? q - 1n : q + 1n;
  return q;
}

/** The value with display scale `s`: exact when s ≥ scale, else rounded half away from zero. */
export function withScale(n: Numeric, s: number): Numeric {
  if (n.special !== undefined || s === n.scale) return n;
  if (s > n.scale) return numeric(n.coef * pow10(s - n.scale), s);
  return numeric(roundDiv(n.coef, pow10(n.scale - s)), s);
}

/** coef at scale `s` ≥ n.scale (exact). */
function coefAt(n: Numeric, s: number): bigint {
  return s === n.scale ? n.coef : n.coef * pow10(s - n.scale);
}

/** A finite numeric after PostgreSQL's limits (22003 when the value cannot be stored). */
export function checkedNumeric(coef: bigint, scale: number): Numeric {
  if (scale > DSCALE_MAX) throw overflow();
  if (coef !== 0n && digitCount(coef) - scale > MAX_INTEGER_DIGITS) throw overflow();
  return numeric(coef, scale);
}

// ---------------------------------------------------------------------------
// text

const numberRe = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * The value of text as `formatNumeric` prints it (`-12.50`: optional minus, digits, an
 * optional point and digits, nothing else), without a regular expression: the store's and
 * DuckDB's numeric text is read at this speed; undefined for any other text.
 */
function parsePlain(text: string): Numeric | undefined {
  const n = text.length;
  let i = text.charCodeAt(0) === 45 ? 1 : 0;
  const start = i;
  let point = -1;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (point >= 0) return undefined;
      point = i;
    } else if (c < 48 || c > 57) return undefined;
  }
  if (point === start || point === n - 1 || n === start) return undefined;
  const digits = point < 0 ? text.slice(start) : text.slice(start, point) + text.slice(point + 1);
  const scale = point < 0 ? 0 : n - point - 1;
  if (scale > DSCALE_MAX || digits.length - scale > MAX_INTEGER_DIGITS + 1) return undefined;
  const coef = digits.length < 16 ? BigInt(Number(digits)) : BigInt(digits);
  return numeric(start === 1 ? -coef : coef, scale);
}

/** numeric_in: the value of `text`, or undefined when it is not a number's text. */
export function tryParseNumeric(text: string): Numeric | undefined {
  const plain = parsePlain(text);
  if (plain !== undefined) return plain;
  const s = text.trim();
  const m = numberRe.exec(s);
  if (m === null) {
    const l = s.toLowerCase();
    if (l === 'nan') return NUMERIC_NAN;
    if (l === 'infinity' || l === '+infinity' || l === 'inf' || l === '+inf') return NUMERIC_INFINITY;
    if (l === '-infinity' || l === '-inf') return NUMERIC_NEG_INFINITY;
    return undefined;
  }
  const int = m[2] ?? '';
  const frac = m[3] ?? '';
  if (int === '' && frac === '') return undefined;
  let exp = 0;
  if (m[4] !== undefined) {
    exp = Number(m[4]);
    if (!Number.isSafeInteger(exp) || Math.abs(exp) > 2 * MAX_INTEGER_DIGITS) throw overflow();
  }
  const digits = (int + frac).replace(/^0+(?=\d)/, '');
  const scale = Math.max(0, frac.length - exp);
  if (scale > DSCALE_MAX) throw overflow();
  const nonzero = /[1-9]/.test(digits);
  if (nonzero && digits.length - frac.length + exp > MAX_INTEGER_DIGITS) throw overflow();
  let coef = BigInt(digits === '' ? '0' : digits);
  // digits × 10^(exp − frac.length), at the display scale
  const shift = scale - frac.length + exp;
  if (shift > 0) coef *= pow10(shift);
  if (m[1] === '-') coef = -coef;
  return numeric(coef, scale);
}

export function invalidNumericText(text: string): SqlError {
  return new SqlError('22P02', `invalid input syntax for type numeric: "${text}"`);
}

/** numeric_in: 22P02 for text that is not a number. */
export function parseNumeric(text: string): Numeric {
  const n = tryParseNumeric(text);
  if (n === undefined) throw invalidNumericText(text);
  return n;
}

/** numeric_out: `1.50`, `-0.001`, `NaN`, `Infinity` (never an exponent). */
export function formatNumeric(n: Numeric): string {
  if (n.special !== undefined) return n.special;
  const neg = n.coef < 0n;
  const digits = (neg ? -n.coef : n.coef).toString();
  const sign = neg ? '-' : '';
  const s = n.scale;
  if (s === 0) return sign + digits;
  const padded = digits.length > s ? digits : digits.padStart(s + 1, '0');
  const cut = padded.length - s;
  return `${sign}${padded.slice(0, cut)}.${padded.slice(cut)}`;
}

// ---------------------------------------------------------------------------
// conversions

/** An integer (int2/int4/int8 value) as a numeric of scale 0. */
export function numericFromInteger(v: number | bigint): Numeric {
  return numeric(typeof v === 'bigint' ? v : BigInt(v), 0);
}

/**
 * A double as PostgreSQL's float8_numeric / float4_numeric convert it: printed with `digits`
 * significant digits (15 for double precision, 6 for real) as C's `%g` does (the exact binary
 * value rounded half to even), trailing zeros dropped, then read as numeric text.
 */
export function numericFromFloat(x: number, digits: number): Numeric {
  if (Number.isNaN(x)) return NUMERIC_NAN;
  if (x === Number.POSITIVE_INFINITY) return NUMERIC_INFINITY;
  if (x === Number.NEGATIVE_INFINITY) return NUMERIC_NEG_INFINITY;
  if (x === 0) return NUMERIC_ZERO;
  const exact = exactDecimal(x);
  const extra = exact.digits.length - digits;
  let coef = BigInt(exact.digits);
  let pow = exact.pow;
  if (extra > 0) {
    const p = pow10(extra);
    const q = coef / p;
    const r = coef - q * p;
    const half = p / 2n;
    coef = r > half || (r === half && q % 2n === 1n) ? q + 1n : q;
    pow += extra;
  }
  return fromDigits(exact.neg, coef, pow);
}

/** The decimal a double prints as (shortest round trip): jsonb numbers, parameters. */
export function numericFromShortest(x: number): Numeric {
  if (!Number.isFinite(x) || x === 0) return numericFromFloat(x, 17);
  const text = x.toExponential();
  const e = text.indexOf('e');
  let mant = text.slice(0, e);
  const neg = mant.startsWith('-');
  if (neg) mant = mant.slice(1);
  const digits = mant.replace('.', '');
  return fromDigits(neg, BigInt(digits), Number(text.slice(e + 1)) + 1 - digits.length);
}

/** ±coef × 10^pow with trailing zeros dropped, at scale max(−pow, 0). */
function fromDigits(neg: boolean, coef: bigint, pow: number): Numeric {
  let c = coef;
  let p = pow;
  if (c === 0n) return NUMERIC_ZERO;
  while (p < 0 && c % 10n === 0n) {
    c /= 10n;
    p++;
  }
  if (p > 0) c *= pow10(p);
  return numeric(neg ? -c : c, p < 0 ? -p : 0);
}

/** The exact decimal value of a finite nonzero double: ±digits × 10^pow. */
function exactDecimal(x: number): { neg: boolean; digits: string; pow: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const neg = hi >>> 31 === 1;
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biased === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  // x = mant × 2^exp; for exp < 0, = mant × 5^−exp × 10^exp
  if (exp >= 0) return { neg, digits: (mant << BigInt(exp)).toString(), pow: 0 };
  return { neg, digits: (mant * 5n ** BigInt(-exp)).toString(), pow: exp };
}

/** numeric → double precision (as PostgreSQL reads the numeric's text: correctly rounded). */
export function numericToNumber(n: Numeric): number {
  if (n.special !== undefined)
    return n.special === 'NaN'
      ? Number.NaN
      : n.special === 'Infinity'
        ? Number.POSITIVE_INFINITY
        : Number.NEGATIVE_INFINITY;
  if (n.scale === 0 && n.coef >= -9007199254740991n && n.coef <= 9007199254740991n) return Number(n.coef);
  return Number(n.scale === 0 ? n.coef.toString() : `${n.coef}e-${n.scale}`);
}

/** The value rounded half away from zero to an integer (finite values only). */
export function roundToInteger(n: Numeric): bigint {
  return n.scale === 0 ? n.coef : roundDiv(n.coef, pow10(n.scale));
}

/**
 * numeric → int2/int4/int8: rounded half away from zero, 22003 `<name> out of range` outside
 * [lo, hi], 0A000 for NaN and infinities. Returns the canonical int8 form.
 */
export function numericToInteger(n: Numeric, lo: bigint, hi: bigint, name: string): Int8 {
  if (n.special !== undefined)
    throw new SqlError('0A000', `cannot convert ${n.special === 'NaN' ? 'NaN' : 'infinity'} to ${name}`);
  const r = roundToInteger(n);
  if (r < lo || r > hi) throw new SqlError('22003', `${name} out of range`);
  return int8(r);
}

// ---------------------------------------------------------------------------
// comparison and keys

/** −1, 0 or 1 (0 for zero and NaN). */
export function numericSign(n: Numeric): number {
  if (n.special !== undefined) return n.special === 'Infinity' ? 1 : n.special === '-Infinity' ? -1 : 0;
  return n.coef > 0n ? 1 : n.coef < 0n ? -1 : 0;
}

/** Rank of a special value in PostgreSQL's order: −∞ < finite < +∞ < NaN. */
function specialRank(n: Numeric): number {
  return n.special === undefined ? 0 : n.special === '-Infinity' ? -1 : n.special === 'Infinity' ? 1 : 2;
}

/** PostgreSQL's total order of numerics: by value, NaN above everything and equal to itself. */
export function compareNumeric(a: Numeric, b: Numeric): number {
  if (a.special !== undefined || b.special !== undefined) {
    const ra = specialRank(a);
    const rb = specialRank(b);
    return ra < rb ? -1 : ra > rb ? 1 : 0;
  }
  if (a.scale === b.scale) return a.coef < b.coef ? -1 : a.coef > b.coef ? 1 : 0;
  const sa = a.coef < 0n ? -1 : a.coef > 0n ? 1 : 0;
  const sb = b.coef < 0n ? -1 : b.coef > 0n ? 1 : 0;
  if (sa !== sb) return sa < sb ? -1 : 1;
  const s = Math.max(a.scale, b.scale);
  const x = coefAt(a, s);
  const y = coefAt(b, s);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Same value (1.5 = 1.50; NaN = NaN). */
export function numericEquals(a: Numeric, b: Numeric): boolean {
  if (a.scale === b.scale && a.special === b.special) return a.coef === b.coef;
  return compareNumeric(a, b) === 0;
}

/** Same value and display scale: prints the same. */
export function numericIdentical(a: Numeric, b: Numeric): boolean {
  return a.coef === b.coef && a.scale === b.scale && a.special === b.special;
}

/** The value with trailing fractional zeros dropped (1.50 → 1.5, 2.00 → 2). */
export function normalized(n: Numeric): Numeric {
  if (n.special !== undefined || n.scale === 0) return n;
  let c = n.coef;
  let s = n.scale;
  if (c === 0n) return NUMERIC_ZERO;
  while (s > 0 && c % 10n === 0n) {
    c /= 10n;
    s--;
  }
  return s === n.scale ? n : numeric(c, s);
}

/** A string equal for equal values whatever their scales (`1.5` and `1.50` alike). */
export function numericKey(n: Numeric): string {
  if (n.special !== undefined) return n.special;
  const m = normalized(n);
  return m.scale === 0 ? m.coef.toString() : `${m.coef}e-${m.scale}`;
}

// ---------------------------------------------------------------------------
// arithmetic

function nanIfAny(a: Numeric, b: Numeric): boolean {
  return a.special === 'NaN' || b.special === 'NaN';
}

export function addNumeric(a: Numeric, b: Numeric): Numeric {
  if (a.special !== undefined || b.special !== undefined) {
    if (nanIfAny(a, b)) return NUMERIC_NAN;
    if (a.special !== undefined && b.special !== undefined) return a.special === b.special ? a : NUMERIC_NAN;
    return a.special !== undefined ? a : b;
  }
  if (a.scale === b.scale) return checkedNumeric(a.coef + b.coef, a.scale);
  const s = Math.max(a.scale, b.scale);
  return checkedNumeric(coefAt(a, s) + coefAt(b, s), s);
}

export function negNumeric(a: Numeric): Numeric {
  if (a.special !== undefined)
    return a.special === 'Infinity' ? NUMERIC_NEG_INFINITY : a.special === '-Infinity' ? NUMERIC_INFINITY : a;
  return a.coef === 0n ? a : numeric(-a.coef, a.scale);
}

export function subNumeric(a: Numeric, b: Numeric): Numeric {
  return addNumeric(a, negNumeric(b));
}

export function absNumeric(a: Numeric): Numeric {
  if (a.special === '-Infinity') return NUMERIC_INFINITY;
  return a.coef < 0n ? numeric(-a.coef, a.scale) : a;
}

/** sign(): −1, 0 or 1 as a numeric of scale 0 (NaN for NaN). */
export function signNumeric(a: Numeric): Numeric {
  if (a.special === 'NaN') return NUMERIC_NAN;
  return numeric(BigInt(numericSign(a)), 0);
}

/** Result of ±∞ times or divided by a value of sign `s` (NaN for s = 0). */
function infinityTimes(neg: boolean, s: number): Numeric {
  if (s === 0) return NUMERIC_NAN;
  return neg !== s < 0 ? NUMERIC_NEG_INFINITY : NUMERIC_INFINITY;
}

/** `a * b`: exact, scale a.scale + b.scale (rounded to 16383 beyond it). */
export function mulNumeric(a: Numeric, b: Numeric): Numeric {
  if (a.special !== undefined || b.special !== undefined) {
    if (nanIfAny(a, b)) return NUMERIC_NAN;
    if (a.special !== undefined) return infinityTimes(a.special === '-Infinity', numericSign(b));
    return infinityTimes(b.special === '-Infinity', numericSign(a));
  }
  const s = a.scale + b.scale;
  if (s > DSCALE_MAX) return checkedNumeric(roundDiv(a.coef * b.coef, pow10(s - DSCALE_MAX)), DSCALE_MAX);
  return checkedNumeric(a.coef * b.coef, s);
}

/**
 * Base-10000 weight and leading digits of |n| as PostgreSQL's NumericVar holds them (digits
 * stripped of leading and trailing zero groups): `first` is the leading base-10000 digit (0
 * for zero), `second` the next one, `more` whether nonzero digits follow the first.
 */
export function baseDigits(n: Numeric): { weight: number; first: number; second: number; more: boolean } {
  const c = abs(n.coef);
  if (c === 0n) return { weight: 0, first: 0, second: 0, more: false };
  const dweight = digitCount(c) - 1 - n.scale;
  const weight = Math.floor(dweight / 4);
  // |n| / 10000^weight = c / 10^shift, with 1 ≤ that < 10000
  const shift = n.scale + 4 * weight;
  const group = (k: number): number => {
    const p = shift - 4 * k; // digits of group k (0: the first) end at 10^p of c
    const q = p >= 0 ? c / pow10(p) : c * pow10(-p);
    return Number(q % 10000n);
  };
  const first = group(0);
  const rest = shift > 0 ? c % pow10(shift) : 0n;
  return { weight, first, second: group(1), more: rest !== 0n };
}

/** PostgreSQL's select_div_scale: the display scale of a / b. */
export function selectDivScale(a: Numeric, b: Numeric): number {
  const x = baseDigits(a);
  const y = baseDigits(b);
  let qweight = x.weight - y.weight;
  if (x.first <= y.first) qweight--;
  let rscale = MIN_SIG_DIGITS - qweight * 4;
  rscale = Math.max(rscale, a.scale, b.scale, 0);
  return Math.min(rscale, MAX_DISPLAY_SCALE);
}

/** a / b rounded half away from zero to `rscale` digits after the point (finite, b ≠ 0). */
export function divideAt(a: Numeric, b: Numeric, rscale: number): Numeric {
  // a/b = (a.coef / b.coef) × 10^(b.scale − a.scale); × 10^rscale for the result's coef
  const e = rscale + b.scale - a.scale;
  const q = e >= 0 ? roundDiv(a.coef * pow10(e), b.coef) : roundDiv(a.coef, b.coef * pow10(-e));
  return checkedNumeric(q, rscale);
}

/** a / b truncated toward zero at `rscale` digits (finite, b ≠ 0). */
export function divideTruncAt(a: Numeric, b: Numeric, rscale: number): Numeric {
  const e = rscale + b.scale - a.scale;
  const q = e >= 0 ? (a.coef * pow10(e)) / b.coef : a.coef / (b.coef * pow10(-e));
  return checkedNumeric(q, rscale);
}

/** `a / b` at PostgreSQL's division scale (22012 for a zero divisor). */
export function divNumeric(a: Numeric, b: Numeric): Numeric {
  if (a.special !== undefined || b.special !== undefined) {
    if (nanIfAny(a, b)) return NUMERIC_NAN;
    if (a.special !== undefined) {
      if (b.special !== undefined) return NUMERIC_NAN;
      const s = numericSign(b);
      if (s === 0) throw divisionByZero();
      return infinityTimes(a.special === '-Infinity', s);
    }
    return NUMERIC_ZERO; // finite / ±Infinity
  }
  if (b.coef === 0n) throw divisionByZero();
  return divideAt(a, b, selectDivScale(a, b));
}

/** `a % b`: the remainder of the truncated quotient, scale max(a.scale, b.scale). */
export function modNumeric(a: Numeric, b: Numeric): Numeric {
  if (a.special !== undefined || b.special !== undefined) {
    if (nanIfAny(a, b)) return NUMERIC_NAN;
    if (a.special !== undefined) {
      if (b.special === undefined && b.coef === 0n) throw divisionByZero();
      return NUMERIC_NAN;
    }
    return a; // finite % ±Infinity
  }
  if (b.coef === 0n) throw divisionByZero();
  const s = Math.max(a.scale, b.scale);
  return numeric(coefAt(a, s) % coefAt(b, s), s);
}

/** ⌊√n⌋ of n ≥ 0. */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError('isqrt of a negative number');
  if (n < 4503599627370496n) return BigInt(Math.floor(Math.sqrt(Number(n))));
  // Newton from above, starting at a power of two ≥ √n
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) break;
    x = y;
  }
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}

/** √a of a finite a ≥ 0 rounded half up at rscale digits (correctly rounded). */
export function sqrtAt(a: Numeric, rscale: number): Numeric {
  // √(coef × 10^−s) × 10^rscale = √(coef × 10^(2·rscale − s))
  const e = 2 * rscale - a.scale;
  const n = e >= 0 ? a.coef * pow10(e) : a.coef / pow10(-e);
  let r = isqrt(n);
  if (n - r * r > r) r++;
  return numeric(r, rscale);
}

// ---------------------------------------------------------------------------
// rounding

function clampResultScale(s: number): number {
  return Math.min(Math.max(s, -MAX_RESULT_SCALE), MAX_RESULT_SCALE);
}

/** round(x, s): half away from zero at s digits (s < 0 rounds left of the point); scale max(s, 0). */
export function roundNumeric(a: Numeric, scale = 0): Numeric {
  if (a.special !== undefined) return a;
  const s = clampResultScale(scale);
  if (s >= a.scale) return checkedNumeric(coefAt(a, s), s);
  const q = roundDiv(a.coef, pow10(a.scale - s));
  return s >= 0 ? numeric(q, s) : checkedNumeric(q * pow10(-s), 0);
}

/** trunc(x, s): toward zero at s digits; scale max(s, 0). */
export function truncNumeric(a: Numeric, scale = 0): Numeric {
  if (a.special !== undefined) return a;
  const s = clampResultScale(scale);
  if (s >= a.scale) return checkedNumeric(coefAt(a, s), s);
  const q = a.coef / pow10(a.scale - s);
  return s >= 0 ? numeric(q, s) : numeric(q * pow10(-s), 0);
}

export function ceilNumeric(a: Numeric): Numeric {
  if (a.special !== undefined) return a;
  if (a.scale === 0) return a;
  const p = pow10(a.scale);
  const q = a.coef / p;
  return numeric(a.coef > 0n && q * p !== a.coef ? q + 1n : q, 0);
}

export function floorNumeric(a: Numeric): Numeric {
  if (a.special !== undefined) return a;
  if (a.scale === 0) return a;
  const p = pow10(a.scale);
  const q = a.coef / p;
  return numeric(a.coef < 0n && q * p !== a.coef ? q - 1n : q, 0);
}

/**
 * The length coercion `numeric(p, s)`: rounded to s digits (display scale max(s, 0)); 22003
 * `numeric field overflow` when the rounded value needs more than p − s digits before the
 * point, or is infinite. NaN passes.
 */
export function applyTypmod(a: Numeric, precision: number, scale: number): Numeric {
  if (a.special === 'NaN') return a;
  const fieldOverflow = (detail: string): SqlError =>
    new SqlError('22003', 'numeric field overflow', undefined, { detail });
  if (a.special !== undefined)
    throw fieldOverflow(`A field with precision ${precision}, scale ${scale} cannot hold an infinite value.`);
  const r = roundNumeric(a, scale);
  const maxDigits = precision - scale;
  if (r.coef !== 0n && digitCount(r.coef) - r.scale > maxDigits)
    throw fieldOverflow(
      `A field with precision ${precision}, scale ${scale} must round to an absolute value less than ${maxDigits === 0 ? '1' : `10^${maxDigits}`}.`,
    );
  return r;
}

// ---------------------------------------------------------------------------
// PostgreSQL's binary format (numeric_send / numeric_recv)

const NUMERIC_POS = 0x0000;
const NUMERIC_NEG = 0x4000;
const NUMERIC_NAN_SIGN = 0xc000;
const NUMERIC_PINF = 0xd000;
const NUMERIC_NINF = 0xf000;

export interface NumericBinary {
  /** Base-10000 digits without leading or trailing zero digits. */
  readonly digits: readonly number[];
  readonly weight: number;
  /** 0x0000 positive, 0x4000 negative, 0xC000 NaN, 0xD000 +Infinity, 0xF000 −Infinity. */
  readonly sign: number;
  readonly dscale: number;
}

/** numeric_send's fields. */
export function toBinaryNumeric(n: Numeric): NumericBinary {
  if (n.special !== undefined)
    return {
      digits: [],
      weight: 0,
      sign: n.special === 'NaN' ? NUMERIC_NAN_SIGN : n.special === 'Infinity' ? NUMERIC_PINF : NUMERIC_NINF,
      // PostgreSQL reads the display scale of ±Infinity out of its sign bits (0x1000 >> 7 = 32).
      dscale: n.special === 'NaN' ? 0 : 32,
    };
  const c = abs(n.coef);
  if (c === 0n) return { digits: [], weight: 0, sign: NUMERIC_POS, dscale: n.scale };
  // Align the digits on base-10000 groups: pad the fraction to a multiple of 4 digits.
  const fracPad = (4 - (n.scale % 4)) % 4;
  let text = (c * pow10(fracPad)).toString();
  const fracGroups = (n.scale + fracPad) / 4;
  text = text.padStart(Math.ceil(text.length / 4) * 4, '0');
  const groups: number[] = [];
  for (let i = 0; i < text.length; i += 4) groups.push(Number(text.slice(i, i + 4)));
  let weight = groups.length - fracGroups - 1;
  let start = 0;
  while (start < groups.length && groups[start] === 0) {
    start++;
    weight--;
  }
  let end = groups.length;
  while (end > start && groups[end - 1] === 0) end--;
  return {
    digits: groups.slice(start, end),
    weight,
    sign: n.coef < 0n ? NUMERIC_NEG : NUMERIC_POS,
    dscale: n.scale,
  };
}

/**
 * numeric_recv: the value of the fields at display scale dscale (digits beyond it are
 * truncated, as PostgreSQL does); undefined for a sign that is none of the five.
 */
export function fromBinaryNumeric(b: NumericBinary): Numeric | undefined {
  switch (b.sign) {
    case NUMERIC_NAN_SIGN:
      return NUMERIC_NAN;
    case NUMERIC_PINF:
      return NUMERIC_INFINITY;
    case NUMERIC_NINF:
      return NUMERIC_NEG_INFINITY;
    case NUMERIC_POS:
    case NUMERIC_NEG:
      break;
    default:
      return undefined;
  }
  let c = 0n;
  for (const d of b.digits) c = c * 10000n + BigInt(d);
  // value = c × 10000^(weight − ndigits + 1)
  const e = 4 * (b.weight - b.digits.length + 1);
  const v = e >= 0 ? numeric(c * pow10(e), 0) : numeric(c, -e);
  const r = v.scale > b.dscale ? truncNumeric(v, b.dscale) : withScale(v, b.dscale);
  return checkedNumeric(b.sign === NUMERIC_NEG ? -r.coef : r.coef, r.scale);
}
