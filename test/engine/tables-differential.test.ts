/**
 * Tables under INSERT / UPDATE / DELETE (retractions through every dependent view), with
 * out-of-order timestamps, checked against DuckDB after every epoch. The same DML text runs
 * in both; the views cover aggregates with FILTER and DISTINCT, percentiles, top-N, window
 * functions, an aggregate inside a window function, inner and left joins, UNION ALL, HOP,
 * a global aggregate and a view over a view.
 */
import { test } from 'node:test';
import { Engine } from '../../src/engine/engine.ts';
import { prng } from '../helpers/random.ts';
import { assertSameRows, duck, forDuckDb, queryDuck } from './oracle.ts';

const DDL = [
  'CREATE TABLE t (id INT PRIMARY KEY, ts TIMESTAMP, usr VARCHAR, action VARCHAR, status INT, rt INT)',
  'CREATE TABLE users (usr VARCHAR PRIMARY KEY, tier VARCHAR)',
];

const VIEWS: Record<string, string> = {
  per_user: `SELECT usr, window_start, window_end, COUNT(*) AS n,
      COUNT(*) FILTER (WHERE status >= 400) AS errs, COUNT(DISTINCT action) AS actions,
      SUM(rt) AS total, AVG(rt) AS avg_rt, MIN(rt) AS min_rt, MAX(rt) AS max_rt,
      PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY rt) AS med
    FROM TUMBLE(t, ts, INTERVAL '10 SECONDS') GROUP BY usr, window_start, window_end`,
  top3: `SELECT usr, id, rt, r FROM (
      SELECT usr, id, rt, ROW_NUMBER() OVER (PARTITION BY usr ORDER BY rt DESC, id) AS r FROM t
    ) AS ranked WHERE r <= 3`,
  running: `SELECT id, usr, rt, SUM(rt) OVER (PARTITION BY usr ORDER BY id) AS running,
      COUNT(*) OVER (PARTITION BY usr) AS cnt FROM t`,
  cumulative: `SELECT status, COUNT(*) AS c, SUM(COUNT(*)) OVER (ORDER BY status) AS cum
    FROM t GROUP BY status`,
  joined: 'SELECT t.id, t.usr, u.tier FROM t JOIN users AS u ON t.usr = u.usr',
  left_joined: 'SELECT t.id, u.tier FROM t LEFT JOIN users AS u ON t.usr = u.usr',
  unioned: `SELECT usr, rt FROM t WHERE status >= 400
    UNION ALL SELECT usr, rt FROM t WHERE rt > 500`,
  hopped: `SELECT window_start, window_end, COUNT(*) AS n, SUM(rt) AS total
    FROM HOP(t, ts, INTERVAL '10 SECONDS', INTERVAL '30 SECONDS') GROUP BY window_start, window_end`,
  totals: 'SELECT COUNT(*) AS n, SUM(rt) AS total, MAX(rt) AS top FROM t',
  per_user_total: 'SELECT usr, SUM(n) AS n, MAX(max_rt) AS max_rt FROM per_user GROUP BY usr',
};

test('tables with INSERT/UPDATE/DELETE: every view equals DuckDB after every epoch', async () => {
  const engine = new Engine({ autoEpoch: false });
  try {
    const conn = await duck();
    for (const d of DDL) {
      await engine.execute(d);
      await conn.run(d);
    }
    for (const [name, q] of Object.entries(VIEWS)) {
      await engine.execute(`CREATE MATERIALIZED VIEW ${name} AS ${q}`);
      await conn.run(`CREATE VIEW ${name} AS ${forDuckDb(q)}`);
    }
    const rand = prng(42);
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const usrs = ['ann', 'bob', 'cy', 'dee', 'eve'];
    const actions = ['login', 'view', 'post', 'logout'];
    const statuses = [200, 200, 200, 301, 404, 500];
    const live: number[] = [];
    let nextId = 1;
    const ts = () => `TIMESTAMP '2024-01-01 00:00:00' + INTERVAL '${int(0, 120)} SECONDS'`;
    for (let epoch = 0; epoch < 25; epoch++) {
      const stmts: string[] = [];
      for (let k = 0; k < 12; k++) {
        const r = rand();
        if (r < 0.55 || live.length < 5) {
          const id = nextId++;
          live.push(id);
          stmts.push(
            `INSERT INTO t VALUES (${id}, ${ts()}, '${pick(usrs)}', '${pick(actions)}', ${pick(statuses)}, ${int(1, 900)})`,
          );
        } else if (r < 0.75) {
          const id = pick(live);
          stmts.push(
            `UPDATE t SET rt = ${int(1, 900)}, status = ${pick(statuses)}, ts = ${ts()} WHERE id = ${id}`,
          );
        } else if (r < 0.9) {
          const i = Math.floor(rand() * live.length);
          const id = live[i] as number;
          live.splice(i, 1);
          stmts.push(`DELETE FROM t WHERE id = ${id}`);
        } else if (r < 0.95) {
          const u = pick(usrs);
          stmts.push(`DELETE FROM users WHERE usr = '${u}'`);
          stmts.push(`INSERT INTO users VALUES ('${u}', '${pick(['gold', 'free'])}')`);
        } else {
          stmts.push(`UPDATE t SET usr = '${pick(usrs)}' WHERE rt < ${int(1, 200)}`);
        }
      }
      if (epoch === 12) stmts.push('DELETE FROM t WHERE rt < 300');
      for (const s of stmts) {
        await engine.execute(s);
        await conn.run(s);
      }
      live.length = 0;
      for (const row of await queryDuck(conn, 'SELECT id FROM t')) live.push(row[0] as number);
      engine.flush();
      for (const name of Object.keys(VIEWS)) {
        assertSameRows(
          engine.rows(name),
          await queryDuck(conn, `SELECT * FROM ${name}`),
          `${name} after epoch ${epoch}`,
        );
      }
    }
  } finally {
    engine.close();
  }
});
