import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isoTimestamp } from '../../src/generator/record.ts';

test('isoTimestamp writes what Date.toISOString writes, across second, day and year boundaries', () => {
  const starts = [
    Date.UTC(2024, 0, 25, 12, 30, 45),
    Date.UTC(2023, 11, 31, 23, 59, 59),
    Date.UTC(2024, 1, 28, 23, 59, 58),
    0,
  ];
  for (const start of starts) {
    for (let ms = start - 1500; ms < start + 2500; ms += 7) {
      assert.equal(isoTimestamp(ms), new Date(ms).toISOString());
    }
  }
});
