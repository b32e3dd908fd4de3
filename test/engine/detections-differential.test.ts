/**
 * pipelines/detections.sql streamed by the engine equals the same SQL run in batch by
 * PostgreSQL 15 over the same input: six simulated minutes with all nine attacks, then an
 * actor allow-listed, then thresholds changed, then two and a half more minutes after a pause. Each view
 * is a plain VIEW there (TUMBLE/HOP rewritten and temporal joins made plain joins by
 * pg-oracle.ts); every view must equal PostgreSQL's answer as a multiset:
 * - after the stream, and after the allow-list entry (a plain join: past detections go too);
 * - after the threshold change, as it was before it: the rules read the thresholds through a
 *   process-time temporal join, so windows already judged are not judged again;
 * - after more traffic, the windows of the first part as they were and those of the second
 *   part as PostgreSQL judges them with the new thresholds.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { LogRecord } from '../../src/generator/record.ts';
import { LOG_RECORD_COLUMNS } from '../../src/generator/record.ts';
import { SCENARIOS } from '../../src/generator/scenarios.ts';
import { parseScript } from '../../src/sql/parse.ts';
import type { Row } from '../../src/stream/value.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { DETECTIONS_SQL, type DetectionRun, runStream, START_MS, streamInto } from './detection-stream.ts';
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
  await insertRecords(run.records);
});

after(async () => {
  run?.engine.close();
  await pgServer?.stop();
});

async function insertRecords(records: readonly LogRecord[]): Promise<void> {
  const names = LOG_RECORD_COLUMNS.map(([n]) => n);
  const casts = LOG_RECORD_COLUMNS.map(([, t], i) => `$${i + 1}::${t}[]`);
  for (let i = 0; i < records.length; i += 5000) {
    const slice = records.slice(i, i + 5000);
    const columns = names.map((n) =>
      slice.map((r) => (n === 'request_timestamp' ? new Date(r[n]).toISOString().slice(0, -1) : r[n])),
    );
    await pgServer.client.query(
      `INSERT INTO website_logs_source SELECT * FROM unnest(${casts.join(', ')})`,
      columns,
    );
  }
}

function columnsOf(name: string) {
  return run.engine.getRelation(name)?.columns ?? [];
}

async function postgresAnswers(): Promise<Map<string, Row[]>> {
  const out = new Map<string, Row[]>();
  for (const name of views)
    out.set(
      name,
      postgresRows(await queryPostgres(pgServer.client, `SELECT * FROM ${name}`), columnsOf(name)),
    );
  return out;
}

function compareAll(expected: ReadonlyMap<string, readonly Row[]>, when: string): void {
  for (const name of views) {
    const cols = columnsOf(name);
    const want = expected.get(name) ?? [];
    const actual = snapNumbers(engineRows(run.engine.rows(name), cols), want, cols);
    assertSameRows(actual, want, `${name} ${when}`);
  }
}

async function bothRun(sql: string): Promise<void> {
  await run.engine.execute(sql);
  await pgServer.client.query(sql);
}

test('every detection view equals PostgreSQL over the same input, before and after the tables change', async () => {
  assert.ok(views.includes('detections') && views.length >= 10, views.join(', '));
  const found = run.engine.rows('detections');
  const scenarios = new Set(found.map((r) => r[0]));
  assert.ok(scenarios.size >= 9, `scenarios detected: ${[...scenarios].join(', ')}`);
  compareAll(await postgresAnswers(), 'after the stream');

  const actor = found.find((r) => r[0] === 'sqli')?.[1] as string;
  await bothRun(`INSERT INTO detection_allowlist VALUES ('${actor}', 'test')`);
  run.engine.flush();
  const judged = await postgresAnswers();
  compareAll(judged, 'after an allow-list entry');
  assert.ok(!run.engine.rows('detections').some((r) => r[1] === actor), 'the allow-listed actor is gone');

  for (const change of TABLE_CHANGES) await bothRun(change);
  run.engine.flush();
  compareAll(judged, 'after a threshold update: the windows judged stay as they were');

  // Two and a half more minutes after a pause of three, so that no window holds events of both parts.
  const lastMs = Math.max(...run.records.map((r) => new Date(r.request_timestamp).getTime()));
  const resumeMs = Math.ceil((lastMs + 180_000) / 60_000) * 60_000;
  const more = streamInto(run.engine, { seed: 22, scenarios: SCENARIOS, seconds: 150, startMs: resumeMs });
  await insertRecords(more.records);
  const now = await postgresAnswers();
  // Windows starting after the first part's last event (a HOP window starts up to 50 s before
  // the events it holds) are the second part's.
  const cut = new Date(lastMs + 60_000).toISOString().replace('T', ' ').slice(0, 19);
  const expected = new Map<string, Row[]>();
  let secondPart = 0;
  for (const name of views) {
    const at = columnsOf(name).findIndex((c) => c.name === 'window_start' || c.name === 'minute_start');
    if (at < 0) {
      expected.set(name, now.get(name) ?? []);
      continue;
    }
    const later = (r: Row) => String(r[at]) >= cut;
    const fresh = (now.get(name) ?? []).filter(later);
    if (name === 'detections') secondPart = fresh.length;
    expected.set(name, [...(judged.get(name) ?? []).filter((r) => !later(r)), ...fresh]);
  }
  assert.ok(resumeMs > START_MS && secondPart > 0, 'the second part has detections of its own');
  compareAll(expected, 'after more traffic judged with the new thresholds');
  console.log(
    `# differential: ${views.length} views, ${found.length} + ${secondPart} detections equal PostgreSQL's batch answer`,
  );
});
