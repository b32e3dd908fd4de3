/**
 * The extended query protocol byte by byte: row limits and PortalSuspended, Describe of
 * statements and portals, Close, Flush, pipelining, skipping to Sync after an error, format
 * codes, and the transaction status ReadyForQuery reports.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  bind,
  close,
  commandTag,
  dataRowOf,
  describe,
  errorFieldsOf,
  execute,
  flush,
  int32,
  parameterOidsOf,
  parse,
  query,
  RawClient,
  rowDescriptionOf,
  summary,
  sync,
  terminate,
  textRowOf,
} from './raw-client.ts';
import { startTestServer, type TestServer } from './test-server.ts';

let ts: TestServer;
before(async () => {
  ts = await startTestServer();
});
after(async () => {
  assert.deepEqual(ts.unexpected, []);
  await ts.close();
});

test('Execute with a row limit suspends the portal and resumes it', async () => {
  const c = await RawClient.ready(ts.port);
  c.send(parse('', 'SELECT a, b FROM t ORDER BY a'), bind('', ''), execute('', 2), flush());
  const first = await c.readUntil('s');
  assert.equal(summary(first), '1 2 D D s');
  assert.deepEqual(first.filter((m) => m.type === 'D').map(textRowOf), [
    ['1', 'one'],
    ['2', 'two'],
  ]);
  c.send(execute('', 2), flush());
  const second = await c.readUntil('s');
  assert.equal(summary(second), 'D D s');
  assert.deepEqual(second.filter((m) => m.type === 'D').map(textRowOf), [
    ['3', 'three'],
    ['4', 'four'],
  ]);
  c.send(execute('', 2), sync());
  const last = await c.readUntil('Z');
  assert.equal(summary(last), 'D C:SELECT 1 Z:I');
  assert.deepEqual(textRowOf(last[0] as never), ['5', 'five']);
  // Sync ended the (autocommit) transaction: the portal is gone.
  c.send(execute(''), sync());
  const gone = await c.readUntil('Z');
  assert.equal(summary(gone), 'E:34000 Z:I');
  c.end();
});

test('a completed portal executes again to zero rows', async () => {
  const c = await RawClient.ready(ts.port);
  c.send(query('BEGIN'));
  assert.equal(summary(await c.readUntil('Z')), 'C:BEGIN Z:T');
  c.send(
    parse('', 'SELECT a FROM t WHERE a < 3 ORDER BY a'),
    bind('p1', ''),
    execute('p1'),
    execute('p1'),
    sync(),
  );
  assert.equal(summary(await c.readUntil('Z')), '1 2 D D C:SELECT 2 C:SELECT 0 Z:T');
  // Inside a transaction block the named portal outlives Sync.
  c.send(execute('p1'), sync());
  assert.equal(summary(await c.readUntil('Z')), 'C:SELECT 0 Z:T');
  c.send(query('COMMIT'));
  assert.equal(summary(await c.readUntil('Z')), 'C:COMMIT Z:I');
  c.end();
});

test('Describe of a statement and of a portal', async () => {
  const c = await RawClient.ready(ts.port);
  c.send(
    parse('s1', 'SELECT a, b, $1::int8 AS n FROM t WHERE a > $2', [0, 23]),
    describe('S', 's1'),
    bind('p', 's1', [Buffer.from('7'), Buffer.from('3')], [0], [0, 1, 0]),
    describe('P', 'p'),
    execute('p'),
    sync(),
  );
  const ms = await c.readUntil('Z');
  assert.equal(summary(ms), '1 t T 2 T D D C:SELECT 2 Z:I');
  assert.deepEqual(parameterOidsOf(ms[1] as never), [20, 23]);
  const fields = rowDescriptionOf(ms[2] as never);
  assert.deepEqual(
    fields.map((f) => [f.name, f.typeOid, f.typeLength, f.typmod, f.format]),
    [
      ['a', 23, 4, -1, 0],
      ['b', 1043, -1, -1, 0],
      ['n', 20, 8, -1, 0],
    ],
  );
  assert.deepEqual(
    rowDescriptionOf(ms[4] as never).map((f) => f.format),
    [0, 1, 0],
  );
  const row = dataRowOf(ms[5] as never);
  assert.equal(row[0]?.toString(), '4');
  assert.equal(row[1]?.toString(), 'four');
  assert.equal(row[2]?.toString(), '7');

  c.send(parse('ins', "INSERT INTO t VALUES (9, 'nine')"), describe('S', 'ins'), sync());
  assert.equal(summary(await c.readUntil('Z')), '1 t n Z:I');
  c.send(describe('S', 'nope'), sync());
  assert.equal(summary(await c.readUntil('Z')), 'E:26000 Z:I');
  c.end();
});

test('Close removes statements and portals; closing what does not exist is fine', async () => {
  const c = await RawClient.ready(ts.port);
  c.send(parse('s', 'SELECT 1 AS x'), close('S', 's'), close('S', 's'), close('P', 'nothing'), sync());
  assert.equal(summary(await c.readUntil('Z')), '1 3 3 3 Z:I');
  c.send(bind('', 's'), execute(''), sync());
  const ms = await c.readUntil('Z');
  assert.equal(summary(ms), 'E:26000 Z:I');
  assert.equal(errorFieldsOf(ms[0] as never).M, 'prepared statement "s" does not exist');
  c.send(parse('s', 'SELECT 2 AS x'), sync());
  assert.equal(summary(await c.readUntil('Z')), '1 Z:I', 'the name is free again');
  c.send(parse('s', 'SELECT 3 AS x'), sync());
  assert.equal(summary(await c.readUntil('Z')), 'E:42P05 Z:I');
  c.end();
});

test('Flush sends what is pending without ending the transaction step', async () => {
  const c = await RawClient.ready(ts.port);
  c.send(parse('', 'SELECT 1 AS x'), bind('', ''), flush());
  assert.equal(summary(await c.readUntil('2')), '1 2');
  assert.equal(await c.next(200).catch(() => 'nothing'), 'nothing', 'nothing more until asked');
  c.send(execute(''), sync());
  assert.equal(summary(await c.readUntil('Z')), 'D C:SELECT 1 Z:I');
  c.end();
});

test('pipelined batches are answered in order', async () => {
  const c = await RawClient.ready(ts.port);
  const batch = (n: number): Buffer[] => [
    parse('', `SELECT a FROM t WHERE a = ${n}`),
    bind('', ''),
    execute(''),
    sync(),
  ];
  c.send(
    ...batch(1),
    ...batch(2),
    query('SELECT 42 AS x'),
    ...batch(3),
    parse('x', 'SELECT 1'),
    bind('', 'x'),
    execute(''),
    sync(),
  );
  const all = [];
  for (let i = 0; i < 5; i++) all.push(...(await c.readUntil('Z')));
  assert.equal(
    summary(all),
    '1 2 D C:SELECT 1 Z:I 1 2 D C:SELECT 1 Z:I T D C:SELECT 1 Z:I 1 2 D C:SELECT 1 Z:I 1 2 D C:SELECT 1 Z:I',
  );
  assert.deepEqual(all.filter((m) => m.type === 'D').map(textRowOf), [['1'], ['2'], ['42'], ['3'], ['1']]);
  c.end();
});

test('after an error everything up to Sync is skipped', async () => {
  const c = await RawClient.ready(ts.port);
  c.send(
    parse('', 'SELECT nosuch FROM t'),
    bind('', ''),
    execute(''),
    query('SELECT 1'),
    parse('late', 'SELECT 1'),
    sync(),
    parse('late', 'SELECT 1'),
    sync(),
  );
  const ms = [...(await c.readUntil('Z')), ...(await c.readUntil('Z'))];
  assert.equal(summary(ms), 'E:42703 Z:I 1 Z:I');
  const e = errorFieldsOf(ms[0] as never);
  assert.equal(e.S, 'ERROR');
  assert.equal(e.M, 'column "nosuch" does not exist');
  assert.equal(e.P, '8');
  c.end();
});

test('Bind checks parameter counts and format codes', async () => {
  const c = await RawClient.ready(ts.port);
  c.send(parse('two', 'SELECT $1::int + $2::int AS s'), sync());
  await c.readUntil('Z');
  const cases: [Buffer, string, RegExp][] = [
    [
      bind('', 'two', [Buffer.from('1')]),
      '08P01',
      /supplies 1 parameters, but prepared statement "two" requires 2/,
    ],
    [
      bind('', 'two', [Buffer.from('1'), Buffer.from('2')], [0, 0, 0]),
      '08P01',
      /3 parameter formats but 2 parameters/,
    ],
    [bind('', 'two', [Buffer.from('1'), Buffer.from('2')], [2]), '22023', /unsupported format code: 2/],
    [
      bind('', 'two', [Buffer.from('1'), Buffer.from('2')], [], [0, 1]),
      '08P01',
      /2 result formats but query has 1 columns/,
    ],
    [
      bind('', 'two', [Buffer.from('x'), Buffer.from('2')]),
      '22P02',
      /invalid input syntax for type integer: "x"/,
    ],
    [
      bind('', 'two', [Buffer.from([0, 0, 1]), Buffer.from([0, 0, 0, 2])], [1]),
      '22P03',
      /incorrect binary data format in bind parameter 1/,
    ],
  ];
  for (const [message, code, text] of cases) {
    c.send(message, execute(''), sync());
    const ms = await c.readUntil('Z');
    assert.equal(summary(ms), `E:${code} Z:I`);
    assert.match(errorFieldsOf(ms[0] as never).M ?? '', text);
  }
  c.send(bind('', 'two', [int32(40), int32(2)], [1], [1]), execute(''), sync());
  const ms = await c.readUntil('Z');
  assert.equal(summary(ms), '2 D C:SELECT 1 Z:I');
  assert.deepEqual(dataRowOf(ms[1] as never), [int32(42)]);
  c.end();
});

test('an empty statement answers EmptyQueryResponse', async () => {
  const c = await RawClient.ready(ts.port);
  c.send(parse('', '  -- nothing'), describe('S', ''), bind('', ''), execute(''), sync());
  assert.equal(summary(await c.readUntil('Z')), '1 t n 2 I Z:I');
  c.send(query('-- ping'));
  assert.equal(summary(await c.readUntil('Z')), 'I Z:I');
  c.end();
});

test('ReadyForQuery follows BEGIN, a failure inside the block, and ROLLBACK', async () => {
  const c = await RawClient.ready(ts.port);
  c.send(query('BEGIN'));
  assert.equal(summary(await c.readUntil('Z')), 'C:BEGIN Z:T');
  c.send(query('SELECT nosuch FROM t'));
  assert.equal(summary(await c.readUntil('Z')), 'E:42703 Z:E');
  c.send(query('ROLLBACK'));
  assert.equal(summary(await c.readUntil('Z')), 'C:ROLLBACK Z:I');
  c.send(parse('', 'BEGIN'), bind('', ''), execute(''), sync());
  assert.equal(summary(await c.readUntil('Z')), '1 2 C:BEGIN Z:T');
  c.send(parse('', 'COMMIT'), bind('', ''), execute(''), execute(''), sync());
  assert.equal(summary(await c.readUntil('Z')), '1 2 C:COMMIT E:55000 Z:I', 'a command portal runs once');
  c.end();
});

test('notices, command tags, and text that is not UTF-8', async () => {
  const c = await RawClient.ready(ts.port);
  c.send(
    query(
      'CREATE TABLE tags (k int); INSERT INTO tags VALUES (1), (2); CREATE TABLE IF NOT EXISTS tags (k int)',
    ),
  );
  const ms = await c.readUntil('Z');
  assert.equal(summary(ms), 'C:CREATE_TABLE C:INSERT 0 2 N:00000 C:CREATE_TABLE Z:I');
  assert.equal(errorFieldsOf(ms[2] as never).M, 'relation "tags" already exists, skipping');
  c.send(Buffer.concat([Buffer.from('Q'), int32(4 + 9), Buffer.from('SELECT '), Buffer.from([0xc3, 0x00])]));
  assert.equal(summary(await c.readUntil('Z')), 'E:22021 Z:I');
  c.send(query('SELECT 1 AS still_here'));
  const ok = await c.readUntil('Z');
  assert.equal(commandTag(ok[2] as never), 'SELECT 1');
  c.send(terminate());
  assert.deepEqual(await c.readToEnd(), []);
  c.end();
});
