import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunk, deletes } from '../../src/stream/chunk.ts';
import { Dataflow } from '../../src/stream/graph.ts';
import { Aggregate } from '../../src/stream/operators/aggregate.ts';
import { Materialize } from '../../src/stream/operators/materialize.ts';
import { OverWindow } from '../../src/stream/operators/over-window.ts';
import type { Row, Value } from '../../src/stream/value.ts';
import { changes } from './helpers.ts';

const col =
  (i: number) =>
  (r: Row): Value =>
    r[i] as Value;

test('SUM(COUNT(*)) OVER (PARTITION BY window ORDER BY status) stays exact when a lower key changes', () => {
  // input: [window, status]; aggregate → [window, status, count]; over-window appends
  // cumulative count and window total.
  const g = new Dataflow();
  const s = g.source('logs');
  const agg = g.add(
    new Aggregate({ groupBy: (r) => [r[0] as Value, r[1] as Value], calls: [{ kind: 'count' }] }),
    s,
  );
  const win = g.add(
    new OverWindow({
      partitionBy: (r) => [r[0] as Value],
      orderBy: [{ value: col(1) }],
      calls: [
        { kind: 'sum', arg: col(2) },
        { kind: 'sum', arg: col(2) },
      ],
    }),
    agg,
  );
  const win2 = g.add(
    new OverWindow({ partitionBy: (r) => [r[0] as Value], calls: [{ kind: 'sum', arg: col(2) }] }),
    agg,
  );
  const mv = g.add(new Materialize('v'), win);
  const total = g.add(new Materialize('t'), win2);
  g.push(s, [
    [0, 200],
    [0, 200],
    [0, 404],
    [0, 500],
    [60, 200],
  ]);
  g.barrier();
  assert.deepEqual(mv.rows(), [
    [0, 200, 2, 2, 2],
    [0, 404, 1, 3, 3],
    [0, 500, 1, 4, 4],
    [60, 200, 1, 1, 1],
  ]);
  assert.deepEqual(total.rows(), [
    [0, 200, 2, 4],
    [0, 404, 1, 4],
    [0, 500, 1, 4],
    [60, 200, 1, 1],
  ]);
  g.push(s, [[0, 200]]);
  g.barrier();
  assert.deepEqual(changes(mv.lastDelta), [
    [[0, 200, 2, 2, 2], -1],
    [[0, 200, 3, 3, 3], 1],
    [[0, 404, 1, 3, 3], -1],
    [[0, 404, 1, 4, 4], 1],
    [[0, 500, 1, 4, 4], -1],
    [[0, 500, 1, 5, 5], 1],
  ]);
  g.push(s, deletes([[0, 404]]));
  g.barrier();
  assert.deepEqual(mv.rows(), [
    [0, 200, 3, 3, 3],
    [0, 500, 1, 4, 4],
    [60, 200, 1, 1, 1],
  ]);
});

test('row_number, rank, dense_rank, lag, lead with peers and duplicates', () => {
  const g = new Dataflow();
  const s = g.source('s');
  const win = g.add(
    new OverWindow({
      partitionBy: (r) => [r[0] as Value],
      orderBy: [{ value: col(1) }],
      calls: [
        { kind: 'row_number' },
        { kind: 'rank' },
        { kind: 'dense_rank' },
        { kind: 'lag', arg: col(1) },
        { kind: 'lead', arg: col(1), offset: 2, default: -1 },
        { kind: 'count' },
        { kind: 'max', arg: col(2) },
      ],
    }),
    s,
  );
  const mv = g.add(new Materialize('v'), win);
  g.push(
    s,
    chunk(
      [
        ['p', 1, 'x'],
        ['p', 2, null],
        ['p', 3, 'a'],
      ],
      [1, 2, 1],
    ),
  );
  g.barrier();
  assert.deepEqual(mv.rows(), [
    ['p', 1, 'x', 1, 1, 1, null, 2, 1, 'x'],
    ['p', 2, null, 2, 2, 2, 1, 3, 3, 'x'],
    ['p', 2, null, 3, 2, 2, 2, -1, 3, 'x'],
    ['p', 3, 'a', 4, 4, 3, 2, -1, 4, 'x'],
  ]);
  g.push(s, deletes([['p', 1, 'x']]));
  g.barrier();
  assert.deepEqual(mv.rows(), [
    ['p', 2, null, 1, 1, 1, null, 3, 2, null],
    ['p', 2, null, 2, 1, 1, 2, -1, 2, null],
    ['p', 3, 'a', 3, 3, 2, 2, -1, 3, 'a'],
  ]);
  g.push(s, chunk([['p', 2, null]], [-2]));
  g.push(s, deletes([['p', 3, 'a']]));
  g.barrier();
  assert.deepEqual(mv.rows(), []);
  assert.equal(win.partitions, 0);
});

test('window function argument errors skip the row and are counted', () => {
  const g = new Dataflow();
  const s = g.source('s');
  const win = g.add(
    new OverWindow({
      calls: [
        {
          kind: 'sum',
          arg: (r) => {
            if (r[0] === 0) throw Object.assign(new Error('division by zero'), { sqlstate: '22012' });
            return 1 / (r[0] as number);
          },
        },
      ],
    }),
    s,
  );
  const mv = g.add(new Materialize('v'), win);
  g.push(s, [[1], [0], [2]]);
  g.barrier();
  assert.deepEqual(mv.rows(), [
    [1, 1.5],
    [2, 1.5],
  ]);
  assert.equal(win.stats.errors, 1);
});
