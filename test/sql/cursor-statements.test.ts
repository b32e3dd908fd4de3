/** Subscription and cursor statements read off the token stream: what each becomes, and its errors. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCursorStatement } from '../../src/sql/cursor-statements.ts';
import { splitScript } from '../../src/sql/parse.ts';

function parse(sql: string) {
  const slice = splitScript(sql)[0];
  if (slice === undefined) throw new Error('no statement');
  return parseCursorStatement({ script: sql, tokens: slice.tokens });
}

test('subscriptions, their cursors, FETCH and CLOSE', () => {
  assert.deepEqual(parse("CREATE SUBSCRIPTION s FROM v WITH (RETENTION = '2 hours')"), {
    kind: 'CreateSubscription',
    name: 's',
    from: 'v',
    retentionMs: 7_200_000,
    ifNotExists: false,
  });
  assert.equal(
    (parse('CREATE SUBSCRIPTION IF NOT EXISTS s FROM v') as { retentionMs: number }).retentionMs,
    86_400_000,
  );
  assert.deepEqual(parse('DROP SUBSCRIPTION IF EXISTS s'), {
    kind: 'DropSubscription',
    name: 's',
    ifExists: true,
  });
  assert.deepEqual(parse('DECLARE c SUBSCRIPTION CURSOR FOR s SINCE begin()'), {
    kind: 'DeclareCursor',
    name: 'c',
    subscription: 's',
    start: { kind: 'begin' },
  });
  assert.deepEqual((parse('DECLARE c SUBSCRIPTION CURSOR FOR s FULL') as { start: unknown }).start, {
    kind: 'full',
  });
  assert.deepEqual(
    (parse('DECLARE c SUBSCRIPTION CURSOR FOR s SINCE 1706184000000') as { start: unknown }).start,
    {
      kind: 'since',
      unixMs: 1706184000000,
    },
  );
  assert.deepEqual((parse('DECLARE c SUBSCRIPTION CURSOR FOR s') as { start: unknown }).start, {
    kind: 'now',
  });
  assert.deepEqual(parse("FETCH 10 FROM c WITH (timeout = '5s')"), {
    kind: 'Fetch',
    cursor: 'c',
    count: 10,
    timeoutMs: 5000,
  });
  assert.deepEqual(parse('FETCH FORWARD ALL IN "C"'), {
    kind: 'Fetch',
    cursor: 'C',
    count: Number.POSITIVE_INFINITY,
    timeoutMs: 0,
  });
  assert.deepEqual(parse('FETCH NEXT FROM c'), { kind: 'Fetch', cursor: 'c', count: 1, timeoutMs: 0 });
  assert.deepEqual(parse('CLOSE ALL'), { kind: 'CloseCursor', cursor: undefined });
  const sql = 'DECLARE q NO SCROLL CURSOR WITHOUT HOLD FOR SELECT * FROM t WHERE a = $1';
  assert.deepEqual(parse(sql), {
    kind: 'DeclareQueryCursor',
    name: 'q',
    query: 'SELECT * FROM t WHERE a = $1',
    queryOffset: sql.indexOf('SELECT'),
  });
  assert.equal(parse('SELECT 1'), undefined);
});

test('bad options and syntax are refused with a SQLSTATE and a position', () => {
  assert.throws(() => parse("CREATE SUBSCRIPTION s FROM v WITH (keep = '1D')"), {
    sqlstate: '22023',
    message: 'unknown subscription option "keep"',
  });
  assert.throws(() => parse("FETCH 1 FROM c WITH (timeout = 'soon')"), { sqlstate: '22023' });
  assert.throws(() => parse('FETCH 1 TO c'), { sqlstate: '42601', position: 9 });
  assert.throws(() => parse('DECLARE c SUBSCRIPTION CURSOR FOR s SINCE yesterday'), { sqlstate: '42601' });
  assert.throws(() => parse('CLOSE c d'), { sqlstate: '42601' });
});
