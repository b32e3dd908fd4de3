/**
 * A view's row count (`Materialize.rowCount`, what `/api/status` reports of each view) is kept
 * as its table changes rather than counted from it: it must equal the table's weights summed
 * after insertions, retractions, a negative weight, a load and a restore. A view whose rows are
 * kept elsewhere only gives each change its prior count from the change alone, and reads rows
 * lent to it as its own until they are taken back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import v8 from 'node:v8';
import { Dataflow } from '../../src/stream/graph.ts';
import { Materialize, type TableDelta } from '../../src/stream/operators/materialize.ts';

function summed(m: Materialize): number {
  let n = 0;
  for (const e of m.entries()) n += e.weight;
  return n;
}

test("a keyed view's row count follows its table through insertions, retractions and a negative weight", () => {
  const g = new Dataflow();
  const s = g.source('s');
  const v = g.add(new Materialize('v'), s);
  g.push(s, [[1], [2], [2], [3]]);
  assert.equal(v.rowCount, 0, 'nothing counts before the barrier');
  g.barrier();
  assert.equal(v.rowCount, 4);
  g.push(s, [[2], [3], [4]], [-1, -1, 1]);
  g.push(s, [[5]], [-1]); // an upstream bug: a row that was never there
  g.barrier();
  assert.equal(v.rowCount, summed(v));
  assert.equal(v.rowCount, 2);
  assert.equal(v.anomalies, 1);
  g.push(s, [[5], [1]], [1, -1]);
  g.barrier();
  assert.equal(v.rowCount, summed(v));
  assert.equal(v.rowCount, 2);
});

test("an append-only table's row count, and a count after load and restore", () => {
  const g = new Dataflow();
  const s = g.source('s');
  const t = g.add(new Materialize('t', { appendOnly: true }), s);
  const v = g.add(new Materialize('v'), s);
  g.push(s, [[1], [1], [2]]);
  g.barrier();
  assert.equal(t.rowCount, 3);
  assert.equal(v.rowCount, 3);
  g.push(s, [[1]], [-1]);
  g.barrier();
  assert.equal(t.rowCount, 3, 'a retraction reaching an append-only table is an anomaly, not a row less');
  assert.equal(v.rowCount, 2);
  v.load([[7], [8], [8]], [1, 1, 2]);
  assert.equal(v.rowCount, 4);
  assert.equal(v.rowCount, summed(v));

  const h = new Dataflow();
  const hs = h.source('s');
  const ht = h.add(new Materialize('t', { appendOnly: true }), hs);
  const hv = h.add(new Materialize('v'), hs);
  h.restore(v8.deserialize(v8.serialize(g.snapshot())));
  assert.equal(ht.rowCount, 3);
  assert.equal(hv.rowCount, 4);
  h.push(hs, [[8]], [-2]);
  h.barrier();
  assert.equal(hv.rowCount, 2);
  assert.equal(hv.rowCount, summed(hv));
});

test('a view that keeps no rows gives each change its prior count from the change alone, and counts its rows', () => {
  const g = new Dataflow();
  const s = g.source('s');
  const v = g.add(new Materialize('v'), s);
  v.external = true;
  v.keepRowsOutside();
  const deltas: TableDelta[] = [];
  v.onCommit((d) => deltas.push(d as TableDelta));
  g.push(s, [
    ['a', 1],
    ['b', 2],
  ]);
  g.barrier();
  g.push(
    s,
    [
      ['a', 1],
      ['a', 2],
      ['b', 2],
      ['b', 2],
    ],
    [-1, 1, -1, 1],
  );
  g.barrier();
  assert.equal(v.rowCount, 2);
  assert.equal(v.size, 0, 'no row kept');
  assert.throws(() => [...v.entries()], /kept elsewhere/);
  assert.deepEqual(
    deltas.map((d) => d.rows.map((row, i) => [row, d.weights[i], d.before[i]])),
    [
      [
        [['a', 1], 1, 0],
        [['b', 2], 1, 0],
      ],
      [
        [['a', 1], -1, 1],
        [['a', 2], 1, 0],
      ],
    ],
  );
  assert.equal(v.anomalies, 0);
});

test('rows lent to a view that keeps none: read as its own until taken back, its count unchanged', () => {
  const g = new Dataflow();
  const s = g.source('s');
  const v = g.add(new Materialize('v'), s);
  v.external = true;
  v.keepRowsOutside();
  g.push(s, [['a'], ['b']]);
  g.barrier();
  g.push(s, [['c']]);
  v.lend([['a'], ['b']], [1, 1]);
  assert.deepEqual(
    [...v.current()].map((e) => e.row),
    [['a'], ['b'], ['c']],
  );
  assert.deepEqual(
    [...v.entries()].map((e) => e.row),
    [['a'], ['b']],
  );
  const deltas: TableDelta[] = [];
  v.onCommit((d) => deltas.push(d as TableDelta));
  g.push(s, [['a']], [-1]);
  g.barrier();
  assert.deepEqual(deltas[0]?.before, [0, 1], 'prior counts from the lent rows');
  assert.equal(v.rowCount, 2);
  v.unlend();
  assert.throws(() => [...v.current()], /kept elsewhere/);
  v.load([['x'], ['y'], ['z']], [1, 1, 1]);
  assert.equal(v.rowCount, 3, 'a restore counts the rows it is given, and keeps none');
  assert.equal(v.size, 0);
});
