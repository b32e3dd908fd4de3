/** Engine behaviour: epochs and snapshots, runtime errors per view, sources, DROP, EXPLAIN. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine, type EngineCheckpoint } from '../../src/engine/engine.ts';
import { SqlError } from '../../src/sql/errors.ts';

const MIN = 60_000_000;

test('readers see only completed epochs', async () => {
  const e = new Engine({ autoEpoch: false });
  await e.execute('CREATE TABLE t (k VARCHAR, v INT)');
  await e.execute('CREATE MATERIALIZED VIEW s AS SELECT k, SUM(v) AS total FROM t GROUP BY k');
  await e.execute("INSERT INTO t VALUES ('a', 1), ('a', 2)");
  assert.deepEqual(e.rows('s'), []);
  assert.deepEqual((await e.execute('SELECT * FROM s'))[0]?.rows, []);
  await e.execute('FLUSH');
  assert.deepEqual(e.rows('s'), [['a', 3]]);
  await e.execute("INSERT INTO t VALUES ('a', 10)");
  assert.deepEqual(e.rows('s'), [['a', 3]], 'half an epoch is never visible');
  await e.execute('SET RW_IMPLICIT_FLUSH = true');
  await e.execute("INSERT INTO t VALUES ('b', 5)");
  assert.deepEqual(e.rows('s'), [
    ['a', 13],
    ['b', 5],
  ]);
  e.close();
});

test('writes left for later (deferApply) are logged at once and reach the views before anything else reads or changes the engine', async () => {
  const e = new Engine({ autoEpoch: false });
  await e.execute('CREATE TABLE t (k INT PRIMARY KEY, v INT)');
  await e.execute('CREATE MATERIALIZED VIEW s AS SELECT sum(v) AS total, count(*) AS n FROM t');
  const logged: number[] = [];
  e.onTableWrite((w) => logged.push(w.rows.length));
  assert.deepEqual(e.insertValues('INSERT INTO t VALUES (1, 10), (2, 20)', true), {
    tag: 'INSERT',
    rowCount: 2,
  });
  e.insert('t', [[2, 200]], undefined, true);
  assert.deepEqual(logged, [2, 1], 'logged when called');
  // An UPDATE reads the table: the writes before it are applied first, in order (2 → 200 → 201).
  await e.execute('UPDATE t SET v = v + 1 WHERE k = 2');
  e.insert('t', [[3, 30]], undefined, true);
  e.flush();
  assert.deepEqual(e.rows('s'), [[241, 3]]);
  e.close();
});

test('the epoch timer lets the fsync its written statements wait on answer them first', async () => {
  let release = (): void => {};
  const fsync = new Promise<void>((resolve) => {
    release = resolve;
  });
  let running: Promise<void> | undefined = fsync;
  const e = new Engine({ epochMs: 10, epochsAfter: () => running });
  await e.execute('CREATE TABLE t (v INT)');
  await e.execute('CREATE MATERIALIZED VIEW c AS SELECT count(*) AS n FROM t');
  e.insert('t', [[1], [2]], undefined, true);
  const start = e.epoch;
  // The statement's answer: a few hops after its wait on the fsync, as through the threads.
  const answeredAt = fsync
    .then(() => undefined)
    .then(() => undefined)
    .then(() => e.epoch);
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(e.epoch, start, 'no epoch ends while the fsync runs');
  release();
  running = undefined;
  assert.equal(await answeredAt, start, 'answered before the epoch ends');
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.equal(e.epoch, start + 1, 'then one epoch ends for all the beats that waited');
  assert.deepEqual(e.rows('c'), [[2]]);
  await new Promise((r) => setTimeout(r, 40));
  assert.ok(e.epoch > start + 1, 'and the timer goes on');
  e.close();
});

test('the epoch timer commits on its own', async () => {
  const e = new Engine({ epochMs: 20 });
  await e.execute('CREATE TABLE t (v INT)');
  await e.execute('CREATE MATERIALIZED VIEW c AS SELECT COUNT(*) AS n FROM t');
  await e.execute('INSERT INTO t VALUES (1), (2)');
  const start = e.epoch;
  await new Promise((r) => setTimeout(r, 80));
  assert.ok(e.epoch > start);
  assert.deepEqual(e.rows('c'), [[2]]);
  e.close();
});

test('a runtime error is NULL in its row (as in RisingWave), is counted per view, and the view keeps working', async () => {
  const e = new Engine({ autoEpoch: false });
  await e.execute('CREATE TABLE t (a INT, b INT)');
  await e.execute('CREATE MATERIALIZED VIEW q AS SELECT a, a / b AS r FROM t');
  await e.execute('CREATE MATERIALIZED VIEW ok AS SELECT COUNT(*) AS n FROM t');
  await e.execute('INSERT INTO t VALUES (6, 3), (1, 0), (8, 2)');
  e.flush();
  assert.deepEqual(e.rows('q'), [
    [1, null],
    [6, 2],
    [8, 4],
  ]);
  const stats = Object.fromEntries(e.viewStats().map((s) => [s.name, s]));
  assert.equal(stats.q?.errors, 1);
  assert.match(stats.q?.lastError ?? '', /division by zero/);
  assert.equal(stats.ok?.errors, 0);
  assert.deepEqual(e.rows('ok'), [[3]]);
  await assert.rejects(e.execute('SELECT 1 / 0'), (err: unknown) => (err as SqlError).sqlstate === '22012');
  e.close();
});

test('a source feeds many views once; pushed objects map by column name', async () => {
  const e = new Engine({ autoEpoch: false });
  await e.execute(`CREATE SOURCE logs (ts TIMESTAMP, usr VARCHAR, rt INT,
      WATERMARK FOR ts AS ts - INTERVAL '5 SECONDS') WITH (connector = 'datagen')`);
  await e.execute(`CREATE MATERIALIZED VIEW per_min AS
      SELECT usr, COUNT(*) AS n, window_start FROM TUMBLE(logs, ts, INTERVAL '1 MINUTE')
      GROUP BY usr, window_start`);
  await e.execute(`CREATE MATERIALIZED VIEW hops AS
      SELECT COUNT(*) AS n, window_start FROM HOP(logs, ts, INTERVAL '1 MINUTE', INTERVAL '2 MINUTES')
      GROUP BY window_start`);
  await e.execute(`CREATE MATERIALIZED VIEW slow AS
      SELECT usr, rt FROM logs WHERE rt > 100
      UNION ALL SELECT usr, rt FROM logs WHERE usr = 'b'`);
  e.push('logs', [
    { ts: 30_000_000, usr: 'a', rt: 50 },
    { ts: MIN + 5, usr: 'b', rt: 150 },
    [2 * MIN + 1, 'a', 500],
  ]);
  e.flush();
  assert.deepEqual(e.rows('per_min'), [
    ['a', 1, 0],
    ['a', 1, 2 * MIN],
    ['b', 1, MIN],
  ]);
  assert.deepEqual(e.rows('hops'), [
    [1, -MIN],
    [1, 2 * MIN],
    [2, 0],
    [2, MIN],
  ]);
  assert.deepEqual(e.rows('slow'), [
    ['a', 500],
    ['b', 150],
    ['b', 150],
  ]);
  const sources = e.viewStats().map((s) => s.name);
  assert.deepEqual(sources, ['hops', 'per_min', 'slow']);
  e.close();
});

test('pushed objects are read by column name whatever the name; missing columns are NULL', async () => {
  const e = new Engine({ autoEpoch: false });
  await e.execute(`CREATE TABLE t ("a""b\\c" INT, "x y" TEXT, "constructor" INT, z INT)`);
  await e.execute('CREATE MATERIALIZED VIEW v AS SELECT * FROM t');
  e.push('t', [{ 'a"b\\c': 1, 'x y': 'p', constructor: 3 }, { z: 4 }]);
  e.flush();
  assert.deepEqual(e.rows('v'), [
    [1, 'p', 3, null],
    [null, null, null, 4],
  ]);
  e.close();
});

test('views over one source share its tumble; DROP removes what no view uses any more', async () => {
  const e = new Engine({ autoEpoch: false });
  const names = () => e.operatorStats().map((o) => o.name);
  const count = (name: string) => names().filter((n) => n === name).length;
  await e.execute(`CREATE SOURCE logs (ts TIMESTAMP, usr VARCHAR, rt INT) WITH (connector = 'datagen')`);
  const perMinute = (what: string) => `SELECT ${what}, window_start
      FROM TUMBLE(logs, ts, INTERVAL '1 MINUTE') GROUP BY window_start`;
  await e.execute(`CREATE MATERIALIZED VIEW n AS ${perMinute('COUNT(*) AS n')}`);
  await e.execute(`CREATE MATERIALIZED VIEW m AS ${perMinute('MAX(rt) AS m')}`);
  // A CTE read twice is computed once.
  await e.execute(`CREATE MATERIALIZED VIEW r AS WITH c AS (${perMinute('COUNT(*) AS n')})
      SELECT a.n, b.window_start FROM c AS a JOIN c AS b ON a.window_start = b.window_start`);
  assert.equal(count('tumble'), 1);
  assert.equal(count('aggregate'), 3);
  e.push('logs', [
    [1, 'a', 5],
    [MIN + 1, 'b', 7],
    [MIN + 2, 'a', 9],
  ]);
  e.flush();
  assert.deepEqual(e.rows('r'), [
    [1, 0],
    [2, MIN],
  ]);
  await e.execute('DROP MATERIALIZED VIEW n');
  await e.execute('DROP MATERIALIZED VIEW r');
  assert.equal(count('tumble'), 1, 'm still reads the tumble');
  assert.deepEqual(
    names().filter((n) => n.startsWith('view')),
    ['view m'],
  );
  e.push('logs', [[MIN + 3, 'c', 11]]);
  e.flush();
  assert.deepEqual(e.rows('m'), [
    [5, 0],
    [11, MIN],
  ]);
  await e.execute('DROP MATERIALIZED VIEW m');
  assert.deepEqual(names(), [names()[0]], 'only the source is left');
  await e.execute('DROP SOURCE logs');
  assert.deepEqual(names(), []);
  e.close();
});

test('the epoch in which a new view backfills checkpoints its statement along with its operators', async () => {
  const e = new Engine({ autoEpoch: false });
  await e.execute('CREATE TABLE t (v INT)');
  await e.execute('INSERT INTO t VALUES (1), (2)');
  e.flush();
  let first: EngineCheckpoint | undefined;
  e.onEpoch(() => {
    first ??= e.checkpoint();
  });
  await e.execute('CREATE MATERIALIZED VIEW m AS SELECT v * 10 AS w FROM t');
  assert.ok(first !== undefined);
  const again = new Engine({ autoEpoch: false });
  await again.restore(first);
  assert.deepEqual(again.rows('m'), [[10], [20]]);
  e.close();
  again.close();
});

test('DROP refuses a relation something outside the engine depends on (a subscription) unless CASCADE', async () => {
  const outside = new Map([['a', ['subscription a_changes']]]);
  const e = new Engine({ autoEpoch: false, dependentsOutside: (r) => outside.get(r) ?? [] });
  await e.execute('CREATE TABLE t (v INT)');
  await e.execute('CREATE MATERIALIZED VIEW a AS SELECT v FROM t');
  await assert.rejects(e.execute('DROP MATERIALIZED VIEW a'), (err: unknown) => {
    const x = err as SqlError;
    return x.sqlstate === '2BP01' && x.detail === 'subscription a_changes depends on materialized view a';
  });
  assert.deepEqual(e.list('materialized view'), ['a'], 'a refused DROP drops nothing');
  await e.execute('DROP MATERIALIZED VIEW a CASCADE');
  assert.deepEqual(e.list('materialized view'), []);
  e.close();
});

test('DROP refuses with 2BP01 while dependents exist, CASCADE drops them, the name is reusable', async () => {
  const e = new Engine({ autoEpoch: false });
  await e.execute('CREATE TABLE t (v INT)');
  await e.execute('CREATE MATERIALIZED VIEW a AS SELECT v FROM t');
  await e.execute('CREATE MATERIALIZED VIEW b AS SELECT COUNT(*) AS n FROM a');
  await assert.rejects(e.execute('DROP TABLE t'), (err: unknown) => (err as SqlError).sqlstate === '2BP01');
  await e.execute('DROP TABLE t CASCADE');
  assert.deepEqual(e.list(), []);
  await e.execute('CREATE TABLE t (v INT, w INT)');
  await e.execute('INSERT INTO t VALUES (1, 2)');
  e.flush();
  await e.execute('CREATE MATERIALIZED VIEW a AS SELECT v + w AS s FROM t');
  assert.deepEqual(e.rows('a'), [[3]]);
  e.close();
});

test('statement errors carry SQLSTATEs and leave the engine serving', async () => {
  const e = new Engine({ autoEpoch: false });
  await e.execute('CREATE TABLE t (v INT)');
  const codes: string[] = [];
  for (const sql of [
    'SELECT * FROM missing',
    'SELECT nope FROM t',
    'SELECT * FROM t WHERE v',
    'CREATE TABLE t (v INT)',
    'CREATE MATERIALIZED VIEW m AS SELECT * FROM missing',
  ]) {
    try {
      await e.execute(sql);
      codes.push('ok');
    } catch (err) {
      assert.ok(err instanceof SqlError, String(err));
      codes.push(err.sqlstate);
    }
  }
  assert.deepEqual(codes, ['42P01', '42703', '42804', '42P07', '42P01']);
  assert.deepEqual(e.list(), ['t']);
  const r = await e.execute('INSERT INTO t VALUES (1); FLUSH; SELECT v FROM t');
  assert.deepEqual(r[2]?.rows, [[1]]);
  e.close();
});

test('EXPLAIN prints the plan; SHOW and DESCRIBE list the catalog', async () => {
  const e = new Engine({ autoEpoch: false });
  await e.execute('CREATE TABLE t (k VARCHAR PRIMARY KEY, v INT)');
  const [ex] = await e.execute('EXPLAIN CREATE MATERIALIZED VIEW m AS SELECT k, COUNT(*) FROM t GROUP BY k');
  const text = ex?.rows?.map((r) => r[0]).join('\n') ?? '';
  assert.match(text, /Aggregate/);
  assert.match(text, /Scan t/);
  const [show] = await e.execute('SHOW TABLES');
  assert.deepEqual(show?.rows, [['t']]);
  const [desc] = await e.execute('DESCRIBE t');
  assert.equal(desc?.rows?.length, 2);
  e.close();
});

test('EXPLAIN (TRACE) shows the plan as bound and after each optimizer rule', async () => {
  const e = new Engine({ autoEpoch: false });
  await e.execute('CREATE TABLE a (id INT, k VARCHAR, v INT); CREATE TABLE b (id INT, name VARCHAR)');
  const explain = async (sql: string) => (await e.execute(sql))[0]?.rows?.map((r) => r[0]).join('\n');
  assert.equal(
    await explain(`EXPLAIN (TRACE) SELECT k, v FROM
      (SELECT k, v, row_number() OVER (PARTITION BY k ORDER BY v DESC) AS rn FROM a) s
      WHERE rn <= 3 AND k <> 'z'`),
    `bound plan
  Project k, v
    Filter ((rn <= 3) AND (k <> 'z'))
      Project k, v, row_number AS rn
        Window partition=[k] order=[v DESC] functions=[row_number()]
          Scan a (table)
after rule "rank filter to TopN"
  Project k, v
    Filter (k <> 'z')
      Project k, v, row_number AS rn
        TopN limit=3 partition=[k] order=[v DESC] rank=row_number
          Scan a (table)
after rule "cross join to equi-join": unchanged
after rule "filter into temporal join": unchanged`,
  );
  assert.equal(
    await explain(
      'EXPLAIN (TRACE) CREATE MATERIALIZED VIEW m AS SELECT a.k, b.name FROM a, b WHERE a.id = b.id AND a.v > b.id',
    ),
    `bound plan
  Project k, name
    Filter ((id = id) AND (v > id))
      Join inner on []
        Scan a (table)
        Scan b (table)
after rule "rank filter to TopN": unchanged
after rule "cross join to equi-join"
  Project k, name
    Filter (v > id)
      Join inner on [id = id]
        Scan a (table)
        Scan b (table)
after rule "filter into temporal join": unchanged`,
  );
  // The SELECT list's projection composes with the one the rule leaves, as if bound over it.
  assert.equal(
    await explain(`EXPLAIN (TRACE) SELECT k FROM
      (SELECT k, v, row_number() OVER (PARTITION BY k ORDER BY v DESC) AS rn FROM a) s WHERE rn <= 3`),
    `bound plan
  Project k
    Filter (rn <= 3)
      Project k, v, row_number AS rn
        Window partition=[k] order=[v DESC] functions=[row_number()]
          Scan a (table)
after rule "rank filter to TopN"
  Project k
    TopN limit=3 partition=[k] order=[v DESC] rank=row_number
      Scan a (table)
after rule "cross join to equi-join": unchanged
after rule "filter into temporal join": unchanged`,
  );
  // Without TRACE, EXPLAIN prints the plan the rules made.
  assert.equal(
    await explain('EXPLAIN SELECT a.k FROM a, b WHERE a.id = b.id'),
    `Project k
  Join inner on [id = id]
    Scan a (table)
    Scan b (table)`,
  );
  e.close();
});

test('replaying the catalog history, drops included, rebuilds the same dataflow', async () => {
  const e = new Engine({ autoEpoch: false });
  await e.execute(`CREATE SOURCE logs (ts TIMESTAMP, usr VARCHAR, rt INT) WITH (connector = 'datagen');
    CREATE MATERIALIZED VIEW a AS SELECT usr, COUNT(*) AS n FROM logs GROUP BY usr;
    CREATE MATERIALIZED VIEW b AS SELECT window_start, MAX(rt) AS m
      FROM TUMBLE(logs, ts, INTERVAL '1 MINUTE') GROUP BY window_start;
    CREATE TABLE t (k INT PRIMARY KEY, v INT);
    INSERT INTO t VALUES (1, 2);
    CREATE MATERIALIZED VIEW c AS SELECT window_start, COUNT(*) AS n
      FROM TUMBLE(logs, ts, INTERVAL '1 MINUTE') GROUP BY window_start;
    DROP MATERIALIZED VIEW b;
    SELECT 1`);
  assert.equal(e.catalogHistory.length, 6, 'CREATE ×5 and DROP; not INSERT or SELECT');
  const copy = new Engine({ autoEpoch: false });
  await copy.execute(e.catalogHistory.join(';\n'));
  assert.deepEqual(
    copy.operatorStats().map((o) => o.name),
    e.operatorStats().map((o) => o.name),
  );
  assert.deepEqual(copy.list(), e.list());
  e.close();
  copy.close();
});

test('min/max over a source keep only the extreme; under a temporal filter, which retracts, they keep every value', async () => {
  let now = Date.UTC(2026, 0, 1, 12);
  const e = new Engine({ autoEpoch: false, idleTimeoutMs: 0, now: () => now });
  await e.execute(`CREATE SOURCE logs (ts TIMESTAMP, usr VARCHAR, rt INT) WITH (connector = 'datagen')`);
  await e.execute(`CREATE MATERIALIZED VIEW extremes AS SELECT usr, min(rt) AS lo, max(rt) AS hi, window_start
      FROM TUMBLE(logs, ts, INTERVAL '1 HOUR') WHERE rt > 0 GROUP BY usr, window_start`);
  await e.execute(`CREATE MATERIALIZED VIEW recent AS SELECT max(rt) AS hi FROM logs
      WHERE ts > NOW() - INTERVAL '1 minute'`);
  const at = (minutes: number) => (now + minutes * 60_000) * 1000;
  e.push('logs', [
    [at(-0.9), 'a', 10],
    [at(-0.5), 'a', 5],
    [at(-0.2), 'a', -1],
    [at(-0.1), 'b', 7],
  ]);
  e.flush();
  const windowStart = Math.floor(at(-0.9) / 3_600_000_000) * 3_600_000_000;
  assert.deepEqual(e.rows('extremes'), [
    ['a', 5, 10, windowStart],
    ['b', 7, 7, windowStart],
  ]);
  assert.deepEqual(e.rows('recent'), [[10]]);
  now += 30_000; // the 10 of -0.9 min is now 1.4 min old: gone from `recent`, which falls back to 7
  e.flush();
  assert.deepEqual(e.rows('recent'), [[7]]);
  // The window's aggregate keeps [extreme] per call; the temporal filter's, every value and its count.
  const accumulators = (e.checkpoint().dataflow as unknown[]).flatMap((s) =>
    ((s as { state?: { accs?: unknown[] } } | null)?.state?.accs ?? []).map((a) => JSON.stringify(a)),
  );
  assert.ok(
    accumulators.includes('[[5],[7]]') && accumulators.includes('[[10],[7]]'),
    accumulators.join(' '),
  );
  assert.ok(accumulators.includes('[[[-1,7],[1,1]]]'), accumulators.join(' '));
  const errors = e.viewStats().reduce((n, s) => n + s.errors, 0);
  assert.equal(errors, 0, 'no retraction reached an insert-only min/max');
  e.close();
});
