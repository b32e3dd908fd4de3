/**
 * The reference pipeline (pipelines/website-security.sql) through the Engine, fed by the
 * traffic generator, checked against DuckDB after every epoch: each of the five views must
 * equal its own SQL run in batch over all records so far (TUMBLE rewritten for DuckDB).
 * top_user_actions ranks with ROW_NUMBER over counts that can tie, so there it is checked
 * that the engine's rows are a valid top 5 (same counts, rows that exist) rather than
 * DuckDB's arbitrary pick among ties.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Engine } from '../../src/engine/engine.ts';
import { LOG_RECORD_COLUMNS, type LogRecord } from '../../src/generator/record.ts';
import { TrafficGenerator } from '../../src/generator/traffic.ts';
import { parseScript } from '../../src/sql/parse.ts';
import type { Row, Value } from '../../src/stream/value.ts';
import { assertSameRows, duck, forDuckDb, queryDuck, sqlLiteral } from './oracle.ts';

const PIPELINE = readFileSync(new URL('../../pipelines/website-security.sql', import.meta.url), 'utf8');
const COLUMNS = LOG_RECORD_COLUMNS.map(([name]) => name);

function toRow(r: LogRecord): Row {
  return COLUMNS.map((c) => (c === 'request_timestamp' ? r.request_timestamp * 1000 : (r[c] as Value)));
}

test('reference pipeline equals DuckDB batch after every epoch', async () => {
  const engine = new Engine({ autoEpoch: false });
  try {
    const results = await engine.execute(PIPELINE);
    assert.deepEqual(
      results.map((r) => r.tag),
      ['CREATE_SOURCE', ...new Array(5).fill('CREATE_MATERIALIZED_VIEW')],
    );
    const conn = await duck();
    await conn.run(
      `CREATE TABLE website_logs_source (${LOG_RECORD_COLUMNS.map(([n, t]) => `${n} ${t}`).join(', ')})`,
    );
    const views: string[] = [];
    for (const s of parseScript(PIPELINE)) {
      if (s.kind !== 'CreateMaterializedView') continue;
      views.push(s.name);
      await conn.run(`CREATE VIEW ${s.name} AS ${forDuckDb(s.query.text)}`);
    }
    assert.equal(views.length, 5);

    const gen = new TrafficGenerator({ seed: 7, rate: 200, startMs: Date.UTC(2024, 0, 25, 12, 0, 0) });
    const EPOCHS = 14;
    const PER_EPOCH = 1500;
    for (let epoch = 0; epoch < EPOCHS; epoch++) {
      const rows: Row[] = [];
      for (let i = 0; i < PER_EPOCH; i++) rows.push(toRow(gen.next()));
      engine.push('website_logs_source', rows);
      const values = rows.map((r) => `(${r.map((v, j) => sqlLiteral(v, j === 0)).join(', ')})`).join(',\n');
      await conn.run(`INSERT INTO website_logs_source VALUES ${values}`);
      engine.flush();
      for (const v of views) {
        const expected = await queryDuck(conn, `SELECT * FROM ${v}`);
        const actual = engine.rows(v);
        if (v === 'top_user_actions') checkTopActions(actual, await allActionCounts(conn), epoch);
        else assertSameRows(actual, expected, `${v} after epoch ${epoch}`);
      }
    }
    for (const s of engine.viewStats()) {
      assert.equal(s.errors, 0, `${s.name}: ${s.lastError}`);
      assert.ok(s.rows > 0, `${s.name} is empty`);
    }
  } finally {
    engine.close();
  }
});

async function allActionCounts(conn: Awaited<ReturnType<typeof duck>>): Promise<Row[]> {
  return queryDuck(
    conn,
    forDuckDb(`SELECT user_action, COUNT(user_action), window_start, window_end
      FROM TUMBLE(website_logs_source, request_timestamp, INTERVAL '1 MINUTES')
      GROUP BY user_action, window_start, window_end`),
  );
}

function checkTopActions(actual: readonly Row[], counts: readonly Row[], epoch: number): void {
  const byWindow = (rows: readonly Row[]) => {
    const m = new Map<string, number[]>();
    for (const r of rows) {
      const k = `${r[2]}/${r[3]}`;
      m.set(k, [...(m.get(k) ?? []), r[1] as number]);
    }
    return m;
  };
  const got = byWindow(actual);
  const all = byWindow(counts);
  assert.deepEqual(
    [...got.keys()].sort(),
    [...all.keys()].sort(),
    `top_user_actions windows, epoch ${epoch}`,
  );
  for (const [w, cs] of all) {
    const top = [...cs].sort((a, b) => b - a).slice(0, 5);
    const mine = [...(got.get(w) ?? [])].sort((a, b) => b - a);
    assert.deepEqual(mine, top, `top_user_actions counts of window ${w}, epoch ${epoch}`);
  }
  const known = new Set(counts.map((r) => JSON.stringify(r)));
  for (const r of actual)
    assert.ok(known.has(JSON.stringify(r)), `top_user_actions row ${JSON.stringify(r)}`);
}
