// The PostgreSQL endpoint in process: the real TidewatchPgBackend (src/serve/pg-backend.ts)
// served by listenPg (src/serve/pgwire/server.ts) over a file-backed ViewStore holding one
// view of 100,000 rows shaped like a reference view (per IP and minute), driven by `pg`
// clients on loopback.
// - Query latency, 20 clients at once (and one alone), each alternating a point query with a
//   parameter and a small aggregate, for a few seconds: back to back (the saturation
//   throughput; latency there is mostly the queue of 20 clients on the machine's cores) and
//   paced like dashboards refreshing (each client a pair every 200 ms, 200 queries/s in all),
//   where the target p99 < 20 ms is judged. Meanwhile an epoch commits every second, changing
//   100 rows of the view, as `start` does: answers shared between sessions last one epoch.
//   Same-run baseline: the same queries straight on DuckDB reader connections of the store,
//   as many at once.
// - Connection setup: connect + SELECT 1 + end, one after another and 20 at once. Same-run
//   baseline: a plain TCP connect + close to the same port.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { DuckDBConnection } from '@duckdb/node-api';
import pg from 'pg';
import type { RelationInfo } from '../src/engine/engine.ts';
import { TidewatchPgBackend } from '../src/serve/pg-backend.ts';
import { listenPg } from '../src/serve/pgwire/server.ts';
import { T } from '../src/sql/types.ts';
import { ViewStore } from '../src/store/view-store.ts';
import type { Row } from '../src/stream/value.ts';
import { percentile, report } from './measure.ts';
import { AGGREGATE, IPS, ipOf, type Latencies, latencies, POINT, type Runner } from './pg-load.ts';

const VIEW_ROWS = 100_000;
const CLIENTS = 20;
const QUERY_SECONDS = 4;
const CONNECT_SECONDS = 2;
const TARGET_P99_MS = 20;
/** Each paced client sends a point query and an aggregate this often. */
const PACE_MS = 200;

const columns = [
  { name: 'ip', type: T.varchar },
  { name: 'window_start', type: T.timestamp },
  { name: 'window_end', type: T.timestamp },
  { name: 'hits', type: T.int8 },
  { name: 'errors', type: T.int8 },
  { name: 'avg_response_time', type: T.float8 },
];
const START = Date.UTC(2024, 0, 25, 12) * 1000;
const MINUTE = 60_000_000;
/** Row i: IP i mod 5,000 in minute i div 5,000 (20 windows of 5,000 IPs). */
const row = (i: number): Row => {
  const w = START + Math.floor(i / IPS) * MINUTE;
  const hits = 1 + ((i * 7919) % 97);
  return [ipOf(i % IPS), w, w + MINUTE, hits, hits % 5, 80 + ((i * 31) % 400) + 0.5];
};

/** The baseline's point query: the view's own columns of the table (it also holds a row key and a count). */
const DIRECT_POINT = `SELECT ${columns.map((c) => c.name).join(', ')} FROM v WHERE ip = $1`;

const ms = (t: number) => `${t.toFixed(2)} ms`;
const rate = (n: number, seconds: number) => `${Math.round(n / seconds).toLocaleString('en-US')}/s`;

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'tw-pg-endpoint-bench-'));
const store = await ViewStore.open(join(dir, 'views.duckdb'));
await store.defineView('v', columns);
const rows = Array.from({ length: VIEW_ROWS }, (_, i) => row(i));
await store.commit(1, new Map([['v', { rows, weights: rows.map(() => 1) }]]));
let epoch = 1;
let nextRow = 0;
/** One epoch's changes: 100 rows each get one more hit (a retraction and an insertion each). */
async function commitEpoch(): Promise<void> {
  const changed: Row[] = [];
  const weights: number[] = [];
  for (let k = 0; k < 100; k++) {
    nextRow = (nextRow + 997) % VIEW_ROWS;
    const i = nextRow;
    const old = rows[i] as Row;
    const updated = [...old];
    updated[3] = (old[3] as number) + 1;
    rows[i] = updated;
    changed.push(old, updated);
    weights.push(-1, 1);
  }
  await store.commit(++epoch, new Map([['v', { rows: changed, weights }]]));
}
let committing = Promise.resolve();
const epochs = setInterval(() => {
  committing = committing.then(commitEpoch);
}, 1000);

const relations: RelationInfo[] = [
  {
    name: 'v',
    kind: 'materialized view',
    columns,
    definition:
      'CREATE MATERIALIZED VIEW v AS SELECT ip_address AS ip, window_start, window_end, COUNT(*) AS hits, ' +
      'SUM(CASE WHEN status_code >= 400 THEN 1 ELSE 0 END) AS errors, AVG(response_time) AS avg_response_time ' +
      "FROM TUMBLE(website_logs_source, request_timestamp, INTERVAL '1 MINUTES') GROUP BY 1, 2, 3",
    key: [0, 1, 2],
    appendOnly: false,
  },
];
const backend = new TidewatchPgBackend({
  execute: () => Promise.reject(new Error('the benchmark runs no engine statements')),
  flush: () => Promise.reject(new Error('the benchmark runs no engine statements')),
  insertValues: () => Promise.reject(new Error('the benchmark runs no engine statements')),
  describeParams: () => [],
  connectReader: () => store.connectReader(),
  relations: () => relations,
  insertRows: () => Promise.reject(new Error('the benchmark copies no rows')),
  subscriptions: store,
  storeVersion: () => store.version,
  ingestion: () => [],
});
const unexpected: unknown[] = [];
const server = await listenPg(backend, {
  host: '127.0.0.1',
  port: 0,
  onUnexpectedError: (e) => unexpected.push(e),
});
const clientConfig = { host: '127.0.0.1', port: server.port, user: 'root', database: 'dev' };

/** Rows of the point query and the aggregate: both paths must answer alike before they are timed. */
async function check(run: Runner, what: string): Promise<void> {
  const point = await run(POINT, [ipOf(42)]);
  const aggregate = await run(AGGREGATE, []);
  if (point !== VIEW_ROWS / IPS || aggregate !== 10)
    throw new Error(`${what}: ${point} rows for the point query, ${aggregate} for the aggregate`);
}

function latencyLines(
  label: string,
  r: { point: number[]; aggregate: number[]; seconds: number },
  base?: { point: number[]; aggregate: number[] },
): [string, string][] {
  const line = (name: 'point' | 'aggregate'): [string, string] => {
    const xs = r[name];
    const p50 = percentile(xs, 50);
    const p99 = percentile(xs, 99);
    const vs =
      base === undefined
        ? ''
        : `   baseline ${ms(percentile(base[name], 50))} / ${ms(percentile(base[name], 99))} (p50 ${(p50 / percentile(base[name], 50)).toFixed(1)}×)`;
    return [`${label}, ${name}: p50 / p99`, `${ms(p50)} / ${ms(p99)}${vs}`];
  };
  return [
    line('point'),
    line('aggregate'),
    [`${label}: queries`, `${rate(r.point.length + r.aggregate.length, r.seconds)}`],
  ];
}

// --- query latency ----------------------------------------------------------------------------

const checker = new pg.Client(clientConfig);
await checker.connect();
const readers: DuckDBConnection[] = await Promise.all(
  Array.from({ length: CLIENTS }, () => store.connectReader()),
);
const direct = (conn: DuckDBConnection): Runner => {
  return async (sql, params) =>
    (await conn.runAndReadAll(sql === POINT ? DIRECT_POINT : sql, [...params])).currentRowCount;
};

const directRunners = readers.map(direct);
await check(async (sql, params) => (await checker.query(sql, [...params])).rows.length, 'endpoint');
await check(directRunners[0] as Runner, 'DuckDB');
await latencies(directRunners, 0.5); // warm-up
/** The endpoint's clients in a process of their own (bench/pg-load.ts), as real clients are. */
async function endpointLatencies(n: number, seconds: number, paceMs = 0): Promise<Latencies> {
  const load = fileURLToPath(new URL('./pg-load.ts', import.meta.url));
  const { stdout } = await run(
    process.execPath,
    [load, String(server.port), String(n), String(seconds), String(paceMs)],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return JSON.parse(stdout) as Latencies;
}

console.log(
  `pg endpoint: a ${VIEW_ROWS.toLocaleString('en-US')}-row view (${IPS.toLocaleString('en-US')} IPs × ${VIEW_ROWS / IPS} windows, file-backed), pg ${CLIENTS} clients, ${QUERY_SECONDS} s per run`,
);
console.log(`  point: ${POINT}   aggregate: ${AGGREGATE}`);
const lines: [string, string][] = [];
const base1 = await latencies(directRunners.slice(0, 1), QUERY_SECONDS / 2);
const one = await endpointLatencies(1, QUERY_SECONDS / 2);
lines.push(...latencyLines('1 client', one, base1));
const baseN = await latencies(directRunners, QUERY_SECONDS);
const saturated = await endpointLatencies(CLIENTS, QUERY_SECONDS);
lines.push(...latencyLines(`${CLIENTS} clients back to back`, saturated, baseN));
const basePaced = await latencies(directRunners, QUERY_SECONDS, PACE_MS);
const stalls = monitorEventLoopDelay({ resolution: 1 });
stalls.enable();
const many = await endpointLatencies(CLIENTS, QUERY_SECONDS, PACE_MS);
stalls.disable();
lines.push(...latencyLines(`${CLIENTS} clients, a pair each every ${PACE_MS} ms`, many, basePaced));
lines.push([
  `${CLIENTS} paced clients: the endpoint's event-loop delay p99 / max`,
  `${ms(stalls.percentile(99) / 1e6)} / ${ms(stalls.max / 1e6)} (GC pauses, commits, session set-up)`,
]);
lines.push([
  `baseline: DuckDB readers, ${CLIENTS} at once: queries`,
  rate(baseN.point.length + baseN.aggregate.length, baseN.seconds),
]);
const worst = Math.max(percentile(many.point, 99), percentile(many.aggregate, 99));
lines.push([
  `target: p99 < ${TARGET_P99_MS} ms with ${CLIENTS} paced clients`,
  worst < TARGET_P99_MS ? `met (${ms(worst)})` : `MISSED (${ms(worst)})`,
]);
await checker.end();
clearInterval(epochs);
await committing;
for (const r of readers) r.closeSync();

// --- connection setup -------------------------------------------------------------------------

async function pgSession(): Promise<void> {
  const c = new pg.Client(clientConfig);
  await c.connect();
  await c.query('SELECT 1');
  await c.end();
}

function tcpSession(): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: '127.0.0.1', port: server.port });
    socket.once('error', reject);
    socket.once('connect', () => socket.end());
    socket.once('close', () => resolve());
  });
}

/** Sessions per second with `parallel` loops for `seconds`, after a short warm-up. */
async function setupRate(session: () => Promise<void>, parallel: number, seconds: number): Promise<number> {
  for (let i = 0; i < 5; i++) await session();
  let n = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (performance.now() < end) {
        await session();
        n++;
      }
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

for (const parallel of [1, CLIENTS]) {
  const tcp = await setupRate(tcpSession, parallel, CONNECT_SECONDS);
  const sessions = await setupRate(pgSession, parallel, CONNECT_SECONDS);
  const how = parallel === 1 ? 'one after another' : `${parallel} at once`;
  lines.push([
    `connect + SELECT 1 + end, ${how}`,
    `${Math.round(sessions).toLocaleString('en-US')}/s (${ms(1000 / (sessions / parallel))} each)   baseline TCP connect+close ${Math.round(tcp).toLocaleString('en-US')}/s (${(tcp / sessions).toFixed(1)}× faster)`,
  ]);
}
report(lines);

await server.close();
await backend.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
if (unexpected.length > 0) {
  console.error('unexpected endpoint errors:', unexpected);
  process.exitCode = 1;
}
