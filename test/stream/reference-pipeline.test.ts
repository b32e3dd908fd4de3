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
import { Dataflow } from '../../src/stream/graph.ts';
import { Aggregate } from '../../src/stream/operators/aggregate.ts';
import { Join } from '../../src/stream/operators/join.ts';
import { Materialize } from '../../src/stream/operators/materialize.ts';
import { OverWindow } from '../../src/stream/operators/over-window.ts';
import { Project } from '../../src/stream/operators/project.ts';
import { TopN } from '../../src/stream/operators/top-n.ts';
import { Tumble } from '../../src/stream/operators/tumble.ts';
import { compareRows, type Row, type Value } from '../../src/stream/value.ts';
import { int, pick, prng } from './helpers.ts';

const MIN = 60_000_000;
const c =
  (i: number) =>
  (r: Row): Value =>
    r[i] as Value;

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

  // source row: [id, ts, user_action, status_code, response_time, security_level]; tumble adds 6, 7
  const g = new Dataflow();
  const src = g.source('website_logs_source', 6);
  const t = g.add(new Tumble({ timeColumn: 1, size: MIN, width: 6 }), src);

  // top_user_actions: [action, ws, we, count] → top 5 per window by count desc
  const actions = g.add(
    new Aggregate({
      groupBy: (r) => [r[2] as Value, r[6] as Value, r[7] as Value],
      calls: [{ kind: 'count', arg: c(2) }],
    }),
    t,
  );
  const top = g.add(
    new TopN({
      partitionBy: (r) => [r[1] as Value, r[2] as Value],
      orderBy: [{ value: c(3), desc: true }],
      limit: 5,
    }),
    actions,
  );
  const topView = g.add(
    new Materialize('top_user_actions'),
    g.add(new Project((r) => [r[0], r[3], r[1], r[2]] as Value[]), top),
  );

  // status_code_analysis_summary
  const statuses = g.add(
    new Aggregate({
      groupBy: (r) => [r[3] as Value, r[6] as Value, r[7] as Value],
      calls: [
        { kind: 'count', arg: c(3) },
        { kind: 'avg', arg: c(4) },
      ],
    }),
    t,
  );
  const byWindow = (r: Row) => [r[1] as Value, r[2] as Value];
  const cumulative = g.add(
    new OverWindow({
      partitionBy: byWindow,
      orderBy: [{ value: c(0) }],
      calls: [{ kind: 'sum', arg: c(3) }],
    }),
    statuses,
  );
  const totals = g.add(
    new OverWindow({ partitionBy: byWindow, calls: [{ kind: 'sum', arg: c(3) }] }),
    cumulative,
  );
  const statusView = g.add(
    new Materialize('status_code_analysis_summary'),
    g.add(
      new Project(
        (r) => [r[0], r[3], r[4], r[5], ((r[5] as number) * 100.0) / (r[6] as number), r[1], r[2]] as Value[],
      ),
      totals,
    ),
  );

  // security_level_analysis_summary
  const levels = g.add(
    new Aggregate({
      groupBy: (r) => [r[5] as Value, r[6] as Value, r[7] as Value],
      calls: [{ kind: 'count' }, { kind: 'avg', arg: c(4) }],
    }),
    t,
  );
  const medians = g.add(
    new Aggregate({ groupBy: byWindow, calls: [{ kind: 'percentile_cont', arg: c(3), fraction: 0.5 }] }),
    levels,
  );
  const joined = g.add(
    new Join({
      type: 'inner',
      leftKey: byWindow,
      rightKey: (r) => [r[0] as Value, r[1] as Value],
      leftWidth: 5,
      rightWidth: 3,
    }),
    levels,
    medians,
  );
  const securityView = g.add(
    new Materialize('security_level_analysis_summary'),
    g.add(new Project((r) => [r[0], r[3], r[4], r[7], r[1], r[2]] as Value[]), joined),
  );

  const rand = prng(2024);
  const live = new Map<number, Row>();
  let id = 0;
  for (let epoch = 0; epoch < 10; epoch++) {
    const rows: Row[] = [];
    const weights: number[] = [];
    for (let i = int(rand, 0, 60); i > 0; i--) {
      if (rand() < 0.25 && live.size > 0) {
        const victim = pick(rand, [...live.keys()]);
        rows.push(live.get(victim) as Row);
        weights.push(-1);
        live.delete(victim);
      } else {
        const row: Row = [
          id++,
          1_706_184_000_000_000 + int(rand, 0, 3 * MIN),
          pick(rand, [
            'view_page',
            'login',
            'logout',
            'submit_form',
            'scroll_page',
            'download_file',
            'open_new_tab',
          ]),
          pick(rand, [200, 200, 200, 301, 404, 500]),
          int(rand, 5, 900),
          pick(rand, ['low', 'medium', 'high']),
        ];
        rows.push(row);
        weights.push(1);
        live.set(row[0] as number, row);
      }
    }
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
