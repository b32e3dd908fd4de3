/**
 * The reference pipeline's trickier views, wired by hand the way the compile step will wire
 * them, checked against DuckDB running the pipeline's SQL (TUMBLE rewritten as a subquery)
 * after every epoch of a random insert/delete stream:
 * top_user_actions (aggregate → top-N), status_code_analysis_summary (aggregate → window
 * functions → project) and security_level_analysis_summary (aggregate → aggregate of the
 * aggregate → join with it).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { chunk } from '../../src/stream/chunk.ts';
import { compareRows, type Row, type Value } from '../../src/stream/value.ts';
import { prng } from './helpers.ts';
import { buildReferenceViews, MIN, ReferenceTraffic } from './reference-dataflow.ts';

function assertClose(actual: Row[], expected: Row[], what: string): void {
  const a = [...actual].sort(compareRows);
  const e = [...expected].sort(compareRows);
  const close = (x: Value, y: Value) =>
    x === y || (typeof x === 'number' && typeof y === 'number' && Math.abs(x - y) <= 1e-9 * Math.abs(y));
  assert.equal(a.length, e.length, `${what}: row count`);
  a.forEach((row, i) => {
    const exp = e[i] as Row;
    assert.ok(
      row.length === exp.length && row.every((v, j) => close(v, exp[j] as Value)),
      `${what}: ${JSON.stringify(row)} vs ${JSON.stringify(exp)}`,
    );
  });
}

test('reference pipeline views agree with DuckDB running their SQL', async () => {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(`CREATE TABLE logs (id INTEGER, request_timestamp BIGINT, user_action VARCHAR,
    status_code INTEGER, response_time INTEGER, security_level VARCHAR)`);
  const query = async (sql: string): Promise<Row[]> =>
    (await conn.runAndReadAll(sql))
      .getRowsJS()
      .map((r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : (v as Value))));
  const windowed = `(SELECT *, request_timestamp - request_timestamp % ${MIN} AS window_start,
    request_timestamp - request_timestamp % ${MIN} + ${MIN} AS window_end FROM logs)`;

  const { g, src, topView, statusView, securityView } = buildReferenceViews();
  const traffic = new ReferenceTraffic(prng(2024));
  const live = traffic.live;
  for (let epoch = 0; epoch < 10; epoch++) {
    const { rows, weights } = traffic.epoch();
    g.push(src, chunk(rows, weights));
    g.barrier();
    await conn.run('DELETE FROM logs');
    if (live.size > 0) {
      const values = [...live.values()].map(
        (r) => `(${r.map((v) => (typeof v === 'string' ? `'${v}'` : String(v))).join(',')})`,
      );
      await conn.run(`INSERT INTO logs VALUES ${values.join(',')}`);
    }

    const expectTop = await query(`
      WITH ranked_actions AS (
        SELECT user_action, COUNT(user_action) AS count_user_activity, window_start, window_end,
          ROW_NUMBER() OVER (PARTITION BY window_start, window_end
                             ORDER BY COUNT(user_action) DESC, user_action) AS rank
        FROM ${windowed} GROUP BY user_action, window_start, window_end)
      SELECT user_action, count_user_activity, window_start, window_end FROM ranked_actions WHERE rank <= 5`);
    assertClose(topView.rows(), expectTop, `epoch ${epoch}: top_user_actions`);

    const expectStatus = await query(`
      WITH status_counts AS (
        SELECT status_code, COUNT(status_code) AS count_status_code, AVG(response_time) AS avg_response_time,
          SUM(COUNT(status_code)) OVER (PARTITION BY window_start, window_end ORDER BY status_code) AS cumulative_count,
          SUM(COUNT(status_code)) OVER (PARTITION BY window_start, window_end) AS window_total,
          window_start, window_end
        FROM ${windowed} GROUP BY status_code, window_start, window_end)
      SELECT status_code, count_status_code, avg_response_time, cumulative_count::DOUBLE,
        cumulative_count * 100.0 / window_total AS cumulative_percentage, window_start, window_end
      FROM status_counts`);
    assertClose(statusView.rows(), expectStatus, `epoch ${epoch}: status_code_analysis_summary`);

    const expectSecurity = await query(`
      WITH level_counts AS (
        SELECT security_level, COUNT(*) AS count_security_level, AVG(response_time) AS avg_response_time,
          window_start, window_end
        FROM ${windowed} GROUP BY security_level, window_start, window_end),
      level_medians AS (
        SELECT window_start, window_end,
          PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY count_security_level) AS median_count
        FROM level_counts GROUP BY window_start, window_end)
      SELECT c.security_level, c.count_security_level, c.avg_response_time, m.median_count,
        c.window_start, c.window_end
      FROM level_counts AS c JOIN level_medians AS m
        ON c.window_start = m.window_start AND c.window_end = m.window_end`);
    assertClose(securityView.rows(), expectSecurity, `epoch ${epoch}: security_level_analysis_summary`);
  }
  conn.closeSync();
});
