// The PostgreSQL endpoint beside a running pipeline: a real `tidewatch start` (as `npm start`
// runs it) on the reference pipeline, its generator at 10,000 events/s, queried by 20 paced
// clients in a process of their own (bench/pg-load.ts): a point query on website_user_metrics
// by username, then an aggregate over it. The engine runs on the same event loop as the
// endpoint, so its epoch work (barrier, checkpoint, commit) shows in the queries' tail.
// Same-run baseline: the same load on the same process once the generator has stopped
// (`--generator-count`), the views as large as they got.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { percentile, report } from './measure.ts';
import type { Latencies, Workload } from './pg-load.ts';

const RATE = 10_000;
const WARM_UP_SECONDS = 15;
const LOAD_SECONDS = 10;
/** The generator stops after this many events: the warm-up, the loaded run and a margin. */
const EVENTS = RATE * (WARM_UP_SECONDS + LOAD_SECONDS + 10);
const CLIENTS = 20;
const PACE_MS = 200;

const bin = fileURLToPath(new URL('../bin/tidewatch.js', import.meta.url));
const load = fileURLToPath(new URL('./pg-load.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tw-pg-live-bench-'));
const child: ChildProcess = spawn(
  process.execPath,
  [
    '--max-semi-space-size=4',
    bin,
    'start',
    '--data-dir',
    join(dir, 'data'),
    '--pg-port',
    '0',
    '--http-port',
    '0',
    '--generator-rate',
    String(RATE),
    '--generator-count',
    String(EVENTS),
    '--generator-seed',
    '1',
    '--status-interval',
    '1',
  ],
  { stdio: ['ignore', 'pipe', 'pipe'] },
);
let output = '';
child.stdout?.on('data', (d) => {
  output += String(d);
});
child.stderr?.on('data', (d) => {
  output += String(d);
});
const port = await new Promise<number>((resolve, reject) => {
  const timer = setInterval(() => {
    const m = /postgresql:\/\/root@127\.0\.0\.1:(\d+)\/dev/.exec(output);
    if (m !== null && output.includes('Press Ctrl-C to stop')) {
      clearInterval(timer);
      resolve(Number(m[1]));
    }
  }, 50);
  child.once('exit', (code) => {
    clearInterval(timer);
    reject(new Error(`tidewatch start exited (${code}): ${output}`));
  });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const run = promisify(execFile);
const client = new pg.Client({ host: '127.0.0.1', port, user: 'root', database: 'dev' });
await client.connect();
const started = performance.now();
await sleep(WARM_UP_SECONDS * 1000);
const users = await client.query('SELECT DISTINCT username FROM website_user_metrics ORDER BY 1');
const workload: Workload = {
  point: 'SELECT * FROM website_user_metrics WHERE username = $1',
  aggregate:
    'SELECT window_start, sum(total_requests) FROM website_user_metrics GROUP BY 1 ORDER BY 1 DESC LIMIT 10',
  keys: users.rows.map((r) => String(r.username)),
};

async function measure(): Promise<Latencies> {
  const { stdout } = await run(
    process.execPath,
    [load, String(port), String(CLIENTS), String(LOAD_SECONDS), String(PACE_MS), JSON.stringify(workload)],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as Latencies;
}

const rows = async () =>
  Number((await client.query('SELECT count(*) AS n FROM website_user_metrics')).rows[0]?.n);
const rowsBefore = await rows();
const loaded = await measure();
const loadEnded = (performance.now() - started) / 1000;
// The generator stops at EVENTS; wait until the status line says so, then measure again.
while (!/\b0 events\/s/.test(output.slice(-400))) await sleep(500);
const idle = await measure();
const ms = (t: number) => `${t.toFixed(2)} ms`;
const line = (label: string, xs: number[], base: number[]): [string, string] => [
  label,
  `${ms(percentile(xs, 50))} / ${ms(percentile(xs, 99))}   baseline (generator stopped) ${ms(percentile(base, 50))} / ${ms(percentile(base, 99))} (p99 ${(percentile(xs, 99) / percentile(base, 99)).toFixed(1)}×)`,
];
console.log(
  `pg endpoint beside a pipeline: tidewatch start on the reference pipeline at ${RATE.toLocaleString('en-US')} events/s, ${CLIENTS} clients, a pair each every ${PACE_MS} ms, ${LOAD_SECONDS} s`,
);
console.log(`  point: ${workload.point}   aggregate: ${workload.aggregate}`);
report([
  [
    'website_user_metrics rows when measured',
    `${rowsBefore.toLocaleString('en-US')} (${workload.keys.length} users)`,
  ],
  line('point: p50 / p99 while generating', loaded.point, idle.point),
  line('aggregate: p50 / p99 while generating', loaded.aggregate, idle.aggregate),
  ['measured from / to (s after start)', `${WARM_UP_SECONDS} / ${loadEnded.toFixed(0)}`],
]);
await client.end();
child.kill('SIGINT');
await new Promise((r) => child.once('exit', r));
rmSync(dir, { recursive: true, force: true });
