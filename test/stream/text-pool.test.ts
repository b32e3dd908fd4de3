/**
 * A table's kept rows hold one string per distinct recent text (`TextPool`), not one per row:
 * the rows are unchanged, and an APPEND ONLY table of rows repeating a text built afresh for
 * each row grows by far less than the texts' size.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Engine } from '../../src/engine/engine.ts';
import { TextPool } from '../../src/stream/text-pool.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

test('texts are shared, not changed; long texts and other values are left as they are', () => {
  const pool = new TextPool(4, 8);
  const long = 'a long text past the pool';
  const rows = [
    ['one', 1, null, long],
    ['one', 2n, true, 'two'],
  ];
  const copies = structuredClone(rows);
  for (const row of rows) pool.shareTexts(row);
  assert.deepEqual(rows, copies);
  for (let i = 0; i < 10; i++) {
    const row = [`text ${i % 6}`];
    pool.shareTexts(row);
    assert.deepEqual(row, [`text ${i % 6}`], 'past its capacity the pool starts over');
  }
});

test('an APPEND ONLY table of rows that repeat a text holds it once, not once per row', async () => {
  const e = new Engine({ autoEpoch: false });
  await e.execute('CREATE TABLE t (n INT, agent TEXT) APPEND ONLY');
  const rows = 20_000;
  const agent = (i: number) =>
    `Mozilla/5.0 (X11; Linux x86_64; rv:${120 + (i % 3)}.0) Gecko/20100101 Firefox/${120 + (i % 3)}.0`.repeat(
      3,
    );
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let start = 0; start < rows; start += 1000) {
    // Built afresh for every row, as a row read from a client's statement is.
    e.insert(
      't',
      Array.from({ length: 1000 }, (_, k) => [start + k, agent(start + k)]),
    );
    e.flush();
  }
  gc();
  const perRow = (process.memoryUsage().heapUsed - before) / rows;
  const textBytes = agent(0).length + 16;
  assert.ok(perRow < textBytes, `${perRow.toFixed(0)} bytes a row, the text alone ${textBytes}`);
  const kept = e.rows('t');
  assert.equal(kept.length, rows);
  assert.deepEqual(kept[7], [7, agent(7)]);
  e.close();
});
