/**
 * COPY FROM's text and CSV decoding (copy-decode.ts), the expected answers as PostgreSQL 15
 * gives them: escapes, NULL strings, quoting, line ends, the end-of-data marker, headers,
 * line numbers and errors; and the same answer whatever the chunks the data comes in, cut at
 * every position (inside UTF-8 characters, escapes, CRLF and `\.` included).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CopyTextDecoder,
  type CopyTextLayout,
  invalidUtf8At,
  limitPrintout,
} from '../../src/serve/copy-decode.ts';
import { SqlError } from '../../src/sql/errors.ts';

const TEXT: CopyTextLayout = {
  csv: false,
  delimiter: '\t',
  null: '\\N',
  quote: '',
  escape: '',
  header: false,
};
const CSV: CopyTextLayout = { csv: true, delimiter: ',', null: '', quote: '"', escape: '"', header: false };

type Fields = (string | null)[];

interface Decoded {
  readonly lines: Fields[];
  /** The line number each line was read at. */
  readonly at: number[];
  readonly header?: Fields;
  readonly error?: { code: string; message: string; hint?: string; context: string | undefined };
}

/** Decodes `chunks` (strings are UTF-8; Buffers as they are) and says what came out. */
function decode(layout: CopyTextLayout, ...chunks: (string | Buffer)[]): Decoded {
  const lines: Fields[] = [];
  const at: number[] = [];
  let header: Fields | undefined;
  const decoder: CopyTextDecoder = new CopyTextDecoder(
    layout,
    {
      line(fields, count, position) {
        lines.push(fields.slice(0, count));
        at.push(position.lineNumber);
      },
      header(fields, count) {
        header = fields.slice(0, count);
      },
    },
    't',
  );
  try {
    for (const c of chunks) decoder.write(typeof c === 'string' ? Buffer.from(c, 'utf8') : c);
    decoder.end();
  } catch (e) {
    if (!(e instanceof SqlError)) throw e;
    const error = { code: e.sqlstate, message: e.message, context: e.where };
    return { lines, at, header, error: e.hint === undefined ? error : { ...error, hint: e.hint } };
  }
  return header === undefined ? { lines, at } : { lines, at, header };
}

/** The data cut in two at every byte, and byte by byte: the answer must not change. */
function everyCut(layout: CopyTextLayout, data: string | Buffer): Decoded {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const whole = decode(layout, bytes);
  for (let k = 0; k <= bytes.length; k++)
    assert.deepEqual(decode(layout, bytes.subarray(0, k), bytes.subarray(k)), whole, `cut at ${k}`);
  const single = [...bytes].map((b) => Buffer.from([b]));
  assert.deepEqual(decode(layout, ...single), whole, 'byte by byte');
  return whole;
}

test('text format: fields, \\N, and every escape', () => {
  assert.deepEqual(everyCut(TEXT, 'a\tb\\tc\t\\N\n1\t\t\\N\n').lines, [
    ['a', 'b\tc', null],
    ['1', '', null],
  ]);
  assert.deepEqual(everyCut(TEXT, '\\b\\f\\n\\r\\t\\v\\\\|\\q\\\\.x\\\tz\n').lines, [
    ['\b\f\n\r\t\v\\|q\\.x\tz'],
  ]);
  // Octal takes up to three digits; hex up to two; `\x` without a digit is an x.
  assert.deepEqual(everyCut(TEXT, '\\101\\0601\\7\\x41\\x4g\\xg\\x\n').lines, [['A01\x07A\x04gxgx']]);
  // Escaped bytes make UTF-8 with the text around them.
  assert.deepEqual(everyCut(TEXT, 'caf\\xc3\\xa9 \\303\\251t\\xc3\\xa9 ✓\n').lines, [['café ét\u00e9 ✓']]);
  // `\N` is NULL only as a whole field; escaped it is the text N.
  assert.deepEqual(everyCut(TEXT, '\\N\tx\\N\t\\\\N\t\\N\n').lines, [[null, 'xN', '\\N', null]]);
  // A backslash before a line end continues the line; one ending the data is dropped.
  assert.deepEqual(everyCut(TEXT, 'a\\\nb\tc\\').lines, [['a\nb', 'c']]);
  // …but a CR escaped that way is data, and the LF after it ends the line.
  assert.deepEqual(everyCut(TEXT, 'a\\\r\nb\n').lines, [['a\r'], ['b']]);
  // An escaped delimiter is data.
  assert.deepEqual(everyCut(TEXT, 'a\\\tb\tc\n').lines, [['a\tb', 'c']]);
  // Astral characters, escaped or not.
  assert.deepEqual(everyCut(TEXT, '😀\\😀\t\\N\n').lines, [['😀😀', null]]);
});

test('text format: other delimiters and NULL strings', () => {
  const pipe = { ...TEXT, delimiter: '|', null: '' };
  assert.deepEqual(everyCut(pipe, 'a||\\|b|\n').lines, [['a', null, '|b', null]]);
  const word = { ...TEXT, null: 'NULL' };
  assert.deepEqual(everyCut(word, 'NULL\tNULLx\t\\NULL\n').lines, [[null, 'NULLx', 'NULL']]);
  // The raw text is compared before escapes are decoded.
  const escapedNull = { ...TEXT, null: '\\x41' };
  assert.deepEqual(everyCut(escapedNull, '\\x41\tA\t\\x42\n').lines, [[null, 'A', 'B']]);
});

test('line ends: LF, CR, CRLF, decided by the first line', () => {
  assert.deepEqual(everyCut(TEXT, 'a\r\nb\r\n\r\nc').lines, [['a'], ['b'], [''], ['c']]);
  assert.deepEqual(everyCut(TEXT, 'a\rb\r').lines, [['a'], ['b']]);
  assert.deepEqual(everyCut(TEXT, '\n\n').lines, [[''], ['']]);
  const lf = everyCut(TEXT, 'a\nb\r\n');
  assert.deepEqual(lf.lines, [['a']]);
  assert.deepEqual(lf.error, {
    code: '22P04',
    message: 'literal carriage return found in data',
    hint: 'Use "\\r" to represent carriage return.',
    context: 'COPY t, line 2',
  });
  assert.deepEqual(everyCut(TEXT, 'a\r\nb\nc\n').error, {
    code: '22P04',
    message: 'literal newline found in data',
    hint: 'Use "\\n" to represent newline.',
    context: 'COPY t, line 2',
  });
  assert.deepEqual(everyCut(CSV, 'a\r\nb\r\n\\.\n').error, {
    code: '22P04',
    message: 'unquoted newline found in data',
    hint: 'Use quoted CSV field to represent newline.',
    context: 'COPY t, line 3',
  });
  assert.deepEqual(everyCut(CSV, 'a\nb\rc\n').error?.message, 'unquoted carriage return found in data');
});

test('the end-of-data marker \\.', () => {
  assert.deepEqual(everyCut(TEXT, 'a\n\\.\nignored\n\\x').lines, [['a']]);
  assert.deepEqual(everyCut(TEXT, 'a\r\n\\.\r\nignored').lines, [['a']]);
  assert.deepEqual(everyCut(TEXT, '\\.\n').lines, []);
  // In text format `\.` ends the data wherever it is; what is before it is the last line.
  assert.deepEqual(everyCut(TEXT, 'a\tb\\.\nc\n').lines, [['a', 'b']]);
  const corrupt = { code: '22P04', message: 'end-of-copy marker corrupt', context: 'COPY t, line 2' };
  assert.deepEqual(everyCut(TEXT, 'a\n\\.').error, corrupt);
  assert.deepEqual(everyCut(TEXT, 'a\n\\.x\n').error, corrupt);
  assert.deepEqual(everyCut(TEXT, 'a\r\n\\.\n').error, {
    code: '22P04',
    message: 'end-of-copy marker does not match previous newline style',
    context: 'COPY t, line 2',
  });
  // CSV: only alone on a line; otherwise it is data.
  assert.deepEqual(everyCut(CSV, 'a\n\\.\nb\n').lines, [['a']]);
  assert.deepEqual(everyCut(CSV, '\\.x,y\na\\.\n\\.').lines, [['\\.x', 'y'], ['a\\.'], ['\\.']]);
});

test('CSV: quotes, doubled quotes, ESCAPE, line ends in quotes, NULL as unquoted empty', () => {
  assert.deepEqual(everyCut(CSV, '1,,"",x\n"a,b","x""y",a"b"c, q \n').lines, [
    ['1', null, '', 'x'],
    ['a,b', 'x"y', 'abc', ' q '],
  ]);
  const multi = everyCut(CSV, '1,"a\nb",2\n3,"c\r\nd\ne",x\n');
  assert.deepEqual(multi.lines, [
    ['1', 'a\nb', '2'],
    ['3', 'c\r\nd\ne', 'x'],
  ]);
  // PostgreSQL counts line ends inside quotes once the first line end is known.
  assert.deepEqual(multi.at, [1, 4]);
  const escaping = { ...CSV, escape: '\\' };
  assert.deepEqual(everyCut(escaping, '"a\\"b","c\\\\d\\e",\\\n').lines, [['a"b', 'c\\d\\e', '\\']]);
  // Outside quotes an escape is data, and a quote after it opens a quoted part.
  assert.deepEqual(everyCut(escaping, '"a\\"b",\\"\n').error, {
    code: '22P04',
    message: 'unterminated CSV quoted field',
    context: 'COPY t, line 1: ""a\\"b",\\"\n"',
  });
  const single = { ...CSV, quote: "'", null: 'N' };
  assert.deepEqual(everyCut(single, "'a,b',\"c\",N,'N'\n").lines, [['a,b', '"c"', null, 'N']]);
  assert.deepEqual(everyCut(CSV, '"a\r\nb",c\r\n').lines, [['a\r\nb', 'c']]);
  const unterminated = everyCut(CSV, 'x\n1,"abc\n');
  assert.deepEqual(unterminated.error, {
    code: '22P04',
    message: 'unterminated CSV quoted field',
    // The line end inside the quotes counts: line 3.
    context: 'COPY t, line 3: "1,"abc\n"',
  });
});

test('headers: skipped, or handed over to be matched; line numbers count them', () => {
  const skipped = everyCut({ ...CSV, header: true }, 'a,b\n1,2\n3,4');
  assert.deepEqual(skipped.lines, [
    ['1', '2'],
    ['3', '4'],
  ]);
  assert.deepEqual(skipped.at, [2, 3]);
  assert.deepEqual(everyCut({ ...TEXT, header: true }, '\\xff\n1\n').lines, [['1']]);
  const matched = everyCut({ ...TEXT, header: 'match' }, 'a\t\\N\n1\t2\n');
  assert.deepEqual(matched.header, ['a', null]);
  assert.deepEqual(matched.lines, [['1', '2']]);
  // Even no data has a header line to match.
  assert.deepEqual(decode({ ...CSV, header: 'match' }).header, [null]);
  assert.deepEqual(decode({ ...CSV, header: true }).lines, []);
});

test('UTF-8: invalid bytes and NUL are refused on the line they are on', () => {
  const raw = everyCut(TEXT, Buffer.from([0x61, 0x0a, 0x62, 0xff, 0x0a]));
  assert.deepEqual(raw.lines, [['a']]);
  assert.deepEqual(raw.error, {
    code: '22021',
    message: 'invalid byte sequence for encoding "UTF8": 0xff',
    context: 'COPY t, line 2',
  });
  assert.deepEqual(
    everyCut(TEXT, Buffer.from([0x61, 0x0a, 0xc3, 0x0a])).error?.message,
    'invalid byte sequence for encoding "UTF8": 0xc3 0x0a',
  );
  assert.deepEqual(
    everyCut(TEXT, Buffer.from([0x61, 0x0a, 0x00])).error?.message,
    'invalid byte sequence for encoding "UTF8": 0x00',
  );
  // A character cut off by the end of the data.
  assert.deepEqual(everyCut(TEXT, Buffer.from([0x61, 0x0a, 0x62, 0xe2, 0x9c])).error, {
    code: '22021',
    message: 'invalid byte sequence for encoding "UTF8": 0xe2 0x9c',
    context: 'COPY t, line 2',
  });
  // Escapes that make invalid bytes: the line is shown.
  assert.deepEqual(everyCut(TEXT, '1\t\\xff\t2\n').error, {
    code: '22021',
    message: 'invalid byte sequence for encoding "UTF8": 0xff',
    context: 'COPY t, line 1: "1\t\\xff\t2"',
  });
  assert.equal(everyCut(TEXT, 'x\\0y\n').error?.message, 'invalid byte sequence for encoding "UTF8": 0x00');
  // Bad bytes after the end-of-data marker are never read.
  assert.deepEqual(everyCut(TEXT, Buffer.from('a\n\\.\n\xff', 'latin1')).lines, [['a']]);
  assert.equal(invalidUtf8At(Buffer.from('héllo ✓ 😀')), -1);
  assert.equal(invalidUtf8At(Buffer.from([0xed, 0xa0, 0x80])), 0, 'a surrogate');
  assert.equal(invalidUtf8At(Buffer.from([0x41, 0xc0, 0x80])), 1, 'an overlong NUL');
  assert.equal(invalidUtf8At(Buffer.from([0xf4, 0x90, 0x80, 0x80])), 0, 'beyond U+10FFFF');
});

test('context lines are cut at 100 bytes, at a character', () => {
  assert.equal(limitPrintout('x'.repeat(100)), 'x'.repeat(100));
  assert.equal(limitPrintout('x'.repeat(101)), `${'x'.repeat(100)}...`);
  assert.equal(limitPrintout(`${'x'.repeat(99)}é`), `${'x'.repeat(99)}...`);
  assert.equal(limitPrintout('é'.repeat(50)), 'é'.repeat(50));
  assert.equal(limitPrintout('😀'.repeat(26)), `${'😀'.repeat(25)}...`);
});

test('long lines and long quoted fields across many chunks', () => {
  const long = 'y'.repeat(100_000);
  const data = `a\t${long}\n"${long}\n${long}"\n`;
  const chunks = [];
  for (let k = 0; k < data.length; k += 777) chunks.push(data.slice(k, k + 777));
  assert.deepEqual(decode(TEXT, ...chunks).lines, [['a', long], [`"${long}`], [`${long}"`]]);
  assert.deepEqual(decode(CSV, ...chunks).lines, [[`a\t${long}`], [`${long}\n${long}`]]);
});
