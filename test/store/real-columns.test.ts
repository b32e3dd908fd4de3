/**
 * Reals (float4) are DuckDB FLOAT columns in the store; a store written before, which held them
 * as DOUBLE, is converted when it is opened. The older layout is made here by writing a store
 * and turning its FLOAT columns back into DOUBLE, as the older tidewatch created them.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { arrayOf, T } from '../../src/sql/types.ts';
import { rawFileOf, ViewStore } from '../../src/store/view-store.ts';
import { RestartableServer } from '../helpers/restartable-server.ts';
import { tempDir } from './helpers.ts';

/** Every column of `main` that holds a real, as `table.column: TYPE`. */
async function realColumns(file: string): Promise<string[]> {
  const db = await DuckDBInstance.create(file);
  const conn = await db.connect();
  try {
    const r = await conn.runAndReadAll(
      "SELECT table_name || '.' || column_name || ': ' || data_type FROM duckdb_columns() " +
        "WHERE schema_name = 'main' AND (data_type LIKE 'FLOAT%' OR data_type LIKE 'DOUBLE%') ORDER BY 1",
    );
    return r.getRows().map(([c]) => c as string);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** Gives every FLOAT column of `tables` the type DOUBLE, as stores were laid out before. */
async function makeOlder(file: string, tables: readonly string[]): Promise<void> {
  const db = await DuckDBInstance.create(file);
  const conn = await db.connect();
  try {
    const r = await conn.runAndReadAll(
      "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE schema_name = 'main' AND data_type LIKE 'FLOAT%'",
    );
    for (const [table, column, type] of r.getRows())
      if (tables.includes(table as string))
        await conn.run(
          `ALTER TABLE "${table}" ALTER COLUMN "${column}" SET DATA TYPE ${(type as string).replace('FLOAT', 'DOUBLE')}`,
        );
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

test('a store holding reals as DOUBLE has them as FLOAT once opened, values and retractions unchanged', async (t) => {
  const file = join(tempDir(t), 'views.duckdb');
  const columns = [
    { name: 'id', type: T.int4 },
    { name: 'r', type: T.float4 },
    { name: 'rs', type: arrayOf(T.float4) },
    { name: 'd', type: T.float8 },
  ];
  const rows = [
    [1, Math.fround(0.1), [Math.fround(1.1), null], 0.1],
    [2, Math.fround(3.4e38), null, 1e300],
    [3, null, [], null],
  ];
  let store = await ViewStore.open(file);
  await store.defineView('old', columns);
  await store.createSubscription('watch_old', 'old', 60_000);
  await store.defineSource('src', columns);
  await store.commit(1, new Map([['old', { rows, weights: [1, 1, 1] }]]));
  await store.close();
  await makeOlder(file, ['old', '__tw_changes_old']);
  await makeOlder(rawFileOf(file), ['src']); // a source's raw events are in a database of their own
  const both = async () => [...(await realColumns(file)), ...(await realColumns(rawFileOf(file)))];
  assert.deepEqual(await both(), [
    '__tw_changes_old.d: DOUBLE',
    '__tw_changes_old.r: DOUBLE',
    '__tw_changes_old.rs: DOUBLE[]',
    'old.d: DOUBLE',
    'old.r: DOUBLE',
    'old.rs: DOUBLE[]',
    'src.d: DOUBLE',
    'src.r: DOUBLE',
    'src.rs: DOUBLE[]',
  ]);

  store = await ViewStore.open(file);
  t.after(() => store.close());
  assert.deepEqual(await store.rows('old'), rows);
  // a retraction finds its row, an insertion goes into the converted columns
  await store.commit(
    2,
    new Map([
      [
        'old',
        { rows: [rows[0] as never[], [4, Math.fround(2.5), [Math.fround(-0.5)], 2]], weights: [-1, 1] },
      ],
    ]),
  );
  assert.deepEqual(await store.rows('old'), [rows[1], rows[2], [4, 2.5, [-0.5], 2]]);
  await store.close();
  assert.deepEqual(await both(), [
    '__tw_changes_old.d: DOUBLE',
    '__tw_changes_old.r: FLOAT',
    '__tw_changes_old.rs: FLOAT[]',
    'old.d: DOUBLE',
    'old.r: FLOAT',
    'old.rs: FLOAT[]',
    'src.d: DOUBLE',
    'src.r: FLOAT',
    'src.rs: FLOAT[]',
  ]);
});

test('a table of reals created by an older tidewatch answers as PostgreSQL after a restart', async (t) => {
  const dir = tempDir(t, 'tw-real-columns-');
  const server = new RestartableServer({
    dataDir: join(dir, 'data'),
    args: ['--pipeline', 'none', '--no-generator', '--status-interval', '60'],
  });
  t.after(() => server.dispose());
  await server.start();
  let client = await server.connect();
  await client.query('SET RW_IMPLICIT_FLUSH TO true');
  await client.query('CREATE TABLE m (id INT, r REAL)');
  await client.query('INSERT INTO m VALUES (1, 1.1), (2, 3.4e38), (3, 0.1)');
  await client.query(
    'CREATE MATERIALIZED VIEW doubled AS SELECT id, r * 2 AS r2, r + r AS rr FROM m WHERE id <> 2',
  );
  await client.end();
  await server.stop();
  await makeOlder(join(dir, 'data', 'tidewatch.duckdb'), ['m']);

  await server.start();
  client = await server.connect();
  t.after(() => client.end());
  await client.query('SET RW_IMPLICIT_FLUSH TO true');
  await client.query('INSERT INTO m VALUES (4, 0.2)');
  const read = async (sql: string) =>
    (await client.query({ text: sql, rowMode: 'array', types: { getTypeParser: () => (v: string) => v } }))
      .rows as string[][];
  // PostgreSQL 15: r * 2 is double precision, r + r a real, 1.1::real IN (1.1, 2) true
  assert.deepEqual(
    await read('SELECT id, r, r * 2, r + r, r IN (1.1, 2), pg_typeof(r) FROM m WHERE id <> 2 ORDER BY id'),
    [
      ['1', '1.1', '2.200000047683716', '2.2', 't', 'real'],
      ['3', '0.1', '0.20000000298023224', '0.2', 'f', 'real'],
      ['4', '0.2', '0.4000000059604645', '0.4', 'f', 'real'],
    ],
  );
  // (of two reals, the exact sum rounded once is PostgreSQL's float4 addition)
  assert.deepEqual(await read('SELECT sum(r), pg_typeof(sum(r)) FROM m WHERE id IN (1, 3)'), [
    ['1.2', 'real'],
  ]);
  assert.deepEqual(await read('SELECT * FROM doubled ORDER BY id'), [
    ['1', '2.200000047683716', '2.2'],
    ['3', '0.20000000298023224', '0.2'],
    ['4', '0.4000000059604645', '0.4'],
  ]);
});
