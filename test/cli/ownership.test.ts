/**
 * Ownership as PostgreSQL and RisingWave have it, through the real `tidewatch start` with
 * node-postgres and psql: a user may create only once granted CREATE on schema public, and then
 * owns what it creates — it may use, grant and drop it, another user may do none of that, root
 * (a superuser) may; pg_class.relowner, pg_tables, pg_matviews, rw_sources, rw_sinks,
 * information_schema.table_privileges and has_table_privilege say who owns what; a user owning
 * objects cannot be dropped; and ownership survives SIGKILL right after the CREATE returned.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { psql } from '../helpers/psql.ts';
import { RestartableServer } from '../helpers/restartable-server.ts';
import { failure, refused } from '../helpers/sql-failure.ts';

const ROOT = 'root-owner-secret';
const ALICE = 'alice-owner-secret';
const BOB = 'bob-owner-secret';

let dir: string;
let server: RestartableServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tw-ownership-'));
  server = new RestartableServer({
    dataDir: join(dir, 'data'),
    args: ['--pipeline', 'none', '--no-generator', '--status-interval', '600', '--password', ROOT],
  });
  await server.start();
});

after(async () => {
  await server?.dispose();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function connect(user: string, password: string): Promise<pg.Client> {
  const client = new pg.Client({ host: '127.0.0.1', port: server.pgPort, user, database: 'dev', password });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Who owns each of alice's objects, as every catalog tells it. */
async function owners(c: pg.Client): Promise<Record<string, unknown>> {
  const one = async (sql: string) => (await c.query(sql)).rows[0] ?? {};
  return {
    ...(await one(`SELECT u.usename AS relowner FROM pg_class c JOIN pg_user u ON u.usesysid = c.relowner
                   WHERE c.relname = 'alice_t'`)),
    ...(await one("SELECT tableowner FROM pg_tables WHERE tablename = 'alice_t'")),
    ...(await one("SELECT matviewowner FROM pg_matviews WHERE matviewname = 'alice_v'")),
    ...(await one(`SELECT u.name AS source_owner FROM rw_catalog.rw_sources s
                   JOIN rw_catalog.rw_users u ON u.id = s.owner WHERE s.name = 'alice_s'`)),
    ...(await one(`SELECT u.name AS sink_owner FROM rw_catalog.rw_sinks k
                   JOIN rw_catalog.rw_users u ON u.id = k.owner WHERE k.name = 'alice_k'`)),
  };
}

const ALICE_OWNS = {
  relowner: 'alice',
  tableowner: 'alice',
  matviewowner: 'alice',
  source_owner: 'alice',
  sink_owner: 'alice',
};

test('objects a user creates are its own: it uses, grants and drops them, others may not, and that survives SIGKILL', async () => {
  let root = await connect('root', ROOT);
  await root.query(`CREATE USER alice WITH PASSWORD '${ALICE}'`);
  await root.query(`CREATE USER bob WITH PASSWORD '${BOB}'`);
  await root.query('CREATE TABLE base (n INT)');
  await root.query('INSERT INTO base VALUES (1), (2)');
  let alice = await connect('alice', ALICE);
  let bob = await connect('bob', BOB);
  try {
    await refused(alice.query('CREATE TABLE alice_t (n INT)'), /^permission denied for schema public$/);
    await root.query('GRANT CREATE ON SCHEMA public TO alice, bob');
    await alice.query('CREATE TABLE alice_t (n INT)');
    await alice.query('INSERT INTO alice_t VALUES (10), (20)');
    await alice.query('FLUSH').catch(() => undefined); // FLUSH is a superuser's; the rows commit anyway
    // A view reads only what its creator may read.
    await refused(
      alice.query('CREATE MATERIALIZED VIEW alice_v AS SELECT sum(n) AS total FROM base'),
      /^permission denied for table base$/,
    );
    await alice.query('CREATE MATERIALIZED VIEW alice_v AS SELECT sum(n) AS total FROM alice_t');
    await alice.query('CREATE SOURCE alice_s (n INT) FORMAT PLAIN ENCODE JSON');
    await alice.query("CREATE SINK alice_k FROM alice_t WITH (connector = 'blackhole')");
    // A CREATE that fails leaves the name's owner as it was.
    assert.equal((await failure(alice.query('CREATE TABLE base (m INT)'))).code, '42P07');
    assert.deepEqual((await root.query("SELECT tableowner FROM pg_tables WHERE tablename = 'base'")).rows, [
      { tableowner: 'root' },
    ]);

    for (const c of [root, alice, bob]) assert.deepEqual(await owners(c), ALICE_OWNS);
    const privileges =
      await root.query(`SELECT has_table_privilege('alice', 'alice_t', 'INSERT') AS alice_inserts,
      has_table_privilege('bob', 'alice_t', 'SELECT') AS bob_reads`);
    assert.deepEqual(privileges.rows, [{ alice_inserts: true, bob_reads: false }]);

    await refused(bob.query('SELECT * FROM alice_t'), /^permission denied for table alice_t$/);
    await refused(bob.query('DROP TABLE alice_t CASCADE'), /^must be owner of table alice_t$/);
    await refused(
      bob.query('DROP MATERIALIZED VIEW alice_v'),
      /^must be owner of materialized view alice_v$/,
    );
    await refused(bob.query('DROP SINK alice_k'), /^must be owner of sink alice_k$/);
    await refused(bob.query('INSERT INTO alice_t VALUES (3)'), /^permission denied for table alice_t$/);
    // The owner grants what it owns.
    await alice.query('GRANT SELECT ON alice_t TO bob');
    assert.deepEqual((await bob.query('SELECT n FROM alice_t ORDER BY n')).rows, [{ n: 10 }, { n: 20 }]);
    const dropAlice = await failure(root.query('DROP USER alice'));
    assert.equal(dropAlice.code, '2BP01', dropAlice.message);
  } finally {
    await Promise.all([alice.end(), bob.end()]);
  }

  // Right after the acknowledged CREATE: SIGKILL, start again.
  alice = await connect('alice', ALICE);
  await alice.query('CREATE TABLE alice_late (n INT)');
  await alice.end();
  await root.end();
  await server.kill();
  await server.start();
  root = await connect('root', ROOT);
  alice = await connect('alice', ALICE);
  bob = await connect('bob', BOB);
  try {
    assert.deepEqual(await owners(bob), ALICE_OWNS);
    assert.deepEqual(
      (await root.query("SELECT tableowner FROM pg_tables WHERE tablename = 'alice_late'")).rows,
      [{ tableowner: 'alice' }],
    );
    await refused(bob.query('DROP TABLE alice_late'), /^must be owner of table alice_late$/);
    assert.deepEqual((await bob.query('SELECT count(*)::int AS n FROM alice_t')).rows, [{ n: 2 }]);
    // psql as the owner: drops what it owns.
    const asAlice = [
      '-d',
      `postgresql://alice:${ALICE}@127.0.0.1:${server.pgPort}/dev`,
      '-v',
      'ON_ERROR_STOP=1',
    ];
    const dropped = await psql(asAlice, [
      '-c',
      'DROP SINK alice_k',
      '-c',
      'DROP TABLE alice_t CASCADE',
      '-c',
      'DROP SOURCE alice_s',
    ]);
    assert.equal(dropped.code, 0, dropped.stderr);
    // A superuser drops what others own; a name made again is its new creator's.
    await root.query('DROP TABLE alice_late');
    await root.query('CREATE TABLE alice_t (n INT)');
    assert.deepEqual((await bob.query("SELECT tableowner FROM pg_tables WHERE tablename = 'alice_t'")).rows, [
      { tableowner: 'root' },
    ]);
    await refused(alice.query('DROP TABLE alice_t'), /^must be owner of table alice_t$/);
    await root.query('REVOKE CREATE ON SCHEMA public FROM alice');
    await refused(alice.query('CREATE TABLE again (n INT)'), /^permission denied for schema public$/);
    await alice.end();
    await root.query('DROP USER alice');
  } finally {
    await Promise.all([root.end(), bob.end()]);
  }
});
