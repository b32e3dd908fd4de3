// The whole pipeline, end to end: the real `tidewatch start` (as `npm start` runs it) with its
// generator feeding the reference pipeline and the detections, measured the way a user meets it.
//
// Two runs, each on a fresh data directory:
// - max: `--generator-rate max` for E2E_SECONDS (default 120): committed events/s — events
//   visible over the PostgreSQL endpoint (the sum of website_user_metrics.total_requests),
//   sampled every 10 s after a 10 s warm-up — RSS every 10 s, freshness, and the point query's
//   p99 under 20 paced clients (bench/pg-load.ts, a process of its own) for 10 s;
// - 10,000 events/s for E2E_PACED_SECONDS (default 60): freshness and the point query's p99.
// Freshness: a client INSERTs a row into a table under a view (`SELECT max(id)`) every 50 ms and
// a second connection polls the view: from sending each INSERT to first seeing its row. E2E_BARRIER_MS=N starts tidewatch with --barrier-interval-ms N;
// E2E_SECONDS=0 skips the max run, E2E_PACED_SECONDS=0 the paced one; E2E_CPU_PROF=DIR profiles tidewatch;
// E2E_CPUS=0 runs tidewatch on CPU 0 alone (taskset -c), to compare one core with all.
//
// Same-run baselines, on this process's core: JSON.parse of the generator's records (the
// decode a source does) and the engine alone running the five views over decoded records
// (bench/engine.bench.ts's workload). Targets (the end-to-end issue): ≥ 300,000 committed
// events/s and ≥ 0.2 of the decode rate; freshness p99 ≤ 250 ms at 10,000 events/s and ≤ 1 s at
// max; RSS ≤ 512 MB; point-query p99 < 20 ms.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { toSourceRecord } from '../src/connectors/generator-source.ts';
import { Engine } from '../src/engine/engine.ts';
import { toJsonLine } from '../src/generator/record.ts';
import { TrafficGenerator } from '../src/generator/traffic.ts';
import { bestOf, formatRate, percentile, report } from './measure.ts';
import type { Latencies, Workload } from './pg-load.ts';
import { committedEvents, freshness, type Run, rssMb, startTidewatch as start } from './tidewatch-run.ts';

const MAX_SECONDS = Number(process.env.E2E_SECONDS ?? 120);
const PACED_SECONDS = Number(process.env.E2E_PACED_SECONDS ?? 60);
const PACED_RATE = 10_000;
const BARRIER_MS = process.env.E2E_BARRIER_MS;
const CPUS = process.env.E2E_CPUS;
/** E2E_CPU_PROF=DIR writes a CPU profile (--cpu-prof) of each tidewatch process into DIR. */
const CPU_PROF = process.env.E2E_CPU_PROF;
const WARM_UP_SECONDS = 10;
const SAMPLE_SECONDS = 10;
const CLIENTS = 20;
const PACE_MS = 200;
const LOAD_SECONDS = 10;
const TARGETS = {
  eventsPerSecond: 300_000,
  ofDecode: 0.2,
  freshPaced: 250,
  freshMax: 1000,
  rssMb: 512,
  pointMs: 20,
};

const load = fileURLToPath(new URL('./pg-load.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// --- same-run baselines -------------------------------------------------------------------------

const BASELINE_RECORDS = 200_000;
const generator = new TrafficGenerator({ seed: 1, rate: 200, startMs: Date.parse('2024-01-25T00:00:00Z') });
const records = Array.from({ length: BASELINE_RECORDS }, () => generator.next());
const lines = records.map((r) => toJsonLine(r));
const decode = await bestOf(3, BASELINE_RECORDS, () => {
  let n = 0;
  for (const line of lines) if (JSON.parse(line) !== null) n++;
  return n;
});
const decoded = records.map(toSourceRecord);
const pipeline = readFileSync(new URL('../pipelines/website-security.sql', import.meta.url), 'utf8');
const engineAlone = await bestOf(2, BASELINE_RECORDS, async () => {
  const engine = new Engine({ autoEpoch: false });
  await engine.execute(pipeline);
  for (let i = 0; i < decoded.length; i += 50_000) {
    engine.push('website_logs_source', decoded.slice(i, i + 50_000));
    engine.flush();
  }
  engine.close();
});

// --- a tidewatch run ------------------------------------------------------------------------------

const startTidewatch = (rate: string) =>
  start(rate, {
    ...(BARRIER_MS === undefined ? {} : { barrierMs: BARRIER_MS }),
    ...(CPU_PROF === undefined ? {} : { cpuProfDir: CPU_PROF }),
    ...(CPUS === undefined ? {} : { cpus: CPUS }),
  });

async function pointQueries(run: Run): Promise<Latencies> {
  const users = await run.client.query('SELECT DISTINCT username FROM website_user_metrics ORDER BY 1');
  const workload: Workload = {
    point: 'SELECT * FROM website_user_metrics WHERE username = $1',
    aggregate:
      'SELECT window_start, sum(total_requests) FROM website_user_metrics GROUP BY 1 ORDER BY 1 DESC LIMIT 10',
    keys: users.rows.map((r) => String(r.username)),
  };
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      load,
      String(run.port),
      String(CLIENTS),
      String(LOAD_SECONDS),
      String(PACE_MS),
      JSON.stringify(workload),
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as Latencies;
}

// --- max rate -------------------------------------------------------------------------------------

interface MaxRun {
  readonly seconds: number;
  readonly committedRate: number;
  readonly perSample: readonly number[];
  readonly rss: readonly number[];
  readonly fresh: number[];
  readonly points: Latencies;
}

async function maxRun(): Promise<MaxRun> {
  const run = await startTidewatch('max');
  const pid = run.child.pid as number;
  const rss: number[] = [];
  await sleep(WARM_UP_SECONDS * 1000);
  const samples = [{ t: performance.now(), events: await committedEvents(run.client) }];
  const end = performance.now() + MAX_SECONDS * 1000;
  const fresh = freshness(run, performance.now() + Math.min(30, MAX_SECONDS) * 1000);
  const points = pointQueries(run);
  while (performance.now() < end) {
    await sleep(SAMPLE_SECONDS * 1000);
    rss.push(rssMb(pid));
    samples.push({ t: performance.now(), events: await committedEvents(run.client) });
  }
  const result = { fresh: await fresh, points: await points };
  await run.stop();
  const first = samples[0] as { t: number; events: number };
  const last = samples.at(-1) as { t: number; events: number };
  return {
    ...result,
    seconds: (last.t - first.t) / 1000,
    committedRate: ((last.events - first.events) * 1000) / (last.t - first.t),
    perSample: samples.slice(1).map((s, i) => {
      const prev = samples[i] as { t: number; events: number };
      return ((s.events - prev.events) * 1000) / (s.t - prev.t);
    }),
    rss,
  };
}

// --- 10,000 events/s ------------------------------------------------------------------------------

async function pacedRun(): Promise<{ fresh: number[]; points: Latencies }> {
  const run = await startTidewatch(String(PACED_RATE));
  await sleep(WARM_UP_SECONDS * 1000);
  const points = pointQueries(run);
  const fresh = await freshness(run, performance.now() + PACED_SECONDS * 1000);
  const result = { fresh, points: await points };
  await run.stop();
  return result;
}

const max = MAX_SECONDS > 0 ? await maxRun() : undefined;
const paced = PACED_SECONDS > 0 ? await pacedRun() : undefined;

// --- report ---------------------------------------------------------------------------------------

const ms = (x: number) => (Number.isNaN(x) ? 'none seen' : `${x.toFixed(0)} ms`);
const met = (ok: boolean) => (ok ? 'met' : 'MISSED');
const p = (xs: number[], q: number) => percentile(xs, q);
console.log(
  `end to end: tidewatch start, generator → reference pipeline and detections → store → PostgreSQL endpoint${BARRIER_MS === undefined ? '' : `, --barrier-interval-ms ${BARRIER_MS}`}${CPUS === undefined ? '' : `, on CPUs ${CPUS} (taskset)`}`,
);
const rows: [string, string][] = [
  ['baseline: JSON.parse of generator records, one core', formatRate(decode.perSecond)],
  ['baseline: engine alone, five views, one core', formatRate(engineAlone.perSecond)],
];
if (max !== undefined)
  rows.push(
    [
      `max rate: committed events/s over ${max.seconds.toFixed(0)} s`,
      `${formatRate(max.committedRate)} = ${(max.committedRate / decode.perSecond).toFixed(3)} of decode, ${(max.committedRate / engineAlone.perSecond).toFixed(2)} of the engine alone (target ≥ ${formatRate(TARGETS.eventsPerSecond)} and ≥ ${TARGETS.ofDecode} of decode: ${met(max.committedRate >= TARGETS.eventsPerSecond && max.committedRate / decode.perSecond >= TARGETS.ofDecode)})`,
    ],
    [
      'max rate: committed events/s per 10 s (thousands)',
      max.perSample.map((r) => Math.round(r / 1000)).join(' '),
    ],
    [
      'max rate: RSS every 10 s (MB)',
      `${max.rss.map((r) => r.toFixed(0)).join(' ')} (target ≤ ${TARGETS.rssMb}: ${met(Math.max(...max.rss) <= TARGETS.rssMb)})`,
    ],
    [
      `max rate: freshness p50 / p99 (${max.fresh.length} probes)`,
      `${ms(p(max.fresh, 50))} / ${ms(p(max.fresh, 99))} (target p99 ≤ ${TARGETS.freshMax} ms: ${met(p(max.fresh, 99) <= TARGETS.freshMax)})`,
    ],
    [
      'max rate: point query p50 / p99, 20 paced clients',
      `${p(max.points.point, 50).toFixed(1)} / ${p(max.points.point, 99).toFixed(1)} ms`,
    ],
  );
if (paced !== undefined)
  rows.push(
    [
      `${PACED_RATE.toLocaleString('en-US')}/s: freshness p50 / p99 (${paced.fresh.length} probes)`,
      `${ms(p(paced.fresh, 50))} / ${ms(p(paced.fresh, 99))} (target p99 ≤ ${TARGETS.freshPaced} ms: ${met(p(paced.fresh, 99) <= TARGETS.freshPaced)})`,
    ],
    [
      `${PACED_RATE.toLocaleString('en-US')}/s: point query p50 / p99, 20 paced clients`,
      `${p(paced.points.point, 50).toFixed(1)} / ${p(paced.points.point, 99).toFixed(1)} ms (target p99 < ${TARGETS.pointMs} ms: ${met(p(paced.points.point, 99) < TARGETS.pointMs)})`,
    ],
  );
report(rows);
