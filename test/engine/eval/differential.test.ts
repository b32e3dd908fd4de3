/**
 * Differential test of the expression evaluator against a real PostgreSQL 15: every
 * expression of cases.ts through tidewatch (bind → compile → format) and through PostgreSQL
 * (`SELECT <expr>`, text mode) must give the same text or the same SQLSTATE; then
 * expressions and predicates over columns, on a table of random rows loaded into both.
 */
import assert from 'node:assert/strict';
import { after, before, describe as suite, test } from 'node:test';
import { compileExpr, compilePredicate } from '../../../src/engine/eval/compile.ts';
import { bindQuery } from '../../../src/sql/binder.ts';
import { MemoryCatalog } from '../../../src/sql/catalog.ts';
import type { BoundExpr } from '../../../src/sql/expr.ts';
import { numeric, parseNumeric } from '../../../src/sql/numeric.ts';
import { parseStatement } from '../../../src/sql/parse.ts';
import type { Plan } from '../../../src/sql/plan.ts';
import { bigintReplacer, type SqlType, T, type Value } from '../../../src/sql/types.ts';
import { formatValue } from '../../../src/sql/value-text.ts';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.ts';
import { prng } from '../../helpers/random.ts';
import { cases, knownDifferences } from './cases.ts';
import { describe, type Outcome, postgresSelect, sameOutcome, tidewatchSelect } from './harness.ts';

let pg: TestPostgres;

before(async () => {
  pg = await startPostgres();
});

after(async () => {
  await pg?.stop();
});

suite('constant expressions: tidewatch = PostgreSQL 15', () => {
  for (const [group, exprs] of Object.entries(cases)) {
    test(`${group} (${exprs.length} expressions)`, async () => {
      const mismatches: string[] = [];
      for (const e of exprs) {
        const ours = tidewatchSelect(e);
        const theirs = await postgresSelect(pg.client, e);
        if (!sameOutcome(ours, theirs))
          mismatches.push(`${e}\n    tidewatch:  ${describe(ours)}\n    postgresql: ${describe(theirs)}`);
      }
      assert.equal(mismatches.length, 0, `\n${mismatches.join('\n')}`);
    });
  }
});

function brief(o: Outcome): string {
  return o.ok ? (o.text ?? 'NULL') : `ERROR ${o.sqlstate}`;
}

test('documented differences still hold (tidewatch and PostgreSQL)', async () => {
  for (const d of knownDifferences) {
    assert.equal(brief(tidewatchSelect(d.expr)), d.ours, d.expr);
    assert.equal(brief(await postgresSelect(pg.client, d.expr)), d.pg, d.expr);
  }
});

// ---------------------------------------------------------------------------
// Expressions over columns

const columns: readonly { name: string; type: SqlType; sql: string }[] = [
  { name: 'i', type: T.int4, sql: 'int4' },
  { name: 'b', type: T.int8, sql: 'int8' },
  { name: 'n', type: T.numeric, sql: 'numeric' },
  { name: 'f', type: T.float8, sql: 'float8' },
  { name: 's', type: T.text, sql: 'text' },
  { name: 'ts', type: T.timestamp, sql: 'timestamp' },
  { name: 'd', type: T.date, sql: 'date' },
  { name: 'iv', type: T.interval, sql: 'interval' },
  { name: 'flag', type: T.boolean, sql: 'boolean' },
];

const words = ['GET', 'post', 'admin', 'Ärger', 'a%b', 'x_y', '', ' pad ', '/login', 'ß', '😀', 'abc', 'ABC'];

function randomRows(count: number): Value[][] {
  const r = prng(42);
  const pick = <V>(xs: readonly V[]): V => xs[Math.floor(r() * xs.length)] as V;
  const maybe = (v: Value): Value => (r() < 0.1 ? null : v);
  const rows: Value[][] = [];
  for (let k = 0; k < count; k++) {
    const big = r() < 0.05;
    rows.push([
      maybe(big ? pick([2147483647, -2147483648, 2147483000]) : Math.floor(r() * 1200) - 200),
      maybe(
        big
          ? pick<Value>([9007199254740993n, -9223372036854775808n, 9223372036854775807n, 2 ** 53 - 1])
          : Math.floor(r() * 2e12) - 1e12,
      ),
      maybe(
        big
          ? pick([
              numeric(9007199254740993n, 0),
              numeric(1n, 30),
              parseNumeric('NaN'),
              parseNumeric('-Infinity'),
            ])
          : numeric(BigInt(Math.round((r() * 2000 - 1000) * 100)), pick([2, 2, 3, 0])),
      ),
      maybe(pick([0, -0.5, 1e-3, 3.75, 1e300, Math.round(r() * 1e6) / 1e3])),
      maybe(pick(words) + (r() < 0.3 ? pick(words) : '')),
      maybe(
        Date.UTC(2020, 0, 1) * 1000 +
          Math.floor((r() * 10 * 365 * 86400e6) / 1e6) * 1e6 +
          pick([0, 500000, 123456]),
      ),
      maybe(18262 + Math.floor(r() * 3650)),
      maybe({
        months: Math.floor(r() * 30) - 5,
        days: Math.floor(r() * 60) - 20,
        micros: Math.floor(r() * 200000) * 1e6 - 5e10,
      }),
      maybe(r() < 0.5),
    ]);
  }
  return rows;
}

const rowExprs: readonly string[] = [
  'i + 1',
  'i * 2',
  'i * b',
  'i / 7',
  'i % 7',
  '100 / i',
  'b - i',
  'n + 1',
  'n * 2.5',
  'n / 3',
  'round(n, 1)',
  'n::int',
  'n % 7',
  'n * n',
  'n - 0.005',
  'trunc(n, 1)',
  'ceil(n)',
  'sqrt(abs(n))',
  'n::float8',
  'n::text',
  'abs(n) + b',
  'b * 2',
  'b / 3',
  'b::numeric / 7',
  'b + i',
  'f * 2',
  'f::int',
  'f::numeric',
  'i::float8 / 3',
  'CASE WHEN i >= 400 THEN 1 ELSE 0 END',
  "CASE WHEN i < 0 THEN 'neg' WHEN i = 0 THEN 'zero' ELSE 'pos' END",
  "CASE WHEN s LIKE '%a%' THEN s END",
  'coalesce(i, -1)',
  'nullif(i, 0)',
  'greatest(i, 500)',
  'i IN (1, 2, 404, 500)',
  'i NOT IN (404, NULL)',
  "s || '!'",
  'concat(s, i, flag)',
  'upper(s)',
  'lower(s)',
  'length(s)',
  'substr(s, 2, 3)',
  'reverse(s)',
  'btrim(s)',
  "s LIKE 'a%'",
  "s ILIKE '%B%'",
  "s ~ '^[a-z]+$'",
  "s ~* 'a'",
  "regexp_replace(s, '[aeiou]', '*', 'g')",
  "split_part(s, '/', 2)",
  "s < 'b'",
  'md5(s)',
  'ts + iv',
  'ts - iv',
  'd + iv',
  'ts - (d + 0)::timestamp',
  'd - 30',
  "date_trunc('hour', ts)",
  "date_trunc('month', ts)",
  'extract(epoch from ts)',
  'extract(dow from ts)',
  'extract(hour from iv)',
  "date_part('day', ts)",
  "to_char(ts, 'YYYY-MM-DD HH24:MI:SS.MS')",
  'ts::date',
  'ts::text',
  'iv * 2',
  'iv / 3',
  'iv::text',
  "iv > interval '1 mon'",
  'NOT flag',
  'flag AND i > 0',
  'flag OR i > 0',
  'flag IS TRUE',
  'flag IS NOT FALSE',
  'i IS DISTINCT FROM 404',
];

const rowPredicates: readonly string[] = [
  'i >= 400',
  'i = 404',
  '400 < i',
  'i <> 0',
  'flag',
  'NOT flag',
  'flag AND i > 0',
  'flag OR i IS NULL',
  "s LIKE 'a%'",
  "s = 'GET'",
  "ts > '2025-01-01'",
  'i IN (1, 2, 404)',
  'n BETWEEN -10 AND 10',
  'n > 9007199254740992',
  'n = 1e-30',
  'b > 9007199254740992',
  'b IN (9007199254740993, 1)',
  'coalesce(i, 0) > 100',
];

function selectPlan(sql: string, catalog: MemoryCatalog): Plan {
  const stmt = parseStatement(sql);
  if (stmt.kind !== 'Select') throw new Error('not a select');
  return bindQuery(stmt.query, catalog).plan;
}

suite('expressions over columns: random rows in both systems', () => {
  const rows = randomRows(150);
  const catalog = new MemoryCatalog([
    { name: 't', kind: 'table', columns: columns.map((c) => ({ name: c.name, type: c.type })) },
  ]);

  before(async () => {
    await pg.client.query(
      `CREATE TABLE t (id int PRIMARY KEY, ${columns.map((c) => `${c.name} ${c.sql}`).join(', ')})`,
    );
    for (let k = 0; k < rows.length; k++) {
      const row = rows[k] as Value[];
      const params = [
        String(k),
        ...row.map((v, j) => formatValue(v, (columns[j] as { type: SqlType }).type)),
      ];
      await pg.client.query(`INSERT INTO t VALUES (${params.map((_, j) => `$${j + 1}`).join(', ')})`, params);
    }
  });

  test(`${rowExprs.length} expressions × ${rows.length} rows`, async () => {
    const mismatches: string[] = [];
    let compared = 0;
    let failing = 0;
    for (const e of rowExprs) {
      const plan = selectPlan(`SELECT ${e} FROM t`, catalog);
      assert.equal(plan.kind, 'Project');
      const bound = (plan as { exprs: readonly BoundExpr[] }).exprs[0] as BoundExpr;
      const f = compileExpr(bound);
      const ours: Outcome[] = rows.map((row) => {
        try {
          const v = f(row);
          return { ok: true, text: formatValue(v, bound.type), type: bound.type };
        } catch (err) {
          return { ok: false, sqlstate: (err as { sqlstate: string }).sqlstate, message: String(err) };
        }
      });
      let theirs: Outcome[];
      try {
        const r = await pg.client.query({
          text: `SELECT ${e} FROM t ORDER BY id`,
          rowMode: 'array',
          types: { getTypeParser: () => (v: string) => v } as never,
        });
        theirs = (r.rows as (string | null)[][]).map((x) => ({ ok: true, text: x[0] ?? null }));
      } catch (err) {
        // PostgreSQL stops at the first failing row: tidewatch must fail some row the same way.
        const code = (err as { code?: string }).code;
        if (!ours.some((o) => !o.ok && o.sqlstate === code))
          mismatches.push(`${e}: PostgreSQL fails with ${code}, tidewatch never does`);
        failing++;
        continue;
      }
      for (let k = 0; k < rows.length; k++) {
        const a = ours[k] as Outcome;
        const b = theirs[k] as Outcome;
        if (a.ok && a.text !== null) compared++;
        if (!sameOutcome(a, b)) {
          mismatches.push(
            `${e} on row ${k} ${JSON.stringify(rows[k], bigintReplacer)}: tidewatch ${describe(a)}, postgresql ${describe(b)}`,
          );
          break;
        }
      }
    }
    assert.equal(mismatches.length, 0, `\n${mismatches.join('\n')}`);
    // the comparison really ran: most cells non-NULL, a few expressions failing on some row
    assert.ok(compared > (rowExprs.length - failing) * rows.length * 0.6, `only ${compared} cells compared`);
    assert.ok(failing >= 2 && failing <= 8, `${failing} expressions failed in PostgreSQL`);
  });

  test(`${rowPredicates.length} predicates select the same rows`, async () => {
    for (const p of rowPredicates) {
      const plan = selectPlan(`SELECT i FROM t WHERE ${p}`, catalog);
      const filter = findFilter(plan);
      assert.ok(filter !== undefined, p);
      const pred = compilePredicate(filter);
      const ours = rows.flatMap((row, k) => (pred(row) ? [k] : []));
      const r = await pg.client.query({ text: `SELECT id FROM t WHERE ${p} ORDER BY id`, rowMode: 'array' });
      const theirs = (r.rows as number[][]).map((x) => Number(x[0]));
      assert.deepEqual(ours, theirs, p);
    }
  });
});

function findFilter(p: Plan): BoundExpr | undefined {
  if (p.kind === 'Filter') return p.predicate;
  if ('input' in p) return findFilter(p.input as Plan);
  return undefined;
}
