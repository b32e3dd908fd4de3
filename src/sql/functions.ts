/**
 * Function and operator resolution, following PostgreSQL's rules for the types we have:
 * the result type is decided here, and arguments are coerced (unknown-typed literals take
 * the type the signature wants; other arguments get implicit casts).
 */
import { resolveArrayFunction, resolveArrayOperator } from './array-functions.ts';
import {
  datatypeMismatch,
  invalidText,
  type Place,
  SqlError,
  undefinedFunction,
  undefinedOperator,
} from './errors.ts';
import { type BoundExpr, call, cast, type Literal, literal } from './expr.ts';
import { type Int8, int8, int8OfNumber } from './int8.ts';
import { JSONB_FUNCTIONS, resolveJsonbFunction, resolveJsonbOperator } from './jsonb-functions.ts';
import { parseBytea, parseLiteral } from './literals.ts';
import {
  isNumericValue,
  type Numeric,
  negNumeric,
  numericFromFloat,
  numericFromInteger,
  numericToInteger,
  numericToNumber,
} from './numeric.ts';
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
  if (e.kind === 'Literal' && (e.type.name === 'unknown' || e.value === null)) return fold(e, to, place);
  if (e.kind === 'Literal' && isNumeric(e.type) && isNumeric(to) && canImplicitCast(e.type, to, false))
    return castLiteral(e.value, to, place, undefined, e.type);
  if (canImplicitCast(e.type, to, false)) return cast(e, to);
  throw datatypeMismatch(
    `${what} is of type ${formatType(e.type)} but expression is of type ${formatType(to)}`,
    place,
  );
}

/**
 * Assignment coercion (INSERT values, UPDATE SET): numeric narrowing and to-text allowed; a
 * `numeric(p, s)` column rounds to its scale (22003 beyond its precision).
 */
export function coerceAssignment(
  e: BoundExpr,
  to: SqlType,
  column: string,
  place: Place | undefined,
): BoundExpr {
  if (to.typmod !== undefined) {
    const plain = coerceAssignment(e, T.numeric, column, place);
    return castTypmod(plain, to.typmod, place);
  }
  if (sameType(e.type, to)) return e;
  if (e.kind === 'Literal' && (e.type.name === 'unknown' || e.value === null)) return fold(e, to, place);
  if (e.kind === 'Literal' && isNumeric(e.type) && isNumeric(to))
    return castLiteral(e.value, to, place, undefined, e.type);
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
    return fold(e, to, place, typmod);
  if (sameType(e.type, to)) return e;
  if (e.kind === 'Literal' && isNumeric(e.type) && isNumeric(to) && e.value !== null) {
    return castLiteral(e.value, to, place, undefined, e.type);
  }
  if (!canExplicitCast(e.type, to))
    throw new SqlError(
      '42846',
      `cannot cast type ${formatType(e.type)} to ${formatType(to)}`,
      place === undefined ? undefined : place.offset + 1,
    );
  return cast(e, to);
}

/**
 * The type modifiers of a cast (`::numeric(8, 1)`, `::varchar(3)`), applied after the cast by
 * PostgreSQL's length-coercion functions: `numeric(x, p, s)` rounds to s decimals (half away
 * from zero) and raises 22003 when the result needs more than p − s integer digits;
 * `varchar(x, n)` truncates to n characters (an explicit cast never fails on length).
 * Other types' modifiers are not applied.
 */
export function castTypmod(e: BoundExpr, mods: readonly number[], place: Place | undefined): BoundExpr {
  if (mods.length === 0) return e;
  const bad = (message: string): never => {
    throw new SqlError('22023', message, positionOf(place));
  };
  if (e.type.name === 'numeric') {
    const [p = 0, s = 0] = mods;
    if (mods.length > 2) bad('invalid NUMERIC type modifier');
    if (p < 1 || p > 1000) bad(`NUMERIC precision ${p} must be between 1 and 1000`);
    if (s < -1000 || s > 1000) bad(`NUMERIC scale ${s} must be between -1000 and 1000`);
    return call('numeric', [e, literal(p, T.int4), literal(s, T.int4)], T.numeric);
  }
  if (e.type.name === 'varchar') {
    const [n = 0] = mods;
    if (mods.length > 1) bad('invalid type modifier');
    if (n < 1) bad('length for type varchar must be at least 1');
    return call('varchar', [e, literal(n, T.int4)], T.varchar);
  }
  return e;
}

/** An unknown or NULL literal as a constant of `to`, still marked with the parameter it stands for. */
function fold(e: Literal, to: SqlType, place: Place | undefined, typmod?: number): Literal {
  const out = castLiteral(e.value, to, place, typmod);
  return e.param === undefined ? out : Object.freeze({ ...out, param: e.param });
}

/**
 * Folds a cast of a literal, with the rules of the run-time cast (src/engine/eval casts.ts):
 * numeric → integer rounds half away from zero, float → integer half to even; real keeps
 * float4 precision and range; float → numeric keeps 15 significant digits (6 for real);
 * numeric text keeps its written scale; bytea text is hex or escape format.
 */
function castLiteral(
  value: unknown,
  to: SqlType,
  place: Place | undefined,
  typmod?: number,
  from?: SqlType,
): Literal {
  if (value === null) return literal(null, to);
  if (from !== undefined && isNumeric(from) && isNumeric(to))
    return castNumberLiteral(value as number | bigint | Numeric, from, to, place);
  const text = String(value);
  if (to.name === 'bytea') {
    try {
      return literal(parseBytea(text), to);
    } catch (e) {
      if (e instanceof SqlError) throw new SqlError(e.sqlstate, e.message, positionOf(place));
      throw e;
    }
  }
  let v: ReturnType<typeof parseLiteral>;
  try {
    v = parseLiteral(text, to, typmod);
  } catch (e) {
    if (e instanceof SqlError) throw new SqlError(e.sqlstate, e.message, positionOf(place));
    throw e;
  }
  if (v === undefined) throw invalidText(formatType(to), text, place);
  if (to.name === 'float4' && typeof v === 'number') {
    const r = Math.fround(v);
    if ((!Number.isFinite(r) && Number.isFinite(v)) || (r === 0 && v !== 0))
      throw new SqlError('22003', `"${text}" is out of range for type real`, positionOf(place));
    return literal(r, to);
  }
  if (to.name === 'float8' && typeof v === 'number' && !Number.isFinite(v) && /\d/.test(text))
    throw new SqlError('22003', `"${text}" is out of range for type double precision`, positionOf(place));
  return literal(v, to);
}

function positionOf(place: Place | undefined): number | undefined {
  return place === undefined || place.offset < 0 ? undefined : place.offset + 1;
}

const intLimits: Readonly<Record<string, readonly [bigint, bigint]>> = {
  int2: [-32768n, 32767n],
  int4: [-2147483648n, 2147483647n],
  int8: [-(2n ** 63n), 2n ** 63n - 1n],
};

/** A literal of one numeric type as another, as the run-time cast converts it. */
function castNumberLiteral(
  value: number | bigint | Numeric,
  from: SqlType,
  to: SqlType,
  place: Place | undefined,
): Literal {
  const floatSource = from.name === 'float4' || from.name === 'float8';
  const fail = (sqlstate: string, message: string): never => {
    throw new SqlError(sqlstate, message, positionOf(place));
  };
  const outOfRange = (what: string): never => fail('22003', `${what} out of range`);
  try {
    switch (to.name) {
      case 'int2':
      case 'int4':
      case 'int8': {
        const [lo, hi] = intLimits[to.name] ?? [0n, 0n];
        if (isNumericValue(value)) return literal(numericToInteger(value, lo, hi, formatType(to)), to);
        if (typeof value === 'bigint' || !floatSource) {
          if (value < lo || value > hi) return outOfRange(formatType(to));
          return literal(value, to);
        }
        if (!Number.isFinite(value)) return outOfRange(formatType(to));
        const r = roundHalfEven(value);
        if (r < Number(lo) || r > Number(hi) || (to.name === 'int8' && r >= 2 ** 63))
          return outOfRange(formatType(to));
        return literal(int8OfNumber(r), to);
      }
      case 'float4':
      case 'float8': {
        const x = isNumericValue(value) ? numericToNumber(value) : Number(value);
        const r = to.name === 'float4' ? Math.fround(x) : x;
        if (
          isNumericValue(value) &&
          value.special === undefined &&
          (!Number.isFinite(r) || (r === 0 && value.coef !== 0n))
        )
          return outOfRange(`value`);
        if (to.name === 'float4' && !isNumericValue(value)) {
          if (!Number.isFinite(r) && Number.isFinite(x)) return fail('22003', 'value out of range: overflow');
          if (r === 0 && x !== 0) return fail('22003', 'value out of range: underflow');
        }
        return literal(r, to);
      }
      case 'numeric':
        if (isNumericValue(value)) return literal(value, to);
        if (floatSource)
          return literal(numericFromFloat(value as number, from.name === 'float4' ? 6 : 15), to);
        return literal(numericFromInteger(value as Int8), to);
      default:
        return literal(value, to);
    }
  } catch (e) {
    if (e instanceof SqlError && e.position === undefined) return fail(e.sqlstate, e.message);
    throw e;
  }
}

/** C's rint: round half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
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
  const json =
    resolveJsonbOperator(op, left, right, place, coerce) ??
    resolveArrayOperator(op, left, right, place, coerce);
  if (json !== undefined) return json;
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
    const common =
      isNumeric(l.type) && isNumeric(r.type) ? numericCommon(l.type, r.type) : commonType(l.type, r.type);
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
      // Only float8 ^ float8 and numeric ^ numeric exist: a float operand makes it float8
      // (numeric casts to float8 implicitly, not back), numeric wins over integers, and two
      // integers take the preferred type, float8.
      if (isNumeric(lt) && isNumeric(rt)) {
        const float = (t: SqlType) => t.name === 'float4' || t.name === 'float8';
        const t =
          !float(lt) && !float(rt) && (lt.name === 'numeric' || rt.name === 'numeric') ? T.numeric : T.float8;
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
  if (e.kind === 'Literal' && e.type.name === 'unknown') return Object.freeze({ ...e, type: T.text });
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
      if (arg.kind === 'Literal' && typeof arg.value === 'number' && !isInteger(arg.type))
        return literal(-arg.value, arg.type);
      if (arg.kind === 'Literal' && isNumericValue(arg.value))
        return literal(negNumeric(arg.value), arg.type);
      if (arg.kind === 'Literal' && (typeof arg.value === 'number' || typeof arg.value === 'bigint')) {
        // an integer literal, when its negation stays in its type (else neg raises 22003 at run time)
        const n = -BigInt(arg.value);
        const [lo, hi] = intLimits[arg.type.name] ?? [0n, 0n];
        if (n >= lo && n <= hi) return literal(int8(n), arg.type);
      }
      return call('neg', [arg], arg.type);
    }
  }
  if (op === '@' && isNumeric(e.type)) return call('abs', [e], e.type);
  throw undefinedOperator(`${op} ${formatType(e.type)}`, place);
}

// ---------------------------------------------------------------------------
// Scalar functions

type Resolver = (args: readonly BoundExpr[], place: Place | undefined) => BoundExpr | undefined;

function jsonbFunction(name: string): Resolver {
  return (args, place) => resolveJsonbFunction(name, args, place, coerce);
}

function arrayFunction(name: string): Resolver {
  return (args, place) => resolveArrayFunction(name, args, place, coerce);
}

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

/**
 * Several signatures of one function. As in PostgreSQL's func_select_candidate, of the
 * signatures the arguments can be coerced to, the one taking the most arguments as they are
 * (no cast) wins: `extract(hour FROM date)` is extract(text, date), not (text, timestamp);
 * `power(2, 0.5)` is power(numeric, numeric). On a tie the first listed wins (list the
 * signature with PostgreSQL's preferred type first: float8, timestamptz… or, where we differ
 * on purpose, ours). A signature whose coercion raises (bad literal text) is passed over;
 * the first such error is raised when no signature fits.
 */
function overloads(...rs: ((name: string) => Resolver)[]): (name: string) => Resolver {
  return (name) => {
    const bound = rs.map((r) => r(name));
    return (args, place) => {
      let best: BoundExpr | undefined;
      let bestExact = -1;
      let error: unknown;
      for (const r of bound) {
        let e: BoundExpr | undefined;
        try {
          e = r(args, place);
        } catch (err) {
          error ??= err;
          continue;
        }
        if (e === undefined) continue;
        const exact = e.kind === 'Call' ? e.args.filter((a, i) => a === args[i]).length : 0;
        if (exact > bestExact) {
          best = e;
          bestExact = exact;
        }
      }
      if (best === undefined && error !== undefined) throw error;
      return best;
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

/** concat(VARIADIC "any") / concat_ws(text, VARIADIC "any"): the variadic part takes at least one argument. */
const variadicText =
  (name: string): Resolver =>
  (args) =>
    args.length < (name === 'concat_ws' ? 2 : 1) ? undefined : call(name, args.map(toText), T.text);

const sameAsArgs =
  (name: string): Resolver =>
  (args, place) => {
    if (args.length === 0) return undefined;
    let t: SqlType | undefined = args[0]?.type;
    for (const a of args) {
      t = t === undefined ? undefined : commonType(t, a.type);
    }
    if (t === undefined) return undefined;
    const tt = t.name === 'unknown' ? T.text : t;
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
  // date_part(text, date) is PostgreSQL's `date_part($1, $2::timestamp)`: hour of a date is 0
  date_part: overloads(
    fixed([text, T.timestamp], T.float8),
    fixed([text, T.timestamptz], T.float8),
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
  ...Object.fromEntries(JSONB_FUNCTIONS.map((n) => [n, jsonbFunction])),
  array_length: arrayFunction,
  array_append: arrayFunction,
  array_prepend: arrayFunction,
  array_remove: arrayFunction,
  array_position: arrayFunction,
  array_contains: arrayFunction,
  array_cat: arrayFunction,
  array_to_string: arrayFunction,
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
  // RisingWave's aggregates `first_value(x ORDER BY …)` and `last_value(…)`; with OVER, the
  // window functions of those names.
  'first_value',
  'last_value',
  'mode',
]);

export const windowOnlyNames = new Set([
  'row_number',
  'rank',
  'dense_rank',
  'lag',
  'lead',
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
      // No min(varchar) in PostgreSQL: the argument is taken as text, and so is the result.
      return t.name === 'varchar' ? T.text : t;
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
