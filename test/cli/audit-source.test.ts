/**
 * tidewatch's own audit trail as a source, through the real `tidewatch start` with --password:
 * a view over `tidewatch_audit` counts the wrong passwords psql and node-postgres send from
 * several addresses — brute force against tidewatch itself — within an epoch; DDL and
 * privilege changes are there too, without their secrets; nobody may drop the source or post
 * into it, a user not granted it cannot read it; and after SIGKILL every event is there once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { fromAddress } from '../helpers/local-address.ts';
import { eventually } from '../helpers/poll-query.ts';
import { psql } from '../helpers/psql.ts';
import { RestartableServer } from '../helpers/restartable-server.ts';

const PASSWORD = 'audit-root-secret';

let dir: string;
let server: RestartableServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tw-audit-'));
  server = new RestartableServer({
    dataDir: join(dir, 'data'),
    args: ['--pipeline', 'none', '--no-generator', '--status-interval', '600', '--password', PASSWORD],
  });
  await server.start();
});

after(async () => {
  await server?.dispose();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** A node-postgres client connecting from `localAddress` (any 127.x address is loopback). */
function client(user: string, password: string, localAddress = '127.0.0.1'): pg.Client {
  const c = new pg.Client({
    host: '127.0.0.1',
    port: server.pgPort,
    user,
    database: 'dev',
    password,
    stream: () => fromAddress(localAddress),
  });
  c.on('error', () => undefined);
  return c;
}

async function root(): Promise<pg.Client> {
  const c = client('root', PASSWORD);
  await c.connect();
  return c;
}

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code: string; message: string };
  }
  assert.fail('succeeded');
}

const FAILURES = 'SELECT client_address, failures FROM failed_logins ORDER BY client_address';

test('a view over tidewatch_audit sees 20 wrong passwords from psql and node-postgres within an epoch', async () => {
  const admin = await root();
  try {
    await admin.query(`CREATE MATERIALIZED VIEW failed_logins AS
      SELECT client_address, count(*) AS failures, max(event_time) AS last_attempt
      FROM tidewatch_audit WHERE kind = 'login' AND NOT success
      GROUP BY client_address`);
    await admin.query(`CREATE MATERIALIZED VIEW brute_force AS
      SELECT client_address, user_name, count(*) AS attempts
      FROM tidewatch_audit WHERE kind = 'login' AND NOT success
      GROUP BY client_address, user_name HAVING count(*) >= 5`);

    // 5 from psql (its address is 127.0.0.1), 15 from node-postgres on three other addresses.
    const fromPsql = async () => {
      for (let i = 0; i < 5; i++) {
        const run = await psql(
          ['-w', '-d', `host=127.0.0.1 port=${server.pgPort} user=root dbname=dev password=psql-guess-${i}`],
          ['-c', 'SELECT 1'],
        );
        assert.notEqual(run.code, 0);
        assert.match(run.stderr, /password authentication failed/);
      }
    };
    const fromPg = async (address: string) => {
      for (let i = 0; i < 5; i++) {
        const refused = await failure(client('root', `pg-guess-${i}`, address).connect());
        assert.equal(refused.code, '28P01');
      }
    };
    const sent = Date.now();
    await Promise.all([fromPsql(), fromPg('127.0.0.2'), fromPg('127.0.0.3'), fromPg('127.0.0.4')]);
    const rows = await eventually(
      admin,
      FAILURES,
      (r) => r.length === 4 && r.every((x) => x.failures === '5'),
    );
    assert.deepEqual(
      rows.map((r) => [r.client_address, r.failures]),
      [
        ['127.0.0.1', '5'],
        ['127.0.0.2', '5'],
        ['127.0.0.3', '5'],
        ['127.0.0.4', '5'],
      ],
    );
    const last = await admin.query('SELECT max(last_attempt) AS t FROM failed_logins');
    assert.ok(
      Math.abs((last.rows[0].t as Date).getTime() - Date.now()) < 60_000,
      'event time is the attempt’s',
    );
    assert.ok(Date.now() - sent < 30_000);
    const brute = await admin.query('SELECT client_address, user_name, attempts FROM brute_force ORDER BY 1');
    assert.equal(brute.rows.length, 4);
    assert.deepEqual(brute.rows[0], { client_address: '127.0.0.1', user_name: 'root', attempts: '5' });

    const raw = await admin.query(
      `SELECT method, database_name, sqlstate, message FROM tidewatch_audit
       WHERE kind = 'login' AND NOT success AND client_address = '127.0.0.2' LIMIT 1`,
    );
    assert.deepEqual(raw.rows[0], {
      method: 'scram-sha-256',
      database_name: 'dev',
      sqlstate: '28P01',
      message: 'password authentication failed for user "root"',
    });
  } finally {
    await admin.end();
  }
});

test('DDL and privilege changes are in the trail without their secrets; the source is nobody’s to drop or feed', async () => {
  const admin = await root();
  try {
    await admin.query("CREATE USER auditee WITH PASSWORD 'auditee-pass-1'");
    await admin.query('CREATE TABLE audited_table (a INT)');
    await admin.query('GRANT SELECT ON TABLE audited_table TO auditee');
    const dropped = await failure(admin.query('DROP SOURCE tidewatch_audit'));
    assert.equal(dropped.code, '42501', dropped.message);
    const cascade = await failure(admin.query('DROP SOURCE IF EXISTS public.tidewatch_audit CASCADE'));
    assert.equal(cascade.code, '42501');
    // tidewatch's own names are not a client's to take (this once stopped the server at its commit).
    for (const ddl of [
      'CREATE TABLE tidewatch_views (a INT)',
      'CREATE MATERIALIZED VIEW __tw_x AS SELECT 1 AS a',
    ]) {
      const reserved = await failure(admin.query(ddl));
      assert.equal(reserved.code, '42939', reserved.message);
    }
    assert.deepEqual((await admin.query('SELECT 1 AS one')).rows, [{ one: 1 }]);

    const user = client('auditee', 'auditee-pass-1');
    await user.connect();
    try {
      const read = await failure(user.query('SELECT count(*) FROM tidewatch_audit'));
      assert.equal(read.code, '42501');
      const create = await failure(user.query('CREATE TABLE not_mine (a INT)'));
      assert.equal(create.code, '42501');
    } finally {
      await user.end();
    }
    const grafana = await admin.query(
      "SELECT has_table_privilege('grafana', 'tidewatch_audit', 'SELECT') AS ok",
    );
    assert.equal(grafana.rows[0].ok, false, 'the read-only built-in users are not handed the trail');

    const posted = await fetch(`${server.httpUrl}/ingest/tidewatch_audit`, {
      method: 'POST',
      headers: { authorization: `Bearer ${PASSWORD}`, 'content-type': 'application/x-ndjson' },
      body: '{"kind":"login","user_name":"forged","success":true}\n',
    });
    assert.equal(posted.status, 403);

    const rows = await eventually(
      admin,
      `SELECT kind, user_name, statement, success, sqlstate FROM tidewatch_audit
       WHERE kind IN ('ddl', 'access') ORDER BY event_time`,
      (r) => r.length >= 10,
    );
    assert.deepEqual(
      rows.map((r) => [r.kind, r.user_name, r.statement, r.success, r.sqlstate]),
      [
        ['ddl', 'root', 'CREATE MATERIALIZED VIEW failed_logins', true, null],
        ['ddl', 'root', 'CREATE MATERIALIZED VIEW brute_force', true, null],
        ['access', 'root', 'CREATE USER auditee PASSWORD', true, null],
        ['ddl', 'root', 'CREATE TABLE audited_table', true, null],
        ['access', 'root', 'GRANT SELECT ON TABLE audited_table TO auditee', true, null],
        ['ddl', 'root', 'DROP SOURCE tidewatch_audit', false, '42501'],
        ['ddl', 'root', 'DROP SOURCE IF EXISTS public.tidewatch_audit', false, '42501'],
        ['ddl', 'root', 'CREATE TABLE tidewatch_views', false, '42939'],
        ['ddl', 'root', 'CREATE MATERIALIZED VIEW __tw_x', false, '42939'],
        ['ddl', 'auditee', 'CREATE TABLE not_mine', false, '42501'],
      ].slice(0, rows.length),
    );
    const all = await admin.query(
      "SELECT string_agg(coalesce(statement, ''), ' ') AS s FROM tidewatch_audit",
    );
    assert.doesNotMatch(all.rows[0].s as string, /auditee-pass-1/);
    assert.doesNotMatch(server.stderr, /auditee-pass-1/);
    assert.match(
      server.stderr,
      /ddl REFUSED \(42501 .*\): "DROP SOURCE tidewatch_audit" by "root" from 127\.0\.0\.1/,
    );
  } finally {
    await admin.end();
  }
});

test('after SIGKILL every audit event is counted once, and new ones still come in', async () => {
  let admin = await root();
  await admin.query('FLUSH');
  const before = await admin.query(FAILURES);
  const total = await admin.query('SELECT count(*) AS n FROM tidewatch_audit');
  await admin.end();
  await server.kill();
  await server.start();
  admin = await root();
  try {
    assert.deepEqual((await admin.query(FAILURES)).rows, before.rows);
    // The login just made is one more event; nothing before it came twice.
    const after = await eventually(
      admin,
      'SELECT count(*) AS n FROM tidewatch_audit',
      (r) => Number(r[0]?.n) > Number(total.rows[0].n),
    );
    assert.equal(Number(after[0]?.n), Number(total.rows[0].n) + 1);
    await failure(client('root', 'after-restart', '127.0.0.5').connect());
    const rows = await eventually(admin, FAILURES, (r) => r.length === 5);
    assert.deepEqual(rows.at(-1), { client_address: '127.0.0.5', failures: '1' });
  } finally {
    await admin.end();
  }
});
