/**
 * Event time: watermarks from sources, late rows, state of closed windows, EMIT ON WINDOW
 * CLOSE (asserted on the change stream), idle sources, and out-of-order input within the
 * watermark delay giving exactly the in-order result.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { toSourceRecord } from '../../src/connectors/generator-source.ts';
import { Engine } from '../../src/engine/engine.ts';
import { EventTime } from '../../src/engine/event-time.ts';
import { TrafficGenerator } from '../../src/generator/traffic.ts';
import type { SqlError } from '../../src/sql/errors.ts';
import { numeric } from '../../src/sql/numeric.ts';
import { compareRows, type Row, rowKey } from '../../src/stream/value.ts';

const S = 1_000_000;
const MIN = 60 * S;
const PIPELINE = readFileSync(new URL('../../pipelines/website-security.sql', import.meta.url), 'utf8');

const SOURCE = `CREATE SOURCE s (ts TIMESTAMP, act VARCHAR, v INT,
    WATERMARK FOR ts AS ts - INTERVAL '5 SECONDS') WITH (connector = 'datagen')`;

/** State entries held by the operators whose name starts with `kind`. */
function state(e: Engine, kind: string): number {
  return e
    .operatorStats()
    .filter((o) => o.name.startsWith(kind))
    .reduce((n, o) => n + o.stateSize, 0);
}

/** Every change a view commits: `[row, weight]`, epoch by epoch, sorted within an epoch. */
function changes(e: Engine, view: string): [Row, number][] {
  const seen: [Row, number][] = [];
  e.onViewCommit((name, delta) => {
    if (name !== view) return;
    const epoch = delta.rows.map((row, i): [Row, number] => [row, delta.weights[i] as number]);
    seen.push(...epoch.sort((a, b) => compareRows(a[0], b[0])));
  });
  return seen;
}

test('late rows are dropped and counted, closed windows free their state, the view keeps its rows', async () => {
  const e = new Engine({ autoEpoch: false, idleTimeoutMs: 0 });
  await e.execute(SOURCE);
  await e.execute(`CREATE MATERIALIZED VIEW c AS SELECT window_start, COUNT(*) AS n, SUM(v) AS total
      FROM TUMBLE(s, ts, INTERVAL '1 MINUTE') GROUP BY window_start`);
  e.push('s', [
    [10 * S, 'a', 1],
    [70 * S, 'a', 2],
  ]);
  e.flush(); // watermark 65 s: the window at 0 is closed
  assert.equal(state(e, 'aggregate'), 1, 'only the open window keeps state');
  e.push('s', [
    [59 * S, 'a', 100],
    [null, 'a', 1000],
    [66 * S, 'a', 3],
  ]);
  e.flush();
  assert.deepEqual(e.rows('c'), [
    [0, 1, 1],
    [MIN, 2, 5],
  ]);
  const [stats] = (await e.execute('SELECT * FROM tidewatch_source_stats')).map((r) => r.rows);
  assert.deepEqual(stats, [['s', 3, 2, 70 * S, 65 * S, false]]);
  await assert.rejects(
    e.execute('CREATE MATERIALIZED VIEW x AS SELECT * FROM tidewatch_source_stats'),
    (err: unknown) => (err as SqlError).sqlstate === '0A000',
  );
  e.close();
});

test('EMIT ON WINDOW CLOSE: each row once, final, when the watermark passes; aggregates, top-N, window functions', async () => {
  const e = new Engine({ autoEpoch: false, idleTimeoutMs: 0 });
  await e.execute(SOURCE);
  const perMinute = `SELECT act, COUNT(*) AS n, window_start FROM TUMBLE(s, ts, INTERVAL '1 MINUTE')
      GROUP BY act, window_start`;
  await e.execute(`CREATE MATERIALIZED VIEW live AS ${perMinute}`);
  await e.execute(`CREATE MATERIALIZED VIEW final AS ${perMinute} EMIT ON WINDOW CLOSE`);
  await e.execute(`CREATE MATERIALIZED VIEW top1 AS SELECT act, n, window_start FROM (
        SELECT act, COUNT(*) AS n, window_start,
          ROW_NUMBER() OVER (PARTITION BY window_start ORDER BY COUNT(*) DESC, act) AS r
        FROM TUMBLE(s, ts, INTERVAL '1 MINUTE') GROUP BY act, window_start) AS ranked
      WHERE r <= 1 EMIT ON WINDOW CLOSE`);
  await e.execute(`CREATE MATERIALIZED VIEW cum AS SELECT act, window_start,
        SUM(COUNT(*)) OVER (PARTITION BY window_start ORDER BY act) AS running
      FROM TUMBLE(s, ts, INTERVAL '1 MINUTE') GROUP BY act, window_start EMIT ON WINDOW CLOSE`);
  const finals = changes(e, 'final');
  const tops = changes(e, 'top1');
  const cums = changes(e, 'cum');
  // Window 0 fills over three epochs; its counts change each time in `live` only.
  for (const batch of [
    [1, 'a'],
    [2, 'b'],
    [3, 'a'],
  ] as const) {
    e.push('s', [[batch[0] * S, batch[1], 0]]);
    e.flush();
  }
  assert.equal(e.rows('live').length, 2);
  assert.deepEqual([finals, tops, cums], [[], [], []], 'nothing before the window closes');
  e.push('s', [
    [64 * S, 'c', 0],
    [66 * S, 'a', 0],
  ]); // watermark 61 s: window 0 closes
  e.flush();
  e.push('s', [[200 * S, 'b', 0]]); // closes window 60 s
  e.flush();
  assert.deepEqual(finals, [
    [['a', 2, 0], 1],
    [['b', 1, 0], 1],
    [['a', 1, MIN], 1],
    [['c', 1, MIN], 1],
  ]);
  assert.deepEqual(tops, [
    [['a', 2, 0], 1],
    [['a', 1, MIN], 1],
  ]);
  // SUM of bigint counts is numeric
  const n = (c: bigint) => numeric(c, 0);
  assert.deepEqual(cums, [
    [['a', 0, n(2n)], 1],
    [['b', 0, n(3n)], 1],
    [['a', MIN, n(1n)], 1],
    [['c', MIN, n(2n)], 1],
  ]);
  const closed = e.rows('live').filter((r) => (r[2] as number) < 2 * MIN);
  assert.deepEqual(e.rows('final'), closed, 'the final rows are the live rows of the closed windows');
  assert.equal(state(e, 'emit_on_window_close'), 3, 'only the open window (3 views × 1 row) is held');
  e.close();
});

test('EMIT ON WINDOW CLOSE without a watermark column is refused with 0A000 and leaves nothing behind', async () => {
  const e = new Engine({ autoEpoch: false });
  await e.execute(SOURCE);
  const before = e.operatorStats().length;
  await assert.rejects(
    e.execute(
      'CREATE MATERIALIZED VIEW x AS SELECT act, COUNT(*) AS n FROM s GROUP BY act EMIT ON WINDOW CLOSE',
    ),
    (err: unknown) => (err as SqlError).sqlstate === '0A000',
  );
  assert.equal(e.operatorStats().length, before);
  await e.execute('CREATE MATERIALIZED VIEW x AS SELECT act, COUNT(*) AS n FROM s GROUP BY act');
  e.push('s', [[1, 'a', 0]]);
  e.flush();
  assert.deepEqual(e.rows('x'), [['a', 1]]);
  e.close();
});

test('an idle source closes its last window within the idle timeout plus one epoch', async () => {
  let now = Date.UTC(2026, 0, 1);
  const e = new Engine({ autoEpoch: false, idleTimeoutMs: 5000, now: () => now });
  await e.execute(SOURCE);
  await e.execute(`CREATE MATERIALIZED VIEW final AS SELECT COUNT(*) AS n, window_start
      FROM TUMBLE(s, ts, INTERVAL '1 MINUTE') GROUP BY window_start EMIT ON WINDOW CLOSE`);
  const t = Date.UTC(2024, 0, 25, 12, 0, 0) * 1000;
  e.push('s', [
    [t + S, 'a', 0],
    [t + 61 * S, 'a', 0],
  ]);
  e.flush();
  assert.deepEqual(e.rows('final'), [], 'watermark 56 s: nothing closed yet');
  now += 4999;
  e.flush();
  assert.deepEqual(e.rows('final'), [], 'not idle yet');
  now += 1;
  e.flush();
  assert.deepEqual(
    e.rows('final'),
    [
      [1, t],
      [1, t + MIN],
    ],
    'the first epoch after the idle timeout closes every window',
  );
  const [stats] = e.sourceStats();
  assert.equal(stats?.idle, true);
  e.close();
});

test('an idle source closes its last window on the epoch timer', async () => {
  const e = new Engine({ epochMs: 20, idleTimeoutMs: 200 });
  await e.execute(SOURCE);
  await e.execute(`CREATE MATERIALIZED VIEW final AS SELECT COUNT(*) AS n, window_start
      FROM TUMBLE(s, ts, INTERVAL '1 MINUTE') GROUP BY window_start EMIT ON WINDOW CLOSE`);
  const start = Date.now();
  e.push('s', [[Date.UTC(2024, 0, 25) * 1000, 'a', 0]]);
  while (e.rows('final').length === 0 && Date.now() - start < 10_000)
    await new Promise((r) => setTimeout(r, 10));
  const elapsed = Date.now() - start;
  assert.deepEqual(e.rows('final'), [[1, Date.UTC(2024, 0, 25) * 1000]]);
  assert.ok(elapsed >= 200, `closed after ${elapsed} ms, before the idle timeout`);
  e.close();
});

test('input shuffled within the watermark delay gives exactly the in-order views', async () => {
  const gen = new TrafficGenerator({ seed: 11, rate: 100, startMs: Date.UTC(2024, 0, 25, 12, 0, 0) });
  const sorted = Array.from({ length: 24_000 }, () => toSourceRecord(gen.next())).sort(
    (a, b) => (a.request_timestamp as number) - (b.request_timestamp as number),
  );
  // Each record moves later by up to 4.9 s of event time: less than the 5 s delay.
  let seed = 3;
  const jitter = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return (seed % 4900) * 1000;
  };
  const shuffled = sorted
    .map((r) => ({ r, at: (r.request_timestamp as number) + jitter() }))
    .sort((a, b) => a.at - b.at)
    .map(({ r }) => r);
  const engines = [new Engine({ autoEpoch: false }), new Engine({ autoEpoch: false })];
  for (const e of engines) await e.execute(PIPELINE);
  const views = engines[0]?.list('materialized view') ?? [];
  const closedRows = (e: Engine, view: string, bound: number) =>
    e.rows(view).filter((row) => (row[row.length - 2] as number) < bound);
  for (let i = 0; i < sorted.length; i += 1000) {
    engines[0]?.push('website_logs_source', sorted.slice(i, i + 1000));
    engines[1]?.push('website_logs_source', shuffled.slice(i, i + 1000));
    for (const e of engines) e.flush();
    // Windows both watermarks have closed hold the same rows after every epoch.
    const bound = Math.min(...engines.map((e) => e.sourceStats()[0]?.watermark ?? 0)) - MIN;
    for (const v of views)
      assert.deepEqual(
        closedRows(engines[1] as Engine, v, bound),
        closedRows(engines[0] as Engine, v, bound),
        v,
      );
  }
  for (const v of views) {
    const [a, b] = engines.map((e) => e.rows(v).map(rowKey).sort());
    assert.deepEqual(b, a, `${v} after all input`);
  }
  assert.equal(engines[1]?.sourceStats()[0]?.lateRows, 0);
  assert.ok((engines[0]?.rows('website_user_metrics').length ?? 0) > 1000);
  for (const e of engines) e.close();
});

test('a temporal filter retracts rows as the clock passes them; NOW() elsewhere in a view is refused', async () => {
  let now = Date.UTC(2026, 0, 1, 12);
  const e = new Engine({ autoEpoch: false, idleTimeoutMs: 0, now: () => now });
  await e.execute('CREATE TABLE t (ts TIMESTAMP, v INT) APPEND ONLY');
  await e.execute(`CREATE MATERIALIZED VIEW recent AS SELECT ts, v FROM t
      WHERE ts > NOW() - INTERVAL '1 hour' AND v > 0`);
  await e.execute(`CREATE MATERIALIZED VIEW recent_count AS SELECT COUNT(*) AS n FROM t
      WHERE NOW() - INTERVAL '1 hour' <= ts`);
  const at = (minutes: number) => (now + minutes * 60_000) * 1000;
  e.push('t', [
    [at(-120), 1],
    [at(-30), 2],
    [at(-10), 3],
    [at(0), 0],
  ]);
  e.flush();
  assert.deepEqual(e.rows('recent'), [
    [at(-30), 2],
    [at(-10), 3],
  ]);
  assert.deepEqual(e.rows('recent_count'), [[3]]);
  now += 25 * 60_000;
  e.flush();
  assert.equal(e.rows('recent').length, 2);
  now += 10 * 60_000; // the row of -30 min is now 65 min old
  e.flush();
  assert.deepEqual(e.rows('recent'), [[at(-45), 3]]);
  assert.deepEqual(e.rows('recent_count'), [[2]]);
  for (const bad of [
    'SELECT ts, NOW() AS seen FROM t',
    'SELECT ts FROM t WHERE ts < NOW()',
    "SELECT ts FROM t WHERE ts > NOW() - INTERVAL '1 hour' OR v > 0",
  ])
    await assert.rejects(
      e.execute(`CREATE MATERIALIZED VIEW bad AS ${bad}`),
      (err: unknown) => (err as SqlError).sqlstate === '0A000',
      bad,
    );
  const [r] = await e.execute("SELECT COUNT(*) FROM t WHERE ts > NOW() - INTERVAL '1 hour'");
  assert.deepEqual(r?.rows, [[2]], 'an ad-hoc query reads the clock once');
  e.close();
});

test('a view with retention drops rows the watermark has left behind by more than the retention', async () => {
  const e = new Engine({ autoEpoch: false, idleTimeoutMs: 0 });
  await e.execute(SOURCE);
  await e.execute(`CREATE MATERIALIZED VIEW m WITH (retention = '2 minutes') AS
      SELECT COUNT(*) AS n, window_start FROM TUMBLE(s, ts, INTERVAL '1 MINUTE') GROUP BY window_start`);
  await e.execute(`CREATE MATERIALIZED VIEW m2 WITH (retention_seconds = 120) AS
      SELECT COUNT(*) AS n, window_start FROM TUMBLE(s, ts, INTERVAL '1 MINUTE') GROUP BY window_start`);
  for (let minute = 0; minute < 6; minute++) {
    e.push('s', [[minute * MIN + 30 * S, 'a', 0]]);
    e.flush();
  }
  // Watermark 5:25 → window_start watermark 5:00; rows with window_start ≤ 3:00 are gone.
  const kept = [
    [1, 4 * MIN],
    [1, 5 * MIN],
  ];
  assert.deepEqual(e.rows('m'), kept);
  assert.deepEqual(e.rows('m2'), kept);
  await assert.rejects(
    e.execute(`CREATE MATERIALIZED VIEW bad WITH (retention = '1 hour') AS SELECT act FROM s`),
    (err: unknown) => (err as SqlError).sqlstate === '0A000',
  );
  await assert.rejects(
    e.execute(`CREATE MATERIALIZED VIEW bad WITH (retention = 'soon') AS SELECT ts FROM s`),
    (err: unknown) => (err as SqlError).sqlstate === '22023',
  );
  e.close();
});

test('EventTime: lateness against the watermark sent, idle clock, and a snapshot that restores the same progress', () => {
  const et = new EventTime(0, 5 * S);
  assert.deepEqual(et.admit([[10 * S], [3 * S]], 1000), [[10 * S], [3 * S]], 'no watermark yet: all on time');
  assert.equal(et.advance(1000, 0), 5 * S);
  const rows: Row[] = [[4 * S], [5 * S], [null], [12 * S]];
  assert.deepEqual(et.admit(rows, 2000), [[5 * S], [12 * S]]);
  assert.equal(et.advance(2000, 0), 7 * S);
  assert.equal(et.advance(2000, 0), undefined, 'no advance, nothing sent');
  const copy = new EventTime(0, 5 * S);
  // Restored at 30 s: the time before the restart does not count as idle.
  copy.restore(structuredClone(et.snapshot()), 30_000);
  assert.deepEqual(copy.stats, et.stats);
  assert.deepEqual(copy.stats, { rows: 4, lateRows: 2, maxEventTime: 12 * S, watermark: 7 * S, idle: false });
  assert.equal(copy.advance(30_000 + 999, 1000), undefined, 'not idle yet');
  assert.equal(copy.advance(40_000, 1000), 35 * S, 'idle: the wall clock (40 s) minus the delay');
  assert.equal(copy.stats.idle, true);
});

test('EventTime: while a feeder holds the source (backpressure), waiting is not idleness', () => {
  const et = new EventTime(0, 5 * S);
  et.admit([[10 * S]], 1000);
  assert.equal(et.advance(1000, 0), 5 * S);
  et.hold();
  assert.equal(et.advance(60_000, 1000), undefined, 'held for a minute: not idle, the watermark stays');
  assert.equal(et.stats.idle, false);
  et.release();
  assert.equal(et.advance(60_500, 1000), undefined, 'released: idleness counts from the hold');
  assert.equal(et.advance(61_000, 1000), 56 * S, 'a second after the hold ended: idle');
});

test('EventTime: allowLateness lengthens the delay, never shortens it, never moves the watermark back', () => {
  const et = new EventTime(0, 5 * S);
  et.admit([[100 * S]], 1000);
  assert.equal(et.advance(1000, 0), 95 * S);
  et.allowLateness(60 * S);
  assert.deepEqual(et.admit([[90 * S], [40 * S]], 2000), [], 'behind the watermark already sent: late');
  assert.equal(et.stats.lateRows, 2);
  et.admit([[200 * S]], 3000);
  assert.equal(et.advance(3000, 0), 140 * S, 'the new delay: 200 s − 60 s');
  et.allowLateness(1 * S);
  et.admit([[201 * S]], 4000);
  assert.equal(et.advance(4000, 0), 141 * S, 'still 60 s');
});

test('EventTime: splits read at their own paces — the watermark follows the slowest not idle, an ended one no longer counts', () => {
  const et = new EventTime(0, 5 * S);
  et.admit([[100 * S]], 1000, 'partition 0');
  et.admit([[60 * S]], 1000, 'partition 1');
  assert.equal(et.advance(1000, 0), 55 * S, 'partition 1 is behind: 60 s − 5 s');
  assert.deepEqual(et.admit([[57 * S]], 1500, 'partition 1'), [[57 * S]], 'on time for its own pace');
  et.admit([[80 * S]], 2000, 'partition 1');
  assert.equal(et.advance(2000, 0), 75 * S);
  const copy = new EventTime(0, 5 * S);
  copy.restore(structuredClone(et.snapshot()), 3000);
  et.endSplit('partition 1');
  assert.equal(et.advance(3000, 0), 95 * S, 'partition 1 ended: partition 0 sets the pace');
  assert.equal(copy.advance(3000, 0), undefined, 'restored: both splits still count (75 s)');
  // With an idle timeout, a split that gave nothing for that long stops holding the others back.
  copy.admit([[120 * S]], 5000, 'partition 0');
  assert.equal(copy.advance(5000, 1500), 115 * S, 'partition 1 idle since 3 s');
});
