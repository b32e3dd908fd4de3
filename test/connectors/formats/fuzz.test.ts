/**
 * Seeded fuzz of the record decoders: valid records cut short, with bytes flipped, spliced with
 * random bytes or quotes, random bytes alone, overlong lines. A decoder never throws; every unit
 * gives a row or an error, never both; a row has one value per column, each of its column's type.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { decoderFor, type RecordDecoder, type SourceColumn } from '../../../src/connectors/formats/index.ts';
import { LOG_RECORD_COLUMNS, toJsonLine } from '../../../src/generator/record.ts';
import { TrafficGenerator } from '../../../src/generator/traffic.ts';
import { INT8_MAX, INT8_MIN } from '../../../src/sql/int8.ts';
import { isNumericValue } from '../../../src/sql/numeric.ts';
import { arrayOf, lookupType, numericOf, type SqlType, T, type Value } from '../../../src/sql/types.ts';
import { prng } from '../../helpers/random.ts';

const UNITS = 12_000;

/** Whether `v` is a value of `type` as the engine represents it. */
function fits(v: Value, type: SqlType): boolean {
  if (v === null) return true;
  switch (type.name) {
    case 'text':
    case 'varchar':
      return typeof v === 'string';
    case 'int2':
      return Number.isInteger(v) && (v as number) >= -32768 && (v as number) <= 32767;
    case 'int4':
      return Number.isInteger(v) && (v as number) >= -(2 ** 31) && (v as number) < 2 ** 31;
    case 'int8':
      return (
        Number.isSafeInteger(v) ||
        (typeof v === 'bigint' && v >= INT8_MIN && v <= INT8_MAX && !Number.isSafeInteger(Number(v)))
      );
    case 'float4':
    case 'float8':
      return typeof v === 'number';
    case 'numeric':
      return isNumericValue(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'timestamp':
    case 'timestamptz':
    case 'date':
      return Number.isInteger(v);
    case 'time':
      return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 86_400_000_000;
    case 'jsonb':
      return v !== undefined;
    case 'array':
      return Array.isArray(v) && v.every((e: Value) => fits(e, type.element ?? T.text));
    default:
      return false;
  }
}

/** Decodes `input` and checks the outcome's shape; the outcome's kind. */
function check(
  d: RecordDecoder,
  columns: readonly SourceColumn[],
  input: string | Uint8Array,
): 'row' | 'error' {
  let r: ReturnType<RecordDecoder['decode']>;
  try {
    r = d.decode(input);
  } catch (e) {
    assert.fail(`decode threw ${String(e)} for ${JSON.stringify(String(input).slice(0, 200))}`);
  }
  const hasRow = 'row' in r;
  const hasError = 'error' in r;
  assert.ok(hasRow !== hasError, 'a row or an error, never both');
  if (!hasRow) {
    assert.equal(typeof (r as { error: unknown }).error, 'string');
    assert.ok((r as { error: string }).error.length > 0);
    return 'error';
  }
  const row = (r as { row: readonly Value[] }).row;
  assert.equal(row.length, columns.length);
  columns.forEach((c, i) => {
    const ok = fits(row[i] as Value, c.type);
    assert.ok(ok, `${c.name} ${c.type.name}: ${String(row[i])} from ${String(input).slice(0, 200)}`);
  });
  return 'row';
}

/** One malformed or mutated unit made from a valid one. */
function mutate(rand: () => number, valid: string, specials: string): string | Uint8Array {
  const pick = Math.floor(rand() * 9);
  const at = Math.floor(rand() * (valid.length + 1));
  const byte = () => Math.floor(rand() * 256);
  switch (pick) {
    case 0:
      return valid.slice(0, at);
    case 1: {
      const b = Buffer.from(valid);
      for (let k = 0, n = 1 + Math.floor(rand() * 3); k < n; k++) b[Math.floor(rand() * b.length)] = byte();
      return b;
    }
    case 2: {
      const noise = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 8) }, byte));
      return Buffer.concat([Buffer.from(valid.slice(0, at)), noise, Buffer.from(valid.slice(at))]);
    }
    case 3:
      return Buffer.from(Array.from({ length: Math.floor(rand() * 300) }, byte));
    case 4: {
      const c = specials[Math.floor(rand() * specials.length)] as string;
      return valid.slice(0, at) + c + valid.slice(at);
    }
    case 5: {
      const to = at + Math.floor(rand() * 20);
      return valid.slice(0, at) + valid.slice(to);
    }
    case 6:
      return valid + valid.slice(0, at);
    case 7: {
      // a character swapped for one a quick reader might stumble on
      const c = specials[Math.floor(rand() * specials.length)] as string;
      return valid.slice(0, at) + c + valid.slice(at + 1);
    }
    default:
      return valid;
  }
}

const reference = LOG_RECORD_COLUMNS.map(([name, type]) => ({ name, type: lookupType(type) as SqlType }));
const generator = new TrafficGenerator({ seed: 3, rate: 200, startMs: Date.parse('2024-01-25T00:00:00Z') });
const records = Array.from({ length: 200 }, () => generator.next());

describe('decoders never throw on malformed input', () => {
  test('ENCODE JSON', () => {
    const columns: SourceColumn[] = [
      ...reference,
      { name: 'big', type: T.int8 },
      { name: 'price', type: numericOf(8, 2) },
      { name: 'ok', type: T.boolean },
      { name: 'ratio', type: T.float4 },
      { name: 'day', type: T.date },
      { name: 'tags', type: arrayOf(T.int2) },
      { name: 'doc', type: T.jsonb },
      { name: 'at', type: T.timestamptz },
    ];
    const d = decoderFor('JSON', new Map(), columns);
    const rand = prng(1);
    const valid = records.map(
      (r, i) =>
        `${toJsonLine(r).slice(0, -1)},"big":${i * 7_919_000_000_000},"price":${i / 4},"ok":${i % 2 === 0},"ratio":1e${(i % 60) - 30},"day":"2024-01-${(i % 28) + 1}","tags":[${i},null,"${i % 5}"],"doc":{"n":[${i}]},"at":${1_706_000_000 + i}}`,
    );
    const outcomes = { row: 0, error: 0 };
    for (let k = 0; k < UNITS; k++) {
      const line = valid[k % valid.length] as string;
      outcomes[check(d, columns, mutate(rand, line, '{}[]":,\\0-.eE \t\n\u0000\ud800'))]++;
    }
    for (const line of valid) assert.equal(check(d, columns, line), 'row');
    assert.equal(check(d, columns, ' '.repeat(16 * 1024 * 1024 + 1)), 'error');
    assert.ok(outcomes.row > UNITS / 10 && outcomes.error > UNITS / 10, JSON.stringify(outcomes));
  });

  const FILE = '/work/shared/data/apache_logs';
  const real = existsSync(FILE)
    ? readFileSync(FILE, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (n: number) => String(n).padStart(2, '0');
  const clf = (ms: number) => {
    const d = new Date(ms);
    return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
  };
  /** Reference records as a combined log with `$request_time` appended (and X-Forwarded-For). */
  const synthetic = records.map(
    (r) =>
      `${r.ip_address} - ${r.username ?? '-'} [${clf(r.request_timestamp)}] "${r.http_method} ${r.url} HTTP/1.1" ${r.status_code} ${r.response_time * 3} "${r.referrer}" "${r.user_agent}" ${(r.response_time / 1000).toFixed(3)} "10.0.0.${r.status_code % 250}"`,
  );
  const formats: [string, string, readonly string[]][] = [
    ['combined', 'combined', real.length > 0 ? real : synthetic],
    [
      'nginx combined + $request_time + X-Forwarded-For',
      '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time "$http_x_forwarded_for"',
      synthetic,
    ],
    [
      'Apache with %D and times in pieces',
      '%h %l %u [%{%d/%b/%Y:%H:%M:%S}t %{%z}t] \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%{User-Agent}i\\" %D',
      synthetic.map((l) => l.replace(/ "10\.0\.0\.\d+"$/, '').replace(/ (\d+)\.(\d{3})$/, ' $1$2000')),
    ],
  ];
  for (const [name, format, lines] of formats) {
    test(`ENCODE ACCESS_LOG: ${name}`, () => {
      const columns: SourceColumn[] = [
        ...reference,
        { name: 'protocol', type: T.text },
        { name: 'body_bytes_sent', type: T.int8 },
        { name: 'request_time', type: T.numeric },
        { name: 'response_time', type: T.float8 },
        { name: 'request_timestamp', type: T.date },
      ];
      const d = decoderFor('ACCESS_LOG', new Map([['log_format', format]]), columns);
      for (const line of lines.slice(0, 500)) assert.equal(check(d, columns, line), 'row', line);
      const rand = prng(name.length);
      const outcomes = { row: 0, error: 0 };
      for (let k = 0; k < UNITS; k++) {
        const line = lines[Math.floor(rand() * lines.length)] as string;
        outcomes[check(d, columns, mutate(rand, line, '"\\[] -:/x\u0000\r'))]++;
      }
      const long = `${lines[0]}${' x'.repeat(600_000)}`;
      assert.equal(check(d, columns, long), 'error');
      assert.equal(check(d, columns, Buffer.from(long)), 'error');
      assert.ok(outcomes.row > UNITS / 10 && outcomes.error > UNITS / 10, JSON.stringify(outcomes));
    });
  }
});
