/**
 * Retained raw events: each epoch's events are appended in a transaction of their own that
 * commits just before the epoch's (all or nothing with the views: those of an epoch that failed
 * or never committed are dropped, and readers see none of them before their epoch), read back with
 * SQL, and let go oldest epoch first once older than the retention hours or beyond the retention
 * bytes — also across a reopen of the file.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { T } from '../../src/sql/types.ts';
import { storedRelationSql } from '../../src/store/query/relation-sql.ts';
import { RetainedEpochs, rawBytes } from '../../src/store/raw-retention.ts';
import { ViewStore } from '../../src/store/view-store.ts';
import type { Row } from '../../src/stream/value.ts';
import { tempDir } from './helpers.ts';

const COLUMNS = [
  { name: 'at', type: T.timestamp },
  { name: 'ip', type: T.varchar },
  { name: 'status', type: T.int4 },
];
const HOUR = 3_600_000;

function events(epoch: number, n: number): Row[] {
  return Array.from({ length: n }, (_, i) => [epoch * 1_000_000 + i, `10.0.${epoch}.${i}`, 200 + (i % 3)]);
}

async function count(store: ViewStore, sql: string): Promise<number[]> {
  const conn = await store.connectReader();
  try {
    const rows = (await conn.runAndReadAll(sql)).getRows();
    return rows.map((r) => Number(r[0] as bigint));
  } finally {
    conn.closeSync();
  }
}

test('raw events commit with their epoch, or not at all', async (t) => {
  const file = join(tempDir(t), 'raw.duckdb');
  let fail = false;
  const store = await ViewStore.open(file, {
    afterApply: () => {
      if (fail) throw new Error('injected failure');
    },
  });
  t.after(() => store.close());
  await store.defineSource('logs', COLUMNS);
  await store.defineView('v', [{ name: 'n', type: T.int8 }]);
  await store.commit(
    1,
    new Map([['v', { rows: [[1]], weights: [1] }]]),
    undefined,
    new Map([['logs', [events(1, 5)]]]),
  );
  fail = true;
  await assert.rejects(
    store.commit(
      2,
      new Map([['v', { rows: [[2]], weights: [1] }]]),
      undefined,
      new Map([['logs', [events(2, 7)]]]),
    ),
    /injected failure/,
  );
  fail = false;
  assert.deepEqual(await count(store, 'SELECT count(*) FROM logs'), [5]);
  await store.commit(2, new Map(), undefined, new Map([['logs', [events(2, 7)]]]));
  assert.deepEqual(await count(store, 'SELECT count(*) FROM logs GROUP BY __tw_epoch ORDER BY 1'), [5, 7]);
  const conn = await store.connectReader();
  const rows = (await conn.runAndReadAll(`SELECT ip, status FROM logs WHERE ip = '10.0.2.4'`)).getRows();
  conn.closeSync();
  assert.deepEqual(rows, [['10.0.2.4', 201]]);
  await assert.rejects(
    store.commit(3, new Map(), undefined, new Map([['logs', [[[1, 'x']]]]])),
    /a row of 2 values for source "logs" of 3 columns/,
  );
  await assert.rejects(store.commit(3, new Map(), undefined, new Map([['nope', []]])), /no source "nope"/);
  await assert.rejects(store.defineView('logs', COLUMNS), /already names a source/);
});

test('retention by hours and by bytes lets the oldest epochs go, also after a reopen', async (t) => {
  const file = join(tempDir(t), 'raw.duckdb');
  let now = Date.UTC(2024, 0, 25, 0, 0, 0);
  let store = await ViewStore.open(file, { now: () => now, retentionIntervalMs: 0 });
  await store.defineSource('logs', COLUMNS);
  store.setRetention('logs', { hours: 2.5 });
  for (let epoch = 1; epoch <= 4; epoch++) {
    await store.commit(epoch, new Map(), undefined, new Map([['logs', [events(epoch, 10)]]]));
    now += HOUR;
  }
  // Committed at 0 h, 1 h, 2 h, 3 h; the last commit ran at 3 h: the epoch of 0 h is gone.
  assert.deepEqual(await count(store, 'SELECT DISTINCT __tw_epoch FROM logs ORDER BY 1'), [2, 3, 4]);
  assert.equal(store.retained()[0]?.rows, 30);
  await store.close();

  store = await ViewStore.open(file, { now: () => now, retentionIntervalMs: 0 });
  t.after(() => store.close());
  await store.defineSource('logs', COLUMNS);
  const perEpoch = rawBytes(events(5, 10)[0] as Row) * 10;
  store.setRetention('logs', { hours: 100, bytes: perEpoch * 2 });
  assert.equal(store.retained()[0]?.bytes, perEpoch * 3, 'the bookkeeping survives the reopen');
  await store.commit(5, new Map(), undefined, new Map([['logs', [events(5, 10)]]]));
  assert.deepEqual(await count(store, 'SELECT DISTINCT __tw_epoch FROM logs ORDER BY 1'), [4, 5]);
  assert.deepEqual(await count(store, 'SELECT count(*) FROM tidewatch_raw_epochs'), [2]);
  store.setRetention('logs', { bytes: 1 });
  await store.commit(6, new Map(), undefined, new Map([['logs', [events(6, 10)]]]));
  assert.deepEqual(
    await count(store, 'SELECT DISTINCT __tw_epoch FROM logs ORDER BY 1'),
    [6],
    'the newest epoch stays, however large',
  );
  assert.throws(
    () => store.setRetention('logs', { hours: -1 }),
    /retention hours must be a finite number ≥ 0/,
  );
});

test('RetainedEpochs keeps epochs until both limits allow them to go', () => {
  const kept = new RetainedEpochs();
  for (let e = 1; e <= 5; e++) kept.add({ epoch: e, rows: 1, bytes: 100, committedAt: e * HOUR });
  assert.equal(kept.expire({}, 100 * HOUR), undefined);
  assert.equal(kept.expire({ bytes: 350 }, 5 * HOUR), 2);
  assert.equal(kept.bytes, 300);
  assert.equal(kept.expire({ hours: 1.5 }, 5 * HOUR), 3);
  assert.equal(kept.oldest?.epoch, 4);
  assert.equal(kept.expire({ hours: 1 }, 100 * HOUR), 5, 'all too old: all go');
  assert.equal(kept.rows, 0);
});

test('a source and its retained events can be dropped and defined anew', async (t) => {
  const store = await ViewStore.open(join(tempDir(t), 'raw.duckdb'));
  t.after(() => store.close());
  await store.defineSource('logs', COLUMNS);
  await store.commit(1, new Map(), undefined, new Map([['logs', [events(1, 3)]]]));
  await store.dropSource('logs');
  assert.deepEqual(store.sources(), []);
  await store.defineSource('logs', COLUMNS.slice(0, 2));
  assert.deepEqual(await count(store, 'SELECT count(*) FROM logs'), [0]);
});

test('a reader sees whole epochs only, while commits run', async (t) => {
  const store = await ViewStore.open(join(tempDir(t), 'raw.duckdb'));
  t.after(() => store.close());
  await store.defineSource('logs', COLUMNS);
  await store.defineView('total', [{ name: 'n', type: T.int8 }]);
  const reader = await store.connectReader();
  t.after(() => reader.closeSync());
  // The source read as a session's query reads it.
  const database = String((await reader.runAndReadAll('SELECT current_database()')).getRows()[0]?.[0]);
  const logs = storedRelationSql(
    { name: 'logs', kind: 'source', columns: COLUMNS, rawEvents: true },
    database,
  );
  let stop = false;
  let reads = 0;
  const torn: unknown[] = [];
  const reading = (async () => {
    while (!stop) {
      const [row] = (
        await reader.runAndReadAll(
          `SELECT (SELECT coalesce(sum(n), 0) FROM total), (SELECT count(*) FROM ${logs} l), (SELECT count(*) FROM tidewatch_epochs)`,
        )
      ).getRows();
      const [n, events, epochs] = (row ?? []).map(Number);
      if (n !== events || events !== 10 * (epochs as number)) torn.push(row);
      reads++;
    }
  })();
  for (let epoch = 1; epoch <= 60; epoch++)
    await store.commit(
      epoch,
      new Map([
        [
          'total',
          {
            rows: epoch === 1 ? [[10]] : [[10 * (epoch - 1)], [10 * epoch]],
            weights: epoch === 1 ? [1] : [-1, 1],
          },
        ],
      ]),
      undefined,
      new Map([['logs', [events(epoch, 10)]]]),
    );
  stop = true;
  await reading;
  assert.deepEqual(torn, []);
  assert.ok(reads > 5, `only ${reads} reads ran beside the commits`);
});

test('raw events committed without their epoch (a crash between the two commits) are dropped at the next open', async (t) => {
  const file = join(tempDir(t), 'raw.duckdb');
  let store = await ViewStore.open(file);
  await store.defineSource('logs', COLUMNS);
  await store.commit(1, new Map(), undefined, new Map([['logs', [events(1, 4)]]]));
  // What the raw transaction of epoch 2 leaves when the process dies before epoch 2 commits.
  const writer = await store.connectReader();
  await writer.run(
    `INSERT INTO logs SELECT make_timestamp(2000000 + i), '10.0.2.' || i, 200, 2 FROM range(6) t(i);
     INSERT INTO tidewatch_raw_epochs VALUES ('logs', 2, 6, 60, now()::TIMESTAMP)`,
  );
  writer.closeSync();
  await store.close();
  store = await ViewStore.open(file);
  t.after(() => store.close());
  assert.equal(store.lastEpoch(), 1);
  assert.deepEqual(await count(store, 'SELECT count(*) FROM logs GROUP BY __tw_epoch ORDER BY 1'), [4]);
  assert.deepEqual(await count(store, 'SELECT epoch FROM tidewatch_raw_epochs'), [1]);
  // The replay commits epoch 2 again, once.
  await store.commit(2, new Map(), undefined, new Map([['logs', [events(2, 6)]]]));
  assert.deepEqual(
    await count(store, 'SELECT count(*) FROM logs GROUP BY __tw_epoch ORDER BY __tw_epoch'),
    [4, 6],
  );
});

test('the raw events of a store written before they had a database of their own move there at open', async (t) => {
  const file = join(tempDir(t), 'older.duckdb');
  // As an older tidewatch left it: the source's table and what its epochs added in the store's database.
  const db = await DuckDBInstance.create(file);
  const older = await db.connect();
  await older.run(`
    CREATE TABLE tidewatch_sources (name VARCHAR PRIMARY KEY, columns VARCHAR NOT NULL);
    INSERT INTO tidewatch_sources VALUES ('logs', '${JSON.stringify(COLUMNS)}');
    CREATE TABLE logs ("at" TIMESTAMP, ip VARCHAR, status INTEGER, __tw_epoch BIGINT NOT NULL);
    INSERT INTO logs SELECT make_timestamp(1000000 + i), '10.0.1.' || i, 200, 1 FROM range(5) t(i);
    CREATE TABLE tidewatch_raw_epochs (source VARCHAR NOT NULL, epoch BIGINT NOT NULL, rows BIGINT NOT NULL, bytes BIGINT NOT NULL, committed_at TIMESTAMP NOT NULL);
    INSERT INTO tidewatch_raw_epochs VALUES ('logs', 1, 5, 50, now()::TIMESTAMP);
    CREATE TABLE tidewatch_epochs (epoch BIGINT NOT NULL, committed_at TIMESTAMP NOT NULL);
    INSERT INTO tidewatch_epochs VALUES (1, now()::TIMESTAMP);`);
  older.closeSync();
  db.closeSync();
  const store = await ViewStore.open(file);
  t.after(() => store.close());
  assert.deepEqual(
    store.retained().map(({ name, rows, bytes }) => ({ name, rows, bytes })),
    [{ name: 'logs', rows: 5, bytes: 50 }],
  );
  assert.deepEqual(
    await count(
      store,
      "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND table_name IN ('logs', 'tidewatch_raw_epochs')",
    ),
    [0],
    'nothing of them is left in the store’s database',
  );
  await store.commit(2, new Map(), undefined, new Map([['logs', [events(2, 3)]]]));
  assert.deepEqual(
    await count(store, 'SELECT count(*) FROM logs GROUP BY __tw_epoch ORDER BY __tw_epoch'),
    [5, 3],
  );
  assert.deepEqual(await count(store, "SELECT status FROM logs WHERE ip = '10.0.1.4'"), [200]);
});

test('a start keeps a table of raw events for each source and no other', async (t) => {
  const file = join(tempDir(t), 'raw.duckdb');
  let store = await ViewStore.open(file);
  await store.defineSource('logs', COLUMNS);
  // A source whose catalog entry never committed, and a source's table lost.
  const writer = await store.connectReader();
  await writer.run(
    `CREATE TABLE tidewatch_raw.main."Orphan" (x INTEGER, __tw_epoch BIGINT);
     INSERT INTO tidewatch_raw.main.tidewatch_raw_epochs VALUES ('Orphan', 1, 1, 4, now()::TIMESTAMP);
     DROP TABLE tidewatch_raw.main.logs`,
  );
  writer.closeSync();
  await store.close();
  store = await ViewStore.open(file);
  t.after(() => store.close());
  const tables = (name: string) =>
    count(
      store,
      `SELECT count(*) FROM duckdb_tables() WHERE database_name = 'tidewatch_raw' AND table_name = '${name}'`,
    );
  assert.deepEqual(await tables('Orphan'), [0], 'no source names it');
  assert.deepEqual(await tables('logs'), [1], 'made again, empty');
  assert.deepEqual(await count(store, 'SELECT count(*) FROM tidewatch_raw_epochs'), [0]);
  await store.commit(1, new Map(), undefined, new Map([['logs', [events(1, 2)]]]));
  assert.deepEqual(await count(store, 'SELECT count(*) FROM logs'), [2]);
});

test('retention runs once a minute of commit time by default, not at every commit', async (t) => {
  let now = Date.UTC(2024, 0, 25, 0, 0, 0);
  const store = await ViewStore.open(join(tempDir(t), 'raw.duckdb'), { now: () => now });
  t.after(() => store.close());
  await store.defineSource('logs', COLUMNS);
  store.setRetention('logs', { bytes: 1 });
  const epochs = async () => count(store, 'SELECT DISTINCT __tw_epoch FROM logs ORDER BY 1');
  await store.commit(1, new Map(), undefined, new Map([['logs', [events(1, 5)]]]));
  for (let epoch = 2; epoch <= 4; epoch++) {
    now += 1000;
    await store.commit(epoch, new Map(), undefined, new Map([['logs', [events(epoch, 5)]]]));
  }
  assert.deepEqual(await epochs(), [1, 2, 3, 4], 'within a minute of the first commit, retention waits');
  now += 60_000;
  await store.commit(5, new Map(), undefined, new Map([['logs', [events(5, 5)]]]));
  assert.deepEqual(await epochs(), [5]);
});
