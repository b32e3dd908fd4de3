/** Users and privileges in RisingWave's syntax, read off the token stream: what each becomes, and its errors. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAccessStatement } from '../../src/sql/access-statements.ts';
import { SqlError } from '../../src/sql/errors.ts';
import { splitScript } from '../../src/sql/parse.ts';

function parse(sql: string) {
  const slice = splitScript(sql)[0];
  if (slice === undefined) throw new Error('no statement');
  return parseAccessStatement({ script: sql, tokens: slice.tokens });
}

function refused(sql: string, sqlstate: string): void {
  assert.throws(
    () => parse(sql),
    (e: unknown) => e instanceof SqlError && e.sqlstate === sqlstate,
    `${sql} should fail with ${sqlstate}`,
  );
}

test('CREATE USER and ALTER USER take RisingWave’s options, with or without WITH', () => {
  assert.deepEqual(parse("CREATE USER alice WITH PASSWORD 'pw' NOSUPERUSER CREATEDB LOGIN"), {
    kind: 'CreateUser',
    name: 'alice',
    options: { password: 'pw', superuser: false, createdb: true, login: true },
  });
  assert.deepEqual(parse('create user "Bob" nologin createuser password null'), {
    kind: 'CreateUser',
    name: 'Bob',
    options: { login: false, createuser: true, password: null },
  });
  assert.deepEqual(parse("ALTER USER alice ENCRYPTED PASSWORD 'x'"), {
    kind: 'AlterUser',
    name: 'alice',
    options: { password: 'x' },
  });
  assert.deepEqual(parse('ALTER USER alice RENAME TO carol'), {
    kind: 'RenameUser',
    name: 'alice',
    newName: 'carol',
  });
  assert.deepEqual(parse('DROP USER IF EXISTS a, b'), {
    kind: 'DropUser',
    names: ['a', 'b'],
    ifExists: true,
  });
  refused('CREATE USER a LOGIN NOLOGIN', '42601');
  refused("CREATE USER a PASSWORD 'x' PASSWORD 'y'", '42601');
  refused('CREATE USER a VALID', '42601');
  refused('DROP USER', '42601');
});

test('GRANT and REVOKE on relations of a kind, on all of a kind in a schema, with their options', () => {
  assert.deepEqual(parse('GRANT SELECT ON MATERIALIZED VIEW v1, public.v2 TO alice, bob WITH GRANT OPTION'), {
    kind: 'Grant',
    privileges: ['SELECT'],
    target: { kind: 'relations', objectKind: 'materialized view', names: ['v1', 'v2'] },
    users: ['alice', 'bob'],
    withGrantOption: true,
  });
  assert.deepEqual(parse('GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA public TO u GRANTED BY root'), {
    kind: 'Grant',
    privileges: 'ALL',
    target: { kind: 'all-in-schema', objectKind: 'table', schemas: ['public'] },
    users: ['u'],
    withGrantOption: false,
    grantedBy: 'root',
  });
  assert.deepEqual(parse('GRANT insert, update, DELETE ON t TO u'), {
    kind: 'Grant',
    privileges: ['INSERT', 'UPDATE', 'DELETE'],
    target: { kind: 'relations', objectKind: undefined, names: ['t'] },
    users: ['u'],
    withGrantOption: false,
  });
  assert.deepEqual(
    parse('REVOKE GRANT OPTION FOR SELECT ON ALL MATERIALIZED VIEWS IN SCHEMA public FROM u CASCADE'),
    {
      kind: 'Revoke',
      privileges: ['SELECT'],
      target: { kind: 'all-in-schema', objectKind: 'materialized view', schemas: ['public'] },
      users: ['u'],
      grantOptionOnly: true,
      cascade: true,
    },
  );
  assert.deepEqual(parse('REVOKE SELECT ON SOURCE s FROM u'), {
    kind: 'Revoke',
    privileges: ['SELECT'],
    target: { kind: 'relations', objectKind: 'source', names: ['s'] },
    users: ['u'],
    grantOptionOnly: false,
    cascade: false,
  });
  refused('GRANT TRUNCATE ON t TO u', '0A000');
  refused('GRANT USAGE ON SCHEMA public TO u', '0A000');
  refused('GRANT SELECT ON SCHEMA public TO u', '0A000');
  assert.deepEqual(parse('GRANT CREATE ON SCHEMA public TO u, "V"'), {
    kind: 'GrantCreate',
    schemas: ['public'],
    users: ['u', 'V'],
  });
  assert.deepEqual(parse('revoke create on schema public from u cascade'), {
    kind: 'RevokeCreate',
    schemas: ['public'],
    users: ['u'],
  });
  refused('GRANT CREATE ON SCHEMA public TO u WITH GRANT OPTION', '42601');
  refused('GRANT SELECT ON t', '42601');
  refused('GRANT SELECT ON ALL VIEWS IN SCHEMA public TO u', '42601');
  assert.equal(parse('SELECT 1'), undefined);
  assert.equal(parse('CREATE TABLE user_x (a int)'), undefined);
});
