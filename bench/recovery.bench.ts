// Durability costs of `start` (src/cli/recovery.ts): the commit of an epoch — the engine's
// checkpoint (which leaves tables' and views' contents out) serialized, plus the epoch's view
// changes and its 10,000 raw events (retained as `start` does by default: 24 h, 1 GiB), in one
// DuckDB transaction — as an hour goes by at 10,000 events/s, and the
// recovery after that hour (target: under 10 s): read the state, rebuild the engine and load
// its views from the store, replay the last epoch's events from the durable log. Baseline:
// the same DuckDB transaction with the epoch's changes but no state.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { fromJsonLine, toSourceRecord } from '../src/connectors/generator-source.ts';
import { Engine, type EngineCheckpoint } from '../src/engine/engine.ts';
import { toJsonLine } from '../src/generator/record.ts';
import { TrafficGenerator } from '../src/generator/traffic.ts';
import { DurableLog } from '../src/store/durable-log.ts';
import { PendingDeltas, ViewStore } from '../src/store/view-store.ts';
import { report } from './measure.ts';

const RATE = 10_000;
const MINUTES = 60;
const pipeline = readFileSync(new URL('../pipelines/website-security.sql', import.meta.url), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'tw-recovery-bench-'));
const options = { autoEpoch: false, idleTimeoutMs: 0, contentsKeptOutside: true };
const generator = new TrafficGenerator({ seed: 1, rate: RATE, startMs: Date.parse('2024-01-25T00:00:00Z') });
const engine = new Engine(options);
await engine.execute(pipeline);
const store = await ViewStore.open(join(dir, 'tidewatch.duckdb'));
for (const v of engine.list('materialized view'))
  await store.defineView(
    v,
    (engine.getRelation(v)?.columns ?? []).map((c) => ({ name: c.name, type: c.type })),
  );
await store.defineSource(
  'website_logs_source',
  (engine.getRelation('website_logs_source')?.columns ?? []).map((c) => ({ name: c.name, type: c.type })),
);
store.setRetention('website_logs_source', { hours: 24, bytes: 1024 ** 3 });
const pending = new PendingDeltas();
engine.onStoreCommit((view, delta) => pending.add(view, delta));
engine.onSourceInput((source, rows) => pending.addRaw(source, rows));

/** Runs one simulated second and commits it (with the engine's state unless `withState` is false). */
async function epoch(
  withState: boolean,
): Promise<{ changed: number; state: number; bytes: number; commit: number }> {
  engine.push(
    'website_logs_source',
    Array.from({ length: RATE }, () => toSourceRecord(generator.next())),
  );
  engine.flush();
  const deltas = pending.take();
  const t0 = performance.now();
  const state = withState ? serialize({ engine: engine.checkpoint(), offsets: {} }) : undefined;
  const t1 = performance.now();
  await store.commit(engine.epoch, deltas, state, pending.takeRaw());
  const t2 = performance.now();
  let changed = 0;
  for (const d of deltas.values()) changed += d.rows.length;
  return { changed, state: t1 - t0, bytes: state?.byteLength ?? 0, commit: t2 - t1 };
}

const ms = (t: number) => `${t.toFixed(1)} ms`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
const samples: Awaited<ReturnType<typeof epoch>>[] = [];

console.log(
  `recovery: ${MINUTES} simulated minutes at ${RATE.toLocaleString('en-US')} events/s through the 5 reference views, an epoch per simulated second, each committed`,
);
console.log(
  '  minute  view rows  changed rows/epoch  state   checkpoint+serialize  commit (one transaction)',
);
for (let minute = 1; minute <= MINUTES; minute++) {
  for (let second = 0; second < 60; second++) samples.push(await epoch(true));
  if (minute === 1 || minute % 15 === 0) {
    const last = samples.slice(-60);
    const avg = (f: (s: (typeof last)[number]) => number) => last.reduce((n, s) => n + f(s), 0) / last.length;
    const rows = engine.viewStats().reduce((n, v) => n + v.rows, 0);
    console.log(
      `  ${String(minute).padStart(6)}  ${String(rows).padStart(9)}  ${String(Math.round(avg((s) => s.changed))).padStart(18)}  ${kib(avg((s) => s.bytes)).padStart(6)}  ${ms(avg((s) => s.state)).padStart(20)}  ${ms(avg((s) => s.commit)).padStart(24)}`,
    );
  }
}

// Baseline: the same kind of transaction without the state.
const baseline: number[] = [];
for (let i = 0; i < 30; i++) baseline.push((await epoch(false)).commit);
await store.commit(
  engine.epoch + 1,
  pending.take(),
  serialize({ engine: engine.checkpoint(), offsets: {} }),
  pending.takeRaw(),
);
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const lastMinute = samples.slice(-60).map((s) => s.state + s.commit);

// The next epoch's events are in the log but not committed: recovery replays them.
const log = DurableLog.open(join(dir, 'log'), { fsync: 'epoch', lock: false });
log.append(Array.from({ length: RATE }, () => toJsonLine(generator.next())));
log.sync();
log.close();
engine.close();
await store.close();

const r0 = performance.now();
const reopened = await ViewStore.open(join(dir, 'tidewatch.duckdb'));
const saved = await reopened.state();
const r1 = performance.now();
const recovered = new Engine(options);
await recovered.restore(
  (deserialize(saved?.state as Uint8Array) as { engine: EngineCheckpoint }).engine,
  (view) => reopened.rows(view),
);
const r2 = performance.now();
const replayLog = DurableLog.open(join(dir, 'log'), { fsync: 'epoch', lock: false });
let replayed = 0;
for (let offset = 0; offset < replayLog.nextOffset; ) {
  const batch = replayLog.read(offset, { maxRecords: 8192 });
  recovered.push(
    'website_logs_source',
    batch.records.map((bytes) => fromJsonLine(Buffer.from(bytes).toString('utf8'))),
  );
  replayed += batch.records.length;
  offset = batch.nextOffset;
}
recovered.flush();
const r3 = performance.now();
replayLog.close();
recovered.close();
await reopened.close();
rmSync(dir, { recursive: true, force: true });

report([
  ['baseline: commit p50, the epoch changes alone', ms(p50(baseline))],
  [
    'commit p50 over the last minute (checkpoint + serialize + transaction)',
    `${ms(p50(lastMinute))}  (${(p50(lastMinute) / p50(baseline)).toFixed(1)}× baseline)`,
  ],
  ['recovery: open the store and read the state', ms(r1 - r0)],
  ['recovery: rebuild the engine, load its views from the store', ms(r2 - r1)],
  [`recovery: replay ${replayed.toLocaleString('en-US')} events from the log + an epoch`, ms(r3 - r2)],
  ['recovery in all (target < 10 s)', ms(r3 - r0)],
]);
