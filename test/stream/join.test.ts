import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunk, deletes } from '../../src/stream/chunk.ts';
import { Dataflow } from '../../src/stream/graph.ts';
import { Operator, type Watermark } from '../../src/stream/operator.ts';
import { Join, type JoinType } from '../../src/stream/operators/join.ts';
import { Materialize } from '../../src/stream/operators/materialize.ts';
import type { Row, Value } from '../../src/stream/value.ts';
import { changes } from './helpers.ts';

function setup(type: JoinType, residual?: (r: Row) => boolean | null) {
  const g = new Dataflow();
  const l = g.source('l');
  const r = g.source('r');
  const j = g.add(
    new Join({
      type,
      leftKey: (x) => [x[0] as Value],
      rightKey: (x) => [x[0] as Value],
      leftWidth: 2,
      rightWidth: 2,
      residual,
      watermarkKeys: [[0, 0, 0]],
    }),
    l,
    r,
  );
  const mv = g.add(new Materialize('v'), j);
  return { g, l, r, j, mv };
}

test('inner join: weights multiply, deletes retract pairs', () => {
  const { g, l, r, mv } = setup('inner');
  g.push(
    l,
    chunk(
      [
        [1, 'a'],
        [2, 'b'],
        [null, 'n'],
      ],
      [1, 2, 1],
    ),
  );
  g.push(r, [
    [1, 'x'],
    [2, 'y'],
    [2, 'z'],
    [null, 'm'],
  ]);
  g.barrier();
  assert.deepEqual(mv.rows(), [
    [1, 'a', 1, 'x'],
    [2, 'b', 2, 'y'],
    [2, 'b', 2, 'y'],
    [2, 'b', 2, 'z'],
    [2, 'b', 2, 'z'],
  ]);
  g.push(r, deletes([[2, 'y']]));
  g.push(l, deletes([[1, 'a']]));
  g.barrier();
  assert.deepEqual(mv.rows(), [
    [2, 'b', 2, 'z'],
    [2, 'b', 2, 'z'],
  ]);
});

test('left join: NULL-padded row retracted when a match appears, re-inserted when it disappears', () => {
  const { g, l, r, mv } = setup('left');
  g.push(l, [
    [1, 'a'],
    [null, 'n'],
  ]);
  g.barrier();
  assert.deepEqual(mv.rows(), [
    [1, 'a', null, null],
    [null, 'n', null, null],
  ]);
  g.push(r, [[1, 'x']]);
  g.barrier();
  assert.deepEqual(changes(mv.lastDelta), [
    [[1, 'a', 1, 'x'], 1],
    [[1, 'a', null, null], -1],
  ]);
  g.push(r, [[1, 'y']]);
  g.push(r, deletes([[1, 'x']]));
  g.barrier();
  assert.deepEqual(mv.rows(), [
    [1, 'a', 1, 'y'],
    [null, 'n', null, null],
  ]);
  g.push(r, deletes([[1, 'y']]));
  g.barrier();
  assert.deepEqual(changes(mv.lastDelta), [
    [[1, 'a', 1, 'y'], -1],
    [[1, 'a', null, null], 1],
  ]);
  g.push(l, deletes([[1, 'a']]));
  g.barrier();
  assert.deepEqual(mv.rows(), [[null, 'n', null, null]]);
});

test('left join with a residual predicate counts only matching pairs', () => {
  const { g, l, r, mv } = setup('left', (x) => (x[1] as string) < (x[3] as string));
  g.push(l, [[1, 'm']]);
  g.push(r, [[1, 'a']]);
  g.barrier();
  assert.deepEqual(mv.rows(), [[1, 'm', null, null]]);
  g.push(r, [[1, 'z']]);
  g.barrier();
  assert.deepEqual(mv.rows(), [[1, 'm', 1, 'z']]);
});

test('right and full joins pad the other side', () => {
  const full = setup('full');
  full.g.push(full.l, [[1, 'a']]);
  full.g.push(full.r, [[2, 'x']]);
  full.g.barrier();
  assert.deepEqual(full.mv.rows(), [
    [1, 'a', null, null],
    [null, null, 2, 'x'],
  ]);
  full.g.push(full.l, [[2, 'b']]);
  full.g.barrier();
  assert.deepEqual(full.mv.rows(), [
    [1, 'a', null, null],
    [2, 'b', 2, 'x'],
  ]);
  const right = setup('right');
  right.g.push(right.l, [[1, 'a']]);
  right.g.push(right.r, [[2, 'x']]);
  right.g.barrier();
  assert.deepEqual(right.mv.rows(), [[null, null, 2, 'x']]);
});

test('join watermarks: minimum of both sides on both key columns', () => {
  const { g, l, r, j } = setup('inner');
  const seen: [number, Value][] = [];
  g.add(
    new (class extends Operator {
      readonly arity = 1;
      protected onChunk(): void {}
      protected override onWatermark(wm: Watermark): void {
        seen.push([wm.column, wm.value]);
      }
    })('probe'),
    j,
  );
  g.watermark(l, 0, 10);
  g.watermark(l, 1, 99);
  assert.deepEqual(seen, []);
  g.watermark(r, 0, 7);
  assert.deepEqual(seen, [
    [0, 7],
    [2, 7],
  ]);
});

test('join watermarks close state: rows below both sides watermark are forgotten, joined rows stay', () => {
  const { g, l, r, j, mv } = setup('left');
  g.push(l, [
    [1, 'a'],
    [5, 'b'],
    [9, 'c'],
  ]);
  g.push(r, [
    [5, 'x'],
    [9, 'y'],
  ]);
  g.barrier();
  assert.deepEqual(j.stateRows, [3, 2]);
  g.watermark(l, 0, 6);
  assert.deepEqual(j.stateRows, [3, 2], 'one side alone closes nothing');
  g.watermark(r, 0, 8);
  assert.deepEqual(j.stateRows, [1, 1], 'keys 1 and 5 are below min(6, 8)');
  g.push(r, [[9, 'z']]);
  g.barrier();
  assert.deepEqual(mv.rows(), [
    [1, 'a', null, null],
    [5, 'b', 5, 'x'],
    [9, 'c', 9, 'y'],
    [9, 'c', 9, 'z'],
  ]);
});
