/**
 * PostgreSQL's `quote_ident` and `parse_ident` (Grafana's table and column pickers send them)
 * and its text form of arrays (`'{a,b}'::text[]`).
 */

/** PostgreSQL 15's keywords that are not unreserved (`pg_get_keywords()` with catcode <> 'U'). */
const quotedKeywords = new Set(
  (
    'all analyse analyze and any array as asc asymmetric authorization between bigint binary bit boolean both ' +
    'case cast char character check coalesce collate collation column concurrently constraint create cross ' +
    'current_catalog current_date current_role current_schema current_time current_timestamp current_user dec ' +
    'decimal default deferrable desc distinct do else end except exists extract false fetch float for foreign ' +
    'freeze from full grant greatest group grouping having ilike in initially inner inout int integer intersect ' +
    'interval into is isnull join lateral leading least left like limit localtime localtimestamp national natural ' +
    'nchar none normalize not notnull null nullif numeric offset on only or order out outer overlaps overlay ' +
    'placing position precision primary real references returning right row select session_user setof similar ' +
    'smallint some substring symmetric table tablesample then time timestamp to trailing treat trim true union ' +
    'unique user using values varchar variadic verbose when where window with xmlattributes xmlconcat xmlelement ' +
    'xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable'
  ).split(' '),
);

/** `quote_ident(s)`: `s` itself when it can stand unquoted, else double-quoted. */
export function quoteIdentifier(s: string): string {
  if (/^[a-z_][a-z0-9_]*$/.test(s) && !quotedKeywords.has(s)) return s;
  return `"${s.replaceAll('"', '""')}"`;
}

/** `parse_ident(s)`: the parts of a qualified name, unquoted parts folded to lower case. */
export function parseIdentifier(s: string): string[] {
  const parts: string[] = [];
  let i = 0;
  const invalid = (): Error => new Error(`string is not a valid identifier: "${s}"`);
  const skipSpace = () => {
    while (i < s.length && /\s/.test(s[i] as string)) i++;
  };
  for (;;) {
    skipSpace();
    if (s[i] === '"') {
      let part = '';
      i++;
      for (;;) {
        const close = s.indexOf('"', i);
        if (close < 0) throw invalid();
        part += s.slice(i, close);
        i = close + 1;
        if (s[i] === '"') {
          part += '"';
          i++;
        } else break;
      }
      if (part === '') throw invalid();
      parts.push(part);
    } else {
      const m = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/.exec(s.slice(i));
      if (m === null) throw invalid();
      parts.push(m[0].toLowerCase());
      i += m[0].length;
    }
    skipSpace();
    if (i >= s.length) return parts;
    if (s[i] !== '.') throw invalid();
    i++;
  }
}

/** PostgreSQL's text form of a one-dimensional array (`{a,"b c",NULL}`) as its elements. */
export function parseArrayText(s: string): (string | null)[] {
  const text = s.trim();
  if (!text.startsWith('{') || !text.endsWith('}')) throw new Error(`malformed array literal: "${s}"`);
  const out: (string | null)[] = [];
  let i = 1;
  const end = text.length - 1;
  while (i < end) {
    while (i < end && /\s/.test(text[i] as string)) i++;
    if (text[i] === '"') {
      let v = '';
      i++;
      while (i < end && text[i] !== '"') {
        if (text[i] === '\\') i++;
        v += text[i] ?? '';
        i++;
      }
      i++;
      out.push(v);
    } else {
      let j = i;
      while (j < end && text[j] !== ',') j++;
      const v = text.slice(i, j).trim();
      if (v === '' && j >= end && out.length === 0) break;
      out.push(v.toUpperCase() === 'NULL' ? null : v);
      i = j;
    }
    while (i < end && /\s/.test(text[i] as string)) i++;
    if (i < end && text[i] !== ',') throw new Error(`malformed array literal: "${s}"`);
    i++;
  }
  return out;
}
