import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type EndedEpoch, mergeEndedEpochs, takeCommitGroup } from '../../src/runtime/commit-groups.ts';
import { PhaseTimer } from '../../src/store/commit-phases.ts';
import type { StoreSchema } from '../../src/store/view-store.ts';
import type { Row } from '../../src/stream/value.ts';

const SCHEMA: StoreSchema = { views: [], sources: [] };

function ended(epoch: number, options: { schema?: StoreSchema; raw?: Row[]; view?: Row[] } = {}): EndedEpoch {
  return {
    epoch,
    barrierAt: epoch,
    barrierMs: 0,
    timer: new PhaseTimer(),
    deltas: new Map(
      options.view === undefined ? [] : [['v', { rows: options.view, weights: options.view.map(() => 1) }]],
    ),
    raw: new Map(options.raw === undefined ? [] : [['s', [options.raw]]]),
    deadLetters: new Map(),
    schema: options.schema,
    saved: {
      kind: 'tidewatch-state',
      version: 1,
      engine: { kind: 'tidewatch-engine', version: 1, catalog: [], dataflow: [], sources: {} },
      offsets: {},
    },
    operators: Promise.resolve({ reset: false, records: [] }),
    labels: [],
    logsSynced: Promise.resolve(),
    consumedTable: epoch,
    consumedLogs: [],
  };
}

test('epochs commit together up to the next catalog change, which starts a group of its own', () => {
  const queue = [ended(1, { schema: SCHEMA }), ended(2), ended(3), ended(4, { schema: SCHEMA }), ended(5)];
  assert.deepEqual(
    takeCommitGroup(queue).map((e) => e.epoch),
    [1, 2, 3],
  );
  assert.deepEqual(
    takeCommitGroup(queue).map((e) => e.epoch),
    [4, 5],
  );
  assert.deepEqual(takeCommitGroup(queue), []);
});

test('a group hands the store every raw event in order and each view’s changes summed', () => {
  const merged = mergeEndedEpochs([
    ended(1, { raw: [['a']], view: [['x']] }),
    ended(2, { raw: [['b'], ['c']] }),
    ended(3, { view: [['y']] }),
  ]);
  assert.deepEqual(merged.raw.get('s'), [[['a'], ['b'], ['c']]]);
  assert.deepEqual(merged.deltas.get('v'), { rows: [['x'], ['y']], weights: [1, 1] });
});
