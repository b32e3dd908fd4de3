/**
 * Limits of the PostgreSQL endpoint that a client cannot talk its way past, tried with
 * node-postgres against the real `tidewatch start`: statement_timeout (the server's default
 * from --statement-timeout, a session's own SET) cancels a long query with 57014 and the
 * session goes on; --max-connections refuses one client more with 53300; an expression nested
 * past the stack is 54001, not an internal error.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { RestartableServer } from '../helpers/restartable-server.ts';

/** A cross join DuckDB needs minutes for. */
const LONG_QUERY = 'SELECT count(*) AS n FROM generate_series(1, 200000000) a, generate_series(1, 1000) b';

let dir: string;
let server: RestartableServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tw-limits-'));
  server = new RestartableServer({
    dataDir: join(dir, 'data'),
    args: [
      '--pipeline',
      'none',
      '--no-generator',
      '--status-interval',
      '60',
      '--statement-timeout',
      '1s',
      '--max-connections',
      '4',
    ],
  });
  await server.start();
});

after(async () => {
  await server?.dispose();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function failure(client: pg.Client, sql: string): Promise<{ code: string; message: string }> {
  try {
    await client.query(sql);
  } catch (e) {
    return e as { code: string; message: string };
  }
  assert.fail(`${sql.slice(0, 60)}… succeeded`);
}

test('statement_timeout cancels a long query with 57014, the server default first, then the session’s own', async () => {
  const client = await server.connect();
  try {
    assert.equal((await client.query('SHOW statement_timeout')).rows[0].statement_timeout, '1s');
    let started = Date.now();
    const byDefault = await failure(client, LONG_QUERY);
    assert.deepEqual(
      [byDefault.code, byDefault.message],
      ['57014', 'canceling statement due to statement timeout'],
    );
    assert.ok(Date.now() - started < 15_000, `canceled after ${Date.now() - started} ms`);
    assert.deepEqual((await client.query('SELECT 1 AS one')).rows, [{ one: 1 }], 'the session goes on');

    await client.query("SET statement_timeout = '300ms'");
    started = Date.now();
    const bySession = await failure(client, LONG_QUERY);
    assert.equal(bySession.code, '57014');
    assert.ok(Date.now() - started < 15_000);
    const bad = await failure(client, "SET statement_timeout = 'soon'");
    assert.equal(bad.code, '22023');
    await client.query('RESET statement_timeout');
    assert.equal((await client.query('SHOW statement_timeout')).rows[0].statement_timeout, '1s');
    // A query within the limit is not disturbed by a timer left over.
    await client.query("SET statement_timeout = '2s'");
    for (let i = 0; i < 5; i++)
      assert.equal(
        (await client.query('SELECT count(*)::int AS n FROM generate_series(1, 1000)')).rows[0].n,
        1000,
      );
  } finally {
    await client.end();
  }
});

test('--max-connections: one client more is refused with 53300, and admitted once another leaves', async () => {
  const clients = await Promise.all(Array.from({ length: 4 }, () => server.connect()));
  try {
    const extra = new pg.Client({ host: '127.0.0.1', port: server.pgPort, user: 'root', database: 'dev' });
    extra.on('error', () => undefined);
    const refused = await extra.connect().then(
      () => assert.fail('a fifth client was admitted'),
      (e: { code: string; message: string }) => e,
    );
    assert.deepEqual([refused.code, refused.message], ['53300', 'sorry, too many clients already']);
    await (clients.pop() as pg.Client).end();
    const again = await server.connect();
    clients.push(again);
    assert.deepEqual((await again.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
});

test('an expression nested past the stack is 54001, and the session goes on', async () => {
  const client = await server.connect();
  try {
    const deep = await failure(client, `SELECT ${'1+'.repeat(5000)}1 AS n`);
    assert.equal(deep.code, '54001', deep.message);
    assert.deepEqual((await client.query('SELECT 2 AS two')).rows, [{ two: 2 }]);
  } finally {
    await client.end();
  }
});
