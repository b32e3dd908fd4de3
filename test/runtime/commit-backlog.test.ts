import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommitBacklog } from '../../src/runtime/commit-backlog.ts';

/** Whether `p` has settled after pending callbacks ran. */
async function settled(p: Promise<void> | undefined): Promise<boolean> {
  if (p === undefined) return true;
  let done = false;
  void p.then(() => {
    done = true;
  });
  await new Promise((r) => setImmediate(r));
  return done;
}

test('ingestion waits while more than the bound of epochs wait for their commit', async () => {
  const backlog = new CommitBacklog();
  assert.equal(backlog.atMost(2), undefined, 'nothing queued: no wait at all');
  backlog.add();
  backlog.add();
  assert.equal(backlog.atMost(2), undefined, 'at the bound: no wait');
  backlog.add();
  const waiting = backlog.atMost(2);
  const tighter = backlog.atMost(0);
  assert.equal(await settled(waiting), false);
  backlog.done();
  assert.equal(await settled(waiting), true, 'back at the bound: released');
  assert.equal(await settled(tighter), false, 'a tighter bound still waits');
  backlog.done();
  backlog.done();
  assert.equal(await settled(tighter), true);
  assert.equal(backlog.pending, 0);
});

test('a release (failed commits, closing store) lets every waiter go, now and later', async () => {
  const backlog = new CommitBacklog();
  for (let i = 0; i < 5; i++) backlog.add();
  const waiting = backlog.atMost(1);
  backlog.release();
  assert.equal(await settled(waiting), true);
  assert.equal(backlog.atMost(0), undefined);
});
