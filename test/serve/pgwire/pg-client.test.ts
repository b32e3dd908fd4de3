/**
 * node-postgres against the endpoint: the simple protocol (several statements, errors with
 * SQLSTATE and position, notices), parameterized and named prepared statements, binary
 * parameters and results, and twenty clients at once.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { PgBackend, PgSession } from '../../../src/serve/pgwire/backend.ts';
import { EngineBackend } from './engine-backend.ts';
import { SEED, startTestServer, type TestServer } from './test-server.ts';

/** Counts the Parse messages that reached the backend (describe calls), by SQL text. */
class CountingBackend implements PgBackend {
  readonly inner = new EngineBackend();
  readonly describes = new Map<string, number>();

  async open(): Promise<PgSession> {
    const session = await this.inner.open();
    return {
      ...session,
      describe: (sql, types) => {
        this.describes.set(sql, (this.describes.get(sql) ?? 0) + 1);
        return session.describe(sql, types);
      },
    };
  }
}

let ts: TestServer;
const backend = new CountingBackend();
before(async () => {
  await backend.inner.engine.execute(SEED);
  ts = await startTestServer({}, backend);
});
after(async () => {
  assert.deepEqual(ts.unexpected, []);
  await ts.close();
  backend.inner.engine.close();
});

/** pg's `binary` query option (result format 1 for every column), missing from @types/pg. */
function binaryQuery(client: pg.Client, config: pg.QueryConfig & { binary: true }): Promise<pg.QueryResult> {
  return client.query(config as pg.QueryConfig);
}

async function connected(): Promise<pg.Client> {
  const client = new pg.Client({ host: '127.0.0.1', port: ts.port, user: 'root', database: 'dev' });
  await client.connect();
  return client;
}

test('simple queries: rows, fields, several statements, command tags', async () => {
  const client = await connected();
  const r = await client.query('SELECT a, b FROM t WHERE a <= 2 ORDER BY a');
  assert.deepEqual(r.rows, [
    { a: 1, b: 'one' },
    { a: 2, b: 'two' },
  ]);
  assert.deepEqual(
    r.fields.map((f) => [f.name, f.dataTypeID]),
    [
      ['a', 23],
      ['b', 1043],
    ],
  );
  assert.equal(r.command, 'SELECT');
  assert.equal(r.rowCount, 2);
  const many = (await client.query(
    'CREATE TABLE pgc (k int); INSERT INTO pgc VALUES (1), (2), (3); FLUSH; SELECT count(*) AS n FROM pgc',
  )) as unknown as pg.QueryResult[];
  assert.deepEqual(
    many.map((x) => [x.command, x.rowCount]),
    [
      ['CREATE', null], // pg keeps the leading word of CREATE_TABLE
      ['INSERT', 3],
      ['FLUSH', null],
      ['SELECT', 1],
    ],
  );
  assert.deepEqual(many[3]?.rows, [{ n: '3' }], 'count(*) is bigint, which pg leaves as a string');
  await client.end();
});

test('errors carry SQLSTATE, severity and position; the session goes on', async () => {
  const client = await connected();
  await assert.rejects(client.query('SELECT a FROM t;\nSELECT nosuch FROM t'), (e: pg.DatabaseError) => {
    assert.equal(e.code, '42703');
    assert.equal(e.severity, 'ERROR');
    assert.equal(e.message, 'column "nosuch" does not exist');
    assert.equal(e.position, '25', 'position counts from the start of the whole text');
    return true;
  });
  await assert.rejects(client.query('SELECT FROM WHERE'), { code: '42601' });
  assert.deepEqual((await client.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
  await client.end();
});

test('notices reach the client', async () => {
  const client = await connected();
  const notices: string[] = [];
  client.on('notice', (n) => notices.push(n.message ?? ''));
  await client.query('CREATE TABLE IF NOT EXISTS t (a int)');
  assert.deepEqual(notices, ['relation "t" already exists, skipping']);
  await client.end();
});

test('parameterized queries with text parameters', async () => {
  const client = await connected();
  const r = await client.query('SELECT a, b FROM t WHERE a > $1::int AND b <> $2 ORDER BY a', [2, 'four']);
  assert.deepEqual(r.rows, [
    { a: 3, b: 'three' },
    { a: 5, b: 'five' },
  ]);
  const typed = await client.query(
    'SELECT $1::int8 AS big, $2::numeric AS num, $3::boolean AS yes, $4::timestamptz AS ts, $5::int[] AS arr, $6::jsonb AS doc, $7::text AS nothing',
    [9007199254740991, '12.5', true, new Date('2024-05-06T07:08:09.123Z'), [1, null, 3], { k: ['v'] }, null],
  );
  assert.deepEqual(typed.rows, [
    {
      big: '9007199254740991',
      num: '12.5',
      yes: true,
      ts: new Date('2024-05-06T07:08:09.123Z'),
      arr: [1, null, 3],
      doc: { k: ['v'] },
      nothing: null,
    },
  ]);
  await assert.rejects(client.query('SELECT $1::int AS x', ['twelve']), {
    code: '22P02',
    message: 'invalid input syntax for type integer: "twelve"',
  });
  await client.end();
});

test('a named prepared statement is parsed once and reused', async () => {
  const client = await connected();
  const text = 'SELECT b FROM t WHERE a = $1::int';
  const names: string[] = [];
  for (const a of [1, 3, 5, 2])
    names.push((await client.query({ name: 'b-by-a', text, values: [a] })).rows[0]?.b as string);
  assert.deepEqual(names, ['one', 'three', 'five', 'two']);
  assert.equal(backend.describes.get(text), 1);
  await client.end();
});

test('binary parameters and binary results', async () => {
  const client = await connected();
  const bytes = await client.query('SELECT $1::bytea AS b', [Buffer.from([0, 1, 254, 255])]);
  assert.deepEqual(bytes.rows[0]?.b, Buffer.from([0, 1, 254, 255]));

  // pg reads every DataRow field as UTF-8 text before handing binary ones over as Buffers, so
  // only values whose bytes are valid UTF-8 arrive intact; the raw-protocol tests check the rest.
  const raw = await binaryQuery(client, {
    text: 'SELECT a, b, $1::float8 AS f, $2::boolean AS yes FROM t WHERE a = 2',
    values: [2, false],
    binary: true,
    types: { getTypeParser: () => (v: unknown) => v },
  });
  const row = raw.rows[0] as Record<string, Buffer>;
  assert.deepEqual(row.a, Buffer.from([0, 0, 0, 2]));
  assert.deepEqual(row.b, Buffer.from('two'));
  assert.deepEqual(row.f, Buffer.from([0x40, 0, 0, 0, 0, 0, 0, 0]));
  assert.deepEqual(row.yes, Buffer.from([0]));
  assert.ok(raw.fields.every((f) => f.format === 'binary'));

  // pg's own binary parsers read what the endpoint sends.
  const parsed = await binaryQuery(client, {
    text: 'SELECT a, $1::int8 AS big, $2::numeric AS num, $3::timestamp AS ts, $4::int[] AS arr, $5::text AS s FROM t WHERE a = 4',
    values: [42, '-12.0034', '2000-01-01 00:00:00.0001', [7, 8], 'déjà'],
    binary: true,
  });
  const { ts: stamp, ...others } = parsed.rows[0] as { ts: Date };
  assert.deepEqual(others, { a: 4, big: '42', num: -12.0034, arr: [7, 8], s: 'déjà' });
  assert.equal(stamp.getTime(), new Date(2000, 0, 1).getTime());
  await client.end();
});

test('twenty clients at once', async () => {
  const clients = await Promise.all(Array.from({ length: 20 }, () => connected()));
  const answers = await Promise.all(
    clients.map(async (client, i) => {
      const out: number[] = [];
      for (let k = 0; k < 10; k++) {
        const a = ((i + k) % 5) + 1;
        const simple = await client.query(`SELECT a * 10 AS x FROM t WHERE a = ${a}`);
        const prepared = await client.query({
          name: 'p',
          text: 'SELECT a + $1::int AS y FROM t WHERE a = $2::int',
          values: [i, a],
        });
        out.push((simple.rows[0]?.x as number) + (prepared.rows[0]?.y as number));
      }
      return out;
    }),
  );
  answers.forEach((out, i) => {
    assert.deepEqual(
      out,
      Array.from({ length: 10 }, (_, k) => {
        const a = ((i + k) % 5) + 1;
        return a * 10 + a + i;
      }),
    );
  });
  await Promise.all(clients.map((c) => c.end()));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(backend.inner.openSessions, 0, 'every session was closed');
});
