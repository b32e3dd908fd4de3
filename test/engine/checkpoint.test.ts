/**
 * Engine checkpoints: an engine restored from another's checkpoint (through v8 serialisation,
 * as it will be stored) continues exactly like the original — same view rows, same change
 * stream, same late counts — over generator traffic with watermarks, a table under
 * INSERT/UPDATE/DELETE, EMIT ON WINDOW CLOSE (of an aggregate, of window functions and of
 * session frames), a window frame, a temporal filter and retention.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { deserialize, serialize } from 'node:v8';
import { toSourceRecord } from '../../src/connectors/generator-source.ts';
import { Engine, type EngineCheckpoint } from '../../src/engine/engine.ts';
import { SCENARIOS } from '../../src/generator/scenarios.ts';
import { TrafficGenerator } from '../../src/generator/traffic.ts';
import { formatNumeric } from '../../src/sql/numeric.ts';
import { bigintReplacer } from '../../src/sql/types.ts';
import { compareRows, type Row } from '../../src/stream/value.ts';

const PIPELINE = readFileSync(new URL('../../pipelines/website-security.sql', import.meta.url), 'utf8');
const DETECTIONS = readFileSync(new URL('../../pipelines/detections.sql', import.meta.url), 'utf8');

const EXTRA = `
  CREATE TABLE blocked (ip VARCHAR PRIMARY KEY, reason VARCHAR);
  CREATE MATERIALIZED VIEW blocked_hits AS
    SELECT l.ip_address, b.reason, COUNT(*) AS hits
    FROM website_logs_source AS l JOIN blocked AS b ON l.ip_address = b.ip
    GROUP BY l.ip_address, b.reason;
  CREATE MATERIALIZED VIEW hits_and_blocks AS
    SELECT h.ip_address, h.n, b.reason
    FROM (SELECT ip_address, COUNT(*) AS n FROM website_logs_source GROUP BY ip_address) AS h
    FULL JOIN blocked AS b ON h.ip_address = b.ip;
  CREATE MATERIALIZED VIEW final_errors AS
    SELECT status_code, COUNT(*) AS n, window_start
    FROM TUMBLE(website_logs_source, request_timestamp, INTERVAL '1 MINUTE')
    WHERE status_code >= 400 GROUP BY status_code, window_start EMIT ON WINDOW CLOSE;
  CREATE MATERIALIZED VIEW recent_logins AS
    SELECT username, request_timestamp FROM website_logs_source
    WHERE user_action = 'login' AND request_timestamp > NOW() - INTERVAL '3 MINUTES';
  CREATE MATERIALIZED VIEW per_minute WITH (retention = '5 minutes') AS
    SELECT COUNT(*) AS n, window_start
    FROM TUMBLE(website_logs_source, request_timestamp, INTERVAL '1 MINUTE') GROUP BY window_start;
  CREATE MATERIALIZED VIEW user_sequence AS
    SELECT username, request_timestamp,
      row_number() OVER (PARTITION BY username ORDER BY request_timestamp) AS n,
      lag(status_code) OVER (PARTITION BY username ORDER BY request_timestamp) AS prev_status
    FROM website_logs_source EMIT ON WINDOW CLOSE;
  CREATE MATERIALIZED VIEW user_sessions AS
    SELECT username, request_timestamp, first_value(request_timestamp) OVER (
      PARTITION BY username ORDER BY request_timestamp SESSION WITH GAP INTERVAL '20 seconds') AS session_start
    FROM website_logs_source EMIT ON WINDOW CLOSE;
  CREATE MATERIALIZED VIEW moving_status AS
    SELECT status_code, window_start, n,
      sum(n) OVER (PARTITION BY status_code ORDER BY window_start ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS last3
    FROM (SELECT status_code, window_start, COUNT(*) AS n
      FROM TUMBLE(website_logs_source, request_timestamp, INTERVAL '1 MINUTE') GROUP BY status_code, window_start) AS s`;

/** What each operator holds (groups, rows, memo entries…) and its counters. */
function stateSizes(e: Engine): string[] {
  return e
    .operatorStats()
    .map((s) => `${s.name}: ${s.stateSize} held, ${s.stats.rowsIn} in, ${s.stats.rowsOut} out`);
}

/** Every view's rows, sorted. */
function views(e: Engine): Record<string, Row[]> {
  return Object.fromEntries(e.list('materialized view').map((v) => [v, e.rows(v)]));
}

/**
 * How a test takes checkpoints of `original` after each epoch and restores one into `fresh`:
 * whole checkpoints, or incremental ones (a record per changed operator state) gathered as a
 * store would keep them.
 */
interface Checkpointer {
  readonly options: { readonly incrementalCheckpoints?: boolean };
  /** Called after every epoch of the original. */
  taken(original: Engine, epoch: number): void;
  restore(fresh: Engine): Promise<void>;
}

function wholeCheckpoints(): Checkpointer {
  let bytes: Uint8Array | undefined;
  return {
    options: {},
    taken: (original) => {
      bytes = serialize(original.checkpoint());
    },
    restore: (fresh) => fresh.restore(deserialize(bytes as Uint8Array) as EngineCheckpoint),
  };
}

/**
 * Incremental checkpoints kept as the durable engine keeps them: per operator its last whole
 * state and the deltas after it; an operator's state is taken whole every `wholeEvery` epochs
 * (staggered), else as a delta.
 */
function incrementalCheckpoints(wholeEvery: number): Checkpointer & { deltas: number } {
  let main: Uint8Array | undefined;
  const kept = new Map<number, { kind: 'full' | 'delta'; bytes: Uint8Array }[]>();
  const c = {
    deltas: 0,
    options: { incrementalCheckpoints: true },
    taken: (original: Engine, epoch: number) => {
      const { checkpoint, records } = original.checkpointChanges(
        (op) => epoch === 0 || (epoch + op) % wholeEvery === 0,
      );
      main = serialize(checkpoint);
      for (const r of records) {
        const bytes = serialize(r.state);
        if (r.kind === 'full') kept.set(r.operator, [{ kind: 'full', bytes }]);
        else {
          c.deltas++;
          kept.get(r.operator)?.push({ kind: 'delta', bytes });
        }
      }
    },
    restore: (fresh: Engine) => {
      const records = new Map(
        [...kept].map(([operator, rs]) => [
          operator,
          rs.map((r) => ({ operator, kind: r.kind, state: deserialize(r.bytes) })),
        ]),
      );
      return fresh.restore(deserialize(main as Uint8Array) as EngineCheckpoint, undefined, records);
    },
  };
  return c;
}

/**
 * Runs `sqls` over generator traffic, a table under INSERT/UPDATE/DELETE and a moving clock;
 * restores a new engine from `checkpointer` after epoch `restoreAfter` and checks it continues
 * exactly like the original: same views, same change stream, same source counters.
 */
async function continuesLikeOriginal(sqls: readonly string[], checkpointer: Checkpointer, restoreAfter = 17) {
  const start = Date.UTC(2024, 0, 25, 12, 0, 0);
  let now = start; // processing time follows event time, for the temporal filter
  const options = { autoEpoch: false, idleTimeoutMs: 0, now: () => now, ...checkpointer.options };
  const gen = new TrafficGenerator({
    seed: 5,
    rate: 100,
    startMs: start,
    attacks: SCENARIOS.map((scenario) => ({ scenario })),
  });
  const original = new Engine(options);
  for (const sql of sqls) await original.execute(sql);
  const ips: string[] = [];
  const epochs = Array.from({ length: 40 }, (_, i) => {
    const records = Array.from({ length: 600 }, () => toSourceRecord(gen.next()));
    for (const r of records.slice(0, 3)) ips.push(r.ip_address as string);
    const ip = ips[(i * 7) % ips.length] as string;
    const dml =
      i % 3 === 0
        ? `INSERT INTO blocked VALUES ('${ip}', 'epoch ${i}')`
        : i % 3 === 1
          ? `UPDATE blocked SET reason = 'again ${i}' WHERE ip = '${ip}'`
          : `DELETE FROM blocked WHERE ip = '${ips[(i * 5) % ips.length]}'`;
    return { records, dml };
  });
  const changes = (e: Engine) => {
    const seen: string[] = [];
    e.onViewCommit((view, delta, epoch) => {
      const rows = delta.rows.map((r, i) => [r, delta.weights[i]] as [Row, number]);
      rows.sort((a, b) => compareRows(a[0], b[0]));
      seen.push(JSON.stringify([view, epoch, rows], bigintReplacer));
    });
    return seen;
  };
  const seenOriginal = changes(original);
  const step = async (e: Engine, i: number) => {
    const { records, dml } = epochs[i] as (typeof epochs)[number];
    e.push('website_logs_source', records);
    await e.execute(dml);
    e.flush();
  };

  let restored: Engine | undefined;
  let seenRestored: string[] = [];
  let fromChange = 0;
  for (let i = 0; i < epochs.length; i++) {
    now = start + i * 6000;
    await step(original, i);
    checkpointer.taken(original, i);
    if (restored !== undefined) await step(restored, i);
    if (i === restoreAfter) {
      restored = new Engine(options);
      await checkpointer.restore(restored);
      seenRestored = changes(restored);
      fromChange = seenOriginal.length;
      assert.deepEqual(views(restored), views(original), 'right after the restore');
      assert.deepEqual(restored.sourceStats(), original.sourceStats());
      assert.equal(restored.epoch, original.epoch);
    }
    if (restored !== undefined) {
      assert.deepEqual(stateSizes(restored), stateSizes(original), `state held after epoch ${i}`);
      assert.deepEqual(views(restored), views(original), `after epoch ${i}`);
      assert.deepEqual(restored.sourceStats(), original.sourceStats(), `sources after epoch ${i}`);
    }
  }
  assert.deepEqual(seenRestored, seenOriginal.slice(fromChange), 'the same change stream');
  const counts = Object.entries(views(original)).filter(([, rows]) => rows.length === 0);
  original.close();
  restored?.close();
  return { empty: counts.map(([v]) => v) };
}

test('an engine restored from a checkpoint continues exactly like the original', async () => {
  const { empty } = await continuesLikeOriginal([PIPELINE, EXTRA], wholeCheckpoints());
  assert.deepEqual(empty, [], 'every view has rows');
});

test('restored from incremental checkpoints (whole states, then deltas), an engine continues exactly like the original', async () => {
  for (const [wholeEvery, restoreAfter] of [
    [1000, 17], // one whole state per operator, then deltas only
    [5, 23], // whole states now and then, staggered, deltas between
  ] as const) {
    const checkpoints = incrementalCheckpoints(wholeEvery);
    const { empty } = await continuesLikeOriginal([PIPELINE, EXTRA, DETECTIONS], checkpoints, restoreAfter);
    assert.ok(checkpoints.deltas > 100, `deltas were written: ${checkpoints.deltas}`);
    assert.ok(empty.length < 12, `most views have rows; empty: ${empty}`);
  }
});

test('a checkpoint is refused mid-epoch, and restore needs a new engine', async () => {
  const e = new Engine({ autoEpoch: false });
  await e.execute('CREATE TABLE t (v INT); CREATE MATERIALIZED VIEW c AS SELECT COUNT(*) AS n FROM t');
  await e.execute('INSERT INTO t VALUES (1)');
  assert.throws(() => e.checkpoint(), /epoch|barrier|pending/i);
  e.flush();
  const cp = e.checkpoint();
  await assert.rejects(e.restore(cp), /must be new/);
  const copy = new Engine({ autoEpoch: false });
  await copy.restore(cp);
  assert.deepEqual(copy.rows('c'), [[1]]);
  e.close();
  copy.close();
});

test('a restored table keeps upserting on its primary key', async () => {
  const e = new Engine({ autoEpoch: false });
  await e.execute("CREATE TABLE kv (k INT PRIMARY KEY, v VARCHAR); INSERT INTO kv VALUES (1, 'a'), (2, 'b')");
  e.flush();
  const copy = new Engine({ autoEpoch: false });
  await copy.restore(deserialize(serialize(e.checkpoint())) as EngineCheckpoint);
  await copy.execute("INSERT INTO kv VALUES (1, 'c')");
  copy.flush();
  assert.deepEqual(copy.rows('kv'), [
    [1, 'c'],
    [2, 'b'],
  ]);
  e.close();
  copy.close();
});

test('with contents kept outside, checkpoints leave tables and views out and restore loads them back', async () => {
  const options = { autoEpoch: false, idleTimeoutMs: 0, contentsKeptOutside: true };
  const e = new Engine(options);
  const kept = new Map<string, Map<string, { row: Row; weight: number }>>();
  e.onStoreCommit((relation, delta) => {
    const table = kept.get(relation) ?? new Map();
    kept.set(relation, table);
    delta.rows.forEach((row, i) => {
      const k = JSON.stringify(row, bigintReplacer);
      const w = (table.get(k)?.weight ?? 0) + (delta.weights[i] as number);
      if (w === 0) table.delete(k);
      else table.set(k, { row, weight: w });
    });
  });
  await e.execute(`CREATE TABLE kv (k INT PRIMARY KEY, v VARCHAR);
    CREATE MATERIALIZED VIEW per_v AS SELECT v, COUNT(*) AS n FROM kv GROUP BY v;
    INSERT INTO kv VALUES (1, 'a'), (2, 'b'), (3, 'a')`);
  e.flush();
  const cp = e.checkpoint();
  assert.ok(serialize(cp).byteLength < 4000, 'no table contents in the checkpoint');
  const copy = new Engine(options);
  await copy.restore(deserialize(serialize(cp)) as EngineCheckpoint, async (relation) =>
    [...(kept.get(relation)?.values() ?? [])].flatMap((x) => new Array<Row>(x.weight).fill(x.row)),
  );
  assert.deepEqual(copy.rows('kv'), e.rows('kv'));
  assert.deepEqual(copy.rows('per_v'), [
    ['a', 2],
    ['b', 1],
  ]);
  await copy.execute("UPDATE kv SET v = 'b' WHERE k = 1; INSERT INTO kv VALUES (2, 'c')");
  copy.flush();
  assert.deepEqual(copy.rows('per_v'), [
    ['a', 1],
    ['b', 1],
    ['c', 1],
  ]);
  await assert.rejects(new Engine(options).restore(cp), /no way to load/);
  e.close();
  copy.close();
});

test("with contents kept outside, a checkpoint's size does not grow with the rows of the last epoch", async () => {
  const e = new Engine({ autoEpoch: false, idleTimeoutMs: 0, contentsKeptOutside: true });
  await e.execute(`CREATE TABLE log (ip VARCHAR, at TIMESTAMP) APPEND ONLY;
    CREATE MATERIALIZED VIEW per_ip AS SELECT ip, COUNT(*) AS n FROM log GROUP BY ip`);
  const sizeAfter = async (rows: number) => {
    const values = Array.from({ length: rows }, (_, i) => `('10.0.0.${i % 3}', '2024-01-25 12:00:00')`);
    await e.execute(`INSERT INTO log VALUES ${values.join(', ')}`);
    e.flush();
    return serialize(e.checkpoint()).byteLength;
  };
  const small = await sizeAfter(10);
  const large = await sizeAfter(20_000);
  assert.ok(large < small + 200, `a checkpoint after 10 rows: ${small} bytes; after 20,000: ${large}`);
  e.close();
});

test('numerics and bigints in operator state survive v8 serialization: min/max, sums, group keys, top-N, DISTINCT', async () => {
  const options = { autoEpoch: false, idleTimeoutMs: 0 };
  const e = new Engine(options);
  await e.execute(`CREATE TABLE m (id INT PRIMARY KEY, g NUMERIC, x NUMERIC, b BIGINT);
    CREATE MATERIALIZED VIEW per_g AS SELECT g, min(x) AS lo, max(x) AS hi, sum(x) AS s, avg(x) AS a,
      sum(b) AS sb, avg(b) AS ab, count(DISTINCT x) AS dx, stddev_samp(x) AS sd FROM m GROUP BY g;
    CREATE MATERIALIZED VIEW top2 AS SELECT id, x FROM (
      SELECT id, x, row_number() OVER (ORDER BY x DESC, id) AS r FROM m) AS t WHERE r <= 2;
    CREATE MATERIALIZED VIEW running AS SELECT id, sum(b) OVER (ORDER BY id) AS run FROM m;
    INSERT INTO m VALUES (1, 1.5, 0.10, 9007199254740993), (2, 1.50, 2.25, 9223372036854775000),
      (3, 2, 'NaN', -9223372036854775000), (4, 2.0, 1e-20, 1), (5, NULL, 12345678901234567890.123, 2)`);
  e.flush();
  const bytes = serialize(e.checkpoint());
  const copy = new Engine(options);
  await copy.restore(deserialize(bytes) as EngineCheckpoint);
  const text = (engine: Engine, view: string) =>
    engine
      .rows(view)
      .map((r) =>
        r.map((v) => (v === null ? null : typeof v === 'object' ? formatNumeric(v as never) : String(v))),
      );
  for (const v of ['per_g', 'top2', 'running']) assert.deepEqual(text(copy, v), text(e, v), `${v} restored`);
  // as PostgreSQL 15 prints them
  assert.deepEqual(text(e, 'per_g')[0], [
    '1.5',
    '0.10',
    '2.25',
    '2.35',
    '1.17500000000000000000',
    '9232379236109515993',
    '4616189618054757997',
    '2',
    '1.5202795795510772',
  ]);
  // Retractions and changes after the restore behave as in the original.
  const dml =
    "UPDATE m SET x = 2.250 WHERE id = 1; DELETE FROM m WHERE id = 2; INSERT INTO m VALUES (6, 1.5, 'Infinity', 5)";
  for (const engine of [e, copy]) {
    await engine.execute(dml);
    engine.flush();
  }
  for (const v of ['per_g', 'top2', 'running'])
    assert.deepEqual(text(copy, v), text(e, v), `${v} after more changes`);
  e.close();
  copy.close();
});
