import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunk, deletes } from '../../src/stream/chunk.ts';
import { Dataflow } from '../../src/stream/graph.ts';
import { Materialize } from '../../src/stream/operators/materialize.ts';
import { TopN, type TopNOptions } from '../../src/stream/operators/top-n.ts';
import type { Row, Value } from '../../src/stream/value.ts';
import { changes } from './helpers.ts';

function setup(o: Partial<TopNOptions>) {
  const g = new Dataflow();
  const s = g.source('s');
  const top = g.add(
    new TopN({
      partitionBy: (r) => [r[0] as Value],
      orderBy: [{ value: (r) => r[2] as Value, desc: true }],
      limit: 2,
      ...o,
    }),
    s,
  );
  const mv = g.add(new Materialize('v'), top);
  return { g, s, top, mv };
}

test('a row leaving the top N lets the next one in', () => {
  const { g, s, mv } = setup({});
  g.push(s, [
    ['w1', 'a', 10],
    ['w1', 'b', 8],
    ['w1', 'c', 5],
    ['w2', 'x', 1],
  ]);
  g.barrier();
  assert.deepEqual(mv.rows(), [
    ['w1', 'a', 10],
    ['w1', 'b', 8],
    ['w2', 'x', 1],
  ]);
  g.push(s, deletes([['w1', 'a', 10]]));
  g.barrier();
  assert.deepEqual(changes(mv.lastDelta), [
    [['w1', 'a', 10], -1],
    [['w1', 'c', 5], 1],
  ]);
  // An update as retract + insert: b drops below c.
  g.push(
    s,
    chunk(
      [
        ['w1', 'b', 8],
        ['w1', 'b', 2],
      ],
      [-1, 1],
    ),
  );
  g.barrier();
  assert.deepEqual(mv.rows(), [
    ['w1', 'b', 2],
    ['w1', 'c', 5],
    ['w2', 'x', 1],
  ]);
  // Changes outside the top N emit nothing.
  g.push(s, [['w1', 'z', 0]]);
  g.barrier();
  assert.deepEqual(changes(mv.lastDelta), []);
});

test('ties: row_number breaks them deterministically, rank and dense_rank keep peers', () => {
  const input: Row[] = [
    ['w', 'a', 5],
    ['w', 'b', 5],
    ['w', 'c', 5],
    ['w', 'd', 4],
    ['w', 'e', 3],
  ];
  const rn = setup({ withRank: true });
  rn.g.push(rn.s, input);
  rn.g.barrier();
  assert.deepEqual(rn.mv.rows(), [
    ['w', 'a', 5, 1],
    ['w', 'b', 5, 2],
  ]);
  const rank = setup({ rank: 'rank', withRank: true, limit: 3 });
  rank.g.push(rank.s, input);
  rank.g.barrier();
  assert.deepEqual(rank.mv.rows(), [
    ['w', 'a', 5, 1],
    ['w', 'b', 5, 1],
    ['w', 'c', 5, 1],
  ]);
  rank.g.push(rank.s, deletes([['w', 'a', 5]]));
  rank.g.barrier();
  assert.deepEqual(rank.mv.rows(), [
    ['w', 'b', 5, 1],
    ['w', 'c', 5, 1],
    ['w', 'd', 4, 3],
  ]);
  const dense = setup({ rank: 'dense_rank', withRank: true, limit: 2 });
  dense.g.push(dense.s, input);
  dense.g.barrier();
  assert.deepEqual(dense.mv.rows(), [
    ['w', 'a', 5, 1],
    ['w', 'b', 5, 1],
    ['w', 'c', 5, 1],
    ['w', 'd', 4, 2],
  ]);
});

test('offset, duplicates with weights and a single partition (ORDER BY … LIMIT … OFFSET)', () => {
  const { g, s, mv, top } = setup({ partitionBy: undefined, limit: 2, offset: 1, withRank: true });
  g.push(
    s,
    chunk(
      [
        ['w', 'a', 9],
        ['w', 'b', 7],
      ],
      [2, 3],
    ),
  );
  g.barrier();
  assert.deepEqual(mv.rows(), [
    ['w', 'a', 9, 2],
    ['w', 'b', 7, 3],
  ]);
  g.push(s, chunk([['w', 'b', 7]], [-3]));
  g.push(s, chunk([['w', 'a', 9]], [-2]));
  g.barrier();
  assert.deepEqual(mv.rows(), []);
  assert.equal(top.partitions, 0);
});
