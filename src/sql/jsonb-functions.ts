/**
 * jsonb's operators (`->`, `->>`, `#>`, `#>>`, `@>`, `<@`, `?`, `?|`, `?&`, `||`) and common
 * functions (jsonb_typeof, jsonb_array_length, jsonb_build_object/array, to_jsonb,
 * jsonb_extract_path[_text], jsonb_strip_nulls), typed as PostgreSQL types them. The
 * evaluator's kernels (eval/functions/jsonb.ts) compute them.
 */
import type { Place } from './errors.ts';
import type { BoundExpr } from './expr.ts';
import { arrayOf, isInteger, type SqlType, T } from './types.ts';

type Coerce = (e: BoundExpr, to: SqlType, place: Place | undefined) => BoundExpr;

function call(fn: string, args: readonly BoundExpr[], type: SqlType): BoundExpr {
  return Object.freeze({ kind: 'Call', fn, args: Object.freeze([...args]), type });
}

const textArray = arrayOf(T.text);

/** `l op r` with a jsonb left operand; undefined when `op` is not one of jsonb's. */
export function resolveJsonbOperator(
  op: string,
  l: BoundExpr,
  r: BoundExpr,
  place: Place | undefined,
  coerce: Coerce,
): BoundExpr | undefined {
  if (l.type.name !== 'jsonb') {
    // an unknown literal on the left of @>, <@ or || with a jsonb on the right is a jsonb
    const symmetric = op === '@>' || op === '<@' || op === '||';
    return symmetric && l.type.name === 'unknown' && r.type.name === 'jsonb'
      ? resolveJsonbOperator(op, coerce(l, T.jsonb, place), r, place, coerce)
      : undefined;
  }
  const rt = r.type;
  switch (op) {
    case '->':
    case '->>': {
      const key = isInteger(rt) ? coerce(r, T.int4, place) : coerce(r, T.text, place);
      return call(`jsonb ${op}`, [l, key], op === '->' ? T.jsonb : T.text);
    }
    case '#>':
    case '#>>':
      return call(`jsonb ${op}`, [l, coerce(r, textArray, place)], op === '#>' ? T.jsonb : T.text);
    case '@>':
    case '<@':
    case '||':
      return call(`jsonb ${op}`, [l, coerce(r, T.jsonb, place)], op === '||' ? T.jsonb : T.boolean);
    case '?':
      return call('jsonb ?', [l, coerce(r, T.text, place)], T.boolean);
    case '?|':
    case '?&':
      return call(`jsonb ${op}`, [l, coerce(r, textArray, place)], T.boolean);
    default:
      return undefined;
  }
}

/** jsonb functions by name: the call, or undefined when the arguments do not fit. */
export function resolveJsonbFunction(
  name: string,
  args: readonly BoundExpr[],
  place: Place | undefined,
  coerce: Coerce,
): BoundExpr | undefined {
  const [a, ...rest] = args;
  const json = (e: BoundExpr) => coerce(e, T.jsonb, place);
  switch (name) {
    case 'jsonb_typeof':
      return args.length === 1 && a !== undefined ? call(name, [json(a)], T.text) : undefined;
    case 'jsonb_array_length':
      return args.length === 1 && a !== undefined ? call(name, [json(a)], T.int4) : undefined;
    case 'jsonb_strip_nulls':
      return args.length === 1 && a !== undefined ? call(name, [json(a)], T.jsonb) : undefined;
    case 'jsonb_extract_path':
    case 'jsonb_extract_path_text':
      if (a === undefined) return undefined;
      return call(
        name,
        [json(a), ...rest.map((k) => coerce(k, T.text, place))],
        name === 'jsonb_extract_path' ? T.jsonb : T.text,
      );
    case 'to_jsonb':
      return args.length === 1 && a !== undefined
        ? call(name, [asKnown(a, coerce, place)], T.jsonb)
        : undefined;
    case 'jsonb_build_object':
      if (args.length % 2 !== 0) return undefined;
      return call(
        name,
        args.map((e, i) => (i % 2 === 0 ? coerce(e, T.text, place) : asKnown(e, coerce, place))),
        T.jsonb,
      );
    case 'jsonb_build_array':
      return call(
        name,
        args.map((e) => asKnown(e, coerce, place)),
        T.jsonb,
      );
    default:
      return undefined;
  }
}

/** An unknown literal as text (PostgreSQL's to_jsonb('x') of an unknown is a string). */
function asKnown(e: BoundExpr, coerce: Coerce, place: Place | undefined): BoundExpr {
  return e.type.name === 'unknown' ? coerce(e, T.text, place) : e;
}

export const JSONB_FUNCTIONS = [
  'jsonb_typeof',
  'jsonb_array_length',
  'jsonb_strip_nulls',
  'jsonb_extract_path',
  'jsonb_extract_path_text',
  'to_jsonb',
  'jsonb_build_object',
  'jsonb_build_array',
] as const;
