/**
 * numeric and bigint through the PostgreSQL endpoint of a running `tidewatch start`, against
 * a real PostgreSQL 15 given the same statements: a table with numerics of many display
 * scales, NaN, ±Infinity and bigints beyond 2^53, views aggregating it, INSERT/UPDATE/DELETE
 * step by step. Compared as PostgreSQL's bytes: text results (the views, ad-hoc queries
 * run in DuckDB, the examples an independent check found wrong: `0.1::numeric +
 * 0.2::numeric`, `round(325::numeric, 2)`, `100.0/3`…), binary results (node-postgres with
 * binary rows), COPY … TO STDOUT (psql), and after `FLUSH`, SIGKILL and a restart: the same
 * values with the same scales.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { type Running, startEmpty } from './endpoint-helpers.ts';

/** Every value as the bytes the server sent: text, or binary when asked. */
const raw = { getTypeParser: () => (v: unknown) => v } as unknown as pg.CustomTypesConfig;

async function connect(port: number, host?: string, user = 'root', database = 'dev'): Promise<pg.Client> {
  const client = new pg.Client(
    host === undefined ? { host: '127.0.0.1', port, user, database } : { host, port, user, database },
  );
  await client.connect();
  return client;
}

/** Rows as text (or hex of the binary bytes), sorted unless the query orders them. */
async function rows(client: pg.Client, sql: string, binary = false): Promise<string[]> {
  const config = { text: sql, rowMode: 'array', types: raw, binary } as pg.QueryArrayConfig;
  const r = await client.query(config);
  const text = (r.rows as unknown[][]).map((row) =>
    row.map((v) => (v === null ? 'NULL' : Buffer.isBuffer(v) ? v.toString('hex') : String(v))).join(' | '),
  );
  return /ORDER BY/i.test(sql) ? text : text.sort();
}

const SETUP = [
  'CREATE TABLE t (id INT PRIMARY KEY, g VARCHAR, x NUMERIC, b BIGINT, i INT)',
  `CREATE MATERIALIZED VIEW totals AS SELECT count(*) AS n, sum(x) AS sx, avg(x) AS ax, min(x) AS lo,
     max(x) AS hi, sum(b) AS sb, avg(b) AS ab, sum(i) AS si, avg(i) AS ai, stddev_samp(i) AS sdi FROM t`,
  `CREATE MATERIALIZED VIEW per_g AS SELECT g, sum(x) AS sx, avg(x) AS ax, max(x) AS hi, sum(b) AS sb,
     avg(i) AS ai, sum(x) * 100.0 / nullif(sum(i), 0) AS share FROM t GROUP BY g`,
  'CREATE MATERIALIZED VIEW rows_x AS SELECT id, x, x * 2 AS x2, x / 3 AS x3, round(x, 1) AS r1, b + 1 AS b1 FROM t',
  'CREATE TABLE m (id INT PRIMARY KEY, p NUMERIC(10,2), q NUMERIC(3), r NUMERIC(4,-2))',
];

const STEPS = [
  `INSERT INTO t VALUES (1, 'a', 0.1, 9007199254740993, 325), (2, 'a', 0.2, 9223372036854775000, 325),
     (3, 'b', 1.50, -9007199254740993, 10), (4, 'b', 325, 1, NULL), (5, 'c', NULL, NULL, 7)`,
  `INSERT INTO t VALUES (6, 'c', 12345678901234567890.123456789, 4611686018427387904, 2147483647),
     (7, 'd', 'NaN', 8, -3), (8, 'e', -0.005, 7, 0)`,
  'UPDATE t SET x = x + 0.000 WHERE id = 3',
  "UPDATE t SET x = 2.25, g = 'a' WHERE id = 7",
  'DELETE FROM t WHERE id IN (2, 6)',
  "INSERT INTO t VALUES (9, 'd', 'Infinity', -9223372036854775807, 1)",
  // numeric(p, s) columns round to their scale
  "INSERT INTO m VALUES (1, 1.555, 2.5, 12345), (2, -0.005, 999.4, -50), (3, 'NaN', NULL, 149)",
  'UPDATE m SET p = p * 3, q = q + 0.5 WHERE id = 1',
];

/** Queries run ad hoc (in DuckDB through the endpoint), compared with PostgreSQL's. */
const AD_HOC = [
  'SELECT 0.1::numeric + 0.2::numeric, 9007199254740993::numeric, 1.50::numeric, round(325::numeric, 2), 100.0/3',
  'SELECT 9007199254740993::bigint + 2, -9223372036854775807::bigint - 1, 2::numeric ^ 100',
  'SELECT * FROM totals',
  'SELECT * FROM per_g',
  'SELECT * FROM rows_x',
  'SELECT id, x, b FROM t ORDER BY x DESC NULLS LAST, id',
  'SELECT avg(i), sum(b), sum(x), avg(x), min(x), max(x), avg(b) FROM t WHERE x IS NULL OR x < 1e10',
  'SELECT g, avg(i) AS ai, sum(x) AS sx FROM t GROUP BY g ORDER BY g',
  'SELECT id FROM t WHERE x > 0.15 ORDER BY id',
  'SELECT sum(sx), avg(ai) FROM per_g WHERE sx < 1e10',
  'SELECT * FROM m ORDER BY id',
];

describe('numeric and bigint through the endpoint, as PostgreSQL 15 sends them', {
  concurrency: false,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tw-numeric-endpoint-'));
  const dataDir = join(dir, 'data');
  let running: Running;
  let ours: pg.Client;
  let oracle: TestPostgres;
  let theirs: pg.Client;

  before(async () => {
    oracle = await startPostgres();
    theirs = oracle.client;
    running = await startEmpty(dataDir);
    ours = await connect(running.port);
    for (const s of SETUP) {
      await ours.query(s);
      await theirs.query(s.replace('MATERIALIZED VIEW', 'VIEW'));
    }
  });

  after(async () => {
    await ours?.end().catch(() => undefined);
    await running?.stop();
    await oracle?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('views and ad-hoc queries in text and binary, after every step', async () => {
    for (const [k, step] of STEPS.entries()) {
      await ours.query(step);
      await theirs.query(step);
      await ours.query('FLUSH');
      for (const sql of AD_HOC) {
        assert.deepEqual(await rows(ours, sql), await rows(theirs, sql), `${sql} after step ${k}`);
        assert.deepEqual(
          await rows(ours, sql, true),
          await rows(theirs, sql, true),
          `binary ${sql} after step ${k}`,
        );
      }
    }
  });

  test('a numeric(p, s) column: the catalog tells its modifiers, a value beyond them fails with 22003', async () => {
    for (const sql of [
      "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'm'::regclass AND attnum > 0 ORDER BY attnum",
      "SELECT column_name, numeric_precision, numeric_scale FROM information_schema.columns WHERE table_name = 'm' ORDER BY ordinal_position",
    ])
      assert.deepEqual(await rows(ours, sql), await rows(theirs, sql), sql);
    for (const bad of [
      'INSERT INTO m VALUES (10, 123456789.5, 1, 1)',
      'INSERT INTO m VALUES (11, 1, 1000, 1)',
    ]) {
      await assert.rejects(theirs.query(bad), { code: '22003' }, bad);
      await assert.rejects(ours.query(bad), { code: '22003' }, bad);
    }
    // COPY rounds to the columns' scales as INSERT does.
    const copy = (client: pg.Client) =>
      new Promise<void>((resolve, reject) => {
        const stream = client.query(copyFrom('COPY m FROM STDIN WITH (FORMAT csv)'));
        stream.on('finish', resolve);
        stream.on('error', reject);
        stream.end('20,1.555,2.5,149\n21,-0.005,999.4,-50\n');
      });
    await copy(theirs);
    await copy(ours);
    await ours.query('FLUSH');
    const copied = 'SELECT * FROM m WHERE id >= 20 ORDER BY id';
    assert.deepEqual(await rows(ours, copied), await rows(theirs, copied));
  });

  test('a subscription cursor hands out the view rows and their changes with their exact values', async () => {
    await ours.query("CREATE SUBSCRIPTION per_g_changes FROM per_g WITH (retention = '1D')");
    await ours.query('DECLARE snap SUBSCRIPTION CURSOR FOR per_g_changes FULL');
    const columns = 'g, sx, ax, hi, sb, ai, share';
    const snapshot = await ours.query({ text: 'FETCH 100 FROM snap', rowMode: 'array', types: raw });
    const view = await rows(ours, `SELECT ${columns} FROM per_g`);
    const width = view[0]?.split(' | ').length ?? 0;
    const fetched = (snapshot.rows as unknown[][]).map((r) =>
      r
        .slice(0, width)
        .map((v) => (v === null ? 'NULL' : String(v)))
        .join(' | '),
    );
    assert.deepEqual(fetched.sort(), view);
    // a change: its new row arrives with PostgreSQL's digits
    await ours.query('DECLARE live SUBSCRIPTION CURSOR FOR per_g_changes');
    const step = "INSERT INTO t VALUES (20, 'z', 1.250, 9007199254740993, 3)";
    await ours.query(step);
    await theirs.query(step);
    await ours.query('FLUSH');
    const change = await ours.query({
      text: "FETCH 10 FROM live WITH (timeout = '5s')",
      rowMode: 'array',
      types: raw,
    });
    const inserted = (change.rows as unknown[][]).map((r) =>
      r
        .slice(0, width)
        .map((v) => (v === null ? 'NULL' : String(v)))
        .join(' | '),
    );
    assert.deepEqual(inserted, await rows(theirs, `SELECT ${columns} FROM per_g WHERE g = 'z'`));
  });

  test('COPY … TO STDOUT prints what PostgreSQL prints', () => {
    const copy = (args: string[]) =>
      spawnSync(
        'psql',
        ['-X', ...args, '-c', 'COPY (SELECT * FROM t ORDER BY id) TO STDOUT WITH (FORMAT csv)'],
        {
          encoding: 'utf8',
          timeout: 30_000,
        },
      );
    const a = copy(['-h', '127.0.0.1', '-p', String(running.port), '-U', 'root', '-d', 'dev']);
    const b = copy(['-h', oracle.socketDir, '-p', String(oracle.port), '-U', 'postgres', '-d', 'postgres']);
    assert.equal(a.stderr, '');
    assert.equal(a.stdout, b.stdout);
    assert.match(a.stdout, /9007199254740993/);
  });

  test('after FLUSH, SIGKILL and a restart, the same values with the same scales', async () => {
    const before = await Promise.all(
      ['SELECT * FROM t', 'SELECT * FROM totals', 'SELECT * FROM per_g'].map((q) => rows(ours, q)),
    );
    await ours.query('FLUSH');
    await ours.end();
    await running.kill('SIGKILL');
    running = await startEmpty(dataDir);
    ours = await connect(running.port);
    const again = await Promise.all(
      ['SELECT * FROM t', 'SELECT * FROM totals', 'SELECT * FROM per_g'].map((q) => rows(ours, q)),
    );
    assert.deepEqual(again, before);
    // The engine reloaded them exactly: its next changes are still PostgreSQL's.
    const step =
      "UPDATE t SET x = x * 1.0, b = b + 1 WHERE id IN (1, 3, 9); INSERT INTO t VALUES (10, 'a', 0.30, 9007199254740993, 5)";
    await ours.query(step);
    await theirs.query(step);
    await ours.query('FLUSH');
    for (const sql of AD_HOC)
      assert.deepEqual(await rows(ours, sql), await rows(theirs, sql), `${sql} after the restart`);
  });
});
