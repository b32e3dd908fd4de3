/**
 * Alerts made from a sink's queued changes: the lifecycle (firing, updated, resolved) per
 * primary key, append-only sinks, throttling per key and period with what it holds back
 * counted, and the same messages — deduplication keys included — for the same epoch and state.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AlertState, alertsOfEpoch, NO_ALERTS } from '../../src/sinks/alert-stream.ts';
import type { QueuedChange, QueuedEpoch } from '../../src/store/sink-queues.ts';
import type { Row } from '../../src/stream/value.ts';

/** Rows (scenario, actor, window, evidence); the primary key is the first three. */
const upsert = { type: 'upsert' as const, primaryKey: [0, 1, 2], throttle: undefined };

function epoch(n: number, at: number, changes: [1 | -1, Row][]): QueuedEpoch {
  return {
    epoch: n,
    committedAt: at,
    changes: changes.map(([weight, row], i): QueuedChange => ({ row, weight, seq: i + 1 })),
  };
}

function summary(messages: ReturnType<typeof alertsOfEpoch>['messages']) {
  return messages.map((m) => [m.dedupKey, m.status, m.op, m.row[1], m.row[3], m.heldBack]);
}

test('an alert fires when its row appears, fires again updated when it changes, resolves when it goes', () => {
  const first = alertsOfEpoch(
    'alerts',
    upsert,
    epoch(7, 1000, [
      [1, ['brute-force', '10.0.0.1', 1, '5 failures']],
      [1, ['sqli', '10.0.0.2', 1, 'union select']],
    ]),
    NO_ALERTS,
  );
  assert.deepEqual(summary(first.messages), [
    ['alerts:7:1', 'firing', 'insert', '10.0.0.1', '5 failures', 0],
    ['alerts:7:2', 'firing', 'insert', '10.0.0.2', 'union select', 0],
  ]);
  const second = alertsOfEpoch(
    'alerts',
    upsert,
    epoch(8, 2000, [
      [-1, ['brute-force', '10.0.0.1', 1, '5 failures']],
      [-1, ['sqli', '10.0.0.2', 1, 'union select']],
      [1, ['brute-force', '10.0.0.1', 1, '9 failures']],
    ]),
    first.state,
  );
  assert.deepEqual(summary(second.messages), [
    ['alerts:8:1', 'firing', 'update', '10.0.0.1', '9 failures', 0],
    ['alerts:8:2', 'resolved', 'delete', '10.0.0.2', 'union select', 0],
  ]);
});

test('an append-only sink delivers insertions only (force_append_only drops retractions)', () => {
  const out = alertsOfEpoch(
    'log',
    { type: 'append-only', primaryKey: [0], throttle: undefined },
    epoch(3, 0, [
      [-1, ['a', 'x', 1, 'old']],
      [1, ['a', 'x', 1, 'new']],
      [1, ['b', 'y', 1, 'other']],
    ]),
    NO_ALERTS,
  );
  assert.deepEqual(
    out.messages.map((m) => [m.op, m.status, m.row[3]]),
    [
      ['insert', 'firing', 'new'],
      ['insert', 'firing', 'other'],
    ],
  );
});

test('throttling: one notification per key and period, the rest held back and counted; resolutions follow their firing', () => {
  const config = {
    type: 'upsert' as const,
    primaryKey: [0, 1, 2],
    throttle: { key: [1, 0], periodMs: 60_000 },
  };
  const bf = (window: number, evidence: string): Row => ['brute-force', '10.0.0.1', window, evidence];
  let state: AlertState = NO_ALERTS;
  const run = (n: number, at: number, changes: [1 | -1, Row][]) => {
    const out = alertsOfEpoch('alerts', config, epoch(n, at, changes), state);
    state = out.state;
    return out;
  };
  const a = run(1, 0, [[1, bf(1, '5')]]);
  assert.deepEqual(summary(a.messages), [['alerts:1:1', 'firing', 'insert', '10.0.0.1', '5', 0]]);
  // Another window of the same actor and scenario, its update, and another scenario, within the minute.
  const b = run(2, 10_000, [
    [1, bf(2, '6')],
    [1, ['sqli', '10.0.0.1', 1, 'union']],
  ]);
  assert.equal(b.heldBack, 1);
  assert.deepEqual(summary(b.messages), [['alerts:2:1', 'firing', 'insert', '10.0.0.1', 'union', 0]]);
  const c = run(3, 20_000, [
    [-1, bf(2, '6')],
    [1, bf(2, '7')],
  ]);
  assert.equal(c.heldBack, 1);
  assert.deepEqual(c.messages, []);
  // The resolution of a window never notified is held back; of the notified one, delivered at once.
  const d = run(4, 30_000, [
    [-1, bf(2, '7')],
    [-1, bf(1, '5')],
  ]);
  assert.equal(d.heldBack, 1);
  assert.deepEqual(summary(d.messages), [['alerts:4:1', 'resolved', 'delete', '10.0.0.1', '5', 3]]);
  // A period after the last notification of the key, the next firing goes out.
  const e = run(5, 61_000, [[1, bf(3, '8')]]);
  assert.deepEqual(summary(e.messages), [['alerts:5:1', 'firing', 'insert', '10.0.0.1', '8', 0]]);
  assert.deepEqual(state.open.length, 2);
});

test('the same epoch and state make the same messages: a redelivery has the same keys', () => {
  const config = { type: 'upsert' as const, primaryKey: [0], throttle: { key: [0], periodMs: 1000 } };
  const e = epoch(9, 5000, [
    [1, ['a', 1, 1, 'x']],
    [1, ['b', 1, 1, 'y']],
  ]);
  const { state } = alertsOfEpoch('s', config, epoch(8, 4500, [[1, ['a', 0, 0, 'w']]]), NO_ALERTS);
  const once = alertsOfEpoch('s', config, e, state);
  const again = alertsOfEpoch('s', config, e, JSON.parse(JSON.stringify(state)) as AlertState);
  assert.deepEqual(again, once);
  assert.deepEqual(
    once.messages.map((m) => m.dedupKey),
    ['s:9:1'],
  );
});
