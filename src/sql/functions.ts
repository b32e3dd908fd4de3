/**
 * Function and operator resolution, following PostgreSQL's rules for the types we have:
 * the result type is decided here, and arguments are coerced (unknown-typed literals take
 * the type the signature wants; other arguments get implicit casts).
 */
import {
  datatypeMismatch,
  invalidText,
  type Place,
  SqlError,
  undefinedFunction,
  undefinedOperator,
} from './errors.ts';
import { type BoundExpr, call, cast, literal } from './expr.ts';
import { parseLiteral } from './literals.ts';
import {
  arrayOf,
  canExplicitCast,
  canImplicitCast,
  category,
  commonType,
  formatType,
  isInteger,
  isNumeric,
  isString,
  isTimestamp,
  numericCommon,
  type SqlType,
  sameType,
  T,
} from './types.ts';

/** Coerces `e` to `to`: folds unknown literals (22P02 on bad input), casts implicitly, else 42804. */
export function coerce(e: BoundExpr, to: SqlType, place: Place | undefined, what = 'expression'): BoundExpr {
  if (sameType(e.type, to)) return e;
  if (e.kind === 'Literal' && (e.type.name === 'unknown' || e.value === null))
    return castLiteral(e.value, to, place);
  if (e.kind === 'Literal' && isNumeric(e.type) && isNumeric(to) && canImplicitCast(e.type, to, false))
    return castLiteral(e.value, to, place);
  if (canImplicitCast(e.type, to, false)) return cast(e, to);
  throw datatypeMismatch(
    `${what} is of type ${formatType(e.type)} but expression is of type ${formatType(to)}`,
    place,
  );
}

/** Assignment coercion (INSERT values, UPDATE SET): numeric narrowing and to-text allowed. */
export function coerceAssignment(
  e: BoundExpr,
  to: SqlType,
  column: string,
  place: Place | undefined,
): BoundExpr {
  if (sameType(e.type, to)) return e;
  if (e.kind === 'Literal' && (e.type.name === 'unknown' || e.value === null))
    return castLiteral(e.value, to, place);
  if (e.kind === 'Literal' && isNumeric(e.type) && isNumeric(to)) return castLiteral(e.value, to, place);
  if (canImplicitCast(e.type, to, true)) return cast(e, to);
  throw datatypeMismatch(
    `column "${column}" is of type ${formatType(to)} but expression is of type ${formatType(e.type)}`,
    place,
  );
}

/** `CAST(e AS to)` / `e::to`. */
export function explicitCast(
  e: BoundExpr,
  to: SqlType,
  place: Place | undefined,
  typmod?: number,
): BoundExpr {
  if (e.kind === 'Literal' && (e.type.name === 'unknown' || e.value === null))
    return castLiteral(e.value, to, place, typmod);
  if (sameType(e.type, to)) return e;
  if (e.kind === 'Literal' && isNumeric(e.type) && isNumeric(to) && typeof e.value === 'number') {
    return castLiteral(e.value, to, place);
  }
  if (!canExplicitCast(e.type, to))
    throw new SqlError(
      '42846',
      `cannot cast type ${formatType(e.type)} to ${formatType(to)}`,
      place === undefined ? undefined : place.offset + 1,
    );
  return cast(e, to);
}

function castLiteral(value: unknown, to: SqlType, place: Place | undefined, typmod?: number): BoundExpr {
  if (value === null) return literal(null, to);
  if (typeof value === 'number' && isNumeric(to)) {
    if (isInteger(to)) {
      const r = Math.round(value);
      const limit = to.name === 'int2' ? 32767 : to.name === 'int4' ? 2147483647 : Number.MAX_SAFE_INTEGER;
      if (Math.abs(r) > limit)
        throw new SqlError(
          '22003',
          `${formatType(to)} out of range`,
          place === undefined ? undefined : place.offset + 1,
        );
      return literal(r, to);
    }
    return literal(value, to);
  }
  const text = String(value);
  const v = parseLiteral(text, to, typmod);
  if (v === undefined) throw invalidText(formatType(to), text, place);
  return literal(v, to);
}

function sig(args: readonly BoundExpr[]): string {
  return args.map((a) => formatType(a.type)).join(', ');
}

const comparisons = new Set(['=', '<>', '!=', '<', '<=', '>', '>=']);

/** Resolves a binary or prefix operator (`right` undefined for prefix ops, `left` is then the operand). */
export function resolveOperator(
  op: string,
  left: BoundExpr,
  right: BoundExpr | undefined,
  place: Place | undefined,
): BoundExpr {
  if (right === undefined) return resolvePrefix(op, left, place);
  let l = left;
  let r = right;
  // An unknown literal takes the type of the other side (both unknown: text).
  if (l.type.name === 'unknown' && r.type.name !== 'unknown') l = unknownFor(op, l, r.type, place, true);
  else if (r.type.name === 'unknown' && l.type.name !== 'unknown')
    r = unknownFor(op, r, l.type, place, false);
  else if (l.type.name === 'unknown' && r.type.name === 'unknown') {
    l = coerce(l, T.text, place);
    r = coerce(r, T.text, place);
  }
  const fail = (): never => {
    throw undefinedOperator(`${formatType(l.type)} ${op} ${formatType(r.type)}`, place);
  };
  if (comparisons.has(op)) {
    const common = commonType(l.type, r.type);
    if (common === undefined || common.name === 'jsonb') return fail();
    return call(op === '!=' ? '<>' : op, [coerce(l, common, place), coerce(r, common, place)], T.boolean);
  }
  const lt = l.type;
  const rt = r.type;
  switch (op) {
    case '+':
    case '-':
    case '*':
    case '/':
    case '%': {
      if (isNumeric(lt) && isNumeric(rt)) {
        const common = numericCommon(lt, rt);
        if (op === '%' && (common.name === 'float4' || common.name === 'float8')) return fail();
        return call(op, [coerce(l, common, place), coerce(r, common, place)], common);
      }
      const result = temporalArithmetic(op, l, r, place);
      return result ?? fail();
    }
    case '^':
      if (isNumeric(lt) && isNumeric(rt)) {
        const t = lt.name === 'numeric' || rt.name === 'numeric' ? T.numeric : T.float8;
        return call('^', [coerce(l, t, place), coerce(r, t, place)], t);
      }
      return fail();
    case '||': {
      if (lt.name === 'array' || rt.name === 'array') {
        const t = lt.name === 'array' ? lt : rt;
        const elem = t.element ?? T.text;
        const a = lt.name === 'array' ? l : coerce(l, elem, place);
        const b = rt.name === 'array' ? r : coerce(r, elem, place);
        return call('||', [a, b], t);
      }
      if (!isString(lt) && !isString(rt)) return fail();
      return call('||', [toText(l), toText(r)], T.text);
    }
    case '~~':
    case '!~~':
    case '~~*':
    case '!~~*':
    case '~':
    case '!~':
    case '~*':
    case '!~*':
      if (!isString(lt) || !isString(rt)) return fail();
      return call(op, [coerce(l, T.text, place), coerce(r, T.text, place)], T.boolean);
    default:
      return fail();
  }
}

function toText(e: BoundExpr): BoundExpr {
  if (e.type.name === 'text') return e;
  if (e.kind === 'Literal' && e.type.name === 'unknown') return literal(e.value, T.text);
  return cast(e, T.text);
}

function unknownFor(
  op: string,
  e: BoundExpr,
  other: SqlType,
  place: Place | undefined,
  isLeft: boolean,
): BoundExpr {
  if (op === '||') return coerce(e, other.name === 'array' ? other : T.text, place);
  if (
    (op === '+' || op === '-') &&
    !isLeft &&
    (isTimestamp(other) || other.name === 'date' || other.name === 'time')
  )
    return coerce(e, T.interval, place);
  if ((op === '*' || op === '/') && other.name === 'interval') return coerce(e, T.float8, place);
  if (op.includes('~')) return coerce(e, T.text, place);
  return coerce(e, other, place);
}

function temporalArithmetic(
  op: string,
  l: BoundExpr,
  r: BoundExpr,
  place: Place | undefined,
): BoundExpr | undefined {
  const lt = l.type;
  const rt = r.type;
  const iv = (t: SqlType) => t.name === 'interval';
  if (op === '+' || op === '-') {
    if (isTimestamp(lt) && iv(rt)) return call(op, [l, r], lt);
    if (op === '+' && iv(lt) && isTimestamp(rt)) return call(op, [r, l], rt);
    if (lt.name === 'date' && iv(rt)) return call(op, [cast(l, T.timestamp), r], T.timestamp);
    if (op === '+' && iv(lt) && rt.name === 'date') return call(op, [cast(r, T.timestamp), l], T.timestamp);
    if (lt.name === 'date' && isInteger(rt)) return call(op, [l, coerce(r, T.int4, place)], T.date);
    if (op === '+' && isInteger(lt) && rt.name === 'date')
      return call(op, [r, coerce(l, T.int4, place)], T.date);
    if (lt.name === 'time' && iv(rt)) return call(op, [l, r], T.time);
    if (iv(lt) && iv(rt)) return call(op, [l, r], T.interval);
    if (op === '-' && lt.name === 'date' && rt.name === 'date') return call(op, [l, r], T.int4);
    if (op === '-' && category(lt) === 'datetime' && category(rt) === 'datetime') {
      const common = commonType(lt, rt);
      if (common !== undefined && isTimestamp(common))
        return call(op, [coerce(l, common, place), coerce(r, common, place)], T.interval);
    }
    return undefined;
  }
  if (op === '*' && iv(lt) && isNumeric(rt)) return call(op, [l, coerce(r, T.float8, place)], T.interval);
  if (op === '*' && isNumeric(lt) && iv(rt)) return call(op, [r, coerce(l, T.float8, place)], T.interval);
  if (op === '/' && iv(lt) && isNumeric(rt)) return call(op, [l, coerce(r, T.float8, place)], T.interval);
  return undefined;
}

function resolvePrefix(op: string, e: BoundExpr, place: Place | undefined): BoundExpr {
  if (op === '-' || op === '+') {
    const arg = e.type.name === 'unknown' ? coerce(e, T.numeric, place) : e;
    if (isNumeric(arg.type) || arg.type.name === 'interval') {
      if (op === '+') return arg;
      if (arg.kind === 'Literal' && typeof arg.value === 'number') return literal(-arg.value, arg.type);
      return call('neg', [arg], arg.type);
    }
  }
  if (op === '@' && isNumeric(e.type)) return call('abs', [e], e.type);
  throw undefinedOperator(`${op} ${formatType(e.type)}`, place);
}

// ---------------------------------------------------------------------------
// Scalar functions

type Resolver = (args: readonly BoundExpr[], place: Place | undefined) => BoundExpr | undefined;

function fixed(params: readonly SqlType[], result: SqlType, fn?: string): (name: string) => Resolver {
  return (name) => (args, place) => {
    if (args.length !== params.length) return undefined;
    for (let i = 0; i < args.length; i++) {
      const a = args[i] as BoundExpr;
      const p = params[i] as SqlType;
      if (!(a.type.name === 'unknown' || canImplicitCast(a.type, p))) return undefined;
    }
    return call(
      fn ?? name,
      args.map((a, i) => coerce(a, params[i] as SqlType, place)),
      result,
    );
  };
}

function overloads(...rs: ((name: string) => Resolver)[]): (name: string) => Resolver {
  return (name) => {
    const bound = rs.map((r) => r(name));
    return (args, place) => {
      for (const r of bound) {
        const e = r(args, place);
        if (e !== undefined) return e;
      }
      return undefined;
    };
  };
}

/** One numeric argument, result of the same type (abs, ceil, floor, round, sign, trunc). */
const sameNumeric =
  (name: string): Resolver =>
  (args, place) => {
    if (args.length !== 1) return undefined;
    const a = args[0] as BoundExpr;
    const t = a.type.name === 'unknown' ? T.float8 : a.type;
    if (!isNumeric(t)) return undefined;
    const out = name === 'abs' || name === 'sign' ? t : isInteger(t) ? (name === 'abs' ? t : T.numeric) : t;
    const arg = coerce(a, isInteger(t) && out.name === 'numeric' ? T.numeric : t, place);
    return call(
      name,
      [arg],
      out.name === 'numeric' || out.name === 'float4' || out.name === 'float8' ? out : t,
    );
  };

const floatMath =
  (name: string): Resolver =>
  (args, place) => {
    if (args.length !== 1 || !(isNumeric(args[0]?.type ?? T.text) || args[0]?.type.name === 'unknown'))
      return undefined;
    const a = args[0] as BoundExpr;
    const t = a.type.name === 'numeric' ? T.numeric : T.float8;
    return call(name, [coerce(a, t, place)], t);
  };

const variadicText =
  (name: string): Resolver =>
  (args) =>
    call(name, args.map(toText), T.text);

const sameAsArgs =
  (name: string): Resolver =>
  (args, place) => {
    if (args.length === 0) return undefined;
    let t: SqlType | undefined = args[0]?.type;
    for (const a of args) {
      t = t === undefined ? undefined : commonType(t, a.type);
    }
    if (t === undefined) return undefined;
    const tt = t;
    return call(
      name,
      args.map((a) => coerce(a, tt, place)),
      tt,
    );
  };

const text = T.text;
const int4 = T.int4;
const functions: Readonly<Record<string, (name: string) => Resolver>> = {
  lower: fixed([text], text),
  upper: fixed([text], text),
  length: fixed([text], int4),
  char_length: fixed([text], int4),
  character_length: fixed([text], int4, 'char_length'),
  octet_length: fixed([text], int4),
  btrim: overloads(fixed([text], text), fixed([text, text], text)),
  ltrim: overloads(fixed([text], text), fixed([text, text], text)),
  rtrim: overloads(fixed([text], text), fixed([text, text], text)),
  substr: overloads(fixed([text, int4], text), fixed([text, int4, int4], text)),
  substring: overloads(fixed([text, int4], text, 'substr'), fixed([text, int4, int4], text, 'substr')),
  replace: fixed([text, text, text], text),
  split_part: fixed([text, text, int4], text),
  strpos: fixed([text, text], int4),
  position: fixed([text, text], int4, 'strpos'),
  starts_with: fixed([text, text], T.boolean),
  left: fixed([text, int4], text),
  right: fixed([text, int4], text),
  repeat: fixed([text, int4], text),
  reverse: fixed([text], text),
  md5: fixed([text], text),
  initcap: fixed([text], text),
  lpad: overloads(fixed([text, int4], text), fixed([text, int4, text], text)),
  rpad: overloads(fixed([text, int4], text), fixed([text, int4, text], text)),
  regexp_replace: overloads(fixed([text, text, text], text), fixed([text, text, text, text], text)),
  regexp_match: overloads(fixed([text, text], arrayOf(text)), fixed([text, text, text], arrayOf(text))),
  split_to_array: fixed([text, text], arrayOf(text), 'string_to_array'),
  string_to_array: fixed([text, text], arrayOf(text)),
  concat: variadicText,
  concat_ws: variadicText,
  abs: sameNumeric,
  sign: sameNumeric,
  ceil: floatMath,
  ceiling: () => floatMath('ceil'),
  floor: floatMath,
  sqrt: floatMath,
  exp: floatMath,
  ln: floatMath,
  log10: floatMath,
  cbrt: () => fixed([T.float8], T.float8)('cbrt'),
  round: overloads(floatMath, fixed([T.numeric, int4], T.numeric)),
  trunc: overloads(floatMath, fixed([T.numeric, int4], T.numeric)),
  log: overloads(floatMath, fixed([T.numeric, T.numeric], T.numeric)),
  power: overloads(fixed([T.float8, T.float8], T.float8), fixed([T.numeric, T.numeric], T.numeric)),
  pow: () =>
    overloads(fixed([T.float8, T.float8], T.float8), fixed([T.numeric, T.numeric], T.numeric))('power'),
  mod: overloads(
    fixed([T.int2, T.int2], T.int2),
    fixed([int4, int4], int4),
    fixed([T.int8, T.int8], T.int8),
    fixed([T.numeric, T.numeric], T.numeric),
  ),
  greatest: sameAsArgs,
  least: sameAsArgs,
  now: fixed([], T.timestamptz),
  current_timestamp: fixed([], T.timestamptz, 'now'),
  proctime: fixed([], T.timestamptz),
  date_trunc: overloads(
    fixed([text, T.timestamp], T.timestamp),
    fixed([text, T.timestamptz], T.timestamptz),
    fixed([text, T.interval], T.interval),
  ),
  date_part: overloads(
    fixed([text, T.timestamp], T.float8),
    fixed([text, T.timestamptz], T.float8),
    fixed([text, T.date], T.float8),
    fixed([text, T.interval], T.float8),
  ),
  extract: overloads(
    fixed([text, T.timestamp], T.numeric),
    fixed([text, T.timestamptz], T.numeric),
    fixed([text, T.date], T.numeric),
    fixed([text, T.interval], T.numeric),
    fixed([text, T.time], T.numeric),
  ),
  to_timestamp: fixed([T.float8], T.timestamptz),
  to_char: overloads(
    fixed([T.timestamp, text], text),
    fixed([T.timestamptz, text], text),
    fixed([T.numeric, text], text),
  ),
  make_interval: () => () => undefined,
  array_length: fixed([arrayOf(text), int4], int4),
  cardinality: (name) => (args) =>
    args.length === 1 && args[0]?.type.name === 'array' ? call(name, args, int4) : undefined,
  pg_typeof: () => (args) => (args.length === 1 ? call('pg_typeof', args, text) : undefined),
};

/** Resolves a scalar function call (42883 if no signature fits). */
export function resolveFunction(
  name: string,
  args: readonly BoundExpr[],
  place: Place | undefined,
): BoundExpr {
  const make = functions[name];
  const r = make?.(name)(args, place);
  if (r === undefined) throw undefinedFunction(`${name}(${sig(args)})`, place);
  return r;
}

export function isScalarFunction(name: string): boolean {
  return functions[name] !== undefined;
}

// ---------------------------------------------------------------------------
// Aggregates

export const aggregateNames = new Set([
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'percentile_cont',
  'percentile_disc',
  'approx_percentile',
  'string_agg',
  'array_agg',
  'bool_and',
  'bool_or',
  'every',
  'stddev',
  'stddev_samp',
  'stddev_pop',
  'variance',
  'var_samp',
  'var_pop',
]);

export const windowOnlyNames = new Set([
  'row_number',
  'rank',
  'dense_rank',
  'lag',
  'lead',
  'first_value',
  'last_value',
  'ntile',
  'percent_rank',
  'cume_dist',
  'nth_value',
]);

/** Result type of sum/avg/min/max/… over `t` (undefined: no such aggregate for that type). */
export function aggregateResultType(fn: string, t: SqlType): SqlType | undefined {
  switch (fn) {
    case 'count':
    case 'count_star':
      return T.int8;
    case 'sum':
      if (t.name === 'int2' || t.name === 'int4') return T.int8;
      if (t.name === 'int8' || t.name === 'numeric') return T.numeric;
      if (t.name === 'float4' || t.name === 'float8' || t.name === 'interval') return t;
      return undefined;
    case 'avg':
      if (isInteger(t) || t.name === 'numeric') return T.numeric;
      if (t.name === 'float4' || t.name === 'float8') return T.float8;
      if (t.name === 'interval') return T.interval;
      return undefined;
    case 'min':
    case 'max':
      if (t.name === 'array' || t.name === 'jsonb' || t.name === 'boolean') return undefined;
      return t.name === 'varchar' ? T.varchar : t;
    case 'stddev_samp':
    case 'stddev_pop':
    case 'var_samp':
    case 'var_pop':
      if (isInteger(t) || t.name === 'numeric') return T.numeric;
      if (t.name === 'float4' || t.name === 'float8') return T.float8;
      return undefined;
    case 'bool_and':
    case 'bool_or':
      return t.name === 'boolean' ? T.boolean : undefined;
    default:
      return undefined;
  }
}

export function describeCall(name: string, args: readonly BoundExpr[]): string {
  return `${name}(${sig(args)})`;
}

export { sameType };
