// Retained raw events: the append rate of generator events into a source's raw table through
// the store's epoch commit (50,000 events per epoch, file-backed), and forensic queries over
// 10 million retained events — "everything from this IP in the last 6 hours", newest first.
// Same-run baselines: the bare DuckDB appender writing the same rows into a plain table, and a
// full scan of one column (`count(*) … WHERE status_code = 200`) for the queries.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, timestampValue } from '@duckdb/node-api';
import { toSourceRecord } from '../src/connectors/generator-source.ts';
import { Engine } from '../src/engine/engine.ts';
import { TrafficGenerator } from '../src/generator/traffic.ts';
import { ViewStore } from '../src/store/view-store.ts';
import type { Row } from '../src/stream/value.ts';
import { formatRate, percentile, report } from './measure.ts';

const EVENTS = Number(process.env.FORENSIC_EVENTS ?? 10_000_000);
const PER_EPOCH = 50_000;
const RATE = 500; // events per simulated second: 10 M events span 5.6 hours
const QUERIES = 30;
const SOURCE = 'website_logs_source';

const dir = mkdtempSync(join(tmpdir(), 'tw-forensic-bench-'));
const store = await ViewStore.open(join(dir, 'tidewatch.duckdb'));
// The source's typed rows, exactly as the engine decodes them, from the reference pipeline.
const engine = new Engine({ autoEpoch: false });
const createSource = readFileSync(new URL('../pipelines/website-security.sql', import.meta.url), 'utf8')
  .split(';')
  .find((s) => /CREATE SOURCE/i.test(s)) as string;
await engine.execute(createSource);
const columns = (engine.getRelation(SOURCE)?.columns ?? []).map((c) => ({ name: c.name, type: c.type }));
await store.defineSource(SOURCE, columns);
let batch: Row[] = [];
engine.onSourceInput((_, rows) => {
  for (const r of rows) batch.push(r);
});

// Baseline: the bare appender, same rows, plain table, its own database file.
const baseDb = await DuckDBInstance.create(join(dir, 'baseline.duckdb'));
const base = await baseDb.connect();
await base.run(
  `CREATE TABLE raw (${columns.map((_, i) => `c${i} ${i === 0 ? 'TIMESTAMP' : 'VARCHAR'}`).join(', ')})`,
);
async function appendBare(rows: readonly Row[]): Promise<number> {
  const t = performance.now();
  const a = await base.createAppender('raw');
  for (const r of rows) {
    a.appendTimestamp(timestampValue(BigInt(r[0] as number)));
    for (let i = 1; i < r.length; i++) {
      const v = r[i];
      if (v === null || v === undefined) a.appendNull();
      else a.appendVarchar(String(v));
    }
    a.endRow();
  }
  a.flushSync();
  a.closeSync();
  return performance.now() - t;
}

const gen = new TrafficGenerator({ seed: 11, rate: RATE, startMs: Date.UTC(2024, 0, 25) });
const ips = new Set<string>();
let commitMs = 0;
let bareMs = 0;
let bareRows = 0;
for (let epoch = 1; epoch * PER_EPOCH <= EVENTS; epoch++) {
  const records = Array.from({ length: PER_EPOCH }, () => toSourceRecord(gen.next()));
  if (epoch % 20 === 1) ips.add(records[0]?.ip_address as string);
  engine.push(SOURCE, records);
  const rows = batch;
  batch = [];
  const t = performance.now();
  await store.commit(epoch, new Map(), undefined, new Map([[SOURCE, [rows]]]));
  commitMs += performance.now() - t;
  if (epoch % 10 === 1) {
    bareMs += await appendBare(rows);
    bareRows += rows.length;
  }
}
engine.close();
const retained = store.retained()[0];
const appendRate = ((retained?.rows ?? 0) * 1000) / commitMs;
const bareRate = (bareRows * 1000) / bareMs;

const conn = await store.connectReader();
const newest = (
  await conn.runAndReadAll(`SELECT epoch_us(max(request_timestamp)) FROM ${SOURCE}`)
).getRows()[0]?.[0];
const since = timestampValue((newest as bigint) - 6n * 3_600_000_000n);
const forensic = await conn.prepare(
  `SELECT * FROM ${SOURCE} WHERE ip_address = $1 AND request_timestamp > $2 ORDER BY request_timestamp DESC`,
);
const times: number[] = [];
let found = 0;
const picked = [...ips];
for (let q = 0; q <= QUERIES; q++) {
  forensic.bindVarchar(1, picked[q % picked.length] as string);
  forensic.bindTimestamp(2, since);
  const t = performance.now();
  const rows = (await forensic.runAndReadAll()).getRows();
  if (q > 0) {
    times.push(performance.now() - t);
    found += rows.length;
  }
}
const scans: number[] = [];
for (let q = 0; q <= 5; q++) {
  const t = performance.now();
  await conn.runAndReadAll(`SELECT count(*) FROM ${SOURCE} WHERE status_code = 200`);
  if (q > 0) scans.push(performance.now() - t);
}
const p50 = percentile(times, 50);
const scan = percentile(scans, 50);
console.log(
  `forensic: ${(retained?.rows ?? 0).toLocaleString('en-US')} generator events retained in ${PER_EPOCH.toLocaleString('en-US')}-event epochs (file-backed)`,
);
report([
  [
    'raw-event append (epoch commits)',
    `${formatRate(appendRate)}   baseline bare appender ${formatRate(bareRate)} (${((appendRate / bareRate) * 100).toFixed(0)}%)`,
  ],
  [
    `"one IP, last 6 h" over ${(retained?.rows ?? 0).toLocaleString('en-US')} events: p50 / p99 / max`,
    `${p50.toFixed(1)} / ${percentile(times, 99).toFixed(1)} / ${Math.max(...times).toFixed(1)} ms (${(found / QUERIES).toFixed(0)} rows each on average; target < 1000 ms)`,
  ],
  [
    'baseline: one-column scan of all events',
    `${scan.toFixed(1)} ms (query p50 = ${(p50 / scan).toFixed(2)}×)`,
  ],
  ['retained bytes (rawBytes)', `${((retained?.bytes ?? 0) / 2 ** 20).toFixed(0)} MiB`],
]);
conn.closeSync();
await store.close();
base.closeSync();
baseDb.closeSync();
rmSync(dir, { recursive: true, force: true });
