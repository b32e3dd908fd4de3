/**
 * Exactly-once across crashes: `tidewatch start` ingests a deterministic stream (a seeded
 * generator on simulated time, a fixed number of events) and is killed with SIGKILL at random
 * moments 20 times, restarted each time; the run that finally completes the stream must hold
 * exactly the views of an uninterrupted run over the same events, row for row, and every raw
 * event once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { collect, spawnCli, waitForOutput } from '../helpers/cli.ts';
import { expectedRun, finishAndCheck, type StreamSpec, startArgs } from './deterministic-run.ts';

const STREAM: StreamSpec = { events: 40_000, rate: 2000, seed: 42 };
const CRASHES = 20;

test('killed with SIGKILL 20 times, restarted each time: the views equal an uninterrupted run', async () => {
  const expected = await expectedRun(STREAM);
  const dataDir = join(mkdtempSync(join(tmpdir(), 'tw-crash-')), 'data');
  let seed = 9;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
  let resumed = 0;
  let replayed = 0;
  for (let crash = 0; crash < CRASHES; crash++) {
    const child = spawnCli(startArgs(STREAM, dataDir));
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
  await finishAndCheck(STREAM, dataDir, expected, `after ${CRASHES} crashes`);
  console.log(
    `# ${CRASHES} crashes: ${resumed} resumed from a checkpoint, ${replayed} events replayed from the log`,
  );
});

test('killed after many epochs whose operator states were committed as deltas: the views equal an uninterrupted run', async () => {
  // Short epochs, and runs of seconds: most epochs commit deltas of the operators' states, and
  // each restart rebuilds them from a whole state and the deltas after it.
  const spec: StreamSpec = { events: 12_000, rate: 2000, seed: 17, barrierIntervalMs: 100 };
  const expected = await expectedRun(spec);
  const dataDir = join(mkdtempSync(join(tmpdir(), 'tw-crash-deltas-')), 'data');
  let deltas = 0;
  for (const ms of [1500, 2200, 1800]) {
    await killedAfter(spec, dataDir, ms);
    const instance = await DuckDBInstance.create(join(dataDir, 'tidewatch.duckdb'));
    const conn = await instance.connect();
    const kept = (
      await conn.runAndReadAll('SELECT count(*) FILTER (WHERE NOT whole) FROM tidewatch_operator_state')
    )
      .getRows()
      .map((r) => Number(r[0]));
    conn.closeSync();
    instance.closeSync();
    deltas += kept[0] ?? 0;
  }
  assert.ok(deltas > 0, 'the crashes came after operator states were committed as deltas');
  await finishAndCheck(spec, dataDir, expected, 'after crashes between deltas');
});

test('the durable log keeps only what the store has not committed: small segments, crashes, the same views', async () => {
  // 64 KiB segments: the 12,000 events fill about 50 of them; each commit deletes those it has
  // consumed, and every restart replays from the committed offset in the segments left.
  const spec: StreamSpec = {
    events: 12_000,
    rate: 2000,
    seed: 23,
    barrierIntervalMs: 200,
    logSegmentBytes: 65_536,
  };
  const expected = await expectedRun(spec);
  const dataDir = join(mkdtempSync(join(tmpdir(), 'tw-crash-segments-')), 'data');
  const logDir = join(dataDir, 'log', 'website_logs_source');
  const segments = () =>
    readdirSync(logDir)
      .filter((f) => f.endsWith('.log'))
      .sort();
  const seen: number[] = [];
  for (const ms of [1800, 2500, 2100]) {
    await killedAfter(spec, dataDir, ms);
    seen.push(segments().length);
  }
  await finishAndCheck(spec, dataDir, expected, 'after crashes with segments deleted');
  const left = segments();
  assert.ok(left.length <= 2, `after the last commit: ${left.join(', ')}`);
  assert.notEqual(left[0], '00000000000000000000.log', 'the first segments were deleted');
  assert.ok(Math.max(...seen) <= 20, `segments at each crash: ${seen.join(', ')}`);
});

test('epochs shorter than a commit go to the store together: killed between such commits, the views equal an uninterrupted run', async () => {
  // 20 ms epochs: while the store commits one, the next ones queue and are committed as one
  // transaction (their changes summed, each one's operator states kept).
  const spec: StreamSpec = { events: 12_000, rate: 2000, seed: 29, barrierIntervalMs: 20 };
  const expected = await expectedRun(spec);
  const dataDir = join(mkdtempSync(join(tmpdir(), 'tw-crash-groups-')), 'data');
  const together: number[] = [];
  for (const ms of [1600, 2300]) {
    await killedAfter(spec, dataDir, ms);
    const instance = await DuckDBInstance.create(join(dataDir, 'tidewatch.duckdb'));
    const conn = await instance.connect();
    // Each commit records its last epoch; the epochs between went with it.
    const [commits, epochs] = (
      await conn.runAndReadAll('SELECT count(*), max(epoch) - min(epoch) + 1 FROM tidewatch_epochs')
    ).getRows()[0] as [bigint, bigint];
    conn.closeSync();
    instance.closeSync();
    together.push(Number(epochs) - Number(commits));
  }
  assert.ok(
    together.every((n) => n > 0),
    `epochs committed with others, by the time of each crash: ${together.join(', ')}`,
  );
  await finishAndCheck(spec, dataDir, expected, 'after crashes between grouped commits');
});

/** Starts `tidewatch start` on the stream and kills it with SIGKILL `ms` after it is up. */
async function killedAfter(spec: StreamSpec, dataDir: string, ms: number): Promise<void> {
  const child = spawnCli(startArgs(spec, dataDir));
  const done = collect(child, 60_000);
  await waitForOutput(child, /Press Ctrl-C to stop/, 30_000);
  await new Promise((r) => setTimeout(r, ms));
  child.kill('SIGKILL');
  assert.equal((await done).signal, 'SIGKILL');
}
