// Events/s through the five reference views (pipelines/website-security.sql) from
// pre-decoded records (as the generator source hands them to the engine) on one core, against a same-run baseline that only counts the
// rows per minute and user into a Map; and engine heap per open one-minute window. Both are
// the best of three runs after a warm-up run (a long-running process runs optimised code).
import { readFileSync } from 'node:fs';
import { toSourceRecord } from '../src/connectors/generator-source.ts';
import { Engine } from '../src/engine/engine.ts';
import { TrafficGenerator } from '../src/generator/traffic.ts';
import { bestOf, formatRate, report } from './measure.ts';

const N = 300_000;
const EPOCH_ROWS = 50_000;
const pipeline = readFileSync(new URL('../pipelines/website-security.sql', import.meta.url), 'utf8');
const startMs = Date.parse('2024-01-25T00:00:00Z');
// 200 events/s of event time: N records span N / 200 / 60 one-minute windows.
const generator = new TrafficGenerator({ seed: 1, rate: 200, startMs });
const rows = Array.from({ length: N }, () => toSourceRecord(generator.next()));
const windows =
  Math.ceil((rows.at(-1)?.request_timestamp as number) / 60e6) -
  Math.floor((rows[0]?.request_timestamp as number) / 60e6);

const baseline = await bestOf(3, N, () => {
  const counts = new Map<string, number>();
  for (const row of rows) {
    const key = `${Math.floor((row.request_timestamp as number) / 60e6)}|${row.username}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts.size;
});

/**
 * Runs the pipeline over every record in a fresh engine: the seconds taken, the heap it holds
 * at the end (after a GC) and its view rows. No engine escapes, so none outlives its run.
 */
async function run(): Promise<{ seconds: number; heapGrowth: number; viewRows: number }> {
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const engine = new Engine({ autoEpoch: false });
  await engine.execute(pipeline);
  const start = performance.now();
  for (let i = 0; i < N; i += EPOCH_ROWS) {
    engine.push('website_logs_source', rows.slice(i, i + EPOCH_ROWS));
    engine.flush();
  }
  const seconds = (performance.now() - start) / 1000;
  globalThis.gc?.();
  const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
  const viewRows = engine.viewStats().reduce((sum, v) => sum + v.rows, 0);
  engine.close();
  return { seconds, heapGrowth, viewRows };
}

await run(); // warm-up
const runs = [await run(), await run(), await run()];
const seconds = Math.min(...runs.map((r) => r.seconds));
const { heapGrowth, viewRows } = runs[runs.length - 1] as (typeof runs)[number];

console.log(
  `engine: ${N.toLocaleString('en-US')} generator records, 5 reference views, a barrier every ${EPOCH_ROWS.toLocaleString('en-US')} rows`,
);
report([
  ['baseline: count per minute and user into a Map', formatRate(baseline.perSecond)],
  [
    'five reference views',
    `${formatRate(N / seconds)}  (${((N / seconds / baseline.perSecond) * 100).toFixed(1)}% of baseline)`,
  ],
  ['one-minute windows', String(windows)],
  ['view rows', viewRows.toLocaleString('en-US')],
  [
    'engine heap per one-minute window (view rows; closed windows free their state)',
    `${(heapGrowth / windows / 1024 / 1024).toFixed(2)} MiB${globalThis.gc ? '' : ' (run with --expose-gc for a steadier figure)'}`,
  ],
]);
