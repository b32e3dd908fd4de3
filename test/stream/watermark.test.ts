import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Dataflow } from '../../src/stream/graph.ts';
import { Aggregate } from '../../src/stream/operators/aggregate.ts';
import { Filter } from '../../src/stream/operators/filter.ts';
import { Hop } from '../../src/stream/operators/hop.ts';
import { OverWindow } from '../../src/stream/operators/over-window.ts';
import { TopN } from '../../src/stream/operators/top-n.ts';
import { Tumble } from '../../src/stream/operators/tumble.ts';
import type { Value } from '../../src/stream/value.ts';
import { Probe } from './helpers.ts';

test('watermarks flow through filter → tumble → aggregate → top-n / over-window on key columns only, after the barrier', () => {
  const g = new Dataflow();
  const s = g.source('s', 2); // [ts, user]
  const t = g.add(new Tumble({ timeColumn: 0, size: 10, width: 2 }), g.add(new Filter(() => true), s));
  // output [user, window_start, count]: window_start (input col 2) is key column 1
  const agg = g.add(
    new Aggregate({
      groupBy: (r) => [r[1] as Value, r[2] as Value],
      calls: [{ kind: 'count' }],
      watermarks: [[2, 1]],
    }),
    t,
  );
  const top = g.add(
    new TopN({ orderBy: [{ value: (r) => r[2] as Value }], limit: 1, watermarks: [[1, 1]] }),
    agg,
  );
  const win = g.add(new OverWindow({ calls: [{ kind: 'row_number' }], watermarks: [] }), agg);
  const pAgg = g.add(new Probe('agg'), agg);
  const pTop = g.add(new Probe('top'), top);
  const pWin = g.add(new Probe('win'), win);
  g.watermark(s, 0, 25);
  g.watermark(s, 1, 'x');
  assert.deepEqual(pAgg.seen, [], 'an aggregate holds watermarks back until its barrier output is out');
  g.barrier();
  assert.deepEqual(pAgg.seen, [[1, 20]]);
  assert.deepEqual(pTop.seen, [[1, 20]]);
  assert.deepEqual(pWin.seen, []);
});

test('hop turns a time watermark into the earliest open window start', () => {
  const g = new Dataflow();
  const s = g.source('s', 1);
  const probe = g.add(new Probe('p'), g.add(new Hop({ timeColumn: 0, slide: 10, size: 30, width: 1 }), s));
  g.watermark(s, 0, 25);
  assert.deepEqual(probe.seen, [
    [0, 25],
    [1, 0],
    [2, 30],
  ]);
});
