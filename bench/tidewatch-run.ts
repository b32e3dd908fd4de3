// One real `tidewatch start` for the end-to-end benchmarks (e2e, long-run): started on a fresh
// data directory, sampled the way a user meets it (RSS, committed events, freshness over a second
// connection), stopped with Ctrl-C.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { BIN, waitForOutput } from '../test/helpers/cli.ts';

/** A freshness probe's INSERT every so many ms. */
const PROBE_EVERY_MS = 50;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let probeRounds = 0;

export interface Run {
  readonly child: ChildProcessWithoutNullStreams;
  readonly port: number;
  /** The HTTP API's base URL. */
  readonly httpUrl: string;
  readonly client: pg.Client;
  readonly stop: () => Promise<void>;
}

/**
 * The real `tidewatch start` with its generator at `rate` (events/s or `max`), on a fresh data
 * directory, with the young generation `npm start` gives it; a client connected as root.
 * `cpus`: the CPUs it may run on (`taskset -c`), all of them without.
 */
export async function startTidewatch(
  rate: string,
  options: { readonly barrierMs?: string; readonly cpuProfDir?: string; readonly cpus?: string } = {},
): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'tw-e2e-bench-'));
  const barrier = options.barrierMs === undefined ? [] : ['--barrier-interval-ms', options.barrierMs];
  const profile = options.cpuProfDir;
  const node = [
    process.execPath,
    '--max-semi-space-size=4',
    ...(profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${resolve(profile)}`]),
    BIN,
    'start',
    '--data-dir',
    join(dir, 'data'),
    '--pg-port',
    '0',
    '--http-port',
    '0',
    '--generator-rate',
    rate,
    '--generator-seed',
    '1',
    '--status-interval',
    '60',
    ...barrier,
  ];
  // taskset runs node in its own process (exec), so the pid is tidewatch's.
  const [command, ...args] = options.cpus === undefined ? node : ['taskset', '-c', options.cpus, ...node];
  const child = spawn(command as string, args, { stdio: 'pipe' });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + String(d)).slice(-20_000);
  });
  const banner = await waitForOutput(child, /Press Ctrl-C to stop/, 60_000).catch((e: Error) => {
    throw new Error(`${e.message}\nstderr: ${stderr}`);
  });
  child.stdout.resume();
  const port = Number(/postgresql:\/\/root@127\.0\.0\.1:(\d+)\/dev/.exec(banner)?.[1]);
  const httpUrl = /HTTP API\s+(http:\/\/\S+)/.exec(banner)?.[1] as string;
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'root', database: 'dev' });
  await client.connect();
  const stop = async () => {
    await client.end();
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  return { child, port, httpUrl, client, stop };
}

/** The resident set of process `pid`, in MB. */
export const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/** Events the reference pipeline's views hold: what the store has committed of the generator's. */
export async function committedEvents(client: pg.Client): Promise<number> {
  const { n } = (await client.query('SELECT coalesce(sum(total_requests), 0) AS n FROM website_user_metrics'))
    .rows[0];
  return Number(n);
}

/**
 * Freshness probes until `until` (performance.now()): ms from sending an INSERT to seeing its row
 * in a view. Rows go in at a steady pace, whatever the epochs do (a probe that waited for the
 * last one to show would start right after a commit, always the farthest from the next), and
 * a second connection polls the view, timing every row it sees for the first time.
 */
export async function freshness(run: Run, until: number): Promise<number[]> {
  // A table and view of its own per call: ids start at 0 each time.
  const n = ++probeRounds;
  await run.client.query(
    `CREATE TABLE fresh_probe_${n} (id INT); CREATE MATERIALIZED VIEW fresh_seen_${n} AS SELECT max(id) AS id FROM fresh_probe_${n}`,
  );
  const reader = new pg.Client({ host: '127.0.0.1', port: run.port, user: 'root', database: 'dev' });
  await reader.connect();
  const sentAt: number[] = [];
  const seen: number[] = [];
  let writing = true;
  const write = async () => {
    for (let id = 0; performance.now() < until; id++) {
      const next = performance.now() + PROBE_EVERY_MS;
      sentAt[id] = performance.now();
      await run.client.query(`INSERT INTO fresh_probe_${n} VALUES ($1)`, [id]);
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
    }
    writing = false;
  };
  const poll = async () => {
    while (writing || seen.length < sentAt.length) {
      const got = (await reader.query(`SELECT id FROM fresh_seen_${n}`)).rows[0]?.id;
      const now = performance.now();
      const upTo = got === undefined || got === null ? -1 : Number(got);
      while (seen.length <= upTo) seen.push(now - (sentAt[seen.length] as number));
      await sleep(2);
    }
  };
  try {
    await Promise.all([write(), poll()]);
  } finally {
    await reader.end();
  }
  return seen;
}
