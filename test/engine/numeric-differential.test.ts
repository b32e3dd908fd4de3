/**
 * numeric and bigint through the engine's views against PostgreSQL 15, after every step of a
 * seeded stream of INSERT / UPDATE / DELETE on a table: sum, avg, min, max, the variance
 * family, count(DISTINCT), GROUP BY a numeric, arithmetic, window sums and top-N over
 * numerics of many display scales (1.5 and 1.50 alike), NaN and ±Infinity, bigints beyond
 * 2^53 up to ±(2^63 − 1), and sum(integer) beyond 2^53. Values are compared as PostgreSQL's
 * text, exactly: digits and display scale.
 *
 * Longer runs: NUMERIC_SEED=7 NUMERIC_STEPS=100 node --test <this file>.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Engine } from '../../src/engine/engine.ts';
import type { CatalogColumn } from '../../src/sql/catalog.ts';
import { formatType } from '../../src/sql/types.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { prng } from '../helpers/random.ts';
import { assertSameRows } from './oracle.ts';
import { engineRows, postgresRows, postgresTypeName, queryPostgres } from './pg-oracle.ts';

const DDL = 'CREATE TABLE t (id INT PRIMARY KEY, g NUMERIC, x NUMERIC, b BIGINT, i INT)';

const VIEWS: Record<string, string> = {
  per_group: `SELECT g, count(*) AS n, sum(x) AS sx, avg(x) AS ax, min(x) AS lo, max(x) AS hi,
      sum(b) AS sb, avg(b) AS ab, min(b) AS bmin, max(b) AS bmax, sum(i) AS si, avg(i) AS ai
    FROM t GROUP BY g`,
  totals: `SELECT count(*) AS n, sum(x) AS sx, avg(x) AS ax, sum(b) AS sb, avg(b) AS ab, sum(i) AS si,
      avg(i) AS ai, count(DISTINCT x) AS dx, count(DISTINCT g) AS dg, sum(DISTINCT x) AS sdx FROM t`,
  spread: `SELECT var_samp(x) AS vs, var_pop(x) AS vp, stddev_samp(x) AS ss, stddev_pop(x) AS sp,
      var_samp(i) AS vi, stddev_pop(b) AS sb FROM t WHERE x IS NULL OR x < 1e30`,
  rows: `SELECT id, x * 2 AS x2, x + g AS xg, x / 3 AS x3, round(x, 1) AS r1, trunc(x) AS t0,
      b % 1000 + i AS bi, b / 3 AS b3, -b AS nb, b::numeric / 7 AS b7, x::float8 AS xf, i * 1.5 AS i15
    FROM t WHERE x IS NOT NULL`,
  by_value: `SELECT x, count(*) AS n FROM t GROUP BY x`,
  running: `SELECT id, sum(x) OVER (ORDER BY id) AS rx, sum(b) OVER (PARTITION BY g) AS gb,
      avg(i) OVER (PARTITION BY g) AS gi FROM t`,
  top3: `SELECT id, x FROM (SELECT id, x, row_number() OVER (ORDER BY x DESC NULLS LAST, id) AS r FROM t) AS s
    WHERE r <= 3`,
  share: `SELECT g, sum(i) * 100.0 / nullif(sum(sum(i)) OVER (), 0) AS pct FROM t GROUP BY g`,
};

const STEPS = Number(process.env.NUMERIC_STEPS ?? 30);
const SEED = Number(process.env.NUMERIC_SEED ?? 11);

let pgServer: TestPostgres;
const engine = new Engine({ autoEpoch: false });
const failures = new Map<string, string>();
const columns = new Map<string, CatalogColumn[]>();

function workload(seed: number) {
  const rand = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  // Distinct values (one display scale each): which of two equal keys a group shows is the
  // scan order's choice in PostgreSQL.
  const groups = ['1.50', '2', '-0.25', '1e-3', 'NULL'];
  const fixed = [
    '0.1',
    '0.20',
    '1.50',
    '0.00',
    '9007199254740993',
    '1e-20',
    '12345678901234567890.123456789',
    '-99999999999999999999999999999999999999',
  ];
  const used = new Set<string>();
  const numerics = (): string => {
    const r = rand();
    if (r < 0.06) return 'NULL';
    if (r < 0.09) return pick(["'NaN'", "'Infinity'", "'-Infinity'"]);
    // Each of these at most once: of equal values printed apart (after `x + 0.000`), which one
    // min(x) shows is the scan order's choice in PostgreSQL.
    if (r < 0.35) {
      const v = pick(fixed);
      if (!used.has(v)) {
        used.add(v);
        return v;
      }
    }
    if (r < 0.3) return `${int(-999, 999)}.${String(int(0, 99999)).padStart(5, '0')}7`;
    // the display scale follows from the value: equal values print alike (see `groups`)
    const n = int(-100000, 100000);
    return (n / 100).toFixed(Math.abs(n) % 5);
  };
  const bigints = (): string => {
    const r = rand();
    if (r < 0.06) return 'NULL';
    if (r < 0.25)
      return pick([
        '9007199254740993',
        '-9007199254740993',
        '4611686018427387904',
        '-4611686018427387904',
        '9223372036854775807',
        '-9223372036854775807',
      ]);
    return String(int(-5_000_000, 5_000_000));
  };
  const ints = (): string =>
    rand() < 0.06 ? 'NULL' : pick(['2147483647', '-2147483648', String(int(-1000, 1000))]);
  const row = (id: number) => `(${id}, ${pick(groups)}, ${numerics()}, ${bigints()}, ${ints()})`;
  let next = 1;
  const live: number[] = [];
  return {
    step(): string[] {
      const out: string[] = [];
      for (let k = 0; k < 6; k++) {
        const r = rand();
        if (r < 0.45 || live.length < 5) {
          live.push(next);
          out.push(`INSERT INTO t VALUES ${row(next++)}`);
        } else if (r < 0.6) {
          out.push(`UPDATE t SET x = ${numerics()} WHERE id = ${pick(live)}`);
        } else if (r < 0.68) {
          // the same value at another display scale: the row prints differently
          out.push(`UPDATE t SET x = x + 0.000 WHERE id = ${pick(live)}`);
        } else if (r < 0.76) {
          out.push(`UPDATE t SET b = ${bigints()}, g = ${pick(groups)} WHERE id = ${pick(live)}`);
        } else if (r < 0.84) {
          out.push(`UPDATE t SET i = ${ints()} WHERE id = ${pick(live)}`);
        } else {
          const id = pick(live);
          live.splice(live.indexOf(id), 1);
          out.push(`DELETE FROM t WHERE id = ${id}`);
        }
      }
      return out;
    },
  };
}

async function createView(name: string, sql: string): Promise<void> {
  const client = pgServer.client;
  await client.query(`CREATE VIEW ${name} AS ${sql}`);
  await engine.execute(`CREATE MATERIALIZED VIEW ${name} AS ${sql}`);
  const cols = engine.getRelation(name)?.columns ?? [];
  const theirs = await queryPostgres(client, `SELECT * FROM ${name} LIMIT 0`);
  const expected: string[] = [];
  for (let i = 0; i < theirs.names.length; i++)
    expected.push(`${theirs.names[i]} ${await postgresTypeName(client, theirs.typeOids[i] as number)}`);
  assert.equal(cols.map((c) => `${c.name} ${formatType(c.type)}`).join(', '), expected.join(', '), name);
  columns.set(name, [...cols]);
}

before(async () => {
  pgServer = await startPostgres();
  const client = pgServer.client;
  await client.query(DDL);
  await engine.execute(DDL);
  for (const [name, sql] of Object.entries(VIEWS)) await createView(name, sql);
  const load = workload(SEED);
  for (let step = 0; step < STEPS; step++) {
    for (const s of load.step()) {
      // A statement PostgreSQL refuses (sum(int) beyond bigint…) must fail in tidewatch too.
      let pgError: string | undefined;
      try {
        await client.query(s);
      } catch (e) {
        pgError = (e as { code?: string }).code;
      }
      if (pgError !== undefined) {
        await assert.rejects(engine.execute(s), { sqlstate: pgError }, s);
        continue;
      }
      await engine.execute(s);
    }
    engine.flush();
    for (const [name, cols] of columns) {
      if (failures.has(name)) continue;
      try {
        let expected: ReturnType<typeof postgresRows>;
        try {
          expected = postgresRows(await queryPostgres(client, `SELECT * FROM ${name}`), cols);
        } catch (e) {
          // PostgreSQL fails the whole query (an overflow): the engine has skipped the row.
          failures.set(name, `PostgreSQL fails ${name} after step ${step}: ${(e as Error).message}`);
          continue;
        }
        assertSameRows(engineRows(engine.rows(name), cols), expected, `${name} after step ${step}`);
      } catch (e) {
        failures.set(name, (e as Error).message);
      }
    }
  }
});

after(async () => {
  engine.close();
  await pgServer?.stop();
});

for (const name of Object.keys(VIEWS))
  test(`${name}: numeric and bigint equal PostgreSQL's text after every step`, () => {
    const f = failures.get(name);
    assert.ok(f === undefined, f);
  });
