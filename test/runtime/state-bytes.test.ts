import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deserialize, serialize } from 'node:v8';
import { packOperatorStates, packState, unpackState } from '../../src/runtime/state-bytes.ts';

const state = {
  kind: 'aggregate',
  keys: Array.from({ length: 500 }, (_, i) => [
    `10.0.${i % 7}.1`,
    'Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101',
    i,
  ]),
  counts: Array.from({ length: 500 }, (_, i) => i),
};

test('a packed state reads back equal, and is smaller when its strings repeat', async () => {
  const plain = serialize(state);
  const packed = await packState(plain);
  assert.deepEqual(unpackState(packed), state);
  assert.ok(packed.length * 4 < plain.length, `${packed.length} bytes packed of ${plain.length}`);
});

test('a state written before packing (plain serialization) reads as it is', () => {
  assert.deepEqual(unpackState(serialize(state)), state);
  assert.deepEqual(unpackState(serialize(['x', 1])), ['x', 1]);
});

test('damaged bytes are an error, not a wrong state', async () => {
  const packed = await packState(serialize(state));
  assert.throws(() => unpackState(packed.subarray(0, packed.length - 9)));
  assert.throws(() => unpackState(Uint8Array.of(0x78, 1, 2, 3)));
});

test('every record of an operator-state write is packed, the rest kept', async () => {
  const write = {
    reset: true,
    records: [
      { operator: 3, whole: true, bytes: serialize(state) },
      { operator: 9, whole: false, bytes: serialize({ removed: [] }) },
    ],
  };
  const packed = await packOperatorStates(write);
  assert.equal(packed.reset, true);
  assert.deepEqual(
    packed.records.map((r) => [r.operator, r.whole, unpackState(r.bytes)]),
    [
      [3, true, state],
      [9, false, { removed: [] }],
    ],
  );
});

test('a state of megabytes is packed in one task of the thread pool, not one a turn of a busy event loop', async () => {
  const big = serialize({
    kind: 'aggregate',
    keys: Array.from({ length: 60_000 }, (_, i) => [
      `10.${i % 251}.${i % 13}.${i % 7}`,
      `/products/${i}`,
      i * 7919,
    ]),
  });
  assert.ok(big.length > 2_000_000, `${big.length} bytes`);
  // Deflating it takes this long with the event loop free...
  const started = performance.now();
  await packState(big);
  const deflateMs = performance.now() - started;
  // ...and here the event loop is kept as the engine's thread keeps it: every turn busy for 20 ms.
  let turns = 0;
  let busy = true;
  const spin = () => {
    if (!busy) return;
    turns++;
    const until = performance.now() + 20;
    while (performance.now() < until);
    setImmediate(spin);
  };
  setImmediate(spin);
  const packed = await packState(big);
  busy = false;
  assert.ok(packed.length > 64 * 1024, `${packed.length} bytes packed: more than a few zlib chunks`);
  const bound = Math.ceil(deflateMs / 20) + 4;
  assert.ok(
    turns <= bound,
    `${turns} turns of the event loop before the state was packed (${deflateMs.toFixed(0)} ms to deflate)`,
  );
  assert.deepEqual(unpackState(packed), deserialize(big));
});
