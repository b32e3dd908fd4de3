/**
 * Every query feature of the engine issue, checked against PostgreSQL 15 after every epoch.
 *
 * Three tables with primary keys (NULLs, mixed-case and non-ASCII text, out-of-order
 * timestamps, NaN/±Infinity floats) take a seeded random stream of INSERT / UPDATE / DELETE
 * (single rows, bulk predicates, primary-key changes, rows that live within one epoch, a
 * wipe); a source takes pushed rows (a table in PostgreSQL). The same statements run in both;
 * each view is a materialized view here and a plain VIEW there (TUMBLE/HOP rewritten by
 * pg-oracle.ts). After every `flush()` every view must equal PostgreSQL's answer over all
 * input so far, as a multiset, compared through PostgreSQL's text output (numbers within
 * 1e-9); column names and types are checked once. In epoch LATE a second copy of each view
 * over tables is created mid-epoch, over existing data, and checked from then on (backfill).
 *
 * Longer runs for bug hunting: FEATURES_SEED=7 FEATURES_EPOCHS=40 node --test <this file>.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Engine } from '../../src/engine/engine.ts';
import type { CatalogColumn } from '../../src/sql/catalog.ts';
import { formatType } from '../../src/sql/types.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { prng } from '../helpers/random.ts';
import { assertSameRows } from './oracle.ts';
import {
  engineRows,
  forPostgres,
  postgresRows,
  postgresTypeName,
  queryPostgres,
  snapNumbers,
} from './pg-oracle.ts';

const DDL = [
  `CREATE TABLE events (id INT PRIMARY KEY, ts TIMESTAMP, usr VARCHAR, path VARCHAR, status INT, rt INT,
    bytes BIGINT, score DOUBLE PRECISION, price NUMERIC, ok BOOLEAN, ratio DOUBLE PRECISION)`,
  'CREATE TABLE users (usr VARCHAR PRIMARY KEY, tier VARCHAR, country VARCHAR, signup TIMESTAMP, credits INT)',
  'CREATE TABLE pages (path VARCHAR PRIMARY KEY, section VARCHAR, weight INT)',
];

/** An append-only stream: a source here (rows pushed), a table there (rows inserted). */
const CLICK_COLUMNS = '(ts TIMESTAMP, usr VARCHAR, path VARCHAR, ms INT)';
const SOURCE_DDL = {
  tidewatch: `CREATE SOURCE clicks ${CLICK_COLUMNS} WITH (connector = 'datagen') FORMAT PLAIN ENCODE JSON`,
  postgres: `CREATE TABLE clicks ${CLICK_COLUMNS}`,
};

/** A view: the same text for both, or a PostgreSQL spelling where the dialects differ. */
type ViewDef = string | { readonly sql: string; readonly pg: string };

/** In creation order (views over views come after what they read). */
const VIEWS: Record<string, ViewDef> = {
  // CTEs: one referenced twice (a self-join on the CTE), and a chain of CTEs.
  cte_twice: `WITH per AS (
      SELECT lower(usr) AS u, status, count(*) AS n, sum(rt) AS total FROM events GROUP BY lower(usr), status
    )
    SELECT a.u, a.status, a.n, a.total, b.n AS status_n, b.users FROM per AS a
    JOIN (SELECT status, sum(n) AS n, count(*) AS users FROM per GROUP BY status) AS b ON a.status = b.status`,
  cte_chain: `WITH slow AS (SELECT id, usr, rt FROM events WHERE rt > 400),
      per AS (SELECT usr, count(*) AS n, max(rt) AS worst FROM slow GROUP BY usr)
    SELECT per.usr, per.n, per.worst, users.tier FROM per LEFT JOIN users ON per.usr = users.usr`,
  cte_union: `WITH recent AS (SELECT id, usr, ts FROM events WHERE ts >= TIMESTAMP '2024-03-11 00:00:00')
    SELECT 'recent' AS kind, count(*) AS n FROM recent
    UNION ALL SELECT lower(usr), count(*) FROM recent GROUP BY lower(usr)`,
  nested_subqueries: `SELECT t.klass, count(*) AS users, max(t.n) AS most FROM (
      SELECT s.usr, s.klass, count(*) AS n FROM (
        SELECT usr, status / 100 AS klass FROM events WHERE usr IS NOT NULL
      ) AS s GROUP BY s.usr, s.klass
    ) AS t GROUP BY t.klass`,
  window_over_union: `SELECT src, id, row_number() OVER (PARTITION BY src ORDER BY id DESC) AS rn,
      count(*) OVER (PARTITION BY src) AS n FROM (
        SELECT 'error' AS src, id FROM events WHERE status >= 400
        UNION ALL SELECT 'slow', id FROM events WHERE rt > 600
      ) AS u`,
  // Subquery in FROM; integer division and arithmetic.
  from_subquery: `SELECT s.bucket, count(*) AS n, max(s.rt2) AS max_rt2, sum(s.neg) AS neg
    FROM (SELECT id, rt / 100 AS bucket, rt * 2 + 1 AS rt2, -rt % 7 AS neg FROM events WHERE rt IS NOT NULL) AS s
    GROUP BY s.bucket`,
  // GROUP BY expressions, count(x) vs count(*), count(DISTINCT).
  group_exprs: `SELECT lower(usr) AS u, date_trunc('hour', ts) AS hr, count(*) AS n, count(rt) AS n_rt,
      count(usr) AS n_usr, count(DISTINCT status) AS statuses, count(DISTINCT lower(path)) AS paths
    FROM events GROUP BY lower(usr), date_trunc('hour', ts)`,
  group_ordinal: `SELECT CASE WHEN rt IS NULL THEN 'none' WHEN rt < 300 THEN 'fast' ELSE 'slow' END AS speed,
      status / 100 AS klass, count(*) AS n, sum(CASE WHEN ok THEN 1 ELSE 0 END) AS oks
    FROM events GROUP BY 1, 2`,
  // GROUP BY without aggregates; min/max and percentile_disc over text and booleans.
  distinct_groups: 'SELECT lower(usr) AS u, status FROM events GROUP BY 1, 2',
  text_extremes: `SELECT status, min(usr) AS first_user, max(path) AS last_path, min(lower(path)) AS first_lower,
      percentile_disc(0.5) WITHIN GROUP (ORDER BY usr) AS median_user, max(ok::int) AS any_ok_int
    FROM events GROUP BY status HAVING count(DISTINCT usr) > 1`,
  // HAVING, including an aggregate that is not in the select list.
  having_filter: `SELECT usr, count(*) AS n, sum(rt) AS total FROM events GROUP BY usr
    HAVING count(*) >= 3 AND max(status) >= 400`,
  // sum/avg/min/max/count with FILTER.
  filtered: `SELECT path, sum(rt) FILTER (WHERE status >= 400) AS err_rt,
      avg(rt) FILTER (WHERE ok) AS ok_avg, min(ts) FILTER (WHERE usr ILIKE 'a%') AS first_a,
      max(price) FILTER (WHERE status < 300) AS max_price, count(*) FILTER (WHERE rt IS NULL) AS null_rt,
      count(DISTINCT usr) FILTER (WHERE status = 200) AS users_200,
      min(score) FILTER (WHERE bytes > 1000) AS min_score,
      avg(price) AS avg_price, sum(bytes) AS bytes
    FROM events GROUP BY path`,
  // Ordered-set aggregates, ascending and descending, over int, float and timestamp.
  percentiles: `SELECT status,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY rt) AS med,
      percentile_cont(0.9) WITHIN GROUP (ORDER BY rt DESC) AS p90_desc,
      percentile_disc(0.5) WITHIN GROUP (ORDER BY rt) AS dmed,
      percentile_disc(0.25) WITHIN GROUP (ORDER BY rt DESC) AS d25_desc,
      percentile_cont(0.25) WITHIN GROUP (ORDER BY score) AS q1_score,
      percentile_disc(0.5) WITHIN GROUP (ORDER BY ts) AS med_ts,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY rt) FILTER (WHERE ok) AS med_ok
    FROM events GROUP BY status`,
  // approx_percentile has no PostgreSQL equivalent; tidewatch computes it exactly.
  approx: {
    sql: `SELECT lower(usr) AS u, approx_percentile(0.5) WITHIN GROUP (ORDER BY rt) AS p50,
        approx_percentile(0.9, 0.01) WITHIN GROUP (ORDER BY rt) AS p90 FROM events GROUP BY lower(usr)`,
    pg: `SELECT lower(usr) AS u, percentile_cont(0.5) WITHIN GROUP (ORDER BY rt) AS p50,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY rt) AS p90 FROM events GROUP BY lower(usr)`,
  },
  // string_agg / array_agg with ORDER BY inside (total orders), DISTINCT, NULL elements.
  agg_lists: `SELECT lower(usr) AS u,
      string_agg(path, ',' ORDER BY id) AS paths,
      string_agg(DISTINCT upper(path), '|' ORDER BY upper(path)) AS upper_paths,
      array_agg(rt ORDER BY id DESC) AS rts,
      array_agg(status ORDER BY status DESC, id) AS statuses,
      array_agg(ts ORDER BY ts, id) FILTER (WHERE ok) AS ok_times,
      array_agg(score ORDER BY id) AS scores,
      array_agg(DISTINCT usr ORDER BY usr) AS spellings
    FROM events GROUP BY lower(usr)`,
  // jsonb_agg / jsonb_object_agg with ORDER BY inside, FILTER, DISTINCT, NULL values; a later
  // pair of one key replaces an earlier one.
  agg_jsonb: `SELECT lower(usr) AS u,
      jsonb_agg(rt ORDER BY id DESC) AS rts,
      jsonb_agg(ts ORDER BY ts, id) FILTER (WHERE ok) AS ok_times,
      jsonb_agg(DISTINCT path ORDER BY path) AS paths,
      jsonb_object_agg(id, status ORDER BY id) AS by_id,
      jsonb_object_agg(coalesce(path, '-'), rt ORDER BY id) AS last_rt_per_path
    FROM events GROUP BY lower(usr)`,
  // bool_and/bool_or, stddev/variance (samp and pop, over int and float).
  bools_stats: `SELECT usr, bool_and(ok) AS all_ok, bool_or(status >= 500) AS any_5xx,
      bool_and(rt < 800) FILTER (WHERE status = 200) AS fast_200, every(ok) AS every_ok,
      stddev_samp(rt) AS sd_s, stddev_pop(rt) AS sd_p, var_samp(rt) AS var_s, var_pop(rt) AS var_p,
      stddev_samp(score) AS sd_score, var_pop(score) AS varp_score, stddev(bytes) AS sd_bytes,
      variance(price) AS var_price, stddev_pop(score) FILTER (WHERE status = 200) AS sd_score_200,
      var_samp(rt) FILTER (WHERE ok) AS var_ok
    FROM events GROUP BY usr`,
  // DISTINCT inside sum/avg/string_agg, FILTER on string_agg.
  distinct_aggs: `SELECT status, count(DISTINCT usr) AS users, sum(DISTINCT rt) AS sum_d, avg(DISTINCT rt) AS avg_d,
      count(DISTINCT rt / 100) AS buckets, string_agg(DISTINCT usr, ',' ORDER BY usr) AS user_list,
      string_agg(path, ' ' ORDER BY ts DESC, id) FILTER (WHERE rt > 300) AS slow_paths
    FROM events GROUP BY status`,
  // Row-level predicates and conditional expressions; casts.
  predicates: `SELECT id,
      CASE WHEN status >= 500 THEN 'server' WHEN status >= 400 THEN 'client' ELSE 'ok' END AS klass,
      CASE status WHEN 200 THEN 1 WHEN 404 THEN 2 END AS code,
      status IN (301, 404, 500) AS listed, status NOT IN (200, 201) AS unusual, usr IN ('ann', 'Bob') AS named,
      ok AND rt > 100 OR status IS NULL AS three_valued, path LIKE '/api/v_/%' AS one_digit_version,
      rt BETWEEN 100 AND 300 AS mid, rt NOT BETWEEN 10 AND 500 AS extreme,
      path LIKE '/api/%' AS api, path ILIKE '%items%' AS items, path NOT LIKE '%.js' AS not_js,
      path ~ '^/api/v[0-9]+/' AS versioned, usr ~* '^a' AS a_user, path !~ 'static' AS dynamic,
      path !~* 'ADMIN' AS not_admin,
      COALESCE(usr, 'anon') AS who, COALESCE(rt, bytes, -1) AS first_num, NULLIF(status, 200) AS non200,
      NULLIF(lower(usr), 'ann') AS not_ann,
      rt::text AS rt_text, CAST(score AS INT) AS score_int, price::float8 AS price_f,
      CAST(rt AS NUMERIC) / 8 AS rt_eighths, status::varchar || '!' AS status_bang, CAST(ok AS INT) AS ok_int,
      (score > 0) = ok AS same_sign, NOT ok AS not_ok, ok IS NOT DISTINCT FROM (rt > 450) AS agree
    FROM events`,
  arithmetic: `SELECT id, status / 100 AS klass, rt % 7 AS m7, -rt + bytes * 2 AS lin, rt / 3 * 3 AS floor3,
      rt * 1.5 AS rt15, CAST(score AS NUMERIC(8, 1)) AS score1, rt::numeric(10, 2) / 3 AS third,
      price * 2 - 0.01 AS price2, score / 4 AS quarter, bytes / 1024 AS kib, (0 - rt) / 7 AS neg_div,
      (0 - rt) % 7 AS neg_mod, price::int AS price_int, abs(score) AS abs_score, round(price, 1) AS price1,
      round(score) AS round_score, (rt + 1) * (status - 199) AS prod, greatest(rt, 300) AS atleast,
      least(rt, bytes) AS atmost
    FROM events WHERE status IS NOT NULL`,
  // String functions.
  strings: `SELECT id, lower(usr) AS lo, upper(usr) AS up, length(path) AS len, substr(path, 2, 4) AS sub,
      substr(path, 3) AS tail, split_part(path, '/', 2) AS part2, split_part(path, '/', 3) AS part3,
      position('a' IN lower(path)) AS pos_a, strpos(path, 'i') AS pos_i,
      concat(usr, '@', path, status) AS cat, usr || ':' || path AS piped, usr || status AS with_status,
      regexp_replace(path, '[0-9]+', '#', 'g') AS no_digits, regexp_replace(usr, '^(.)', 'X\\1') AS prefixed,
      regexp_match(path, '^/([a-zA-Z]+)/?') AS first_seg, replace(path, '/', '.') AS dotted,
      initcap(usr) AS cap, left(path, 3) AS l3, right(usr, 2) AS r2, btrim(path, '/') AS trimmed,
      substr(path, -1, 4) AS sub_neg, split_part(path, '/', -1) AS last_part, concat_ws('-', usr, status, rt) AS ws,
      reverse(usr) AS rev, lpad(status::text, 5, '*') AS padded
    FROM events`,
  // date_trunc, extract, to_char, interval arithmetic.
  datetimes: `SELECT id, date_trunc('hour', ts) AS hr, date_trunc('day', ts) AS dy, date_trunc('minute', ts) AS mi,
      extract(hour FROM ts) AS h, extract(dow FROM ts) AS dow, extract(minute FROM ts) AS m,
      extract(second FROM ts) AS s, extract(epoch FROM ts) - 1710000000 AS epoch_off, extract(day FROM ts) AS d,
      date_part('doy', ts) AS doy,
      to_char(ts, 'YYYY-MM-DD HH24:MI:SS') AS iso, to_char(ts, 'Mon DD, YYYY HH12:MI AM') AS us,
      to_char(ts, 'Dy DD/MM/YY') AS dmy, to_char(ts, 'IYYY-"W"IW-ID') AS isoweek, to_char(ts, 'HH24:MI:SS.MS') AS ms,
      to_char(ts, 'FMDay FMMonth Q') AS words,
      ts + INTERVAL '1 hour' AS plus_h, ts - INTERVAL '90 MINUTES' AS minus_90, ts + INTERVAL '1' DAY AS tomorrow,
      ts - TIMESTAMP '2024-03-10 00:00:00' AS since_midnight,
      date_trunc('hour', ts) + INTERVAL '30 seconds' * rt AS stretched,
      ts::date AS day, CAST(ts AS DATE) + 1 AS next_day, date_trunc('week', ts) AS wk, date_trunc('month', ts) AS mon,
      extract(isodow FROM ts) AS isodow, extract(quarter FROM ts) AS q, extract(week FROM ts) AS wk_no,
      to_char(ts, 'DD Mon YYYY HH:MI:SS PM') AS long_form, to_char(ts, 'YYYYMMDD') AS compact
    FROM events`,
  interval_aggs: `SELECT usr, max(ts) - min(ts) AS span, (max(ts) - min(ts)) / 2 AS half,
      min(ts) + INTERVAL '1 day 2 hours' AS later,
      INTERVAL '1 minute' * count(*) AS budget, max(ts - TIMESTAMP '2024-03-10 22:00:00') AS max_off,
      min(date_trunc('minute', ts)) AS first_minute, extract(epoch FROM max(ts) - min(ts)) AS span_s,
      sum(ts - TIMESTAMP '2024-03-10 22:00:00') AS sum_off,
      percentile_disc(0.5) WITHIN GROUP (ORDER BY ts - TIMESTAMP '2024-03-10 00:00:00') AS disc_off
    FROM events GROUP BY usr`,
  // Window functions: ranking and offsets (ties and NULLs in the ORDER BY).
  win_rank: `SELECT id, usr, rt,
      row_number() OVER (PARTITION BY usr ORDER BY rt DESC, id) AS rn,
      rank() OVER (PARTITION BY usr ORDER BY rt DESC) AS rk,
      dense_rank() OVER (PARTITION BY usr ORDER BY rt DESC) AS drk,
      rank() OVER (ORDER BY status) AS global_rk,
      lag(rt) OVER (PARTITION BY usr ORDER BY ts, id) AS prev_rt,
      lead(id) OVER (PARTITION BY usr ORDER BY ts, id) AS next_id,
      lag(ts, 2) OVER (PARTITION BY usr ORDER BY ts, id) AS prev2_ts,
      lead(path, 1, 'none') OVER (PARTITION BY usr ORDER BY ts, id) AS next_path
    FROM events`,
  // Aggregates OVER (PARTITION BY … ORDER BY …) with the default frame (peers included).
  win_aggs: `SELECT id, path, status,
      sum(rt) OVER (PARTITION BY path ORDER BY status) AS run_sum,
      count(*) OVER (PARTITION BY path ORDER BY status) AS run_n,
      count(rt) OVER (PARTITION BY path ORDER BY status) AS run_n_rt,
      avg(rt) OVER (PARTITION BY path ORDER BY status) AS run_avg,
      min(rt) OVER (PARTITION BY usr ORDER BY ts) AS run_min,
      max(score) OVER (PARTITION BY usr ORDER BY id) AS run_max,
      sum(bytes) OVER (PARTITION BY lower(usr)) AS user_bytes,
      count(*) OVER () AS total
    FROM events`,
  win_exprs: `SELECT e.id, u.tier,
      rank() OVER (PARTITION BY u.tier ORDER BY lower(e.path), e.status DESC) AS rk,
      lead(e.rt, 2) OVER (PARTITION BY u.tier ORDER BY e.id) AS lead2,
      sum(e.bytes) OVER (PARTITION BY u.tier ORDER BY e.ts, e.id) AS run_bytes
    FROM events AS e LEFT JOIN users AS u ON e.usr = u.usr`,
  // Window frames: ROWS (a total order), RANGE over numbers, timestamps and descending keys,
  // GROUPS; aggregates and first/last_value over them.
  win_frame_rows: `SELECT id,
      sum(rt) OVER (PARTITION BY usr ORDER BY ts, id ROWS BETWEEN 2 PRECEDING AND 1 FOLLOWING) AS s,
      avg(price) OVER (ORDER BY id ROWS BETWEEN 1 FOLLOWING AND 3 FOLLOWING) AS ahead,
      min(rt) OVER (ORDER BY id ROWS 3 PRECEDING) AS min3, max(score) OVER (ORDER BY id ROWS 2 PRECEDING) AS max3,
      first_value(path) OVER (PARTITION BY usr ORDER BY id ROWS BETWEEN 1 PRECEDING AND UNBOUNDED FOLLOWING) AS fv,
      last_value(path) OVER (PARTITION BY usr ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 FOLLOWING) AS lv,
      count(rt) OVER (PARTITION BY status ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS n,
      count(*) OVER (ORDER BY id ROWS BETWEEN CURRENT ROW AND CURRENT ROW) AS one
    FROM events`,
  win_frame_range: `SELECT id,
      count(*) OVER (PARTITION BY usr ORDER BY ts RANGE BETWEEN INTERVAL '30 minutes' PRECEDING AND CURRENT ROW) AS recent,
      sum(rt) OVER (PARTITION BY path ORDER BY status RANGE BETWEEN 100 PRECEDING AND 50 FOLLOWING) AS near_status,
      max(id) OVER (ORDER BY rt DESC RANGE BETWEEN 100 PRECEDING AND 100 FOLLOWING) AS near_rt,
      min(ts) OVER (ORDER BY ts RANGE BETWEEN CURRENT ROW AND INTERVAL '1 hour' FOLLOWING) AS next_hour,
      last_value(ts) OVER (PARTITION BY usr ORDER BY ts RANGE BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS last_ts,
      sum(bytes) OVER (ORDER BY price RANGE BETWEEN 1.5 PRECEDING AND 1.5 FOLLOWING) AS near_price,
      count(*) OVER (ORDER BY score RANGE BETWEEN 0.5 PRECEDING AND 0.5 FOLLOWING) AS near_score
    FROM events`,
  win_frame_groups: `SELECT id,
      sum(rt) OVER (PARTITION BY usr ORDER BY status GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW) AS s,
      count(*) OVER (ORDER BY status GROUPS BETWEEN CURRENT ROW AND 1 FOLLOWING) AS n
    FROM events`,
  // RisingWave's session frame; in PostgreSQL, sessions numbered by a running sum of breaks.
  win_session: {
    sql: `SELECT id, usr, ts,
        min(ts) OVER (PARTITION BY usr ORDER BY ts SESSION WITH GAP INTERVAL '20 minutes') AS first_ts,
        count(*) OVER (PARTITION BY usr ORDER BY ts SESSION WITH GAP INTERVAL '20 minutes') AS n,
        sum(rt) OVER (PARTITION BY usr ORDER BY ts SESSION WITH GAP INTERVAL '20 minutes') AS total,
        first_value(ts) OVER (PARTITION BY usr ORDER BY ts SESSION WITH GAP INTERVAL '20 minutes') AS fv
      FROM events WHERE ts IS NOT NULL`,
    pg: `SELECT id, usr, ts, min(ts) OVER w AS first_ts, count(*) OVER w AS n, sum(rt) OVER w AS total,
        min(ts) OVER w AS fv FROM (
        SELECT *, sum(brk) OVER (PARTITION BY usr ORDER BY ts, id ROWS UNBOUNDED PRECEDING) AS sid FROM (
          SELECT *, CASE WHEN lag(ts) OVER (PARTITION BY usr ORDER BY ts, id) > ts - INTERVAL '20 minutes'
            THEN 0 ELSE 1 END AS brk FROM events WHERE ts IS NOT NULL) AS a) AS b
      WINDOW w AS (PARTITION BY usr, sid)`,
  },
  // INTERSECT / EXCEPT, with and without ALL (NULLs compare equal); DISTINCT ON.
  set_intersect: `SELECT usr, status FROM events WHERE rt > 300 INTERSECT SELECT usr, status FROM events WHERE ok`,
  set_intersect_all: `SELECT status FROM events WHERE rt > 300 INTERSECT ALL SELECT status FROM events WHERE ok`,
  set_except: `SELECT usr FROM events EXCEPT SELECT usr FROM users WHERE tier = 'gold'`,
  set_except_all: `SELECT lower(path) AS p FROM events EXCEPT ALL SELECT lower(path) FROM pages`,
  distinct_on: `SELECT DISTINCT ON (usr) usr, id, rt FROM events ORDER BY usr, rt DESC NULLS LAST, id`,
  // Arrays: ANY/ALL (NULL elements), subscripts, slices and array functions.
  array_exprs: `SELECT id, rt = ANY(ARRAY[100, 200, NULL]) AS any_rt, status > ALL(ARRAY[199, 299]) AS above,
      usr <> ALL(ARRAY['ann', 'bob']) AS other, (string_to_array(path, '/'))[2] AS seg,
      (string_to_array(path, '/'))[2:3] AS segs, (string_to_array(path, '/'))[:2] AS head,
      array_length(string_to_array(path, '/'), 1) AS n, array_position(string_to_array(path, '/'), 'api') AS api_at,
      array_to_string(array_remove(string_to_array(path, '/'), ''), '.') AS dotted,
      array_append(ARRAY[status], rt) AS pair, array_cat(ARRAY[id], ARRAY[rt, status]) AS triple
    FROM events`,
  // jsonb built from rows, its operators and functions.
  json_exprs: `SELECT id, jsonb_build_object('u', usr, 's', status, 'ok', ok) AS obj,
      jsonb_build_object('u', usr) ->> 'u' AS u, jsonb_build_array(status, id) -> 1 AS id_j,
      jsonb_build_array(status, rt) ->> -1 AS last_text,
      jsonb_build_object('p', path) @> jsonb_build_object('p', '/api') AS is_api,
      jsonb_build_object('a', jsonb_build_object('b', usr)) #>> '{a,b}' AS deep,
      jsonb_build_object('s', status) ? 's' AS has_s, to_jsonb(usr) AS j_usr, jsonb_typeof(to_jsonb(rt)) AS t,
      jsonb_array_length(jsonb_build_array(usr, path, rt)) AS len,
      jsonb_build_object('a', 1) || jsonb_build_object('u', usr) AS merged
    FROM events`,
  // Subqueries in WHERE as joins: semi (EXISTS, IN), anti (NOT EXISTS, NOT IN with NULLs),
  // uncorrelated EXISTS, the dynamic filter; FULL JOIN.
  semi_exists: `SELECT id, usr FROM events e WHERE EXISTS (SELECT 1 FROM users u WHERE u.usr = e.usr AND u.credits > 10)`,
  anti_exists: 'SELECT id FROM events e WHERE NOT EXISTS (SELECT 1 FROM pages p WHERE p.path = e.path)',
  exists_plain: `SELECT id FROM events WHERE EXISTS (SELECT 1 FROM users WHERE tier = 'gold')`,
  in_subquery: `SELECT id FROM events WHERE usr IN (SELECT usr FROM users WHERE tier = 'gold')`,
  not_in_subquery: 'SELECT id, status FROM events WHERE rt NOT IN (SELECT weight FROM pages)',
  dynamic_filter: 'SELECT id, rt FROM events WHERE rt > (SELECT avg(rt) FROM events)',
  full_join: 'SELECT e.id, p.path, p.section FROM events e FULL JOIN pages p ON e.path = p.path',
  // GROUPING SETS, ROLLUP, CUBE (with GROUPING and HAVING), a plain key beside a ROLLUP.
  gs_rollup: `SELECT lower(usr) AS u, status, count(*) AS n, sum(rt) AS total, grouping(lower(usr), status) AS g
    FROM events GROUP BY ROLLUP (lower(usr), status)`,
  gs_cube:
    'SELECT path, ok, count(*) AS n, grouping(ok) AS g FROM events GROUP BY CUBE (path, ok) HAVING count(*) > 1',
  gs_sets: 'SELECT status, usr, max(rt) AS mx FROM events GROUP BY GROUPING SETS ((status), (usr), ())',
  gs_mixed: 'SELECT status, usr, count(*) AS n FROM events GROUP BY status, ROLLUP (usr)',
  // An aggregate inside a window function.
  agg_in_window: `SELECT date_trunc('hour', ts) AS hr, status, count(*) AS n,
      sum(count(*)) OVER (PARTITION BY date_trunc('hour', ts) ORDER BY status) AS cum,
      rank() OVER (PARTITION BY date_trunc('hour', ts) ORDER BY count(*) DESC) AS rk,
      avg(sum(rt)) OVER (PARTITION BY status) AS avg_hourly_rt,
      max(max(rt)) OVER (ORDER BY status) AS max_so_far
    FROM events GROUP BY date_trunc('hour', ts), status`,
  // Top-N per group: RANK keeps ties, ROW_NUMBER does not.
  topn_rank: `SELECT usr, id, rt, r FROM (
      SELECT usr, id, rt, RANK() OVER (PARTITION BY usr ORDER BY rt DESC NULLS LAST) AS r FROM events
    ) AS x WHERE r <= 2`,
  topn_rownum: `SELECT window_start, usr, n, rn FROM (
      SELECT window_start, usr, count(*) AS n,
        ROW_NUMBER() OVER (PARTITION BY window_start ORDER BY count(*) DESC, usr) AS rn
      FROM TUMBLE(events, ts, INTERVAL '15 MINUTES') GROUP BY window_start, usr
    ) AS t WHERE rn <= 3`,
  // A window function over an aggregate over TUMBLE, in a subquery.
  tumble_lag: `SELECT s.window_start, s.u, s.n, s.prev_n, s.n - s.prev_n AS delta FROM (
      SELECT window_start, lower(usr) AS u, count(*) AS n,
        lag(count(*)) OVER (PARTITION BY lower(usr) ORDER BY window_start) AS prev_n
      FROM TUMBLE(events, ts, INTERVAL '30 MINUTES') GROUP BY window_start, lower(usr)
    ) AS s`,
  topn_first: `SELECT path, id, ts FROM (
      SELECT path, id, ts, row_number() OVER (PARTITION BY path ORDER BY ts DESC NULLS LAST, id) AS rn FROM events
    ) AS x WHERE rn = 1`,
  topn_dense: `SELECT status, usr, rt, dr FROM (
      SELECT status, usr, rt, dense_rank() OVER (PARTITION BY status ORDER BY rt / 100 DESC) AS dr FROM events
      WHERE rt IS NOT NULL
    ) AS x WHERE dr < 3 AND usr IS NOT NULL`,
  // ORDER BY + LIMIT in a view (a total order: deterministic).
  global_top: 'SELECT id, rt, usr FROM events WHERE rt IS NOT NULL ORDER BY rt DESC, id LIMIT 5',
  global_top_expr: 'SELECT lower(usr) AS u, id FROM events ORDER BY lower(usr) DESC NULLS LAST, id LIMIT 3',
  global_top_offset: 'SELECT id, ts FROM events ORDER BY ts NULLS FIRST, id DESC LIMIT 4 OFFSET 2',
  // An aggregate over a top-N: rows enter and leave the top 10.
  over_top: `SELECT usr, count(*) AS n, min(rt) AS min_rt FROM (
      SELECT usr, rt FROM events WHERE rt IS NOT NULL ORDER BY rt DESC, id LIMIT 10
    ) AS top10 GROUP BY usr`,
  // UNION ALL (with literal columns and a join branch).
  unioned: `SELECT 'slow' AS kind, id, usr FROM events WHERE rt > 700
    UNION ALL SELECT 'error', id, usr FROM events WHERE status >= 500
    UNION ALL SELECT 'vip', e.id, e.usr FROM events AS e JOIN users AS u ON e.usr = u.usr WHERE u.tier = 'gold'`,
  unioned_types: `SELECT usr AS k, status AS v FROM events WHERE status > 400
    UNION ALL SELECT lower(usr), count(*) FROM events GROUP BY lower(usr)`,
  // Inner and left equi-joins (a three-way join, a join key that is an expression).
  inner_join: `SELECT e.id, e.usr, u.tier, u.country, p.section, p.weight * e.rt AS weighted
    FROM events AS e JOIN users AS u ON e.usr = u.usr JOIN pages AS p ON p.path = e.path`,
  left_join: `SELECT e.id, u.usr AS matched, u.tier, COALESCE(u.country, '??') AS country, p.section
    FROM events AS e LEFT JOIN users AS u ON lower(e.usr) = u.usr LEFT JOIN pages AS p ON e.path = p.path`,
  self_join: `SELECT a.id, b.id AS later_id, a.usr, b.ts - a.ts AS gap
    FROM events AS a JOIN events AS b ON a.usr = b.usr AND a.path = b.path WHERE a.id < b.id`,
  left_join_residual: `SELECT e.id, u.usr AS matched, u.credits
    FROM events AS e LEFT JOIN users AS u ON e.usr = u.usr AND u.credits > e.rt / 10`,
  join_using: 'SELECT usr, e.id, u.tier FROM events AS e JOIN users AS u USING (usr)',
  join_agg: `SELECT u.tier, count(*) AS n, count(DISTINCT e.usr) AS users, sum(e.rt) AS rt, count(u.usr) AS matched
    FROM events AS e LEFT JOIN users AS u ON e.usr = u.usr GROUP BY u.tier`,
  join_times: `SELECT e.id, e.ts - u.signup AS since_signup,
      date_trunc('day', u.signup) + INTERVAL '30 days' AS trial_end,
      e.ts > u.signup + INTERVAL '1 day' AS after_first_day, u.credits - e.rt / 10 AS credits_left
    FROM events AS e JOIN users AS u ON e.usr = u.usr`,
  // A stream (source) joined with tables, windowed, and unioned with a table.
  stream_join: `SELECT c.ts, c.usr, u.tier, c.ms, c.ms / 100 AS bucket
    FROM clicks AS c JOIN users AS u ON c.usr = u.usr`,
  stream_left_join: `SELECT c.ts, c.path, p.section, coalesce(p.weight, 0) * c.ms AS weighted
    FROM clicks AS c LEFT JOIN pages AS p ON c.path = p.path`,
  stream_windows: `SELECT window_start, window_end, count(*) AS n, count(DISTINCT usr) AS users, sum(ms) AS ms,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS med
    FROM TUMBLE(clicks, ts, INTERVAL '10 MINUTES') GROUP BY window_start, window_end`,
  stream_hop_join: `SELECT h.window_start, u.tier, count(*) AS n
    FROM HOP(clicks, ts, INTERVAL '20 MINUTES', INTERVAL '1 HOUR') AS h LEFT JOIN users AS u ON h.usr = u.usr GROUP BY h.window_start, u.tier`,
  stream_and_table: `SELECT usr, path, 'click' AS kind FROM clicks
    UNION ALL SELECT usr, path, 'event' FROM events WHERE status >= 400`,
  stream_top: `SELECT usr, ms, ts FROM (
      SELECT usr, ms, ts, rank() OVER (PARTITION BY usr ORDER BY ms DESC NULLS LAST) AS r FROM clicks
    ) AS x WHERE r <= 2`,
  // Windows: TUMBLE (also with an offset) and HOP.
  tumbled: `SELECT window_start, window_end, count(*) AS n, sum(bytes) AS bytes, avg(score) AS avg_score,
      count(DISTINCT usr) AS users
    FROM TUMBLE(events, ts, INTERVAL '15 MINUTES') GROUP BY window_start, window_end`,
  tumbled_offset: `SELECT window_start, status, count(*) AS n
    FROM TUMBLE(events, ts, INTERVAL '1' HOUR, INTERVAL '10 MINUTES') GROUP BY window_start, status`,
  hopped_ragged: `SELECT window_start, window_end, count(*) AS n, min(ts) AS first
    FROM HOP(events, ts, INTERVAL '10 MINUTES', INTERVAL '25 MINUTES', INTERVAL '3 MINUTES')
    GROUP BY window_start, window_end`,
  hopped: `SELECT window_start, window_end, count(*) AS n, max(rt) AS max_rt
    FROM HOP(events, ts, INTERVAL '10 MINUTES', INTERVAL '30 MINUTES') GROUP BY window_start, window_end`,
  // WHERE over the input's columns (filtered before the windows) and over a window's.
  hopped_filtered: `SELECT window_start, usr, count(*) AS n, count(DISTINCT path) AS paths
    FROM HOP(clicks, ts, INTERVAL '20 MINUTES', INTERVAL '1 HOUR')
    WHERE ms > 100 AND (usr IS NULL OR path LIKE '%a%') AND ts >= window_start + INTERVAL '10 MINUTES'
    GROUP BY window_start, usr`,
  // Floats with NaN and ±Infinity (NaN sorts above every number and equals itself).
  special_floats: `SELECT lower(usr) AS u, sum(ratio) AS s, avg(ratio) AS a, min(ratio) AS lo, max(ratio) AS hi,
      count(*) FILTER (WHERE ratio = 'NaN') AS nans, count(DISTINCT ratio) AS distinct_ratios,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY ratio) AS med,
      percentile_disc(0.9) WITHIN GROUP (ORDER BY ratio) AS p90,
      stddev_samp(ratio) AS sd, string_agg(ratio::text, ',' ORDER BY ratio, id) AS listed
    FROM events GROUP BY lower(usr)`,
  special_floats_rows: `SELECT id, ratio, rank() OVER (ORDER BY ratio DESC) AS rk, ratio > 100 AS big,
      ratio::text AS t,
      round(ratio) AS r, ratio * 0 AS zeroed, ratio / 2 + 1 AS half
    FROM events`,
  // Global aggregates: always one row, also over an empty input.
  global_agg: `SELECT count(*) AS n, count(rt) AS n_rt, count(DISTINCT usr) AS users, sum(rt) AS total,
      avg(price) AS avg_price, min(ts) AS first, max(ts) AS last, bool_or(ok) AS any_ok,
      string_agg(DISTINCT lower(usr), ',' ORDER BY lower(usr)) AS all_users,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY rt) AS med
    FROM events`,
  global_having: 'SELECT count(*) AS n, max(id) AS top_id FROM events HAVING count(*) > 120',
  global_empty:
    'SELECT count(*) AS n, sum(rt) AS total, max(ts) AS last, bool_and(ok) AS all_ok FROM events WHERE status = 999',
  // Views over views.
  over_view:
    'SELECT u, sum(n) AS n, sum(n_rt) AS n_rt, max(hr) AS last_hr FROM group_exprs GROUP BY u ORDER BY u',
  over_join_view: `SELECT tier, count(*) AS n, string_agg(section, ',' ORDER BY section, id) AS sections
    FROM inner_join GROUP BY tier`, // Interval aggregates: avg (interval division), percentile_cont (interpolated), running sum/avg.
  interval_avg: `SELECT usr, avg(ts - TIMESTAMP '2024-03-10 00:00:00') AS avg_off, avg(INTERVAL '1 minute' * rt) AS avg_rt
      FROM events GROUP BY usr`,
  interval_percentile: `SELECT usr, percentile_cont(0.5) WITHIN GROUP (ORDER BY ts - TIMESTAMP '2024-03-10 00:00:00') AS med_off
      FROM events GROUP BY usr`,
  interval_window: `SELECT id, sum(ts - TIMESTAMP '2024-03-10 22:00:00') OVER (PARTITION BY usr ORDER BY id) AS run_off,
        avg(INTERVAL '1 second' * rt) OVER (PARTITION BY usr ORDER BY id) AS run_avg
      FROM events`,
};

const SEED = Number(process.env.FEATURES_SEED ?? 20240310);
const EPOCHS = Number(process.env.FEATURES_EPOCHS ?? 20);
/** The epoch in which a second copy of every view over tables is created (over existing data). */
const LATE = 8;
/**
 * The views copied at epoch LATE: not those reading the source, which keeps no history (a view
 * created later sees only what arrives afterwards, as over a RisingWave source with no retention).
 */
const BACKFILLED = Object.keys(VIEWS).filter((name) => {
  const def = VIEWS[name] as ViewDef;
  return !/\bclicks\b/.test(typeof def === 'string' ? def : def.sql);
});

let pgServer: TestPostgres;
const engine = new Engine({ autoEpoch: false });
/** Per view: the first mismatch (or setup error), if any. */
const failures = new Map<string, string>();
const columns = new Map<string, readonly CatalogColumn[]>();

function fail(view: string, message: string): void {
  if (!failures.has(view)) failures.set(view, message);
}

function sqlText(s: string | null): string {
  return s === null ? 'NULL' : `'${s.replace(/'/g, "''")}'`;
}

/** The random workload: statements per epoch, keeping track of live primary keys. */
function workload(seed: number) {
  const rand = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const maybe = <T>(p: number, v: () => T): T | null => (rand() < p ? null : v());
  const usrs = ['ann', 'Ann', 'ANN', 'bob', 'Bob', 'cy', 'dee', 'Eve', 'zoë'];
  const paths = [
    '/',
    '/login',
    '/Admin/panel',
    '/api/v1/items',
    '/api/v2/Items/42',
    '/static/app.js',
    '/search/Foo',
    '/api/v10/users/7',
  ];
  const statuses = [200, 200, 200, 201, 301, 403, 404, 500];
  const base = Date.UTC(2024, 2, 10, 22, 0, 0);
  const tsText = (): string => {
    // Three hours across midnight, in random order; some with fractional seconds.
    const ms = base + int(0, 3 * 3600) * 1000 + (rand() < 0.2 ? int(1, 999) : 0);
    return `TIMESTAMP '${new Date(ms).toISOString().replace('T', ' ').replace('Z', '')}'`;
  };
  const live = new Set<number>();
  let nextId = 1;
  const eventRow = (id: number): string =>
    [
      id,
      rand() < 0.03 ? 'NULL' : tsText(),
      sqlText(maybe(0.07, () => pick(usrs))),
      sqlText(maybe(0.05, () => pick(paths))),
      rand() < 0.04 ? 'NULL' : pick(statuses),
      rand() < 0.1 ? 'NULL' : int(1, 900),
      rand() < 0.1 ? 'NULL' : int(0, 5000),
      rand() < 0.1 ? 'NULL' : (int(-4000, 4000) / 16).toString(),
      rand() < 0.1 ? 'NULL' : (int(0, 99999) / 100).toFixed(2),
      rand() < 0.15 ? 'NULL' : pick(['TRUE', 'FALSE']),
      rand() < 0.1
        ? 'NULL'
        : rand() < 0.12
          ? pick(["'NaN'", "'Infinity'", "'-Infinity'"])
          : (int(1, 999) / 7).toString(),
    ].join(', ');
  const usersIn = new Set<string>();
  const pagesIn = new Set<string>();
  const userRow = (u: string) =>
    `${sqlText(u)}, ${sqlText(maybe(0.15, () => pick(['gold', 'free', 'Pro'])))}, ` +
    `${sqlText(maybe(0.15, () => pick(['US', 'de', 'FR'])))}, ` +
    `${rand() < 0.1 ? 'NULL' : `TIMESTAMP '2024-03-0${int(1, 9)} ${int(10, 23)}:${int(10, 59)}:00'`}, ` +
    `${rand() < 0.1 ? 'NULL' : int(0, 100)}`;
  const pageRow = (p: string) =>
    `${sqlText(p)}, ${sqlText(maybe(0.2, () => pick(['api', 'web', 'Static'])))}, ${rand() < 0.1 ? 'NULL' : int(1, 5)}`;

  return {
    live,
    epoch(n: number): string[] {
      const out: string[] = [];
      const count = n === 0 ? 30 : 20;
      for (let k = 0; k < count; k++) {
        const r = rand();
        const ids = [...live];
        if (r < 0.45 || ids.length < 8) {
          const rows = rand() < 0.3 ? 3 : 1;
          const values: string[] = [];
          for (let j = 0; j < rows; j++) {
            live.add(nextId);
            values.push(`(${eventRow(nextId++)})`);
          }
          out.push(`INSERT INTO events VALUES ${values.join(', ')}`);
        } else if (r < 0.6) {
          const id = pick(ids);
          const sets = [
            `rt = ${rand() < 0.1 ? 'NULL' : int(1, 900)}`,
            `status = ${pick(statuses)}`,
            `ts = ${tsText()}`,
            `usr = ${sqlText(maybe(0.1, () => pick(usrs)))}`,
            `ok = ${pick(['TRUE', 'FALSE', 'NULL'])}`,
            `score = score * -1`,
          ].filter(() => rand() < 0.5);
          if (sets.length === 0) sets.push(`path = ${sqlText(pick(paths))}`);
          out.push(`UPDATE events SET ${sets.join(', ')} WHERE id = ${id}`);
        } else if (r < 0.72) {
          const id = pick(ids);
          live.delete(id);
          out.push(`DELETE FROM events WHERE id = ${id}`);
        } else if (r < 0.77) {
          out.push(`UPDATE events SET usr = ${sqlText(pick(usrs))}, rt = rt + 1 WHERE rt < ${int(1, 150)}`);
        } else if (r < 0.79) {
          out.push(`UPDATE events SET bytes = bytes / 2 WHERE status = ${pick(statuses)} AND bytes > 100`);
        } else if (r < 0.8) {
          out.push(
            `DELETE FROM events WHERE usr ILIKE ${sqlText(pick(['a%', 'b%', '%e']))} AND rt > ${int(300, 900)}`,
          );
        } else if (r < 0.9) {
          const u = pick(usrs);
          if (usersIn.has(u)) {
            if (rand() < 0.5) {
              out.push(`DELETE FROM users WHERE usr = ${sqlText(u)}`);
              usersIn.delete(u);
            } else
              out.push(
                `UPDATE users SET tier = ${sqlText(pick(['gold', 'free', 'Pro']))}, credits = credits + 5 WHERE usr = ${sqlText(u)}`,
              );
            if (rand() < 0.2) out.push('UPDATE users SET credits = credits * 2 WHERE tier IS NULL');
          } else {
            out.push(`INSERT INTO users VALUES (${userRow(u)})`);
            usersIn.add(u);
          }
        } else if (r < 0.95) {
          const p = pick(paths);
          if (pagesIn.has(p)) {
            if (rand() < 0.4) {
              out.push(`DELETE FROM pages WHERE path = ${sqlText(p)}`);
              pagesIn.delete(p);
            } else out.push(`UPDATE pages SET weight = ${int(1, 5)} WHERE path = ${sqlText(p)}`);
          } else {
            out.push(`INSERT INTO pages VALUES (${pageRow(p)})`);
            pagesIn.add(p);
          }
        } else if (r < 0.97) {
          // Late data far out of order: an old timestamp, and a row moved two hours back.
          live.add(nextId);
          out.push(`INSERT INTO events VALUES (${eventRow(nextId++)})`);
          out.push(`UPDATE events SET ts = ts - INTERVAL '2 hours' WHERE id = ${pick(ids)}`);
        } else if (r < 0.985) {
          // A row that lives and dies within the epoch, and an update that changes nothing.
          const id = nextId++;
          out.push(`INSERT INTO events VALUES (${eventRow(id)})`);
          out.push(`UPDATE events SET rt = 1 WHERE id = ${id}`);
          out.push(`DELETE FROM events WHERE id = ${id}`);
          out.push(`UPDATE events SET rt = rt WHERE id = ${pick(ids)}`);
        } else {
          // A new primary key for an existing row.
          const id = pick(ids);
          live.delete(id);
          live.add(nextId);
          out.push(`UPDATE events SET id = ${nextId++} WHERE id = ${id}`);
        }
      }
      // Bulk deletes: part of the data, then everything (live ids are re-read after every epoch).
      if (n === 10) out.push('DELETE FROM events WHERE rt > 600');
      if (n === 14) out.push('DELETE FROM events');
      return out;
    },
    /** Click rows for the source: µs timestamps (out of order, some NULL), text with NULLs. */
    clicks(): (string | number | null)[][] {
      const rows: (string | number | null)[][] = [];
      for (let k = int(2, 6); k > 0; k--)
        rows.push([
          rand() < 0.05 ? null : (base + int(0, 3 * 3600) * 1000 + int(0, 999)) * 1000,
          maybe(0.1, () => pick(usrs)),
          maybe(0.1, () => pick(paths)),
          rand() < 0.1 ? null : int(1, 2000),
        ]);
      return rows;
    },
  };
}

/** PostgreSQL's INSERT for pushed click rows. */
function clicksInsert(rows: readonly (string | number | null)[][]): string {
  const ts = (us: string | number | null) =>
    us === null
      ? 'NULL'
      : `TIMESTAMP '${new Date(Number(us) / 1000).toISOString().replace('T', ' ').replace('Z', '')}'`;
  const values = rows.map(
    ([t, u, p, ms]) =>
      `(${ts(t ?? null)}, ${sqlText((u ?? null) as string | null)}, ${sqlText((p ?? null) as string | null)}, ${ms ?? 'NULL'})`,
  );
  return `INSERT INTO clicks VALUES ${values.join(', ')}`;
}

async function compareView(name: string, epoch: number): Promise<void> {
  const cols = columns.get(name);
  if (cols === undefined || failures.has(name)) return;
  try {
    const expected = postgresRows(await queryPostgres(pgServer.client, `SELECT * FROM ${name}`), cols);
    const actual = snapNumbers(engineRows(engine.rows(name), cols), expected, cols);
    assertSameRows(actual, expected, `${name} after epoch ${epoch}`);
  } catch (e) {
    fail(name, (e as Error).message);
  }
}

/** Creates a view in both; on success its columns are recorded for comparison. */
async function createView(name: string, def: ViewDef): Promise<void> {
  const client = pgServer.client;
  const sql = typeof def === 'string' ? def : def.sql;
  const pgSql = typeof def === 'string' ? forPostgres(def) : def.pg;
  try {
    await client.query(`CREATE VIEW ${name} AS ${pgSql}`);
  } catch (e) {
    fail(name, `PostgreSQL rejects the view: ${(e as Error).message}\n${pgSql}`);
    return;
  }
  try {
    await engine.execute(`CREATE MATERIALIZED VIEW ${name} AS ${sql}`);
  } catch (e) {
    fail(name, `tidewatch rejects the view: ${(e as Error).message}`);
    return;
  }
  const cols = engine.getRelation(name)?.columns ?? [];
  const theirs = await queryPostgres(client, `SELECT * FROM ${name} LIMIT 0`);
  const ours = cols.map((c) => `${c.name} ${formatType(c.type)}`);
  const expected: string[] = [];
  for (let i = 0; i < theirs.names.length; i++)
    expected.push(`${theirs.names[i]} ${await postgresTypeName(client, theirs.typeOids[i] as number)}`);
  if (ours.join(', ') !== expected.join(', ')) {
    fail(name, `columns differ\n  tidewatch:  ${ours.join(', ')}\n  postgresql: ${expected.join(', ')}`);
    return;
  }
  columns.set(name, cols);
}

before(async () => {
  pgServer = await startPostgres();
  const client = pgServer.client;
  for (const d of DDL) {
    await engine.execute(d);
    await client.query(d);
  }
  await engine.execute(SOURCE_DDL.tidewatch);
  await client.query(SOURCE_DDL.postgres);
  for (const [name, def] of Object.entries(VIEWS)) await createView(name, def);

  const load = workload(SEED);
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    for (const s of load.epoch(epoch)) {
      await client.query(s);
      await engine.execute(s);
    }
    const clicks = load.clicks();
    engine.push('clicks', clicks);
    await client.query(clicksInsert(clicks));
    // Mid-epoch, with uncommitted changes in every table: a copy of each view backfills.
    if (epoch === LATE)
      for (const name of BACKFILLED) await createView(`${name}_late`, VIEWS[name] as ViewDef);
    load.live.clear();
    for (const row of (await queryPostgres(client, 'SELECT id FROM events')).rows)
      load.live.add(Number(row[0]));
    engine.flush();
    for (const name of Object.keys(VIEWS)) await compareView(name, epoch);
    if (epoch >= LATE) for (const name of BACKFILLED) await compareView(`${name}_late`, epoch);
  }
});

after(async () => {
  engine.close();
  await pgServer?.stop();
});

for (const name of Object.keys(VIEWS)) {
  test(`${name} equals PostgreSQL after every epoch`, () => {
    const f = failures.get(name);
    assert.ok(f === undefined, f);
  });
  if (BACKFILLED.includes(name))
    test(`${name} created in epoch ${LATE} (backfill) equals PostgreSQL after every epoch`, () => {
      const f = failures.get(`${name}_late`);
      assert.ok(f === undefined, f);
    });
}
