// Checkpoint cost of the five reference views (pipelines/website-security.sql) after 2 minutes
// of generator traffic, one epoch per simulated second, a 5 s watermark: Engine.checkpoint(),
// v8.serialize of it (time and bytes), and v8.deserialize + Engine.restore into a fresh
// engine; the same-run baseline is v8.serialize of the views' rows alone (what a checkpoint
// that carries the views cannot avoid).
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import { toSourceRecord } from '../src/connectors/generator-source.ts';
import { Engine, type EngineCheckpoint } from '../src/engine/engine.ts';
import { TrafficGenerator } from '../src/generator/traffic.ts';
import { bestOf, report } from './measure.ts';

const MINUTES = 2;
const RATES = [200, 2000];
const ROUNDS = 20;
const pipeline = readFileSync(new URL('../pipelines/website-security.sql', import.meta.url), 'utf8');

/** Every view's rows. */
function views(engine: Engine): Record<string, unknown[]> {
  return Object.fromEntries(engine.list('materialized view').map((v) => [v, engine.rows(v)]));
}

async function measure(rate: number): Promise<void> {
  const generator = new TrafficGenerator({ seed: 1, rate, startMs: Date.parse('2024-01-25T00:00:00Z') });
  const engine = new Engine({ autoEpoch: false, idleTimeoutMs: 0 });
  await engine.execute(pipeline);
  for (let second = 0; second < MINUTES * 60; second++) {
    engine.push(
      'website_logs_source',
      Array.from({ length: rate }, () => toSourceRecord(generator.next())),
    );
    engine.flush();
  }
  const rows = views(engine);
  const viewRows = Object.values(rows).reduce((n, r) => n + r.length, 0);
  const state = engine.operatorStats().reduce((n, o) => n + o.stateSize, 0);

  const baselineBytes = v8.serialize(rows).byteLength;
  const baseline = await bestOf(ROUNDS, 1, () => v8.serialize(rows));
  const snapshot = await bestOf(ROUNDS, 1, () => engine.checkpoint());
  const bytes = v8.serialize(engine.checkpoint());
  const serialize = await bestOf(ROUNDS, 1, () => v8.serialize(engine.checkpoint()));
  const deserialize = await bestOf(ROUNDS, 1, () => v8.deserialize(bytes));
  let restored: Engine | undefined;
  const restore = await bestOf(ROUNDS, 1, async () => {
    restored?.close();
    restored = new Engine({ autoEpoch: false, idleTimeoutMs: 0 });
    await restored.restore(v8.deserialize(bytes) as EngineCheckpoint);
  });
  const same = JSON.stringify(views(restored as Engine)) === JSON.stringify(rows);
  restored?.close();
  engine.close();

  const ms = (seconds: number) => `${(seconds * 1000).toFixed(2)} ms`;
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(
    `snapshot: ${MINUTES} simulated minutes at ${rate} events/s (${(rate * MINUTES * 60).toLocaleString('en-US')} events), 5 reference views, 5 s watermark, an epoch per simulated second`,
  );
  report([
    ['view rows / operator state entries', `${viewRows} / ${state}`],
    ['baseline: v8.serialize of the view rows', `${ms(baseline.seconds)}, ${kib(baselineBytes)}`],
    ['Engine.checkpoint()', ms(snapshot.seconds)],
    [
      'checkpoint + v8.serialize',
      `${ms(serialize.seconds)}, ${kib(bytes.byteLength)}  (${(serialize.seconds / baseline.seconds).toFixed(1)}× the baseline's time, ${(bytes.byteLength / baselineBytes).toFixed(1)}× its bytes)`,
    ],
    ['v8.deserialize of the checkpoint', ms(deserialize.seconds)],
    ['v8.deserialize + Engine.restore (replays the catalog)', ms(restore.seconds)],
    ['restored views equal the original', same ? 'yes' : 'NO'],
  ]);
}

for (const rate of RATES) await measure(rate);
