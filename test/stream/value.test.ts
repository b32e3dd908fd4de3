import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyMap } from '../../src/stream/key-map.ts';
import { compareKeys, compareValues, rowKey, type Value, valuesEqual } from '../../src/stream/value.ts';

test('compareValues follows PostgreSQL: NULL last, NaN above numbers, booleans false < true', () => {
  assert.equal(compareValues(1, 2), -1);
  assert.equal(compareValues(2, 1), 1);
  assert.equal(compareValues(null, 1), 1);
  assert.equal(compareValues(1, null), -1);
  assert.equal(compareValues(null, null), 0);
  assert.equal(compareValues(Number.NaN, 1e308), 1);
  assert.equal(compareValues(Number.NaN, Number.NaN), 0);
  assert.equal(compareValues(false, true), -1);
  assert.equal(compareValues('a', 'b'), -1);
  assert.equal(compareValues('B', 'a'), -1);
  assert.equal(compareValues({ months: 1, days: 0, micros: 0 }, { months: 0, days: 30, micros: 0 }), 0);
  assert.equal(compareValues({ months: 0, days: 1, micros: 0 }, { months: 0, days: 0, micros: 1 }), 1);
  assert.equal(compareValues([1, 2], [1, 2, 0]), -1);
  assert.equal(compareValues([1, null], [1, 2]), 1);
});

test('compareKeys: DESC puts NULLs first by default, NULLS LAST overrides', () => {
  const desc = [{ desc: true }];
  const rows = [[1], [null], [3]];
  assert.deepEqual(
    [...rows].sort((a, b) => compareKeys(a, b, desc)),
    [[null], [3], [1]],
  );
  assert.deepEqual(
    [...rows].sort((a, b) => compareKeys(a, b, [{ desc: true, nullsFirst: false }])),
    [[3], [1], [null]],
  );
  assert.deepEqual(
    [...rows].sort((a, b) => compareKeys(a, b, [{ nullsFirst: true }])),
    [[null], [1], [3]],
  );
  assert.equal(compareKeys([1, 'b'], [1, 'a'], [{}, { desc: true }]), -1);
});

test('rowKey distinguishes types and tuple boundaries', () => {
  const keys = [
    [1],
    ['1'],
    [null],
    ['null'],
    ['N'],
    [true],
    ['t'],
    ['a', 'bc'],
    ['ab', 'c'],
    ['a,b'],
    [[1, 2]],
    [1, 2],
    [{ months: 0, days: 1, micros: 0 }],
    [''],
    [],
  ].map(rowKey);
  assert.equal(new Set(keys).size, keys.length);
  assert.equal(rowKey([-0]), rowKey([0]));
  assert.equal(rowKey([{ months: 1, days: 0, micros: 0 }]), rowKey([{ months: 0, days: 30, micros: 0 }]));
  assert.ok(valuesEqual(Number.NaN, Number.NaN));
  assert.ok(!valuesEqual(1, '1'));
});

test('KeyMap: SQL grouping equality on tuples, object values, deletion prunes', () => {
  const m = new KeyMap<string>();
  m.set([1, 'a'], 'x');
  m.set(['1', 'a'], 'y');
  m.set([null, 'a'], 'z');
  m.set(['null', 'a'], 'w');
  m.set([Number.NaN, 'a'], 'nan');
  m.set([{ months: 1, days: 0, micros: 0 }, 'a'], 'iv');
  m.set([-0, 'a'], 'x2');
  assert.equal(m.size, 7);
  assert.equal(m.get([0, 'a']), 'x2');
  assert.equal(m.get([2, 'a']), undefined);
  assert.equal(m.get([1, 'a']), 'x');
  assert.equal(m.get([-0, 'a']), 'x2');
  assert.equal(m.get([Number.NaN, 'a']), 'nan');
  assert.equal(m.get([{ months: 0, days: 30, micros: 0 }, 'a']), 'iv');
  assert.equal(m.get(['null', 'a']), 'w');
  assert.ok(m.delete([1, 'a']));
  assert.ok(!m.delete([1, 'a']));
  assert.equal(m.size, 6);
  assert.deepEqual([...m.values()].sort(), ['iv', 'nan', 'w', 'x2', 'y', 'z']);
  assert.throws(() => m.set([1], 'short'), /expected 2/);
  const g = new KeyMap<number>();
  g.set([], 1);
  assert.equal(g.get([]), 1);
  assert.deepEqual([...g.values()], [1]);
});

test('KeyMap agrees with a map keyed by rowKey under random set/delete (single levels turning into maps)', () => {
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const pool: Value[] = [null, 0, 1, Number.NaN, 'a', 'b', '1', true, { months: 0, days: 1, micros: 0 }];
  const m = new KeyMap<number>();
  const byWindow = new KeyMap<number>({ firstColumn: 1 });
  const oracle = new Map<string, { key: Value[]; value: number }>();
  for (let i = 0; i < 5000; i++) {
    const key = [pool[rand(pool.length)], pool[rand(3)], pool[rand(pool.length)]] as Value[];
    if (rand(3) === 0) {
      const had = oracle.delete(rowKey(key));
      assert.equal(m.delete(key), had);
      assert.equal(byWindow.delete(key), had);
    } else {
      m.set(key, i);
      byWindow.set(key, i);
      oracle.set(rowKey(key), { key, value: i });
    }
    assert.equal(m.get(key), oracle.get(rowKey(key))?.value);
    assert.equal(byWindow.get(key), oracle.get(rowKey(key))?.value);
    assert.equal(m.size, oracle.size);
  }
  const values = (es: Iterable<{ value: number }>) => [...es].map((e) => e.value).sort();
  assert.deepEqual([...m.values()].sort(), values(oracle.values()));
  // Column 1 holds null, 0 or 1: dropping below 1 removes the entries whose column 1 is 0.
  const kept = [...oracle.values()].filter((e) => e.key[1] !== 0);
  assert.equal(byWindow.deleteFirstBelow(1), oracle.size - kept.length);
  assert.equal(byWindow.size, kept.length);
  assert.deepEqual([...byWindow.values()].sort(), values(kept));
});
