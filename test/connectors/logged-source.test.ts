import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { deserialize, serialize } from 'node:v8';
import { toSourceRecord } from '../../src/connectors/generator-source.ts';
import { fromJsonLine, LoggedSource } from '../../src/connectors/logged-source.ts';
import { Engine, type EngineCheckpoint } from '../../src/engine/engine.ts';
import { toJsonLine } from '../../src/generator/record.ts';
import { TrafficGenerator } from '../../src/generator/traffic.ts';
import { DurableLog } from '../../src/store/durable-log.ts';

const PIPELINE = readFileSync(new URL('../../pipelines/website-security.sql', import.meta.url), 'utf8');

test('a logged line reads back as the record the engine was given', () => {
  const gen = new TrafficGenerator({ seed: 2, rate: 100, startMs: Date.UTC(2024, 0, 25, 12) });
  for (let i = 0; i < 500; i++) {
    const r = gen.next();
    assert.deepEqual(fromJsonLine(toJsonLine(r)), toSourceRecord(r));
  }
});

test('after a crash, a checkpoint plus the log beyond its offset gives the uninterrupted views', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tw-logged-'));
  const gen = new TrafficGenerator({ seed: 3, rate: 200, startMs: Date.UTC(2024, 0, 25, 12) });
  const batches = Array.from({ length: 6 }, () => Array.from({ length: 2000 }, () => gen.next()));
  const options = { autoEpoch: false, idleTimeoutMs: 0 };
  const uninterrupted = new Engine(options);
  await uninterrupted.execute(PIPELINE);
  for (const b of batches) uninterrupted.push('website_logs_source', b.map(toSourceRecord));
  uninterrupted.flush();

  const engine = new Engine(options);
  await engine.execute(PIPELINE);
  const log = DurableLog.open(join(dir, 'log'), { fsync: 'epoch' });
  const source = new LoggedSource(engine, 'website_logs_source', log, 0);
  let checkpoint: { engine: EngineCheckpoint; offset: number } | undefined;
  for (const [i, b] of batches.entries()) {
    source.write(b);
    if (i === 1 || i === 3) {
      engine.flush();
      log.sync();
      checkpoint = deserialize(serialize({ engine: engine.checkpoint(), offset: source.offset }));
    }
  }
  log.close(); // the process dies here: two batches past the last checkpoint are only in the log
  engine.close();

  const recovered = new Engine(options);
  await recovered.restore(checkpoint?.engine as EngineCheckpoint);
  const reopened = DurableLog.open(join(dir, 'log'), { fsync: 'epoch' });
  const resumed = new LoggedSource(recovered, 'website_logs_source', reopened, checkpoint?.offset ?? 0);
  assert.equal(resumed.replay(), 4000);
  recovered.flush();
  for (const v of uninterrupted.list('materialized view'))
    assert.deepEqual(recovered.rows(v), uninterrupted.rows(v), v);
  assert.throws(() =>
    new LoggedSource(recovered, 'website_logs_source', reopened, 0).write(batches[0] ?? []),
  );
  reopened.close();
  recovered.close();
  uninterrupted.close();
  rmSync(dir, { recursive: true, force: true });
});
