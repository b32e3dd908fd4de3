/**
 * DuckDB as a batch oracle: the same random insert/delete stream goes into the engine and
 * into a DuckDB table; after each epoch the views must equal the SQL query DuckDB runs over
 * the table (floats compared to 1e-9 relative, since DuckDB sums floats its own way).
 * This pins the SQL semantics (percentiles, variance, string_agg order, FILTER, DISTINCT,
 * the default window frame with peers) against a real SQL engine.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { chunk } from '../../src/stream/chunk.ts';
import { Dataflow } from '../../src/stream/graph.ts';
import { Aggregate } from '../../src/stream/operators/aggregate.ts';
import { Materialize } from '../../src/stream/operators/materialize.ts';
import { OverWindow } from '../../src/stream/operators/over-window.ts';
import { TopN } from '../../src/stream/operators/top-n.ts';
import { Tumble } from '../../src/stream/operators/tumble.ts';
import { compareRows, type Row, type Value } from '../../src/stream/value.ts';
import { int, pick, prng } from './helpers.ts';

const col =
  (i: number) =>
  (r: Row): Value =>
    r[i] as Value;

function close(a: Value, b: Value): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
  }
  return a === b;
}

function assertRowsClose(actual: Row[], expected: Row[], what: string): void {
  const a = [...actual].sort(compareRows);
  const e = [...expected].sort(compareRows);
  assert.equal(a.length, e.length, `${what}: ${a.length} rows, expected ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as Row;
    const y = e[i] as Row;
    assert.ok(
      x.length === y.length && x.every((v, j) => close(v, y[j] as Value)),
      `${what}: row ${i}\n  got      ${JSON.stringify(x)}\n  expected ${JSON.stringify(y)}`,
    );
  }
}

function js(v: unknown): Value {
  return typeof v === 'bigint' ? Number(v) : (v as Value);
}

const W = 100;

test('aggregates, window functions and top-n agree with DuckDB', async () => {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(
    'CREATE TABLE logs (id INTEGER, ts INTEGER, usr VARCHAR, action VARCHAR, status INTEGER, rt INTEGER)',
  );
  const query = async (sql: string): Promise<Row[]> =>
    (await conn.runAndReadAll(sql)).getRowsJS().map((r) => r.map(js));

  const rand = prng(99);
  // [id, ts, usr, action, status, rt]
  const g = new Dataflow();
  const src = g.source('logs', 6);
  const t = g.add(new Tumble({ timeColumn: 1, size: W, width: 6 }), src);
  const rt = col(5);
  const agg = g.add(
    new Aggregate({
      groupBy: (r) => [r[3] as Value, r[6] as Value],
      calls: [
        { kind: 'count' },
        { kind: 'sum', arg: rt },
        { kind: 'avg', arg: rt },
        { kind: 'min', arg: rt },
        { kind: 'max', arg: rt },
        { kind: 'count', arg: col(2), distinct: true },
        { kind: 'percentile_cont', arg: rt, fraction: 0.5 },
        { kind: 'percentile_cont', arg: rt, fraction: 0.9 },
        { kind: 'percentile_disc', arg: rt, fraction: 0.5 },
        { kind: 'var_samp', arg: rt },
        { kind: 'stddev_pop', arg: rt },
        {
          kind: 'string_agg',
          arg: col(2),
          separator: ';',
          orderBy: [{ value: col(5), desc: true }, { value: col(2) }],
        },
        { kind: 'bool_and', arg: (r) => (r[4] === null ? null : (r[4] as number) < 400) },
        { kind: 'sum', arg: (r) => (r[4] === null ? null : (r[4] as number) >= 400 ? 1 : 0) },
        { kind: 'count', filter: (r) => r[3] === 'login' },
      ],
    }),
    t,
  );
  const aggView = g.add(new Materialize('agg'), agg);
  // status counts per window, cumulative over status
  const counts = g.add(
    new Aggregate({
      groupBy: (r) => [r[4] as Value, r[6] as Value],
      calls: [{ kind: 'count', arg: col(4) }],
    }),
    t,
  );
  const cumulative = g.add(
    new OverWindow({
      partitionBy: (r) => [r[1] as Value],
      orderBy: [{ value: col(0) }],
      calls: [{ kind: 'sum', arg: col(2) }, { kind: 'rank' }, { kind: 'dense_rank' }, { kind: 'count' }],
    }),
    counts,
  );
  const cumView = g.add(new Materialize('cumulative'), cumulative);
  // top 2 actions per window by count, rank semantics
  const top = g.add(
    new TopN({
      partitionBy: (r) => [r[1] as Value],
      orderBy: [{ value: col(2), desc: true }],
      limit: 2,
      rank: 'rank',
    }),
    g.add(new Aggregate({ groupBy: (r) => [r[3] as Value, r[6] as Value], calls: [{ kind: 'count' }] }), t),
  );
  const topView = g.add(new Materialize('top'), top);

  const live = new Map<number, Row>();
  let nextId = 0;
  for (let epoch = 0; epoch < 12; epoch++) {
    const rows: Row[] = [];
    const weights: number[] = [];
    const inserted: Row[] = [];
    const deleted: number[] = [];
    for (let i = int(rand, 0, 40); i > 0; i--) {
      if (rand() < 0.3 && live.size > 0) {
        const ids = [...live.keys()];
        const id = pick(rand, ids);
        rows.push(live.get(id) as Row);
        weights.push(-1);
        live.delete(id);
        deleted.push(id);
      } else {
        const row: Row = [
          nextId++,
          int(rand, 0, 299),
          pick(rand, ['ann', 'bob', 'cy', 'dee']),
          pick(rand, ['login', 'view', 'scroll']),
          rand() < 0.1 ? null : pick(rand, [200, 301, 404, 500]),
          rand() < 0.1 ? null : int(rand, 1, 1000),
        ];
        rows.push(row);
        weights.push(1);
        live.set(row[0] as number, row);
        inserted.push(row);
      }
    }
    g.push(src, chunk(rows, weights));
    g.barrier();
    const sqlValue = (v: Value) => (v === null ? 'NULL' : typeof v === 'string' ? `'${v}'` : String(v));
    // A row inserted and deleted in the same epoch never reaches DuckDB.
    const ins = inserted.filter((r) => live.has(r[0] as number));
    if (ins.length > 0)
      await conn.run(`INSERT INTO logs VALUES ${ins.map((r) => `(${r.map(sqlValue).join(',')})`).join(',')}`);
    if (deleted.length > 0) await conn.run(`DELETE FROM logs WHERE id IN (${deleted.join(',')})`);

    const windowed = `(SELECT *, ts - ts % ${W} AS ws FROM logs)`;
    const expectAgg = await query(`
      SELECT action, ws::DOUBLE, count(*)::DOUBLE, sum(rt)::DOUBLE, avg(rt)::DOUBLE, min(rt)::DOUBLE, max(rt)::DOUBLE,
        count(DISTINCT usr)::DOUBLE,
        (percentile_cont(0.5) WITHIN GROUP (ORDER BY rt))::DOUBLE,
        (percentile_cont(0.9) WITHIN GROUP (ORDER BY rt))::DOUBLE,
        (percentile_disc(0.5) WITHIN GROUP (ORDER BY rt))::DOUBLE,
        var_samp(rt)::DOUBLE, stddev_pop(rt)::DOUBLE,
        string_agg(usr, ';' ORDER BY rt DESC NULLS FIRST, usr),
        bool_and(status < 400),
        sum(CASE WHEN status >= 400 THEN 1 ELSE 0 END)::DOUBLE,
        (count(*) FILTER (WHERE action = 'login'))::DOUBLE
      FROM ${windowed} GROUP BY action, ws`);
    assertRowsClose(aggView.rows(), expectAgg, `epoch ${epoch}: aggregate`);

    const expectCum = await query(`
      WITH c AS (SELECT status, ws, count(status) AS n FROM ${windowed} GROUP BY status, ws)
      SELECT status::DOUBLE, ws::DOUBLE, n::DOUBLE,
        (sum(n) OVER (PARTITION BY ws ORDER BY status))::DOUBLE,
        (rank() OVER (PARTITION BY ws ORDER BY status))::DOUBLE,
        (dense_rank() OVER (PARTITION BY ws ORDER BY status))::DOUBLE,
        (count(*) OVER (PARTITION BY ws ORDER BY status))::DOUBLE
      FROM c`);
    assertRowsClose(cumView.rows(), expectCum, `epoch ${epoch}: over-window`);

    const expectTop = await query(`
      SELECT action, ws::DOUBLE, n::DOUBLE FROM (
        SELECT action, ws, count(*) AS n, rank() OVER (PARTITION BY ws ORDER BY count(*) DESC) AS r
        FROM ${windowed} GROUP BY action, ws) WHERE r <= 2`);
    assertRowsClose(topView.rows(), expectTop, `epoch ${epoch}: top-n`);
  }
  conn.closeSync();
});
