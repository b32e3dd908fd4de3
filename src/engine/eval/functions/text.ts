/**
 * String functions. Lengths and positions count Unicode code points (PostgreSQL's characters
 * in a UTF-8 database), not UTF-16 units. Case mapping is sql/case-mapping.ts's.
 */

import { createHash } from 'node:crypto';
import { initcap, lower, upper } from '../../../sql/case-mapping.ts';
import { checkBuiltLength, limits, tooLarge } from '../../../sql/limits.ts';
import type { Value } from '../../../sql/types.ts';
import { evalError, invalidParameter } from '../errors.ts';
import { type Kernel, strict, variadic } from './kernel.ts';

function hasSurrogates(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return true;
  }
  return false;
}

/** Code points of s (a plain split when there are no surrogate pairs). */
function chars(s: string): string[] {
  return hasSurrogates(s) ? Array.from(s) : s.split('');
}

export function charLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) n--;
  }
  return n;
}

function substr(s: string, start: number, len?: number): string {
  if (len !== undefined && len < 0) throw evalError('22011', 'negative substring length not allowed');
  const cs = chars(s);
  const from = Math.max(start, 1);
  const end = len === undefined ? cs.length + 1 : start + len;
  if (end <= from) return '';
  return cs.slice(from - 1, end - 1).join('');
}

function trimSet(s: string, set: string, left: boolean, right: boolean): string {
  const cs = chars(s);
  const drop = new Set(chars(set));
  let a = 0;
  let b = cs.length;
  if (left) while (a < b && drop.has(cs[a] as string)) a++;
  if (right) while (b > a && drop.has(cs[b - 1] as string)) b--;
  return cs.slice(a, b).join('');
}

function pad(s: string, n: number, fill: string, left: boolean): string {
  if (n <= 0) return '';
  if (n > limits().maxTextBytes) throw tooLarge();
  const cs = chars(s);
  if (cs.length >= n) return cs.slice(0, n).join('');
  const fs = chars(fill);
  if (fs.length === 0) return s;
  const need = n - cs.length;
  let p = '';
  for (let i = 0; i < need; i++) p += fs[i % fs.length];
  return left ? p + s : s + p;
}

function splitPart(s: string, delim: string, n: number): string {
  if (n === 0) throw invalidParameter('field position must not be zero');
  if (delim === '') return n === 1 || n === -1 ? s : '';
  const parts = s.split(delim);
  const idx = n > 0 ? n - 1 : parts.length + n;
  return parts[idx] ?? '';
}

function strpos(s: string, sub: string): number {
  const i = s.indexOf(sub);
  if (i < 0) return 0;
  return charLength(s.slice(0, i)) + 1;
}

function left(s: string, n: number): string {
  const cs = chars(s);
  return (n >= 0 ? cs.slice(0, n) : cs.slice(0, Math.max(cs.length + n, 0))).join('');
}

function right(s: string, n: number): string {
  const cs = chars(s);
  return (n >= 0 ? cs.slice(Math.max(cs.length - n, 0)) : cs.slice(Math.min(-n, cs.length))).join('');
}

function repeat(s: string, n: number): string {
  if (n <= 0 || s === '') return '';
  if (s.length * n > limits().maxTextBytes) throw tooLarge();
  return s.repeat(n);
}

/** Each character of `s` found in `from` becomes the one at its place in `to`, or goes when `to` is shorter. */
function translate(s: string, from: string, to: string): string {
  const f = chars(from);
  const t = chars(to);
  let out = '';
  for (const c of chars(s)) {
    const i = f.indexOf(c);
    out += i < 0 ? c : (t[i] ?? '');
  }
  return out;
}

function chr(n: number): string {
  const fail = (sqlstate: string, message: string) => Object.assign(new Error(message), { sqlstate });
  if (n === 0) throw fail('54000', 'null character not permitted');
  if (n < 0) throw fail('22023', 'character number must be positive');
  if (n > 0x10ffff) throw fail('54000', `requested character too large for encoding: ${n}`);
  if (n >= 0xd800 && n <= 0xdfff) throw fail('54000', `requested character not valid for encoding: ${n}`);
  return String.fromCodePoint(n);
}

function md5(s: string): string {
  return createHash('md5').update(s, 'utf8').digest('hex');
}

function concat(args: readonly Value[]): Value {
  let out = '';
  for (const a of args) if (a !== null) out += a as string;
  checkBuiltLength(out.length);
  return out;
}

function joined(a: string, b: string): string {
  checkBuiltLength(a.length + b.length);
  return a + b;
}

function replace(s: string, from: string, to: string): string {
  // Most strings hold no `from` (a chain of replaces decoding escapes): no split for those.
  if (from === '' || !s.includes(from)) return s;
  const parts = s.split(from);
  checkBuiltLength(s.length + (parts.length - 1) * (to.length - from.length));
  return parts.join(to);
}

function concatWs(args: readonly Value[]): Value {
  const sep = args[0];
  if (sep === null || sep === undefined) return null;
  let out = '';
  let first = true;
  for (let i = 1; i < args.length; i++) {
    const a = args[i];
    if (a === null || a === undefined) continue;
    out += first ? (a as string) : (sep as string) + (a as string);
    first = false;
  }
  checkBuiltLength(out.length);
  return out;
}

export function textKernel(fn: string, arity: number): Kernel | undefined {
  switch (fn) {
    case '||':
      return strict(joined);
    case 'lower':
      return strict(lower);
    case 'upper':
      return strict(upper);
    case 'initcap':
      return strict(initcap);
    case 'length':
    case 'char_length':
      return strict(charLength);
    case 'octet_length':
      return strict((s: string) => Buffer.byteLength(s, 'utf8'));
    case 'btrim':
      return arity === 1
        ? strict((s: string) => trimSet(s, ' ', true, true))
        : strict((s: string, c: string) => trimSet(s, c, true, true));
    case 'ltrim':
      return arity === 1
        ? strict((s: string) => trimSet(s, ' ', true, false))
        : strict((s: string, c: string) => trimSet(s, c, true, false));
    case 'rtrim':
      return arity === 1
        ? strict((s: string) => trimSet(s, ' ', false, true))
        : strict((s: string, c: string) => trimSet(s, c, false, true));
    case 'substr':
      return arity === 2 ? strict((s: string, a: number) => substr(s, a)) : strict(substr);
    case 'replace':
      return strict(replace);
    case 'split_part':
      return strict(splitPart);
    case 'strpos':
      return strict(strpos);
    case 'starts_with':
      return strict((s: string, p: string) => s.startsWith(p));
    case 'left':
      return strict(left);
    case 'right':
      return strict(right);
    case 'repeat':
      return strict(repeat);
    case 'reverse':
      return strict((s: string) => chars(s).reverse().join(''));
    case 'md5':
      return strict(md5);
    case 'translate':
      return strict(translate);
    case 'ascii':
      return strict((s: string) => s.codePointAt(0) ?? 0);
    case 'chr':
      return strict(chr);
    case 'lpad':
      return arity === 2
        ? strict((s: string, n: number) => pad(s, n, ' ', true))
        : strict((s: string, n: number, f: string) => pad(s, n, f, true));
    case 'rpad':
      return arity === 2
        ? strict((s: string, n: number) => pad(s, n, ' ', false))
        : strict((s: string, n: number, f: string) => pad(s, n, f, false));
    case 'concat':
      return variadic(concat);
    case 'concat_ws':
      return variadic(concatWs);
    default:
      return undefined;
  }
}
