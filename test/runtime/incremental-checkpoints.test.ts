/**
 * Which operator states an incremental checkpoint takes whole: every one the first time and
 * after a catalog change; later, one whose deltas since its last whole state outweigh it — one
 * such a checkpoint, the others at the following ones.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Engine } from '../../src/engine/engine.ts';
import { IncrementalCheckpoints } from '../../src/runtime/incremental-checkpoints.ts';

/** An engine of `sizes.length` operators, each changed every epoch: a whole state of `sizes[i]` bytes, a delta of `delta` bytes. */
function engineOf(sizes: readonly number[], delta: number): Engine {
  return {
    checkpointChanges(whole: (operator: number) => boolean) {
      const records = sizes.map((size, operator) =>
        whole(operator)
          ? { operator, kind: 'full', state: 'x'.repeat(size) }
          : { operator, kind: 'delta', state: 'd'.repeat(delta) },
      );
      return { checkpoint: {}, records };
    },
  } as unknown as Engine;
}

const wholes = (c: IncrementalCheckpoints, engine: Engine, catalog = 1) =>
  c
    .take(engine, catalog)
    .operators.records.filter((r) => r.whole)
    .map((r) => r.operator);

test('operators due for a whole state together take it one a checkpoint, in turn', () => {
  const c = new IncrementalCheckpoints();
  // Three operators of 2 MiB: after four deltas of 600 KiB each is due.
  const engine = engineOf([2 << 20, 2 << 20, 2 << 20], 600 << 10);
  assert.deepEqual(wholes(c, engine), [0, 1, 2], 'the first checkpoint takes every state whole');
  for (let epoch = 0; epoch < 4; epoch++) assert.deepEqual(wholes(c, engine), []);
  assert.deepEqual(wholes(c, engine), [0], 'all three are due: one is taken');
  assert.deepEqual(wholes(c, engine), [1]);
  assert.deepEqual(wholes(c, engine), [2]);
  assert.deepEqual(wholes(c, engine), []);
  assert.deepEqual(wholes(c, engine, 2), [0, 1, 2], 'a catalog change takes every state whole again');
});
