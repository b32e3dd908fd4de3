/**
 * RisingWave-only syntax, recognised on the token stream and cut out of the statement
 * before PostgreSQL's parser sees it. Cutting means blanking the tokens' characters, so
 * every offset in what remains still points into the original text.
 *
 * Handled here: `WITH (k = 'v', …)` connector options, `FORMAT … ENCODE … [( … )]`,
 * `INCLUDE …`, `WATERMARK FOR col AS expr`, `APPEND ONLY`, `EMIT ON WINDOW CLOSE`,
 * and the statement heads PostgreSQL does not know (`CREATE SOURCE`, `CREATE SINK`,
 * `FLUSH`, `SHOW SOURCES`, `DESCRIBE`).
 */
import { notSupported, SqlError, SqlState } from './errors.ts';
import type { FormatSpec, IncludeClause, Options } from './statement.ts';
import { identName, stringValue, type Token } from './tokens.ts';

/** A statement's tokens and where they live. */
export interface TokenSpan {
  readonly script: string;
  readonly tokens: readonly Token[];
}

export function isWord(t: Token | undefined, word: string): boolean {
  return t !== undefined && (t.kind === 'keyword' || (t.kind === 'ident' && !t.quoted)) && t.upper === word;
}

export function isPunct(t: Token | undefined, text: string): boolean {
  return t !== undefined && t.kind === 'punct' && t.text === text;
}

export function syntaxErrorAt(span: TokenSpan, i: number): SqlError {
  const t = span.tokens[i];
  if (t === undefined) {
    const last = span.tokens[span.tokens.length - 1];
    return new SqlError(SqlState.syntaxError, 'syntax error at end of input', (last?.end ?? 0) + 1);
  }
  return new SqlError(SqlState.syntaxError, `syntax error at or near "${t.text}"`, t.start + 1);
}

export function notSupportedAt(span: TokenSpan, construct: string, i: number): SqlError {
  const t = span.tokens[i] ?? span.tokens[span.tokens.length - 1];
  return notSupported(construct, { text: span.script, offset: t?.start ?? 0 });
}

/** Index of the `)` matching the `(` at `open`. */
export function matchParen(span: TokenSpan, open: number): number {
  let depth = 0;
  const ts = span.tokens;
  for (let i = open; i < ts.length; i++) {
    const t = ts[i] as Token;
    if (t.kind !== 'punct') continue;
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') {
      depth--;
      if (depth === 0) return i;
    }
  }
  throw syntaxErrorAt(span, ts.length);
}

/** Reads a possibly qualified name (`a`, `s.a`) at `i`; returns the dotted name and the next index. */
export function readName(span: TokenSpan, i: number): { name: string; next: number } {
  const ts = span.tokens;
  const t = ts[i];
  if (t === undefined || (t.kind !== 'ident' && t.kind !== 'keyword')) throw syntaxErrorAt(span, i);
  const parts = [identName(t)];
  let j = i + 1;
  while (isPunct(ts[j], '.') && (ts[j + 1]?.kind === 'ident' || ts[j + 1]?.kind === 'keyword')) {
    parts.push(identName(ts[j + 1] as Token));
    j += 2;
  }
  return { name: parts.join('.'), next: j };
}

/** `IF NOT EXISTS` at `i`? Returns the index after it, or `i`. */
export function readIfNotExists(span: TokenSpan, i: number): { present: boolean; next: number } {
  const ts = span.tokens;
  if (isWord(ts[i], 'IF') && isWord(ts[i + 1], 'NOT') && isWord(ts[i + 2], 'EXISTS'))
    return { present: true, next: i + 3 };
  return { present: false, next: i };
}

function optionValue(span: TokenSpan, i: number): { value: string; next: number } {
  const ts = span.tokens;
  let t = ts[i];
  let sign = '';
  if (isPunct(t, '-') || isPunct(t, '+')) {
    sign = t?.text === '-' ? '-' : '';
    i++;
    t = ts[i];
  }
  if (t === undefined) throw syntaxErrorAt(span, i);
  switch (t.kind) {
    case 'string':
      return { value: stringValue(t), next: i + 1 };
    case 'number':
      return { value: sign + t.text, next: i + 1 };
    case 'ident':
    case 'keyword': {
      const r = readName(span, i);
      return { value: r.name, next: r.next };
    }
    default:
      throw syntaxErrorAt(span, i);
  }
}

/** `( key = value, … )` starting at the `(` at `open`: dotted keys (`properties.bootstrap.server`) kept whole. */
export function readOptions(span: TokenSpan, open: number): { options: Options; next: number } {
  const ts = span.tokens;
  if (!isPunct(ts[open], '(')) throw syntaxErrorAt(span, open);
  const close = matchParen(span, open);
  const options = new Map<string, string>();
  let i = open + 1;
  if (i === close) return { options, next: close + 1 };
  for (;;) {
    const key = readName(span, i);
    i = key.next;
    if (!isPunct(ts[i], '=')) throw syntaxErrorAt(span, i);
    const v = optionValue(span, i + 1);
    options.set(key.name, v.value);
    i = v.next;
    if (i === close) break;
    if (!isPunct(ts[i], ',')) throw syntaxErrorAt(span, i);
    i++;
  }
  return { options, next: close + 1 };
}

/** `FORMAT x ENCODE y [( … )]` starting at FORMAT. */
export function readFormat(span: TokenSpan, i: number): { format: FormatSpec; next: number } {
  const ts = span.tokens;
  if (!isWord(ts[i], 'FORMAT')) throw syntaxErrorAt(span, i);
  const f = ts[i + 1];
  if (f === undefined || (f.kind !== 'ident' && f.kind !== 'keyword')) throw syntaxErrorAt(span, i + 1);
  if (!isWord(ts[i + 2], 'ENCODE')) throw syntaxErrorAt(span, i + 2);
  const e = ts[i + 3];
  if (e === undefined || (e.kind !== 'ident' && e.kind !== 'keyword')) throw syntaxErrorAt(span, i + 3);
  let next = i + 4;
  let options: Options = new Map();
  if (isPunct(ts[next], '(')) {
    const o = readOptions(span, next);
    options = o.options;
    next = o.next;
  }
  return {
    format: Object.freeze({ format: f.text.toUpperCase(), encode: e.text.toUpperCase(), options }),
    next,
  };
}

/** `INCLUDE what [inner] [AS alias]` starting at INCLUDE. */
export function readInclude(span: TokenSpan, i: number): { include: IncludeClause; next: number } {
  const ts = span.tokens;
  const what = ts[i + 1];
  if (what === undefined || (what.kind !== 'ident' && what.kind !== 'keyword'))
    throw syntaxErrorAt(span, i + 1);
  let j = i + 2;
  let inner: string | undefined;
  const t = ts[j];
  if (t !== undefined && (t.kind === 'ident' || t.kind === 'string') && !isWord(t, 'AS')) {
    inner = t.kind === 'string' ? stringValue(t) : identName(t);
    j++;
  }
  let alias: string | undefined;
  if (isWord(ts[j], 'AS')) {
    const a = ts[j + 1];
    if (a === undefined || (a.kind !== 'ident' && a.kind !== 'keyword')) throw syntaxErrorAt(span, j + 1);
    alias = identName(a);
    j += 2;
  }
  return { include: Object.freeze({ what: what.text.toLowerCase(), inner, alias }), next: j };
}

/** Trailing clauses of CREATE SOURCE / TABLE / SINK after the column list or query. */
export interface TrailingClauses {
  readonly includes: IncludeClause[];
  options: Options;
  format: FormatSpec | undefined;
  appendOnly: boolean;
}

export function readTrailingClauses(
  span: TokenSpan,
  from: number,
  to: number,
  allowAppendOnly: boolean,
): TrailingClauses {
  const ts = span.tokens;
  const out: TrailingClauses = { includes: [], options: new Map(), format: undefined, appendOnly: false };
  let i = from;
  while (i < to) {
    const t = ts[i];
    if (isWord(t, 'INCLUDE')) {
      const r = readInclude(span, i);
      out.includes.push(r.include);
      i = r.next;
    } else if (isWord(t, 'WITH') && isPunct(ts[i + 1], '(')) {
      const r = readOptions(span, i + 1);
      out.options = r.options;
      i = r.next;
    } else if (isWord(t, 'FORMAT')) {
      const r = readFormat(span, i);
      out.format = r.format;
      i = r.next;
    } else if (allowAppendOnly && isWord(t, 'APPEND') && isWord(ts[i + 1], 'ONLY')) {
      out.appendOnly = true;
      i += 2;
    } else if (isWord(t, 'ON') && isWord(ts[i + 1], 'CONFLICT')) {
      throw notSupportedAt(span, 'ON CONFLICT', i);
    } else {
      throw syntaxErrorAt(span, i);
    }
  }
  if (i > to) throw syntaxErrorAt(span, to);
  return out;
}

/** Splits the elements of a parenthesised list at depth 1: [first, last] token index pairs. */
export function listElements(span: TokenSpan, open: number, close: number): [number, number][] {
  const out: [number, number][] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open + 1; i < close; i++) {
    const t = span.tokens[i] as Token;
    if (t.kind !== 'punct') continue;
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') depth--;
    else if (t.text === ',' && depth === 0) {
      out.push([start, i - 1]);
      start = i + 1;
    }
  }
  if (start < close) out.push([start, close - 1]);
  return out;
}

/** The sink's `WITH (` : a depth-0 WITH + `(` whose group is followed by the end or FORMAT. */
export function findSinkWith(span: TokenSpan, from: number): number {
  const ts = span.tokens;
  let depth = 0;
  for (let i = from; i < ts.length; i++) {
    const t = ts[i] as Token;
    if (isPunct(t, '(')) depth++;
    else if (isPunct(t, ')')) depth--;
    else if (depth === 0 && isWord(t, 'WITH') && isPunct(ts[i + 1], '(')) {
      const close = matchParen(span, i + 1);
      const after = ts[close + 1];
      if (after === undefined || isWord(after, 'FORMAT')) return i;
    }
  }
  return ts.length;
}
