/**
 * Tokens of a SQL script, from PostgreSQL's own scanner (libpg-query `scanSync`), with
 * offsets converted from UTF-8 bytes to string indexes. Comments, dollar quoting and
 * string escapes are the scanner's business, never ours.
 */
import { loadModule, parseSync, scanSync } from 'libpg-query';
import { isStackOverflow, SqlError, SqlState, stackDepthExceeded, syntaxError } from './errors.ts';
import { checkComplexity } from './limits.ts';

// The WASM parser is loaded once, when the SQL front end is first imported.
await loadModule();

export type TokenKind = 'ident' | 'keyword' | 'string' | 'number' | 'param' | 'punct';

export interface Token {
  readonly kind: TokenKind;
  /** 0-based string index of the first character, in the scanned text. */
  readonly start: number;
  /** 0-based string index one past the last character. */
  readonly end: number;
  /** The text as written. */
  readonly text: string;
  /** Upper-cased text for keywords and unquoted identifiers; the text otherwise. */
  readonly upper: string;
  /** Whether the identifier was double-quoted. */
  readonly quoted: boolean;
}

/** Maps UTF-8 byte offsets (what libpg-query reports) to string indexes. */
export type OffsetMap = (byteOffset: number) => number;

const identity: OffsetMap = (b) => b;

export function byteToIndexMap(text: string): OffsetMap {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII range check
  if (/^[\x00-\x7f]*$/.test(text)) return identity;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const cp = text.codePointAt(i) ?? 0;
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (let k = 0; k < n; k++) bytes.push(i);
    if (cp >= 0x10000) i++;
  }
  const total = text.length;
  return (b) => (b < 0 ? b : b >= bytes.length ? total + (b - bytes.length) : (bytes[b] ?? total));
}

/** Raises the scanner's / parser's syntax error for `text` (0-based `base` offset of text in the script). */
export function rethrowParseError(e: unknown, _text: string, base: number, map: OffsetMap): never {
  if (e instanceof SqlError) throw e;
  if (isStackOverflow(e)) throw stackDepthExceeded();
  const details = (e as { sqlDetails?: { message: string; cursorPosition: number } }).sqlDetails;
  if (details !== undefined) {
    const offset = base + map(details.cursorPosition);
    throw new SqlError(SqlState.syntaxError, details.message, offset + 1);
  }
  throw syntaxError(e instanceof Error ? e.message : String(e));
}

/** Scans `text` into tokens; a lexical error (unterminated string…) becomes 42601 with its position. */
export function scan(text: string): Token[] {
  checkComplexity(text);
  let raw: ReturnType<typeof scanSync>;
  const map = byteToIndexMap(text);
  try {
    raw = scanSync(text);
  } catch (e) {
    // The scanner's JSON output breaks on lexical errors; the parser reports them properly.
    try {
      parseSync(text);
    } catch (pe) {
      rethrowParseError(pe, text, 0, map);
    }
    rethrowParseError(e, text, 0, map);
  }
  const out: Token[] = [];
  for (const t of raw.tokens) {
    if (t.tokenName === 'SQL_COMMENT' || t.tokenName === 'C_COMMENT') continue;
    const start = map(t.start);
    const end = map(t.end);
    const src = text.slice(start, end);
    let kind: TokenKind;
    if (t.keywordKind > 0) kind = 'keyword';
    else if (t.tokenName === 'IDENT') kind = 'ident';
    else if (t.tokenName === 'SCONST' || t.tokenName === 'USCONST') kind = 'string';
    else if (t.tokenName === 'ICONST' || t.tokenName === 'FCONST') kind = 'number';
    else if (t.tokenName === 'PARAM') kind = 'param';
    else if (/^[A-Za-z_\u0080-\uffff]/.test(src) && !/^[bBxXuUeEnN]&?'/.test(src)) kind = 'ident';
    else if (/^[bBxXuUeEnN]&?'/.test(src)) kind = 'string';
    else kind = 'punct';
    const quoted = kind === 'ident' && src.startsWith('"');
    out.push({
      kind,
      start,
      end,
      text: src,
      upper: kind === 'keyword' || (kind === 'ident' && !quoted) ? src.toUpperCase() : src,
      quoted,
    });
  }
  return out;
}

/** The identifier a token names: unquoted folded to lower case, quoted with `""` unescaped. */
export function identName(t: Token): string {
  if (t.quoted) return t.text.slice(1, -1).replaceAll('""', '"');
  return t.text.toLowerCase();
}

/** The value of a string-constant token (`'a''b'`, `E'a\n'`, `$$x$$`, `$tag$x$tag$`). */
export function stringValue(t: Token): string {
  const s = t.text;
  if (s.startsWith('$')) {
    const close = s.indexOf('$', 1);
    const tag = s.slice(0, close + 1);
    return s.slice(tag.length, s.length - tag.length);
  }
  if (s[0] === 'E' || s[0] === 'e') {
    return s
      .slice(2, -1)
      .replaceAll("''", "'")
      .replace(/\\(.)/g, (_m, c: string) => {
        switch (c) {
          case 'n':
            return '\n';
          case 't':
            return '\t';
          case 'r':
            return '\r';
          case 'b':
            return '\b';
          case 'f':
            return '\f';
          default:
            return c;
        }
      });
  }
  const q = s.indexOf("'");
  return s.slice(q + 1, -1).replaceAll("''", "'");
}

/** Replaces the given [start, end) ranges of `text` by spaces (newlines kept) so offsets do not move. */
export function blank(text: string, ranges: readonly (readonly [number, number])[]): string {
  if (ranges.length === 0) return text;
  const chars = text.split('');
  for (const [a, b] of ranges) {
    for (let i = Math.max(a, 0); i < Math.min(b, chars.length); i++) {
      const c = chars[i];
      if (c !== '\n' && c !== '\r') chars[i] = ' ';
    }
  }
  return chars.join('');
}

/** Writes `word` over `text` at `at` (the word must fit in the span it replaces). */
export function overwrite(text: string, at: number, word: string): string {
  return text.slice(0, at) + word + text.slice(at + word.length);
}
