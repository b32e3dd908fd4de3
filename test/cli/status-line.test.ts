import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IntakeCounter } from '../../src/cli/status-line.ts';

test('the intake counter counts what sources admitted since the start, not what a start restored', () => {
  const counter = new IntakeCounter([['logs', 1000]]);
  assert.equal(counter.update([['logs', 1000]]), 0);
  assert.equal(counter.update([['logs', 1250]]), 250);
  // A source created later counts from zero; one dropped takes nothing back.
  assert.equal(
    counter.update([
      ['logs', 1300],
      ['kafka', 40],
    ]),
    340,
  );
  assert.equal(counter.update([['kafka', 45]]), 345);
  // A source dropped and created again under its name starts afresh.
  assert.equal(
    counter.update([
      ['kafka', 45],
      ['logs', 10],
    ]),
    355,
  );
});
