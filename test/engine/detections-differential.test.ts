/**
 * pipelines/detections.sql streamed by the engine equals the same SQL run in batch by
 * PostgreSQL 15 over the same input: six simulated minutes with all nine attacks, then a
 * threshold lowered and an actor allow-listed. Each view is a plain VIEW there (TUMBLE/HOP
 * rewritten by pg-oracle.ts); after the stream, and again after the table changes, every
 * view must equal PostgreSQL's answer as a multiset.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { LOG_RECORD_COLUMNS } from '../../src/generator/record.ts';
import { SCENARIOS } from '../../src/generator/scenarios.ts';
import { parseScript } from '../../src/sql/parse.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { DETECTIONS_SQL, type DetectionRun, runStream } from './detection-stream.ts';
import { assertSameRows } from './oracle.ts';
import { engineRows, forPostgres, postgresRows, queryPostgres, snapNumbers } from './pg-oracle.ts';

let pgServer: TestPostgres;
let run: DetectionRun;
const views: string[] = [];
const TABLE_CHANGES = [
  "UPDATE detection_thresholds SET value = 3 WHERE scenario = 'path-scan' AND name = 'distinct_4xx_paths'",
  "UPDATE detection_thresholds SET value = 200 WHERE scenario = 'flood' AND name = 'requests_per_10s'",
];

before(async () => {
  run = await runStream({ seed: 21, scenarios: SCENARIOS, seconds: 360 });
  pgServer = await startPostgres();
  const client = pgServer.client;
  await client.query(
    `CREATE TABLE website_logs_source (${LOG_RECORD_COLUMNS.map(([n, t]) => `${n} ${t}`).join(', ')})`,
  );
  for (const s of parseScript(DETECTIONS_SQL)) {
    if (s.kind === 'CreateMaterializedView') {
      views.push(s.name);
      await client.query(`CREATE VIEW ${s.name} AS ${forPostgres(s.query.text)}`);
    } else {
      await client.query(s.text);
    }
  }
  const names = LOG_RECORD_COLUMNS.map(([n]) => n);
  const casts = LOG_RECORD_COLUMNS.map(([, t], i) => `$${i + 1}::${t}[]`);
  for (let i = 0; i < run.records.length; i += 5000) {
    const slice = run.records.slice(i, i + 5000);
    const columns = names.map((n) =>
      slice.map((r) => (n === 'request_timestamp' ? new Date(r[n]).toISOString().slice(0, -1) : r[n])),
    );
    await client.query(`INSERT INTO website_logs_source SELECT * FROM unnest(${casts.join(', ')})`, columns);
  }
});

after(async () => {
  run?.engine.close();
  await pgServer?.stop();
});

async function compareAll(when: string): Promise<void> {
  for (const name of views) {
    const cols = run.engine.getRelation(name)?.columns ?? [];
    const expected = postgresRows(await queryPostgres(pgServer.client, `SELECT * FROM ${name}`), cols);
    const actual = snapNumbers(engineRows(run.engine.rows(name), cols), expected, cols);
    assertSameRows(actual, expected, `${name} ${when}`);
  }
}

test('every detection view equals PostgreSQL over the same input, before and after the tables change', async () => {
  assert.ok(views.includes('detections') && views.length >= 10, views.join(', '));
  const found = run.engine.rows('detections');
  const scenarios = new Set(found.map((r) => r[0]));
  assert.ok(scenarios.size >= 9, `scenarios detected: ${[...scenarios].join(', ')}`);
  await compareAll('after the stream');
  for (const change of TABLE_CHANGES) {
    await run.engine.execute(change);
    await pgServer.client.query(change);
  }
  const actor = found.find((r) => r[0] === 'sqli')?.[1] as string;
  const allow = `INSERT INTO detection_allowlist VALUES ('${actor}', 'test')`;
  await run.engine.execute(allow);
  await pgServer.client.query(allow);
  run.engine.flush();
  await compareAll('after a threshold update and an allow-list entry');
  console.log(
    `# differential: ${views.length} views, ${found.length} detections equal PostgreSQL's batch answer`,
  );
});
