/**
 * The request time of an access-log line: the forms servers write it in, read into µs since
 * 1970 UTC (a zone offset applied; none means UTC).
 *
 * - `clf`: nginx's `$time_local`, Apache's `%t` without its brackets — `10/Oct/2000:13:55:36 -0700`
 *   (a fraction of a second after the seconds is taken too);
 * - `iso8601`: nginx's `$time_iso8601` — `2000-10-10T13:55:36-07:00`;
 * - `epoch`: nginx's `$msec` (`1700000000.123`), Apache's `%{sec}t`, `%{msec}t`, `%{usec}t`;
 * - `fraction`: Apache's `%{msec_frac}t`, `%{usec_frac}t`, the fraction another field's second lacks;
 * - `strftime`: Apache's `%{format}t`, with the conversions `%Y %y %m %d %e %j %H %I %M %S %p %b %h %B
 *   %a %A %z %Z %T %F %D %R %s %n %t %%`.
 *
 * A line's time fields together make one timestamp (`%{%d/%b/%Y %T}t.%{msec_frac}t %{%z}t`).
 * Every reader returns NaN for text that is not its form; the caller names the field.
 */
import { digitsAt, parseTimestampText } from '../../engine/eval/functions/casts.ts';
import {
  daysFromCivil,
  daysInMonth,
  MICROS_PER_DAY,
  MICROS_PER_SECOND,
} from '../../engine/eval/functions/datetime.ts';

export type TimeSpec =
  | { readonly kind: 'clf' }
  | { readonly kind: 'iso8601' }
  /** Whole units of `perSecond` since 1970, with a fraction of a unit when `fraction`. */
  | { readonly kind: 'epoch'; readonly perSecond: number; readonly fraction: boolean }
  /** The digits of a fraction of a second (3 or 6). */
  | { readonly kind: 'fraction'; readonly digits: number }
  | { readonly kind: 'strftime'; readonly steps: readonly StrftimeStep[] };

type NumberField = 'Y' | 'y' | 'm' | 'd' | 'e' | 'j' | 'H' | 'I' | 'M' | 'S' | 's';

export type StrftimeStep =
  | { readonly t: 'literal'; readonly code: number }
  | { readonly t: 'number'; readonly field: NumberField; readonly width: number }
  | { readonly t: 'month'; readonly full: boolean }
  | { readonly t: 'weekday' }
  | { readonly t: 'ampm' }
  | { readonly t: 'offset' }
  | { readonly t: 'zone-name' }
  | { readonly t: 'space' };

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH_NAMES = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

/** Month 1–12 of the English abbreviation at `at` (any case); 0 when it is none. */
function monthAt(s: string, at: number): number {
  const a = s.charCodeAt(at) | 0x20;
  const b = s.charCodeAt(at + 1) | 0x20;
  const c = s.charCodeAt(at + 2) | 0x20;
  for (let m = 0; m < 12; m++) {
    const name = MONTHS[m] as string;
    if (name.charCodeAt(0) === a && name.charCodeAt(1) === b && name.charCodeAt(2) === c) return m + 1;
  }
  return 0;
}

/** µs since 1970 of a civil time, NaN when a field is out of range (second 60 is a leap second). */
function civilMicros(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  se: number,
  us: number,
): number {
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || se > 60) return Number.NaN;
  return daysFromCivil(y, mo, d) * MICROS_PER_DAY + ((h * 60 + mi) * 60 + se) * MICROS_PER_SECOND + us;
}

/** A fraction of a second `.d…` at `at` up to `end`: [µs, next index]; µs -1 when malformed. */
function fractionAt(s: string, at: number, end: number): [number, number] {
  let k = at + 1;
  let us = 0;
  let scale = MICROS_PER_SECOND;
  while (k < end) {
    const d = s.charCodeAt(k) - 0x30;
    if (!(d >= 0 && d <= 9)) break;
    scale /= 10;
    if (scale >= 1) us += d * scale;
    k++;
  }
  return k === at + 1 ? [-1, k] : [Math.floor(us), k];
}

/** `±hhmm` (or `±hh:mm`) at `at`, ending at `end`: minutes east of UTC; NaN when malformed. */
function offsetAt(s: string, at: number, end: number): number {
  const sign = s.charCodeAt(at);
  if (sign !== 0x2b && sign !== 0x2d) return Number.NaN;
  const h = digitsAt(s, at + 1, 2);
  const colon = s.charCodeAt(at + 3) === 0x3a ? 1 : 0;
  const m = digitsAt(s, at + 3 + colon, 2);
  if (h < 0 || m < 0 || h > 15 || m > 59 || at + 5 + colon !== end) return Number.NaN;
  return (sign === 0x2d ? -1 : 1) * (h * 60 + m);
}

/** `10/Oct/2000:13:55:36 -0700` in `s[a, e)`: µs since 1970 UTC, NaN when it is not that form. */
export function clfMicros(s: string, a: number, e: number): number {
  if (
    e - a < 26 ||
    s.charCodeAt(a + 2) !== 0x2f ||
    s.charCodeAt(a + 6) !== 0x2f ||
    s.charCodeAt(a + 11) !== 0x3a ||
    s.charCodeAt(a + 14) !== 0x3a ||
    s.charCodeAt(a + 17) !== 0x3a
  )
    return Number.NaN;
  const d = digitsAt(s, a, 2);
  const mo = monthAt(s, a + 3);
  const y = digitsAt(s, a + 7, 4);
  const h = digitsAt(s, a + 12, 2);
  const mi = digitsAt(s, a + 15, 2);
  const se = digitsAt(s, a + 18, 2);
  if (d < 0 || mo === 0 || y < 0 || h < 0 || mi < 0 || se < 0) return Number.NaN;
  let at = a + 20;
  let us = 0;
  if (s.charCodeAt(at) === 0x2e) {
    [us, at] = fractionAt(s, at, e);
    if (us < 0) return Number.NaN;
  }
  if (s.charCodeAt(at) !== 0x20) return Number.NaN;
  const zone = offsetAt(s, at + 1, e);
  if (Number.isNaN(zone)) return Number.NaN;
  return civilMicros(y, mo, d, h, mi, se, us) - zone * 60 * MICROS_PER_SECOND;
}

/**
 * `2000-10-10T13:55:36-07:00` (a fraction, `Z`, `±hhmm` and a space for the `T` allowed) in
 * `s[a, e)`; any other text the engine's timestamptz input reads. NaN when neither reads it.
 */
export function isoMicros(s: string, a: number, e: number): number {
  const y = digitsAt(s, a, 4);
  const mo = digitsAt(s, a + 5, 2);
  const d = digitsAt(s, a + 8, 2);
  const h = digitsAt(s, a + 11, 2);
  const mi = digitsAt(s, a + 14, 2);
  const se = digitsAt(s, a + 17, 2);
  const t = s.charCodeAt(a + 10);
  if (
    e - a >= 20 &&
    y >= 0 &&
    mo >= 0 &&
    d >= 0 &&
    h >= 0 &&
    mi >= 0 &&
    se >= 0 &&
    s.charCodeAt(a + 4) === 0x2d &&
    s.charCodeAt(a + 7) === 0x2d &&
    (t === 0x54 || t === 0x20) &&
    s.charCodeAt(a + 13) === 0x3a &&
    s.charCodeAt(a + 16) === 0x3a
  ) {
    let at = a + 19;
    let us = 0;
    if (s.charCodeAt(at) === 0x2e) [us, at] = fractionAt(s, at, e);
    const zone = s.charCodeAt(at) === 0x5a && at + 1 === e ? 0 : offsetAt(s, at, e);
    if (us >= 0 && !Number.isNaN(zone))
      return civilMicros(y, mo, d, h, mi, se, us) - zone * 60 * MICROS_PER_SECOND;
  }
  try {
    return parseTimestampText(s.slice(a, e), true);
  } catch {
    return Number.NaN;
  }
}

/** Epoch digits `1700000000[.123]` in `s[a, e)` at `perSecond` units a second: µs; NaN otherwise. */
export function epochMicros(s: string, a: number, e: number, perSecond: number, fraction: boolean): number {
  let k = a;
  let whole = 0;
  while (k < e) {
    const d = s.charCodeAt(k) - 0x30;
    if (!(d >= 0 && d <= 9)) break;
    whole = whole * 10 + d;
    k++;
  }
  if (k === a || k - a > 17) return Number.NaN;
  const unit = MICROS_PER_SECOND / perSecond;
  let us = whole * unit;
  if (k < e) {
    if (!fraction || s.charCodeAt(k) !== 0x2e) return Number.NaN;
    const [f, next] = fractionAt(s, k, e);
    if (f < 0 || next !== e) return Number.NaN;
    us += Math.floor(f / perSecond);
  }
  return us;
}

/** A line's time fields, read one after the other into one instant. */
export class TimeParts {
  year = -1;
  month = -1;
  day = -1;
  dayOfYear = -1;
  hour = 0;
  minute = 0;
  second = 0;
  micros = 0;
  pm = -1;
  /** Minutes east of UTC. */
  zone = 0;
  /** µs since 1970 when a field gave the instant whole (an epoch). */
  epoch = Number.NaN;

  reset(): void {
    this.year = -1;
    this.month = -1;
    this.day = -1;
    this.dayOfYear = -1;
    this.hour = 0;
    this.minute = 0;
    this.second = 0;
    this.micros = 0;
    this.pm = -1;
    this.zone = 0;
    this.epoch = Number.NaN;
  }

  /** Reads one field of form `spec` in `s[a, e)`; false when the text is not that form. */
  read(spec: TimeSpec, s: string, a: number, e: number): boolean {
    switch (spec.kind) {
      case 'clf':
      case 'iso8601': {
        const us = spec.kind === 'clf' ? clfMicros(s, a, e) : isoMicros(s, a, e);
        if (Number.isNaN(us)) return false;
        this.epoch = us;
        return true;
      }
      case 'epoch': {
        const us = epochMicros(s, a, e, spec.perSecond, spec.fraction);
        if (Number.isNaN(us)) return false;
        this.epoch = us;
        return true;
      }
      case 'fraction': {
        if (e - a !== spec.digits) return false;
        const f = digitsAt(s, a, spec.digits);
        if (f < 0) return false;
        this.micros = f * 10 ** (6 - spec.digits);
        return true;
      }
      case 'strftime':
        return this.#strftime(spec.steps, s, a, e);
      default: {
        const never: never = spec;
        return never;
      }
    }
  }

  /** The instant the fields gave; NaN without a date or with fields out of range. */
  result(): number {
    // an epoch, with the fraction of a field of its own (`%{sec}t.%{msec_frac}t`)
    if (!Number.isNaN(this.epoch)) return this.epoch + this.micros;
    let { year, month, day, hour } = this;
    if (year < 0) return Number.NaN;
    if (month < 0 && this.dayOfYear > 0) {
      const first = daysFromCivil(year, 1, 1);
      const last = daysFromCivil(year, 12, 31);
      const days = first + this.dayOfYear - 1;
      if (days > last) return Number.NaN;
      return (
        days * MICROS_PER_DAY +
        ((hour * 60 + this.minute) * 60 + this.second) * MICROS_PER_SECOND +
        this.micros -
        this.zone * 60 * MICROS_PER_SECOND
      );
    }
    if (month < 0) month = 1;
    if (day < 0) day = 1;
    if (this.pm >= 0) {
      if (hour < 1 || hour > 12) return Number.NaN;
      hour = (hour % 12) + (this.pm === 1 ? 12 : 0);
    }
    return (
      civilMicros(year, month, day, hour, this.minute, this.second, this.micros) -
      this.zone * 60 * MICROS_PER_SECOND
    );
  }

  #strftime(steps: readonly StrftimeStep[], s: string, a: number, e: number): boolean {
    let at = a;
    for (const step of steps) {
      switch (step.t) {
        case 'literal':
          if (s.charCodeAt(at) !== step.code) return false;
          at++;
          break;
        case 'space': {
          const c = s.charCodeAt(at);
          if (c !== 0x20 && c !== 0x09) return false;
          at++;
          break;
        }
        case 'number': {
          let width = step.width;
          if (step.field === 'e' && s.charCodeAt(at) === 0x20) {
            at++;
            width = 1;
          }
          if (step.field === 's') {
            const start = at;
            if (s.charCodeAt(at) === 0x2d) at++;
            while (at < e && s.charCodeAt(at) >= 0x30 && s.charCodeAt(at) <= 0x39) at++;
            if (at - start > 15 || at === start) return false;
            this.epoch = Number(s.slice(start, at)) * MICROS_PER_SECOND;
            break;
          }
          const v = digitsAt(s, at, width);
          if (v < 0 || at + width > e) return false;
          at += width;
          this.#set(step.field, v);
          break;
        }
        case 'month': {
          const m = monthAt(s, at);
          if (m === 0) return false;
          if (step.full) {
            const name = MONTH_NAMES[m - 1] as string;
            if (s.slice(at, at + name.length).toLowerCase() !== name) return false;
            at += name.length;
          } else at += 3;
          this.month = m;
          break;
        }
        case 'weekday': {
          const start = at;
          while (at < e && (s.charCodeAt(at) | 0x20) >= 0x61 && (s.charCodeAt(at) | 0x20) <= 0x7a) at++;
          if (at - start < 3) return false;
          break;
        }
        case 'ampm': {
          const c = s.charCodeAt(at) | 0x20;
          if ((c !== 0x61 && c !== 0x70) || (s.charCodeAt(at + 1) | 0x20) !== 0x6d) return false;
          this.pm = c === 0x70 ? 1 : 0;
          at += 2;
          break;
        }
        case 'offset': {
          const colon = s.charCodeAt(at + 3) === 0x3a ? 1 : 0;
          const zone = offsetAt(s, at, at + 5 + colon);
          if (Number.isNaN(zone)) return false;
          this.zone = zone;
          at += 5 + colon;
          break;
        }
        case 'zone-name': {
          const rest = s.slice(at, e);
          const name = /^(?:UTC|GMT|Z)/i.exec(rest);
          if (name === null) return false;
          at += name[0].length;
          break;
        }
        default: {
          const never: never = step;
          return never;
        }
      }
    }
    return at === e;
  }

  #set(field: NumberField, v: number): void {
    switch (field) {
      case 'Y':
        this.year = v;
        break;
      case 'y':
        // POSIX: 69–99 are 1969–1999, 00–68 are 2000–2068
        this.year = v >= 69 ? 1900 + v : 2000 + v;
        break;
      case 'm':
        this.month = v;
        break;
      case 'd':
      case 'e':
        this.day = v;
        break;
      case 'j':
        this.dayOfYear = v;
        break;
      case 'H':
        this.hour = v;
        break;
      case 'I':
        this.hour = v;
        if (this.pm < 0) this.pm = 0;
        break;
      case 'M':
        this.minute = v;
        break;
      case 'S':
        this.second = v;
        break;
      case 's':
        break;
    }
  }
}

const NUMBER_WIDTHS: Readonly<Record<string, [NumberField, number]>> = {
  Y: ['Y', 4],
  y: ['y', 2],
  m: ['m', 2],
  d: ['d', 2],
  e: ['e', 2],
  j: ['j', 3],
  H: ['H', 2],
  I: ['I', 2],
  M: ['M', 2],
  S: ['S', 2],
  s: ['s', 1],
};

const EXPANSIONS: Readonly<Record<string, string>> = {
  T: '%H:%M:%S',
  F: '%Y-%m-%d',
  D: '%m/%d/%y',
  R: '%H:%M',
};

/** The steps of a strftime pattern; a string naming the first conversion it cannot read. */
export function compileStrftime(pattern: string): StrftimeStep[] | string {
  const steps: StrftimeStep[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c !== '%') {
      steps.push(c === ' ' || c === '\t' ? { t: 'space' } : { t: 'literal', code: c.charCodeAt(0) });
      continue;
    }
    const conv = pattern[++i];
    if (conv === undefined) return `a "%" at the end of "${pattern}"`;
    const expansion = EXPANSIONS[conv];
    if (expansion !== undefined) {
      const inner = compileStrftime(expansion);
      if (typeof inner === 'string') return inner;
      steps.push(...inner);
      continue;
    }
    const number = NUMBER_WIDTHS[conv];
    if (number !== undefined) {
      steps.push({ t: 'number', field: number[0], width: number[1] });
      continue;
    }
    switch (conv) {
      case 'b':
      case 'h':
        steps.push({ t: 'month', full: false });
        break;
      case 'B':
        steps.push({ t: 'month', full: true });
        break;
      case 'a':
      case 'A':
        steps.push({ t: 'weekday' });
        break;
      case 'p':
        steps.push({ t: 'ampm' });
        break;
      case 'z':
        steps.push({ t: 'offset' });
        break;
      case 'Z':
        steps.push({ t: 'zone-name' });
        break;
      case 'n':
      case 't':
        steps.push({ t: 'space' });
        break;
      case '%':
        steps.push({ t: 'literal', code: 0x25 });
        break;
      default:
        return `the time conversion "%${conv}" in "${pattern}"`;
    }
  }
  return steps;
}

/** The fewest characters a field of this form takes (where to start looking for what follows it). */
export function minimumWidth(spec: TimeSpec): number {
  switch (spec.kind) {
    case 'clf':
      return 26;
    case 'iso8601':
      return 19;
    case 'epoch':
      return 1;
    case 'fraction':
      return spec.digits;
    case 'strftime': {
      let n = 0;
      for (const step of spec.steps) {
        if (step.t === 'number') n += step.field === 'e' ? 1 : step.width;
        else if (step.t === 'month') n += 3;
        else if (step.t === 'weekday') n += 3;
        else if (step.t === 'ampm') n += 2;
        else if (step.t === 'offset') n += 5;
        else if (step.t === 'zone-name') n += 1;
        else n += 1;
      }
      return n;
    }
    default: {
      const never: never = spec;
      return never;
    }
  }
}
