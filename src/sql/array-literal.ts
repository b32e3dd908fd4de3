/**
 * PostgreSQL's text form of a one-dimensional array, `{a,"b c",NULL}`: elements separated by
 * commas, double quotes around elements with special characters (backslash escapes inside),
 * unquoted NULL for NULL, blanks around unquoted elements ignored. Each element's text is
 * then read as the element type by `element`.
 */
import type { Value } from './types.ts';

export function parseArrayText(
  text: string,
  element: (text: string) => Value | undefined,
): Value[] | undefined {
  const t = text.trim();
  if (!t.startsWith('{') || !t.endsWith('}')) return undefined;
  const body = t.slice(1, -1);
  if (body.trim() === '') return [];
  const out: Value[] = [];
  let i = 0;
  while (i <= body.length) {
    while (body[i] === ' ') i++;
    let raw: string;
    let quoted = false;
    if (body[i] === '"') {
      quoted = true;
      raw = '';
      i++;
      for (; i < body.length && body[i] !== '"'; i++) raw += body[i] === '\\' ? (body[++i] ?? '') : body[i];
      if (body[i] !== '"') return undefined;
      i++;
      while (body[i] === ' ') i++;
    } else {
      const end = body.indexOf(',', i);
      raw = body.slice(i, end < 0 ? body.length : end).trim();
      if (raw === '' || raw.includes('{') || raw.includes('"')) return undefined;
      i = end < 0 ? body.length : end;
    }
    if (!quoted && raw.toUpperCase() === 'NULL') out.push(null);
    else {
      const v = element(raw);
      if (v === undefined) return undefined;
      out.push(v);
    }
    if (i >= body.length) break;
    if (body[i] !== ',') return undefined;
    i++;
  }
  return out;
}
