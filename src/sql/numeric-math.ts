/**
 * numeric's mathematical functions — sqrt, exp, ln, log, power — with PostgreSQL 15's result
 * scales (numeric.c: at least 16 significant digits and never fewer decimals than the
 * arguments' display scales), its special values and errors. Values are exact decimals
 * (numeric.ts); the functions compute in BigInt fixed point with guard digits and
 * round the result half away from zero at the chosen scale, so they agree with PostgreSQL
 * to the last printed digit (short of a true value within 10^-20 of a rounding boundary).
 */

import { SqlError } from './errors.ts';
import {
  baseDigits,
  checkedNumeric,
  digitCount,
  divideAt,
  divisionByZero,
  isqrt,
  MAX_DISPLAY_SCALE,
  MIN_SIG_DIGITS,
  mulNumeric,
  NUMERIC_INFINITY,
  NUMERIC_NAN,
  NUMERIC_NEG_INFINITY,
  NUMERIC_ZERO,
  type Numeric,
  numeric,
  numericSign,
  numericToNumber,
  overflow,
  pow10,
  roundDiv,
  sqrtAt,
  withScale,
} from './numeric.ts';

const GUARD = 12;

function mathError(sqlstate: string, message: string): SqlError {
  return new SqlError(sqlstate, message);
}
/**
 * The constants PostgreSQL estimates result scales with (numeric.c), not Math.LN10 and
 * Math.LOG10E: a product truncated to an integer must land where PostgreSQL's lands.
 */
// biome-ignore lint/suspicious/noApproximativeNumericConstant: PostgreSQL's own value
const PG_LN10 = 2.302585092994046;
// biome-ignore lint/suspicious/noApproximativeNumericConstant: PostgreSQL's own value
const PG_LOG10E = 0.434294481903252;
/** Beyond this many digits an integer power is computed in fixed point, not exactly. */
const EXACT_POWER_DIGITS = 20_000;

function clampScale(s: number): number {
  return Math.min(Math.max(s, 0), MAX_DISPLAY_SCALE);
}

// ---------------------------------------------------------------------------
// fixed point: an integer X standing for X × 10^−p

/** x (fixed point at p) as a fixed-point value at q. */
function rescaleFixed(x: bigint, p: number, q: number): bigint {
  return q >= p ? x * pow10(q - p) : roundDiv(x, pow10(p - q));
}

/** A numeric as fixed point at p (rounded). */
function toFixed(n: Numeric, p: number): bigint {
  return rescaleFixed(n.coef, n.scale, p);
}

/** 2·atanh(1/k) at precision p: Σ 2/((2i+1)·k^(2i+1)). */
function twoAtanhInverse(k: bigint, p: number): bigint {
  const one = pow10(p);
  const k2 = k * k;
  let power = one / k;
  let sum = 0n;
  for (let i = 1n; power !== 0n; i += 2n) {
    sum += power / i;
    power /= k2;
  }
  return 2n * sum;
}

const lnCache = new Map<number, bigint>();

/** ln 10 at precision p: 3·ln 2 + ln 1.25, with ln 2 = 2·atanh(1/3) and ln 1.25 = 2·atanh(1/9). */
function ln10(p: number): bigint {
  const cached = lnCache.get(p);
  if (cached !== undefined) return cached;
  const q = p + 5;
  const v = roundDiv(3n * twoAtanhInverse(3n, q) + twoAtanhInverse(9n, q), pow10(5));
  if (lnCache.size > 64) lnCache.clear();
  lnCache.set(p, v);
  return v;
}

/** ln(c × 10^−s) for c > 0, in fixed point at p. */
function lnFixed(c: bigint, s: number, p: number): bigint {
  const q = p + 8;
  const one = pow10(q);
  // c × 10^−s = m × 10^k with m in [1, 10); m in fixed point at q
  const d = digitCount(c);
  const k = d - 1 - s;
  const shift = q - (d - 1);
  let m = shift >= 0 ? c * pow10(shift) : roundDiv(c, pow10(-shift));
  // square roots until m is within 1.01 of 1: ln m = 2^j · ln m^(1/2^j)
  let j = 0;
  const near = one + one / 100n;
  while (m > near) {
    m = isqrt(m * one);
    j++;
  }
  // ln m = 2·atanh(t), t = (m − 1)/(m + 1)
  const t = roundDiv((m - one) * one, m + one);
  const t2 = roundDiv(t * t, one);
  let term = t;
  let sum = 0n;
  for (let i = 1n; term !== 0n; i += 2n) {
    sum += term / i;
    term = roundDiv(term * t2, one);
  }
  const lnM = 2n * sum * (1n << BigInt(j));
  return roundDiv(lnM + BigInt(k) * ln10(q), pow10(q - p));
}

/** e^y of a fixed-point y at p with |y| ≤ 3, in fixed point at p. */
function expSmall(y: bigint, p: number): bigint {
  const k = 10;
  const q = p + k + 4;
  const one = pow10(q);
  const r = rescaleFixed(y, p, q) >> BigInt(k); // y / 2^k
  // Taylor series of e^r
  let term = one;
  let sum = one;
  for (let i = 1n; term !== 0n; i++) {
    term = roundDiv(term * r, one * i);
    sum += term;
  }
  for (let i = 0; i < k; i++) sum = roundDiv(sum * sum, one);
  return rescaleFixed(sum, q, p);
}

/**
 * e^x rounded to rscale (x finite). The result is 10^n · e^(x − n·ln 10) with n = ⌊x / ln 10⌉,
 * so e^(…) needs rscale + n digits after the point.
 */
function expAt(x: Numeric, rscale: number): Numeric {
  const n = Math.round(numericToNumber(x) / Math.LN10);
  const p = Math.max(rscale + n, 0) + GUARD;
  const wp = p + digitCount(BigInt(Math.abs(n))) + 2;
  const y = rescaleFixed(toFixed(x, wp) - BigInt(n) * ln10(wp), wp, p);
  const e = expSmall(y, p); // e^y at p; the result is e × 10^(n − p)
  const shift = n - p + rscale;
  const coef = shift >= 0 ? e * pow10(shift) : roundDiv(e, pow10(-shift));
  return checkedNumeric(coef, rscale);
}

// ---------------------------------------------------------------------------
// scales

/** PostgreSQL's estimate_ln_dweight: the decimal weight of ln(x) for x > 0. */
function estimateLnDweight(x: Numeric): number {
  if (numericSign(x) <= 0) return 0;
  const v = numericToNumber(x);
  if (v >= 0.9 && v <= 1.1 && compareAt(x, 9n, 1) >= 0 && compareAt(x, 11n, 1) <= 0) {
    // ln(1 + d) ≈ d: the weight of d = x − 1
    const d = numeric(x.coef - pow10(x.scale), x.scale);
    if (d.coef === 0n) return 0;
    const { weight, first } = baseDigits(d);
    return weight * 4 + Math.trunc(Math.log10(first));
  }
  const { weight, first, second, more } = baseDigits(x);
  let digits = first;
  let dweight = weight * 4;
  if (more) {
    digits = first * 10000 + second;
    dweight -= 4;
  }
  const ln = Math.log(digits) + dweight * PG_LN10;
  return Math.trunc(Math.log10(Math.abs(ln)));
}

/** Compares x with c × 10^−s. */
function compareAt(x: Numeric, c: bigint, s: number): number {
  const m = Math.max(x.scale, s);
  const a = x.coef * pow10(m - x.scale);
  const b = c * pow10(m - s);
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------
// the functions

function specialArgument(x: Numeric): boolean {
  return x.special !== undefined;
}

/** sqrt(x): 2201F for x < 0; scale from the weight of x (numeric_sqrt). */
export function sqrtNumeric(x: Numeric): Numeric {
  if (numericSign(x) < 0) throw mathError('2201F', 'cannot take square root of a negative number');
  if (specialArgument(x)) return x;
  const { weight } = baseDigits(x);
  const sweight = Math.trunc(((weight + 1) * 4) / 2) - 1;
  return sqrtAt(x, clampScale(Math.max(MIN_SIG_DIGITS - sweight, x.scale)));
}

/** exp(x) (numeric_exp); 22003 beyond e^6000. */
export function expNumeric(x: Numeric): Numeric {
  if (x.special !== undefined) return x.special === '-Infinity' ? NUMERIC_ZERO : x;
  const v = numericToNumber(x);
  const w = Math.min(Math.max(v * PG_LOG10E, -2000), 2000);
  const rscale = clampScale(Math.max(MIN_SIG_DIGITS - Math.trunc(w), x.scale));
  if (Math.abs(v) >= 6000) {
    if (v > 0) throw overflow();
    return numeric(0n, rscale);
  }
  return expAt(x, rscale);
}

function checkLog(x: Numeric): void {
  const s = numericSign(x);
  if (x.special === 'NaN') return;
  if (s === 0) throw mathError('2201E', 'cannot take logarithm of zero');
  if (s < 0) throw mathError('2201E', 'cannot take logarithm of a negative number');
}

/** ln(x) of a finite positive x at rscale. */
function lnAt(x: Numeric, rscale: number): Numeric {
  const p = rscale + GUARD;
  return checkedNumeric(rescaleFixed(lnFixed(x.coef, x.scale, p), p, rscale), rscale);
}

/** ln(x) (numeric_ln). */
export function lnNumeric(x: Numeric): Numeric {
  checkLog(x);
  if (x.special !== undefined) return x;
  const rscale = clampScale(Math.max(MIN_SIG_DIGITS - estimateLnDweight(x), x.scale));
  return lnAt(x, rscale);
}

/** log(base, x) (numeric_log / log_var); log(x) and log10(x) are log(10, x). */
export function logNumeric(base: Numeric, x: Numeric): Numeric {
  if (base.special !== undefined || x.special !== undefined) {
    if (base.special === 'NaN' || x.special === 'NaN') return NUMERIC_NAN;
    const sb = numericSign(base);
    const sx = numericSign(x);
    if (sb < 0 || sx < 0) throw mathError('2201E', 'cannot take logarithm of a negative number');
    if (sb === 0 || sx === 0) throw mathError('2201E', 'cannot take logarithm of zero');
    if (base.special === 'Infinity') return x.special === 'Infinity' ? NUMERIC_NAN : NUMERIC_ZERO;
    return NUMERIC_INFINITY;
  }
  checkLog(base);
  checkLog(x);
  const resultDweight = estimateLnDweight(x) - estimateLnDweight(base);
  const rscale = clampScale(Math.max(MIN_SIG_DIGITS - resultDweight, base.scale, x.scale));
  // enough digits of both logarithms for rscale digits of their quotient
  const p = rscale + GUARD + Math.max(0, estimateLnDweight(x)) + Math.max(0, -estimateLnDweight(base));
  const lb = lnFixed(base.coef, base.scale, p);
  const lx = lnFixed(x.coef, x.scale, p);
  if (lb === 0n) throw divisionByZero();
  return divideAt(numeric(lx, p), numeric(lb, p), rscale);
}

/** Whether a finite numeric is an integer. */
function isInteger(n: Numeric): boolean {
  return n.scale === 0 || n.coef % pow10(n.scale) === 0n;
}

function powerSpecial(x: Numeric, y: Numeric): Numeric {
  const sx = numericSign(x);
  const sy = numericSign(y);
  if (y.special !== undefined) {
    // |x| against 1
    const ax = x.special !== undefined ? 1 : compareAt(x.coef < 0n ? numeric(-x.coef, x.scale) : x, 1n, 0);
    if (ax === 0) return numeric(1n, 0);
    if (y.special === 'Infinity') return ax < 0 ? NUMERIC_ZERO : NUMERIC_INFINITY;
    if (sx === 0) throw mathError('2201F', 'zero raised to a negative power is undefined');
    return ax < 0 ? NUMERIC_INFINITY : NUMERIC_ZERO;
  }
  // x is ±Infinity, y finite and nonzero
  if (x.special === 'Infinity') return sy < 0 ? NUMERIC_ZERO : NUMERIC_INFINITY;
  if (!isInteger(y))
    throw mathError('2201F', 'a negative number raised to a non-integer power yields a complex result');
  if (sy < 0) return NUMERIC_ZERO;
  const odd = (y.coef / pow10(y.scale)) % 2n !== 0n;
  return odd ? NUMERIC_NEG_INFINITY : NUMERIC_INFINITY;
}

/** x ^ n for an integer n at rscale (power_var_int). */
function powerInt(x: Numeric, n: bigint, rscale: number): Numeric {
  if (n === 0n) return numeric(pow10(rscale), rscale);
  if (n === 1n) return withScale(x, rscale);
  if (x.coef === 0n) {
    if (n < 0n) throw divisionByZero();
    return numeric(0n, rscale);
  }
  const e = n < 0n ? -n : n;
  // estimated decimal weight of the result
  const f = Number(n) * log10Abs(x);
  if (f > 131072 + 16) throw overflow();
  if (f + 1 < -rscale || f + 1 < -MAX_DISPLAY_SCALE) return numeric(0n, rscale);
  const size = Number(e) * digitCount(x.coef);
  if (size <= EXACT_POWER_DIGITS) {
    const p = numeric(x.coef ** e, x.scale * Number(e));
    if (n < 0n) return divideAt(numeric(1n, 0), p, rscale);
    return checkedNumeric(withScale(p, rscale).coef, rscale);
  }
  // exp(n · ln x) with enough digits for rscale after the point
  const sign = x.coef < 0n && e % 2n === 1n ? -1n : 1n;
  const ax = x.coef < 0n ? numeric(-x.coef, x.scale) : x;
  const v = Math.max(0, f);
  const p = rscale + Math.ceil(v) + GUARD + digitCount(e);
  const lx = lnAt(ax, p);
  const r = expAt(mulNumeric(lx, numeric(n, 0)), rscale);
  return sign < 0n ? numeric(-r.coef, r.scale) : r;
}

/** log10|x| of a finite nonzero x, roughly (also beyond a double's range). */
function log10Abs(x: Numeric): number {
  const v = Math.abs(numericToNumber(x));
  if (v > 0 && Number.isFinite(v)) return Math.log10(v);
  const d = digitCount(x.coef);
  const lead = Number(x.coef.toString().replace('-', '').slice(0, 15));
  return Math.log10(lead) + (d - Math.min(d, 15)) - x.scale;
}

/** power(x, y) / x ^ y (numeric_power / power_var). */
export function powerNumeric(x: Numeric, y: Numeric): Numeric {
  if (x.special === 'NaN') return y.special === undefined && y.coef === 0n ? numeric(1n, 0) : NUMERIC_NAN;
  if (y.special === 'NaN')
    return x.special === undefined && compareAt(x, 1n, 0) === 0 ? numeric(1n, 0) : NUMERIC_NAN;
  if (x.special !== undefined || y.special !== undefined) {
    if (y.special === undefined && y.coef === 0n) return numeric(1n, 0);
    return powerSpecial(x, y);
  }
  const sx = numericSign(x);
  const sy = numericSign(y);
  if (sx === 0 && sy < 0) throw mathError('2201F', 'zero raised to a negative power is undefined');
  if (isInteger(y)) {
    const n = y.coef / pow10(y.scale);
    if (n >= -2147483648n && n <= 2147483647n)
      return powerInt(x, n, clampScale(Math.max(MIN_SIG_DIGITS, x.scale)));
  }
  if (sx === 0) return numeric(0n, MIN_SIG_DIGITS);
  if (sx < 0)
    throw mathError('2201F', 'a negative number raised to a non-integer power yields a complex result');
  // The natural logarithm of the result to about 8 significant digits, as PostgreSQL
  // estimates it for the result's scale (its truncation decides the scale).
  const localScale = Math.max(8 - estimateLnDweight(x), 0);
  const lnEstimate = withScale(mulNumeric(lnAt(x, localScale), y), localScale);
  const lnResult = numericToNumber(lnEstimate);
  if (Math.abs(lnResult) > 2000 * 3.01) {
    if (lnResult > 0) throw overflow();
    return numeric(0n, MAX_DISPLAY_SCALE);
  }
  const w = lnResult * PG_LOG10E;
  const rscale = clampScale(Math.max(MIN_SIG_DIGITS - Math.trunc(w), x.scale, y.scale));
  const p = rscale + Math.max(0, Math.ceil(w)) + GUARD + digitCount(y.coef);
  const l = lnAt(x, p);
  return expAt(mulNumeric(l, y), rscale);
}
