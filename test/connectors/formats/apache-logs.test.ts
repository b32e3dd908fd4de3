/**
 * The real Apache log of the shared data (10,000 combined lines of a public site, May 2015) read
 * with ENCODE ACCESS_LOG (log_format = 'combined'): no line is an error, and requests per minute,
 * per status code and the ten busiest IPs equal what a plain split of the lines gives.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decoderFor } from '../../../src/connectors/formats/index.ts';
import { LOG_RECORD_COLUMNS } from '../../../src/generator/record.ts';
import { lookupType, type SqlType, type Value } from '../../../src/sql/types.ts';

const FILE = '/work/shared/data/apache_logs';
const absent = existsSync(FILE) ? false : `${FILE} is absent: the real-log check needs the shared data`;
if (absent) console.log(`skipping: ${absent}`);

const columns = LOG_RECORD_COLUMNS.map(([name, type]) => ({ name, type: lookupType(type) as SqlType }));
const at = (name: string) => columns.findIndex((c) => c.name === name);

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The line's minute as ms since 1970, from `[17/May/2015:10:05:03 +0000]` taken apart by hand. */
function minuteOf(line: string): number {
  const time = line.slice(line.indexOf('[') + 1, line.indexOf(']'));
  const [date, hour, minute] = time.split(':') as [string, string, string];
  const [day, month, year] = date.split('/') as [string, string, string];
  const zone = time.split(' ')[1] as string;
  const offset = (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5)));
  return (
    Date.UTC(Number(year), MONTHS.indexOf(month), Number(day), Number(hour), Number(minute)) - offset * 60_000
  );
}

function count<K>(keys: Iterable<K>): Map<K, number> {
  const m = new Map<K, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

function top(counts: Map<string, number>, n: number): [string, number][] {
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n);
}

test('apache_logs: every line a row; per-minute, per-status and top-IP counts as a plain split gives', {
  skip: absent,
}, () => {
  const text = readFileSync(FILE, 'utf8');
  const lines = text.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 10_000);
  const decoder = decoderFor('ACCESS_LOG', new Map([['log_format', 'combined']]), columns);
  const rows: (readonly Value[])[] = [];
  const errors: string[] = [];
  for (const line of lines) {
    const d = decoder.decode(line);
    if ('row' in d) rows.push(d.row);
    else errors.push(`${d.error}: ${line}`);
  }
  assert.deepEqual(errors, []);

  // the same bytes give the same rows
  const bytes = readFileSync(FILE);
  let k = 0;
  for (let from = 0; from < bytes.length; ) {
    const end = bytes.indexOf(10, from);
    const d = decoder.decode(bytes.subarray(from, end < 0 ? bytes.length : end));
    assert.ok('row' in d);
    assert.deepEqual(d.row, rows[k++]);
    from = end < 0 ? bytes.length : end + 1;
  }

  const ts = at('request_timestamp');
  const minutes = count(rows.map((r) => Math.floor((r[ts] as number) / 60_000_000) * 60_000));
  assert.deepEqual(minutes, count(lines.map(minuteOf)));

  const status = at('status_code');
  const statuses = count(rows.map((r) => r[status] as number));
  assert.deepEqual(
    statuses,
    count(lines.map((l) => Number((l.split('"')[2] as string).trim().split(' ')[0]))),
  );
  assert.equal(statuses.get(200), 9126);
  assert.equal(statuses.get(304), 445);

  const ip = at('ip_address');
  assert.deepEqual(
    top(count(rows.map((r) => r[ip] as string)), 10),
    top(count(lines.map((l) => l.slice(0, l.indexOf(' ')))), 10),
  );

  // every request line of this log is a well-formed one
  const method = at('http_method');
  assert.equal(rows.filter((r) => r[method] === null).length, 0);
});
