/**
 * The text input of dates and timestamps reads the common ISO form without regular
 * expressions (COPY FROM's hot path): it must give what the general reader gives, and leave
 * everything else to it. A leading blank sends a text to the general reader, which trims it.
 * Integers of up to 15 characters are read as numbers, longer ones as BigInt: both give the
 * same values and errors.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDateText, parseInteger, parseTimestampText } from '../../../src/engine/eval/functions/casts.ts';
import { SqlError } from '../../../src/sql/errors.ts';

function outcome(read: () => number | bigint): number | bigint | string {
  try {
    return read();
  } catch (e) {
    if (!(e instanceof SqlError)) throw e;
    return `${e.sqlstate} ${e.message.replace(/" ?/g, '"')}`;
  }
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

test('ISO timestamps and dates read as the general reader reads them', () => {
  const texts: string[] = [];
  let seed = 7;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let i = 0; i < 3000; i++) {
    const y = [1970, 1999, 2000, 2024, 2100, 9999, 1, 1969][random(8)] as number;
    const m = random(14);
    const d = random(33);
    const h = random(26);
    const mi = random(62);
    const s = random(62);
    const fraction = ['', '.', '.5', '.123', '.123456', '.1234567', '.0000005'][random(7)] as string;
    const zone = ['', '', 'Z', '+00', '+00:00', '+01', '-03:30', ' UTC'][random(8)] as string;
    const sep = [' ', 'T', 't', '  '][random(4)] as string;
    texts.push(
      `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}${sep}${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${fraction}${zone}`,
    );
    texts.push(`${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`);
  }
  texts.push('2024-02-29 00:00:00', '2023-02-29 00:00:00', '2024-01-25 24:00:00', 'x024-01-25 00:00:00');
  for (const text of texts)
    for (const zone of [false, true]) {
      assert.deepEqual(
        outcome(() => parseTimestampText(text, zone)),
        outcome(() => parseTimestampText(` ${text}`, zone)),
        `${text} (${zone ? 'timestamptz' : 'timestamp'})`,
      );
      assert.deepEqual(
        outcome(() => parseDateText(text)),
        outcome(() => parseDateText(` ${text}`)),
        text,
      );
    }
});

test('integers read as numbers up to 15 characters and as BigInt beyond give the same values and errors', () => {
  const cases: [string, 'int2' | 'int4' | 'int8', number | bigint | string][] = [
    ['-0', 'int4', 0],
    [' +42 ', 'int2', 42],
    ['32767', 'int2', 32767],
    ['-32769', 'int2', '22003 value "-32769"is out of range for type smallint'],
    ['2147483647', 'int4', 2147483647],
    ['2147483648', 'int4', '22003 value "2147483648"is out of range for type integer'],
    ['000000000000001', 'int4', 1],
    ['0000000000000001', 'int4', 1],
    ['999999999999999', 'int8', 999999999999999],
    ['-99999999999999', 'int8', -99999999999999],
    ['9007199254740991', 'int8', 9007199254740991],
    ['9007199254740993', 'int8', 9007199254740993n],
    ['-9223372036854775808', 'int8', -9223372036854775808n],
    ['9223372036854775808', 'int8', '22003 value "9223372036854775808"is out of range for type bigint'],
    ['1.5', 'int4', '22P02 invalid input syntax for type integer: "1.5"'],
  ];
  for (const [text, type, expected] of cases) {
    const got = outcome(() => parseInteger(text, type));
    assert.deepEqual(got, expected, `${type} ${text}`);
    if (typeof got === 'number') assert.ok(Object.is(got, got + 0), `${text}: not -0`);
  }
});
