/**
 * A materialized view with a unique key (an aggregate's groups) keeps its rows in the store
 * only: the engine keeps none of them in memory. What reads them through the engine borrows the
 * store's, at the engine's last barrier plus what came in since. Through the PostgreSQL endpoint
 * of `tidewatch start --pipeline none --no-generator`, while a second session keeps inserting:
 * a view created over such a view, an `INSERT … SELECT` from it and a SIGKILL and restart give
 * what the same queries give over the table in DuckDB, and `/api/status` counts the view's rows.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { RestartableServer } from '../helpers/restartable-server.ts';

async function answer(client: pg.Client, sql: string): Promise<string[][]> {
  const r = await client.query<unknown[]>({ text: sql, rowMode: 'array' });
  return r.rows.map((row) => row.map(String));
}

describe('views kept in the store only', { concurrency: false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tw-kept-views-'));
  let server: RestartableServer;
  let writer: pg.Client;
  let reader: pg.Client;
  let next = 0;

  /** Inserts `n` rows into `events`, 50 a statement, keys `k0`…`k36` in turn. */
  async function insert(n: number): Promise<void> {
    for (let done = 0; done < n; done += 50) {
      const values = Array.from({ length: 50 }, () => {
        const id = next++;
        return `('k${id % 37}', ${id % 11})`;
      });
      await writer.query(`INSERT INTO events VALUES ${values.join(', ')}`);
    }
  }

  /** What `sql` over `events` gives when DuckDB runs it (the ad-hoc path) once all is committed. */
  async function batch(sql: string): Promise<string[][]> {
    await reader.query('FLUSH');
    return answer(reader, sql);
  }

  before(async () => {
    server = new RestartableServer({
      dataDir: join(dir, 'data'),
      args: ['--pipeline', 'none', '--no-generator', '--status-interval', '600'],
    });
    await server.start();
    writer = await server.connect();
    reader = await server.connect();
    await writer.query('CREATE TABLE events (k VARCHAR, v INT)');
    await writer.query(
      'CREATE MATERIALIZED VIEW per_key AS SELECT k, count(*) AS n, sum(v) AS total FROM events GROUP BY k',
    );
    await insert(2000);
  });
  after(async () => {
    await writer?.end().catch(() => undefined);
    await reader?.end().catch(() => undefined);
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a view created over it while rows keep coming equals the same query over the table', async () => {
    const writing = insert(3000);
    await reader.query('CREATE MATERIALIZED VIEW busy_keys AS SELECT k, total FROM per_key WHERE n > 100');
    await writing;
    await insert(500);
    const expected = await batch('SELECT k, sum(v) FROM events GROUP BY k HAVING count(*) > 100 ORDER BY k');
    assert.ok(expected.length > 0);
    assert.deepEqual(await answer(reader, 'SELECT k, total FROM busy_keys ORDER BY k'), expected);
    assert.deepEqual(
      await answer(reader, 'SELECT k, n, total FROM per_key ORDER BY k'),
      await answer(reader, 'SELECT k, count(*), sum(v) FROM events GROUP BY k ORDER BY k'),
    );
  });

  test('INSERT … SELECT from it takes its rows as of the statement', async () => {
    await writer.query('CREATE TABLE snapshot (k VARCHAR, n BIGINT)');
    const writing = insert(2000);
    await reader.query('INSERT INTO snapshot SELECT k, n FROM per_key');
    await writing;
    const copied = await batch('SELECT sum(n), count(*) FROM snapshot');
    // Every key once, with a count no greater than the table's now and no smaller than before.
    assert.equal(copied[0]?.[1], '37');
    const total = Number(copied[0]?.[0]);
    assert.ok(total >= 5500 && total <= next, `${total} rows counted, between 5,500 and ${next}`);
  });

  test('a SIGKILL and a restart: the views go on from the store, and /api/status counts their rows', async () => {
    await batch('SELECT 1');
    await server.kill();
    await server.start();
    await writer.end().catch(() => undefined);
    await reader.end().catch(() => undefined);
    writer = await server.connect();
    reader = await server.connect();
    await insert(1000);
    const expected = await batch('SELECT k, sum(v) FROM events GROUP BY k HAVING count(*) > 100 ORDER BY k');
    assert.deepEqual(await answer(reader, 'SELECT k, total FROM busy_keys ORDER BY k'), expected);
    assert.deepEqual(
      await answer(reader, 'SELECT k, n, total FROM per_key ORDER BY k'),
      await answer(reader, 'SELECT k, count(*), sum(v) FROM events GROUP BY k ORDER BY k'),
    );
    const status = (await (await fetch(`${server.httpUrl}/api/status`)).json()) as {
      views: { name: string; rows: number }[];
    };
    assert.deepEqual(
      status.views.filter((v) => v.name === 'per_key' || v.name === 'busy_keys').map((v) => [v.name, v.rows]),
      [
        ['busy_keys', 37],
        ['per_key', 37],
      ],
    );
  });
});
