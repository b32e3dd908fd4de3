/**
 * The privilege model: who may create, alter and drop users and grant what, what a grant
 * allows, how revokes cascade, and that a change refused changes nothing. Statements as a
 * client writes them, run as a given user against an in-memory catalog.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AccessCatalog, ROOT_USER } from '../../src/auth/access-catalog.ts';
import { type GrantableRelation, runAccessStatement } from '../../src/auth/run-access-statement.ts';
import { parseScramSecret } from '../../src/auth/scram-secret.ts';
import { SessionPrivileges } from '../../src/auth/session-privileges.ts';
import { parseAccessStatement } from '../../src/sql/access-statements.ts';
import { SqlError } from '../../src/sql/errors.ts';
import { parseStatement, splitScript } from '../../src/sql/parse.ts';

const RELATIONS: GrantableRelation[] = [
  { name: 't', kind: 'table' },
  { name: 'logs', kind: 'source' },
  { name: 'v1', kind: 'materialized view' },
  { name: 'v2', kind: 'materialized view' },
];

function run(catalog: AccessCatalog, as: string, sql: string) {
  const slice = splitScript(sql)[0];
  const s = slice && parseAccessStatement({ script: sql, tokens: slice.tokens });
  if (s === undefined) throw new Error(`not an access statement: ${sql}`);
  return runAccessStatement(catalog, s, as, RELATIONS);
}

function refuses(catalog: AccessCatalog, as: string, sql: string, sqlstate: string, message?: RegExp): void {
  const before = JSON.stringify(catalog.snapshot());
  assert.throws(
    () => run(catalog, as, sql),
    (e: unknown) => e instanceof SqlError && e.sqlstate === sqlstate && (message?.test(e.message) ?? true),
    `${as}: ${sql} should fail with ${sqlstate}`,
  );
  assert.equal(JSON.stringify(catalog.snapshot()), before, `${sql} refused must change nothing`);
}

function privileges(catalog: AccessCatalog, user: string): SessionPrivileges {
  return new SessionPrivileges(
    user,
    () => catalog.now,
    (name) => RELATIONS.find((r) => r.name === name)?.kind,
  );
}

test('a fresh catalog has root, a superuser that cannot be dropped, renamed or demoted', () => {
  const c = new AccessCatalog();
  assert.deepEqual(
    c.now.users().map((u) => [u.name, u.superuser, u.login]),
    [[ROOT_USER, true, true]],
  );
  refuses(c, 'root', 'DROP USER root', '55006');
  refuses(c, 'root', 'ALTER USER root NOSUPERUSER', '42501');
  refuses(c, 'root', 'ALTER USER root NOLOGIN', '42501');
  refuses(c, 'root', "ALTER USER root PASSWORD 'x'", '0A000');
  refuses(c, 'root', 'ALTER USER root RENAME TO admin', '0A000');
});

test('passwords are kept as SCRAM secrets, never as the text; an empty one is none', () => {
  const c = new AccessCatalog();
  run(c, 'root', "CREATE USER alice WITH PASSWORD 'correct horse'");
  const secret = c.now.user('alice')?.password ?? '';
  assert.match(secret, /^SCRAM-SHA-256\$4096:/);
  assert.ok(!JSON.stringify(c.snapshot()).includes('correct horse'));
  assert.ok(parseScramSecret(secret) !== undefined);
  run(c, 'root', "ALTER USER alice PASSWORD ''");
  assert.equal(c.now.user('alice')?.password, null);
  // A secret given as the password is taken as it is (what PostgreSQL does with one).
  run(c, 'root', `CREATE USER bob PASSWORD '${secret}'`);
  assert.equal(c.now.user('bob')?.password, secret);
});

test('users: defaults, duplicates, IF EXISTS, and who may manage whom', () => {
  const c = new AccessCatalog();
  run(c, 'root', 'CREATE USER alice');
  assert.deepEqual(
    (({ superuser, createdb, createuser, login, password }) => ({
      superuser,
      createdb,
      createuser,
      login,
      password,
    }))(c.now.user('alice') ?? ({} as never)),
    { superuser: false, createdb: false, createuser: false, login: true, password: null },
  );
  refuses(c, 'root', 'CREATE USER alice', '42710', /role "alice" already exists/);
  refuses(c, 'root', 'DROP USER nobody', '42704', /role "nobody" does not exist/);
  assert.deepEqual(run(c, 'root', 'DROP USER IF EXISTS nobody').notices, [
    'role "nobody" does not exist, skipping',
  ]);
  refuses(c, 'alice', 'CREATE USER eve', '42501');
  refuses(c, 'alice', 'ALTER USER alice SUPERUSER', '42501');
  refuses(c, 'alice', 'DROP USER alice', '55006', /current user cannot be dropped/);
  run(c, 'alice', "ALTER USER alice PASSWORD 'mine'");
  run(c, 'root', 'CREATE USER admin CREATEUSER');
  run(c, 'admin', 'CREATE USER helper NOLOGIN');
  run(c, 'admin', 'ALTER USER helper LOGIN CREATEDB');
  refuses(c, 'admin', 'CREATE USER boss SUPERUSER', '42501', /must be superuser to create superusers/);
  refuses(c, 'admin', 'ALTER USER helper SUPERUSER', '42501');
  refuses(c, 'admin', 'DROP USER root', '42501');
  run(c, 'admin', 'ALTER USER helper RENAME TO aide');
  assert.equal(c.now.user('helper'), undefined);
  assert.equal(c.now.user('aide')?.createdb, true);
  run(c, 'admin', 'DROP USER aide');
  assert.deepEqual(
    c.now.users().map((u) => u.name),
    ['root', 'alice', 'admin'],
  );
});

test('GRANT and REVOKE: what each allows, ALL per kind, ALL … IN SCHEMA, and refusals', () => {
  const c = new AccessCatalog();
  run(c, 'root', 'CREATE USER alice');
  run(c, 'root', 'CREATE USER bob');
  const alice = privileges(c, 'alice');
  assert.throws(() => alice.require('v1', 'SELECT'), /permission denied for materialized view v1/);
  run(c, 'root', 'GRANT SELECT ON MATERIALIZED VIEW v1 TO alice');
  alice.require('v1', 'SELECT');
  assert.throws(() => alice.require('v2', 'SELECT'), /permission denied for materialized view v2/);
  assert.equal(c.now.allows('bob', 'v1', 'SELECT'), false);
  run(c, 'root', 'GRANT ALL ON t, logs TO bob');
  assert.deepEqual(
    c.now
      .grants()
      .filter((g) => g.userId === c.now.user('bob')?.id)
      .map((g) => `${g.relation}:${g.privilege}`),
    ['logs:SELECT', 't:DELETE', 't:INSERT', 't:SELECT', 't:UPDATE'],
  );
  run(c, 'root', 'GRANT SELECT ON ALL MATERIALIZED VIEWS IN SCHEMA public TO bob');
  assert.equal(c.now.allows('bob', 'v2', 'SELECT'), true);
  run(c, 'root', 'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM bob');
  assert.equal(c.now.allows('bob', 't', 'INSERT'), false);
  assert.equal(c.now.allows('bob', 'logs', 'SELECT'), true);
  refuses(c, 'root', 'GRANT INSERT ON MATERIALIZED VIEW v1 TO bob', '0LP01');
  refuses(c, 'root', 'GRANT SELECT ON SOURCE v1 TO bob', '42809');
  refuses(c, 'root', 'GRANT SELECT ON nothere TO bob', '42P01');
  refuses(c, 'root', 'GRANT SELECT ON v1 TO nobody', '42704');
  refuses(c, 'root', 'GRANT SELECT ON ALL TABLES IN SCHEMA other TO bob', '3F000');
  refuses(c, 'alice', 'GRANT SELECT ON v1 TO bob', '42501', /permission denied for materialized view v1/);
  refuses(c, 'root', 'GRANT SELECT ON v1 TO bob GRANTED BY alice', '0A000');
  run(c, 'root', 'REVOKE SELECT ON v1 FROM alice');
  assert.throws(() => alice.require('v1', 'SELECT'), /permission denied/);
});

test('WITH GRANT OPTION lets a user grant on; REVOKE needs CASCADE then, and DROP USER waits for it', () => {
  const c = new AccessCatalog();
  for (const u of ['alice', 'bob', 'carol']) run(c, 'root', `CREATE USER ${u}`);
  run(c, 'root', 'GRANT SELECT ON v1 TO alice WITH GRANT OPTION');
  run(c, 'alice', 'GRANT SELECT ON v1 TO bob WITH GRANT OPTION');
  run(c, 'bob', 'GRANT SELECT ON v1 TO carol');
  refuses(c, 'carol', 'GRANT SELECT ON v1 TO root', '42501');
  refuses(c, 'root', 'REVOKE SELECT ON v1 FROM alice', '2BP01', /dependent privileges exist/);
  refuses(
    c,
    'root',
    'DROP USER bob',
    '2BP01',
    /role "bob" cannot be dropped because some objects depend on it/,
  );
  run(c, 'root', 'REVOKE GRANT OPTION FOR SELECT ON v1 FROM carol');
  assert.equal(c.now.allows('carol', 'v1', 'SELECT'), true);
  run(c, 'root', 'REVOKE SELECT ON v1 FROM alice CASCADE');
  for (const u of ['alice', 'bob', 'carol']) assert.equal(c.now.allows(u, 'v1', 'SELECT'), false, u);
  run(c, 'root', 'DROP USER bob');
});

test('a dropped relation takes its grants: one created again under its name has none', () => {
  const c = new AccessCatalog();
  run(c, 'root', 'CREATE USER alice');
  run(c, 'root', 'GRANT SELECT ON v1 TO alice');
  c.change((s) => s.forgetRelation('v1'));
  assert.equal(c.now.allows('alice', 'v1', 'SELECT'), false);
  assert.deepEqual(new AccessCatalog(c.snapshot()).snapshot(), c.snapshot());
});

test('what statements need: DML its privilege and SELECT on what it reads; DDL, FLUSH a superuser', () => {
  const c = new AccessCatalog();
  run(c, 'root', 'CREATE USER alice');
  run(c, 'root', 'GRANT INSERT, UPDATE ON t TO alice');
  const p = privileges(c, 'alice');
  const check = (sql: string) => p.requireForStatement(parseStatement(sql));
  check('INSERT INTO t VALUES (1)');
  check('UPDATE t SET a = 2 WHERE a = 1');
  assert.throws(() => check('DELETE FROM t'), /permission denied for table t/);
  assert.throws(() => check('INSERT INTO t SELECT * FROM v1'), /permission denied for materialized view v1/);
  assert.throws(
    () => check('UPDATE t SET a = 1 WHERE a IN (SELECT a FROM logs)'),
    /permission denied for source logs/,
  );
  assert.throws(() => check('CREATE TABLE x (a int)'), /permission denied for schema public/);
  assert.throws(() => check('DROP MATERIALIZED VIEW v1'), /must be owner of materialized view v1/);
  assert.throws(() => check('FLUSH'), /must be superuser to FLUSH/);
  assert.throws(() => p.requireSetParameter('barrier_interval_ms'), /permission denied to set parameter/);
  assert.throws(() => check('EXPLAIN SELECT * FROM v1'), /permission denied for materialized view v1/);
  check('SHOW TABLES');
  check('SET rw_implicit_flush = true');
  // A superuser passes everything; so do relations that are not tidewatch's (the catalog's).
  privileges(c, 'root').requireForStatement(parseStatement('DROP MATERIALIZED VIEW v1'));
  p.requireReads(['pg_class']);
});

test('CREATE on the schema lets a user create; it owns what it creates: every privilege, grants, DROP; ownership is kept and goes with the object', () => {
  const c = new AccessCatalog();
  run(c, 'root', 'CREATE USER alice');
  run(c, 'root', 'CREATE USER bob');
  const alice = privileges(c, 'alice');
  const check = (p: SessionPrivileges, sql: string) => p.requireForStatement(parseStatement(sql));
  refuses(c, 'alice', 'GRANT CREATE ON SCHEMA public TO bob', '42501', /permission denied for schema public/);
  refuses(c, 'root', 'GRANT CREATE ON SCHEMA elsewhere TO alice', '3F000');
  refuses(c, 'root', 'GRANT CREATE ON SCHEMA public TO nobody', '42704');
  run(c, 'root', 'GRANT CREATE ON SCHEMA public TO alice');
  check(alice, 'CREATE TABLE x (a int)');
  check(alice, 'CREATE MATERIALIZED VIEW w AS SELECT 1 AS one');
  assert.throws(
    () => check(alice, 'CREATE MATERIALIZED VIEW w AS SELECT * FROM v1'),
    /permission denied for materialized view v1/,
  );
  c.change((s) => s.setOwner('t', 'alice'));
  assert.equal(c.now.allows('alice', 't', 'DELETE'), true);
  assert.equal(c.now.allows('bob', 't', 'SELECT'), false);
  check(alice, 'DROP TABLE t');
  assert.throws(() => check(privileges(c, 'bob'), 'DROP TABLE t'), /must be owner of table t/);
  run(c, 'alice', 'GRANT SELECT ON t TO bob');
  assert.equal(c.now.allows('bob', 't', 'SELECT'), true);
  refuses(c, 'root', 'DROP USER alice', '2BP01', /some objects depend on it/);
  // Kept in the snapshot, as everything else.
  const again = new AccessCatalog(c.snapshot());
  assert.equal(again.now.owns('alice', 't'), true);
  assert.equal(again.now.mayCreate('alice'), true);
  // A name given back to root (its CREATE failed), a dropped object, a revoked CREATE.
  c.change((s) => s.setOwner('t', 'root'));
  assert.equal(c.now.owns('alice', 't'), false);
  c.change((s) => s.setOwner('t', 'alice'));
  c.change((s) => s.forgetRelation('t'));
  assert.equal(c.now.ownerId('t'), c.now.user('root')?.id);
  c.change((s) => s.setOwner('gone', 'alice'));
  c.change((s) => s.forgetOwnersExcept((name) => name !== 'gone'));
  assert.equal(c.now.owns('alice', 'gone'), false);
  run(c, 'root', 'REVOKE CREATE ON SCHEMA public FROM alice');
  assert.throws(() => check(alice, 'CREATE TABLE y (a int)'), /permission denied for schema public/);
  run(c, 'root', 'DROP USER alice');
});
