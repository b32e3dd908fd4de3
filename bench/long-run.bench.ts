// A long run: the real `tidewatch start` (both pipelines) at 10,000 events/s for an hour, to
// show whether it stays flat. `npm run bench -- long-run` only: `npm run bench` alone leaves it
// out (bench/run.ts).
//
// At minutes 1, 15, 30 and 60 (for a shorter run, LONG_RUN_MINUTES=M: 1, M/4, M/2 and M):
// - RSS of the tidewatch process, and of it the JavaScript heap (`memory` of /api/status);
// - commit latency, from each epoch's barrier to its commit in the store, p50 / p99 / max over
//   the last minute, and the median of each of its phases (`commit_latency_ms` of /api/status);
// - freshness p50 / p99 over 20 s of probes (an INSERT into a table under a view, seen over a
//   second connection: bench/tidewatch-run.ts);
// - committed events/s since the checkpoint before (the generator's events the reference views
//   hold), and the rows the views hold.
// The last column sets each figure beside the first checkpoint's (last / first): flat is about 1.
// The same-run baseline is the first checkpoint. LONG_RUN_RATE=N runs at N events/s.
import { percentile, report } from './measure.ts';
import { committedEvents, freshness, rssMb, startTidewatch } from './tidewatch-run.ts';

const MINUTES = Number(process.env.LONG_RUN_MINUTES ?? 60);
const RATE = Number(process.env.LONG_RUN_RATE ?? 10_000);
const PROBE_SECONDS = 20;
const AT_MINUTES = [...new Set([1, MINUTES / 4, MINUTES / 2, MINUTES])].filter((m) => m >= 1 && m <= MINUTES);

interface Checkpoint {
  readonly minute: number;
  readonly rssMb: number;
  readonly jsHeapMb: number;
  readonly commit: {
    p50_ms: number | null;
    p99_ms: number | null;
    max_ms: number | null;
    phases_p50_ms: Record<string, number>;
  };
  readonly fresh: readonly number[];
  readonly committedPerSecond: number;
  readonly viewRows: number;
}

const sleepUntil = async (t: number) => {
  const wait = t - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
};

const run = await startTidewatch(String(RATE));
const pid = run.child.pid as number;
const started = performance.now();
const checkpoints: Checkpoint[] = [];
let before = { t: started, events: await committedEvents(run.client) };
try {
  for (const minute of AT_MINUTES) {
    // The probes end at the checkpoint's minute: they sample the minute's state.
    const probesFrom = started + minute * 60_000 - PROBE_SECONDS * 1000;
    await sleepUntil(probesFrom);
    const fresh = await freshness(run, probesFrom + PROBE_SECONDS * 1000);
    const status = (await (await fetch(`${run.httpUrl}/api/status`)).json()) as {
      commit_latency_ms: Checkpoint['commit'];
      memory: { js_heap_mb: number };
      views: { rows: number }[];
    };
    const now = { t: performance.now(), events: await committedEvents(run.client) };
    checkpoints.push({
      minute,
      rssMb: rssMb(pid),
      jsHeapMb: status.memory.js_heap_mb,
      commit: status.commit_latency_ms,
      fresh,
      committedPerSecond: ((now.events - before.events) * 1000) / (now.t - before.t),
      viewRows: status.views.reduce((n, v) => n + v.rows, 0),
    });
    before = now;
    process.stderr.write(`# long run: minute ${minute} sampled\n`);
  }
} finally {
  await run.stop();
}

const first = checkpoints[0] as Checkpoint;
const ms = (x: number | null) => (x === null ? '-' : `${Math.round(x)} ms`);
const ratio = (last: number | null, firstValue: number | null) =>
  last === null || firstValue === null || firstValue === 0
    ? ''
    : `  (${(last / firstValue).toFixed(2)}× minute ${first.minute})`;
console.log(
  `long run: tidewatch start, both pipelines, ${RATE.toLocaleString('en-US')} events/s for ${MINUTES} min; figures at minutes ${AT_MINUTES.join(', ')}`,
);
const rows: [string, string][] = [];
for (const c of checkpoints) {
  const p50 = percentile([...c.fresh], 50);
  const p99 = percentile([...c.fresh], 99);
  rows.push(
    [
      `minute ${c.minute}: RSS (of it the JavaScript heap)`,
      `${c.rssMb.toFixed(0)} MB (${c.jsHeapMb} MB)${ratio(c.rssMb, first.rssMb)}`,
    ],
    [
      `minute ${c.minute}: commit latency p50 / p99 / max (last minute)`,
      `${ms(c.commit.p50_ms)} / ${ms(c.commit.p99_ms)} / ${ms(c.commit.max_ms)}${ratio(c.commit.p99_ms, first.commit.p99_ms)}`,
    ],
    [
      `minute ${c.minute}: commit phases, p50 ms (last minute)`,
      Object.entries(c.commit.phases_p50_ms)
        .map(([phase, t]) => `${phase} ${t}`)
        .join(', '),
    ],
    [
      `minute ${c.minute}: freshness p50 / p99 (${c.fresh.length} probes)`,
      `${ms(p50)} / ${ms(p99)}${ratio(p99, percentile([...first.fresh], 99))}`,
    ],
    [
      `minute ${c.minute}: committed events/s, rows in views`,
      `${Math.round(c.committedPerSecond).toLocaleString('en-US')}/s, ${c.viewRows.toLocaleString('en-US')} rows`,
    ],
  );
}
report(rows);
