import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AggregateCall } from '../../src/stream/aggregates/accumulator.ts';
import { ExactSum, exactSum } from '../../src/stream/aggregates/exact-sum.ts';
import { chunk, deletes } from '../../src/stream/chunk.ts';
import { Dataflow } from '../../src/stream/graph.ts';
import { Aggregate } from '../../src/stream/operators/aggregate.ts';
import { Materialize } from '../../src/stream/operators/materialize.ts';
import type { Row, Value } from '../../src/stream/value.ts';
import { changes, prng } from './helpers.ts';

const col =
  (i: number) =>
  (r: Row): Value =>
    r[i] as Value;

function setup(calls: AggregateCall[], grouped = true) {
  const g = new Dataflow();
  const s = g.source('s');
  const agg = g.add(new Aggregate({ groupBy: grouped ? (r) => [r[0] as Value] : undefined, calls }), s);
  const mv = g.add(new Materialize('v'), agg);
  return { g, s, agg, mv };
}

test('count/sum/avg/min/max per group, with retraction of the current max and min', () => {
  const { g, s, mv } = setup([
    { kind: 'count' },
    { kind: 'count', arg: col(1) },
    { kind: 'sum', arg: col(1) },
    { kind: 'avg', arg: col(1) },
    { kind: 'min', arg: col(1) },
    { kind: 'max', arg: col(1) },
  ]);
  g.push(s, [
    ['a', 1],
    ['a', 5],
    ['a', 3],
    ['a', null],
    ['b', 7],
  ]);
  g.barrier();
  assert.deepEqual(mv.rows(), [
    ['a', 4, 3, 9, 3, 1, 5],
    ['b', 1, 1, 7, 7, 7, 7],
  ]);
  g.push(s, deletes([['a', 5]]));
  g.barrier();
  assert.deepEqual(mv.rows()[0], ['a', 3, 2, 4, 2, 1, 3]);
  assert.deepEqual(changes(mv.lastDelta), [
    [['a', 3, 2, 4, 2, 1, 3], 1],
    [['a', 4, 3, 9, 3, 1, 5], -1],
  ]);
  g.push(s, deletes([['a', 1]]));
  g.barrier();
  assert.deepEqual(mv.rows()[0], ['a', 2, 1, 3, 3, 3, 3]);
  // Only NULLs left: sum/avg/min/max are NULL, count(x) is 0.
  g.push(s, deletes([['a', 3]]));
  g.barrier();
  assert.deepEqual(mv.rows()[0], ['a', 1, 0, null, null, null, null]);
});

test('a group whose count reaches 0 retracts its row and vanishes', () => {
  const { g, s, agg, mv } = setup([{ kind: 'count' }]);
  g.push(s, [['a'], ['b']]);
  g.barrier();
  g.push(s, deletes([['a']]));
  g.barrier();
  assert.deepEqual(mv.rows(), [['b', 1]]);
  assert.deepEqual(changes(mv.lastDelta), [[['a', 1], -1]]);
  assert.equal(agg.groups, 1);
  // Inserted and deleted within one epoch: no output at all.
  g.push(s, [['c']]);
  g.push(s, deletes([['c']]));
  g.barrier();
  assert.deepEqual(changes(mv.lastDelta), []);
  assert.equal(agg.groups, 1);
});

test('unchanged groups emit nothing; a changed group emits −old +new once per epoch', () => {
  const { g, s, mv } = setup([{ kind: 'max', arg: col(1) }]);
  g.push(s, [['a', 5]]);
  g.barrier();
  g.push(s, [['a', 3]]);
  g.barrier();
  assert.deepEqual(changes(mv.lastDelta), []);
  g.push(s, [['a', 6]]);
  g.push(s, [['a', 7]]);
  g.barrier();
  assert.deepEqual(changes(mv.lastDelta), [
    [['a', 5], -1],
    [['a', 7], 1],
  ]);
});

test('global aggregate always has one row: count 0, sum NULL', () => {
  const { g, s, mv } = setup([{ kind: 'count' }, { kind: 'sum', arg: col(1) }], false);
  g.barrier();
  assert.deepEqual(mv.rows(), [[0, null]]);
  g.push(s, [['x', 2]]);
  g.barrier();
  assert.deepEqual(mv.rows(), [[1, 2]]);
  g.push(s, deletes([['x', 2]]));
  g.barrier();
  assert.deepEqual(mv.rows(), [[0, null]]);
});

test('FILTER, DISTINCT, count(DISTINCT) under retraction', () => {
  const { g, s, mv } = setup([
    { kind: 'count', arg: col(1), distinct: true },
    { kind: 'sum', arg: col(1), distinct: true },
    { kind: 'count', filter: (r) => (r[1] === null ? null : (r[1] as number) > 1) },
  ]);
  g.push(s, [
    ['a', 1],
    ['a', 2],
    ['a', 2],
    ['a', null],
  ]);
  g.barrier();
  assert.deepEqual(mv.rows(), [['a', 2, 3, 2]]);
  g.push(s, deletes([['a', 2]]));
  g.barrier();
  assert.deepEqual(mv.rows(), [['a', 2, 3, 1]]);
  g.push(s, deletes([['a', 2]]));
  g.barrier();
  assert.deepEqual(mv.rows(), [['a', 1, 1, 0]]);
});

test('percentile_cont / percentile_disc follow PostgreSQL, including after deletes', () => {
  const { g, s, mv } = setup([
    { kind: 'percentile_cont', arg: col(1), fraction: 0.5 },
    { kind: 'percentile_cont', arg: col(1), fraction: 0.25 },
    { kind: 'percentile_disc', arg: col(1), fraction: 0.5 },
    { kind: 'percentile_disc', arg: col(1), fraction: 0 },
    { kind: 'percentile_cont', arg: col(1), fraction: 0.25, desc: true },
  ]);
  g.push(s, [
    ['a', 10],
    ['a', 20],
    ['a', 40],
    ['a', 30],
    ['a', null],
  ]);
  g.barrier();
  // cont(0.5) of 10,20,30,40 = 25; cont(0.25): p = 0.75 → 10 + 0.75·10 = 17.5; disc(0.5) = 20
  assert.deepEqual(mv.rows(), [['a', 25, 17.5, 20, 10, 32.5]]);
  g.push(s, deletes([['a', 20]]));
  g.barrier();
  assert.deepEqual(mv.rows(), [['a', 30, 20, 30, 10, 35]]);
  g.push(
    s,
    deletes([
      ['a', 10],
      ['a', 30],
      ['a', 40],
    ]),
  );
  g.barrier();
  assert.deepEqual(mv.rows(), [['a', null, null, null, null, null]]);
});

test('string_agg and array_agg, with and without ORDER BY', () => {
  const { g, s, mv } = setup([
    { kind: 'string_agg', arg: col(1), separator: '|', orderBy: [{ value: col(2), desc: true }] },
    { kind: 'array_agg', arg: col(1), orderBy: [{ value: col(2) }] },
    { kind: 'array_agg', arg: col(2) },
    { kind: 'string_agg', arg: col(1), separator: ',', distinct: true, orderBy: [{ value: col(1) }] },
  ]);
  g.push(s, [
    ['a', 'x', 2],
    ['a', 'y', 1],
    ['a', null, 3],
    ['a', 'x', 4],
  ]);
  g.barrier();
  assert.deepEqual(mv.rows(), [['a', 'x|x|y', ['y', 'x', null, 'x'], [2, 1, 3, 4], 'x,y']]);
  g.push(s, deletes([['a', 'x', 4]]));
  g.barrier();
  assert.deepEqual(mv.rows(), [['a', 'x|y', ['y', 'x', null], [2, 1, 3], 'x,y']]);
});

test('bool_and / bool_or and variance family', () => {
  const { g, s, mv } = setup([
    { kind: 'bool_and', arg: col(1) },
    { kind: 'bool_or', arg: col(1) },
    { kind: 'var_pop', arg: col(2) },
    { kind: 'var_samp', arg: col(2) },
    { kind: 'stddev_pop', arg: col(2) },
    { kind: 'stddev_samp', arg: col(2) },
  ]);
  g.push(s, [
    ['a', true, 2],
    ['a', false, 4],
    ['a', null, 4],
    ['a', true, 4],
    ['a', true, 5],
    ['a', true, 5],
    ['a', true, 7],
    ['a', true, 9],
  ]);
  g.barrier();
  assert.deepEqual(mv.rows(), [['a', false, true, 4, 32 / 7, 2, Math.sqrt(32 / 7)]]);
  g.push(s, deletes([['a', false, 4]]));
  g.barrier();
  const r = mv.rows()[0] as Row;
  assert.equal(r[1], true);
  g.push(
    s,
    deletes([
      ['a', true, 2],
      ['a', null, 4],
      ['a', true, 4],
      ['a', true, 5],
      ['a', true, 7],
      ['a', true, 9],
    ]),
  );
  g.barrier();
  assert.deepEqual(mv.rows(), [['a', true, true, 0, null, 0, null]]);
});

test('variance has no cancellation for large means and no drift under retraction', () => {
  const { g, s, mv } = setup([{ kind: 'var_samp', arg: col(1) }]);
  const base = 1.7e15; // timestamps in micros
  g.push(s, [
    ['a', base + 1],
    ['a', base + 2],
    ['a', base + 3],
    ['a', 1e20],
  ]);
  g.push(s, deletes([['a', 1e20]]));
  g.barrier();
  assert.deepEqual(mv.rows(), [['a', 1]]);
});

test('exact sums: retraction leaves no residue and matches the batch sum', () => {
  const rand = prng(7);
  const s = new ExactSum();
  const kept: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const x = (rand() - 0.5) * 10 ** Math.floor(rand() * 30 - 10);
    s.add(x);
    if (rand() < 0.5) s.add(x, -1);
    else kept.push(x);
  }
  assert.equal(s.value(), exactSum(kept));
  const t = new ExactSum();
  t.add(0.1);
  t.add(1e20);
  t.add(1e20, -1);
  assert.equal(t.value(), 0.1);
  t.add(Number.POSITIVE_INFINITY);
  assert.equal(t.value(), Number.POSITIVE_INFINITY);
  t.add(Number.POSITIVE_INFINITY, -1);
  assert.equal(t.value(), 0.1);
  t.add(0.2, 3);
  assert.equal(t.value(), 0.1 + 0.6000000000000001);
});

test('an argument that fails is NULL for its aggregate (the row still counts), and the error is counted', () => {
  const g = new Dataflow();
  const s = g.source('s');
  const agg = g.add(
    new Aggregate({
      groupBy: (r) => [r[0] as Value],
      calls: [
        {
          kind: 'sum',
          arg: (r) => {
            if (r[1] === 0) throw Object.assign(new Error('division by zero'), { sqlstate: '22012' });
            return 10 / (r[1] as number);
          },
        },
        { kind: 'count' },
      ],
    }),
    s,
  );
  const mv = g.add(new Materialize('v'), agg);
  g.push(
    s,
    chunk([
      ['a', 2],
      ['a', 0],
      ['a', 5],
    ]),
  );
  g.barrier();
  assert.deepEqual(mv.rows(), [['a', 7, 3]]);
  assert.equal(agg.stats.errors, 1);
});
