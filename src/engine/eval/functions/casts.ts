/**
 * Casts: every conversion the binder can produce (explicit and implicit), with PostgreSQL's
 * input rules for text (leading/trailing blanks allowed; `'t'`/`'yes'`/`'on'`/`'1'` and their
 * prefixes for booleans; ISO dates and timestamps) and its errors: bad syntax → 22P02
 * (22007 for dates, timestamps and intervals), values out of range → 22003 (22008 for
 * out-of-range date fields such as February 30).
 *
 * numeric → integer rounds half away from zero; float → integer rounds half to even (rint);
 * float → numeric keeps 15 significant digits (6 for real), as PostgreSQL does. bigint is
 * exact over its whole range (src/sql/int8.ts), numeric exact (src/sql/numeric.ts).
 */
import { type Int8, int8, int8OfNumber } from '../../../sql/int8.ts';
import { jsonOf, parseJsonb } from '../../../sql/jsonb-value.ts';
import { parseBytea, parseInterval } from '../../../sql/literals.ts';
import {
  applyTypmod,
  formatNumeric,
  type Numeric,
  numericFromFloat,
  numericFromInteger,
  numericFromShortest,
  numericToInteger,
  numericToNumber,
  parseNumeric,
} from '../../../sql/numeric.ts';
import { formatType, type SqlType, type Value } from '../../../sql/types.ts';
import { formatValue } from '../../../sql/value-text.ts';
import {
  datetimeOverflow,
  evalError,
  floatOverflow,
  floatUnderflow,
  invalidDatetime,
  invalidInput,
  invalidParameter,
  notSupported,
  outOfRange,
} from '../errors.ts';
import { INT_BOUNDS, INT_RANGES, rint } from './arithmetic.ts';
import {
  daysFromCivil,
  daysInMonth,
  MICROS_PER_DAY,
  MICROS_PER_HOUR,
  MICROS_PER_MINUTE,
  MICROS_PER_SECOND,
  splitTimestamp,
} from './datetime.ts';
import { type Kernel, strict } from './kernel.ts';

type Fn = (v: Value) => Value;

// ---------------------------------------------------------------------------
// text input

const trueWords = ['true', 'yes', 'on'];
const falseWords = ['false', 'no', 'off'];

export function parseBoolean(text: string): boolean {
  const s = text.trim().toLowerCase();
  if (s === '1') return true;
  if (s === '0') return false;
  if (s.length > 0) {
    const minLen = s[0] === 'o' ? 2 : 1;
    if (s.length >= minLen) {
      if (trueWords.some((w) => w.startsWith(s))) return true;
      if (falseWords.some((w) => w.startsWith(s))) return false;
    }
  }
  throw invalidInput('boolean', text);
}

const intRe = /^\s*[+-]?\d+\s*$/;

export function parseInteger(text: string, type: 'int2' | 'int4' | 'int8'): Int8 {
  const r = INT_RANGES[type];
  if (!intRe.test(text)) throw invalidInput(r.name, text);
  const digits = text.trim();
  // Up to 15 characters (a sign and 14 digits, or 15 digits) the number is exact: no BigInt.
  if (digits.length <= 15) {
    const v = Number(digits);
    if (v < r.lo || v > r.hi) throw evalError('22003', `value "${text}" is out of range for type ${r.name}`);
    return v + 0; // -0 is 0
  }
  const b = INT_BOUNDS[type];
  const n = BigInt(digits);
  if (n < b.lo || n > b.hi) throw evalError('22003', `value "${text}" is out of range for type ${r.name}`);
  return int8(n);
}

const numberRe = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

export { parseNumeric };

export function parseFloatText(text: string, f4: boolean): number {
  const s = text.trim();
  const name = f4 ? 'real' : 'double precision';
  if (numberRe.test(s)) {
    const n = Number(s);
    const r = f4 ? Math.fround(n) : n;
    if (!Number.isFinite(r) || (r === 0 && /[1-9]/.test(s.replace(/e.*$/i, ''))))
      throw evalError('22003', `"${text}" is out of range for type ${name}`);
    return r;
  }
  const l = s.toLowerCase();
  if (l === 'nan' || l === '+nan' || l === '-nan') return Number.NaN;
  if (l === 'infinity' || l === '+infinity' || l === 'inf' || l === '+inf') return Number.POSITIVE_INFINITY;
  if (l === '-infinity' || l === '-inf') return Number.NEGATIVE_INFINITY;
  throw invalidInput(name, text);
}

const monthAbbrev = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

interface Parsed {
  days: number;
  micros: number;
  /** Zone offset in minutes east of UTC, when the text has one. */
  zone: number | undefined;
  hasTime: boolean;
}

function checkDay(y: number, m: number, d: number, text: string): number {
  if (m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) throw datetimeOverflow(text);
  return daysFromCivil(y, m, d);
}

const isoDate = /^(\d{4,})-(\d{1,2})-(\d{1,2})/;
const compactDate = /^(\d{4})(\d{2})(\d{2})(?=$|[T\s])/;
const slashDate = /^(\d{1,2})\/(\d{1,2})\/(\d{4,})/;
const textDate = /^([a-z]{3})[a-z]*\.?\s+(\d{1,2}),?\s+(\d{4,})/i;
const timeRe = /^(\d{1,2}):(\d{2})(?::(\d{2})(\.\d*)?)?/;
const zoneRe = /^(?:(z|utc|gmt)|([+-])(\d{1,2})(?::?(\d{2}))?)$/i;

/** The date part of datetime text: the matched prefix and [year, month, day] (month 0: bad name). */
function matchDate(s: string): [RegExpExecArray, [number, number, number]] | undefined {
  const iso = isoDate.exec(s) ?? compactDate.exec(s);
  if (iso !== null) return [iso, [Number(iso[1]), Number(iso[2]), Number(iso[3])]];
  const slash = slashDate.exec(s);
  if (slash !== null) return [slash, [Number(slash[3]), Number(slash[1]), Number(slash[2])]];
  const named = textDate.exec(s);
  if (named !== null) {
    const idx = monthAbbrev.indexOf((named[1] as string).toLowerCase());
    return [named, [Number(named[3]), idx + 1, Number(named[2])]];
  }
  return undefined;
}

/** PostgreSQL datetime input (ISO and a few common forms); `what` names the type for errors. */
function parseDateTime(text: string, what: string): Parsed {
  let s = text.trim();
  const bad = (): never => {
    throw invalidDatetime(what, text);
  };
  if (s.toLowerCase() === 'epoch') return { days: 0, micros: 0, zone: undefined, hasTime: false };
  let bc = false;
  if (/\s+bc$/i.test(s)) {
    bc = true;
    s = s.replace(/\s+bc$/i, '');
  }
  const ymd = matchDate(s);
  if (ymd === undefined) return bad();
  const [m, fields] = ymd;
  const [year, mo, d] = fields;
  let y = year;
  if (mo === 0) return bad();
  if (y === 0) throw datetimeOverflow(text);
  if (bc) y = 1 - y;
  const days = checkDay(y, mo, d, text);
  let rest = s.slice(m[0].length);
  let micros = 0;
  let hasTime = false;
  if (rest.length > 0) {
    const sep = /^(?:T|\s+)/i.exec(rest);
    if (sep === null) return bad();
    rest = rest.slice(sep[0].length);
    const t = timeRe.exec(rest);
    if (t !== null) {
      micros = clock(t, text);
      hasTime = true;
      rest = rest.slice(t[0].length).trim();
      if (/^(am|pm)/i.test(rest)) {
        const h = Number(t[1]);
        if (h < 1 || h > 12) throw datetimeOverflow(text);
        const pm = rest.slice(0, 2).toLowerCase() === 'pm';
        micros += ((pm ? 12 : 0) - (h === 12 ? 12 : 0)) * MICROS_PER_HOUR;
        rest = rest.slice(2).trim();
      }
    }
  }
  let zone: number | undefined;
  if (rest.length > 0) {
    const z = zoneRe.exec(rest.trim());
    if (z === null) return bad();
    zone = z[1] !== undefined ? 0 : (z[2] === '-' ? -1 : 1) * (Number(z[3]) * 60 + Number(z[4] ?? 0));
  }
  return { days, micros, zone, hasTime };
}

function clock(t: RegExpExecArray, text: string): number {
  const h = Number(t[1]);
  const mi = Number(t[2]);
  const se = Number(t[3] ?? 0);
  const frac = t[4] === undefined || t[4] === '.' ? 0 : rint(Number(`0${t[4]}`) * MICROS_PER_SECOND);
  if (mi > 59 || se > 60 || h > 24 || (h === 24 && (mi > 0 || se > 0 || frac > 0)))
    throw datetimeOverflow(text);
  return h * MICROS_PER_HOUR + mi * MICROS_PER_MINUTE + se * MICROS_PER_SECOND + frac;
}

/** The `n` digits of `s` from `at` as a number; -1 when one is not a digit. */
export function digitsAt(s: string, at: number, n: number): number {
  let v = 0;
  for (let k = at; k < at + n; k++) {
    const d = s.charCodeAt(k) - 0x30;
    if (!(d >= 0 && d <= 9)) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Days since 1970 of an ISO date `YYYY-MM-DD` at the start of `s`, in range; -1 otherwise. */
function isoDays(s: string): number {
  if (s.charCodeAt(4) !== 0x2d || s.charCodeAt(7) !== 0x2d) return -1;
  const y = digitsAt(s, 0, 4);
  const m = digitsAt(s, 5, 2);
  const d = digitsAt(s, 8, 2);
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return -1;
  return daysFromCivil(y, m, d);
}

/**
 * The form PostgreSQL writes and most data holds, `YYYY-MM-DD HH:MM:SS[.ffffff]` (or `T`),
 * maybe with `+00`, `+00:00` or `Z` after it (a timestamp without time zone ignores its zone,
 * as the general reader does): µs since 1970, read without regular expressions; -1 for any
 * other text, which the general reader then reads (the same value for what both read).
 */
function isoTimestamp(s: string): number {
  const n = s.length;
  if (n < 19 || s.charCodeAt(13) !== 0x3a || s.charCodeAt(16) !== 0x3a) return -1;
  const sep = s.charCodeAt(10);
  if (sep !== 0x20 && sep !== 0x54) return -1;
  const days = isoDays(s);
  const h = digitsAt(s, 11, 2);
  const mi = digitsAt(s, 14, 2);
  const se = digitsAt(s, 17, 2);
  if (days < 0 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59) return -1;
  let at = 19;
  let fraction = 0;
  if (at < n && s.charCodeAt(at) === 0x2e) {
    let k = at + 1;
    while (k < n && k < at + 7 && s.charCodeAt(k) >= 0x30 && s.charCodeAt(k) <= 0x39) k++;
    if (k === at + 1) return -1;
    fraction = digitsAt(s, at + 1, k - at - 1) * 10 ** (at + 7 - k);
    at = k;
  }
  if (at < n) {
    const zone = s.slice(at);
    if (zone !== '+00' && zone !== '+00:00' && zone !== 'Z') return -1;
  }
  return (
    days * MICROS_PER_DAY + h * MICROS_PER_HOUR + mi * MICROS_PER_MINUTE + se * MICROS_PER_SECOND + fraction
  );
}

export function parseDateText(text: string): number {
  if (text.length === 10) {
    const days = isoDays(text);
    if (days >= 0) return days;
  }
  return parseDateTime(text, 'date').days;
}

export function parseTimestampText(text: string, withZone: boolean): number {
  const iso = isoTimestamp(text);
  if (iso >= 0) return iso;
  const p = parseDateTime(text, withZone ? 'timestamp with time zone' : 'timestamp');
  const local = p.days * MICROS_PER_DAY + p.micros;
  return withZone && p.zone !== undefined ? local - p.zone * MICROS_PER_MINUTE : local;
}

export function parseTimeText(text: string): number {
  const s = text.trim();
  const t = timeRe.exec(s);
  if (t === null) throw invalidDatetime('time', text);
  let micros = clock(t, text);
  let rest = s.slice(t[0].length).trim();
  if (/^(am|pm)$/i.test(rest)) {
    const h = Number(t[1]);
    if (h < 1 || h > 12) throw datetimeOverflow(text);
    micros += ((rest.toLowerCase() === 'pm' ? 12 : 0) - (h === 12 ? 12 : 0)) * MICROS_PER_HOUR;
    rest = '';
  }
  if (rest !== '' && zoneRe.exec(rest) === null) throw invalidDatetime('time without time zone', text);
  return micros;
}

export function parseIntervalText(text: string): Value {
  const iv = parseInterval(text);
  if (iv === undefined) throw invalidDatetime('interval', text);
  return iv;
}

function parseJsonbText(text: string): Value {
  const v = parseJsonb(text);
  if (v === undefined) throw invalidInput('json', text);
  return v;
}

/** text → `to`. */
export function fromText(to: SqlType): Fn {
  switch (to.name) {
    case 'boolean':
      return (v) => parseBoolean(v as string);
    case 'int2':
    case 'int4':
    case 'int8': {
      const n = to.name;
      return (v) => parseInteger(v as string, n);
    }
    case 'numeric':
      return (v) => parseNumeric(v as string);
    case 'float4':
      return (v) => parseFloatText(v as string, true);
    case 'float8':
      return (v) => parseFloatText(v as string, false);
    case 'varchar':
    case 'text':
    case 'unknown':
      return (v) => v;
    case 'date':
      return (v) => parseDateText(v as string);
    case 'timestamp':
      return (v) => parseTimestampText(v as string, false);
    case 'timestamptz':
      return (v) => parseTimestampText(v as string, true);
    case 'time':
      return (v) => parseTimeText(v as string);
    case 'interval':
      return (v) => parseIntervalText(v as string);
    case 'jsonb':
      return (v) => parseJsonbText(v as string);
    case 'bytea':
      return (v) => parseBytea(v as string);
    case 'array':
      throw notSupported(`cast from text to ${formatType(to)}`);
    default: {
      const never: never = to.name;
      return never;
    }
  }
}

// ---------------------------------------------------------------------------
// numbers

/** An integer of one integer type as another (22003 outside its range). */
function intToInt(to: 'int2' | 'int4' | 'int8'): Fn {
  const b = INT_BOUNDS[to];
  const name = INT_RANGES[to].name;
  return (v) => {
    const x = v as Int8;
    if (x < b.lo || x > b.hi) throw outOfRange(name);
    return x;
  };
}

/** A float rounded half to even (rint) as an integer type (22003 outside its range, NaN too). */
function floatToInt(to: 'int2' | 'int4' | 'int8'): Fn {
  const r = INT_RANGES[to];
  return (v) => {
    const n = rint(v as number);
    // int8: PostgreSQL's bound check [−2^63, 2^63) on the double
    if (!(n >= r.lo && (to === 'int8' ? n < -r.lo : n <= r.hi))) throw outOfRange(r.name);
    return int8OfNumber(n);
  };
}

function numericToInt(to: 'int2' | 'int4' | 'int8'): Fn {
  const b = INT_BOUNDS[to];
  const name = INT_RANGES[to].name;
  return (v) => numericToInteger(v as Numeric, b.lo, b.hi, name);
}

function toFloat4(v: Value): Value {
  const x = v as number;
  const r = Math.fround(x);
  if (!Number.isFinite(r) && Number.isFinite(x)) throw floatOverflow();
  if (r === 0 && x !== 0) throw floatUnderflow();
  return r;
}

/** numeric → real / double precision: 22003 when the value is beyond the float's range. */
function numericToFloat(f4: boolean): Fn {
  return (v) => {
    const n = v as Numeric;
    const x = numericToNumber(n);
    const r = f4 ? Math.fround(x) : x;
    if (n.special === undefined && (!Number.isFinite(r) || (r === 0 && n.coef !== 0n)))
      throw evalError(
        '22003',
        `"${formatNumeric(n)}" is out of range for type ${f4 ? 'real' : 'double precision'}`,
      );
    return r;
  };
}

function fromJsonb(to: SqlType): Fn {
  const label = formatType(to);
  const kind = (v: Value): string => {
    const j = jsonOf(v);
    return j === null ? 'null' : Array.isArray(j) ? 'array' : typeof j === 'object' ? 'object' : typeof j;
  };
  if (to.name === 'boolean')
    return (v) => {
      if (typeof v !== 'boolean') throw invalidParameter(`cannot cast jsonb ${kind(v)} to type ${label}`);
      return v;
    };
  const num = castFn({ name: 'numeric' }, to);
  return (v) => {
    if (typeof v !== 'number') throw invalidParameter(`cannot cast jsonb ${kind(v)} to type ${label}`);
    return num(numericFromShortest(v));
  };
}

/** Conversion function from `from` to `to` for non-NULL values. */
export function castFn(from: SqlType, to: SqlType): Fn {
  const f = from.name;
  const t = to.name;
  if (f === t && f !== 'array') return (v) => v;
  if ((f === 'text' || f === 'varchar' || f === 'unknown') && t !== 'text' && t !== 'varchar')
    return fromText(to);
  if (t === 'text' || t === 'varchar') {
    if (f === 'boolean') return (v) => (v === true ? 'true' : 'false');
    if (f === 'text' || f === 'varchar' || f === 'unknown') return (v) => v;
    return (v) => formatValue(v, from);
  }
  switch (f) {
    case 'int2':
    case 'int4':
    case 'int8':
      if (t === 'int2' || t === 'int4' || t === 'int8') return intToInt(t);
      if (t === 'numeric') return (v) => numericFromInteger(v as Int8);
      if (t === 'float8') return (v) => Number(v);
      if (t === 'float4') return (v) => Math.fround(Number(v));
      if (t === 'boolean') return (v) => v !== 0;
      break;
    case 'numeric':
      if (t === 'int2' || t === 'int4' || t === 'int8') return numericToInt(t);
      if (t === 'float8') return numericToFloat(false);
      if (t === 'float4') return numericToFloat(true);
      break;
    case 'float4':
    case 'float8':
      if (t === 'int2' || t === 'int4' || t === 'int8') return floatToInt(t);
      if (t === 'numeric') return (v) => numericFromFloat(v as number, f === 'float4' ? 6 : 15);
      if (t === 'float8') return (v) => v;
      if (t === 'float4') return toFloat4;
      break;
    case 'boolean':
      if (t === 'int4' || t === 'int2' || t === 'int8') return (v) => (v === true ? 1 : 0);
      break;
    case 'date':
      if (t === 'timestamp' || t === 'timestamptz') return (v) => (v as number) * MICROS_PER_DAY;
      break;
    case 'timestamp':
    case 'timestamptz':
      if (t === 'timestamp' || t === 'timestamptz') return (v) => v;
      if (t === 'date') return (v) => splitTimestamp(v as number).days;
      if (t === 'time') return (v) => splitTimestamp(v as number).micros;
      break;
    case 'jsonb':
      return fromJsonb(to);
    case 'array': {
      if (t !== 'array') break;
      const el = castFn(from.element ?? { name: 'text' }, to.element ?? { name: 'text' });
      return (v) => (v as readonly Value[]).map((e) => (e === null ? null : el(e)));
    }
    default:
      break;
  }
  throw evalError('42846', `cannot cast type ${formatType(from)} to ${formatType(to)}`);
}

export function castKernel(from: SqlType, to: SqlType): Kernel {
  return strict(castFn(from, to));
}

// ---------------------------------------------------------------------------
// type modifiers (the binder's castTypmod)

/**
 * What storing a value in a column of `type` does beyond its input function: a numeric(p, s)
 * column rounds to s decimals (22003 beyond p digits). Undefined when nothing (no typmod).
 * INSERT's assignment applies it through the binder; COPY and the bulk INSERT path here.
 */
export function columnTypmod(type: SqlType): ((v: Value) => Value) | undefined {
  const typmod = type.typmod;
  if (type.name !== 'numeric' || typmod === undefined) return undefined;
  return (v) => (v === null ? null : applyTypmod(v as Numeric, typmod[0], typmod[1]));
}

/** `numeric(x, p, s)`: x rounded to s decimals; 22003 unless it needs at most p − s integer digits. */
export function numericTypmodKernel(): Kernel {
  return strict((x: Numeric, p: number, s: number) => applyTypmod(x, p, s));
}

/** `varchar(x, n)`: the first n characters of x (an explicit cast truncates silently). */
export function varcharTypmodKernel(): Kernel {
  return strict((x: string, n: number) => {
    if (x.length <= n) return x;
    const chars = [...x];
    return chars.length <= n ? x : chars.slice(0, n).join('');
  });
}
