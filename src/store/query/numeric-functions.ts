/**
 * numeric in ad-hoc queries: DuckDB carries a PostgreSQL numeric as its exact text
 * (`'1.50'`, `'NaN'`, the store's VARCHAR form, see view-store.ts), and these JavaScript
 * functions compute on it with the engine's own arithmetic (src/sql/numeric.ts), so an
 * ad-hoc answer has PostgreSQL's digits and display scale: `tw_num_add('0.1', '0.2')` is
 * `'0.3'`, `tw_num_div('100.0', '3')` `'33.3333333333333333'`. The rewriter
 * (rewrite-numeric.ts) calls them where the query's types say numeric.
 *
 * - arithmetic and functions: `tw_num_add/sub/mul/div/mod/pow/neg`, `tw_num_round/trunc`,
 *   `tw_num_ceil/floor/abs/sign/sqrt/exp/ln/log`, `tw_num_greatest/least`;
 * - conversions: `tw_numeric` (numeric input of text), `tw_numeric_f8/f4` (float8/real →
 *   numeric: 15/6 significant digits), `tw_num_typmod` (numeric(p, s)), `tw_num_int2/4/8`
 *   (half away from zero), `tw_num_scaled(n, s)` (n × 10^−s, for extract), `tw_num_to_char`;
 * - comparison: `tw_num_cmp` (−1, 0, 1; NaN above all), and the macros `tw_num_compare` and
 *   `tw_num_key` (`numericMacros`, in DuckDB's own functions);
 * - aggregates, over `list(x)` (NULLs skipped, NULL for none): `tw_num_sum`, `tw_num_avg`,
 *   `tw_num_var_samp/var_pop/stddev_samp/stddev_pop`; `tw_num_avg_int` divides DuckDB's
 *   exact integer sum by the count.
 *
 * A SQL error raised inside (division by zero, overflow, bad input) reaches DuckDB as
 * `tidewatch:SQLSTATE:message`, which duck-errors.ts turns back into that SQLSTATE.
 */
import {
  BIGINT,
  DOUBLE,
  type DuckDBListValue,
  type DuckDBScalarFunction,
  type DuckDBType,
  FLOAT,
  INTEGER,
  LIST,
  SMALLINT,
  VARCHAR,
} from '@duckdb/node-api';
import { formatNumberChar } from '../../engine/eval/functions/to-char.ts';
import { INT8_MAX, INT8_MIN, type Int8 } from '../../sql/int8.ts';
import {
  absNumeric,
  addNumeric,
  applyTypmod,
  ceilNumeric,
  compareNumeric,
  divNumeric,
  floorNumeric,
  formatNumeric,
  modNumeric,
  mulNumeric,
  type Numeric,
  negNumeric,
  numeric,
  numericFromFloat,
  numericFromInteger,
  numericToInteger,
  parseNumeric,
  roundNumeric,
  signNumeric,
  subNumeric,
  truncNumeric,
} from '../../sql/numeric.ts';
import { expNumeric, lnNumeric, logNumeric, powerNumeric, sqrtNumeric } from '../../sql/numeric-math.ts';
import { DecimalSum } from '../../stream/aggregates/decimal-sum.ts';
import { NumericVarianceAccumulator } from '../../stream/aggregates/variance.ts';
import { scalar } from './scalar-function.ts';

const text = (n: Numeric): string => formatNumeric(n);
const num = (s: string): Numeric => parseNumeric(s);

/** `num`, remembering its last argument: a constant operand (`x * '2'`) is read once. */
function memoNum(): (s: string) => Numeric {
  let last: string | undefined;
  let value: Numeric = numeric(0n, 0);
  return (s) => {
    if (s !== last) {
      value = num(s);
      last = s;
    }
    return value;
  };
}

/** The numerics of a list, NULLs skipped. */
function items(l: DuckDBListValue): Numeric[] {
  const out: Numeric[] = [];
  for (const v of l.items) if (v !== null) out.push(num(v as string));
  return out;
}

function binary(name: string, op: (a: Numeric, b: Numeric) => Numeric): DuckDBScalarFunction {
  const [left, right] = [memoNum(), memoNum()];
  return scalar(name, [VARCHAR, VARCHAR], VARCHAR, (a: string, b: string) => text(op(left(a), right(b))));
}

function unary(name: string, op: (a: Numeric) => Numeric): DuckDBScalarFunction {
  return scalar(name, [VARCHAR], VARCHAR, (a: string) => text(op(num(a))));
}

function aggregate(name: string, f: (xs: Numeric[]) => Numeric | null): DuckDBScalarFunction {
  return scalar(name, [LIST(VARCHAR)], VARCHAR, (l: DuckDBListValue) => {
    const xs = items(l);
    if (xs.length === 0) return null;
    const r = f(xs);
    return r === null ? null : text(r);
  });
}

function sumOf(xs: readonly Numeric[]): DecimalSum {
  const s = new DecimalSum();
  for (const x of xs) s.add(x, 1);
  return s;
}

function variance(kind: 'var_samp' | 'var_pop' | 'stddev_samp' | 'stddev_pop') {
  return (xs: readonly Numeric[]): Numeric | null => {
    const acc = new NumericVarianceAccumulator(kind);
    for (const x of xs) acc.add(x, 1);
    return acc.result() as Numeric | null;
  };
}

function toInt(name: string, type: DuckDBType, lo: bigint, hi: bigint, label: string, big: boolean) {
  return scalar(name, [VARCHAR], type, (a: string) => {
    const v = numericToInteger(num(a), lo, hi, label) as Int8;
    return big ? BigInt(v) : Number(v);
  });
}

function extreme(fn: 'greatest' | 'least'): DuckDBScalarFunction {
  return scalar(
    `tw_num_${fn}`,
    [],
    VARCHAR,
    (...args: (string | null)[]) => {
      let best: Numeric | undefined;
      for (const a of args) {
        if (a === null) continue;
        const x = num(a);
        const c = best === undefined ? 0 : compareNumeric(x, best);
        if (best === undefined || (fn === 'greatest' ? c > 0 : c < 0)) best = x;
      }
      return best === undefined ? null : text(best);
    },
    { strict: false, varArgs: VARCHAR },
  );
}

const TEN = numeric(10n, 0);

/** The functions, registered on each session's connection (session-setup.ts). */
export function numericFunctions(): DuckDBScalarFunction[] {
  const [left, right] = [memoNum(), memoNum()];
  return [
    binary('tw_num_add', addNumeric),
    binary('tw_num_sub', subNumeric),
    binary('tw_num_mul', mulNumeric),
    binary('tw_num_div', divNumeric),
    binary('tw_num_mod', modNumeric),
    binary('tw_num_pow', powerNumeric),
    binary('tw_num_log', logNumeric),
    unary('tw_num_neg', negNumeric),
    unary('tw_num_ceil', ceilNumeric),
    unary('tw_num_floor', floorNumeric),
    unary('tw_num_abs', absNumeric),
    unary('tw_num_sign', signNumeric),
    unary('tw_num_sqrt', sqrtNumeric),
    unary('tw_num_exp', expNumeric),
    unary('tw_num_ln', lnNumeric),
    unary('tw_num_log10', (x) => logNumeric(TEN, x)),
    unary('tw_numeric', (x) => x),
    unary('tw_num_round0', (x) => roundNumeric(x, 0)),
    unary('tw_num_trunc0', (x) => truncNumeric(x, 0)),
    scalar('tw_num_round', [VARCHAR, INTEGER], VARCHAR, (a: string, s: number) =>
      text(roundNumeric(num(a), s)),
    ),
    scalar('tw_num_trunc', [VARCHAR, INTEGER], VARCHAR, (a: string, s: number) =>
      text(truncNumeric(num(a), s)),
    ),
    scalar('tw_num_typmod', [VARCHAR, INTEGER, INTEGER], VARCHAR, (a: string, p: number, s: number) =>
      text(applyTypmod(num(a), p, s)),
    ),
    scalar('tw_numeric_f8', [DOUBLE], VARCHAR, (x: number) => text(numericFromFloat(x, 15))),
    scalar('tw_numeric_f4', [FLOAT], VARCHAR, (x: number) => text(numericFromFloat(x, 6))),
    scalar('tw_num_scaled', [BIGINT, INTEGER], VARCHAR, (n: bigint, s: number) => text(numeric(n, s))),
    toInt('tw_num_int2', SMALLINT, -32768n, 32767n, 'smallint', false),
    toInt('tw_num_int4', INTEGER, -2147483648n, 2147483647n, 'integer', false),
    toInt('tw_num_int8', BIGINT, INT8_MIN, INT8_MAX, 'bigint', true),
    scalar('tw_num_cmp', [VARCHAR, VARCHAR], INTEGER, (a: string, b: string) =>
      compareNumeric(left(a), right(b)),
    ),
    extreme('greatest'),
    extreme('least'),
    scalar('tw_num_to_char', [VARCHAR, VARCHAR], VARCHAR, (a: string, f: string) =>
      formatNumberChar(num(a), f),
    ),
    aggregate('tw_num_sum', (xs) => sumOf(xs).numeric()),
    aggregate('tw_num_avg', (xs) => sumOf(xs).mean(xs.length)),
    aggregate('tw_num_var_samp', variance('var_samp')),
    aggregate('tw_num_var_pop', variance('var_pop')),
    aggregate('tw_num_stddev_samp', variance('stddev_samp')),
    aggregate('tw_num_stddev_pop', variance('stddev_pop')),
    scalar('tw_num_avg_int', [VARCHAR, BIGINT], VARCHAR, (sum: string, n: bigint) =>
      n === 0n ? null : text(divNumeric(num(sum), numericFromInteger(n))),
    ),
  ];
}

/**
 * Macros over the numeric text, in DuckDB's own functions (a JavaScript function costs ~1 µs
 * a row: 100 ms per 100,000). `tw_num_compare(a, b)` is −1, 0 or 1 from the doubles, which
 * order exact values rightly whenever they differ (rounding keeps order), and from
 * `tw_num_cmp` only when the doubles tie (NaN above everything and equal to itself, NULL for
 * NULL, as PostgreSQL has them). `tw_num_key(x)` is a text whose byte order is the numeric
 * order of `formatNumeric`'s text: a class (−∞, negative, positive or zero, +∞, NaN), the
 * place of the point, the digits — complemented and closed by `~` for negatives, so that a
 * longer one, of larger magnitude, sorts first.
 */
export const numericMacros: readonly string[] = [
  'CREATE OR REPLACE TEMP MACRO tw_num_compare(a, b) AS CASE WHEN CAST(a AS DOUBLE) < CAST(b AS DOUBLE) THEN -1 ' +
    'WHEN CAST(a AS DOUBLE) > CAST(b AS DOUBLE) THEN 1 ELSE tw_num_cmp(a, b) END',
  "CREATE OR REPLACE TEMP MACRO tw_num_key(x) AS CASE WHEN x[1] = '-' THEN CASE WHEN x = '-Infinity' THEN '0' " +
    "ELSE '1' || lpad(CAST(999999 - strpos(x || '.', '.') AS VARCHAR), 7, '0') || " +
    "translate(replace(x, '.', ''), '0123456789-', '9876543210') || '~' END " +
    "WHEN x[1] <= '9' THEN '3' || lpad(CAST(strpos(x || '.', '.') AS VARCHAR), 7, '0') || replace(x, '.', '') " +
    "WHEN x = 'Infinity' THEN '4' WHEN x = 'NaN' THEN '5' END",
];
