/**
 * An ad-hoc session over a store: rows repeated by multiplicity, retained events without
 * their epoch, committed epochs only, bound parameters, `describe` without running,
 * interruption, and nothing of DuckDB's own reachable (files, internal tables, qualified
 * functions).
 */
import assert from 'node:assert/strict';
import { pbkdf2 } from 'node:crypto';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { promisify } from 'node:util';
import { numeric } from '../../../src/sql/numeric.ts';
import { T } from '../../../src/sql/types.ts';
import { AdHocSession, type StoredRelation } from '../../../src/store/query/ad-hoc-session.ts';
import { SharedCatalog } from '../../../src/store/query/catalog-tables.ts';
import { ViewStore } from '../../../src/store/view-store.ts';
import { tempDir } from '../helpers.ts';

const counts: StoredRelation = {
  name: 'counts',
  kind: 'materialized view',
  columns: [
    { name: 'k', type: T.varchar },
    { name: 'n', type: T.int8 },
    { name: 'mean', type: T.numeric },
    { name: 'doc', type: T.jsonb },
  ],
};
const events: StoredRelation = {
  name: 'events',
  kind: 'source',
  columns: [
    { name: 'at', type: T.timestamp },
    { name: 'ip', type: T.varchar },
  ],
};
const AT = Date.UTC(2024, 0, 25, 12, 0, 0) * 1000;

async function setup(t: TestContext) {
  const store = await ViewStore.open(join(tempDir(t, 'tidewatch-session-'), 'views.duckdb'));
  await store.defineView(counts.name, counts.columns);
  await store.commit(
    1,
    new Map([
      [
        'counts',
        {
          rows: [
            ['a', 1, numeric(5n, 1), { x: [1, 'y'] }],
            ['b', 2, numeric(225n, 2), null],
            ['b', 2, numeric(225n, 2), null],
          ],
          weights: [1, 1, 2],
        },
      ],
    ]),
  );
  const writer = await store.connectReader();
  await writer.run('CREATE TABLE events ("at" TIMESTAMP, ip VARCHAR, __tw_epoch BIGINT)');
  await writer.run(
    'INSERT INTO events VALUES (make_timestamp($1::BIGINT), $2, 1), (make_timestamp($3::BIGINT), $4, 2)',
    [BigInt(AT), '10.0.0.1', BigInt(AT + 1_000_000), '10.0.0.2'],
  );
  writer.closeSync();
  const session = await AdHocSession.open(await store.connectReader(), new SharedCatalog(), () => [
    counts,
    events,
  ]);
  t.after(async () => {
    session.close();
    await store.close();
  });
  return { store, session };
}

test('rows come as often as their multiplicity, values in tidewatch’s representation', async (t) => {
  const { session, store } = await setup(t);
  const all = await session.query('SELECT * FROM counts ORDER BY k');
  assert.deepEqual(all.columns, counts.columns);
  assert.deepEqual(all.rows, [
    ['a', 1, numeric(5n, 1), { x: [1, 'y'] }],
    ['b', 2, numeric(225n, 2), null],
    ['b', 2, numeric(225n, 2), null],
    ['b', 2, numeric(225n, 2), null],
  ]);
  const grouped = await session.query('SELECT k, count(*), sum(n) FROM counts GROUP BY k ORDER BY k');
  assert.deepEqual(grouped.rows, [
    ['a', 1, numeric(1n, 0)],
    ['b', 3, numeric(6n, 0)],
  ]);
  assert.deepEqual(grouped.columns, [
    { name: 'k', type: T.varchar },
    { name: 'count', type: T.int8 },
    { name: 'sum', type: T.numeric },
  ]);
  const raw = await session.query('SELECT * FROM events ORDER BY at');
  assert.deepEqual(raw.columns, events.columns, 'the epoch column stays hidden');
  assert.deepEqual(raw.rows, [
    [AT, '10.0.0.1'],
    [AT + 1_000_000, '10.0.0.2'],
  ]);
  await assert.rejects(session.query('SELECT __tw_count FROM counts'), { sqlstate: '42703' });
  await assert.rejects(session.query('SELECT __tw_epoch FROM events'), { sqlstate: '42703' });
  await store.commit(2, new Map([['counts', { rows: [['c', 3, numeric(1n, 0), null]], weights: [1] }]]));
  assert.deepEqual((await session.query('SELECT count(*) FROM counts')).rows, [[5]], 'a new epoch is seen');
});

test('parameters are bound, typed or not; describe tells the types without running', async (t) => {
  const { session } = await setup(t);
  const typed = await session.query(
    'SELECT k FROM counts WHERE n > $1 AND k = $2',
    [1, 'b'],
    [T.int8, T.text],
  );
  assert.equal(typed.rows.length, 3);
  const untyped = await session.query('SELECT $1::int + 1 AS x, $2 || $3 AS y', ['41', 'a', 'b']);
  assert.deepEqual(untyped.rows, [[42, 'ab']]);
  const at = await session.query('SELECT ip FROM events WHERE at = $1', [AT], [T.timestamp]);
  assert.deepEqual(at.rows, [['10.0.0.1']]);
  await assert.rejects(session.query('SELECT $1::int, $2::int', [1]), { sqlstate: '08P01' });
  const d = await session.describe(
    'SELECT k, n * 2 AS twice, avg(mean) FROM counts WHERE n > $1 GROUP BY k, n',
  );
  assert.deepEqual(d.paramTypes, [T.int8]);
  assert.deepEqual(d.columns, [
    { name: 'k', type: T.varchar },
    { name: 'twice', type: T.int8 },
    { name: 'avg', type: T.numeric },
  ]);
  assert.deepEqual(await session.describe('SELECT $1 AS x'), {
    paramTypes: [T.text],
    columns: [{ name: 'x', type: T.text }],
  });
  await assert.rejects(session.describe('SELECT nope FROM counts'), { sqlstate: '42703' });
});

test('a running query can be interrupted; the session goes on', async (t) => {
  const { session } = await setup(t);
  const slow = session.query('SELECT count(*) FROM generate_series(1, 20000000000) AS a');
  setTimeout(() => session.interrupt(), 100);
  await assert.rejects(slow, { sqlstate: '57014' });
  const queued = session.query('SELECT 1');
  session.interrupt();
  await assert.rejects(queued, { sqlstate: '57014' }, 'stopped before it runs');
  assert.deepEqual((await session.query('SELECT 1 AS one')).rows, [[1]]);
});

test('an interrupt that comes while the query still waits for a worker thread stops it all the same', {
  timeout: 60_000,
}, async (t) => {
  const { session } = await setup(t);
  // Every thread of libuv's pool (4 by default) busy for a while: DuckDB's run of the query
  // waits in the pool's queue, where an interrupt finds no query to stop.
  const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const busy = Array.from({ length: threads }, () => promisify(pbkdf2)('x', 'y', 1_000_000, 64, 'sha512'));
  const slow = session.query('SELECT count(*) FROM generate_series(1, 20000000000) AS a');
  await new Promise((r) => setTimeout(r, 50));
  session.interrupt();
  await assert.rejects(slow, { sqlstate: '57014' });
  await Promise.all(busy);
  assert.deepEqual((await session.query('SELECT 1 AS one')).rows, [[1]]);
});

test('nothing of DuckDB’s own is reachable', async (t) => {
  const { session } = await setup(t);
  for (const [sql, sqlstate] of [
    ["SELECT * FROM read_csv('/etc/passwd')", '42883'],
    ["SELECT * FROM read_text('/etc/passwd')", '42883'],
    ['SELECT * FROM duckdb_tables()', '42883'],
    ['SELECT * FROM tidewatch_views', '42P01'],
    ['SELECT * FROM main.counts', '42P01'],
    ['SELECT * FROM temp.main.tw__pg_catalog__pg_class', '0A000'],
    ["SELECT main.current_setting('threads')", '42883'],
    ["SELECT current_setting('threads')", '42704'],
    ["ATTACH '/tmp/x.duckdb'", '42601'],
    ["COPY counts TO '/tmp/x.csv'", '0A000'],
    ['PRAGMA database_list', '42601'],
  ] as const)
    await assert.rejects(session.query(sql), { sqlstate }, sql);
});

test('a closed session refuses queries', async (t) => {
  const { session } = await setup(t);
  session.close();
  await assert.rejects(session.query('SELECT 1'), { sqlstate: '08003' });
});
