// Durability costs of `start`: the commit of an epoch (checkpoint: snapshot, serialize,
// write + fsync + rename) as the state grows, and the recovery after one hour of data at
// 10,000 events/s (target: under 10 s): read + check the checkpoint, rebuild the engine from
// it, replay the last epoch's events from the durable log. Baseline: writing the same
// checkpoint bytes to a file with one fsync.
import { closeSync, fsyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { toSourceRecord } from '../src/connectors/generator-source.ts';
import { LoggedSource } from '../src/connectors/logged-source.ts';
import { Engine, type EngineCheckpoint } from '../src/engine/engine.ts';
import { TrafficGenerator } from '../src/generator/traffic.ts';
import { CheckpointFiles } from '../src/store/checkpoints.ts';
import { DurableLog } from '../src/store/durable-log.ts';
import { report } from './measure.ts';

const RATE = 10_000;
const MINUTES = 60;
const pipeline = readFileSync(new URL('../pipelines/website-security.sql', import.meta.url), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'tw-recovery-bench-'));
const checkpoints = new CheckpointFiles(join(dir, 'checkpoints'));
const generator = new TrafficGenerator({ seed: 1, rate: RATE, startMs: Date.parse('2024-01-25T00:00:00Z') });
const engine = new Engine({ autoEpoch: false, idleTimeoutMs: 0 });
await engine.execute(pipeline);

const ms = (t: number) => `${t.toFixed(1)} ms`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** Commits the current epoch as `start` does; returns its parts' times and the bytes. */
function commit(epoch: number): { snapshot: number; write: number; bytes: number } {
  const t0 = performance.now();
  const payload = serialize({ engine: engine.checkpoint(), offsets: {} });
  const t1 = performance.now();
  checkpoints.write(epoch, payload);
  return { snapshot: t1 - t0, write: performance.now() - t1, bytes: payload.byteLength };
}

console.log(
  `recovery: ${MINUTES} simulated minutes at ${RATE.toLocaleString('en-US')} events/s through the 5 reference views, an epoch per simulated second`,
);
console.log('  minute  view rows  checkpoint  snapshot+serialize  write+fsync');
let last = { snapshot: 0, write: 0, bytes: 0 };
for (let minute = 1; minute <= MINUTES; minute++) {
  for (let second = 0; second < 60; second++) {
    engine.push(
      'website_logs_source',
      Array.from({ length: RATE }, () => toSourceRecord(generator.next())),
    );
    engine.flush();
  }
  if (minute === 1 || minute % 15 === 0) {
    last = commit(engine.epoch);
    const rows = engine.viewStats().reduce((n, v) => n + v.rows, 0);
    console.log(
      `  ${String(minute).padStart(6)}  ${String(rows).padStart(9)}  ${mib(last.bytes).padStart(10)}  ${ms(last.snapshot).padStart(18)}  ${ms(last.write).padStart(11)}`,
    );
  }
}

// The last epoch's events are in the log but not in the checkpoint: recovery replays them.
const log = DurableLog.open(join(dir, 'log'), { fsync: 'epoch', lock: false });
new LoggedSource(engine, 'website_logs_source', log, 0).write(
  Array.from({ length: RATE }, () => generator.next()),
);
log.sync();
log.close();
engine.close();

const baselineFile = join(dir, 'baseline');
const b0 = performance.now();
const fd = openSync(baselineFile, 'w');
writeSync(fd, new Uint8Array(last.bytes));
fsyncSync(fd);
closeSync(fd);
const baseline = performance.now() - b0;

const r0 = performance.now();
const latest = checkpoints.latest();
const r1 = performance.now();
const saved = deserialize(latest?.payload as Buffer) as { engine: EngineCheckpoint };
const recovered = new Engine({ autoEpoch: false, idleTimeoutMs: 0 });
await recovered.restore(saved.engine);
const r2 = performance.now();
const reopened = DurableLog.open(join(dir, 'log'), { fsync: 'epoch', lock: false });
const replayed = new LoggedSource(recovered, 'website_logs_source', reopened, 0).replay();
recovered.flush();
const r3 = performance.now();
reopened.close();
recovered.close();
rmSync(dir, { recursive: true, force: true });

report([
  ['baseline: write the checkpoint bytes + one fsync', ms(baseline)],
  [
    'commit of the last epoch (snapshot+serialize, write+fsync)',
    `${ms(last.snapshot + last.write)}  (${((last.snapshot + last.write) / baseline).toFixed(1)}× baseline)`,
  ],
  ['recovery: read and check the checkpoint', ms(r1 - r0)],
  ['recovery: deserialize + rebuild the engine from it', ms(r2 - r1)],
  [`recovery: replay ${replayed.toLocaleString('en-US')} events from the log + an epoch`, ms(r3 - r2)],
  ['recovery in all (target < 10 s)', ms(r3 - r0)],
]);
