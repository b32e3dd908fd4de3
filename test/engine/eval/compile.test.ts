/**
 * Unit tests of the compiled evaluator that need no PostgreSQL: NULL handling of predicates,
 * compile-time folding without compile-time errors, the clock option, errors as SqlError,
 * numeric display scale, and formatting details.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileExpr, compilePredicate } from '../../../src/engine/eval/compile.ts';
import { bindQuery } from '../../../src/sql/binder.ts';
import { MemoryCatalog } from '../../../src/sql/catalog.ts';
import { SqlError } from '../../../src/sql/errors.ts';
import { type BoundExpr, call, columnRef, literal } from '../../../src/sql/expr.ts';
import { divNumeric, formatNumeric, numeric } from '../../../src/sql/numeric.ts';
import { parseStatement } from '../../../src/sql/parse.ts';
import { arrayOf, T, type Value } from '../../../src/sql/types.ts';
import { formatValue } from '../../../src/sql/value-text.ts';

const catalog = new MemoryCatalog([
  {
    name: 'r',
    kind: 'source',
    columns: [
      { name: 'status_code', type: T.int4 },
      { name: 'path', type: T.text },
      { name: 'ok', type: T.boolean },
      { name: 'pattern', type: T.text },
    ],
  },
]);

function bind(expr: string): BoundExpr {
  const s = parseStatement(`SELECT ${expr} FROM r`);
  assert.equal(s.kind, 'Select');
  const plan = bindQuery(s.query, catalog).plan;
  assert.equal(plan.kind, 'Project');
  return plan.exprs[0] as BoundExpr;
}

test('CASE WHEN col >= literal: NULL goes to ELSE', () => {
  const f = compileExpr(bind('CASE WHEN status_code >= 400 THEN 1 ELSE 0 END'));
  assert.deepEqual(
    [[404], [200], [null], [400]].map((r) => f(r)),
    [1, 0, 0, 1],
  );
});

test('comparison with a literal on the left is flipped', () => {
  const f = compileExpr(bind('400 <= status_code'));
  assert.deepEqual(
    [[404], [200], [null]].map((r) => f(r)),
    [true, false, null],
  );
});

test('predicates treat NULL as false, values keep three-valued logic', () => {
  const e = bind('NOT (status_code > 300)');
  const p = compilePredicate(e);
  const v = compileExpr(e);
  assert.equal(p([null]), false);
  assert.equal(v([null]), null);
  assert.equal(p([200]), true);
  const or = bind('ok OR status_code > 300');
  assert.equal(compileExpr(or)([null, null, null]), null);
  assert.equal(compileExpr(or)([400, null, null]), true);
  assert.equal(compilePredicate(or)([null, null, null]), false);
});

test('a failing constant raises per row, not at compile time', () => {
  const f = compileExpr(bind('CASE WHEN status_code > 0 THEN 1 ELSE 1 / 0 END'));
  assert.equal(f([5]), 1);
  assert.throws(
    () => f([-1]),
    (e: unknown) => e instanceof SqlError && e.sqlstate === '22012',
  );
});

test('errors are SqlErrors with PostgreSQL SQLSTATEs', () => {
  const cases: [string, Value[], string][] = [
    ['status_code * 2147483647', [3], '22003'],
    ['status_code / 0', [3], '22012'],
    ["path ~ '('", [0, 'x'], '2201B'],
    ["(path || '')::int", [0, 'abc'], '22P02'],
    ["(path || '')::date", [0, '2024-02-30'], '22008'],
    ["(path || '')::timestamp", [0, 'soon'], '22007'],
    ["regexp_replace(path, 'a', 'b', 'z')", [0, 'abc'], '22023'],
  ];
  for (const [expr, row, state] of cases) {
    const f = compileExpr(bind(expr));
    assert.throws(
      () => f(row),
      (e: unknown) => e instanceof SqlError && e.sqlstate === state,
      expr,
    );
  }
});

test('now() reads the provided clock; it is never folded', () => {
  let t = 1_700_000_000_000_000;
  const f = compileExpr(bind('now()'), { now: () => t });
  assert.equal(f([]), t);
  t += 1;
  assert.equal(f([]), t);
  assert.equal(formatValue(f([]) as number, T.timestamptz), '2023-11-14 22:13:20.000001+00');
});

test('functions the evaluator does not know are refused at compile time (0A000)', () => {
  const e = call('no_such_fn', [literal(1, T.int4)], T.int4);
  assert.throws(
    () => compileExpr(e),
    (err: unknown) => err instanceof SqlError && err.sqlstate === '0A000',
  );
});

test('numeric display scale follows PostgreSQL (avg of ints prints 16+ decimals)', () => {
  // avg(int) = numeric sum / count: select_div_scale
  const div = (a: bigint, b: bigint) => formatNumeric(divNumeric(numeric(a, 0), numeric(b, 0)));
  assert.equal(div(5n, 2n), '2.5000000000000000');
  assert.equal(div(2n, 2n), '1.00000000000000000000');
  assert.equal(div(3000000n, 3n), '1000000.000000000000');
  const e = bind('status_code::numeric / 4');
  const show = (row: Value[]) => formatValue(compileExpr(e)(row), T.numeric);
  assert.equal(show([10]), '2.5000000000000000');
  assert.equal(show([40000]), '10000.0000000000000000');
  const s = bind("(path || '')::numeric * 2");
  assert.equal(formatValue(compileExpr(s)([0, '1.50']), T.numeric), '3.00');
});

test('IN with a NULL in the list is NULL when nothing matches', () => {
  const e = bind('status_code IN (1, NULL)');
  const f = compileExpr(e);
  assert.equal(f([1]), true);
  assert.equal(f([2]), null);
  assert.equal(compilePredicate(e)([2]), false);
});

test('formatValue: PostgreSQL text output', () => {
  assert.equal(formatValue(null, T.text), null);
  assert.equal(formatValue(true, T.boolean), 't');
  assert.equal(formatValue(0.1 + 0.2, T.float8), '0.30000000000000004');
  assert.equal(formatValue(1e15, T.float8), '1e+15');
  assert.equal(formatValue(Math.fround(0.1), T.float4), '0.1');
  assert.equal(formatValue(Number.NaN, T.float8), 'NaN');
  assert.equal(formatValue(-Infinity, T.float8), '-Infinity');
  assert.equal(formatValue(1706185845678000, T.timestamp), '2024-01-25 12:30:45.678');
  assert.equal(formatValue(19747, T.date), '2024-01-25');
  assert.equal(formatValue({ months: 0, days: 0, micros: 60_000_000 }, T.interval), '00:01:00');
  assert.equal(formatValue({ months: 0, days: 1, micros: 7_200_000_000 }, T.interval), '1 day 02:00:00');
  assert.equal(formatValue({ months: 14, days: -3, micros: 0 }, T.interval), '1 year 2 mons -3 days');
  assert.equal(formatValue(['a', 'b c', null, ''], arrayOf(T.text)), '{a,"b c",NULL,""}');
  assert.equal(formatValue(numeric(25_000_000_000_000_000n, 16), T.numeric), '2.5000000000000000');
  assert.equal(formatValue(new Uint8Array([0x41, 0xff]), T.bytea), '\\x41ff');
});

test('column references read the row by index', () => {
  const f = compileExpr(call('+', [columnRef(1, 'b', T.int4), literal(1, T.int4)], T.int4));
  assert.equal(f([100, 41]), 42);
  assert.equal(f([100, null]), null);
});

test('regular expressions give the same results for texts seen before, past the memo and across patterns', () => {
  const replaced = compileExpr(bind("regexp_replace(path, pattern, '<\\1>', 'g')"));
  const tested = compileExpr(bind('path ~* pattern'));
  const constant = compileExpr(bind("regexp_replace(path, '/[0-9]+(/|$)', '/:id\\1', 'g')"));
  const patterns = ['([0-9]+)', '(a|e)', '(/)'];
  // 6,000 distinct paths (more than the memo keeps), each seen three times, the pattern
  // changing from row to row, and one path longer than the memo takes.
  const paths = Array.from({ length: 6_000 }, (_, i) => `/Items/${i % 2_000}/e${i}/a`);
  paths.push(`/${'a1'.repeat(400)}/`);
  for (let round = 0; round < 3; round++)
    for (const [i, path] of paths.entries()) {
      const pattern = patterns[(i + round) % patterns.length] as string;
      const re = new RegExp(pattern, 'g');
      assert.equal(replaced([null, path, null, pattern]), path.replace(re, '<$1>'), `${path} ${pattern}`);
      assert.equal(
        tested([null, path, null, pattern]),
        new RegExp(pattern, 'i').test(path),
        `${path} ~* ${pattern}`,
      );
      assert.equal(constant([null, path, null, null]), path.replace(/\/[0-9]+(\/|$)/g, '/:id$1'), path);
    }
});
