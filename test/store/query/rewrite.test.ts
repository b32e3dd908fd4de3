/**
 * The text rewriting underneath ad-hoc queries: node extents rebuilt from tokens, edits
 * applied in the original text's coordinates, and what the rewriter leaves alone (string
 * constants, comments, quoted names, CTEs that shadow a relation).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { T } from '../../../src/sql/types.ts';
import { Edits } from '../../../src/store/query/edits.ts';
import { Extents } from '../../../src/store/query/extent.ts';
import { OutputColumns } from '../../../src/store/query/output-columns.ts';
import { isEmptyQuery, parseQuery } from '../../../src/store/query/parse-query.ts';
import { fieldsIf, list } from '../../../src/store/query/pg-tree.ts';
import { type RewriteEnv, rewriteQuery } from '../../../src/store/query/rewrite.ts';
import type { StoredRelation } from '../../../src/store/query/stored-relation.ts';

const view: StoredRelation = {
  name: 'v',
  kind: 'materialized view',
  columns: [
    { name: 'a', type: T.int4 },
    { name: 'b', type: T.text },
  ],
};
const env: RewriteEnv = {
  stored: (name) => (name === 'v' ? view : undefined),
  catalogTable: (schema, name) => (schema === 'pg_catalog' && name === 'pg_class' ? 'CAT' : undefined),
  database: 'db',
};
const V_COLUMNS = 'SELECT __tw_row."a", __tw_row."b" FROM "db".main."v" AS __tw_row';
const V = `(${V_COLUMNS} WHERE __tw_row.__tw_count = 1 UNION ALL ${V_COLUMNS}, range(__tw_row.__tw_count) AS __tw_copies(__tw_copy) WHERE __tw_row.__tw_count > 1)`;

const rewrite = (sql: string) => rewriteQuery(parseQuery(sql), env);

/** The text of the first select-list expression of `sql`, as its extent says. */
function firstTarget(sql: string): string {
  const q = parseQuery(sql);
  const target = fieldsIf(list(q.select.targetList)[0], 'ResTarget');
  const span = new Extents(q.tokens).of(target?.val);
  assert.ok(span !== undefined);
  return sql.slice(span.start, span.end);
}

test('extents cover what a node owns without a location of its own', () => {
  const cases = [
    'a IS NOT NULL',
    'x::double precision[]',
    'CAST(x AS timestamp with time zone)',
    "interval '1' minute",
    '(x).field',
    'arr[1][2]',
    "c OPERATOR(pg_catalog.~) '^(v)$' COLLATE pg_catalog.default",
    'count(*)',
    'sum(x) OVER ()',
    'sum(x) OVER w',
    "CASE WHEN a THEN 'x' ELSE (b) END",
    '-1',
    'x IS NOT TRUE',
    'percentile_cont(0.5) WITHIN GROUP (ORDER BY y DESC) FILTER (WHERE z)',
    '(a + b) * c',
    'a * (b + c)',
    'current_timestamp(3)',
  ];
  for (const expr of cases) assert.equal(firstTarget(`SELECT ${expr}, 1 FROM t`), expr);
});

test('edits: insertions at one point nest, replacements carry the edits inside them', () => {
  const e = new Edits('abc def');
  e.wrap(0, 3, 'f(', ')');
  e.wrap(0, 3, 'g(', ')');
  e.replace(4, 7, (render) => `[${render(4, 7)}]`);
  e.replace(5, 6, 'E');
  assert.equal(e.apply(), 'f(g(abc)) [dEf]');
});

test('relations become subqueries with their columns and rows; aliases are kept', () => {
  assert.equal(rewrite('SELECT a FROM v'), `SELECT a FROM ${V} AS "v"`);
  assert.equal(rewrite('SELECT x.a FROM public.v AS x'), `SELECT x.a FROM ${V} AS x`);
  assert.equal(rewrite('SELECT a FROM dev.public.v x'), `SELECT a FROM ${V} x`);
  assert.equal(rewrite('SELECT relname FROM pg_class'), 'SELECT relname FROM CAT AS "pg_class"');
  assert.equal(rewrite('TABLE v'), `SELECT * FROM ${V} AS "v"`);
});

test('a relation whose rows are unique is read as it is, without the repeat by multiplicity', () => {
  const unique = rewriteQuery(parseQuery('SELECT a FROM v'), {
    ...env,
    stored: (n) => (n === 'v' ? { ...view, unique: true } : undefined),
  });
  assert.equal(unique, `SELECT a FROM (${V_COLUMNS}) AS "v"`);
});

test('string constants, comments, quoted names and shadowing CTEs are left alone', () => {
  const sql = `/* FROM v */ SELECT 'FROM v ~ x', "b" -- v ~ 'y'
    FROM v`;
  assert.equal(rewrite(sql), sql.replace(/FROM v$/, `FROM ${V} AS "v"`));
  const cte = 'WITH v AS (SELECT 1 AS a) SELECT a FROM v';
  assert.equal(rewrite(cte), cte);
  assert.equal(
    rewrite('WITH w AS (SELECT a FROM v) SELECT a FROM w'),
    `WITH w AS (SELECT a FROM ${V} AS "v") SELECT a FROM w`,
  );
});

test('rewrites keep their place after characters of several bytes', () => {
  assert.equal(
    rewrite(`SELECT 'héllo ✓' AS "é", b ~* 'x' FROM v`),
    `SELECT 'héllo ✓' AS "é", (regexp_matches(b , 'x', 'i')) FROM ${V} AS "v"`,
  );
});

test('operators, casts and functions become their DuckDB equivalents', () => {
  const expect = (sql: string, duck: string) => assert.equal(rewrite(sql), duck);
  expect(`SELECT b !~ 'x', b LIKE 'a%'`, `SELECT (NOT regexp_matches(b , 'x')), b LIKE 'a%' ESCAPE '\\'`);
  expect(`SELECT b LIKE 'a%' ESCAPE '#'`, `SELECT b LIKE 'a%' ESCAPE '#'`);
  expect('SELECT a / b, a % 2', 'SELECT a / tw_nonzero(b), a % tw_nonzero(2)');
  expect("SELECT (a || 'x') ~ b", "SELECT (regexp_matches((tw_checked_length(a || 'x')) , b))");
  // What builds a long value is checked against the limit of a built value (54000).
  expect("SELECT a || b || 'x'", "SELECT tw_checked_length(tw_checked_length(a || b) || 'x')");
  // a parameter beside text is text, as PostgreSQL types it (DuckDB could not, at Describe)
  expect(
    "SELECT $1 || 'x' || $2",
    "SELECT tw_checked_length(tw_checked_length(CAST($1 AS VARCHAR) || 'x') || CAST($2 AS VARCHAR))",
  );
  expect(
    "SELECT string_agg(a, ',' ORDER BY b) FILTER (WHERE b > 0), concat(a, b)",
    "SELECT tw_checked_length(string_agg(a, ',' ORDER BY b) FILTER (WHERE b > 0)), tw_checked_length(concat(a, b))",
  );
  expect('SELECT string_agg(a, b) OVER ()', 'SELECT tw_checked_length(string_agg(a, b) OVER ())');
  expect(
    'SELECT array_agg(a) OVER w FROM v WINDOW w AS (ORDER BY a)',
    `SELECT tw_checked_length(array_agg(a) OVER w) FROM ${V} AS "v" WINDOW w AS (ORDER BY a)`,
  );
  // interval arithmetic as PostgreSQL's (interval-functions.ts)
  expect("SELECT (INTERVAL '1 day') / 2", "SELECT tw_interval_div((INTERVAL '1 day') , 2)");
  expect("SELECT 2 * INTERVAL '1 day'", "SELECT tw_mul_interval(2 , INTERVAL '1 day')");
  expect(
    "SELECT avg(INTERVAL '1 day') FILTER (WHERE b > 0)",
    "SELECT tw_interval_avg(list(INTERVAL '1 day') FILTER (WHERE b > 0))",
  );
  expect('SELECT round(x::float8)', 'SELECT round_even(x::float8, 0)');
  // numeric is carried as its text (rewrite-numeric.ts); x's type unknown here
  expect(
    'SELECT x::numeric, x::numeric(10,2), x::pg_catalog.text',
    'SELECT (tw_numeric(CAST(x AS VARCHAR))), tw_num_typmod((tw_numeric(CAST(x AS VARCHAR))), 10, 2), x::VARCHAR',
  );
  expect("SELECT 'v'::regclass, oid::regclass", "SELECT tw_regclass_oid('v'), tw_regclass_name(oid)");
  expect('SELECT pg_catalog.quote_ident(b), version()', 'SELECT tw_quote_ident(b), tw_version()');
  expect('SELECT current_user, user', 'SELECT tw_current_user(), tw_current_user()');
  expect(
    'SELECT extract(second FROM t)',
    'SELECT tw_num_scaled(CAST(extract(microseconds FROM t) AS BIGINT), 6)',
  );
  expect("SELECT date_part('second', t)", "SELECT (CAST(date_part('microseconds', t) AS DOUBLE) / 1000000)");
  expect('SELECT b COLLATE pg_catalog.default', 'SELECT b ');
  // A list in DuckDB, checked against the limit of a built array before it is built.
  expect('SELECT generate_series(1, 3)', 'SELECT unnest(tw_series(1, 3))');
});

test('numeric computes on its exact text where the types of the query say numeric', () => {
  const w: StoredRelation = {
    name: 'w',
    kind: 'materialized view',
    unique: true,
    columns: [
      { name: 'x', type: T.numeric },
      { name: 'n', type: T.int8 },
      { name: 'f', type: T.float8 },
    ],
  };
  const typed = (sql: string) => {
    const q = parseQuery(sql);
    const inference = new OutputColumns({
      stored: (name) => (name === 'w' ? w : undefined),
      catalogColumns: () => undefined,
    });
    inference.of(q.select);
    const W = '(SELECT __tw_row."x", __tw_row."n", __tw_row."f" FROM "db".main."w" AS __tw_row) AS "w"';
    return rewriteQuery(q, {
      ...env,
      stored: (name) => (name === 'w' ? w : undefined),
      typeOf: (n) => inference.typeOf(n),
    }).replace(W, 'w');
  };
  assert.equal(
    typed('SELECT x + 1, x / 3, round(x, 2), 1.50, 1e3, sum(x), avg(n), sum(n), max(x) FROM w'),
    "SELECT tw_num_add(x , CAST(1 AS VARCHAR)), tw_num_div(x , CAST(3 AS VARCHAR)), tw_num_round(x, CAST(2 AS INTEGER)), '1.50', '1000', tw_num_sum(list(x)), tw_num_avg_int(CAST(sum(n) AS VARCHAR), count(n)), CAST(sum(n) AS VARCHAR), arg_max(x, tw_num_key(x)) FROM w",
  );
  // compared by value, sorted by value; a double where DuckDB computes
  assert.equal(
    typed('SELECT x::int AS i, x * f FROM w WHERE x > 1.5 AND x IN (1, 2.5) ORDER BY x DESC'),
    "SELECT tw_num_int4(x) AS i, CAST(x AS DOUBLE) * f FROM w WHERE (tw_num_compare(x , '1.5') > 0) AND (tw_num_compare(x, CAST(1 AS VARCHAR)) = 0 OR tw_num_compare(x, '2.5') = 0) ORDER BY tw_num_key(x) DESC",
  );
  assert.equal(
    typed('SELECT n, avg(x) FROM w GROUP BY n ORDER BY 2'),
    'SELECT n, tw_num_avg(list(x)) AS "__tw_sort_2" FROM w GROUP BY n ORDER BY tw_num_key("__tw_sort_2")',
  );
});

test('only one query is accepted', () => {
  assert.equal(isEmptyQuery('-- ping'), true);
  assert.equal(isEmptyQuery(' ; /* */ ;'), true);
  assert.equal(isEmptyQuery('SELECT 1'), false);
  assert.throws(() => parseQuery('-- ping'), { sqlstate: '42601' });
  assert.throws(() => parseQuery('SELECT 1; SELECT 2'), { sqlstate: '42601', position: 11 });
  assert.doesNotThrow(() => parseQuery('SELECT 1;'));
  for (const sql of [
    'INSERT INTO v VALUES (1)',
    'CREATE TABLE t (a int)',
    'SET x = 1',
    'SHOW x',
    'DROP TABLE v',
  ])
    assert.throws(() => parseQuery(sql), { sqlstate: '0A000' }, sql);
  assert.throws(() => parseQuery('SELECT * FROM v FOR UPDATE'), { sqlstate: '0A000' });
  assert.throws(() => parseQuery('SELECT FROM WHERE'), { sqlstate: '42601' });
});

test('relations that are not tidewatch’s are unknown, with their position', () => {
  for (const [sql, position] of [
    ['SELECT 1 FROM   nope', 17],
    ['SELECT 1 FROM main.v', 15],
    ['SELECT 1 FROM tidewatch_views', 15],
    ['SELECT 1 FROM information_schema.nope', 15],
  ] as const)
    assert.throws(() => rewrite(sql), { sqlstate: '42P01', position }, sql);
  assert.throws(() => rewrite('SELECT 1 FROM other.public.v'), { sqlstate: '0A000' });
  assert.throws(() => rewrite('SELECT main.version()'), { sqlstate: '42883', position: 8 });
});
