/**
 * Limits of the PostgreSQL endpoint that a client cannot talk its way past, tried with
 * node-postgres against the real `tidewatch start`: statement_timeout (the server's default
 * from --statement-timeout, a session's own SET) cancels a long query with 57014 and the
 * session goes on; --max-connections refuses one client more with 53300; an expression nested
 * past the stack is 54001, not an internal error.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
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

/** A socket that connects from `localAddress` when node-postgres connects it to (port, host). */
function fromAddress(localAddress: string): Socket {
  const socket = new Socket();
  const connect = socket.connect.bind(socket) as (options: {
    port: number;
    host: string;
    localAddress: string;
  }) => Socket;
  (socket as unknown as { connect: (port: number, host: string) => Socket }).connect = (port, host) =>
    connect({ port, host, localAddress });
  return socket;
}

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

test('wrong passwords slow down their address, not another’s, and each attempt is a line of the audit trail', async () => {
  const guarded = new RestartableServer({
    dataDir: join(dir, 'guarded'),
    args: ['--pipeline', 'none', '--no-generator', '--status-interval', '60', '--password', 'right-one'],
  });
  await guarded.start();
  try {
    const login = async (password: string, localAddress: string): Promise<{ ok: boolean; ms: number }> => {
      const started = Date.now();
      const client = new pg.Client({
        user: 'root',
        database: 'dev',
        password,
        host: '127.0.0.1',
        port: guarded.pgPort,
        stream: () => fromAddress(localAddress),
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.end();
        return { ok: true, ms: Date.now() - started };
      } catch (e) {
        assert.equal((e as { code?: string }).code, '28P01');
        return { ok: false, ms: Date.now() - started };
      }
    };
    const guesses: number[] = [];
    for (let i = 0; i < 8; i++) guesses.push((await login(`guess-${i}`, '127.0.0.2')).ms);
    // Three free failures, then 100 ms doubling: the fifth guess waits 100 ms, the eighth 800 ms.
    assert.ok((guesses[7] as number) >= 750, `the guesser waits: ${guesses.join(', ')} ms`);
    assert.ok((guesses[7] as number) > (guesses[5] as number), `the wait grows: ${guesses.join(', ')} ms`);
    const other = await login('right-one', '127.0.0.3');
    assert.ok(other.ok && other.ms < 1_000, `another address logs in at once (${other.ms} ms)`);
    const guesser = await login('right-one', '127.0.0.2');
    assert.ok(guesser.ok, 'the right password still works from the guessing address, after its wait');
    const again = await login('right-one', '127.0.0.2');
    assert.ok(again.ms < 1_000, `a success forgets the failures (${again.ms} ms)`);
    const lines = guarded.stderr.split('\n').filter((l) => l.startsWith('tidewatch: login'));
    assert.equal(
      lines.filter((l) => /FAILED: user "root" database "dev" from 127\.0\.0\.2/.test(l)).length,
      8,
    );
    assert.equal(lines.filter((l) => /login ok: .* from 127\.0\.0\.3 \(scram-sha-256\)/.test(l)).length, 1);
  } finally {
    await guarded.dispose();
  }
});
