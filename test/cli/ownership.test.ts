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
import { eventually } from '../helpers/poll-query.ts';
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

/** Who owns each of the objects `<prefix>_t`, `_v`, `_s` and `_k`, as every catalog tells it. */
async function owners(c: pg.Client, prefix = 'alice'): Promise<Record<string, unknown>> {
  const one = async (sql: string, name: string) => (await c.query(sql, [`${prefix}_${name}`])).rows[0] ?? {};
  return {
    ...(await one(
      `SELECT u.usename AS relowner FROM pg_class c JOIN pg_user u ON u.usesysid = c.relowner
       WHERE c.relname = $1`,
      't',
    )),
    ...(await one('SELECT tableowner FROM pg_tables WHERE tablename = $1', 't')),
    ...(await one('SELECT matviewowner FROM pg_matviews WHERE matviewname = $1', 'v')),
    ...(await one(
      `SELECT u.name AS source_owner FROM rw_catalog.rw_sources s
       JOIN rw_catalog.rw_users u ON u.id = s.owner WHERE s.name = $1`,
      's',
    )),
    ...(await one(
      `SELECT u.name AS sink_owner FROM rw_catalog.rw_sinks k
       JOIN rw_catalog.rw_users u ON u.id = k.owner WHERE k.name = $1`,
      'k',
    )),
  };
}

/** What `owners` says when `user` owns all four. */
function ownedBy(user: string): Record<string, string> {
  return { relowner: user, tableowner: user, matviewowner: user, source_owner: user, sink_owner: user };
}

const ALICE_OWNS = ownedBy('alice');

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

test('ALTER … OWNER TO: a superuser gives an object away, the new owner drops and grants it, the old one may not; refusals; durable across SIGKILL and audited', async () => {
  const DAVE = 'dave-owner-secret';
  const ERIN = 'erin-owner-secret';
  const FRANK = 'frank-owner-secret';
  let root = await connect('root', ROOT);
  await root.query(`CREATE USER dave WITH PASSWORD '${DAVE}'`);
  await root.query(`CREATE USER erin WITH PASSWORD '${ERIN}'`);
  await root.query(`CREATE USER frank WITH PASSWORD '${FRANK}'`);
  await root.query('GRANT CREATE ON SCHEMA public TO dave');
  let dave = await connect('dave', DAVE);
  let erin = await connect('erin', ERIN);
  let frank = await connect('frank', FRANK);
  try {
    await dave.query('CREATE TABLE dave_t (n INT)');
    await dave.query('INSERT INTO dave_t VALUES (1), (2), (3)');
    await dave.query('CREATE MATERIALIZED VIEW dave_v AS SELECT count(*) AS c FROM dave_t');
    await dave.query('CREATE SOURCE dave_s (n INT) FORMAT PLAIN ENCODE JSON');
    await dave.query("CREATE SINK dave_k FROM dave_t WITH (connector = 'blackhole')");
    await dave.query('GRANT SELECT ON dave_t TO frank');
    assert.deepEqual(await owners(frank, 'dave'), ownedBy('dave'));

    // The owner may give only to a role it is a member of: itself, which changes nothing.
    await refused(dave.query('ALTER TABLE dave_t OWNER TO erin'), /^must be member of role "erin"$/);
    assert.equal((await dave.query('ALTER TABLE dave_t OWNER TO dave')).command, 'ALTER');
    assert.equal((await dave.query('ALTER SINK dave_k OWNER TO CURRENT_USER')).command, 'ALTER');
    // Anyone else not at all, not even to themselves.
    await refused(erin.query('ALTER TABLE dave_t OWNER TO erin'), /^must be owner of table dave_t$/);
    await refused(
      erin.query('ALTER MATERIALIZED VIEW dave_v OWNER TO erin'),
      /^must be owner of materialized view dave_v$/,
    );
    await refused(erin.query('ALTER SINK dave_k OWNER TO erin'), /^must be owner of sink dave_k$/);
    // Unknown users and objects, the wrong kind of object, tidewatch's own, other ALTER forms.
    const cases: [string, string, RegExp][] = [
      ['ALTER TABLE dave_t OWNER TO nobody', '42704', /^role "nobody" does not exist$/],
      ['ALTER TABLE missing_t OWNER TO erin', '42P01', /^relation "missing_t" does not exist$/],
      ['ALTER SINK missing_k OWNER TO erin', '42704', /^sink "missing_k" does not exist$/],
      ['ALTER VIEW dave_v OWNER TO erin', '42809', /^"dave_v" is not a view$/],
      ['ALTER TABLE dave_s OWNER TO erin', '42809', /^"dave_s" is not a table$/],
      ['ALTER SOURCE dave_t OWNER TO erin', '42809', /^"dave_t" is not a source$/],
      ['ALTER SINK dave_t OWNER TO erin', '42809', /^"dave_t" is not a sink$/],
      ['ALTER SOURCE tidewatch_audit OWNER TO erin', '42501', /is a system source of tidewatch/],
      ['ALTER TABLE dave_t RENAME TO erin_t', '0A000', /^ALTER TABLE … RENAME TO is not supported/],
      ['ALTER SOURCE dave_s ADD COLUMN m INT', '0A000', /^ALTER SOURCE … ADD COLUMN is not supported/],
      ['ALTER SINK dave_k SET PARALLELISM = 2', '0A000', /^ALTER SINK … SET PARALLELISM is not supported/],
    ];
    for (const [sql, code, message] of cases) {
      const f = await failure(root.query(sql));
      assert.deepEqual([f.code, message.test(f.message)], [code, true], `${sql}: ${f.code} ${f.message}`);
    }
    const skipped = await root.query('ALTER TABLE IF EXISTS missing_t OWNER TO erin');
    assert.equal(skipped.command, 'ALTER');
    assert.deepEqual(await owners(root, 'dave'), ownedBy('dave'), 'nothing refused changed an owner');

    // root gives all four to erin, through psql and node-postgres.
    const given = await psql(
      ['-d', `postgresql://root:${ROOT}@127.0.0.1:${server.pgPort}/dev`, '-v', 'ON_ERROR_STOP=1'],
      ['-c', 'ALTER TABLE public.dave_t OWNER TO erin', '-c', 'ALTER MATERIALIZED VIEW dave_v OWNER TO erin'],
    );
    assert.equal(given.code, 0, given.stderr);
    assert.deepEqual(given.stdout.trim().split('\n'), ['ALTER_TABLE', 'ALTER_MATERIALIZED_VIEW']);
    await root.query('ALTER SOURCE dave_s OWNER TO erin');
    for (const c of [dave, erin]) assert.deepEqual((await owners(c, 'dave')).relowner, 'erin');
  } finally {
    await Promise.all([dave.end(), erin.end(), frank.end()]);
  }

  // Right after the acknowledged ALTER: SIGKILL, start again.
  await root.query('ALTER SINK dave_k OWNER TO erin');
  await root.end();
  await server.kill();
  const stderr = server.stderr;
  for (const line of [
    'ddl: "ALTER TABLE public.dave_t OWNER TO erin" by "root" from 127.0.0.1',
    'ddl: "ALTER SINK dave_k OWNER TO erin" by "root" from 127.0.0.1',
    'ddl REFUSED (42501 "must be member of role \\"erin\\""): "ALTER TABLE dave_t OWNER TO erin" by "dave" from 127.0.0.1',
    'ddl REFUSED (42501 "must be owner of table dave_t"): "ALTER TABLE dave_t OWNER TO erin" by "erin" from 127.0.0.1',
  ])
    assert.ok(stderr.includes(`tidewatch: ${line}\n`), line);
  await server.start();
  root = await connect('root', ROOT);
  dave = await connect('dave', DAVE);
  erin = await connect('erin', ERIN);
  frank = await connect('frank', FRANK);
  try {
    for (const c of [root, dave, erin]) assert.deepEqual(await owners(c, 'dave'), ownedBy('erin'));
    // The audit source reads what its log holds beyond its last commit as it starts.
    const audited = await eventually(
      root,
      `SELECT user_name, statement, success, sqlstate FROM tidewatch_audit
       WHERE kind = 'ddl' AND statement LIKE '% OWNER TO %' ORDER BY event_time`,
      (rows) => rows.length >= 19,
    );
    assert.deepEqual(
      audited.filter((r) => r.success).map((r) => `${r.user_name}: ${r.statement}`),
      [
        'dave: ALTER TABLE dave_t OWNER TO dave',
        'dave: ALTER SINK dave_k OWNER TO CURRENT_USER',
        'root: ALTER TABLE IF EXISTS missing_t OWNER TO erin',
        'root: ALTER TABLE public.dave_t OWNER TO erin',
        'root: ALTER MATERIALIZED VIEW dave_v OWNER TO erin',
        'root: ALTER SOURCE dave_s OWNER TO erin',
        'root: ALTER SINK dave_k OWNER TO erin',
      ],
    );
    assert.deepEqual(
      audited.filter((r) => !r.success).map((r) => `${r.user_name} ${r.sqlstate}`),
      [
        'dave 42501',
        'erin 42501',
        'erin 42501',
        'erin 42501',
        'root 42704',
        'root 42P01',
        'root 42704',
      ].concat(['root 42809', 'root 42809', 'root 42809', 'root 42809', 'root 42501']),
    );

    // The old owner may neither drop nor grant; the new one may both.
    await refused(dave.query('DROP TABLE dave_t CASCADE'), /^must be owner of table dave_t$/);
    await refused(dave.query('DROP SINK dave_k'), /^must be owner of sink dave_k$/);
    await refused(
      dave.query('GRANT SELECT ON dave_v TO frank'),
      /^permission denied for materialized view dave_v$/,
    );
    await refused(dave.query('SELECT n FROM dave_t'), /^permission denied for table dave_t$/);
    await erin.query('GRANT SELECT ON dave_v TO frank');
    assert.deepEqual((await frank.query('SELECT c::int AS c FROM dave_v')).rows, [{ c: 3 }]);
    // The grant dave made as the owner is erin's now: dave may go, erin takes it back.
    assert.deepEqual((await frank.query('SELECT count(*)::int AS n FROM dave_t')).rows, [{ n: 3 }]);
    const grantor = await root.query(
      "SELECT grantor FROM information_schema.table_privileges WHERE table_name = 'dave_t' AND grantee = 'frank'",
    );
    assert.deepEqual(grantor.rows, [{ grantor: 'erin' }]);
    await dave.end();
    await root.query('DROP USER dave');
    await erin.query('REVOKE SELECT ON dave_t FROM frank');
    await refused(frank.query('SELECT count(*) FROM dave_t'), /^permission denied for table dave_t$/);
    const erinOwns = await failure(root.query('DROP USER erin'));
    assert.equal(erinOwns.code, '2BP01', erinOwns.message);
    await erin.query('DROP SINK dave_k');
    await erin.query('DROP TABLE dave_t CASCADE');
    await erin.query('DROP SOURCE dave_s');
  } finally {
    await Promise.all([root.end(), erin.end(), frank.end()]);
  }
});
