import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serialize } from 'node:v8';
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
