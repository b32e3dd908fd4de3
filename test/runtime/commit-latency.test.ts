import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommitLatency } from '../../src/runtime/commit-latency.ts';

test('commit latency: last, median, p99 and max of the last minute, from each barrier to its commit', () => {
  let now = 0;
  const latency = new CommitLatency(() => now);
  assert.deepEqual(latency.figures(), {
    epochs: 0,
    commits: 0,
    last_ms: null,
    p50_ms: null,
    p99_ms: null,
    max_ms: null,
    phases_p50_ms: {},
    phases_max_ms: {},
  });
  for (let i = 1; i <= 100; i++) {
    now = i * 1000 + i; // the barrier at i s, committed i ms later
    latency.committed([{ barrierAt: i * 1000, phases: { barrier: i / 2, store_views: i / 4 } }]);
  }
  // The last minute holds the epochs committed after 40.04 s: barriers 41..100, 41–100 ms.
  assert.deepEqual(latency.figures(), {
    epochs: 60,
    commits: 60,
    last_ms: 100,
    p50_ms: 70,
    p99_ms: 100,
    max_ms: 100,
    phases_p50_ms: { barrier: 35, store_views: 18 },
    phases_max_ms: { barrier: 50, store_views: 25 },
  });
  now += 120_000;
  assert.equal(latency.figures().epochs, 0);
});

test('commit latency: epochs that queued and went to the store together count as one commit, each from its own barrier', () => {
  let now = 10_000;
  const latency = new CommitLatency(() => now);
  latency.committed([{ barrierAt: 9_000 }]);
  now = 12_000;
  latency.committed([{ barrierAt: 10_000 }, { barrierAt: 10_500 }, { barrierAt: 11_000 }]);
  const f = latency.figures();
  assert.equal(f.epochs, 4);
  assert.equal(f.commits, 2);
  assert.equal(f.max_ms, 2_000);
  assert.equal(f.last_ms, 1_000);
});
