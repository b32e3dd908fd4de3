import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunk, deletes } from '../../src/stream/chunk.ts';
import { Dataflow } from '../../src/stream/graph.ts';
import { Operator, type Watermark } from '../../src/stream/operator.ts';
import { Materialize } from '../../src/stream/operators/materialize.ts';
import { TemporalJoin } from '../../src/stream/operators/temporal-join.ts';
import type { Row, Value } from '../../src/stream/value.ts';

/**
 * Left rows `[window, key, count]`, right rows `[key, threshold]`; window 0 carries the watermark.
 * `unique`: the left rows are unique on `[window, key]` (an aggregate's groups).
 */
function setup(type: 'inner' | 'left' = 'inner', residual?: (r: Row) => boolean | null, unique = false) {
  const g = new Dataflow();
  const l = g.source('l');
  const r = g.source('r');
  const j = g.add(
    new TemporalJoin({
      type,
      leftKey: (x) => [x[1] as Value],
      rightKey: (x) => [x[0] as Value],
      leftWidth: 3,
      rightWidth: 2,
      cleanColumn: 0,
      ...(residual === undefined ? {} : { residual }),
      ...(unique ? { leftUnique: [0, 1] } : {}),
    }),
    l,
    r,
  );
  const mv = g.add(new Materialize('v'), j);
  return { g, l, r, j, mv };
}

test('a left row meets the right side as it is; a later right change does not revisit it', () => {
  const { g, l, r, mv } = setup();
  g.push(r, [['a', 5]]);
  g.push(l, [[0, 'a', 3]]);
  g.barrier();
  assert.deepEqual(mv.rows(), [[0, 'a', 3, 'a', 5]]);
  g.push(r, deletes([['a', 5]]));
  g.push(r, [['a', 2]]);
  g.barrier();
  assert.deepEqual(mv.rows(), [[0, 'a', 3, 'a', 5]], 'the pair made stays');
  g.push(l, [[0, 'a', 7]]);
  g.barrier();
  assert.deepEqual(mv.rows(), [
    [0, 'a', 3, 'a', 5],
    [0, 'a', 7, 'a', 2],
  ]);
});

test('a right key that gains rows or copies meets later left rows with all of them, earlier ones as they were', () => {
  const { g, l, r, mv } = setup();
  g.push(r, [['a', 5]]);
  g.push(l, [[0, 'a', 3]]);
  g.barrier();
  // The key's rows change without the key ever emptying: another row, then a second copy.
  g.push(r, [['a', 6]]);
  g.push(l, [[0, 'a', 4]]);
  g.barrier();
  g.push(r, [['a', 6]]);
  g.push(l, [[0, 'a', 7]]);
  g.barrier();
  assert.deepEqual(mv.rows(), [
    [0, 'a', 3, 'a', 5],
    [0, 'a', 4, 'a', 5],
    [0, 'a', 4, 'a', 6],
    [0, 'a', 7, 'a', 5],
    [0, 'a', 7, 'a', 6],
    [0, 'a', 7, 'a', 6],
  ]);
  g.push(l, deletes([[0, 'a', 4]]));
  g.barrier();
  assert.deepEqual(mv.rows(), [
    [0, 'a', 3, 'a', 5],
    [0, 'a', 7, 'a', 5],
    [0, 'a', 7, 'a', 6],
    [0, 'a', 7, 'a', 6],
  ]);
  assert.equal(mv.anomalies, 0);
});

test('a retraction takes back exactly what its insertion emitted, whatever the right side became', () => {
  const { g, l, r, mv } = setup();
  g.push(r, [['a', 5]]);
  g.push(l, chunk([[0, 'a', 3]], [2]));
  g.barrier();
  g.push(r, deletes([['a', 5]]));
  g.push(r, [['a', 9]]);
  g.push(l, [[0, 'a', 3]]);
  g.barrier();
  assert.deepEqual(mv.rows(), [
    [0, 'a', 3, 'a', 5],
    [0, 'a', 3, 'a', 5],
    [0, 'a', 3, 'a', 9],
  ]);
  // The aggregate's update of its count: the old row out, the new one in.
  g.push(l, chunk([[0, 'a', 3]], [-3]));
  g.push(l, [[0, 'a', 4]]);
  g.barrier();
  assert.deepEqual(mv.rows(), [[0, 'a', 4, 'a', 9]]);
  assert.equal(mv.anomalies, 0);
});

test('a left join pads what meets nothing and takes the padded row back the same way', () => {
  const { g, l, r, mv } = setup('left', (row) => (row[2] as number) >= (row[4] as number));
  g.push(r, [['a', 5]]);
  g.push(l, [
    [0, 'a', 3],
    [0, 'b', 1],
    [0, 'a', 6],
  ]);
  g.barrier();
  assert.deepEqual(mv.rows(), [
    [0, 'a', 3, null, null],
    [0, 'a', 6, 'a', 5],
    [0, 'b', 1, null, null],
  ]);
  g.push(r, [['b', 0]]);
  g.push(l, deletes([[0, 'b', 1]]));
  g.barrier();
  assert.deepEqual(mv.rows(), [
    [0, 'a', 3, null, null],
    [0, 'a', 6, 'a', 5],
  ]);
  assert.equal(mv.anomalies, 0);
});

test("the left input's watermark forgets the rows of closed windows and passes on; the right's stops", () => {
  const { g, l, r, j, mv } = setup();
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
  g.push(r, [['a', 5]]);
  g.push(l, [
    [0, 'a', 3],
    [10, 'a', 3],
    [20, 'a', 3],
  ]);
  g.barrier();
  assert.deepEqual(j.stateRows, [3, 1]);
  g.watermark(r, 0, 100);
  g.watermark(l, 0, 20);
  g.barrier();
  assert.deepEqual(seen, [[0, 20]]);
  assert.deepEqual(j.stateRows, [1, 1], 'windows 0 and 10 are closed');
  assert.equal(mv.rows().length, 3, 'their output stays');
});

test('snapshot and restore keep the right side and what each held left row met', () => {
  const a = setup();
  a.g.push(a.r, [['a', 5]]);
  a.g.push(a.l, [[0, 'a', 3]]);
  a.g.push(a.r, deletes([['a', 5]]));
  a.g.push(a.r, [['a', 7]]);
  a.g.barrier();
  const state = a.j.snapshot();
  const b = setup();
  b.j.restore(structuredClone(state));
  b.g.push(b.l, deletes([[0, 'a', 3]]));
  b.g.push(b.l, [[0, 'a', 4]]);
  b.g.barrier();
  assert.deepEqual(b.mv.rows(), [[0, 'a', 4, 'a', 7]]);
  assert.deepEqual(
    b.mv.lastDelta.rows.length,
    2,
    'the restored memo took back the pair made with the old right row',
  );
});

/** The right row of key 'a' goes from `threshold[0]` to `threshold[1]`; then the left rows change; a barrier. */
function rightThenLeft(
  s: ReturnType<typeof setup>,
  threshold: [number, number],
  rows: Row[],
  weights: number[],
) {
  s.g.push(s.r, deletes([['a', threshold[0]]]));
  s.g.push(s.r, [['a', threshold[1]]]);
  s.g.push(s.l, chunk(rows, weights));
  s.g.barrier();
}

test('left rows unique on a key: an update is one memo entry changed, and what each version met is taken back, in either order', () => {
  const a = setup('inner', undefined, true);
  a.j.trackStateChanges();
  a.g.push(a.r, [['a', 5]]);
  a.g.push(a.l, [[0, 'a', 3]]);
  a.g.barrier();
  const base = a.j.snapshot();
  a.j.checkpointChange(false);
  // The right side changes; then the group's row is updated, the new row before the old one's retraction.
  rightThenLeft(
    a,
    [5, 9],
    [
      [0, 'a', 4],
      [0, 'a', 3],
    ],
    [1, -1],
  );
  assert.deepEqual(
    a.mv.rows(),
    [[0, 'a', 4, 'a', 9]],
    'the old row took back its pair with the old right row',
  );
  const change = a.j.checkpointChange(false);
  assert.equal(change.kind, 'delta');
  const delta = (change as { delta: { removed: Row[]; memo: { met: { right: Row[]; weight: number }[] }[] } })
    .delta;
  assert.deepEqual(delta.removed, [], 'an updated key is not written as gone');
  assert.deepEqual(
    delta.memo.map((e) => e.met),
    [[{ right: [['a', 9]], weight: 1 }]],
    'the key, holding the new row, met the new right row',
  );
  // Restored from the base and the delta: the next update takes back the pair made with 9.
  const b = setup('inner', undefined, true);
  b.j.restore(structuredClone(base));
  b.j.applyStateDelta(structuredClone(delta));
  rightThenLeft(
    b,
    [9, 1],
    [
      [0, 'a', 4],
      [0, 'a', 6],
    ],
    [-1, 1],
  );
  assert.deepEqual(b.mv.lastDelta.rows, [
    [0, 'a', 4, 'a', 9],
    [0, 'a', 6, 'a', 1],
  ]);
  assert.deepEqual(b.mv.lastDelta.weights, [-1, 1]);
  assert.deepEqual(b.j.stateRows, [1, 1]);
});

test('an update meeting the same right rows leaves its entry as it was: the checkpoint writes nothing for it', () => {
  const a = setup('inner', undefined, true);
  a.j.trackStateChanges();
  a.g.push(a.r, [['a', 5]]);
  a.g.push(a.l, [
    [0, 'a', 3],
    [10, 'a', 1],
  ]);
  a.g.barrier();
  a.j.checkpointChange(false);
  // One group updated (retraction, then its new row), another one new.
  a.g.push(
    a.l,
    chunk(
      [
        [0, 'a', 3],
        [0, 'a', 4],
        [20, 'a', 1],
      ],
      [-1, 1, 1],
    ),
  );
  a.g.barrier();
  const change = a.j.checkpointChange(false) as {
    kind: string;
    delta: { removed: unknown[]; memo: { key: string; clean: Value }[] };
  };
  assert.equal(change.kind, 'delta');
  assert.deepEqual(change.delta.removed, []);
  assert.deepEqual(
    change.delta.memo.map((e) => e.clean),
    [20],
    'only the new group is written',
  );
  // A group gone is written as gone.
  a.g.push(a.l, deletes([[10, 'a', 1]]));
  a.g.barrier();
  const gone = a.j.checkpointChange(false) as { delta: { removed: { clean: Value }[]; memo: unknown[] } };
  assert.deepEqual(
    gone.delta.removed.map((e) => e.clean),
    [10],
  );
  assert.deepEqual(gone.delta.memo, []);
  assert.deepEqual(a.j.stateRows, [2, 1]);
});

test('a snapshot and a delta of the earlier form, holding each left row, restore to the same memo', () => {
  // What an earlier version saved: the right side changed from 5 to 7 after [0, a, 3] met it.
  const legacy = {
    kind: 'temporal_join',
    type: 'inner',
    rightRows: [['a', 7]],
    rightWeights: [1],
    memo: [
      { row: [0, 'a', 3], met: [{ right: [['a', 5]], weight: 1 }] },
      { row: [10, 'a', 1], met: [{ right: [['a', 5]], weight: 1 }] },
    ],
    watermark: undefined,
  };
  const legacyDelta = {
    kind: 'temporal_join-delta',
    type: 'inner',
    right: undefined,
    forgotBelow: undefined,
    removed: [[10, 'a', 1]],
    memo: [{ row: [20, 'a', 2], met: [{ right: [['a', 7]], weight: 1 }] }],
    watermark: undefined,
  };
  const b = setup('inner', undefined, true);
  b.j.restore(structuredClone(legacy));
  b.j.applyStateDelta(structuredClone(legacyDelta));
  assert.deepEqual(b.j.stateRows, [2, 1]);
  b.g.push(
    b.l,
    chunk(
      [
        [0, 'a', 3],
        [0, 'a', 4],
        [20, 'a', 2],
      ],
      [-1, 1, -1],
    ),
  );
  b.g.barrier();
  assert.deepEqual(b.mv.lastDelta.rows, [
    [0, 'a', 3, 'a', 5],
    [0, 'a', 4, 'a', 7],
    [20, 'a', 2, 'a', 7],
  ]);
  assert.deepEqual(b.mv.lastDelta.weights, [-1, 1, -1]);
});

/** Key `a`'s row of window 0 updated from count `from` to `to`: the old row retracted, then the new one. */
const updateOf = (from: number, to: number) =>
  chunk(
    [
      [0, 'a', from],
      [0, 'a', to],
    ],
    [-1, 1],
  );

/** A detection's rule: the left row's count at or over the right row's threshold. */
const atThreshold = (x: Row) => (x[2] as number) >= (x[4] as number);

test('an inner join with a condition keeps nothing of left rows that fail it, and takes back only what passed', () => {
  const { g, l, r, j, mv } = setup('inner', atThreshold, true);
  g.push(r, [['a', 5]]);
  g.push(
    l,
    Array.from({ length: 100 }, (_, i): Row => [0, `k${i}`, 1]),
  );
  g.push(l, [[0, 'a', 3]]);
  g.barrier();
  assert.deepEqual(mv.rows(), []);
  assert.deepEqual(j.stateRows, [0, 1], 'no entry for rows that met nothing');
  // The threshold drops: the row held before would pass now, but its retraction takes nothing back.
  g.push(r, deletes([['a', 5]]));
  g.push(r, [['a', 2]]);
  g.push(l, updateOf(3, 4));
  g.barrier();
  assert.deepEqual(mv.rows(), [[0, 'a', 4, 'a', 2]]);
  assert.deepEqual(mv.anomalies, 0);
  // The threshold rises: the pair made stays until its row goes, and then goes.
  g.push(r, deletes([['a', 2]]));
  g.push(r, [['a', 9]]);
  g.push(l, updateOf(4, 5));
  g.barrier();
  assert.deepEqual(mv.rows(), []);
  assert.deepEqual(j.stateRows, [0, 1]);
});

test('keeping nothing of rows that met nothing, each version of a key takes back what it met, in either order, after a restore too', () => {
  const a = setup('inner', atThreshold, true);
  a.j.trackStateChanges();
  a.g.push(a.r, [['a', 5]]);
  a.g.push(a.l, [[0, 'a', 3]]); // fails: nothing kept
  a.g.barrier();
  const base = a.j.snapshot();
  a.j.checkpointChange(false);
  // The threshold drops, then the new version comes before the old one's retraction.
  rightThenLeft(
    a,
    [5, 2],
    [
      [0, 'a', 4],
      [0, 'a', 3],
    ],
    [1, -1],
  );
  assert.deepEqual(a.mv.rows(), [[0, 'a', 4, 'a', 2]], 'the old version took nothing back');
  assert.equal(a.mv.anomalies, 0);
  const change = a.j.checkpointChange(false);
  assert.equal(change.kind, 'delta');
  const delta = (change as { delta: unknown }).delta;
  // Restored: the next update, new version first again, takes back the pair the restored version made.
  const b = setup('inner', atThreshold, true);
  b.j.restore(structuredClone(base));
  b.j.applyStateDelta(structuredClone(delta));
  b.g.push(
    b.l,
    chunk(
      [
        [0, 'a', 6],
        [0, 'a', 4],
      ],
      [1, -1],
    ),
  );
  b.g.barrier();
  const changed = b.mv.lastDelta.rows.map((row, i) => [row, b.mv.lastDelta.weights[i]]);
  assert.deepEqual(
    changed.sort((x, y) => (x[1] as number) - (y[1] as number)),
    [
      [[0, 'a', 4, 'a', 2], -1],
      [[0, 'a', 6, 'a', 2], 1],
    ],
  );
  assert.deepEqual(b.j.stateRows, [1, 1]);
});
