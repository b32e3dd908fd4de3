/**
 * jsonb values as rows hold them: parsed JSON — objects, arrays, strings, numbers, booleans,
 * and JS `null` for a JSON null inside them — except that a JSON null standing alone (the
 * value of `'null'::jsonb`, of `'{"k": null}' -> 'k'`) is `JSON_NULL`, because `null` is SQL
 * NULL and PostgreSQL keeps the two apart (`'null'::jsonb IS NULL` is false, its text `null`).
 *
 * `JSON_NULL` is plain data, so checkpoints and logs (`v8.serialize`) keep it, and is told
 * by its shape rather than its identity: its one key is U+0000, which no jsonb object can
 * have (PostgreSQL refuses `\u0000` in jsonb, `parseJsonb` too). Code that puts a jsonb value
 * inside JSON takes it out with `jsonOf`; code that makes a jsonb value of a JSON one wraps
 * it with `jsonbOf`.
 */
import { SqlError } from './errors.ts';
import type { Value } from './types.ts';

const MARK = '\u0000';
const NAME = 'JSON null';

/** A jsonb that is a JSON null (not SQL NULL). */
export const JSON_NULL: Value = Object.freeze({ [MARK]: NAME });

export function isJsonNull(v: unknown): boolean {
  return typeof v === 'object' && v !== null && (v as Record<string, unknown>)[MARK] === NAME;
}

/** A JSON value as a jsonb value: a JSON null becomes `JSON_NULL`; undefined (nothing found) SQL NULL. */
export function jsonbOf(json: unknown): Value {
  if (json === undefined) return null;
  return json === null ? JSON_NULL : (json as Value);
}

/** A jsonb value as the JSON value it is (JS `null` for `JSON_NULL`), to put inside JSON. */
export function jsonOf(v: Value): unknown {
  return isJsonNull(v) ? null : v;
}

/** `\u0000` escaped in JSON text (an even run of backslashes before it escapes only themselves). */
const NUL_ESCAPE = /(?:^|[^\\])(?:\\\\)*\\u0000/;

/**
 * jsonb's input: the value of JSON text, undefined when the text is not JSON; a `\u0000`
 * escape is 22P05, as PostgreSQL cannot keep it.
 */
export function parseJsonb(text: string): Value | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (text.includes('u0000') && NUL_ESCAPE.test(text))
    throw new SqlError('22P05', 'unsupported Unicode escape sequence');
  return jsonbOf(json);
}

/** The value of JSON text the store wrote (`jsonbText`): trusted, so not checked as input is. */
export function storedJsonb(text: string): Value {
  return jsonbOf(JSON.parse(text));
}

/** A jsonb value as compact JSON text (the store's form of it). */
export function jsonbText(v: Value): string {
  return JSON.stringify(jsonOf(v));
}
