/**
 * Input that cannot be read again, made replayable through its durable log (LogInput) and fed
 * by the runtime's ingestion loop: a checkpoint plus the log beyond its offset gives the views
 * of an uninterrupted run; writers wait while the reader lags, and the source is held (not
 * idle) meanwhile; units that do not decode become dead letters; a dropped source refuses.
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { deserialize, serialize } from 'node:v8';
import { fromJsonLine, toSourceRecord } from '../../src/connectors/generator-source.ts';
import { LogInput, SourceDropped } from '../../src/connectors/log-input.ts';
import { sourceDecoder } from '../../src/connectors/source-connectors.ts';
import { Engine, type EngineCheckpoint } from '../../src/engine/engine.ts';
import { toJsonLine } from '../../src/generator/record.ts';
import { TrafficGenerator } from '../../src/generator/traffic.ts';
import { Ingestion } from '../../src/runtime/ingestion.ts';
import type { DeadLetter } from '../../src/runtime/source.ts';
import { DurableLog } from '../../src/store/durable-log.ts';

const PIPELINE = readFileSync(new URL('../../pipelines/website-security.sql', import.meta.url), 'utf8');
const SOURCE = 'website_logs_source';

function input(engine: Engine, log: DurableLog, maxLag?: number): LogInput {
  const decoder = sourceDecoder(engine.sourceSpec(SOURCE) as NonNullable<ReturnType<Engine['sourceSpec']>>);
  return new LogInput({
    source: SOURCE,
    log,
    decode: (bytes) => decoder.decode(bytes),
    alive: () => engine.getRelation(SOURCE)?.kind === 'source',
    hold: () => engine.holdIdle(SOURCE),
    ...(maxLag === undefined ? {} : { maxLag }),
  });
}

/** Runs the ingestion of `from` from `offset` until it has read everything the log holds. */
async function ingest(engine: Engine, from: LogInput, offset: number, letters: DeadLetter[] = []) {
  const stop = new AbortController();
  const ingestion = new Ingestion<number>(
    'log',
    { engine, source: SOURCE, caughtUp: () => undefined, deadLetters: (_, l) => letters.push(...l) },
    await from.open(offset),
    offset,
  );
  const run = ingestion.run(stop.signal);
  return {
    ingestion,
    async caughtUp() {
      while (ingestion.position !== from.nextOffset) await new Promise((r) => setTimeout(r, 1));
    },
    async stop() {
      stop.abort();
      await run;
    },
  };
}

test('a logged line reads back as the record the engine was given', () => {
  const gen = new TrafficGenerator({ seed: 2, rate: 100, startMs: Date.UTC(2024, 0, 25, 12) });
  for (let i = 0; i < 500; i++) {
    const r = gen.next();
    assert.deepEqual(fromJsonLine(toJsonLine(r)), toSourceRecord(r));
  }
});

test('after a crash, a checkpoint plus the log beyond its offset gives the uninterrupted views', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tw-log-input-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const gen = new TrafficGenerator({ seed: 3, rate: 200, startMs: Date.UTC(2024, 0, 25, 12) });
  const batches = Array.from({ length: 6 }, () => Array.from({ length: 2000 }, () => gen.next()));
  const options = { autoEpoch: false, idleTimeoutMs: 0 };
  const uninterrupted = new Engine(options);
  await uninterrupted.execute(PIPELINE);
  for (const b of batches) uninterrupted.push(SOURCE, b.map(toSourceRecord));
  uninterrupted.flush();

  const engine = new Engine(options);
  await engine.execute(PIPELINE);
  const log = DurableLog.open(join(dir, 'log'), { fsync: 'epoch' });
  const generated = input(engine, log);
  const feeding = await ingest(engine, generated, 0);
  let checkpoint: { engine: EngineCheckpoint; offset: number } | undefined;
  for (const [i, b] of batches.entries()) {
    // Half the batches come with their records decoded, half are read back from the log.
    await generated.append(b.map(toJsonLine), i % 2 === 0 ? b.map(toSourceRecord) : undefined);
    await feeding.caughtUp();
    if (i === 1 || i === 3) {
      engine.flush();
      log.sync();
      const offset = feeding.ingestion.position as number;
      checkpoint = deserialize(serialize({ engine: engine.checkpoint(), offset }));
    }
  }
  await feeding.stop();
  log.close(); // the process dies here: two batches past the last checkpoint are only in the log
  engine.close();

  const recovered = new Engine(options);
  await recovered.restore(checkpoint?.engine as EngineCheckpoint);
  const reopened = DurableLog.open(join(dir, 'log'), { fsync: 'epoch' });
  const resumed = input(recovered, reopened);
  assert.equal(checkpoint?.offset, 8000);
  const replay = await ingest(recovered, resumed, checkpoint?.offset ?? 0);
  await replay.caughtUp();
  await replay.stop();
  recovered.flush();
  assert.equal(replay.ingestion.status().records, 4000);
  for (const v of uninterrupted.list('materialized view'))
    assert.deepEqual(recovered.rows(v), uninterrupted.rows(v), v);
  reopened.close();
  recovered.close();
  uninterrupted.close();
});

test('writers wait while the reader lags, and the source is held, not idle, meanwhile', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tw-log-input-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let now = Date.UTC(2024, 0, 25, 12);
  const engine = new Engine({ autoEpoch: false, idleTimeoutMs: 1000, now: () => now });
  await engine.execute(PIPELINE);
  const log = DurableLog.open(join(dir, 'log'), { fsync: 'never' });
  const generated = input(engine, log, 100);
  const gen = new TrafficGenerator({ seed: 4, rate: 100, startMs: now });
  const batch = () => Array.from({ length: 80 }, () => gen.next());
  const first = batch();
  assert.equal(generated.append(first.map(toJsonLine)), undefined, '80 behind: no wait');
  const wait = generated.append(batch().map(toJsonLine));
  assert.ok(wait instanceof Promise, '160 behind the reader: the writer waits');
  engine.push(SOURCE, first.slice(0, 1).map(toSourceRecord));
  engine.flush();
  const watermark = () => engine.sourceStats()[0]?.watermark;
  const before = watermark();
  now += 60_000; // a minute of waiting for the reader
  engine.flush();
  assert.equal(watermark(), before, 'held: the idle clock did not move the watermark');
  const feeding = await ingest(engine, generated, 0);
  await wait; // the reader caught up: the writer goes on
  await feeding.caughtUp();
  await feeding.stop();
  assert.equal(feeding.ingestion.status().records, 160);
  log.close();
  engine.close();
});

test('a log read back in one go is pushed in slices: the event loop turns meanwhile', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tw-log-input-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const engine = new Engine({ autoEpoch: false, idleTimeoutMs: 0 });
  await engine.execute(PIPELINE);
  const log = DurableLog.open(join(dir, 'log'), { fsync: 'never' });
  const generated = input(engine, log, Number.POSITIVE_INFINITY);
  const gen = new TrafficGenerator({ seed: 5, rate: 200, startMs: Date.UTC(2024, 0, 25, 12) });
  const total = 40_960;
  for (let i = 0; i < total; i += 1024)
    generated.append(Array.from({ length: 1024 }, () => toJsonLine(gen.next())));
  // Everything is in the log before the reader starts: each of its batches is ready at once.
  let pushedWhenTurned: number | undefined;
  const feeding = await ingest(engine, generated, 0);
  setImmediate(() => {
    pushedWhenTurned = feeding.ingestion.status().records;
  });
  await feeding.caughtUp();
  await feeding.stop();
  assert.equal(feeding.ingestion.status().records, total);
  assert.ok(
    pushedWhenTurned !== undefined && pushedWhenTurned < total / 2,
    `the event loop turned after ${pushedWhenTurned} of ${total} records`,
  );
  log.close();
  engine.close();
});

test('a unit that does not decode is a dead letter; a dropped source refuses writes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tw-log-input-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const engine = new Engine({ autoEpoch: false, idleTimeoutMs: 0 });
  await engine.execute(PIPELINE);
  const log = DurableLog.open(join(dir, 'log'), { fsync: 'never' });
  const generated = input(engine, log);
  const gen = new TrafficGenerator({ seed: 5, rate: 100, startMs: Date.UTC(2024, 0, 25, 12) });
  const good = toJsonLine(gen.next());
  generated.append([good, '{"request_timestamp": ', good]);
  const letters: DeadLetter[] = [];
  const feeding = await ingest(engine, generated, 0, letters);
  await feeding.caughtUp();
  await feeding.stop();
  assert.equal(feeding.ingestion.status().records, 2);
  assert.deepEqual(
    letters.map((l) => [l.position, l.raw]),
    [['offset 1', '{"request_timestamp": ']],
  );
  assert.match(letters[0]?.reason ?? '', /JSON/);
  await engine.execute(`DROP SOURCE ${SOURCE} CASCADE`);
  assert.throws(() => generated.append([good]), SourceDropped);
  log.close();
  engine.close();
});

test('a reader waiting for appends leaves no listener on its stop signal behind once woken', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tw-log-input-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const engine = new Engine({ autoEpoch: false, idleTimeoutMs: 0 });
  await engine.execute(PIPELINE);
  const log = DurableLog.open(join(dir, 'log'), { fsync: 'never' });
  t.after(() => log.close());
  const from = input(engine, log);
  const reader = await from.open(0);
  const stop = new AbortController();
  const gen = new TrafficGenerator({ seed: 3, rate: 100, startMs: Date.UTC(2024, 0, 25, 12) });
  for (let i = 0; i < 200; i++) {
    const waiting = reader.next(stop.signal);
    await new Promise((r) => setImmediate(r)); // the reader is waiting now
    const record = gen.next();
    from.append([toJsonLine(record)], [toSourceRecord(record)]);
    const batch = await waiting;
    assert.equal(batch?.rows.length, 1);
  }
  assert.ok(
    getEventListeners(stop.signal, 'abort').length <= 1,
    `${getEventListeners(stop.signal, 'abort').length} listeners`,
  );
  const waiting = reader.next(stop.signal);
  stop.abort();
  assert.equal(await waiting, undefined);
});
