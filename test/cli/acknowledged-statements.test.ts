/**
 * Acknowledged means durable, statement by statement, through the PostgreSQL endpoint of
 * `tidewatch start --pipeline none --no-generator`: INSERTs, an UPDATE and a DELETE psql had
 * answered survive a SIGKILL that comes right after psql exits; a statement that fails leaves
 * none of its effect, before a SIGKILL and after; RW_IMPLICIT_FLUSH is each session's own, and
 * with it on, the next statement of any session sees an INSERT in every view.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { psql, tidewatchConnection } from '../helpers/psql.ts';
import { RestartableServer } from '../helpers/restartable-server.ts';

/** A query's rows, each value as text. */
async function answer(client: pg.Client, sql: string): Promise<string[][]> {
  const r = await client.query<unknown[]>({ text: sql, rowMode: 'array' });
  return r.rows.map((row) => row.map(String));
}

/** Asserts that `sql` fails with `sqlstate`. */
async function fails(client: pg.Client, sql: string, sqlstate: string): Promise<void> {
  await assert.rejects(client.query(sql), (e: pg.DatabaseError) => {
    assert.equal(e.code, sqlstate, `${sql}: ${e.message}`);
    return true;
  });
}

const PADDING = 'x'.repeat(250);

describe('acknowledged statements through the PostgreSQL endpoint', { concurrency: false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tw-acked-statements-'));
  let server: RestartableServer;

  /** Runs `fn` on a new session, ended after it. */
  async function session<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = await server.connect();
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  before(async () => {
    server = new RestartableServer({
      dataDir: join(dir, 'data'),
      args: ['--pipeline', 'none', '--no-generator', '--status-interval', '600'],
    });
    await server.start();
  });
  after(async () => {
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test('1,000 single-row INSERTs psql had answered are all there after a SIGKILL right after psql exits', async () => {
    await session((c) => c.query('CREATE TABLE acked (id INT PRIMARY KEY, v VARCHAR)'));
    const file = join(dir, 'inserts.sql');
    const inserts = Array.from(
      { length: 1000 },
      (_, i) => `INSERT INTO acked VALUES (${i + 1}, 'row ${i + 1}');`,
    );
    writeFileSync(file, `${inserts.join('\n')}\n`);
    const r = await psql(tidewatchConnection(server.pgPort), ['-v', 'ON_ERROR_STOP=1', '-f', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.match(/^INSERT 0 1$/gm)?.length, 1000, `psql's answers: ${r.stdout.slice(0, 300)}`);
    await server.restart();
    const rows = await session(async (c) => {
      await c.query('FLUSH');
      return answer(c, 'SELECT count(*), count(DISTINCT id), min(id), max(id) FROM acked');
    });
    assert.deepEqual(rows, [['1000', '1000', '1', '1000']], 'count, distinct ids, min and max id of acked');
  });

  test('COPYs psql had answered (text, CSV with options, several MB) are there after a SIGKILL; a failed one left nothing', async () => {
    await session((c) =>
      c.query('CREATE TABLE copied (id INT PRIMARY KEY, at TIMESTAMP, amount NUMERIC, note VARCHAR)'),
    );
    // Over 10 MB: the DML log keeps it in several records.
    const csv = join(dir, 'copied.csv');
    const lines = Array.from(
      { length: 40_000 },
      (_, i) =>
        `${i + 1};2024-01-25 12:00:00.${i % 1000};${i}.50;${i % 7 === 0 ? 'none' : `"note ${i}; it's ""${i}"" ${PADDING}"`}`,
    );
    writeFileSync(csv, `id;at;amount;note\n${lines.join('\n')}\n`);
    const text = join(dir, 'copied.txt');
    writeFileSync(text, '40001\t2024-01-26 00:00:00\t\\N\ttab\\there\n40002\t\\N\t1e3\tlast\n');
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, '50001,2024-01-26 00:00:00,1,fine\n50002,not a time,1,bad\n');
    const r = await psql(tidewatchConnection(server.pgPort), [
      '-c',
      `\\copy copied FROM '${csv}' WITH (FORMAT csv, HEADER true, DELIMITER ';', NULL 'none')`,
      '-c',
      `\\copy copied FROM '${text}'`,
      '-c',
      `\\copy copied FROM '${bad}' WITH (FORMAT csv)`,
    ]);
    assert.match(r.stdout, /^COPY 40000\nCOPY 2$/m, r.stderr);
    assert.match(r.stderr, /invalid input syntax for type timestamp/);
    await server.restart();
    const rows = await session(async (c) => {
      await c.query('FLUSH');
      return answer(
        c,
        "SELECT count(*), count(note), sum(amount), max(at)::text, count(*) FILTER (WHERE note LIKE '%\"%'), " +
          'max(CASE WHEN id = 40001 THEN note END) FROM copied',
      );
    });
    const sum = lines.reduce((a, _, i) => a + i, 0) + 20_000 + 1000;
    assert.deepEqual(
      rows,
      [
        [
          '40002',
          String(40_002 - Math.ceil(40_000 / 7)),
          `${sum}.00`,
          '2024-01-26 00:00:00',
          String(40_000 - Math.ceil(40_000 / 7)),
          'tab\there',
        ],
      ],
      'count, notes, sum of amounts, latest time, quoted notes, the escaped tab of copied',
    );
  });

  test('an UPDATE and a DELETE psql had answered keep their effect after a SIGKILL', async () => {
    await session(async (c) => {
      await c.query('CREATE TABLE changed (id INT PRIMARY KEY, v VARCHAR)');
      const values = Array.from({ length: 1000 }, (_, i) => `(${i + 1}, 'before')`);
      await c.query(`INSERT INTO changed VALUES ${values.join(', ')}`);
      await c.query('FLUSH');
    });
    const r = await psql(tidewatchConnection(server.pgPort), [
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      "UPDATE changed SET v = 'updated' WHERE id <= 100",
      '-c',
      'DELETE FROM changed WHERE id > 900',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^UPDATE 100\nDELETE 100$/m);
    await server.restart();
    const rows = await session(async (c) => {
      await c.query('FLUSH');
      return answer(
        c,
        "SELECT count(*), sum(CASE WHEN v = 'updated' THEN 1 ELSE 0 END), min(id), max(id) FROM changed",
      );
    });
    assert.deepEqual(rows, [['900', '100', '1', '900']], 'count, rows updated, min and max id of changed');
  });

  test('a statement that fails leaves none of its effect, before a SIGKILL and after', async () => {
    const rows = [10, 11, 12, 13, 14].map((id) => [String(id), String(id)]);
    const table = (c: pg.Client) => answer(c, 'SELECT id, n FROM whole ORDER BY id');
    await session(async (c) => {
      await c.query('CREATE TABLE whole (id INT PRIMARY KEY, n INT)');
      await c.query('INSERT INTO whole VALUES (10, 10), (11, 11), (12, 12), (13, 13), (14, 14)');
      await c.query('FLUSH');
    });
    for (const implicitFlush of [false, true]) {
      await session(async (c) => {
        if (implicitFlush) await c.query('SET RW_IMPLICIT_FLUSH TO true');
        // A later row of a multi-row INSERT fails: division by zero, a text that is no integer.
        await fails(c, 'INSERT INTO whole VALUES (1, 1), (2, 2), (3, 1 / 0)', '22012');
        await fails(c, "INSERT INTO whole VALUES (4, 4), (5, CAST('x' AS INT))", '22P02');
        // Rows 10 and 11 come before the one that fails, whatever order the table keeps.
        await fails(c, 'UPDATE whole SET n = 100 / (id - 12)', '22012');
        await fails(c, 'DELETE FROM whole WHERE 100 / (id - 12) > 0', '22012');
        await c.query('FLUSH');
        assert.deepEqual(
          await table(c),
          rows,
          `RW_IMPLICIT_FLUSH ${implicitFlush}: whole after the failures`,
        );
      });
    }
    await server.restart();
    await session(async (c) => {
      await c.query('FLUSH');
      assert.deepEqual(await table(c), rows, 'whole after a SIGKILL and a restart');
    });
  });

  test('RW_IMPLICIT_FLUSH is each session’s own: SHOW in another session says false', async () => {
    const show = async (c: pg.Client) => (await answer(c, 'SHOW rw_implicit_flush'))[0]?.[0];
    await session(async (a) => {
      assert.equal(await show(a), 'false', 'a new session’s rw_implicit_flush');
      await a.query('SET RW_IMPLICIT_FLUSH TO true');
      assert.equal(await show(a), 'true', 'session A’s after its SET');
      await session(async (b) => {
        assert.equal(await show(b), 'false', 'session B’s while A has set it to true');
      });
    });
    await session(async (c) => {
      assert.equal(await show(c), 'false', 'a session after A has ended');
    });
  });

  test('current_setting reads the session’s own rw_implicit_flush', async () => {
    const current = async (c: pg.Client) =>
      (await answer(c, "SELECT current_setting('rw_implicit_flush')"))[0]?.[0];
    await session(async (a) => {
      await a.query('SET RW_IMPLICIT_FLUSH TO true');
      assert.equal(await current(a), 'true', 'session A, after its SET');
      await session(async (b) => {
        assert.equal(await current(b), 'false', 'session B, while A has set it to true');
      });
    });
  });

  test('with RW_IMPLICIT_FLUSH off, an INSERT is answered before its epoch is committed: a read right after may miss it', async () => {
    const committedEpoch = async () =>
      ((await (await fetch(`${server.httpUrl}/api/status`)).json()) as { committed_epoch: number })
        .committed_epoch;
    await session(async (a) => {
      await a.query('CREATE TABLE lazy (id INT PRIMARY KEY)');
      await a.query('CREATE MATERIALIZED VIEW lazy_count AS SELECT count(*) AS n FROM lazy');
      // A read is conclusive when no commit came between the INSERT and it: it must then miss the
      // row. A commit in between (the epoch timer) makes that try say nothing.
      let conclusive = 0;
      for (let i = 1; i <= 40 && conclusive < 5; i++) {
        const before = await committedEpoch();
        await a.query(`INSERT INTO lazy VALUES (${i})`);
        const seen = (await answer(a, 'SELECT n FROM lazy_count'))[0]?.[0];
        if ((await committedEpoch()) !== before) continue;
        conclusive++;
        assert.notEqual(seen, String(i), `INSERT ${i} was visible before any commit`);
      }
      assert.ok(conclusive >= 5, `only ${conclusive} tries had no commit between the INSERT and the read`);
      await a.query('FLUSH');
      assert.deepEqual(
        await answer(a, 'SELECT n FROM lazy_count'),
        await answer(a, 'SELECT count(*) FROM lazy'),
      );
    });
  });

  test('with RW_IMPLICIT_FLUSH on, the next statement of either session sees an INSERT in every view, 50 times in a row', async () => {
    await session(async (a) => {
      await a.query('CREATE TABLE ryw (id INT PRIMARY KEY, g INT)');
      await a.query('CREATE MATERIALIZED VIEW ryw_stats AS SELECT count(*) AS n, max(id) AS top FROM ryw');
      await a.query('CREATE MATERIALIZED VIEW ryw_groups AS SELECT g, count(*) AS n FROM ryw GROUP BY g');
      await a.query('SET RW_IMPLICIT_FLUSH TO true');
      await session(async (b) => {
        const stale: string[] = [];
        const expect = async (who: string, c: pg.Client, sql: string, want: string[][], i: number) => {
          const got = await answer(c, sql);
          if (JSON.stringify(got) !== JSON.stringify(want))
            stale.push(`after INSERT ${i}, session ${who}: ${sql} gave ${JSON.stringify(got)}`);
        };
        for (let i = 1; i <= 50; i++) {
          await a.query(`INSERT INTO ryw VALUES (${i}, ${i % 3})`);
          await expect('B', b, 'SELECT n, top FROM ryw_stats', [[String(i), String(i)]], i);
          await expect('B', b, 'SELECT sum(n) FROM ryw_groups', [[String(i)]], i);
          await expect('B', b, 'SELECT count(*) FROM ryw', [[String(i)]], i);
          await expect('A', a, 'SELECT n, top FROM ryw_stats', [[String(i), String(i)]], i);
        }
        assert.equal(
          stale.length,
          0,
          `${stale.length} reads missed the INSERT before them; the first: \n${stale.slice(0, 8).join('\n')}`,
        );
      });
    });
  });
});
