/**
 * Ad-hoc queries over tidewatch's store against PostgreSQL 15 over the same rows
 * (fixture.ts): the panel queries Grafana sends with its macros expanded, forensic searches
 * of the retained events, pattern matching, aggregates, window functions, joins of views and
 * tables, CTEs, integer arithmetic and casts, and RisingWave's TUMBLE/HOP as batch queries
 * (PostgreSQL runs the equivalent date_bin query). Names, types and rows must match.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { type Case, compareWithPostgres } from './compare.ts';
import { openFixture } from './fixture.ts';

const range = `BETWEEN '2024-01-25T12:00:00Z' AND '2024-01-25T13:00:00Z'`;

function cases(recentIp: string): Case[] {
  return [
    // Grafana panels: $__timeFilter / $__timeGroup expanded as text.
    {
      sql: `SELECT floor(extract(epoch from window_start)/60)*60 AS time, sum(total_requests) AS requests
            FROM website_user_metrics WHERE window_start ${range} GROUP BY 1 ORDER BY 1`,
      ordered: true,
    },
    {
      sql: `SELECT window_start AS "time", referrer AS metric, referrer_visit_count AS value
            FROM referrer_activity_summary WHERE window_start ${range} ORDER BY 1, 2`,
      ordered: true,
    },
    {
      sql: `SELECT floor(extract(epoch from request_timestamp)/300)*300 AS "time", count(*) AS hits,
              count(*) FILTER (WHERE status_code >= 400) AS errors
            FROM website_logs_source WHERE request_timestamp ${range} GROUP BY 1 ORDER BY 1`,
      ordered: true,
    },
    {
      sql: `SELECT to_timestamp(floor(extract(epoch from window_start)/120)*120) AS time, security_level,
              sum(count_security_level) AS n, avg(avg_response_time) AS latency
            FROM security_level_analysis_summary WHERE window_start ${range} GROUP BY 1, 2 ORDER BY 1, 2`,
      ordered: true,
    },
    { sql: `SELECT * FROM website_user_metrics` },
    {
      sql: `SELECT * FROM top_user_actions ORDER BY window_start, count_user_activity DESC, user_action`,
      ordered: true,
    },
    { sql: `SELECT * FROM public.status_code_analysis_summary WHERE status_code >= 400` },
    {
      sql: `SELECT v.username, v.total_requests FROM dev.public.website_user_metrics AS v WHERE v.unique_ips > 1`,
      pg: `SELECT v.username, v.total_requests FROM postgres.public.website_user_metrics AS v WHERE v.unique_ips > 1`,
    },
    { sql: `TABLE blocklist` },
    { sql: `SELECT * FROM blocked_hits` },
    // Forensic searches of the retained events.
    {
      sql: `SELECT * FROM website_logs_source WHERE ip_address = '${recentIp}'
              AND request_timestamp > now() - interval '6 hours' ORDER BY request_timestamp DESC LIMIT 100`,
      ordered: true,
    },
    {
      sql: `SELECT request_timestamp, url, status_code FROM website_logs_source
            WHERE request_timestamp >= now() - INTERVAL '1 hour' ORDER BY request_timestamp`,
      ordered: true,
    },
    { sql: `SELECT ip_address, count(*) AS n FROM website_logs_source WHERE url LIKE '%/login%' GROUP BY 1` },
    { sql: `SELECT count(*) FROM website_logs_source WHERE user_agent ILIKE '%BOT%'` },
    { sql: `SELECT count(*) FROM website_logs_source WHERE url NOT LIKE 'https://%.com/_%'` },
    { sql: `SELECT count(*) FROM website_logs_source WHERE url LIKE '%\\_%' OR url LIKE '%100\\%%'` },
    { sql: `SELECT url, count(*) FROM website_logs_source WHERE url ~ '/(login|admin)' GROUP BY url` },
    { sql: `SELECT count(*) FROM website_logs_source WHERE user_agent ~* 'FIREFOX/1[0-9]+'` },
    { sql: `SELECT count(*) FROM website_logs_source WHERE url !~ 'products' AND user_agent !~* 'bot'` },
    {
      sql: `SELECT count(*) FROM website_logs_source WHERE url OPERATOR(pg_catalog.~) '\\?sort=' COLLATE "C"`,
    },
    // Aggregates.
    {
      sql: `SELECT min(response_time), max(response_time), avg(response_time), sum(response_time),
              sum(status_code::bigint), count(*), count(user_id), count(DISTINCT ip_address)
            FROM website_logs_source`,
    },
    {
      sql: `SELECT username, count(DISTINCT unique_ips) AS ips, sum(total_requests) AS total
            FROM website_user_metrics WHERE username IS NOT NULL GROUP BY 1 HAVING count(DISTINCT window_start) > 2`,
    },
    {
      sql: `SELECT http_method, percentile_cont(0.5) WITHIN GROUP (ORDER BY response_time) AS p50,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY response_time) AS p95,
              percentile_disc(0.9) WITHIN GROUP (ORDER BY response_time) AS p90
            FROM website_logs_source GROUP BY 1`,
    },
    {
      sql: `SELECT status_code, sum(count_status_code) AS n, avg(avg_response_time), max(cumulative_percentage) FROM status_code_analysis_summary GROUP BY status_code`,
    },
    {
      sql: `SELECT string_agg(DISTINCT http_method, ',' ORDER BY http_method), array_agg(DISTINCT security_level ORDER BY security_level) FROM website_logs_source`,
    },
    { sql: `SELECT DISTINCT http_method, security_level FROM website_logs_source` },
    // Window functions.
    {
      sql: `SELECT username, window_start, total_requests,
              rank() OVER (PARTITION BY window_start ORDER BY total_requests DESC) AS r,
              sum(total_requests) OVER (PARTITION BY username ORDER BY window_start) AS running,
              row_number() OVER (PARTITION BY window_start ORDER BY total_requests DESC, username) AS rn
            FROM website_user_metrics WHERE username IS NOT NULL`,
    },
    {
      sql: `SELECT security_level, window_start, count_security_level,
              lag(count_security_level) OVER w AS previous, avg(count_security_level) OVER w AS mean
            FROM security_level_analysis_summary WINDOW w AS (PARTITION BY security_level ORDER BY window_start)`,
    },
    // Joins of views and tables (the table holds duplicate rows), subqueries, CTEs, set operations.
    {
      sql: `SELECT b.reason, count(*) AS n, max(s.request_timestamp) FROM website_logs_source s
            JOIN blocklist b ON b.ip_address = s.ip_address GROUP BY 1`,
    },
    {
      sql: `SELECT b.ip_address, b.hits, m.total FROM blocklist b LEFT JOIN
              (SELECT ip_address, count(*) AS total FROM website_logs_source GROUP BY 1) m USING (ip_address)`,
    },
    {
      sql: `SELECT count(*) FROM website_logs_source WHERE ip_address IN (SELECT ip_address FROM blocklist)`,
    },
    {
      sql: `SELECT username FROM website_user_metrics
            WHERE total_requests > (SELECT avg(total_requests) FROM website_user_metrics) AND username IS NOT NULL`,
    },
    {
      sql: `WITH per_user AS (SELECT username, sum(total_requests) AS total FROM website_user_metrics
              WHERE username IS NOT NULL GROUP BY 1)
            SELECT username, total, total * 100.0 / (SELECT sum(total) FROM per_user) AS pct
            FROM per_user ORDER BY total DESC, username LIMIT 5`,
      ordered: true,
    },
    {
      sql: `WITH errors AS (SELECT * FROM website_logs_source WHERE status_code >= 400),
              per_ip AS (SELECT ip_address, count(*) AS n FROM errors GROUP BY 1)
            SELECT e.ip_address, e.url, p.n FROM errors e JOIN per_ip p USING (ip_address) WHERE p.n > 1`,
    },
    { sql: `SELECT username AS who FROM website_user_metrics UNION SELECT ip_address FROM blocklist` },
    { sql: `SELECT reason FROM blocklist UNION ALL SELECT reason FROM blocked_hits EXCEPT SELECT 'scanner'` },
    { sql: `VALUES (1, 'one'), (2, 'two')` },
    // Arithmetic, casts, NULL ordering.
    {
      sql: `SELECT response_time / 100 AS bucket, count(*) AS n, sum(response_time) / count(*) AS mean,
              (sum(response_time)::numeric / count(*))::numeric(10,2) AS exact, avg(response_time)::int AS rounded
            FROM website_logs_source GROUP BY 1`,
    },
    {
      sql: `SELECT status_code / 100 * 100 AS class, count(*) FROM website_logs_source GROUP BY 1 ORDER BY 1`,
      ordered: true,
    },
    {
      sql: `SELECT username, sum(total_requests) / 60 AS per_second, sum(total_requests) / count(*) AS mean,
              sum(login_count) % 7 AS m FROM website_user_metrics GROUP BY 1`,
    },
    {
      sql: `WITH per_ip AS (SELECT ip_address, count(*) AS n FROM website_logs_source GROUP BY 1)
            SELECT sum(n) / 7 AS a, avg(n) / 2 AS b, max(n) / 2 AS c, sum(n) / count(*) AS d FROM per_ip`,
    },
    {
      sql: `SELECT status_code, count(*) AS n, count(*) * 100 / sum(count(*)) OVER () AS pct
            FROM website_logs_source GROUP BY 1`,
    },
    {
      sql: `SELECT 7 / 2, -7 / 2, 7 % 3, -7 % 3, 7.0 / 2, 2 ^ 10, 10::float8 / 4, 1::numeric / 3, 5::numeric, '12'::int + 1`,
    },
    {
      sql: `SELECT round(avg(response_time)::numeric, 2) AS r2, round(avg(response_time)::numeric) AS r0, ceil(avg(response_time)), floor(avg(response_time)) FROM website_logs_source`,
    },
    { sql: `SELECT hits, reason FROM blocklist ORDER BY hits DESC, reason`, ordered: true },
    { sql: `SELECT hits, reason FROM blocklist ORDER BY hits, reason`, ordered: true },
    { sql: `SELECT added_at, added_at + interval '1 day' AS later, added_at::date AS day FROM blocklist` },
    // Dates and times.
    {
      sql: `SELECT date_trunc('minute', request_timestamp) AS m, count(*) FROM website_logs_source WHERE request_timestamp ${range} GROUP BY 1`,
    },
    {
      sql: `SELECT date_trunc('hour', window_start), date_trunc('day', window_start) FROM website_user_metrics WHERE window_start ${range}`,
    },
    {
      sql: `SELECT request_timestamp, extract(second from request_timestamp) AS s, extract(epoch from request_timestamp) AS e,
              extract(milliseconds from request_timestamp) AS ms, date_part('minute', request_timestamp) AS mi,
              extract(dow from request_timestamp) AS dow, request_timestamp::date AS day, request_timestamp::time AS t
            FROM website_logs_source WHERE request_timestamp BETWEEN '2024-01-25 12:01:00' AND '2024-01-25 12:01:30'`,
    },
    {
      sql: `SELECT interval '1 hour 30 minutes', interval '90 minutes', '1 day'::interval * 2, interval '6 hours', INTERVAL '1' MINUTE`,
    },
    { sql: `SELECT window_end - window_start AS width, count(*) FROM website_user_metrics GROUP BY 1` },
    {
      sql: `SELECT (window_end - window_start) / 2 AS half, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY total_requests)) AS m
            FROM website_user_metrics GROUP BY 1`,
    },
    {
      sql: `SELECT to_char(window_start, 'YYYY-MM-DD HH24:MI:SS') AS label, to_char(window_start, 'FMHH12:MI AM Dy Mon') FROM website_user_metrics WHERE window_start ${range}`,
    },
    // Strings.
    {
      sql: `SELECT lower(username), upper(http_method), length(url), substring(url from 9 for 20), split_part(url, '/', 4),
              replace(url, 'https://', ''), left(user_agent, 10), concat(username, '@', ip_address),
              position('/' in url), trim(both 'x' from 'xxaxx'), coalesce(user_id, 'anon'), nullif(referrer, 'google'),
              btrim('  pad  '), initcap('hello wORLD'), md5(ip_address), strpos(url, 'com')
            FROM website_logs_source WHERE request_timestamp BETWEEN '2024-01-25 12:02:00' AND '2024-01-25 12:02:20'`,
    },
    {
      sql: `SELECT CASE WHEN status_code >= 500 THEN 'server' WHEN status_code >= 400 THEN 'client' ELSE 'ok' END AS kind,
              count(*) FROM website_logs_source GROUP BY 1`,
    },
    // numeric and bigint, exactly: digits and display scale (a table with 0.1, 1.50, NaN,
    // Infinity, bigints beyond 2^53, and the views' avg columns of many scales).
    { sql: `SELECT * FROM amounts` },
    { sql: `SELECT id, amount, big FROM amounts ORDER BY amount, id`, ordered: true },
    { sql: `SELECT id, amount FROM amounts ORDER BY amount DESC NULLS LAST, id`, ordered: true },
    { sql: `SELECT id, amount FROM amounts ORDER BY 2 DESC, 1`, ordered: true },
    { sql: `SELECT id, big FROM amounts ORDER BY big, id`, ordered: true },
    {
      sql: `SELECT sum(amount) AS s, avg(amount) AS a, min(amount) AS lo, max(amount) AS hi, count(amount) AS n,
              sum(big) AS sb, avg(big) AS ab, min(big) AS bmin, max(big) AS bmax, sum(id) AS si, avg(id) AS ai
            FROM amounts WHERE amount IS NULL OR amount < 1e10`,
    },
    {
      sql: `SELECT label, sum(amount) AS s, avg(amount) AS a, min(amount), max(amount), sum(big), avg(id)
            FROM amounts GROUP BY label ORDER BY label`,
      ordered: true,
    },
    {
      sql: `SELECT label, stddev_samp(amount) AS sd, var_pop(amount) AS vp, stddev(id) AS sdi, variance(big) AS vb
            FROM amounts WHERE amount < 1000 GROUP BY label`,
    },
    {
      sql: `SELECT id, amount * 2 AS a2, amount + 0.001 AS a3, amount - big AS d, amount / 3 AS q,
              round(amount, 1) AS r1, round(amount) AS r0, trunc(amount, 2) AS t2, ceil(amount) AS c,
              floor(amount) AS f, abs(amount) AS ab, sign(amount) AS sg, -amount AS neg, amount % 2 AS m,
              amount::int AS i, amount::float8 AS fl, amount::text AS tx, amount::numeric(30, 3) AS nm
            FROM amounts WHERE amount BETWEEN -100 AND 1000`,
    },
    {
      sql: `SELECT id, big + 1 AS b1, big - id AS b2, big / 2 AS b3, big % 1000 AS b4, big::numeric / 7 AS b5,
              big::text AS b6, -big AS b7 FROM amounts WHERE big BETWEEN -9223372036854775806 AND 9223372036854775806`,
    },
    {
      sql: `SELECT id, amount > 1.5 AS gt, amount = 1.5 AS eq, amount >= 0.1 AS ge, amount <> 325 AS ne,
              amount IN (0.1, 1.5, 325) AS inl, amount NOT IN (2.5) AS nin, nullif(amount, 1.5) AS nf,
              greatest(amount, 1.0) AS g, least(amount, 0.15) AS l, coalesce(amount, 0.00) AS co,
              CASE WHEN amount > 1 THEN amount ELSE 0 END AS ca FROM amounts`,
    },
    { sql: `SELECT count(*) FROM amounts WHERE amount > 0.15 AND big > 9007199254740992` },
    { sql: `SELECT id FROM amounts WHERE amount = 1.5 OR amount = 2.5 OR amount = 'NaN'` },
    { sql: `SELECT label, sum(amount * 2) FILTER (WHERE id > 2) AS s FROM amounts GROUP BY label` },
    {
      sql: `SELECT id, sum(amount) OVER (ORDER BY id) AS running, avg(id) OVER (PARTITION BY label) AS mean,
              sum(big) OVER (PARTITION BY label ORDER BY id) AS rb FROM amounts WHERE amount < 1e10`,
    },
    { sql: `SELECT id, to_char(amount, '99999.99') AS c FROM amounts WHERE amount < 1e10` },
    { sql: `SELECT status_code, avg_response_time, cumulative_percentage FROM status_code_analysis_summary` },
    {
      sql: `SELECT security_level, avg(avg_response_time) AS m, max(avg_response_time) AS hi,
              round(avg(avg_response_time), 2) AS r FROM security_level_analysis_summary GROUP BY 1`,
    },
    {
      sql: `SELECT username, avg_response_time FROM website_user_metrics
            ORDER BY avg_response_time DESC, username LIMIT 10`,
      ordered: true,
    },
    {
      sql: `SELECT count(*) FROM website_user_metrics WHERE avg_response_time > 250.5`,
    },
    // RisingWave's window table functions as batch queries.
    {
      sql: `SELECT window_start, window_end, count(*) AS n FROM TUMBLE(website_logs_source, request_timestamp, INTERVAL '5 MINUTES')
            WHERE request_timestamp ${range} GROUP BY 1, 2`,
    },
    {
      sql: `SELECT t.window_start, count(*) AS n FROM TUMBLE(website_logs_source, request_timestamp, INTERVAL '2 MINUTES', INTERVAL '30 SECONDS') t
            WHERE t.request_timestamp ${range} GROUP BY 1`,
    },
    {
      sql: `SELECT window_start, window_end, count(*) AS n, count(DISTINCT ip_address) AS ips
            FROM HOP(website_logs_source, request_timestamp, INTERVAL '1 MINUTE', INTERVAL '3 MINUTES')
            WHERE request_timestamp ${range} GROUP BY 1, 2`,
    },
    {
      sql: `SELECT h.window_start, h.ip_address, h.status_code FROM HOP(website_logs_source, request_timestamp, INTERVAL '2 MINUTES', INTERVAL '4 MINUTES') AS h
            WHERE h.status_code >= 400 AND h.request_timestamp ${range}`,
    },
    {
      sql: `WITH recent AS (SELECT * FROM website_logs_source WHERE status_code = 200 AND request_timestamp ${range})
            SELECT window_start, count(*) FROM TUMBLE(recent, request_timestamp, INTERVAL '90 SECONDS') GROUP BY 1`,
    },
  ];
}

/** Functions and expressions that need no data. */
const expressions: Case[] = [
  { sql: `SELECT quote_ident('Web Logs'), quote_ident('select'), quote_ident('ok_1'), quote_ident('x"y')` },
  { sql: `SELECT parse_ident('public."My Table"'), parse_ident('A.b'), (parse_ident('public.t'))[2]` },
  {
    sql: `SELECT string_to_array('a,b,,c', ','), array_length(string_to_array('a,b', ','), 1), string_to_array('', ',')`,
  },
  { sql: `SELECT array_lower(ARRAY[1, 2], 1), array_upper(ARRAY[1, 2], 1), array_length(ARRAY[]::int[], 1)` },
  { sql: `SELECT generate_series(1, 3) AS g, 'x' AS x` },
  { sql: `SELECT g, g * 2 FROM generate_series(1, 4) AS g` },
  { sql: `SELECT s[i] FROM generate_series(1, 2) AS i, string_to_array('p,q', ',') s` },
  { sql: `SELECT i, j FROM generate_series(1, 3) AS t(i), LATERAL generate_series(1, i) AS j` },
  { sql: `SELECT x FROM unnest(ARRAY['b', 'a']) AS x ORDER BY x`, ordered: true },
  {
    sql: `SELECT current_database() = current_catalog AS same, current_schema()::text AS s, current_schemas(false)::text[] AS p`,
    pg: `SELECT true AS same, current_schema()::text AS s, current_schemas(false)::text[] AS p`,
  },
  { sql: `SELECT 1 AS a, 1.5 AS b, 'x' AS c, true AS d, NULL::int AS e, 10000000000 AS f, -2 AS g` },
  {
    sql: `SELECT CAST(2 AS bigint), 3::int2, 4::float4, 1.25::float8, '7'::numeric, 9::text, 2.5::int, (-2.5)::int, 3.5::float8::int`,
  },
  { sql: `SELECT coalesce(NULL, 2), greatest(1, NULL, 3), least(4, 2), nullif(1, 1), abs(-3), 2 * 3 + 1` },
  {
    sql: `SELECT 'abc' ~ 'b', 'abc' ~* 'B', 'abc' !~ '^b', 'abc' !~* 'C$', 'a_c' LIKE 'a\\_c', 'abc' LIKE 'a\\_c', 'A%' ILIKE 'a\\%', 'a\\b' LIKE 'a\\\\b'`,
  },
  { sql: `SELECT 'a' LIKE 'a' ESCAPE '#', 'a#%' LIKE 'a##%' ESCAPE '#'` },
  {
    sql: `SELECT length('héllo'), upper('héllo'), substr('hello', 2, 3), substring('hello', 0, 3), left('hello', -2), right('hello', 2), split_part('a.b.c', '.', -1)`,
  },
  {
    sql: `SELECT lpad('7', 3, '0'), rpad('ab', 4, '-'), repeat('ab', 2), reverse('abc'), replace('aXbX', 'X', '-'), ltrim('  a'), rtrim('a  '), 'a' || 'b' || 1`,
  },
  { sql: `SELECT regexp_replace('a1b22c', '[0-9]+', '#'), regexp_replace('a1b22c', '[0-9]+', '#', 'g')` },
  {
    sql: `SELECT TIMESTAMP '2024-01-25 12:34:56.789' AS ts, DATE '2024-01-25' + 1 AS d, TIME '12:00' AS t, TIMESTAMPTZ '2024-01-25 12:00:00+02' AS tz`,
  },
  {
    sql: `SELECT date_trunc('week', TIMESTAMP '2024-01-25 12:00'), date_trunc('month', TIMESTAMP '2024-01-25 12:00'), date_trunc('minute', TIMESTAMPTZ '2024-01-25 12:34:56+00')`,
  },
  {
    sql: `SELECT extract(epoch from INTERVAL '6 hours'), extract(year from DATE '2024-01-25'), extract(isodow from DATE '2024-01-28'), extract(second from TIME '10:11:12.5')`,
  },
  {
    sql: `SELECT TIMESTAMP '2024-01-25 12:00' - TIMESTAMP '2024-01-24 10:30', TIMESTAMP '2024-01-25 12:00' + INTERVAL '90 minutes', INTERVAL '1 day' - INTERVAL '1 hour'`,
  },
  { sql: `SELECT date_bin(INTERVAL '15 minutes', TIMESTAMP '2024-01-25 12:34:56', TIMESTAMP '1970-01-01')` },
  {
    sql: `SELECT to_char(TIMESTAMP '2024-01-05 09:04:03.5', 'YYYY-MM-DD HH24:MI:SS.MS Dy DD Mon Q "at" HH12 PM IW')`,
  },
  { sql: `SELECT 7 / 2 * 2, 7 % 3 * 2, 2 + 3 * 4, (2 + 3) * 4, -7 / 2, 7 / -2, 1::numeric / 8` },
  { sql: `SELECT 'x' COLLATE "C" < 'y', 'B' < 'a'` },
  {
    sql: `SELECT g FROM generate_series('2024-01-25 12:00'::timestamp, '2024-01-25 12:03', '1 minute') AS g`,
  },
  {
    sql: `SELECT 'a' = ANY('{a,b}'::text[]), '{1, 2,NULL}'::int[], '{}'::text[], '{"x,y","q\\"r", " s "}'::text[]`,
  },
  { sql: `SELECT every(n > 0), bool_or(n > 2) FROM (VALUES (1), (3)) AS t(n)` },
  { sql: `SELECT '{"a": {"b": 2}}'::jsonb -> 'a' ->> 'b'` },
  {
    sql: `SELECT interval '6 hours' / 4, interval '1 day' / 2.5, round(2.5::float8), round(3.5::float8), round(-2.5::float8), round(2.5)`,
  },
  // numeric exactly, as PostgreSQL prints it
  {
    sql: `SELECT 0.1::numeric + 0.2::numeric, 9007199254740993::numeric, 1.50::numeric, round(325::numeric, 2), 100.0/3`,
  },
  { sql: `SELECT avg(x) AS a, sum(x) AS s, sum(x::bigint) AS sb FROM (VALUES (325), (325)) AS t(x)` },
  {
    sql: `SELECT 1.5 + 1.50, 2.0 * 1.25, 1 / 3.0, 10 % 3.3, -7.5 % 2, 2.0 ^ 3, 2 ^ 0.5::numeric, 99999999999999999999 + 1`,
  },
  {
    sql: `SELECT sqrt(2::numeric), exp(1.0), ln(2.0), log(1000.0), log(2.0, 8.0), power(1.1, 50), mod(10.5, 3)`,
  },
  {
    sql: `SELECT round(1234.5678, -2), trunc(-1.59, 1), ceil(-1.5), floor(1.999), abs(-0.010), sign(-3.70), round(2.5), round(-2.5)`,
  },
  {
    sql: `SELECT 'NaN'::numeric, '-Infinity'::numeric, 'NaN'::numeric > 'Infinity'::numeric, ' 1.50 '::numeric, '1e3'::numeric, '-inf'::numeric`,
  },
  {
    sql: `SELECT 1.5::numeric(3,1), 1.25::numeric(4,1), 123.456::numeric(10,5), 2.5::int, (-2.5)::int, 0.1::float8::numeric, 1.5::float8`,
  },
  {
    sql: `SELECT 9223372036854775807::bigint, -9223372036854775807::bigint - 1, 9007199254740993::bigint + 2`,
  },
  {
    sql: `SELECT extract(epoch from TIMESTAMP '2024-01-25 12:30:45.678'), extract(second from TIMESTAMP '2024-01-25 12:30:45.678901'),
            extract(milliseconds from TIMESTAMP '2024-01-25 12:30:45.5'), extract(year from TIMESTAMP '2024-01-25 12:00')`,
  },
  { sql: `SELECT x, x * 2 FROM (VALUES (1.5), (2.50), (NULL)) AS t(x) ORDER BY x`, ordered: true },
  { sql: `SELECT greatest(1.5, 2.50, 0.1), least(1.50, 2), coalesce(NULL, 2.50), nullif(1.5, 1.50)` },
];

/** Faults, with the SQLSTATE and position PostgreSQL gives. */
const faults: readonly string[] = [
  'SELEC 1',
  'SELECT * FROM no_such_relation',
  'SELECT * FROM public.no_such_relation',
  'SELECT no_such_column FROM blocklist',
  'SELECT b.no_such_column FROM blocklist b',
  'SELECT no_such_function(1)',
  'SELECT 1 / 0',
  'SELECT hits % 0 FROM blocklist',
  'SELECT count(*) / 0 FROM blocklist',
  "SELECT 'abc'::int",
  'SELECT 1.5 / 0',
  'SELECT 1.5 % 0',
  "SELECT 'abc'::numeric",
  'SELECT 12345.678::numeric(5, 2)',
  "SELECT 'NaN'::numeric::int",
  'SELECT sqrt(-1::numeric)',
  'SELECT ln(0::numeric)',
  'SELECT 9223372036854775807::bigint + 1',
  'SELECT amount / 0 FROM amounts',
  'SELECT reason, hits FROM blocklist GROUP BY reason',
  'SELECT ip_address FROM blocklist, website_logs_source',
  "SELECT current_setting('no_such_setting')",
  "SELECT 'no_such_relation'::regclass",
  'SELECT (SELECT ip_address FROM blocklist)',
];

async function sqlstateOf(run: () => Promise<unknown>): Promise<{ sqlstate: string; position?: number }> {
  try {
    await run();
  } catch (e) {
    const err = e as { sqlstate?: string; code?: string; position?: number | string };
    const position = err.position === undefined ? undefined : Number(err.position);
    return { sqlstate: String(err.sqlstate ?? err.code), ...(position === undefined ? {} : { position }) };
  }
  return { sqlstate: 'no error' };
}

/**
 * The reference pipeline's view queries, run as batch queries over the retained events.
 * ROW_NUMBER over tied counts picks any of the tied rows, in PostgreSQL as in DuckDB: the
 * action name breaks the tie.
 */
function pipelineQueries(): Case[] {
  const script = readFileSync(new URL('../../../pipelines/website-security.sql', import.meta.url), 'utf8');
  return [...script.matchAll(/CREATE MATERIALIZED VIEW IF NOT EXISTS \w+ AS\s+([^;]+);/g)].map((m) => ({
    sql: (m[1] as string).replace(
      'ORDER BY COUNT(user_action) DESC',
      'ORDER BY COUNT(user_action) DESC, user_action',
    ),
  }));
}

test('ad-hoc queries give PostgreSQL’s answers', async (t) => {
  const f = await openFixture(t);
  const check = async (all: readonly Case[]) => {
    const failures: string[] = [];
    for (const c of all) {
      try {
        await compareWithPostgres(f.session, f.pg.client, c);
      } catch (e) {
        failures.push(`${c.sql.replace(/\s+/g, ' ')}\n  → ${(e as Error).message}`);
      }
    }
    t.diagnostic(`${all.length - failures.length} of ${all.length} queries equal PostgreSQL's`);
    assert.deepEqual(failures, []);
  };

  await t.test('queries over views, tables and retained events', () => check(cases(f.recentIp)));

  await t.test('the reference pipeline’s view queries as batch queries', () => {
    const queries = pipelineQueries();
    assert.equal(queries.length, 5);
    return check(queries);
  });

  await t.test('expressions and functions', () => check(expressions));

  await t.test('errors carry PostgreSQL’s SQLSTATE and position', async () => {
    const mismatches: string[] = [];
    for (const sql of faults) {
      const ours = await sqlstateOf(() => f.session.query(sql));
      const theirs = await sqlstateOf(() => f.pg.client.query(sql));
      // Positions are compared where we know one; PostgreSQL has one for nearly everything.
      const comparable = ours.position === undefined ? { sqlstate: theirs.sqlstate } : theirs;
      if (JSON.stringify(ours) !== JSON.stringify(comparable))
        mismatches.push(`${sql}: ours ${JSON.stringify(ours)}, PostgreSQL ${JSON.stringify(theirs)}`);
    }
    assert.deepEqual(mismatches, []);
  });
});
