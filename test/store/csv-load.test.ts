/**
 * Epochs of thousands of rows reach an append-only table and a source's raw events through a
 * CSV file DuckDB reads (csv-load.ts), smaller ones through the appender: both paths must store
 * the same values, the awkward ones included (quotes, commas, newlines, NUL, `\N`, the empty
 * string beside NULL, -0, NaN, the infinities, bigints beyond 2^53, dates before 1970), and a
 * row too long for DuckDB's CSV reader must still be stored.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseNumeric } from '../../src/sql/numeric.ts';
import { T } from '../../src/sql/types.ts';
import { CSV_LOAD_MIN_ROWS, CsvFileWriter, csvLoadable, writeCsvFile } from '../../src/store/csv-load.ts';
import { ViewStore } from '../../src/store/view-store.ts';
import { compareRows, type Row, rowIdentity } from '../../src/stream/value.ts';
import { tempDir } from './helpers.ts';

const COLUMNS = [
  { name: 'seq', type: T.int4 },
  { name: 'b', type: T.boolean },
  { name: 'i2', type: T.int2 },
  { name: 'i8', type: T.int8 },
  { name: 'num', type: T.numeric },
  { name: 'f4', type: T.float4 },
  { name: 'f8', type: T.float8 },
  { name: 'vc', type: T.varchar },
  { name: 'tx', type: T.text },
  { name: 'ts', type: T.timestamp },
  { name: 'tz', type: T.timestamptz },
  { name: 'd', type: T.date },
  { name: 'js', type: T.jsonb },
];

const AWKWARD: Omit<Row, 0>[] = [
  [
    true,
    -32768,
    9223372036854775807n,
    parseNumeric('12345678901234567890.123456789012345678901234567890'),
    0.5,
    -0,
    'it\'s "quoted", with a comma; DROP TABLE x; --',
    'ünïcødé 🌊 \u0000 NUL,\nnewline\r\n\ttab',
    -1_234_567_890_123,
    1_706_184_000_123_456,
    -719_162,
    { a: [1, 'two "2"', null], b: { c: true } },
  ],
  [
    false,
    0,
    -9007199254740993n,
    parseNumeric('0.00'),
    Number.POSITIVE_INFINITY,
    Number.NaN,
    '',
    '\\N',
    0,
    -1,
    0,
    'just a string',
  ],
  [
    null,
    1,
    Number.MAX_SAFE_INTEGER,
    parseNumeric('-Infinity'),
    Number.NEGATIVE_INFINITY,
    1e-300,
    'NULL',
    '"',
    9_007_199_254_740_991,
    null,
    2_932_896,
    null,
  ],
  COLUMNS.slice(1).map(() => null),
];

/** `n` rows cycling through the awkward ones, numbered from `first`. */
function rowsOf(n: number, first = 0): Row[] {
  return Array.from({ length: n }, (_, i) => [first + i, ...(AWKWARD[i % AWKWARD.length] as Row)]);
}

const logTable = (name: string) => ({ name, columns: COLUMNS, key: undefined, appendOnly: true });

test('the column types a CSV load takes', () => {
  assert.equal(csvLoadable(COLUMNS.map((c) => c.type)), true);
  for (const t of [T.time, T.interval, T.bytea]) assert.equal(csvLoadable([T.int4, t]), false, t.name);
});

test('an append-only table stores the same values through a CSV load as through the appender', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'csv.duckdb');
  const store = await ViewStore.open(file);
  t.after(() => store.close());
  const big = rowsOf(CSV_LOAD_MIN_ROWS + 500);
  const weights = big.map((_, i) => (i % 7 === 0 ? 2 : 1));
  const small = rowsOf(100);
  await store.commit(
    1,
    new Map([
      ['loaded', { rows: big, weights }],
      ['appended', { rows: small, weights: small.map(() => 1) }],
    ]),
    undefined,
    undefined,
    { views: [logTable('loaded'), logTable('appended')], sources: [] },
  );
  assert.equal(store.csvLoads, 1, 'the big epoch was loaded from CSV, the small one appended');
  const expected = big.flatMap((row, i) => ((weights[i] as number) === 2 ? [row, row] : [row]));
  expected.sort(compareRows);
  assert.deepEqual(await store.rows('loaded'), expected);
  // The appender's values for the same rows: the two paths agree value for value.
  const loaded = await store.rows('loaded');
  const appended = await store.rows('appended');
  for (const row of appended) {
    const same = loaded.find((r) => r[0] === row[0]);
    assert.deepEqual(same, row, `row ${String(row[0])}`);
  }
  assert.deepEqual(readdirSync(`${file}.load`), [], 'no load file stays behind');
  await store.close();
  assert.equal(existsSync(`${file}.load`), false);
});

test('a file written a few rows at a time is the file written whole, but for the rows too long for DuckDB', async (t) => {
  const dir = tempDir(t);
  const rows = rowsOf(40);
  const long = [...(rows[5] as Row)];
  long[7] = 'x'.repeat(700_000);
  await writeCsvFile(join(dir, 'whole.csv'), rows, COLUMNS, 7);
  const writer = new CsvFileWriter(join(dir, 'parts.csv'), COLUMNS);
  for (const [i, row] of rows.entries()) {
    assert.equal(writer.add(row), true);
    if (i === 20) assert.equal(writer.add(long), false, 'refused, and nothing of it written');
  }
  assert.equal(writer.rows, rows.length);
  writer.finish();
  assert.equal(readFileSync(join(dir, 'parts.csv'), 'utf8'), readFileSync(join(dir, 'whole.csv'), 'utf8'));
  const dropped = new CsvFileWriter(join(dir, 'dropped.csv'), COLUMNS);
  dropped.add(rows[0] as Row);
  dropped.discard();
  assert.deepEqual(readdirSync(dir).sort(), ['parts.csv', 'whole.csv']);
});

test('a row longer than DuckDB reads from CSV sends the epoch through the appender', async (t) => {
  const store = await ViewStore.open(join(tempDir(t), 'long.duckdb'));
  t.after(() => store.close());
  const rows = rowsOf(CSV_LOAD_MIN_ROWS);
  const long = [...(rows[5] as Row)];
  long[7] = `"${'x'.repeat(2_500_000)}",\n`;
  rows[5] = long;
  await store.commit(1, new Map([['loaded', { rows, weights: rows.map(() => 1) }]]), undefined, undefined, {
    views: [logTable('loaded')],
    sources: [],
  });
  assert.equal(store.csvLoads, 0);
  const got = await store.rows('loaded');
  assert.equal(got.length, rows.length);
  assert.deepEqual(
    got.find((r) => r[0] === 5),
    long,
  );
});

test("a source's raw events store the same values through a CSV load as through the appender", async (t) => {
  const store = await ViewStore.open(join(tempDir(t), 'raw.duckdb'));
  t.after(() => store.close());
  await store.defineSource('loaded', COLUMNS);
  await store.defineSource('appended', COLUMNS);
  const big = rowsOf(CSV_LOAD_MIN_ROWS + 10);
  await store.commit(
    1,
    new Map(),
    undefined,
    new Map([
      ['loaded', [big]],
      ['appended', [big.slice(0, 1000)]],
    ]),
  );
  await store.commit(2, new Map(), undefined, new Map([['appended', [big.slice(1000)]]]));
  assert.equal(store.csvLoads, 1);
  const conn = await store.connectReader();
  t.after(() => conn.closeSync());
  const read = async (source: string) =>
    (
      await conn.runAndReadAll(
        `SELECT * EXCLUDE (__tw_epoch), CAST(f4 AS VARCHAR), CAST(f8 AS VARCHAR) FROM ${source} ORDER BY seq`,
      )
    ).getRowsJson();
  const loaded = await read('loaded');
  assert.equal(loaded.length, big.length);
  assert.deepEqual(loaded, await read('appended'));
  assert.deepEqual((await conn.runAndReadAll('SELECT DISTINCT __tw_epoch FROM loaded')).getRows(), [[1n]]);
});

test("a view's changes are staged from CSV as from the appender: insertions, retractions, counts known or looked up", async (t) => {
  const dir = tempDir(t);
  const view = { name: 'v', columns: COLUMNS, key: undefined, appendOnly: false };
  const staged = await ViewStore.open(join(dir, 'staged.duckdb'));
  const appended = await ViewStore.open(join(dir, 'appended.duckdb'), {
    csvLoadMinRows: Number.MAX_SAFE_INTEGER,
  });
  t.after(async () => {
    await staged.close();
    await appended.close();
  });
  const first = rowsOf(3 * CSV_LOAD_MIN_ROWS);
  const next = rowsOf(CSV_LOAD_MIN_ROWS, 100_000);
  // Epoch 2 takes back every third row (one copy of those inserted twice), inserts new rows and
  // a second copy of some; epoch 3 says the counts each row had before, as the engine does.
  const epochs = [
    { rows: first, weights: first.map((_, i) => (i % 5 === 0 ? 2 : 1)) },
    {
      rows: [...first.filter((_, i) => i % 3 === 0), ...next, ...first.slice(0, 50)],
      weights: [
        ...first.filter((_, i) => i % 3 === 0).map(() => -1),
        ...next.map(() => 1),
        ...first.slice(0, 50).map(() => 1),
      ],
    },
  ];
  for (const store of [staged, appended]) {
    for (const [i, delta] of epochs.entries())
      await store.commit(
        i + 1,
        new Map([['v', delta]]),
        undefined,
        undefined,
        i === 0 ? { views: [view], sources: [] } : undefined,
      );
    const now = await store.rows('v');
    const counts = new Map<string, { row: Row; n: number }>();
    for (const row of now) {
      const key = rowIdentity(row);
      const c = counts.get(key);
      if (c === undefined) counts.set(key, { row, n: 1 });
      else c.n++;
    }
    const taken = [...counts.entries()].filter((_, i) => i % 2 === 0);
    await store.commit(
      3,
      new Map([
        [
          'v',
          {
            rows: taken.map(([, c]) => c.row),
            weights: taken.map(([, c]) => -c.n),
            keys: taken.map(([key]) => key),
            before: taken.map(([, c]) => c.n),
          },
        ],
      ]),
    );
  }
  assert.equal(staged.csvLoads, 3, "every epoch's stage was loaded from CSV");
  assert.equal(appended.csvLoads, 0);
  const got = await staged.rows('v');
  assert.ok(got.length > CSV_LOAD_MIN_ROWS, `${got.length} rows`);
  assert.deepEqual(got, await appended.rows('v'));
});
