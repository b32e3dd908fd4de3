/** ALTER of a relation or sink, read off the token stream: OWNER TO, and every other form named in its refusal. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAlterOwner } from '../../src/sql/alter-statements.ts';
import { SqlError } from '../../src/sql/errors.ts';
import { parseStatement, splitScript } from '../../src/sql/parse.ts';

function parse(sql: string) {
  const slice = splitScript(sql)[0];
  if (slice === undefined) throw new Error('no statement');
  return parseAlterOwner({ script: sql, tokens: slice.tokens });
}

/** What the engine's parser answers (a pipeline file): [SQLSTATE, message]. */
function engineRefusal(sql: string): [string, string] {
  try {
    parseStatement(sql);
  } catch (e) {
    if (e instanceof SqlError) return [e.sqlstate, e.message];
    throw e;
  }
  assert.fail(`${sql} was parsed`);
}

test('OWNER TO of each kind, IF EXISTS, qualified names, quoted and current users', () => {
  assert.deepEqual(parse('ALTER TABLE t OWNER TO bob'), {
    kind: 'AlterOwner',
    objectKind: 'table',
    name: 't',
    ifExists: false,
    newOwner: 'bob',
  });
  assert.deepEqual(parse('alter materialized view if exists public.v owner to "Bob"'), {
    kind: 'AlterOwner',
    objectKind: 'materialized view',
    name: 'public.v',
    ifExists: true,
    newOwner: 'Bob',
  });
  assert.equal(parse('ALTER SOURCE s OWNER TO current_user')?.newOwner, undefined);
  assert.equal(parse('ALTER SINK k OWNER TO "current_user"')?.newOwner, 'current_user');
  assert.equal(parse('ALTER VIEW v OWNER TO SESSION_USER')?.objectKind, 'view');
  // Not OWNER TO, or not a relation or sink: for others to read.
  for (const sql of [
    'ALTER TABLE t RENAME TO u',
    'ALTER USER bob LOGIN',
    'ALTER SYSTEM SET x = 1',
    'SELECT 1',
  ])
    assert.equal(parse(sql), undefined, sql);
  for (const sql of [
    'ALTER TABLE t OWNER bob',
    'ALTER TABLE t OWNER TO',
    'ALTER TABLE t OWNER TO a.b',
    'ALTER TABLE t OWNER TO bob CASCADE',
  ])
    assert.throws(
      () => parse(sql),
      (e: unknown) => e instanceof SqlError && e.sqlstate === '42601',
      sql,
    );
});

test('the engine names every other ALTER of a relation or sink in its 0A000, and sends OWNER TO to a client', () => {
  assert.deepEqual(engineRefusal('ALTER TABLE t RENAME TO u'), [
    '0A000',
    'ALTER TABLE … RENAME TO is not supported at line 1, column 15',
  ]);
  assert.deepEqual(
    engineRefusal('ALTER TABLE IF EXISTS t ADD COLUMN c INT')[1].split(' at ')[0],
    'ALTER TABLE … ADD COLUMN is not supported',
  );
  assert.deepEqual(
    engineRefusal('ALTER SOURCE s RENAME TO u')[1].split(' at ')[0],
    'ALTER SOURCE … RENAME TO is not supported',
  );
  assert.deepEqual(
    engineRefusal('ALTER SINK k SET PARALLELISM = 4')[1].split(' at ')[0],
    'ALTER SINK … SET PARALLELISM is not supported',
  );
  assert.deepEqual(
    engineRefusal('ALTER MATERIALIZED VIEW v SET SCHEMA s')[1].split(' at ')[0],
    'ALTER MATERIALIZED VIEW … SET SCHEMA is not supported',
  );
  assert.deepEqual(engineRefusal('ALTER TABLE t'), ['42601', 'syntax error at end of input']);
  const [state, message] = engineRefusal('ALTER TABLE t OWNER TO bob');
  assert.equal(state, '0A000');
  assert.match(message, /OWNER TO is a client's statement: run it over the PostgreSQL endpoint/);
});
