/**
 * ENCODE JSON: one object per unit into a row of the source's columns, as RisingWave reads it —
 * names matched ignoring case, missing and null fields NULL, extra fields ignored, values typed
 * for their columns (integers exactly, timestamps from ISO text or epoch numbers told apart by
 * magnitude), and a clear reason naming the field for anything that does not fit.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decoderFor, decoderForFormat, type RecordDecoder } from '../../../src/connectors/formats/index.ts';
import {
  parseFloatText,
  parseInteger,
  parseTimestampText,
} from '../../../src/engine/eval/functions/casts.ts';
import { LOG_RECORD_COLUMNS, toJsonLine } from '../../../src/generator/record.ts';
import { TrafficGenerator } from '../../../src/generator/traffic.ts';
import { SqlError } from '../../../src/sql/errors.ts';
import { parseNumeric } from '../../../src/sql/numeric.ts';
import {
  arrayOf,
  bigintReplacer,
  lookupType,
  numericOf,
  type SqlType,
  T,
  type Value,
} from '../../../src/sql/types.ts';

const reference = LOG_RECORD_COLUMNS.map(([name, type]) => ({ name, type: lookupType(type) as SqlType }));

function json(columns: readonly [string, SqlType][], options: [string, string][] = []): RecordDecoder {
  return decoderFor(
    'JSON',
    new Map(options),
    columns.map(([name, type]) => ({ name, type })),
  );
}

function row(d: RecordDecoder, input: string | Uint8Array): readonly Value[] {
  const r = d.decode(input);
  assert.ok('row' in r, `expected a row, got ${'error' in r ? r.error : ''}`);
  return r.row;
}

function error(d: RecordDecoder, input: string | Uint8Array): string {
  const r = d.decode(input);
  assert.ok('error' in r, `expected an error, got ${JSON.stringify(r, bigintReplacer)}`);
  return r.error;
}

function sqlError(f: () => unknown, sqlstate: string, match: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof SqlError, String(e));
    assert.equal(e.sqlstate, sqlstate, e.message);
    assert.match(e.message, match);
    return true;
  });
}

const US = (iso: string) => Date.parse(iso) * 1000;

describe('ENCODE JSON', () => {
  test('the reference record, as the generator writes it, becomes a typed row', () => {
    const d = decoderFor('json', new Map(), reference);
    const g = new TrafficGenerator({ seed: 7, rate: 200, startMs: Date.parse('2024-01-25T12:30:45Z') });
    for (let i = 0; i < 500; i++) {
      const r = g.next();
      const expected = LOG_RECORD_COLUMNS.map(([name]) =>
        name === 'request_timestamp' ? r.request_timestamp * 1000 : r[name],
      );
      assert.deepEqual(row(d, toJsonLine(r)), expected);
      assert.deepEqual(row(d, Buffer.from(toJsonLine(r))), expected);
    }
  });

  test('names match ignoring case; an exact match wins, else the first that matches', () => {
    const d = json([
      ['status_code', T.int4],
      ['url', T.text],
      ['user_agent', T.text],
    ]);
    assert.deepEqual(
      row(d, '{"STATUS_CODE": 404, "Url": "/a", "url": "/b", "User_Agent": "x", "USER_AGENT": "y"}'),
      [404, '/b', 'x'],
    );
    // only ASCII letters fold: the Kelvin sign is not a k
    assert.deepEqual(row(json([['k', T.text]]), '{"\u212a": "kelvin"}'), [null]);
  });

  test('missing fields and JSON null are NULL; extra fields, nested or not, are ignored', () => {
    const d = json([
      ['a', T.int4],
      ['b', T.text],
      ['c', T.timestamp],
    ]);
    assert.deepEqual(row(d, '{}'), [null, null, null]);
    assert.deepEqual(row(d, '{"b": null, "x": {"y": [1, {"z": null}]}, "a": 1, "w": "ignored"}'), [
      1,
      null,
      null,
    ]);
  });

  test('names of Object.prototype are only the record’s own fields', () => {
    const d = json([
      ['constructor', T.text],
      ['__proto__', T.text],
    ]);
    assert.deepEqual(row(d, '{}'), [null, null]);
    assert.deepEqual(row(d, '{"constructor": "c", "__proto__": "p"}'), ['c', 'p']);
  });

  test('integers: exact over bigint’s range, range-checked, strings through the text input', () => {
    const d = json([
      ['s', T.int2],
      ['i', T.int4],
      ['b', T.int8],
    ]);
    assert.deepEqual(row(d, '{"s": -32768, "i": 2147483647, "b": 9007199254740993}'), [
      -32768,
      2147483647,
      9007199254740993n,
    ]);
    assert.deepEqual(row(d, '{"s": "12", "i": " 42 ", "b": "-9223372036854775808"}'), [
      12,
      42,
      -9223372036854775808n,
    ]);
    assert.deepEqual(row(d, '{"b": -0}'), [null, null, 0]);
    assert.match(error(d, '{"s": 32768}'), /^s: 32768 is out of range for type smallint$/);
    assert.match(error(d, '{"b": 9223372036854775808}'), /^b: .*out of range/);
    assert.match(error(d, '{"i": "4x"}'), /^i: invalid input syntax for type integer: "4x"$/);
    assert.match(error(d, '{"i": true}'), /^i: expected an integer, got true$/);
  });

  test('a number with a fraction is an error for an integer column, as in RisingWave', () => {
    const d = json([['response_time', T.int4]]);
    assert.equal(
      error(d, '{"response_time": 1.5}'),
      'response_time: expected an integer, got the number 1.5',
    );
    assert.match(
      error(d, '{"response_time": "1.5"}'),
      /^response_time: invalid input syntax for type integer/,
    );
  });

  test('floats and numerics: numbers, and strings through the text input', () => {
    const d = json([
      ['r', T.float4],
      ['f', T.float8],
      ['n', T.numeric],
      ['p', numericOf(5, 2)],
    ]);
    const [r, f, n, p] = row(d, '{"r": 0.1, "f": 1e300, "n": 0.1, "p": 1.005}');
    assert.equal(r, Math.fround(0.1));
    assert.equal(f, 1e300);
    assert.deepEqual(n, parseNumeric('0.1'));
    assert.deepEqual(p, parseNumeric('1.01'));
    assert.deepEqual(row(d, '{"f": "NaN", "n": "1.50"}').slice(1, 3), [Number.NaN, parseNumeric('1.50')]);
    // integers beyond a double's precision keep their digits
    assert.deepEqual(
      row(d, '{"n": 123456789012345678901234567890}')[2],
      parseNumeric('123456789012345678901234567890'),
    );
    assert.deepEqual(row(d, '{"n": "POSITIVE_INFINITY"}')[2], parseNumeric('Infinity'));
    assert.match(error(d, '{"r": 1e300}'), /^r: 1e\+300 is out of range for type real$/);
    assert.match(error(d, '{"f": 1e400}'), /^f: Infinity is out of range for type double precision$/);
    assert.match(error(d, '{"p": 12345}'), /^p: numeric field overflow/);
    assert.match(error(d, '{"n": [1]}'), /^n: expected a number, got an array$/);
  });

  test('text columns take strings, and numbers and booleans as their text; not objects', () => {
    const d = json([['t', T.varchar]]);
    assert.deepEqual(row(d, '{"t": 12345}'), ['12345']);
    assert.deepEqual(row(d, '{"t": 1.5e300}'), ['1.5e300']);
    assert.deepEqual(row(d, '{"t": false}'), ['false']);
    assert.deepEqual(row(d, '{"t": "caf\\u00e9 \\"x\\""}'), ['café "x"']);
    assert.equal(error(d, '{"t": {"a": 1}}'), 't: expected a string, got an object');
  });

  test('booleans are true and false only (RisingWave’s default is strict)', () => {
    const d = json([['ok', T.boolean]]);
    assert.deepEqual(row(d, '{"ok": true}'), [true]);
    assert.equal(error(d, '{"ok": "true"}'), 'ok: expected true or false, got the string "true"');
    assert.equal(error(d, '{"ok": 1}'), 'ok: expected true or false, got the number 1');
  });

  test('timestamps: ISO 8601 with or without a zone (a zone is converted to UTC)', () => {
    const d = json([
      ['ts', T.timestamp],
      ['tz', T.timestamptz],
    ]);
    const at = US('2024-01-25T12:30:45.678Z');
    assert.deepEqual(row(d, '{"ts": "2024-01-25T12:30:45.678Z", "tz": "2024-01-25T12:30:45.678Z"}'), [
      at,
      at,
    ]);
    assert.deepEqual(row(d, '{"ts": "2024-01-25T14:30:45.678+02:00", "tz": "2024-01-25 07:30:45.678-05"}'), [
      at,
      at,
    ]);
    assert.deepEqual(row(d, '{"ts": "2024-01-25 12:30:45.678", "tz": "2024-01-25T12:30:45.678"}'), [at, at]);
    assert.equal(
      error(d, '{"ts": "yesterday at noon"}'),
      'ts: expected an ISO 8601 timestamp, got the string "yesterday at noon"',
    );
    assert.match(error(d, '{"ts": "2024-02-30T00:00:00Z"}'), /^ts: date\/time field value out of range/);
  });

  test('epoch numbers: seconds below 1e11, milliseconds below 1e14, µs below 1e17, else ns', () => {
    const d = json([['ts', T.timestamp]]);
    const at = US('2024-01-25T12:30:45Z');
    assert.deepEqual(row(d, '{"ts": 1706185845}'), [at]);
    assert.deepEqual(row(d, '{"ts": 1706185845678}'), [at + 678_000]);
    assert.deepEqual(row(d, '{"ts": 1706185845678901}'), [at + 678_901]);
    assert.deepEqual(row(d, '{"ts": 1706185845678901234}'), [at + 678_901]);
    assert.deepEqual(row(d, '{"ts": -86400}'), [-86_400_000_000]);
    // 1e11 s would be the year 5138: from there a number is milliseconds
    assert.deepEqual(row(d, '{"ts": 99999999999}'), [99_999_999_999_000_000]);
    assert.deepEqual(row(d, '{"ts": 100000000000}'), [100_000_000_000_000]);
    assert.equal(
      error(d, '{"ts": 1706185845.5}'),
      'ts: expected an ISO 8601 timestamp or an integral epoch, got the number 1706185845.5',
    );
  });

  test('timestamptz.handling.mode decides a timestamptz column’s numbers, as in RisingWave', () => {
    const cols: [string, SqlType][] = [['tz', T.timestamptz]];
    const at = US('2024-01-25T12:30:45Z');
    assert.deepEqual(row(json(cols, [['timestamptz.handling.mode', 'milli']]), '{"tz": 1706185845000}'), [
      at,
    ]);
    assert.deepEqual(row(json(cols, [['timestamptz.handling.mode', 'micro']]), '{"tz": 1706185845000000}'), [
      at,
    ]);
    assert.match(
      error(json(cols, [['timestamptz.handling.mode', 'utc_string']]), '{"tz": 1706185845}'),
      /^tz: expected a timestamp string/,
    );
    assert.deepEqual(
      row(
        json(cols, [['timestamptz.handling.mode', 'utc_without_suffix']]),
        '{"tz": "2024-01-25 12:30:45+05:00"}',
      ),
      [at],
    );
  });

  test('dates, times, intervals, bytea, jsonb and arrays', () => {
    const d = json([
      ['d', T.date],
      ['t', T.time],
      ['i', T.interval],
      ['b', T.bytea],
      ['j', T.jsonb],
      ['a', arrayOf(T.int4)],
    ]);
    const [dd, tt, ii, bb, jj, aa] = row(
      d,
      '{"d": "2024-01-25", "t": "12:30:45", "i": "1 day 2 hours", "b": "\\\\x6869", "j": {"k": [1, "two", null]}, "a": [1, null, "3"]}',
    );
    assert.equal(dd, 19747);
    assert.equal(tt, (12 * 3600 + 30 * 60 + 45) * 1e6);
    assert.deepEqual(ii, { months: 0, days: 1, micros: 2 * 3600 * 1e6 });
    assert.deepEqual(bb, new Uint8Array([0x68, 0x69]));
    assert.deepEqual(jj, { k: [1, 'two', null] });
    assert.deepEqual(aa, [1, null, 3]);
    assert.deepEqual(row(d, '{"d": 19747, "t": 1000000}').slice(0, 2), [19747, 1_000_000]);
    // the slow path (a big number elsewhere) gives jsonb its numbers back as numbers
    const slow = json([
      ['j', T.jsonb],
      ['n', T.int8],
    ]);
    assert.deepEqual(row(slow, '{"j": {"x": 1.5}, "n": 9007199254740993}'), [{ x: 1.5 }, 9007199254740993n]);
    assert.equal(error(d, '{"a": [1, 2.5]}'), 'a: expected an integer, got the number 2.5');
  });

  test('a record read again for a big number converts its other values as before', () => {
    // A bigint beyond 2^53 sends the record down the slow path (numbers as written); every other
    // value must come out as the fast path gives it.
    const d = json([
      ['t', T.text],
      ['i', T.int4],
      ['n', T.numeric],
      ['f', T.float8],
      ['ts', T.timestamp],
      ['big', T.int8],
    ]);
    for (const v of ['1.0', '1e3', '1.50', '12345', '-0', '0.1', '1700000000', '2.5e-3']) {
      const fields = `"t": ${v}, "i": ${v}, "n": ${v}, "f": ${v}, "ts": ${v}`;
      const fast = d.decode(`{${fields}, "big": 1}`);
      const slow = d.decode(`{${fields}, "big": 9007199254740993}`);
      const strip = (r: typeof fast) =>
        'row' in r ? r.row.slice(0, 5) : r.error.replace(/^(\w+):.*/, '$1: error');
      assert.deepEqual(strip(slow), strip(fast), v);
    }
  });

  test('what is not one JSON object is an error with its reason', () => {
    const d = decoderFor('JSON', new Map(), reference);
    assert.equal(error(d, '[{"url": "/"}]'), 'expected a JSON object, got an array');
    assert.equal(error(d, '"url"'), 'expected a JSON object, got a string');
    assert.equal(error(d, 'null'), 'expected a JSON object, got null');
    assert.match(error(d, '{"url": "/"'), /^invalid JSON: /);
    assert.match(error(d, ''), /^invalid JSON: /);
    assert.match(error(d, '{"url": "/"} {"url": "/"}'), /^invalid JSON: /);
    assert.match(error(d, '{"url": "a\tb"}'), /^invalid JSON: /);
    assert.equal(
      error(d, new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d])),
      'invalid UTF-8 at byte 6',
    );
    assert.equal(error(d, new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d])), error(d, '\ufeff{}'));
    assert.match(error(d, '{"url": "\ud800"}'), /lone UTF-16 surrogate/);
    assert.match(error(d, Buffer.alloc(16 * 1024 * 1024 + 1, 0x20)), /longer than the limit/);
  });

  test('bytes and text give the same rows', () => {
    const d = json([
      ['u', T.text],
      ['n', T.int4],
    ]);
    const text = '{"u": "naïve — ✓ 🦀", "n": 7}';
    assert.deepEqual(row(d, Buffer.from(text)), row(d, text));
  });

  test('options: unknown and bad ones are 22023, JSON schemas 0A000, unknown encodes and formats 0A000', () => {
    sqlError(
      () => json([], [['timestamp.handling.mode', 'milli']]),
      '22023',
      /unknown ENCODE JSON option "timestamp.handling.mode"/,
    );
    sqlError(
      () => json([], [['timestamptz.handling.mode', 'nanos']]),
      '22023',
      /timestamptz.handling.mode value "nanos"/,
    );
    sqlError(() => json([], [['schema.registry', 'http://x']]), '0A000', /schema.registry/);
    sqlError(() => decoderFor('AVRO', new Map(), reference), '0A000', /ENCODE AVRO is not supported/);
    sqlError(
      () => decoderForFormat({ format: 'UPSERT', encode: 'JSON', options: new Map() }, reference),
      '0A000',
      /FORMAT UPSERT/,
    );
    assert.ok(decoderForFormat({ format: 'PLAIN', encode: 'JSON', options: new Map() }, reference));
  });
});

describe('JSON values agree with the engine’s text input functions', () => {
  test('integers, floats, numerics and timestamps', () => {
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const d = json([
      ['i', T.int8],
      ['f', T.float8],
      ['n', T.numeric],
      ['t', T.timestamptz],
    ]);
    for (let k = 0; k < 2000; k++) {
      const i = BigInt(Math.floor((rand() - 0.5) * 2 ** 53)) * BigInt(Math.floor(rand() * 2000) + 1);
      const f = (rand() - 0.5) * 10 ** Math.floor(rand() * 40 - 20);
      const n = `${Math.floor(rand() * 1e6)}.${String(Math.floor(rand() * 1e6)).padStart(6, '0')}`;
      const t = new Date(Math.floor(rand() * 4e12)).toISOString();
      const fText = JSON.stringify(f);
      const [gi, gf, gn, gt] = row(d, `{"i": ${i}, "f": ${fText}, "n": ${n}, "t": "${t}"}`);
      assert.deepEqual(gi, parseInteger(String(i), 'int8'));
      assert.equal(gf, parseFloatText(fText, false));
      assert.deepEqual(gn, parseNumeric(String(Number(n))));
      assert.equal(gt, parseTimestampText(t, true));
      assert.deepEqual(row(d, `{"n": "${n}"}`)[2], parseNumeric(n));
    }
  });
});
