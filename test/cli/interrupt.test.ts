import assert from 'node:assert/strict';
import { test } from 'node:test';
import { onInterrupt } from '../../src/cli/interrupt.ts';

test('the first Ctrl-C asks to stop, the second forces', () => {
  let stops = 0;
  let forced = 0;
  const stopWatching = onInterrupt(
    () => stops++,
    () => {
      forced++;
      return undefined as never;
    },
  );
  try {
    process.emit('SIGINT');
    assert.deepEqual([stops, forced], [1, 0]);
    process.emit('SIGINT');
    assert.deepEqual([stops, forced], [1, 1]);
  } finally {
    stopWatching();
  }
  assert.equal(process.listenerCount('SIGINT'), 0);
});
