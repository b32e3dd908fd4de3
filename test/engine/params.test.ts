/** Bind parameters of engine statements: `$n` in INSERT, UPDATE, DELETE and SELECT, and their inferred types. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '../../src/engine/engine.ts';
import type { SqlError } from '../../src/sql/errors.ts';
import { numeric } from '../../src/sql/numeric.ts';
import type { BindParams } from '../../src/sql/params.ts';
import { type SqlType, T, type Value } from '../../src/sql/types.ts';

const TABLE = 'CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR, at TIMESTAMP, amount NUMERIC, ok BOOLEAN)';
const AT = Date.UTC(2024, 0, 25, 12, 0, 1) * 1000;

function untyped(...values: (string | null)[]): BindParams {
  return { values, types: values.map(() => T.unknown) };
}

function typed(...pairs: [Value, SqlType][]): BindParams {
  return { values: pairs.map(([v]) => v), types: pairs.map(([, t]) => t) };
}

async function engineWithTable(): Promise<Engine> {
  const e = new Engine({ autoEpoch: false });
  await e.execute(TABLE);
  return e;
}

function sqlstate(code: string, message?: RegExp) {
  return (err: unknown) => {
    assert.equal((err as SqlError).sqlstate, code, String(err));
    if (message !== undefined) assert.match((err as SqlError).message, message);
    return true;
  };
}

test('INSERT takes typed parameters as constants of their types', async () => {
  const e = await engineWithTable();
  const insert = 'INSERT INTO t VALUES ($1, $2, $3, $4, $5)';
  const r = await e.execute(
    insert,
    typed([1, T.int4], ['a', T.varchar], [AT, T.timestamp], [numeric(125n, 1), T.numeric], [true, T.boolean]),
  );
  assert.deepEqual(r, [{ tag: 'INSERT', rowCount: 1 }]);
  await e.execute(
    insert,
    typed([2, T.int8], [null, T.text], [null, T.timestamp], [3, T.int4], [null, T.boolean]),
  );
  e.flush();
  assert.deepEqual(e.rows('t'), [
    [1, 'a', AT, numeric(125n, 1), true],
    [2, null, null, numeric(3n, 0), null],
  ]);
  e.close();
});

test('an untyped parameter is typed by its context, as a quoted literal is', async () => {
  const e = await engineWithTable();
  await e.execute(
    'INSERT INTO t (ok, amount, at, name, id) VALUES ($1, $2, $3, $4, $5)',
    untyped('yes', '0.25', '2024-01-25 12:00:01', 'b', '7'),
  );
  await e.execute('INSERT INTO t VALUES ($1, $2, $3, $4, $5)', untyped('8', "it's", null, null, 'f'));
  e.flush();
  assert.deepEqual(e.rows('t'), [
    [7, 'b', AT, numeric(25n, 2), true],
    [8, "it's", null, null, false],
  ]);
  await assert.rejects(e.execute('INSERT INTO t (id) VALUES ($1)', untyped('7x')), sqlstate('22P02', /"7x"/));
  e.close();
});

test('INSERT … SELECT and SELECT take parameters', async () => {
  const e = await engineWithTable();
  await e.execute('INSERT INTO t (id, name) SELECT $1, $2', untyped('1', 'a'));
  e.flush();
  await e.execute(
    'INSERT INTO t (id, name) SELECT id + $1, name || $2 FROM t',
    typed([10, T.int4], ['!', T.text]),
  );
  e.flush();
  const [r] = await e.execute('SELECT id, name FROM t WHERE id > $1 ORDER BY id LIMIT $2', untyped('0', '5'));
  assert.deepEqual(r?.rows, [
    [1, 'a'],
    [11, 'a!'],
  ]);
  e.close();
});

test('UPDATE and DELETE take parameters in SET and WHERE', async () => {
  const e = await engineWithTable();
  await e.execute(
    "INSERT INTO t VALUES (1, 'a', NULL, 1, true), (2, 'b', NULL, 2, true), (3, 'c', NULL, 3, false)",
  );
  const updated = await e.execute(
    'UPDATE t SET name = $1, amount = amount * $2 WHERE ok = $3 AND id >= $4',
    untyped('z', '10', 'true', '2'),
  );
  assert.deepEqual(updated, [{ tag: 'UPDATE', rowCount: 1 }]);
  const deleted = await e.execute(
    'DELETE FROM t WHERE name = $1 OR id = $2',
    typed(['a', T.text], [3, T.int8]),
  );
  assert.deepEqual(deleted, [{ tag: 'DELETE', rowCount: 2 }]);
  e.flush();
  assert.deepEqual(e.rows('t'), [[2, 'z', null, numeric(20n, 0), true]]);
  e.close();
});

test('a $n beyond the parameters given is 42P02, with its position', async () => {
  const e = await engineWithTable();
  await assert.rejects(
    e.execute('INSERT INTO t (id, name) VALUES ($1, $2)', untyped('1')),
    (err: SqlError) =>
      err.sqlstate === '42P02' && err.message === 'there is no parameter $2' && err.position === 38,
  );
  await assert.rejects(e.execute('DELETE FROM t WHERE id = $1'), sqlstate('42P02', /\$1/));
  await assert.rejects(e.execute('SELECT $0'), sqlstate('42P02', /\$0/));
  e.close();
});

test('parameters are refused in CREATE and other statements that take none', async () => {
  const e = await engineWithTable();
  await assert.rejects(
    e.execute('CREATE MATERIALIZED VIEW v AS SELECT * FROM t WHERE id = $1', untyped('1')),
    (err: SqlError) =>
      err.sqlstate === '0A000' &&
      err.message === 'parameters are not allowed in CREATE MATERIALIZED VIEW' &&
      err.position === 58,
  );
  await assert.rejects(
    e.execute('CREATE MATERIALIZED VIEW v AS SELECT $1 AS x'),
    sqlstate('0A000', /CREATE/),
  );
  await assert.rejects(e.execute('EXPLAIN SELECT * FROM t WHERE id = $1'), sqlstate('0A000', /EXPLAIN/));
  assert.equal(e.getRelation('v'), undefined);
  assert.throws(() => e.describeParams('CREATE MATERIALIZED VIEW v AS SELECT $1 AS x'), sqlstate('0A000'));
  // `$1` inside a string is no parameter.
  await e.execute("CREATE MATERIALIZED VIEW v AS SELECT id, '$1' AS s FROM t");
  e.close();
});

test('parameters go with one statement only', async () => {
  const e = await engineWithTable();
  await assert.rejects(
    e.execute('INSERT INTO t (id) VALUES ($1); FLUSH', untyped('1')),
    sqlstate('42601', /multiple commands/),
  );
  e.close();
});

test('describeParams infers types from the context, keeps declared ones, else text', async () => {
  const e = await engineWithTable();
  const names = (sql: string, declared: (SqlType | undefined)[] = []) =>
    e.describeParams(sql, declared).map((t) => t.name);
  assert.deepEqual(names('INSERT INTO t VALUES ($1, $2, $3, $4, $5)'), [
    'int4',
    'varchar',
    'timestamp',
    'numeric',
    'boolean',
  ]);
  assert.deepEqual(names('INSERT INTO t (at, id) VALUES ($2, $1), ($4, $3)'), [
    'int4',
    'timestamp',
    'int4',
    'timestamp',
  ]);
  assert.deepEqual(names('INSERT INTO t (id, name) SELECT $1, $2'), ['int4', 'varchar']);
  assert.deepEqual(names('UPDATE t SET amount = $1, ok = $2 WHERE id = $3 AND at < $4'), [
    'numeric',
    'boolean',
    'int4',
    'timestamp',
  ]);
  assert.deepEqual(names('DELETE FROM t WHERE $1::int8 = id OR name LIKE $2 OR at > now() - $3'), [
    'int8',
    'text',
    'interval',
  ]);
  assert.deepEqual(names('SELECT $1 AS x FROM t WHERE id IN ($2, $3)'), ['text', 'int4', 'int4']);
  assert.deepEqual(names('DELETE FROM t WHERE id = $1', [T.int8]), ['int8']);
  assert.deepEqual(names('DELETE FROM t WHERE id = $2', [undefined, T.int2]), ['text', 'int2']);
  assert.deepEqual(names('FLUSH'), []);
  assert.throws(() => e.describeParams('INSERT INTO nowhere VALUES ($1)'), sqlstate('42P01'));
  e.close();
});
