// Bulk writes over the PostgreSQL protocol: rows/s into the reference pipeline's input as a
// TABLE, tidewatch beside PostgreSQL 15 (the same-run baseline).
//
// The workload, identical for both: 100,000 records of the built-in generator (seed 1, every
// attack scenario, 400 events/s of simulated time: a few one-minute windows), sent by one `pg`
// connection over TCP as 100 statements `INSERT INTO … VALUES (…),(…)` of 1,000 rows, one
// after another; then the same rows as one `COPY … FROM STDIN (FORMAT csv)` into fresh, empty
// tables; then (tidewatch only) the INSERTs again with `SET RW_IMPLICIT_FLUSH TO true`.
// - tidewatch: the real `tidewatch start --no-generator` in a child process, a fresh data
//   directory per run, on pipelines/website-security.sql with its source turned into
//   `CREATE TABLE website_logs_source (…) APPEND ONLY`. The WATERMARK stays: the engine takes
//   it on an append-only table, and it is the reference's event time (closed windows drop their
//   state); the records come in event-time order, and the check below shows none is dropped.
// - PostgreSQL 15: a private cluster with the table website_logs and the same five views as
//   materialized views (TUMBLE becomes date_trunc('minute', request_timestamp) and + 1 minute;
//   aggregates and window functions as the pipeline has them), refreshed all five every second
//   by a second connection while the load runs. As durable as tidewatch: fsync on and
//   synchronous_commit on (PostgreSQL's defaults): both acknowledge a statement once it is in
//   a log on disk (tidewatch: its DML log), before the views a reader sees have it.
//
// How to read it, per system and path:
// - "acknowledged": rows / time until the last statement is acknowledged (durable: in the DML
//   log / WAL, not yet in the views a reader sees);
// - "visible": rows / time until a reader sees them all in the views: tidewatch, when the FLUSH
//   after the last statement returns (its epoch committed); PostgreSQL, when a REFRESH of the
//   five after the last statement ends. The refreshes during the load are counted, with their
//   mean time (a round of five; the first starts a second into the load, so a shorter load has
//   none);
// - RW_IMPLICIT_FLUSH: each INSERT is acknowledged once its epoch is committed to the store that
//   readers query, so "acknowledged" and "visible" are the same moment;
// - "× PostgreSQL": tidewatch's rate over PostgreSQL's on the same path;
// - CPU: user + system time (/proc/PID/stat) over the run until visible, of the tidewatch process
//   (PostgreSQL: its two backends), and rows / that time as rows/s per core. The machine's other
//   processes (this one sends the statements) share the cores.
// - Targets: INSERT at least PostgreSQL's rate; COPY at least 300,000 rows/s per core. While the
//   server refuses COPY FROM STDIN, tidewatch's COPY line reads "not supported: <its error>".
// - RSS (tidewatch): the process once started with the pipeline (empty) and once the rows are
//   visible; bytes a row beyond the empty process against the rows' CSV size. Target (the
//   end-to-end issue's table benchmark, BULK_WRITE_ROWS=1000000): at most 3× that size.
// Before any figure counts, the views must hold every row on both sides (the sum of
// website_user_metrics.total_requests); their row counts are printed side by side.
// BULK_WRITE_CPU_PROF=DIR writes a CPU profile (--cpu-prof) of the tidewatch process of the first
// INSERT run into DIR; BULK_WRITE_COPY_CPU_PROF=DIR of the COPY run. BULK_WRITE_TABLE=plain loads
// a table without APPEND ONLY (and so without the WATERMARK: windows then never close), whose
// rows the store must be able to find again by key.
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { isoTimestamp, LOG_RECORD_COLUMNS, type LogRecord } from '../src/generator/record.ts';
import { SCENARIOS, TrafficGenerator } from '../src/generator/traffic.ts';
import { BIN, waitForOutput } from '../test/helpers/cli.ts';
import { freePort, startPostgres, type TestPostgres } from '../test/helpers/postgres.ts';
import { formatRate, report } from './measure.ts';
import { rssMb } from './tidewatch-run.ts';

/** `BULK_WRITE_ROWS=1000000 npm run bench -- bulk-write` measures past the JIT's warm-up. */
const ROWS = Number(process.env.BULK_WRITE_ROWS ?? 100_000);
const BATCH = 1_000;
/** Events per second of simulated time: 100,000 records span about four minutes. */
const RATE = 400;
const REFRESH_MS = 1000;
const TARGET_COPY_PER_CORE = 300_000;
/** The cluster's settings over the test helper's: durable, PostgreSQL's default buffer pool. */
const POSTGRES_SETTINGS = {
  fsync: 'on',
  full_page_writes: 'on',
  synchronous_commit: 'on',
  shared_buffers: '128MB',
};

type Path = 'INSERT' | 'COPY';

// --- the workload -----------------------------------------------------------------------------

const generator = new TrafficGenerator({
  seed: 1,
  rate: RATE,
  startMs: Date.parse('2024-01-25T12:00:00Z'),
  attacks: SCENARIOS.map((scenario) => ({ scenario })),
});
const records: LogRecord[] = Array.from({ length: ROWS }, () => generator.next());
const minuteOf = (r: LogRecord | undefined) => Math.floor((r?.request_timestamp ?? 0) / 60_000);
const windows = minuteOf(records.at(-1)) - minuteOf(records[0]) + 1;

const COLUMNS = LOG_RECORD_COLUMNS.map(([name]) => name);
/** A TIMESTAMP literal both systems read: `2024-01-25 12:00:00.123`. */
const timestamp = (ms: number) => {
  const iso = isoTimestamp(ms);
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
};
const fields = (r: LogRecord): (string | number | null)[] =>
  COLUMNS.map((c) => (c === 'request_timestamp' ? timestamp(r.request_timestamp) : r[c]));
const sqlValue = (v: string | number | null) =>
  v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${v.replaceAll("'", "''")}'`;
const csvValue = (v: string | number | null) =>
  v === null ? '' : typeof v === 'number' ? String(v) : `"${v.replaceAll('"', '""')}"`;

/** Per statement, its VALUES list; per statement's worth of rows, its CSV lines. Made before any timing. */
const valueLists: string[] = [];
const csvChunks: Buffer[] = [];
for (let i = 0; i < ROWS; i += BATCH) {
  const batch = records.slice(i, i + BATCH).map(fields);
  valueLists.push(batch.map((f) => `(${f.map(sqlValue).join(',')})`).join(','));
  csvChunks.push(Buffer.from(batch.map((f) => `${f.map(csvValue).join(',')}\n`).join('')));
}

/** The mean length of an INSERT statement's text, in bytes. */
const statementBytes = valueLists.reduce((sum, v) => sum + Buffer.byteLength(v), 0) / valueLists.length;

// --- the pipelines ----------------------------------------------------------------------------

const reference = readFileSync(new URL('../pipelines/website-security.sql', import.meta.url), 'utf8');

/** `text` with `pattern` replaced; throws unless it occurs exactly `times` times (the reference changed). */
function replaceExactly(text: string, pattern: RegExp, replacement: string, times: number): string {
  const found = [...text.matchAll(new RegExp(pattern.source, 'g'))].length;
  if (found !== times)
    throw new Error(`pipelines/website-security.sql: ${found} matches of ${pattern}, expected ${times}`);
  return text.replace(new RegExp(pattern.source, 'g'), replacement);
}

const views = [...reference.matchAll(/CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+)/g)].map(
  (m) => m[1] as string,
);
const PLAIN_TABLE = process.env.BULK_WRITE_TABLE === 'plain';
const appendOnlyPipeline = replaceExactly(
  reference,
  /CREATE SOURCE IF NOT EXISTS website_logs_source \(([\s\S]*?)\n\) WITH \([\s\S]*?\) FORMAT PLAIN ENCODE JSON;/,
  'CREATE TABLE IF NOT EXISTS website_logs_source ($1\n) APPEND ONLY;',
  1,
);
const tidewatchPipeline = PLAIN_TABLE
  ? replaceExactly(
      replaceExactly(appendOnlyPipeline, /\) APPEND ONLY;/, ');', 1),
      /,\s*WATERMARK FOR [^\n]*/,
      '',
      1,
    )
  : appendOnlyPipeline;
const postgresTable = `CREATE TABLE website_logs (${LOG_RECORD_COLUMNS.map(([n, t]) => `${n} ${t}`).join(', ')})`;
const postgresViews = replaceExactly(
  reference.slice(reference.indexOf('CREATE MATERIALIZED VIEW')),
  /TUMBLE\(website_logs_source, request_timestamp, INTERVAL '1 MINUTES'\)/,
  "(SELECT *, date_trunc('minute', request_timestamp) AS window_start, " +
    "date_trunc('minute', request_timestamp) + INTERVAL '1 minute' AS window_end FROM website_logs) AS tumbled",
  views.length,
);

// --- measuring --------------------------------------------------------------------------------

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
/** The rows' size as CSV, in bytes: what "raw size" means below. */
const csvBytes = csvChunks.reduce((sum, c) => sum + c.length, 0);
/** The table target: what the rows cost in memory beyond the empty process, against their raw size. */
const TARGET_MEMORY_OF_RAW = 3;

/** User + system CPU seconds of a process so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

interface Measured {
  /** Seconds from the first statement until the last is acknowledged, and until all is visible. */
  readonly acked: number;
  readonly visible: number;
  /** CPU seconds over the run until visible. */
  readonly cpu: number;
  /** Rows of each view afterwards. */
  readonly viewRows: ReadonlyMap<string, number>;
  readonly refreshes?: { readonly during: readonly number[]; readonly last: number };
  /**
   * tidewatch: its resident set (MB) once started with the pipeline, and once the rows are
   * visible, with where the memory is then (`/api/status`'s `memory`).
   */
  readonly rss?: { readonly empty: number; readonly loaded: number; readonly parts?: MemoryParts };
}
type Outcome = Measured | { readonly refused: string };

async function send(client: pg.Client, table: string, path: Path): Promise<void> {
  if (path === 'INSERT') {
    const statements = valueLists.map((values) => `INSERT INTO ${table} VALUES ${values}`);
    for (const statement of statements) await client.query(statement);
  } else {
    const copy = client.query(copyFrom(`COPY ${table} (${COLUMNS.join(', ')}) FROM STDIN (FORMAT csv)`));
    await pipeline(Readable.from(csvChunks), copy);
  }
}

/** Rows of each view; throws unless the views hold every row sent. */
async function viewRows(client: pg.Client, what: string): Promise<Map<string, number>> {
  const rows = new Map<string, number>();
  for (const v of views)
    rows.set(v, Number((await client.query(`SELECT count(*) AS n FROM ${v}`)).rows[0].n));
  const { n } = (await client.query('SELECT sum(total_requests) AS n FROM website_user_metrics')).rows[0];
  if (Number(n) !== ROWS) throw new Error(`${what}: the views hold ${n} of ${ROWS} rows`);
  return rows;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** REFRESHes all five views every second on its own connection (at once when a round overran). */
class Refresher {
  readonly rounds: number[] = [];
  #stopped = false;
  #wake: (() => void) | undefined;
  readonly #client: pg.Client;
  readonly #loop: Promise<void>;
  constructor(client: pg.Client) {
    this.#client = client;
    this.#loop = this.#run();
  }
  async #run(): Promise<void> {
    let next = performance.now() + REFRESH_MS;
    while (!this.#stopped) {
      const wait = next - performance.now();
      if (wait > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      if (this.#stopped) break;
      this.rounds.push(await this.round());
      next = Math.max(next + REFRESH_MS, performance.now());
    }
  }
  /** One round of five REFRESHes; its milliseconds. */
  async round(): Promise<number> {
    const t0 = performance.now();
    for (const v of views) await this.#client.query(`REFRESH MATERIALIZED VIEW ${v}`);
    return performance.now() - t0;
  }
  /** Stops after the round under way, if any. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
  }
}

async function postgresRun(postgres: TestPostgres, path: Path): Promise<Measured> {
  const admin = postgres.client;
  await admin.query('DROP TABLE IF EXISTS website_logs CASCADE');
  await admin.query(`${postgresTable};\n${postgresViews}`);
  await admin.query('CHECKPOINT');
  const load = new pg.Client({
    host: '127.0.0.1',
    port: postgres.port,
    user: 'postgres',
    database: 'postgres',
  });
  await load.connect();
  try {
    const pidOf = async (c: pg.Client) =>
      Number((await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
    const pids = [await pidOf(load), await pidOf(admin)];
    const cpu = () => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const cpu0 = cpu();
    const t0 = performance.now();
    const refresher = new Refresher(admin);
    let acked: number;
    try {
      await send(load, 'website_logs', path);
      acked = (performance.now() - t0) / 1000;
    } finally {
      await refresher.stop();
    }
    const last = await refresher.round();
    const visible = (performance.now() - t0) / 1000;
    const cpuUsed = cpu() - cpu0;
    return {
      acked,
      visible,
      cpu: cpuUsed,
      viewRows: await viewRows(admin, `PostgreSQL ${path}`),
      refreshes: { during: refresher.rounds, last },
    };
  } finally {
    await load.end();
  }
}

/** tidewatch children alive, killed on the way out whatever happens. */
const children = new Set<ChildProcessWithoutNullStreams>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

interface Tidewatch {
  readonly pid: number;
  readonly httpPort: number;
  readonly pgPort: number;
  /** Stops it (Ctrl-C, SIGKILL after 15 s) and removes its data directory; its exit problems, if any. */
  stop(): Promise<string | undefined>;
}

/** The real `tidewatch start`, with the flags `npm start` gives node, on a fresh data directory. */
async function startTidewatch(pipelineFile: string, profileDir?: string): Promise<Tidewatch> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tw-bulk-write-data-'));
  const pgPort = await freePort();
  let httpPort = await freePort();
  while (httpPort === pgPort) httpPort = await freePort();
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TIDEWATCH_')));
  const profile = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${resolve(profileDir)}`];
  const child = spawn(
    process.execPath,
    [
      '--max-semi-space-size=4',
      ...profile,
      BIN,
      'start',
      '--pipeline',
      pipelineFile,
      '--no-detections',
      '--no-generator',
      '--data-dir',
      dataDir,
      '--pg-port',
      String(pgPort),
      '--http-port',
      String(httpPort),
    ],
    { env, stdio: 'pipe' },
  );
  children.add(child);
  child.stdin.end();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  const closed = new Promise<void>((r) => child.once('close', () => r()));
  const stop = async (): Promise<string | undefined> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      if ((await Promise.race([closed.then(() => true), sleep(15_000).then(() => false)])) === false) {
        child.kill('SIGKILL');
        await closed;
      }
    }
    children.delete(child);
    rmSync(dataDir, { recursive: true, force: true });
    const exit = child.exitCode ?? child.signalCode;
    return exit === 0 ? undefined : `exited with ${exit}: ${stderr.trim()}`;
  };
  try {
    await waitForOutput(child, /Press Ctrl-C to stop/, 30_000);
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\nstderr: ${stderr}`);
  }
  child.stdout.resume();
  return { pid: child.pid as number, pgPort, httpPort, stop };
}

const problems: string[] = [];

/** Of `/api/status`'s memory figures (MB), those that say where a loaded table's memory is. */
interface MemoryParts {
  readonly engine_js_heap_mb: number;
  readonly engine_js_heap_used_mb: number;
  readonly js_heap_mb: number;
  readonly buffers_mb: number;
  readonly duckdb_mb: number | null;
}

async function memoryParts(httpPort: number): Promise<MemoryParts | undefined> {
  try {
    const status = (await (await fetch(`http://127.0.0.1:${httpPort}/api/status`)).json()) as {
      memory?: MemoryParts;
    };
    return status.memory;
  } catch {
    return undefined;
  }
}

async function tidewatchRun(
  pipelineFile: string,
  path: Path,
  options: { implicitFlush?: boolean; profileDir?: string } = {},
): Promise<Outcome> {
  const tw = await startTidewatch(pipelineFile, options.profileDir);
  try {
    const client = new pg.Client({ host: '127.0.0.1', port: tw.pgPort, user: 'root', database: 'dev' });
    await client.connect();
    try {
      if (options.implicitFlush) await client.query('SET RW_IMPLICIT_FLUSH TO true');
      // Start-up leaves a peak that the collectors take a few seconds to give back: the empty
      // process is the least of three seconds' samples.
      let empty = rssMb(tw.pid);
      for (let i = 0; i < 12; i++) {
        await sleep(250);
        empty = Math.min(empty, rssMb(tw.pid));
      }
      const cpu0 = cpuSeconds(tw.pid);
      const t0 = performance.now();
      try {
        await send(client, 'website_logs_source', path);
      } catch (e) {
        if (path === 'COPY' && (e as { code?: string }).code === '0A000')
          return { refused: (e as Error).message };
        throw e;
      }
      const acked = (performance.now() - t0) / 1000;
      await client.query('FLUSH');
      const visible = (performance.now() - t0) / 1000;
      const cpu = cpuSeconds(tw.pid) - cpu0;
      const loaded = rssMb(tw.pid);
      const parts = await memoryParts(tw.httpPort);
      return {
        acked,
        visible,
        cpu,
        viewRows: await viewRows(client, `tidewatch ${path}`),
        rss: { empty, loaded, parts },
      };
    } finally {
      await client.end();
    }
  } finally {
    const trouble = await tw.stop();
    if (trouble !== undefined) problems.push(`tidewatch (${path}): ${trouble}`);
  }
}

// --- the run ----------------------------------------------------------------------------------

const seconds = (s: number) => `${s.toFixed(2)} s`;
const rateOf = (s: number) => ROWS / s;
const ratio = (tw: number, base: number) => `${(rateOf(tw) / rateOf(base)).toFixed(2)}× PostgreSQL`;

function lines(system: string, m: Outcome, base?: Measured): [string, string][] {
  if ('refused' in m) return [[system, `not supported: ${m.refused}`]];
  const vs = (which: 'acked' | 'visible') => (base === undefined ? '' : `   ${ratio(m[which], base[which])}`);
  const out: [string, string][] = [
    [`${system}: acknowledged`, `${formatRate(rateOf(m.acked))} (${seconds(m.acked)})${vs('acked')}`],
    [
      `${system}: visible in the views`,
      `${formatRate(rateOf(m.visible))} (${seconds(m.visible)})${vs('visible')}`,
    ],
  ];
  if (m.refreshes !== undefined) {
    const { during, last } = m.refreshes;
    const mean = during.length === 0 ? 0 : during.reduce((a, b) => a + b, 0) / during.length;
    out.push([
      `${system}: REFRESH rounds (five views)`,
      `${during.length === 0 ? `none during the load (under ${REFRESH_MS / 1000} s)` : `${during.length} during the load, mean ${mean.toFixed(0)} ms`}; the one after it ${last.toFixed(0)} ms`,
    ]);
  }
  const who = base === undefined ? 'its two backends' : 'the tidewatch process';
  out.push([
    `${system}: CPU of ${who}`,
    `${seconds(m.cpu)} → ${formatRate(ROWS / m.cpu)} per core (${((m.cpu / m.visible) * 100).toFixed(0)}% of a core)`,
  ]);
  if (m.rss !== undefined) {
    const perRow = ((m.rss.loaded - m.rss.empty) * 2 ** 20) / ROWS;
    const ofRaw = perRow / (csvBytes / ROWS);
    out.push([
      `${system}: RSS empty → loaded`,
      `${m.rss.empty.toFixed(0)} → ${m.rss.loaded.toFixed(0)} MB: ${perRow.toFixed(0)} bytes a row beyond the empty process, ` +
        `${ofRaw.toFixed(1)}× the rows' CSV size (${(csvBytes / ROWS).toFixed(0)} bytes; target ≤ ${TARGET_MEMORY_OF_RAW}×: ${ofRaw <= TARGET_MEMORY_OF_RAW ? 'met' : 'MISSED'})`,
    ]);
    const p = m.rss.parts;
    if (p !== undefined)
      out.push([
        `${system}: of it, loaded (MB)`,
        `JavaScript heaps ${p.js_heap_mb} (the engine thread's ${p.engine_js_heap_mb}, in use ${p.engine_js_heap_used_mb}), ` +
          `buffers ${p.buffers_mb}, DuckDB ${p.duckdb_mb ?? '?'}`,
      ]);
  }
  return out;
}

const work = mkdtempSync(join(tmpdir(), 'tw-bulk-write-'));
const pipelineFile = join(work, 'website-security-table.sql');
writeFileSync(pipelineFile, tidewatchPipeline);
let postgres: TestPostgres | undefined;
const shutdown = async () => {
  for (const child of children) child.kill('SIGKILL');
  await postgres?.stop();
  rmSync(work, { recursive: true, force: true });
  process.exit(130);
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);

console.log(
  `bulk write: ${ROWS.toLocaleString('en-US')} generator records (${windows} one-minute windows) in ` +
    `${BATCH.toLocaleString('en-US')}-row statements (${Math.round(statementBytes / 1024)} KiB each) on one connection; ` +
    `the five reference views over a TABLE${PLAIN_TABLE ? ' (plain: no APPEND ONLY, no WATERMARK)' : ' … APPEND ONLY'}; ` +
    'baseline PostgreSQL 15, the views materialized and refreshed every second',
);
try {
  postgres = await startPostgres({ settings: POSTGRES_SETTINGS });
  const pgInsert = await postgresRun(postgres, 'INSERT');
  const twInsert = await tidewatchRun(pipelineFile, 'INSERT', {
    profileDir: process.env.BULK_WRITE_CPU_PROF,
  });
  const pgCopy = await postgresRun(postgres, 'COPY');
  const twCopy = await tidewatchRun(pipelineFile, 'COPY', {
    profileDir: process.env.BULK_WRITE_COPY_CPU_PROF,
  });
  const twImplicit = await tidewatchRun(pipelineFile, 'INSERT', { implicitFlush: true });

  const rows: [string, string][] = [
    ...lines('PostgreSQL INSERT', pgInsert),
    ...lines('tidewatch INSERT', twInsert, pgInsert),
    ...lines('tidewatch INSERT, RW_IMPLICIT_FLUSH', twImplicit, pgInsert),
    ...lines('PostgreSQL COPY', pgCopy),
    ...lines('tidewatch COPY', twCopy, pgCopy),
  ];
  if (!('refused' in twInsert)) {
    const counts = views.map((v) => {
      const [tw, base] = [twInsert.viewRows.get(v), pgInsert.viewRows.get(v)];
      return `${v} ${tw?.toLocaleString('en-US')}${tw === base ? '' : ` (PostgreSQL ${base?.toLocaleString('en-US')})`}`;
    });
    rows.push(['view rows after INSERT, tidewatch (PostgreSQL where different)', counts.join(', ')]);
    const worst = Math.min(
      rateOf(twInsert.acked) / rateOf(pgInsert.acked),
      rateOf(twInsert.visible) / rateOf(pgInsert.visible),
    );
    rows.push([
      "target: INSERT ≥ PostgreSQL's rate (acknowledged and visible)",
      `${worst >= 1 ? 'met' : 'MISSED'} (${ratio(twInsert.acked, pgInsert.acked)} / ${ratio(twInsert.visible, pgInsert.visible)})`,
    ]);
  }
  rows.push([
    `target: COPY ≥ ${formatRate(TARGET_COPY_PER_CORE)} per core`,
    'refused' in twCopy
      ? 'MISSED (not supported)'
      : `${ROWS / twCopy.cpu >= TARGET_COPY_PER_CORE ? 'met' : 'MISSED'} (${formatRate(ROWS / twCopy.cpu)} per core)`,
  ]);
  report(rows);
  for (const p of problems) console.error(`odd: ${p}`);
} finally {
  await postgres?.stop();
  rmSync(work, { recursive: true, force: true });
}
