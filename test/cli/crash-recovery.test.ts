/**
 * Exactly-once across crashes: `tidewatch start` ingests a deterministic stream (a seeded
 * generator on simulated time, a fixed number of events) and is killed with SIGKILL at random
 * moments 20 times, restarted each time; the run that finally completes the stream must hold
 * exactly the views of an uninterrupted run over the same events, row for row, and every raw
 * event once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
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
