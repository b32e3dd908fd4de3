/** Results shared between sessions until the store's version moves; volatile queries never kept. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResultCache } from '../../src/serve/result-cache.ts';
import { T } from '../../src/sql/types.ts';

const result = (n: number) => ({ columns: [{ name: 'n', type: T.int8 }], rows: [[n]] });

test('an answer is kept until the version moves, and only if the version did not move meanwhile', () => {
  let version = 1;
  const cache = new ResultCache(() => version);
  const key = cache.key('SELECT n FROM v WHERE ip = $1', ['10.0.0.1'], [T.text]);
  assert.equal(cache.get(key), undefined);
  cache.set(key, result(1));
  assert.deepEqual(cache.get(key), result(1));
  assert.equal(cache.get(cache.key('SELECT n FROM v WHERE ip = $1', ['10.0.0.2'], [T.text])), undefined);
  version++;
  assert.equal(cache.get(key), undefined, 'a commit forgets every answer');
  const during = cache.key('SELECT 1', [], []);
  version++;
  cache.set(during, result(2));
  assert.equal(cache.get(during), undefined, 'an answer computed across a commit is not kept');
});

test('queries that depend on the clock, chance, the session or the catalog are never kept', () => {
  for (const sql of [
    "SELECT * FROM logs WHERE at > now() - interval '6 hours'",
    'SELECT random()',
    "SELECT current_setting('application_name')",
    'SELECT * FROM pg_catalog.pg_class',
    'SELECT table_name FROM information_schema.tables',
    'SELECT name FROM rw_catalog.rw_sources',
    'SELECT * FROM RW_SOURCES',
    'SELECT CURRENT_TIMESTAMP',
    'SELECT user',
  ])
    assert.equal(ResultCache.cacheable(sql), false, sql);
  assert.equal(ResultCache.cacheable('SELECT window_start, sum(hits) FROM v GROUP BY 1'), true);
  assert.equal(ResultCache.cacheable('SELECT username FROM website_user_metrics'), true);
});
