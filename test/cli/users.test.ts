/**
 * Users and privileges through the real `tidewatch start`, as clients meet them (node-postgres
 * and psql): root creates users and grants SELECT on one view; the user reads it and is refused
 * with 42501 everything else — another view, a join through it, INSERT, COPY FROM, DROP, CREATE,
 * FLUSH, ALTER SYSTEM; REVOKE takes the read back at once; logins are refused as PostgreSQL
 * refuses them (28P01, 28000, 3D000); pg_user, pg_roles, rw_users and has_table_privilege tell
 * the truth; each change is a line of the audit trail without its password; and users and grants
 * survive SIGKILL right after they were acknowledged. Without a password (trusted loopback) a
 * user must still exist.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import pg from 'pg';
import { psql } from '../helpers/psql.ts';
import { RestartableServer } from '../helpers/restartable-server.ts';
import { failure, refused } from '../helpers/sql-failure.ts';

const ROOT_PASSWORD = 'root-secret-1';
const ALICE_PASSWORD = 'alice-secret-2';
const EMPTY = ['--pipeline', 'none', '--no-generator', '--status-interval', '600'];

async function newServer(t: TestContext, args: readonly string[]): Promise<RestartableServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tw-users-'));
  const server = new RestartableServer({ dataDir: join(dir, 'data'), args });
  t.after(async () => {
    await server.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
  await server.start();
  return server;
}

async function connect(
  server: RestartableServer,
  user: string,
  password?: string,
  database = 'dev',
): Promise<pg.Client> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: server.pgPort,
    user,
    database,
    ...(password === undefined ? {} : { password }),
    query_timeout: 60_000,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function rows(client: pg.Client, sql: string, params: unknown[] = []): Promise<unknown[][]> {
  return (await client.query<unknown[]>({ text: sql, values: params, rowMode: 'array' })).rows;
}

test('a read-only user reads what it was granted and nothing more; logins, catalog and audit are truthful; all survives SIGKILL', async (t) => {
  const server = await newServer(t, [
    ...EMPTY,
    '--password',
    ROOT_PASSWORD,
    '--barrier-interval-ms',
    '3600000',
  ]);
  const root = await connect(server, 'root', ROOT_PASSWORD);
  await root.query('CREATE TABLE t (a int)');
  await root.query('CREATE MATERIALIZED VIEW v1 AS SELECT a FROM t');
  await root.query('CREATE MATERIALIZED VIEW v2 AS SELECT count(*) AS n FROM t');
  await root.query('INSERT INTO t VALUES (1), (2)');
  await root.query('FLUSH');
  await root.query(`CREATE USER alice WITH PASSWORD '${ALICE_PASSWORD}'`);
  await root.query("CREATE USER nolog WITH PASSWORD 'nolog-secret' NOLOGIN");
  const granted = await root.query('GRANT SELECT ON MATERIALIZED VIEW v1 TO alice');
  assert.equal(granted.command, 'GRANT'); // node-postgres keeps the tag's first word of GRANT_PRIVILEGE

  // The audit trail: every change, by whom and from where, never a password.
  assert.match(server.stderr, /access: "CREATE USER alice PASSWORD" by "root" from 127\.0\.0\.1/);
  assert.match(server.stderr, /access: "GRANT SELECT ON MATERIALIZED VIEW v1 TO alice" by "root"/);
  assert.ok(!server.stderr.includes(ALICE_PASSWORD), 'a password in the log');

  const alice = await connect(server, 'alice', ALICE_PASSWORD);
  assert.deepEqual(await rows(alice, 'SELECT a FROM v1 ORDER BY a'), [[1], [2]]);
  assert.deepEqual(await rows(alice, 'SELECT current_user, session_user'), [['alice', 'alice']]);
  assert.deepEqual(await rows(alice, 'SHOW is_superuser'), [['off']]);
  await refused(alice.query('SELECT * FROM v2'), /^permission denied for materialized view v2$/);
  await refused(
    alice.query('SELECT * FROM v2 WHERE n > $1', [0]),
    /permission denied for materialized view v2/,
  );
  await refused(
    alice.query('SELECT a FROM v1 WHERE a IN (SELECT n FROM v2)'),
    /permission denied for materialized view v2/,
  );
  await refused(alice.query('SELECT * FROM t'), /^permission denied for table t$/);
  await refused(alice.query('INSERT INTO t VALUES (3)'), /^permission denied for table t$/);
  await refused(alice.query('INSERT INTO t VALUES ($1)', [3]), /permission denied for table t/);
  await refused(alice.query('DELETE FROM t'), /permission denied for table t/);
  await refused(alice.query('DROP MATERIALIZED VIEW v1'), /must be owner of materialized view v1/);
  await refused(alice.query('CREATE TABLE mine (a int)'), /permission denied for schema public/);
  await refused(alice.query('FLUSH'), /must be superuser/);
  await refused(
    alice.query('ALTER SYSTEM SET barrier_interval_ms = 500'),
    /permission denied to set parameter/,
  );
  await refused(alice.query('CREATE USER eve'), /permission denied to create role/);
  await refused(alice.query('GRANT SELECT ON v2 TO alice'), /permission denied for materialized view v2/);
  await refused(
    alice.query("SET session_authorization = 'root'"),
    /permission denied to set session authorization/,
  );
  assert.match(
    server.stderr,
    /access REFUSED \(42501 "permission denied to create role"\): "CREATE USER eve" by "alice"/,
  );
  assert.deepEqual(
    await rows(
      alice,
      "SELECT has_table_privilege('v1', 'select'), has_table_privilege('v2', 'SELECT'), has_table_privilege('alice', 't', 'INSERT'), has_table_privilege('root', 't', 'INSERT'), has_table_privilege('pg_class', 'SELECT')",
    ),
    [[true, false, false, true, true]],
  );
  // The catalog stays readable, and tells the truth.
  // Beside root: the page's NOLOGIN user and Grafana's, which start keeps.
  assert.deepEqual(await rows(alice, 'SELECT usename, usesuper FROM pg_user ORDER BY usesysid'), [
    ['root', true],
    ['grafana', false],
    ['alice', false],
  ]);
  assert.deepEqual(await rows(alice, 'SELECT rolname, rolcanlogin FROM pg_roles ORDER BY oid'), [
    ['root', true],
    ['dashboard', false],
    ['grafana', true],
    ['alice', true],
    ['nolog', false],
  ]);
  assert.deepEqual(
    await rows(
      alice,
      "SELECT grantor, table_name, privilege_type, is_grantable FROM information_schema.table_privileges WHERE grantee = 'alice'",
    ),
    [['root', 'v1', 'SELECT', 'NO']],
  );

  // psql sees the same refusals (COPY FROM included), in PostgreSQL's words.
  const asAlice = ['-d', `postgresql://alice:${ALICE_PASSWORD}@127.0.0.1:${server.pgPort}/dev`];
  const denied = await psql(asAlice, ['-c', 'SELECT * FROM v2']);
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /ERROR: {2}permission denied for materialized view v2/);
  const copy = await psql(asAlice, ['-c', '\\copy t from stdin'], '5\n\\.\n');
  assert.match(copy.stderr, /permission denied for table t/);
  const copyOut = await psql(asAlice, ['-c', 'COPY v2 TO STDOUT']);
  assert.match(copyOut.stderr, /permission denied for materialized view v2/);
  // psql's \du and \dp read the catalog: the roles, and each relation's access privileges.
  const du = await psql(asAlice, ['-c', '\\du']);
  assert.match(du.stdout, /dashboard +\| Cannot login/);
  const dp = await psql(asAlice, ['-At', '-c', '\\dp v1']);
  assert.match(dp.stdout, /root=r\/root\nalice=r\/root/);
  const read = await psql(asAlice, ['-At', '-c', 'SELECT sum(a) FROM v1']);
  assert.equal(read.stdout.trim(), '3', read.stderr);

  // The page's SQL box runs as the NOLOGIN user "dashboard": it reads, and writes nothing.
  const box = async (sql: string) => {
    const r = await fetch(`${server.httpUrl}/api/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ROOT_PASSWORD}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sql }),
    });
    return { status: r.status, body: (await r.json()) as { rows?: unknown[][]; sqlstate?: string } };
  };
  assert.deepEqual((await box('SELECT current_user, (SELECT count(*) FROM v2) AS n')).body.rows, [
    ['dashboard', 1],
  ]);
  for (const sql of [
    'INSERT INTO t VALUES (9)',
    'DROP TABLE t',
    "CREATE USER x PASSWORD 'y'",
    'GRANT SELECT ON t TO alice',
  ]) {
    const r = await box(sql);
    assert.deepEqual([r.status, r.body.sqlstate], [403, '25006'], sql);
  }
  assert.equal((await failure(connect(server, 'dashboard', ROOT_PASSWORD))).code, '28P01');

  // Logins refused as PostgreSQL refuses them.
  const wrong = await failure(connect(server, 'alice', 'not-it'));
  assert.equal(wrong.code, '28P01');
  assert.match(wrong.message, /password authentication failed for user "alice"/);
  // An unknown user fails as a wrong password does: a client cannot tell which names exist.
  assert.equal((await failure(connect(server, 'ghost', 'whatever'))).code, '28P01');
  const nolog = await failure(connect(server, 'nolog', 'nolog-secret'));
  assert.equal(nolog.code, '28000');
  assert.match(nolog.message, /role "nolog" is not permitted to log in/);
  const db = await failure(connect(server, 'alice', ALICE_PASSWORD, 'prod'));
  assert.equal(db.code, '3D000');
  assert.match(db.message, /database "prod" does not exist/);

  // REVOKE takes the read back at once, in the session that holds it.
  await root.query('REVOKE SELECT ON v1 FROM alice');
  await refused(alice.query('SELECT a FROM v1'), /permission denied for materialized view v1/);
  await root.query('GRANT SELECT ON v2 TO alice');
  // SIGKILL right after the GRANT is acknowledged (epochs end only on demand here, so nothing
  // but the GRANT's own commit can have made it durable): users and grants are there after it.
  await server.restart();
  await alice.end().catch(() => undefined);
  await root.end().catch(() => undefined);
  const again = await connect(server, 'alice', ALICE_PASSWORD);
  assert.deepEqual(await rows(again, 'SELECT n FROM v2'), [['2']]);
  await refused(again.query('SELECT a FROM v1'), /permission denied for materialized view v1/);
  assert.equal((await failure(connect(server, 'nolog', 'nolog-secret'))).code, '28000');
  const root2 = await connect(server, 'root', ROOT_PASSWORD);
  assert.deepEqual(
    await rows(root2, 'SELECT name, is_super, can_login FROM rw_catalog.rw_users ORDER BY id'),
    [
      ['root', true, true],
      ['dashboard', false, false],
      ['grafana', false, true],
      ['alice', false, true],
      ['nolog', false, false],
    ],
  );
  assert.deepEqual(await rows(root2, "SELECT has_table_privilege('alice', 'v2', 'select')"), [[true]]);
  // A relation dropped takes its grants; one created again under its name has none.
  await root2.query('DROP MATERIALIZED VIEW v2');
  await root2.query('CREATE MATERIALIZED VIEW v2 AS SELECT count(*) AS n FROM t');
  await refused(again.query('SELECT n FROM v2'), /permission denied for materialized view v2/);
  await root2.query('ALTER USER alice RENAME TO alicia');
  await root2.query('DROP USER nolog');
  await again.end();
  await root2.end();

  // A rename keeps the password (a SCRAM secret does not depend on the name), a clean stop too.
  await server.stop();
  await server.start();
  const alicia = await connect(server, 'alicia', ALICE_PASSWORD);
  assert.deepEqual(await rows(alicia, 'SELECT current_user'), [['alicia']]);
  await alicia.end();
  assert.equal((await failure(connect(server, 'nolog', 'nolog-secret'))).code, '28P01');
  assert.equal((await failure(connect(server, 'alice', ALICE_PASSWORD))).code, '28P01');
});

test('without a password on loopback, logins are trusted but the user must exist and may log in', async (t) => {
  const server = await newServer(t, EMPTY);
  const unknown = await failure(connect(server, 'ghost'));
  assert.equal(unknown.code, '28000');
  assert.match(unknown.message, /role "ghost" does not exist/);
  const root = await connect(server, 'root');
  await root.query('CREATE TABLE t (a int)');
  await root.query('CREATE USER bob');
  await root.query('CREATE USER carol NOLOGIN');
  await root.query('GRANT INSERT ON TABLE t TO bob');
  const bob = await connect(server, 'bob');
  await bob.query('INSERT INTO t VALUES (1)');
  await refused(bob.query('SELECT * FROM t'), /permission denied for table t/);
  await refused(bob.query('UPDATE t SET a = 2'), /permission denied for table t/);
  assert.equal((await failure(connect(server, 'carol'))).code, '28000');
  assert.deepEqual(await rows(root, 'SELECT a FROM t'), []);
  await root.query('FLUSH');
  assert.deepEqual(await rows(root, 'SELECT a FROM t'), [[1]]);
  await bob.end();
  await root.end();
});
