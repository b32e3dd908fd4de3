/**
 * Views built again in place (`Engine.replaceViews`): from a checkpoint whose operators this code
 * builds otherwise (a one-sided ON condition that now filters before the join), and with a new
 * definition. The rebuilt views are computed from the tables as they are and from each source's
 * retained raw events replayed into them alone; they then go on as an engine that ran them from
 * the start would, the views around them untouched, and a restore of what they became needs no
 * rebuild.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { deserialize, serialize } from 'node:v8';
import { toSourceRecord } from '../../src/connectors/generator-source.ts';
import { Engine, type EngineCheckpoint } from '../../src/engine/engine.ts';
import { TrafficGenerator } from '../../src/generator/traffic.ts';
import type { Row } from '../../src/stream/value.ts';

const REFERENCE = readFileSync(new URL('../../pipelines/website-security.sql', import.meta.url), 'utf8');

// It reads the source through the same tumble and filter as errors_per_ip, which the dataflow shares.
const NOISY = (minimum: string) => `CREATE MATERIALIZED VIEW noisy AS
  WITH e AS (
    SELECT ip_address, window_start, COUNT(*) AS errors
    FROM TUMBLE(website_logs_source, request_timestamp, INTERVAL '1 MINUTE')
    WHERE status_code >= 400 GROUP BY ip_address, window_start
  )
  SELECT e.ip_address, e.window_start, e.errors
  FROM e JOIN limits AS l ON l.name = 'errors' AND e.errors >= ${minimum}`;

const OURS = [
  'CREATE TABLE limits (name VARCHAR PRIMARY KEY, value INT)',
  "INSERT INTO limits VALUES ('errors', 2)",
  `CREATE MATERIALIZED VIEW errors_per_ip AS
    SELECT ip_address, window_start, COUNT(*) AS errors
    FROM TUMBLE(website_logs_source, request_timestamp, INTERVAL '1 MINUTE')
    WHERE status_code >= 400 GROUP BY ip_address, window_start`,
  NOISY('l.value'),
  'CREATE MATERIALIZED VIEW noisy_count AS SELECT COUNT(*) AS n FROM noisy',
  "CREATE SINK noisy_out FROM noisy WITH (connector = 'blackhole')",
];

const START = Date.UTC(2024, 0, 25, 12, 0, 0);

/** An engine running the reference pipeline and ours, and what its source was given, per epoch. */
async function running(statements: readonly string[] = OURS) {
  let now = START;
  const engine = new Engine({ autoEpoch: false, idleTimeoutMs: 0, now: () => now });
  await engine.execute(REFERENCE);
  for (const sql of statements) await engine.execute(sql);
  const epochs: Row[][] = [];
  let open: Row[] = [];
  engine.onSourceInput((_source, rows) => open.push(...rows));
  engine.onEpoch(() => {
    if (open.length > 0) epochs.push(open);
    open = [];
  });
  const gen = new TrafficGenerator({
    seed: 9,
    rate: 200,
    startMs: START,
    attacks: [{ scenario: 'path-scan' }],
  });
  const feed = (engines: readonly Engine[], count: number) => {
    for (let i = 0; i < count; i++) {
      now += 5000;
      const records = Array.from({ length: 500 }, () => toSourceRecord(gen.next()));
      // Late errors of one address: dropped as they come, and so when replayed.
      const t = records[0]?.request_timestamp as number;
      for (let k = 0; k < 3; k++)
        records.push({
          ...records[0],
          ip_address: '203.0.113.99',
          status_code: 404,
          request_timestamp: t - 600e6,
        });
      for (const e of engines) {
        e.push('website_logs_source', records);
        e.flush();
      }
    }
  };
  const retained = async function* (): AsyncGenerator<Row[]> {
    yield* epochs;
  };
  return { engine, feed, retained, options: { autoEpoch: false, idleTimeoutMs: 0, now: () => now } };
}

/** Entries of state the operators hold: closed windows' are dropped. */
function held(e: Engine): number {
  return e.operatorStats().reduce((sum, op) => sum + op.stateSize, 0);
}

function views(e: Engine): Record<string, Row[]> {
  return Object.fromEntries(e.list('materialized view').map((v) => [v, e.rows(v)]));
}

/** A whole checkpoint as a version whose binder did not filter `noisy`'s one-sided condition would save it. */
function withoutNoisyFilter(cp: EngineCheckpoint): EngineCheckpoint {
  const ops = [...(cp.dataflow as { name: string }[])];
  const end = ops.findIndex((op) => op.name === 'view noisy');
  const start = ops.findLastIndex((op, i) => i < end && op.name.startsWith('view '));
  const filter = ops.findIndex((op, i) => i > start && i < end && op.name === 'filter');
  assert.ok(filter > 0, 'noisy filters a side before its join');
  ops.splice(filter, 1);
  const header = ops[0] as unknown as { operators: number };
  ops[0] = { ...header, operators: header.operators - 1 } as never;
  return { ...cp, dataflow: ops };
}

test('a view whose operators a checkpoint saved otherwise is rebuilt from retained input, the rest restored', async () => {
  const { engine: original, feed, retained, options } = await running();
  feed([original], 30);
  const saved = deserialize(serialize(withoutNoisyFilter(original.checkpoint()))) as EngineCheckpoint;
  assert.ok(original.rows('noisy').length > 3, `noisy rows: ${original.rows('noisy').length}`);

  const restored = new Engine(options);
  await restored.restore(saved);
  assert.deepEqual(restored.staleViews(), ['noisy']);
  // The views whose operators matched are as they were; the stale one is empty.
  const before = views(original);
  for (const name of ['errors_per_ip', 'noisy_count', 'website_user_metrics', 'top_user_actions'])
    assert.deepEqual(restored.rows(name), before[name], name);
  assert.deepEqual(restored.rows('noisy'), []);

  const rebuilt = await restored.replaceViews(new Map(), retained);
  assert.deepEqual(rebuilt, ['noisy', 'noisy_count']);
  assert.deepEqual(restored.staleViews(), []);
  assert.deepEqual(views(restored), views(original), 'rebuilt from the retained events');
  assert.ok((original.sourceStats().find((s) => s.name === 'website_logs_source')?.lateRows ?? 0) > 0);
  assert.equal(held(restored), held(original), 'the windows the watermark closed hold nothing');
  assert.deepEqual(
    restored.sinks().map((s) => s.name),
    ['noisy_out'],
  );
  // Every view goes on as the original: rebuilt ones saw their input once.
  feed([original, restored], 10);
  assert.deepEqual(views(restored), views(original), 'after more traffic');
  // What the rebuild committed restores as it is, with no view stale.
  const again = new Engine(options);
  await again.restore(deserialize(serialize(restored.checkpoint())) as EngineCheckpoint);
  assert.deepEqual(again.staleViews(), []);
  assert.deepEqual(views(again), views(original));
});

test('a new definition replaces a view in place: its readers rebuilt, its sink kept, one delta of the difference', async () => {
  const { engine, feed, retained } = await running();
  feed([engine], 30);
  const { engine: reference, feed: feedReference } = await running(
    OURS.map((sql) => (sql.startsWith('CREATE MATERIALIZED VIEW noisy AS') ? NOISY('l.value + 1') : sql)),
  );
  feedReference([reference], 30);
  const old = engine.rows('noisy');
  const deltas: { view: string; rows: Row[]; weights: number[] }[] = [];
  engine.onStoreCommit((view, delta) =>
    deltas.push({ view, rows: [...delta.rows], weights: [...delta.weights] }),
  );
  const before = engine.catalogHistory.length;

  const rebuilt = await engine.replaceViews(new Map([['noisy', NOISY('l.value + 1')]]), retained);
  assert.deepEqual(rebuilt, ['noisy', 'noisy_count']);
  assert.deepEqual(engine.rows('noisy'), reference.rows('noisy'));
  assert.deepEqual(engine.rows('noisy_count'), reference.rows('noisy_count'));
  assert.deepEqual(engine.rows('website_user_metrics'), reference.rows('website_user_metrics'));
  // The view's delta takes back only the rows the new definition leaves out (2 errors, not 3).
  const noisy = deltas.filter((d) => d.view === 'noisy');
  assert.equal(noisy.length, 1);
  const gone = old.filter((r) => r[2] === 2);
  assert.ok(gone.length > 0 && gone.length < old.length, `${gone.length} of ${old.length} rows go`);
  assert.equal(noisy[0]?.rows.length, gone.length);
  assert.ok(noisy[0]?.weights.every((w) => w === -1));
  assert.deepEqual(engine.catalogHistory.slice(before), [
    'DROP SINK "noisy_out"',
    'DROP MATERIALIZED VIEW "noisy_count" CASCADE',
    'DROP MATERIALIZED VIEW "noisy" CASCADE',
    NOISY('l.value + 1'),
    'CREATE MATERIALIZED VIEW noisy_count AS SELECT COUNT(*) AS n FROM noisy',
    "CREATE SINK noisy_out FROM noisy WITH (connector = 'blackhole')",
  ]);
  assert.match(
    engine.relations().find((r) => r.name === 'noisy')?.definition ?? '',
    /e\.errors >= l\.value \+ 1/,
  );
  // A restore builds the same operators from that history, and both go on alike.
  const restored = new Engine({ autoEpoch: false, idleTimeoutMs: 0 });
  await restored.restore(deserialize(serialize(engine.checkpoint())) as EngineCheckpoint);
  assert.deepEqual(restored.staleViews(), []);
  assert.deepEqual(views(restored), views(engine));
});

test('a view whose columns change is refused while a sink reads it, with what to do', async () => {
  const { engine, feed, retained } = await running();
  feed([engine], 3);
  const wider = NOISY('l.value').replace('e.errors\n', 'e.errors, l.value AS minimum\n');
  await assert.rejects(
    engine.replaceViews(new Map([['noisy', wider]]), retained),
    (e: Error & { sqlstate?: string }) => {
      assert.equal(e.sqlstate, '2BP01');
      assert.match(e.message, /the columns of materialized view noisy change, and sink noisy_out reads it/);
      return true;
    },
  );
});

test('without a sink, a view may change its columns', async () => {
  const { engine, feed, retained } = await running(OURS.slice(0, -1));
  feed([engine], 20);
  const wider = NOISY('l.value').replace('e.errors\n', 'e.errors, l.value AS minimum\n');
  const old = engine.rows('noisy');
  await engine.replaceViews(new Map([['noisy', wider]]), retained);
  assert.deepEqual(
    engine.rows('noisy'),
    old.map((r) => [...r, 2]),
  );
});
