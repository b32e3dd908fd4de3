/**
 * PostgreSQL's `lower`, `upper` and `initcap` in a UTF-8 database: each code point is mapped
 * on its own to one code point (Unicode's simple case mapping, as towlower/towupper do), so
 * `upper('ß')` stays `ß` and `lower('İ')` is `i`. The engine's evaluator and the ad-hoc
 * path's DuckDB functions both call these, so a view and a query over psql map case alike.
 */

/** The simple mappings where JavaScript's full mapping gives more than one code point. */
const simpleLower: Readonly<Record<string, string>> = { İ: 'i' };

function mapChars(s: string, f: (c: string) => string, simple: Readonly<Record<string, string>>): string {
  let out = '';
  for (const c of s) {
    const m = f(c);
    out += m.length === 1 || Array.from(m).length === 1 ? m : (simple[c] ?? c);
  }
  return out;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

export function lower(s: string): string {
  return isAscii(s) ? s.toLowerCase() : mapChars(s, (c) => c.toLowerCase(), simpleLower);
}

export function upper(s: string): string {
  return isAscii(s) ? s.toUpperCase() : mapChars(s, (c) => c.toUpperCase(), {});
}

const letterOrDigit = /[\p{L}\p{N}]/u;

/** The first letter or digit of each word upper case, the rest lower case. */
export function initcap(s: string): string {
  let out = '';
  let inWord = false;
  for (const c of s) {
    const alnum = letterOrDigit.test(c);
    out += alnum ? (inWord ? lower(c) : upper(c)) : c;
    inWord = alnum;
  }
  return out;
}
