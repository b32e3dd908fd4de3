/**
 * jsonb's operators and functions over parsed JSON values (objects, arrays, strings, numbers,
 * booleans), as PostgreSQL computes them: a path or key that is not there gives NULL;
 * containment (`@>`) is structural (an object contains another when it has each of its keys
 * with a containing value, an array when each element is contained in one of its elements);
 * `?` asks for an object key or a string element of an array.
 */

import { jsonbOf, jsonOf } from '../../../sql/jsonb-value.ts';
import { checkBuiltLength } from '../../../sql/limits.ts';
import { toJson } from '../../../sql/to-jsonb.ts';
import type { SqlType, Value } from '../../../sql/types.ts';
import { formatJsonb } from '../../../sql/value-text.ts';
import { type Kernel, strict, variadic } from './kernel.ts';

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function step(v: Json, key: string | number): Json {
  if (Array.isArray(v)) {
    const i = typeof key === 'number' ? key : /^-?\d+$/.test(key) ? Number(key) : Number.NaN;
    if (!Number.isInteger(i)) return undefined;
    return v[i < 0 ? v.length + i : i];
  }
  if (isObject(v) && typeof key === 'string') return Object.hasOwn(v, key) ? v[key] : undefined;
  return undefined;
}

function path(v: Json, keys: readonly Value[]): Json {
  let cur: Json = v;
  for (const k of keys) {
    if (k === null || cur === undefined) return undefined;
    cur = step(cur, k as string);
  }
  return cur;
}

/** A found value as text: a string unquoted, anything else in jsonb's text form. */
function asText(v: Json): Value {
  if (v === undefined || v === null) return null;
  return typeof v === 'string' ? v : formatJsonb(v);
}

function contains(a: Json, b: Json, top = true): boolean {
  if (isObject(b)) {
    if (!isObject(a)) return false;
    return Object.keys(b).every((k) => Object.hasOwn(a, k) && contains(a[k], b[k], false));
  }
  if (Array.isArray(b)) {
    if (!Array.isArray(a)) return false;
    return b.every((e) => a.some((x) => contains(x, e, false)));
  }
  if (Array.isArray(a) && top) return a.some((x) => !Array.isArray(x) && !isObject(x) && x === b);
  return a === b;
}

function hasKey(v: Json, key: string): boolean {
  if (isObject(v)) return Object.hasOwn(v, key);
  if (Array.isArray(v)) return v.some((e) => e === key);
  return typeof v === 'string' && v === key;
}

function concat(a: Json, b: Json): Json {
  if (isObject(a) && isObject(b)) return checkedJson({ ...a, ...b });
  const list = (v: Json) => (Array.isArray(v) ? v : [v]);
  return checkedJson([...list(a), ...list(b)]);
}

/**
 * The length of a value's JSON text, roughly. Values built of one another share their parts
 * (`jsonb_build_array(x, x)`), so a part is measured once and counted where it appears.
 */
function jsonTextLength(v: Json, measured: Map<object, number>): number {
  if (v === null || typeof v !== 'object') return typeof v === 'string' ? v.length + 2 : 8;
  const known = measured.get(v);
  if (known !== undefined) return known;
  let n = 2;
  if (Array.isArray(v)) for (const e of v) n += jsonTextLength(e, measured) + 1;
  else for (const [k, e] of Object.entries(v)) n += k.length + 4 + jsonTextLength(e, measured);
  measured.set(v, n);
  return n;
}

/** `v` when its text is within the limit of a built text; 54000 otherwise. */
function checkedJson(v: Json): Json {
  checkBuiltLength(jsonTextLength(v, new Map()));
  return v;
}

function typeOf(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (isObject(v)) return 'object';
  return typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'string';
}

function stripNulls(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripNulls);
  if (!isObject(v)) return v;
  const out: Record<string, Json> = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = stripNulls(x);
  return out;
}

function notArray(): never {
  throw Object.assign(new Error('cannot get array length of a non-array'), { sqlstate: '22023' });
}

/**
 * The kernel of `fn`. Its jsonb arguments are jsonb values (a JSON null standing alone is
 * `JSON_NULL`, jsonb-value.ts), which it reads as JSON (`jsonOf`); what it makes of JSON is a
 * jsonb value again (`jsonbOf`).
 */
export function jsonbKernel(fn: string, types: readonly SqlType[]): Kernel | undefined {
  switch (fn) {
    case 'jsonb ->':
      return strict((v: Value, k: string | number) => jsonbOf(step(jsonOf(v), k)));
    case 'jsonb ->>':
      return strict((v: Value, k: string | number) => asText(step(jsonOf(v), k)));
    case 'jsonb #>':
      return strict((v: Value, p: readonly Value[]) => jsonbOf(path(jsonOf(v), p)));
    case 'jsonb #>>':
      return strict((v: Value, p: readonly Value[]) => asText(path(jsonOf(v), p)));
    case 'jsonb @>':
      return strict((a: Value, b: Value) => contains(jsonOf(a), jsonOf(b)));
    case 'jsonb <@':
      return strict((a: Value, b: Value) => contains(jsonOf(b), jsonOf(a)));
    case 'jsonb ?':
      return strict((v: Value, k: string) => hasKey(jsonOf(v), k));
    case 'jsonb ?|':
      return strict((v: Value, ks: readonly Value[]) =>
        ks.some((k) => k !== null && hasKey(jsonOf(v), k as string)),
      );
    case 'jsonb ?&':
      return strict((v: Value, ks: readonly Value[]) =>
        ks.every((k) => k !== null && hasKey(jsonOf(v), k as string)),
      );
    case 'jsonb ||':
      return strict((a: Value, b: Value) => jsonbOf(concat(jsonOf(a), jsonOf(b))));
    case 'jsonb_typeof':
      return strict((v: Value) => typeOf(jsonOf(v)));
    case 'jsonb_array_length':
      return strict((v: Value) => (Array.isArray(v) ? v.length : notArray()));
    case 'jsonb_strip_nulls':
      return strict((v: Value) => jsonbOf(stripNulls(jsonOf(v))));
    case 'jsonb_extract_path':
    case 'jsonb_extract_path_text': {
      const text = fn.endsWith('_text');
      return variadic(([v, ...keys]) => {
        if (v === null || v === undefined) return null;
        const found = path(jsonOf(v), keys);
        return text ? asText(found) : jsonbOf(found);
      });
    }
    case 'to_jsonb': {
      const t = types[0];
      return t === undefined
        ? undefined
        : variadic(([v]) => (v === null ? null : jsonbOf(toJson(v as Value, t))));
    }
    case 'jsonb_build_object':
      return variadic((args) => {
        const out: Record<string, Json> = {};
        for (let i = 0; i + 1 < args.length; i += 2) {
          const k = args[i];
          if (k === null)
            throw Object.assign(new Error('argument 1: key must not be null'), { sqlstate: '22004' });
          out[k as string] = toJson(args[i + 1] as Value, types[i + 1] as SqlType);
        }
        return checkedJson(out) as Value;
      });
    case 'jsonb_build_array':
      return variadic((args) => checkedJson(args.map((v, i) => toJson(v, types[i] as SqlType))) as Value);
    default:
      return undefined;
  }
}
