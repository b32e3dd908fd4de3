/**
 * Engine checkpoints: an engine restored from another's checkpoint (through v8 serialisation,
 * as it will be stored) continues exactly like the original — same view rows, same change
 * stream, same late counts — over generator traffic with watermarks, a table under
 * INSERT/UPDATE/DELETE, EMIT ON WINDOW CLOSE, a temporal filter and retention.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { deserialize, serialize } from 'node:v8';
import { toSourceRecord } from '../../src/connectors/generator-source.ts';
import { Engine, type EngineCheckpoint } from '../../src/engine/engine.ts';
import { TrafficGenerator } from '../../src/generator/traffic.ts';
import { compareRows, type Row } from '../../src/stream/value.ts';

const PIPELINE = readFileSync(new URL('../../pipelines/website-security.sql', import.meta.url), 'utf8');

const EXTRA = `
  CREATE TABLE blocked (ip VARCHAR PRIMARY KEY, reason VARCHAR);
  CREATE MATERIALIZED VIEW blocked_hits AS
    SELECT l.ip_address, b.reason, COUNT(*) AS hits
    FROM website_logs_source AS l JOIN blocked AS b ON l.ip_address = b.ip
    GROUP BY l.ip_address, b.reason;
  CREATE MATERIALIZED VIEW final_errors AS
    SELECT status_code, COUNT(*) AS n, window_start
    FROM TUMBLE(website_logs_source, request_timestamp, INTERVAL '1 MINUTE')
    WHERE status_code >= 400 GROUP BY status_code, window_start EMIT ON WINDOW CLOSE;
  CREATE MATERIALIZED VIEW recent_logins AS
    SELECT username, request_timestamp FROM website_logs_source
    WHERE user_action = 'login' AND request_timestamp > NOW() - INTERVAL '3 MINUTES';
  CREATE MATERIALIZED VIEW per_minute WITH (retention = '5 minutes') AS
    SELECT COUNT(*) AS n, window_start
    FROM TUMBLE(website_logs_source, request_timestamp, INTERVAL '1 MINUTE') GROUP BY window_start`;

/** Every view's rows, sorted. */
function views(e: Engine): Record<string, Row[]> {
  return Object.fromEntries(e.list('materialized view').map((v) => [v, e.rows(v)]));
}

test('an engine restored from a checkpoint continues exactly like the original', async () => {
  const start = Date.UTC(2024, 0, 25, 12, 0, 0);
  let now = start; // processing time follows event time, for the temporal filter
  const options = { autoEpoch: false, idleTimeoutMs: 0, now: () => now };
  const gen = new TrafficGenerator({ seed: 5, rate: 100, startMs: start });
  const original = new Engine(options);
  await original.execute(PIPELINE);
  await original.execute(EXTRA);
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
      seen.push(JSON.stringify([view, epoch, rows]));
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
    if (restored !== undefined) await step(restored, i);
    if (i === 17) {
      const bytes = serialize(original.checkpoint());
      restored = new Engine(options);
      await restored.restore(deserialize(bytes) as EngineCheckpoint);
      seenRestored = changes(restored);
      fromChange = seenOriginal.length;
      assert.deepEqual(views(restored), views(original), 'right after the restore');
      assert.deepEqual(restored.sourceStats(), original.sourceStats());
      assert.equal(restored.epoch, original.epoch);
    }
    if (restored !== undefined) {
      assert.deepEqual(views(restored), views(original), `after epoch ${i}`);
      assert.deepEqual(restored.sourceStats(), original.sourceStats(), `sources after epoch ${i}`);
    }
  }
  assert.deepEqual(seenRestored, seenOriginal.slice(fromChange), 'the same change stream');
  const counts = Object.values(views(original)).map((rows) => rows.length);
  assert.ok(
    counts.every((n) => n > 0),
    `every view has rows: ${counts}`,
  );
  original.close();
  restored?.close();
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
      const k = JSON.stringify(row);
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
