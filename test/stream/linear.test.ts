import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunk, consolidate, deletes } from '../../src/stream/chunk.ts';
import { Dataflow } from '../../src/stream/graph.ts';
import { Operator, type Watermark } from '../../src/stream/operator.ts';
import { Filter } from '../../src/stream/operators/filter.ts';
import { Hop } from '../../src/stream/operators/hop.ts';
import { Materialize } from '../../src/stream/operators/materialize.ts';
import { Project } from '../../src/stream/operators/project.ts';
import { Tumble } from '../../src/stream/operators/tumble.ts';
import { Union } from '../../src/stream/operators/union.ts';
import type { Row } from '../../src/stream/value.ts';
import { changes } from './helpers.ts';

const MIN = 60_000_000;

/** Records the watermarks that reach it. */
class WatermarkProbe extends Operator {
  readonly arity = 1;
  readonly seen: [number, unknown][] = [];
  protected onChunk(): void {}
  protected override onWatermark(wm: Watermark): void {
    this.seen.push([wm.column, wm.value]);
  }
}

test('consolidate sums equal rows and drops zeros', () => {
  const c = consolidate(chunk([[1], [2], [1], [2], [3]], [1, 1, 2, -1, -1]));
  assert.deepEqual(changes(c), [
    [[1], 3],
    [[3], -1],
  ]);
});

test('filter keeps TRUE rows with their weights; NULL is false; SQL errors are counted', () => {
  const g = new Dataflow();
  const s = g.source('s');
  const f = g.add(
    new Filter((r) => {
      if (r[0] === 0) throw Object.assign(new Error('division by zero'), { sqlstate: '22012' });
      return r[0] === null ? null : (r[0] as number) > 1;
    }),
    s,
  );
  const mv = g.add(new Materialize('v'), f);
  g.push(s, [[1], [2], [3], [null], [0]]);
  g.barrier();
  assert.deepEqual(mv.rows(), [[2], [3]]);
  assert.equal(f.stats.errors, 1);
  assert.equal(f.stats.lastError?.sqlstate, '22012');
  g.push(s, deletes([[3]]));
  g.barrier();
  assert.deepEqual(mv.rows(), [[2]]);
  assert.deepEqual(changes(mv.lastDelta), [[[3], -1]]);
});

test('filter passes a chunk untouched when every row passes', () => {
  const g = new Dataflow();
  const s = g.source('s');
  const f = g.add(new Filter(() => true), s);
  let got: unknown;
  g.add(
    new (class extends Operator {
      readonly arity = 1;
      protected onChunk(c: unknown): void {
        got = c;
      }
    })('probe'),
    f,
  );
  const c = chunk([[1], [2]]);
  g.push(s, c);
  assert.equal(got, c);
});

test('project maps rows; errors skip rows; watermarks follow the column map', () => {
  const g = new Dataflow();
  const s = g.source('s');
  const p = g.add(
    new Project(
      (r) => {
        if (r[1] === 0) throw Object.assign(new Error('division by zero'), { sqlstate: '22012' });
        return [(r[0] as number) / (r[1] as number), r[0] as number];
      },
      { watermarks: [[0, 1]] },
    ),
    s,
  );
  const mv = g.add(new Materialize('v'), p);
  const probe = g.add(new WatermarkProbe('probe'), p);
  g.push(s, [
    [6, 2],
    [1, 0],
  ]);
  g.watermark(s, 0, 5);
  g.watermark(s, 1, 7);
  g.barrier();
  assert.deepEqual(mv.rows(), [[3, 6]]);
  assert.equal(p.stats.errors, 1);
  assert.deepEqual(probe.seen, [[1, 5]]);
});

test('tumble appends window bounds (with offset, negative times and NULL)', () => {
  const g = new Dataflow();
  const s = g.source('s');
  const t = g.add(new Tumble({ timeColumn: 0, size: MIN, width: 2 }), s);
  const t2 = g.add(new Tumble({ timeColumn: 0, size: MIN, offset: 10, width: 2 }), s);
  const mv = g.add(new Materialize('v'), t);
  const mv2 = g.add(new Materialize('v2'), t2);
  const probe = g.add(new WatermarkProbe('probe'), t);
  g.push(s, [
    [MIN + 5, 'a'],
    [-1, 'b'],
    [null, 'c'],
  ]);
  g.watermark(s, 0, 2 * MIN + 1);
  g.barrier();
  assert.deepEqual(mv.rows(), [
    [-1, 'b', -MIN, 0],
    [MIN + 5, 'a', MIN, 2 * MIN],
    [null, 'c', null, null],
  ]);
  assert.deepEqual(mv2.rows()[1], [MIN + 5, 'a', 10, MIN + 10]);
  assert.deepEqual(probe.seen, [
    [0, 2 * MIN + 1],
    [2, 2 * MIN],
    [3, 3 * MIN],
  ]);
});

test('hop emits size/slide copies per row; retraction removes them all', () => {
  const g = new Dataflow();
  const s = g.source('s');
  const h = g.add(new Hop({ timeColumn: 0, slide: 10, size: 30, width: 1 }), s);
  const mv = g.add(new Materialize('v'), h);
  g.push(s, [[25], [null]]);
  g.barrier();
  assert.deepEqual(mv.rows(), [
    [25, 0, 30],
    [25, 10, 40],
    [25, 20, 50],
  ]);
  g.push(s, deletes([[25]]));
  g.barrier();
  assert.deepEqual(mv.rows(), []);
  // size not a multiple of slide
  const g2 = new Dataflow();
  const s2 = g2.source('s');
  const mv2 = g2.add(
    new Materialize('v'),
    g2.add(new Hop({ timeColumn: 0, slide: 20, size: 30, width: 1 }), s2),
  );
  g2.push(s2, [[25], [5]]);
  g2.barrier();
  assert.deepEqual(mv2.rows(), [
    [5, -20, 10],
    [5, 0, 30],
    [25, 0, 30],
    [25, 20, 50],
  ]);
});

test('union sums its inputs and aligns barriers and watermarks', () => {
  const g = new Dataflow();
  const a = g.source('a');
  const b = g.source('b');
  const u = g.add(new Union(2), a, b);
  const mv = g.add(new Materialize('v'), u);
  const probe = g.add(new WatermarkProbe('probe'), u);
  g.push(a, [[1], [2]]);
  g.push(b, chunk([[1], [2]], [1, -1]));
  g.watermark(a, 0, 10);
  assert.deepEqual(probe.seen, []);
  g.watermark(b, 0, 5);
  g.watermark(b, 0, 20);
  assert.deepEqual(probe.seen, [
    [0, 5],
    [0, 10],
  ]);
  g.barrier();
  assert.deepEqual(mv.rows(), [[1], [1]]);
  assert.equal(u.epoch, 1);
});

test('fan-out: one source feeds several views; materialize chains and notifies commits', () => {
  const g = new Dataflow();
  const s = g.source('s');
  const v1 = g.add(new Materialize('v1'), s);
  const v2 = g.add(new Materialize('v2'), g.add(new Filter((r) => (r[0] as number) > 1), v1));
  const commits: [number, number][] = [];
  v2.onCommit((d, e) => commits.push([e, d.rows.length]));
  g.push(s, [[1], [2], [2]]);
  assert.equal(g.barrier(), 1);
  assert.equal(g.barrier(), 2);
  assert.deepEqual(v1.rows(), [[1], [2], [2]]);
  assert.deepEqual(v2.rows(), [[2], [2]]);
  assert.deepEqual(changes(v2.lastDelta), []);
  assert.deepEqual(commits, [
    [1, 1],
    [2, 0],
  ]);
  assert.equal(v2.stats.rowsIn, 2);
});

test('graph rejects bad wiring', () => {
  const g = new Dataflow();
  const s = g.source('s');
  assert.throws(() => g.add(new Union(2), s), /takes 2 inputs/);
  assert.throws(() => g.add(new Materialize('x'), new Materialize('y')), /not in this dataflow/);
  assert.throws(() => g.source('s'), /already exists/);
  const rows: Row[] = [];
  assert.doesNotThrow(() => g.push('s', rows));
});
