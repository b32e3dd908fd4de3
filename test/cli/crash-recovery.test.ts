/**
 * Exactly-once across crashes: `tidewatch start` ingests a deterministic stream (a seeded
 * generator on simulated time, a fixed number of events) and is killed with SIGKILL at random
 * moments 20 times, restarted each time; the run that finally completes the stream must hold
 * exactly the views of an uninterrupted run over the same events, row for row.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { attacksFrom, generatorClock } from '../../src/cli/generator-flags.ts';
import { toSourceRecord } from '../../src/connectors/generator-source.ts';
import { Engine } from '../../src/engine/engine.ts';
import { TrafficGenerator } from '../../src/generator/traffic.ts';
import type { Row } from '../../src/stream/value.ts';
import { collect, spawnCli, waitForOutput } from '../helpers/cli.ts';

const EVENTS = 40_000;
const RATE = '2000';
const START = '2024-01-25T12:00:00Z';
const SEED = 42;
const CRASHES = 20;
const PIPELINE = readFileSync(new URL('../../pipelines/website-security.sql', import.meta.url), 'utf8');

/** One raw event as a line, to compare the retained events with the generated ones. */
function rawLine(r: Record<string, unknown>): string {
  return [r.request_timestamp, r.ip_address, r.url, r.status_code, r.user_agent].join('|');
}

const RAW_LINE_SQL = `SELECT concat_ws('|', epoch_us(request_timestamp), ip_address, url, status_code, user_agent)
  FROM website_logs_source`;

/** The views of an uninterrupted run over the same events, computed in process, and its raw events. */
async function expectedViews(raw: string[]): Promise<Record<string, Row[]>> {
  const clock = generatorClock(RATE, START, '1');
  const gen = new TrafficGenerator({ ...clock.traffic, seed: SEED, attacks: attacksFrom(['all']) });
  const engine = new Engine({ autoEpoch: false, idleTimeoutMs: 0 });
  await engine.execute(PIPELINE);
  for (let i = 0; i < EVENTS; i += 5000) {
    const records = Array.from({ length: Math.min(5000, EVENTS - i) }, () => toSourceRecord(gen.next()));
    for (const r of records) raw.push(rawLine(r));
    engine.push('website_logs_source', records);
  }
  engine.flush();
  const views = Object.fromEntries(engine.list('materialized view').map((v) => [v, engine.rows(v)]));
  engine.close();
  return views;
}

function startArgs(dataDir: string): string[] {
  return [
    'start',
    '--http-port',
    '0',
    '--data-dir',
    dataDir,
    '--generator-rate',
    RATE,
    '--generator-start',
    START,
    '--generator-seed',
    String(SEED),
    '--generator-count',
    String(EVENTS),
    '--idle-timeout',
    '0',
    '--status-interval',
    '60',
  ];
}

async function json(url: string): Promise<unknown> {
  return (await fetch(url)).json();
}

test('killed with SIGKILL 20 times, restarted each time: the views equal an uninterrupted run', async () => {
  const expectedRaw: string[] = [];
  const expected = await expectedViews(expectedRaw);
  const dataDir = join(mkdtempSync(join(tmpdir(), 'tw-crash-')), 'data');
  let seed = 9;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
  let resumed = 0;
  let replayed = 0;
  for (let crash = 0; crash < CRASHES; crash++) {
    const child = spawnCli(startArgs(dataDir));
    const done = collect(child, 60_000);
    const banner = await waitForOutput(child, /Press Ctrl-C to stop/, 30_000);
    const m = /resumed at epoch \d+ \(([\d,]+) events replayed/.exec(banner);
    if (m !== null) {
      resumed++;
      replayed += Number((m[1] as string).replaceAll(',', ''));
    }
    await new Promise((r) => setTimeout(r, 100 + random() * 900));
    child.kill('SIGKILL');
    const r = await done;
    assert.equal(r.signal, 'SIGKILL', r.stderr);
  }
  assert.equal(resumed, CRASHES - 1, 'every restart resumed from a checkpoint');

  const child = spawnCli(startArgs(dataDir));
  const done = collect(child, 120_000);
  const banner = await waitForOutput(child, /Press Ctrl-C to stop/, 30_000);
  const url = /HTTP API +(http:\/\/\S+)/.exec(banner)?.[1] as string;
  // Wait until every event is in, then for one more epoch to commit.
  let epoch = Number.POSITIVE_INFINITY;
  for (;;) {
    const status = (await json(`${url}/api/status`)) as { epoch: number; sources: { rows: number }[] };
    if (status.sources[0]?.rows === EVENTS && epoch === Number.POSITIVE_INFINITY) epoch = status.epoch;
    if (status.epoch > epoch) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  for (const [name, rows] of Object.entries(expected)) {
    const view = (await json(`${url}/api/views?name=${name}`)) as { rows: Row[] };
    assert.deepEqual(view.rows, rows, `${name} after ${CRASHES} crashes`);
  }
  const status = (await json(`${url}/api/status`)) as { sources: { rows: number; lateRows: number }[] };
  assert.deepEqual(
    status.sources.map((s) => [s.rows, s.lateRows]),
    [[EVENTS, 0]],
  );
  assert.equal(((await fetch(`${url}/api/views?name=nope`)) as Response).status, 404);
  child.kill('SIGINT');
  assert.equal((await done).code, 0);
  // The retained raw events hold every event exactly once.
  const instance = await DuckDBInstance.create(join(dataDir, 'tidewatch.duckdb'));
  const conn = await instance.connect();
  const retained = (await conn.runAndReadAll(RAW_LINE_SQL)).getRows().map((r) => r[0] as string);
  conn.closeSync();
  instance.closeSync();
  assert.equal(retained.length, EVENTS);
  assert.deepEqual(retained.sort(), expectedRaw.sort(), 'raw events retained exactly once');
  console.log(
    `# ${CRASHES} crashes: ${resumed} resumed from a checkpoint, ${replayed} events replayed from the log`,
  );
});
