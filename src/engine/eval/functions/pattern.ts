/**
 * LIKE / ILIKE and POSIX regular expressions (`~`, `~*`, `!~`, `!~*`, regexp_match,
 * regexp_replace).
 *
 * LIKE: `%` any run, `_` one character, `\` escapes the next character; a pattern ending in
 * the escape character is 22025. Patterns of the shapes `abc`, `abc%`, `%abc`, `%abc%` run as
 * plain string tests, others as an anchored RegExp.
 *
 * Regular expressions: PostgreSQL's ARE syntax is translated to a JS RegExp (flags `su`:
 * `.` matches newline, `^`/`$` anchor the whole string, as in PostgreSQL without the `n`
 * flag): `[[:alpha:]]`-style classes, `\m \M \y \Y \A \Z`, ARE escapes (`\e`, `\B`, `\xhhh`),
 * embedded options `(?i)`, and the flags g i c n p w x. Invalid patterns → 2201B, invalid
 * flags → 22023. Known difference: JS alternation is leftmost-first, where PostgreSQL prefers
 * the longest match of the whole RE (`regexp_match('ab', 'a|ab')` gives `{a}` here, `{ab}`
 * there); boolean matching (`~`) is unaffected.
 */
import { checkBuiltLength } from '../../../sql/limits.ts';
import type { Value } from '../../../sql/types.ts';
import { evalError, invalidParameter, invalidRegex } from '../errors.ts';
import { type Kernel, strict } from './kernel.ts';

// ---------------------------------------------------------------------------
// LIKE

const reSpecial = /[\\^$.*+?()[\]{}|/]/;

function escapeRe(c: string): string {
  return reSpecial.test(c) ? `\\${c}` : c;
}

export type Matcher = (s: string) => boolean;

function endsWithEscape(p: string): boolean {
  let n = 0;
  for (let i = p.length - 1; i >= 0 && p[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

/** Compiles a LIKE pattern (escape `\`). */
export function likeMatcher(pattern: string, caseInsensitive: boolean): Matcher {
  let re = '';
  let literal = '';
  let onlyLiteral = true;
  const shape: ('%' | 'lit')[] = [];
  if (endsWithEscape(pattern)) {
    // PostgreSQL raises only when matching reaches the dangling escape with text left over.
    const prefix = likeMatcher(`${pattern.slice(0, -1)}_%`, caseInsensitive);
    return (s) => {
      if (prefix(s)) throw evalError('22025', 'LIKE pattern must not end with escape character');
      return false;
    };
  }
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') {
      i++;
      const e = pattern[i] as string;
      re += escapeRe(e);
      literal += e;
      if (shape[shape.length - 1] !== 'lit') shape.push('lit');
    } else if (c === '%') {
      re += '.*';
      if (shape[shape.length - 1] !== '%') shape.push('%');
    } else if (c === '_') {
      re += '.';
      onlyLiteral = false;
    } else {
      re += escapeRe(c);
      literal += c;
      if (shape[shape.length - 1] !== 'lit') shape.push('lit');
    }
  }
  if (!caseInsensitive && onlyLiteral) {
    const key = shape.join(',');
    if (key === 'lit' || key === '') return (s) => s === literal;
    if (key === 'lit,%') return (s) => s.startsWith(literal);
    if (key === '%,lit') return (s) => s.endsWith(literal);
    if (key === '%,lit,%') return (s) => s.includes(literal);
    if (key === '%') return () => true;
  }
  const rx = new RegExp(`^${re}$`, caseInsensitive ? 'isu' : 'su');
  return (s) => rx.test(s);
}

/** Texts up to this long have a function's result kept (`byText`), this many at most. */
const MEMO_TEXT_CHARS = 256;
const MEMO_ENTRIES = 2048;

/**
 * `f` with its results kept for the texts it was given lately. A log's values repeat: in a real
 * site's 10,000 requests, 559 user agents and 1,498 URLs; a regular expression tested or
 * replaced in each of them runs once per distinct text. Forgets all once full (bounded memory).
 */
function byText<T>(f: (s: string) => T): (s: string) => T {
  let results = new Map<string, T>();
  return (s) => {
    if (s.length > MEMO_TEXT_CHARS) return f(s);
    let r = results.get(s);
    if (r === undefined) {
      r = f(s);
      if (results.size >= MEMO_ENTRIES) results = new Map();
      results.set(s, r);
    }
    return r;
  };
}

/** Memoises a compiler on its last argument: constant patterns compile once. */
function memo<T>(compile: (p: string) => T): (p: string) => T {
  let lastPattern: string | undefined;
  let last: T | undefined;
  return (p) => {
    if (p !== lastPattern || last === undefined) {
      last = compile(p);
      lastPattern = p;
    }
    return last;
  };
}

// ---------------------------------------------------------------------------
// POSIX regular expressions

const posixClasses: Readonly<Record<string, string>> = {
  alpha: '\\p{L}',
  digit: '0-9',
  alnum: '\\p{L}\\p{Nd}',
  upper: '\\p{Lu}',
  lower: '\\p{Ll}',
  space: '\\s',
  blank: ' \\t',
  punct: '\\p{P}\\p{S}',
  xdigit: '0-9A-Fa-f',
  word: '\\w',
  cntrl: '\\p{Cc}',
  print: '\\P{C}',
  graph: '\\p{L}\\p{M}\\p{N}\\p{P}\\p{S}',
};

const classSyntax = new Set(['\\', ']', '[', '^', '-']);

interface RegexFlags {
  global: boolean;
  quoted: boolean;
  caseInsensitive: boolean;
  newline: boolean;
  expanded: boolean;
}

function parseFlags(flags: string, fn: string): RegexFlags {
  const f: RegexFlags = {
    global: false,
    quoted: false,
    caseInsensitive: false,
    newline: false,
    expanded: false,
  };
  for (const c of flags) {
    switch (c) {
      case 'g':
        f.global = true;
        break;
      case 'i':
        f.caseInsensitive = true;
        break;
      case 'c':
        f.caseInsensitive = false;
        break;
      case 'n':
      case 'm':
        f.newline = true;
        break;
      case 'p':
      case 'w':
        f.newline = true;
        break;
      case 's':
        f.newline = false;
        break;
      case 'x':
        f.expanded = true;
        break;
      case 't':
        f.expanded = false;
        break;
      case 'q':
        f.quoted = true;
        break;
      case 'b':
      case 'e':
        break;
      default:
        throw invalidParameter(`invalid regular expression option: "${c}"`);
    }
  }
  if (f.global && fn === 'regexp_match')
    throw invalidParameter('regexp_match() does not support the "global" option');
  return f;
}

function hexEscape(hex: string): string {
  return `\\u{${Number.parseInt(hex, 16).toString(16)}}`;
}

/** Translates an ARE escape (after the backslash) at p[i]; returns [js, consumed]. */
function translateEscape(p: string, i: number, inClass: boolean): [string, number] {
  const c = p[i];
  if (c === undefined) throw invalidRegex('invalid escape \\ sequence');
  switch (c) {
    case 'd':
    case 'D':
    case 's':
    case 'S':
    case 'w':
    case 'W':
    case 't':
    case 'n':
    case 'r':
    case 'f':
    case 'v':
      return [`\\${c}`, 1];
    case 'e':
      return ['\\x1b', 1];
    case 'a':
      return ['\\x07', 1];
    case 'b':
      return ['\\x08', 1];
    case 'B':
      return ['\\\\', 1];
    case '0':
      return ['\\0', 1];
    case 'x': {
      const m = /^[0-9a-fA-F]+/.exec(p.slice(i + 1));
      if (m === null) throw invalidRegex('invalid escape \\ sequence');
      return [hexEscape(m[0]), 1 + m[0].length];
    }
    case 'u': {
      const h = p.slice(i + 1, i + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(h)) throw invalidRegex('invalid escape \\ sequence');
      return [hexEscape(h), 5];
    }
    case 'U': {
      const h = p.slice(i + 1, i + 9);
      if (!/^[0-9a-fA-F]{8}$/.test(h)) throw invalidRegex('invalid escape \\ sequence');
      return [hexEscape(h), 9];
    }
    default:
      break;
  }
  if (!inClass) {
    if (c >= '1' && c <= '9') return [`\\${c}`, 1];
    switch (c) {
      case 'm':
        return ['\\b(?=[\\p{L}\\p{N}_])', 1];
      case 'M':
        return ['\\b(?<=[\\p{L}\\p{N}_])', 1];
      case 'y':
        return ['\\b', 1];
      case 'Y':
        return ['\\B', 1];
      case 'A':
        return ['(?<![\\s\\S])', 1];
      case 'Z':
        return ['(?![\\s\\S])', 1];
      default:
        break;
    }
  }
  if (/[\p{L}\p{N}]/u.test(c)) throw invalidRegex('invalid escape \\ sequence');
  if (inClass) return [classSyntax.has(c) ? `\\${c}` : c, 1];
  return [escapeRe(c), 1];
}

interface CompiledRegex {
  readonly re: RegExp;
  readonly global: boolean;
}

function stripExpanded(p: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i] as string;
    if (c === '\\') {
      out += c + (p[i + 1] ?? '');
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
      if (p[i + 1] === '^') out += p[++i];
      if (p[i + 1] === ']') out += p[++i];
    } else if (/\s/.test(c)) {
      // dropped
    } else if (c === '#') {
      while (i < p.length && p[i] !== '\n') i++;
    } else out += c;
  }
  return out;
}

/** Translates a PostgreSQL ARE with flags into a JS RegExp. */
export function compileRegex(pattern: string, flags: string, fn = '~'): CompiledRegex {
  const f = parseFlags(flags, fn);
  let p = pattern;
  if (p.startsWith('***:')) p = p.slice(4);
  const embedded = /^\(\?([a-z]+)\)/.exec(p);
  if (embedded !== null) {
    const inner = parseFlags(embedded[1] as string, '~');
    if (inner.caseInsensitive) f.caseInsensitive = true;
    if (embedded[1]?.includes('c')) f.caseInsensitive = false;
    if (inner.newline) f.newline = true;
    if (inner.expanded) f.expanded = true;
    p = p.slice(embedded[0].length);
  }
  if (f.quoted || p.startsWith('***=')) {
    p = (f.quoted ? p : p.slice(4)).replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
  } else {
    if (f.expanded) p = stripExpanded(p);
    p = translate(p);
  }
  const jsFlags = `${f.global ? 'g' : ''}${f.caseInsensitive ? 'i' : ''}${f.newline ? 'm' : 's'}u`;
  try {
    return { re: new RegExp(p, jsFlags), global: f.global };
  } catch (e) {
    throw invalidRegex((e as Error).message.replace(/^Invalid regular expression: /, ''));
  }
}

function translate(p: string): string {
  let out = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i] as string;
    if (c === '\\') {
      const [js, n] = translateEscape(p, i + 1, false);
      out += js;
      i += n;
    } else if (c === '[') {
      let j = i + 1;
      let cls = '[';
      if (p[j] === '^') {
        cls += '^';
        j++;
      }
      if (p[j] === ']') {
        cls += '\\]';
        j++;
      }
      let closed = false;
      while (j < p.length) {
        const d = p[j] as string;
        if (d === ']') {
          closed = true;
          break;
        }
        if (d === '[' && p[j + 1] === ':') {
          const end = p.indexOf(':]', j + 2);
          if (end < 0) throw invalidRegex('brackets [] not balanced');
          const name = p.slice(j + 2, end);
          const js = posixClasses[name];
          if (js === undefined) throw invalidRegex('invalid character class');
          cls += js;
          j = end + 2;
          continue;
        }
        if (d === '\\') {
          const [js, n] = translateEscape(p, j + 1, true);
          cls += js;
          j += n + 1;
          continue;
        }
        cls += d === '[' ? '\\[' : d;
        j++;
      }
      if (!closed) throw invalidRegex('brackets [] not balanced');
      out += `${cls}]`;
      i = j;
    } else if (c === '/') {
      out += '\\/';
    } else {
      out += c;
    }
  }
  return out;
}

function regexKernel(caseInsensitive: boolean, negate: boolean): Kernel {
  const get = memo((p) => {
    const re = compileRegex(p, caseInsensitive ? 'i' : '').re;
    return byText((s) => re.test(s));
  });
  return negate ? strict((s: string, p: string) => !get(p)(s)) : strict((s: string, p: string) => get(p)(s));
}

function likeKernel(caseInsensitive: boolean, negate: boolean): Kernel {
  const get = memo((p) => likeMatcher(p, caseInsensitive));
  return negate ? strict((s: string, p: string) => !get(p)(s)) : strict((s: string, p: string) => get(p)(s));
}

function regexpMatch(s: string, p: string, flags: string, cache: Map<string, RegExp>): Value {
  const key = `${flags}\u0000${p}`;
  let re = cache.get(key);
  if (re === undefined) {
    re = compileRegex(p, flags, 'regexp_match').re;
    if (cache.size > 256) cache.clear();
    cache.set(key, re);
  }
  const m = re.exec(s);
  if (m === null) return null;
  if (m.length === 1) return [m[0]];
  return m.slice(1).map((g) => g ?? null);
}

/** PostgreSQL replacement text: `\1`…`\9` groups, `\&` the match, `\\` a backslash. */
function expandReplacement(rep: string, m: RegExpExecArray): string {
  if (!rep.includes('\\')) return rep;
  let out = '';
  for (let i = 0; i < rep.length; i++) {
    const c = rep[i] as string;
    if (c !== '\\' || i + 1 >= rep.length) {
      out += c;
      continue;
    }
    const n = rep[i + 1] as string;
    if (n >= '1' && n <= '9') {
      out += m[Number(n)] ?? '';
      i++;
    } else if (n === '&') {
      out += m[0];
      i++;
    } else if (n === '\\') {
      out += '\\';
      i++;
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * regexp_replace: the last pattern, replacement and flags given are kept with the results of
 * their texts (`byText`): they are constants in most queries.
 */
function regexpReplacer(): (s: string, p: string, rep: string, flags: string) => string {
  const compiled = new Map<string, CompiledRegex>();
  let last: { p: string; rep: string; flags: string; replace: (s: string) => string } | undefined;
  return (s, p, rep, flags) => {
    if (last === undefined || last.p !== p || last.rep !== rep || last.flags !== flags) {
      const key = `${flags}\u0000${p}`;
      let c = compiled.get(key);
      if (c === undefined) {
        c = compileRegex(p, flags, 'regexp_replace');
        if (compiled.size > 256) compiled.clear();
        compiled.set(key, c);
      }
      const regex = c;
      last = { p, rep, flags, replace: byText((text) => regexpReplace(text, regex, rep)) };
    }
    return last.replace(s);
  };
}

function regexpReplace(s: string, c: CompiledRegex, rep: string): string {
  const re = c.re;
  re.lastIndex = 0;
  let out = '';
  let pos = 0;
  for (;;) {
    const m = re.exec(s);
    if (m === null) break;
    out += s.slice(pos, m.index) + expandReplacement(rep, m);
    checkBuiltLength(out.length);
    pos = m.index + m[0].length;
    if (!c.global) break;
    if (m[0].length === 0) {
      if (m.index >= s.length) break;
      const cp = s.codePointAt(m.index) ?? 0;
      const step = cp > 0xffff ? 2 : 1;
      out += s.slice(pos, pos + step);
      pos += step;
      re.lastIndex = pos;
    }
  }
  return out + s.slice(pos);
}

export function patternKernel(fn: string, arity: number): Kernel | undefined {
  switch (fn) {
    case '~~':
      return likeKernel(false, false);
    case '!~~':
      return likeKernel(false, true);
    case '~~*':
      return likeKernel(true, false);
    case '!~~*':
      return likeKernel(true, true);
    case '~':
      return regexKernel(false, false);
    case '!~':
      return regexKernel(false, true);
    case '~*':
      return regexKernel(true, false);
    case '!~*':
      return regexKernel(true, true);
    case 'regexp_match': {
      const cache = new Map<string, RegExp>();
      return arity === 2
        ? strict((s: string, p: string) => regexpMatch(s, p, '', cache))
        : strict((s: string, p: string, f: string) => regexpMatch(s, p, f, cache));
    }
    case 'regexp_replace': {
      const replace = regexpReplacer();
      return arity === 3
        ? strict((s: string, p: string, r: string) => replace(s, p, r, ''))
        : strict((s: string, p: string, r: string, f: string) => replace(s, p, r, f));
    }
    default:
      return undefined;
  }
}
