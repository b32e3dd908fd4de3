/**
 * Table writes as data (Engine.onTableWrite / applyTableWrite), what the DML log keeps: a
 * restored engine that applies the writes recorded after its checkpoint — through v8, as the
 * log stores them — ends with the same tables and views as the original; a listener that
 * refuses a write fails its statement, which then changes nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deserialize, serialize } from 'node:v8';
import { Engine, type TableWrite } from '../../src/engine/engine.ts';
import type { Row } from '../../src/stream/value.ts';

const SCHEMA = `
  CREATE TABLE kv (id INT PRIMARY KEY, grp VARCHAR, v INT);
  CREATE TABLE bag (x INT);
  CREATE MATERIALIZED VIEW per_group AS SELECT grp, COUNT(*) AS n, SUM(v) AS total FROM kv GROUP BY grp;
  CREATE MATERIALIZED VIEW bag_counts AS SELECT x, COUNT(*) AS n FROM bag GROUP BY x`;

function contents(e: Engine): Record<string, Row[]> {
  return Object.fromEntries([...e.list('table'), ...e.list('materialized view')].map((n) => [n, e.rows(n)]));
}

const STATEMENTS = [
  "INSERT INTO kv VALUES (1, 'a', 10), (2, 'a', 20), (3, 'b', 30)",
  'INSERT INTO bag VALUES (1), (1), (2)',
  "INSERT INTO kv VALUES (2, 'b', 25)", // upsert: replaces id 2
  "UPDATE kv SET v = v + 1 WHERE grp = 'a'",
  'DELETE FROM bag WHERE x = 1',
  "INSERT INTO kv VALUES (4, 'c', 40), (5, 'c', 50)",
  "DELETE FROM kv WHERE grp = 'c' AND v > 45",
  "UPDATE kv SET grp = 'a' WHERE id = 3",
  'INSERT INTO bag VALUES (3), (2)',
];

test('writes recorded after a checkpoint, applied to the restored engine, give the same tables and views', async () => {
  for (let cut = 0; cut <= STATEMENTS.length; cut++) {
    const original = new Engine({ autoEpoch: false });
    await original.execute(SCHEMA);
    const logged: Uint8Array[] = [];
    original.onTableWrite((w) => logged.push(serialize(w)));
    for (const sql of STATEMENTS.slice(0, cut)) await original.execute(sql);
    original.flush();
    const checkpoint = serialize(original.checkpoint());
    const fromCheckpoint = logged.length;
    for (const sql of STATEMENTS.slice(cut)) await original.execute(sql);
    original.flush();

    const restored = new Engine({ autoEpoch: false });
    await restored.restore(deserialize(checkpoint));
    for (const bytes of logged.slice(fromCheckpoint))
      restored.applyTableWrite(deserialize(bytes) as TableWrite);
    restored.flush();
    assert.deepEqual(contents(restored), contents(original), `checkpoint after ${cut} statements`);
  }
});

test('a listener that refuses a write fails the statement, and nothing of it is applied', async () => {
  const e = new Engine({ autoEpoch: false });
  await e.execute(SCHEMA);
  await e.execute("INSERT INTO kv VALUES (1, 'a', 10)");
  e.flush();
  const before = contents(e);
  let refuse = true;
  e.onTableWrite(() => {
    if (refuse) throw new Error('disk full');
  });
  for (const sql of [
    "INSERT INTO kv VALUES (2, 'a', 20), (3, 'b', 30)",
    "UPDATE kv SET v = 0 WHERE grp = 'a'",
    'DELETE FROM kv',
  ])
    await assert.rejects(e.execute(sql), /disk full/, sql);
  assert.throws(() => e.insert('kv', [[9, 'z', 9]]), /disk full/);
  e.flush();
  assert.deepEqual(contents(e), before);
  refuse = false;
  await e.execute("INSERT INTO kv VALUES (2, 'a', 20)");
  e.flush();
  assert.deepEqual(e.rows('per_group'), [['a', 2, 30]]);
});

test('a statement that fails while computing its rows reports and applies nothing', async () => {
  const e = new Engine({ autoEpoch: false });
  await e.execute(SCHEMA);
  const writes: TableWrite[] = [];
  e.onTableWrite((w) => writes.push(w));
  await assert.rejects(e.execute("INSERT INTO kv VALUES (1, 'a', 1), (2, 'a', 1 / 0)"), /division by zero/);
  await assert.rejects(e.execute("INSERT INTO kv VALUES (1, 'a', 1), (2, 'a', 'x')"), /invalid input syntax/);
  e.flush();
  assert.deepEqual(writes, []);
  assert.deepEqual(e.rows('kv'), []);
});
