import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { bindDelete, bindExpression, bindInsert, bindQuery, bindUpdate } from '../../src/sql/binder.ts';
import { MemoryCatalog } from '../../src/sql/catalog.ts';
import { SqlError } from '../../src/sql/errors.ts';
import { explainPlan } from '../../src/sql/explain.ts';
import { parseScript, parseStatement } from '../../src/sql/parse.ts';
import type { Plan } from '../../src/sql/plan.ts';
import type { QueryAst, Statement } from '../../src/sql/statement.ts';
import { shortType } from '../../src/sql/types.ts';
import { formatValue } from '../../src/sql/value-text.ts';

const script = readFileSync(new URL('../../pipelines/website-security.sql', import.meta.url), 'utf8');

function catalogFor(stmts: readonly Statement[]): MemoryCatalog {
  const cat = new MemoryCatalog();
  for (const s of stmts) {
    if (s.kind === 'CreateSource') cat.add({ name: s.name, kind: 'source', columns: s.columns });
    if (s.kind === 'CreateTable') cat.add({ name: s.name, kind: 'table', columns: s.columns });
    if (s.kind === 'CreateMaterializedView')
      cat.add({ name: s.name, kind: 'view', columns: bindQuery(s.query, cat).columns });
  }
  return cat;
}

const stmts = parseScript(script);
const catalog = catalogFor(stmts);
const views = new Map(
  stmts.flatMap((s) =>
    s.kind === 'CreateMaterializedView' ? [[s.name, s.query] as [string, QueryAst]] : [],
  ),
);

function columnsOf(name: string): string {
  const q = views.get(name);
  assert.ok(q !== undefined, name);
  return bindQuery(q, catalog)
    .columns.map((c) => `${c.name}:${shortType(c.type)}`)
    .join(' ');
}

function plan(name: string): string {
  const q = views.get(name);
  assert.ok(q !== undefined);
  return explainPlan(bindQuery(q, catalog).plan);
}

function kinds(p: Plan, out: string[] = []): string[] {
  out.push(p.kind);
  const inputs =
    p.kind === 'Join' ? [p.left, p.right] : p.kind === 'UnionAll' ? p.inputs : 'input' in p ? [p.input] : [];
  for (const i of inputs) kinds(i, out);
  return out;
}

function select(sql: string): QueryAst {
  const s = parseStatement(sql);
  assert.equal(s.kind, 'Select');
  return s.query;
}

function bindError(sql: string, sqlstate: string, at?: string): SqlError {
  try {
    bindQuery(select(sql), catalog);
  } catch (e) {
    assert.ok(e instanceof SqlError, String(e));
    assert.equal(e.sqlstate, sqlstate, e.message);
    assert.ok(e.position !== undefined, `no position: ${e.message}`);
    if (at !== undefined) assert.equal(e.position, sql.indexOf(at) + 1, e.message);
    return e;
  }
  assert.fail(`expected ${sqlstate}: ${sql}`);
}

describe('reference pipeline', () => {
  test('six statements: the source and five views', () => {
    assert.deepEqual(
      stmts.map((s) => s.kind),
      ['CreateSource', ...Array(5).fill('CreateMaterializedView')],
    );
  });

  test('website_user_metrics', () => {
    assert.equal(
      columnsOf('website_user_metrics'),
      'username:varchar total_requests:int8 min_response_time:int4 max_response_time:int4 avg_response_time:numeric ' +
        'median_response_time:float8 total_errors:int8 login_count:int8 logout_count:int8 unique_ips:int8 ' +
        'window_start:timestamp window_end:timestamp',
    );
    const p = plan('website_user_metrics');
    assert.match(p, /^Project /);
    assert.match(p, /\n {2}Aggregate group=\[username, window_start, window_end\] aggs=\[count\(\*\), /);
    assert.match(p, /percentile_cont\(0\.5\) WITHIN GROUP \(ORDER BY response_time::float8\)/);
    assert.match(p, /count\(DISTINCT ip_address\)/);
    assert.match(p, /sum\(CASE WHEN \(status_code >= 400\) THEN 1 ELSE 0 END\)/);
    assert.match(
      p,
      /\n {4}Tumble time=request_timestamp size=00:01:00\n {6}Scan website_logs_source \(source\)$/,
    );
  });

  test('top_user_actions: ROW_NUMBER … WHERE rank <= 5 is a TopN', () => {
    assert.equal(
      columnsOf('top_user_actions'),
      'user_action:varchar count_user_activity:int8 window_start:timestamp window_end:timestamp',
    );
    const p = plan('top_user_actions');
    assert.match(
      p,
      /TopN limit=5 partition=\[window_start, window_end\] order=\[count DESC\] rank=row_number/,
    );
    assert.doesNotMatch(p, /Filter|Window/);
    assert.match(p, /Sort window_start, rank/);
  });

  test('referrer_activity_summary', () => {
    assert.equal(
      columnsOf('referrer_activity_summary'),
      'referrer:text referrer_visit_count:int8 page_visits:int8 interactions:int8 content_interactions:int8 ' +
        'window_interactions:int8 window_start:timestamp window_end:timestamp',
    );
    assert.match(plan('referrer_activity_summary'), /user_action IN \('view_page', 'navigate_page'\)/);
  });

  test('status_code_analysis_summary: SUM(COUNT(x)) OVER binds to windows over the aggregate', () => {
    assert.equal(
      columnsOf('status_code_analysis_summary'),
      'status_code:int4 count_status_code:int8 avg_response_time:numeric cumulative_count:numeric ' +
        'cumulative_percentage:numeric window_start:timestamp window_end:timestamp',
    );
    const q = views.get('status_code_analysis_summary');
    assert.ok(q);
    assert.deepEqual(kinds(bindQuery(q, catalog).plan), [
      'Sort',
      'Project',
      'Window',
      'Window',
      'Aggregate',
      'Tumble',
      'Scan',
    ]);
    const p = plan('status_code_analysis_summary');
    assert.match(
      p,
      /Window partition=\[window_start, window_end\] order=\[status_code\] functions=\[sum\(count\)\]/,
    );
    assert.match(p, /Window partition=\[window_start, window_end\] order=\[\] functions=\[sum\(count\)\]/);
    assert.match(p, /Sort window_start DESC, status_code/);
  });

  test('security_level_analysis_summary: median of per-level counts, joined back', () => {
    assert.equal(
      columnsOf('security_level_analysis_summary'),
      'security_level:varchar count_security_level:int8 avg_response_time:numeric median_count:float8 ' +
        'window_start:timestamp window_end:timestamp',
    );
    const p = plan('security_level_analysis_summary');
    assert.match(p, /Join inner on \[window_start = window_start, window_end = window_end\]/);
    assert.match(p, /percentile_cont\(0\.5\) WITHIN GROUP \(ORDER BY count_security_level::float8\)/);
  });
});

describe('binding', () => {
  test('types follow PostgreSQL', () => {
    const cols = bindQuery(
      select(`SELECT status_code / 2 AS a, response_time * 1.5 AS b, 'x' || status_code AS c,
        request_timestamp - INTERVAL '1 hour' AS d, request_timestamp - request_timestamp AS e,
        status_code::float8 AS f, CAST(status_code AS text) AS g, COALESCE(username, 'anon') AS h,
        NULLIF(status_code, 0) AS i, status_code BETWEEN 200 AND 299 AS j, url LIKE '%x%' AS k,
        ip_address ~ '^10\\.' AS l, status_code IN (200, 404) AS m, username IS NULL AS n, 1 AS o, 2.5 AS p
        FROM website_logs_source`),
      catalog,
    ).columns;
    assert.deepEqual(
      cols.map((c) => `${c.name}:${shortType(c.type)}`),
      [
        'a:int4',
        'b:numeric',
        'c:text',
        'd:timestamp',
        'e:interval',
        'f:float8',
        'g:text',
        'h:varchar',
        'i:int4',
        'j:boolean',
        'k:boolean',
        'l:boolean',
        'm:boolean',
        'n:boolean',
        'o:int4',
        'p:numeric',
      ],
    );
  });

  test('aggregates: FILTER, string_agg, array_agg, bool_or, stddev, approx_percentile, count(*)', () => {
    const b = bindQuery(
      select(`SELECT count(*) AS n, count(*) FILTER (WHERE status_code >= 500) AS errors,
        string_agg(DISTINCT username, ',') AS users, array_agg(status_code) AS codes,
        bool_or(status_code = 500) AS any5xx, stddev(response_time) AS sd, var_pop(response_time::float8) AS vp,
        approx_percentile(0.95) WITHIN GROUP (ORDER BY response_time) AS p95, sum(response_time::float8) AS s
        FROM website_logs_source HAVING count(*) > 0`),
      catalog,
    );
    assert.deepEqual(
      b.columns.map((c) => shortType(c.type)),
      ['int8', 'int8', 'text', 'int4[]', 'boolean', 'numeric', 'float8', 'float8', 'float8'],
    );
    const p = explainPlan(b.plan);
    // PostgreSQL has no min/max(varchar): they take and return text (percentile_disc keeps the type).
    const strings = bindQuery(
      select(`SELECT min(username) AS a, max(url) AS b, max(username) OVER () AS c,
          percentile_disc(0.5) WITHIN GROUP (ORDER BY username) AS d FROM website_logs_source GROUP BY username, url`),
      catalog,
    );
    assert.deepEqual(
      strings.columns.map((c) => shortType(c.type)),
      ['text', 'text', 'text', 'varchar'],
    );
    assert.match(p, /count\(\*\) FILTER \(WHERE \(status_code >= 500\)\)/);
    assert.match(p, /Filter \(count > 0\)/);
  });

  test('HOP, joins, UNION ALL, subqueries, ORDER BY … LIMIT', () => {
    const hop = bindQuery(
      select(
        "SELECT window_start, count(*) FROM HOP(website_logs_source, request_timestamp, INTERVAL '10 seconds', INTERVAL '1 minute') GROUP BY window_start",
      ),
      catalog,
    );
    assert.match(explainPlan(hop.plan), /Hop time=request_timestamp slide=00:00:10 size=00:01:00/);
    const join = bindQuery(
      select(
        'SELECT a.username, b.total_requests FROM website_logs_source a LEFT JOIN website_user_metrics b ON a.username = b.username AND b.total_requests > 10',
      ),
      catalog,
    );
    // A condition over the right side only filters that side before the join.
    assert.match(
      explainPlan(join.plan),
      /Join left on \[username = username\]\n {4}Scan website_logs_source \(source\)\n {4}Filter \(total_requests > 10\)\n/,
    );
    const inner = bindQuery(
      select(
        'SELECT a.username FROM website_logs_source a JOIN website_user_metrics b ON a.username = b.username AND a.status_code = 404 AND b.total_requests > a.response_time',
      ),
      catalog,
    );
    assert.match(
      explainPlan(inner.plan),
      /Join inner on \[username = username\] residual=\(total_requests > response_time::int8\)\n {4}Filter \(status_code = 404\)\n/,
    );
    const right = bindQuery(
      select('SELECT * FROM website_user_metrics a RIGHT JOIN top_user_actions b USING (window_start)'),
      catalog,
    );
    assert.equal(right.columns.length, 15);
    const union = bindQuery(
      select('SELECT username FROM website_logs_source UNION ALL SELECT user_action FROM top_user_actions'),
      catalog,
    );
    assert.equal(union.plan.kind, 'UnionAll');
    const top = bindQuery(
      select(
        'SELECT url FROM (SELECT url, response_time FROM website_logs_source) s ORDER BY response_time DESC LIMIT 10',
      ),
      catalog,
    );
    assert.match(explainPlan(top.plan), /TopN limit=10 partition=\[\] order=\[response_time DESC\]/);
    assert.equal(top.columns.length, 1);
    const win = bindQuery(
      select(
        'SELECT username, lag(status_code) OVER (PARTITION BY username ORDER BY request_timestamp) FROM website_logs_source',
      ),
      catalog,
    );
    assert.equal(win.columns[1]?.name, 'lag');
  });

  test('GROUP BY a function call: the same call in SELECT, HAVING and OVER reads the key', () => {
    const b = bindQuery(
      select(`SELECT lower(username) AS u, date_trunc('hour', request_timestamp), count(*) AS n,
          sum(count(*)) OVER (PARTITION BY date_trunc('hour', request_timestamp) ORDER BY lower(username)) AS cum
        FROM website_logs_source GROUP BY lower(username), date_trunc('hour', request_timestamp)
        HAVING length(lower(username)) > 2`),
      catalog,
    );
    assert.deepEqual(
      b.columns.map((c) => `${c.name}:${shortType(c.type)}`),
      ['u:text', 'date_trunc:timestamp', 'n:int8', 'cum:numeric'],
    );
    const ordinal = bindQuery(select('SELECT upper(url) FROM website_logs_source GROUP BY 1'), catalog);
    assert.deepEqual(
      ordinal.columns.map((c) => `${c.name}:${shortType(c.type)}`),
      ['upper:text'],
    );
    bindError(
      'SELECT lower(username) FROM website_logs_source GROUP BY upper(username)',
      '42803',
      'username)',
    );
  });

  test('INSERT / UPDATE / DELETE / watermark expressions', () => {
    const cat = catalogFor(
      parseScript('CREATE TABLE blocked (ip VARCHAR PRIMARY KEY, hits BIGINT, since TIMESTAMP)'),
    );
    const ins = parseStatement("INSERT INTO blocked (ip, hits) VALUES ('10.0.0.1', 3), ('10.0.0.2', NULL)");
    assert.equal(ins.kind, 'Insert');
    const bi = bindInsert(ins, cat);
    assert.equal(bi.plan.kind, 'Values');
    assert.equal(bi.plan.kind === 'Values' ? bi.plan.rows[0]?.[1]?.type.name : '', 'int8');
    const up = parseStatement(
      "UPDATE blocked SET hits = hits + 1, since = '2024-01-25 12:30:45' WHERE ip = '10.0.0.1'",
    );
    assert.equal(up.kind, 'Update');
    const bu = bindUpdate(up, cat);
    assert.equal(bu.assignments[1]?.value.kind, 'Literal');
    const del = parseStatement('DELETE FROM blocked WHERE hits > 10');
    assert.equal(del.kind, 'Delete');
    assert.ok(bindDelete(del, cat).where !== undefined);
    const src = stmts[0];
    assert.ok(src?.kind === 'CreateSource' && src.watermark !== undefined);
    const wm = bindExpression(src.watermark.expr, src.columns, catalog);
    assert.equal(wm.type.name, 'timestamp');
  });
});

describe('literals and common types', () => {
  const typesOf = (sql: string): string[] =>
    bindQuery(select(sql), catalog).columns.map((c) => `${c.name}:${shortType(c.type)}`);

  test('NULL gives way to the other inputs: unknown, unknown, integer is integer', () => {
    assert.deepEqual(typesOf('SELECT * FROM (VALUES (NULL), (NULL), (1)) v'), ['column1:int4']);
    assert.deepEqual(typesOf('SELECT COALESCE(NULL, NULL, 2) AS a, COALESCE(NULL, NULL) AS b'), [
      'a:int4',
      'b:text',
    ]);
    assert.deepEqual(typesOf('SELECT CASE WHEN true THEN NULL WHEN false THEN NULL ELSE 1 END AS a'), [
      'a:int4',
    ]);
  });

  test('real wins a common type, loses to double precision in an operator', () => {
    assert.deepEqual(
      typesOf(
        'SELECT COALESCE(1::real, 2) AS a, GREATEST(1.5, 2::real) AS b, 1::real * 2 AS c, 1::real * 2::real AS d',
      ),
      ['a:float4', 'b:float4', 'c:float8', 'd:float4'],
    );
  });

  test('overloads: the signature taking most arguments as they are wins', () => {
    assert.deepEqual(
      typesOf(
        "SELECT extract(hour FROM date '2024-01-01') AS a, power(2, 0.5) AS b, power(2, 2) AS c, 2::float8 ^ 0.5 AS d, 2 ^ 0.5 AS e",
      ),
      ['a:numeric', 'b:numeric', 'c:float8', 'd:float8', 'e:numeric'],
    );
    const q = bindQuery(select("SELECT extract(hour FROM date '2024-01-01')"), catalog).plan;
    assert.ok(q.kind === 'Project');
    const e = q.exprs[0];
    assert.ok(e?.kind === 'Call');
    assert.equal(e.args[1]?.type.name, 'date');
  });

  test('numeric literals keep their written scale; literal casts round as PostgreSQL', () => {
    const q = bindQuery(
      select("SELECT 1.50, -0.000, 1.5e-3, '2.500'::numeric, (-2.5)::int, 2.5::float8::int, 3.4e38::real"),
      catalog,
    ).plan;
    assert.ok(q.kind === 'Project');
    const lits = q.exprs.map((e) => (e.kind === 'Literal' ? formatValue(e.value, e.type) : e.kind));
    assert.deepEqual(lits, ['1.50', '0.000', '0.0015', '2.500', '-3', '2', '3.4e+38']);
  });

  test('integer literals: int4, then bigint (exact beyond 2^53), then numeric', () => {
    const q = bindQuery(
      select('SELECT 2147483647, 2147483648, 9007199254740993, -9223372036854775808, 9223372036854775808'),
      catalog,
    ).plan;
    assert.ok(q.kind === 'Project');
    assert.deepEqual(
      q.exprs.map((e) => [e.type.name, e.kind === 'Literal' ? formatValue(e.value, e.type) : e.kind]),
      [
        ['int4', '2147483647'],
        ['int8', '2147483648'],
        ['int8', '9007199254740993'],
        ['int8', '-9223372036854775808'],
        ['numeric', '9223372036854775808'],
      ],
    );
  });
});

describe('errors carry SQLSTATE and position', () => {
  test('42P01 undefined table', () => {
    bindError('SELECT * FROM nope', '42P01', 'nope');
    bindError("SELECT * FROM TUMBLE(nope, ts, INTERVAL '1 minute')", '42P01', 'nope');
  });
  test('42703 undefined column', () => {
    bindError('SELECT usernme FROM website_logs_source', '42703', 'usernme');
  });
  test('42702 ambiguous column', () => {
    bindError(
      'SELECT username FROM website_logs_source a JOIN website_user_metrics b ON a.username = b.username',
      '42702',
      'username FROM',
    );
  });
  test('42804 datatype mismatch', () => {
    bindError('SELECT * FROM website_logs_source WHERE status_code', '42804', 'status_code');
    bindError("SELECT CASE WHEN true THEN 1 ELSE 'a'::text END FROM website_logs_source", '42804');
    bindError("SELECT * FROM TUMBLE(website_logs_source, url, INTERVAL '1 minute')", '42804', 'url,');
  });
  test('42883 undefined function / operator', () => {
    bindError('SELECT nosuchfn(1)', '42883', 'nosuchfn');
    bindError('SELECT status_code = url FROM website_logs_source', '42883', '= url');
    bindError('SELECT lower(1)', '42883', 'lower');
  });
  test('42803 grouping error', () => {
    bindError('SELECT username, count(*) FROM website_logs_source GROUP BY url', '42803', 'username');
    bindError('SELECT * FROM website_logs_source WHERE count(*) > 1', '42803', 'count');
    bindError('SELECT sum(count(*)) FROM website_logs_source', '42803', 'count');
  });
  test('22P02 invalid text representation', () => {
    bindError("SELECT * FROM website_logs_source WHERE status_code = 'abc'", '22P02', "'abc'");
    bindError("SELECT INTERVAL '1 fortnight'", '22P02');
    bindError("SELECT 'a\\b'::bytea", '22P02', 'bytea');
  });
  test('22003 / 22023 literal casts out of range, bad hex', () => {
    bindError('SELECT 2147483647.5::int', '22003', 'int');
    bindError('SELECT 3.5e38::real', '22003', 'real');
    bindError("SELECT '\\x4'::bytea", '22023', 'bytea');
  });
  test('42883 concat() needs an argument', () => {
    bindError('SELECT concat()', '42883', 'concat');
    bindError("SELECT concat_ws(',')", '42883', 'concat_ws');
  });
  test('0A000 unsupported constructs name the construct and its line/column', () => {
    const frame = bindError(
      'SELECT sum(status_code) OVER (ORDER BY request_timestamp\n  ROWS BETWEEN 1 PRECEDING AND CURRENT ROW EXCLUDE TIES) FROM website_logs_source',
      '0A000',
    );
    assert.match(frame.message, /EXCLUDE in a window frame is not supported at line 1, column \d+/);
    const full = bindError(
      'SELECT 1 FROM website_logs_source a\nNATURAL JOIN website_user_metrics b',
      '0A000',
    );
    assert.match(full.message, /NATURAL JOIN is not supported at line 2, column \d+/);
    const corr = bindError(
      'SELECT (SELECT max(total_requests) FROM website_user_metrics m WHERE m.username = l.username) FROM website_logs_source l',
      '0A000',
    );
    assert.match(corr.message, /correlated subquery/);
    bindError('SELECT * FROM generate_series(1, 3)', '0A000', 'generate_series');
    bindError('WITH RECURSIVE r AS (SELECT 1) SELECT * FROM r', '0A000');
  });
  test('22012 / 42P07 / 2BP01 helpers', async () => {
    const { divisionByZero, duplicateObject, dependentObjects } = await import('../../src/sql/errors.ts');
    assert.equal(divisionByZero().sqlstate, '22012');
    assert.equal(duplicateObject('relation', 'v').sqlstate, '42P07');
    assert.equal(dependentObjects('source s', ['materialized view v']).sqlstate, '2BP01');
  });
});
