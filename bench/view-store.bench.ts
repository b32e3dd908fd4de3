// Commit time per epoch of the DuckDB view store (src/store/view-store.ts) against the number
// of changed rows, into a file-backed view of 100,000 rows shaped like a reference view
// (ip, window_start, hits, total bytes, label). A changed row is what an aggregate update
// sends: the old row retracted and the new one inserted (two delta rows, two row keys).
// Same-run baselines: the appender alone writing the same number of staged rows into a temp
// table, and v8.serialize of the whole view (what a checkpoint carrying the view pays today).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { DuckDBInstance, timestampValue } from '@duckdb/node-api';
import { T } from '../src/sql/types.ts';
import { type ViewDelta, ViewStore } from '../src/store/view-store.ts';
import type { Row } from '../src/stream/value.ts';
import { percentile, report } from './measure.ts';

const VIEW_ROWS = 100_000;
const SIZES = [100, 1_000, 10_000];
const EPOCHS = 15;
const columns = [
  { name: 'ip_address', type: T.varchar },
  { name: 'window_start', type: T.timestamp },
  { name: 'hits', type: T.int8 },
  { name: 'total_bytes', type: T.float8 },
  { name: 'label', type: T.varchar },
];
const START = Date.UTC(2024, 0, 25) * 1000;
const row = (i: number, hits: number): Row => [
  `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  START + (i % 60) * 60_000_000,
  hits,
  hits * 512.5,
  hits % 7 === 0 ? 'suspicious' : 'normal',
];

let seed = 42;
/** mulberry32: a deterministic generator in 32-bit integer arithmetic. */
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
};
const ms = (t: number) => `${t.toFixed(1)} ms`;

const dir = mkdtempSync(join(tmpdir(), 'tw-view-store-bench-'));
const store = await ViewStore.open(join(dir, 'views.duckdb'));
await store.defineView('per_ip', columns);
const hits = Array.from({ length: VIEW_ROWS }, () => 1);
const t0 = performance.now();
await store.commit(
  1,
  new Map([['per_ip', { rows: hits.map((h, i) => row(i, h)), weights: hits.map(() => 1) }]]),
);
const load = performance.now() - t0;
let epoch = 1;

// Baseline: the appender alone, into a temp table of the staging shape, on its own database.
const baseDb = await DuckDBInstance.create(join(dir, 'baseline.duckdb'));
const base = await baseDb.connect();
await base.run(
  'CREATE TEMP TABLE stage (k VARCHAR, d BIGINT, ip VARCHAR, ws TIMESTAMP, hits BIGINT, total DOUBLE, label VARCHAR)',
);
async function appendOnly(rows: readonly Row[]): Promise<number> {
  const t = performance.now();
  await base.run('DELETE FROM stage');
  const a = await base.createAppender('stage', 'main', 'temp');
  for (const r of rows) {
    a.appendVarchar(JSON.stringify(r));
    a.appendBigInt(1n);
    a.appendVarchar(r[0] as string);
    a.appendTimestamp(timestampValue(BigInt(r[1] as number)));
    a.appendBigInt(BigInt(r[2] as number));
    a.appendDouble(r[3] as number);
    a.appendVarchar(r[4] as string);
    a.endRow();
  }
  a.flushSync();
  a.closeSync();
  return performance.now() - t;
}

console.log(
  `view store: commits into a ${VIEW_ROWS.toLocaleString('en-US')}-row view (file-backed), ${EPOCHS} epochs per size after a warm-up`,
);
const lines: [string, string][] = [
  [`initial load of ${VIEW_ROWS.toLocaleString('en-US')} rows (one commit)`, ms(load)],
];
for (const n of SIZES) {
  const commits: number[] = [];
  const appends: number[] = [];
  for (let e = 0; e <= EPOCHS; e++) {
    const rows: Row[] = [];
    const weights: number[] = [];
    const picked = new Set<number>();
    while (picked.size < n) picked.add(Math.floor(random() * VIEW_ROWS));
    for (const i of picked) {
      const h = hits[i] as number;
      rows.push(row(i, h), row(i, h + 1));
      weights.push(-1, 1);
      hits[i] = h + 1;
    }
    const delta: ViewDelta = { rows, weights };
    const t = performance.now();
    await store.commit(++epoch, new Map([['per_ip', delta]]));
    const c = performance.now() - t;
    const a = await appendOnly(rows);
    if (e > 0) {
      commits.push(c);
      appends.push(a);
    }
  }
  const p50 = percentile(commits, 50);
  const b50 = percentile(appends, 50);
  lines.push([
    `${n.toLocaleString('en-US')} changed rows/epoch: commit p50 / p95`,
    `${ms(p50)} / ${ms(percentile(commits, 95))}   baseline append ${(2 * n).toLocaleString('en-US')} rows ${ms(b50)} (${(p50 / b50).toFixed(1)}×)`,
  ]);
}
const check = await store.rows('per_ip');
if (check.length !== VIEW_ROWS) throw new Error(`the view holds ${check.length} rows, expected ${VIEW_ROWS}`);
const whole = hits.map((h, i) => row(i, h));
const s0 = performance.now();
const bytes = serialize(whole).byteLength;
lines.push([
  'baseline: v8.serialize of the whole view (today’s checkpoint share)',
  `${ms(performance.now() - s0)}, ${(bytes / 1024 / 1024).toFixed(1)} MiB`,
]);
report(lines);
await store.close();
base.closeSync();
baseDb.closeSync();
rmSync(dir, { recursive: true, force: true });
