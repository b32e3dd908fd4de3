/**
 * The pieces under the protocol, without sockets: framing across arbitrary chunk boundaries,
 * array literals, binary values a client might get wrong, command tags.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitArrayLiteral } from '../../../src/serve/pgwire/array-literal.ts';
import { decodeBinary, encodeBinary } from '../../../src/serve/pgwire/binary-values.ts';
import { completionTag, statusAfter, statusAfterError } from '../../../src/serve/pgwire/command-tag.ts';
import { type Frame, FrameReader } from '../../../src/serve/pgwire/frame-reader.ts';
import { parseText } from '../../../src/serve/pgwire/value-codec.ts';
import { SqlError } from '../../../src/sql/errors.ts';
import { arrayOf, T, type Value } from '../../../src/sql/types.ts';
import { formatValue } from '../../../src/sql/value-text.ts';
import { prng } from '../../helpers/random.ts';
import { int16, int32, message, query, startupMessage, sync } from './raw-client.ts';

function drain(reader: FrameReader): Frame[] {
  const out: Frame[] = [];
  for (let f = reader.next(); f !== undefined; f = reader.next()) out.push(f);
  return out;
}

test('frames come out whole whatever the chunking', () => {
  const big = Buffer.alloc(200_000, 7);
  const stream = Buffer.concat([query('SELECT 1'), message('d', big), sync(), message('H'), query('')]);
  const expected = [
    ['Q', 9],
    ['d', big.length],
    ['S', 0],
    ['H', 0],
    ['Q', 1],
  ];
  const random = prng(7);
  for (let round = 0; round < 50; round++) {
    const reader = new FrameReader(1 << 20);
    reader.expectTypedMessages();
    const frames: Frame[] = [];
    let at = 0;
    while (at < stream.length) {
      const n = round === 0 ? 1 : 1 + Math.floor(random() * 70_000);
      reader.push(stream.subarray(at, at + n));
      at += n;
      frames.push(...drain(reader));
    }
    assert.deepEqual(
      frames.map((f) => [String.fromCharCode(f.type), f.body.length]),
      expected,
    );
    assert.ok(frames[1]?.body.equals(big));
    assert.equal(reader.buffered, 0);
  }
});

test('the startup packet has no type byte, and the reader stops after it', () => {
  const reader = new FrameReader(1024);
  reader.push(Buffer.concat([startupMessage({ user: 'u' }), query('SELECT 1')]));
  const startup = reader.next();
  assert.equal(startup?.type, 0);
  assert.equal(startup?.body.readInt32BE(0), 196608);
  reader.expectTypedMessages();
  assert.equal(reader.next()?.type, 'Q'.charCodeAt(0));
});

test('bad lengths are refused as soon as the header arrives', () => {
  const reader = new FrameReader(100);
  reader.expectTypedMessages();
  reader.push(Buffer.concat([Buffer.from('Q'), int32(105)]));
  assert.throws(() => reader.next(), { sqlstate: '08P01' });
  const negative = new FrameReader(100);
  negative.expectTypedMessages();
  negative.push(Buffer.concat([Buffer.from('Q'), int32(-1)]));
  assert.throws(() => negative.next(), /invalid message length -1/);
});

test('array literals', () => {
  assert.deepEqual(splitArrayLiteral('{}'), []);
  assert.deepEqual(splitArrayLiteral(' { 1 , 2 } '), ['1', '2']);
  assert.deepEqual(splitArrayLiteral('{"a,b","c\\"d",e f,g\\,h}'), ['a,b', 'c"d', 'e f', 'g,h']);
  assert.deepEqual(splitArrayLiteral('{NULL,"NULL",null,""}'), [null, 'NULL', null, '']);
  assert.deepEqual(splitArrayLiteral('{{1,2},{3,4}}'), [
    ['1', '2'],
    ['3', '4'],
  ]);
  for (const bad of ['', '{', '{1,}', '1,2', '{"a}', '{a"b}', '{1} x', '{,}'])
    assert.equal(splitArrayLiteral(bad), undefined, bad);
  assert.deepEqual(parseText('{1,NULL,-3}', arrayOf(T.int4)), [1, null, -3]);
  assert.deepEqual(parseText('{{t},{f}}', arrayOf(arrayOf(T.boolean))), [[true], [false]]);
  assert.throws(() => parseText('{x}', arrayOf(T.int4)), {
    sqlstate: '22P02',
    message: 'invalid input syntax for type integer: "x"',
  });
  assert.throws(() => parseText('{{1}}', arrayOf(T.int4)), { sqlstate: '22P02' });
});

function numeric(ndigits: number, weight: number, sign: number, dscale: number, digits: number[]): Buffer {
  const b = Buffer.alloc(8 + 2 * digits.length);
  b.writeInt16BE(ndigits, 0);
  b.writeInt16BE(weight, 2);
  b.writeUInt16BE(sign, 4);
  b.writeInt16BE(dscale, 6);
  digits.forEach((d, i) => {
    b.writeInt16BE(d, 8 + 2 * i);
  });
  return b;
}

test('binary values a client got wrong are refused with the right SQLSTATE', () => {
  const fails = (bytes: Buffer, type: Parameters<typeof decodeBinary>[1], sqlstate: string): void => {
    assert.throws(
      () => decodeBinary(bytes, type),
      (e: unknown) => e instanceof SqlError && e.sqlstate === sqlstate,
      bytes.toString('hex'),
    );
  };
  fails(Buffer.from([0, 0, 1]), T.int4, '22P03');
  fails(Buffer.from([0, 0]), T.boolean, '22P03');
  fails(numeric(1, 0, 0x1234, 0, [1]), T.numeric, '22P03');
  fails(numeric(1, 0, 0, 0, [10_000]), T.numeric, '22P03');
  fails(numeric(3, 0, 0, 0, [1]), T.numeric, '22P03');
  fails(Buffer.from([2, 0x7b, 0x7d]), T.jsonb, '22P03');
  fails(Buffer.from([1, 0x7b]), T.jsonb, '22P02');
  fails(Buffer.from([0xc3, 0x28]), T.text, '22021');
  const header = (ndim: number, oid: number, ...dims: number[]): Buffer =>
    Buffer.concat([int32(ndim), int32(0), int32(oid), ...dims.flatMap((d) => [int32(d), int32(1)])]);
  fails(header(7, 23, 1, 1, 1, 1, 1, 1, 1), arrayOf(T.int4), '22P03');
  fails(header(1, 25, 1), arrayOf(T.int4), '42804');
  fails(header(2, 23, 50_000, 50_000), arrayOf(T.int4), '22P03');
  fails(Buffer.concat([header(1, 23, 1), int32(3), int16(1), Buffer.from([1])]), arrayOf(T.int4), '22P03');
  assert.deepEqual(decodeBinary(header(2, 23, 0x7fff_ffff, 0), arrayOf(T.int4)), []);
  const text = (v: unknown) => formatValue(v as Value, T.numeric);
  assert.equal(text(decodeBinary(numeric(2, 1, 0x4000, 2, [12, 3400]), T.numeric)), '-123400.00');
  assert.equal(text(decodeBinary(numeric(1, -2, 0, 8, [5]), T.numeric)), '0.00000005');
  // digits beyond the display scale are cut, as numeric_recv does
  assert.equal(text(decodeBinary(numeric(2, 0, 0, 2, [1, 2399]), T.numeric)), '1.23');
  assert.equal(text(decodeBinary(numeric(0, 0, 0xd000, 0, []), T.numeric)), 'Infinity');
  // int8 over its whole range
  assert.equal(
    decodeBinary(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), T.int8),
    9223372036854775807n,
  );
  assert.equal(decodeBinary(Buffer.from([0, 0x20, 0, 0, 0, 0, 0, 1]), T.int8), 9007199254740993n);
  assert.equal(decodeBinary(Buffer.from([0, 0, 0, 0, 0, 0, 0, 5]), T.int8), 5);
});

test('numeric and bigint binary values round trip with their digits and display scale', () => {
  for (const t of [
    '0',
    '0.00',
    '1.50',
    '-0.001',
    '12345.6789',
    '10000',
    '9007199254740993',
    '1e-30',
    '-123456789012345678901234567890.12',
    'NaN',
    'Infinity',
    '-Infinity',
  ]) {
    const v = parseText(t, T.numeric);
    assert.equal(
      formatValue(decodeBinary(Buffer.from(encodeBinary(v as never, T.numeric)), T.numeric), T.numeric),
      formatValue(v, T.numeric),
      t,
    );
  }
  for (const v of [0, -1, 9007199254740991, 9007199254740993n, -9223372036854775808n, 9223372036854775807n])
    assert.equal(decodeBinary(Buffer.from(encodeBinary(v, T.int8)), T.int8), v);
});

test('command tags and transaction status as PostgreSQL reports them', () => {
  assert.equal(completionTag({ tag: 'SELECT', rows: [[1], [2]] }), 'SELECT 2');
  assert.equal(completionTag({ tag: 'INSERT', rowCount: 3 }), 'INSERT 0 3');
  assert.equal(completionTag({ tag: 'DELETE', rowCount: 0 }), 'DELETE 0');
  assert.equal(completionTag({ tag: 'SHOW', rowCount: 4, rows: [] }), 'SHOW');
  assert.equal(completionTag({ tag: 'CREATE_MATERIALIZED_VIEW' }), 'CREATE_MATERIALIZED_VIEW');
  assert.equal(completionTag({ tag: 'SELECT', rows: [[1], [2], [3]] }, 1), 'SELECT 1');
  assert.equal(statusAfter('I', 'BEGIN'), 'T');
  assert.equal(statusAfter('T', 'SELECT'), 'T');
  assert.equal(statusAfterError('T'), 'E');
  assert.equal(statusAfterError('I'), 'I');
  assert.equal(statusAfter('E', 'BEGIN'), 'E');
  assert.equal(statusAfter('E', 'ROLLBACK'), 'I');
});
