/**
 * `numeric` support. Values are carried as JS numbers (types.ts); a number stands for the
 * decimal of its shortest round-trip representation (0.1 means exactly 0.1), so numeric
 * arithmetic rounds its double result back to the decimal scale PostgreSQL's exact
 * arithmetic would produce (0.1 + 0.2 = 0.3), and about 15–17 significant digits survive.
 *
 * Display scale. PostgreSQL keeps a display scale per numeric value (`1.50` prints two
 * decimals, `5::numeric / 2` prints `2.5000000000000000`). A number cannot carry it, so the
 * scale is derived from the expression that produced the value, with PostgreSQL's rules:
 * literal → its written scale (`Literal.scale`: `1.50` → 2), column → the value's own
 * decimals, `+`/`-` → the larger scale, `*` → the sum, `/` → `divisionScale`
 * (select_div_scale: at least 16 significant digits), round(x, n) → n,
 * extract(second …) → 6, … (`compileNumericScale` in compile.ts applies them per row;
 * `divisionScale` is exported for avg). Digits beyond a double's precision print as zeros.
 */

/** A decimal as digits: value = 0.d₁d₂… × 10^point, d₁ ≠ 0 (digits '' for zero). */
interface Decimal {
  readonly neg: boolean;
  readonly digits: string;
  readonly point: number;
}

function toDecimal(x: number): Decimal {
  if (x === 0) return { neg: false, digits: '', point: 0 };
  const s = x.toExponential();
  const neg = s.charCodeAt(0) === 45;
  const body = neg ? s.slice(1) : s;
  const e = body.indexOf('e');
  const mant = body.slice(0, e).replace('.', '');
  const digits = mant.replace(/0+$/, '');
  return { neg, digits, point: Number(body.slice(e + 1)) + 1 };
}

/** Digits after the decimal point in x's shortest representation (0 for integers). */
export function decimalsOf(x: number): number {
  if (Number.isInteger(x) || !Number.isFinite(x)) return 0;
  const d = toDecimal(x);
  return Math.max(0, d.digits.length - d.point);
}

/** Rounds the decimal x to `scale` fractional digits, half away from zero; returns the digit string. */
function roundDigits(d: Decimal, scale: number): Decimal {
  const keep = d.point + scale;
  if (keep >= d.digits.length) return d;
  if (keep < 0) return { neg: d.neg, digits: '', point: 0 };
  const head = d.digits.slice(0, keep);
  const next = d.digits.charCodeAt(keep) - 48;
  if (next < 5) {
    const t = head.replace(/0+$/, '');
    return t === '' ? { neg: d.neg, digits: '', point: 0 } : { neg: d.neg, digits: t, point: d.point };
  }
  // increment head
  const arr = head.split('');
  let i = arr.length - 1;
  while (i >= 0 && arr[i] === '9') {
    arr[i] = '0';
    i--;
  }
  if (i < 0) return { neg: d.neg, digits: `1${arr.join('')}`.replace(/0+$/, ''), point: d.point + 1 };
  arr[i] = String.fromCharCode((arr[i] as string).charCodeAt(0) + 1);
  return { neg: d.neg, digits: arr.join('').replace(/0+$/, ''), point: d.point };
}

function decimalToNumber(d: Decimal): number {
  if (d.digits === '') return 0;
  return Number(`${d.neg ? '-' : ''}0.${d.digits}e${d.point}`);
}

/** x rounded to `scale` decimals (half away from zero, on x's decimal digits; scale may be negative). */
export function roundNumeric(x: number, scale: number): number {
  if (!Number.isFinite(x)) return x;
  if (scale >= 0 && Number.isInteger(x)) return x;
  return decimalToNumber(roundDigits(toDecimal(x), scale)) + 0;
}

/** x truncated toward zero at `scale` decimals. */
export function truncNumeric(x: number, scale: number): number {
  if (!Number.isFinite(x)) return x;
  const d = toDecimal(x);
  const keep = d.point + scale;
  if (keep >= d.digits.length) return x;
  if (keep <= 0) return 0;
  return decimalToNumber({ neg: d.neg, digits: d.digits.slice(0, keep), point: d.point }) + 0;
}

/** PostgreSQL's text for a numeric with `scale` decimals (no exponent, ever). */
export function formatNumeric(x: number, scale?: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Number.POSITIVE_INFINITY) return 'Infinity';
  if (x === Number.NEGATIVE_INFINITY) return '-Infinity';
  const d0 = toDecimal(x);
  const s = scale ?? Math.max(0, d0.digits.length - d0.point);
  const d = roundDigits(d0, s);
  let int: string;
  let frac: string;
  if (d.digits === '') {
    int = '0';
    frac = '';
  } else if (d.point <= 0) {
    int = '0';
    frac = '0'.repeat(-d.point) + d.digits;
  } else if (d.point >= d.digits.length) {
    int = d.digits + '0'.repeat(d.point - d.digits.length);
    frac = '';
  } else {
    int = d.digits.slice(0, d.point);
    frac = d.digits.slice(d.point);
  }
  if (frac.length < s) frac += '0'.repeat(s - frac.length);
  const sign = d.neg && d.digits !== '' ? '-' : '';
  return s > 0 ? `${sign}${int}.${frac}` : `${sign}${int}`;
}

/** Weight (base-10000 digit position) and first base-10000 digits of |x| (PostgreSQL's NumericVar). */
export function numericDigits(x: number): {
  weight: number;
  first: number;
  second: number;
  /** Whether base-10000 digits follow the first (PostgreSQL's ndigits > 1). */
  more: boolean;
} {
  if (x === 0 || !Number.isFinite(x)) return { weight: 0, first: 0, second: 0, more: false };
  const d = toDecimal(x);
  // the most significant decimal digit sits at 10^(point-1)
  const weight = Math.floor((d.point - 1) / 4);
  const group = (w: number): number => {
    let v = 0;
    for (let q = 4 * w + 3; q >= 4 * w; q--) {
      const idx = d.point - 1 - q;
      const c = idx >= 0 && idx < d.digits.length ? d.digits.charCodeAt(idx) - 48 : 0;
      v = v * 10 + c;
    }
    return v;
  };
  return {
    weight,
    first: group(weight),
    second: group(weight - 1),
    more: d.point - d.digits.length < 4 * weight,
  };
}

const MIN_SIG_DIGITS = 16;
const MAX_DISPLAY_SCALE = 1000;

function clampScale(s: number): number {
  return Math.min(Math.max(s, 0), MAX_DISPLAY_SCALE);
}

/** PostgreSQL's select_div_scale: the display scale of x / y given the operands' scales. */
export function divisionScale(x: number, y: number, xScale: number, yScale: number): number {
  const a = numericDigits(x);
  const b = numericDigits(y);
  let qweight = a.weight - b.weight;
  if (a.first <= b.first) qweight--;
  return clampScale(Math.max(MIN_SIG_DIGITS - qweight * 4, xScale, yScale));
}

/** Display scale of sqrt(x) (numeric_sqrt). */
export function sqrtScale(x: number, xScale: number): number {
  const { weight } = numericDigits(x);
  const sweight = Math.trunc(((weight + 1) * 4) / 2) - 1;
  return clampScale(Math.max(MIN_SIG_DIGITS - sweight, xScale));
}

/** estimate_ln_dweight: decimal weight of ln(x). */
function lnWeight(x: number): number {
  if (x <= 0) return 0;
  if (x >= 0.9 && x <= 1.1) {
    const y = Math.abs(roundNumeric(x - 1, decimalsOf(x)));
    if (y === 0) return 0;
    const { weight, first } = numericDigits(y);
    return weight * 4 + Math.trunc(Math.log10(first));
  }
  const { weight, first, second, more } = numericDigits(x);
  let digits = first;
  let dweight = weight * 4;
  if (more) {
    digits = first * 10000 + second;
    dweight -= 4;
  }
  const lnVar = Math.log(digits) + dweight * Math.LN10;
  return Math.trunc(Math.log10(Math.abs(lnVar)));
}

/** Display scale of ln(x) (numeric_ln). */
export function lnScale(x: number, xScale: number): number {
  return clampScale(Math.max(MIN_SIG_DIGITS - lnWeight(x), xScale));
}

/** Display scale of log(base, x) (numeric_log / log_var). */
export function logScale(base: number, x: number, baseScale: number, xScale: number): number {
  return clampScale(Math.max(MIN_SIG_DIGITS - (lnWeight(x) - lnWeight(base)), baseScale, xScale));
}

/** Display scale of exp(x) (numeric_exp). */
export function expScale(x: number, xScale: number): number {
  let v = x * Math.LOG10E;
  v = Math.min(Math.max(v, -2000), 2000);
  return clampScale(Math.max(MIN_SIG_DIGITS - Math.trunc(v), xScale));
}
