/**
 * The DuckDB view store: fed each epoch's view deltas by the engine running the reference
 * pipeline (plus a table under INSERT/UPDATE/DELETE with duplicate rows), it holds after every
 * epoch exactly the engine's view rows, also after reopening the file; a commit failing midway
 * leaves nothing behind; every value type round-trips; odd view and column names are quoted.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { toSourceRecord } from '../../src/connectors/generator-source.ts';
import { Engine } from '../../src/engine/engine.ts';
import { TrafficGenerator } from '../../src/generator/traffic.ts';
import { JSON_NULL } from '../../src/sql/jsonb-value.ts';
import { parseNumeric } from '../../src/sql/numeric.ts';
import { arrayOf, T } from '../../src/sql/types.ts';
import {
  mergeViewDeltas,
  PendingDeltas,
  rawFileOf,
  type ViewDelta,
  ViewStore,
} from '../../src/store/view-store.ts';
import { compareRows, type Row, rowIdentity } from '../../src/stream/value.ts';
import { tempDir } from './helpers.ts';

const PIPELINE = readFileSync(new URL('../../pipelines/website-security.sql', import.meta.url), 'utf8');

const EXTRA = `
  CREATE TABLE notes (ip VARCHAR, note VARCHAR, at TIMESTAMP, score DOUBLE PRECISION);
  CREATE MATERIALIZED VIEW all_notes AS SELECT ip, note, at, score FROM notes;
  CREATE MATERIALIZED VIEW notes_per_ip AS
    SELECT ip, COUNT(*) AS n, MAX(at) AS last_at, SUM(score) AS total FROM notes GROUP BY ip;
  CREATE MATERIALIZED VIEW hits_per_minute AS
    SELECT window_start, COUNT(*) AS n
    FROM TUMBLE(website_logs_source, request_timestamp, INTERVAL '1 MINUTE') GROUP BY window_start`;

test('the store follows the engine epoch by epoch, and keeps the views across a reopen', async (t) => {
  const file = join(tempDir(t), 'views.duckdb');
  const start = Date.UTC(2024, 0, 25, 12, 0, 0);
  const gen = new TrafficGenerator({ seed: 7, rate: 100, startMs: start });
  const engine = new Engine({ autoEpoch: false, idleTimeoutMs: 0 });
  t.after(() => engine.close());
  await engine.execute(PIPELINE);
  await engine.execute(EXTRA);
  const names = engine.list('materialized view');
  assert.ok(names.length >= 8, `views: ${names}`);

  let store = await ViewStore.open(file);
  for (const name of names) await store.defineView(name, engine.getRelation(name)?.columns ?? []);

  let pending = new Map<string, { rows: Row[]; weights: number[] }>();
  engine.onViewCommit((view, delta) => {
    const d = pending.get(view) ?? { rows: [], weights: [] };
    d.rows.push(...delta.rows);
    d.weights.push(...delta.weights);
    pending.set(view, d);
  });
  const ips: string[] = [];
  const check = async (what: string) => {
    for (const name of names) {
      const got = await store.rows(name);
      assert.deepEqual(got, engine.rows(name), `${name} ${what}`);
    }
  };
  for (let i = 0; i < 30; i++) {
    const records = Array.from({ length: 400 }, () => toSourceRecord(gen.next()));
    for (const r of records.slice(0, 2)) ips.push(r.ip_address as string);
    engine.push('website_logs_source', records);
    const ip = ips[(i * 7) % ips.length] as string;
    const at = `2024-01-25 12:${String(i % 60).padStart(2, '0')}:00`;
    // Duplicate rows (inserted twice), updates that touch several of them, deletes.
    if (i % 3 === 0) {
      await engine.execute(`INSERT INTO notes VALUES ('${ip}', 'it''s "odd" ✓', '${at}', ${i / 3}),
        ('${ip}', 'it''s "odd" ✓', '${at}', ${i / 3}), ('${ip}', NULL, NULL, 'NaN')`);
    } else if (i % 3 === 1) {
      await engine.execute(`UPDATE notes SET score = score + 1 WHERE ip = '${ips[(i * 3) % ips.length]}'`);
    } else {
      await engine.execute(`DELETE FROM notes WHERE ip = '${ips[(i * 5) % ips.length]}' AND note IS NULL`);
    }
    engine.flush();
    const deltas = pending;
    pending = new Map();
    await store.commit(engine.epoch, deltas);
    assert.equal(store.lastEpoch(), engine.epoch);
    await check(`after epoch ${engine.epoch}`);
    if (i === 20) {
      await store.close();
      store = await ViewStore.open(file);
      assert.deepEqual(
        store.views().map((v) => v.name),
        names,
      );
      await check('after reopening mid-run');
    }
  }
  const dupes = (await store.rows('all_notes')).filter(
    (r, k, all) => k > 0 && compareRows(r, all[k - 1] as Row) === 0,
  );
  assert.ok(dupes.length > 0, 'all_notes holds duplicate rows');
  for (const name of names) assert.ok((await store.rows(name)).length > 0, `${name} has rows`);
  const last = store.lastEpoch();
  await store.close();
  const reopened = await ViewStore.open(file);
  t.after(() => reopened.close());
  assert.equal(reopened.lastEpoch(), last);
  for (const name of names)
    assert.deepEqual(await reopened.rows(name), engine.rows(name), `${name} after reopen`);
});

test('a commit that fails midway leaves nothing of its epoch behind', async (t) => {
  const file = join(tempDir(t), 'views.duckdb');
  let failOn: string | undefined;
  const store = await ViewStore.open(file, {
    afterApply: (view) => {
      if (view === failOn) throw new Error('injected failure');
    },
  });
  t.after(() => store.close());
  await store.defineView('a', [{ name: 'k', type: T.int4 }]);
  await store.defineView('b', [{ name: 'k', type: T.text }]);
  const delta = (rows: Row[], weights = rows.map(() => 1)): ViewDelta => ({ rows, weights });
  await store.commit(
    1,
    new Map([
      ['a', delta([[1], [2]])],
      ['b', delta([['x']])],
    ]),
  );

  const second = new Map([
    ['a', delta([[1], [3], [3]], [-1, 1, 1])],
    ['b', delta([['x'], ['y']], [1, 1])],
  ]);
  failOn = 'b'; // a is already applied inside the transaction when b fails
  await assert.rejects(store.commit(2, second), /injected failure/);
  assert.equal(store.lastEpoch(), 1);
  assert.deepEqual(await store.rows('a'), [[1], [2]]);
  assert.deepEqual(await store.rows('b'), [['x']]);

  // A retraction of a row the view does not hold is refused, atomically too.
  failOn = undefined;
  await assert.rejects(
    store.commit(
      2,
      new Map([
        ['a', delta([[5]], [1])],
        ['b', delta([['nope']], [-1])],
      ]),
    ),
    /retracts rows that view "b" does not hold/,
  );
  assert.deepEqual(await store.rows('a'), [[1], [2]]);

  // A value the column cannot take fails while staging, inside the transaction too.
  await store.defineView('c', [
    { name: 'n', type: T.int8 },
    { name: 's', type: T.text },
  ]);
  await assert.rejects(
    store.commit(
      2,
      new Map([
        ['a', delta([[7]])],
        [
          'c',
          delta([
            [1, 'ok'],
            [1.5, 'not an int8'],
          ]),
        ],
      ]),
    ),
    /not an integer/,
  );
  assert.deepEqual(await store.rows('a'), [[1], [2]]);
  assert.deepEqual(await store.rows('c'), []);

  // The same epoch then commits normally; an old epoch is refused.
  await store.commit(2, second);
  assert.equal(store.lastEpoch(), 2);
  assert.deepEqual(await store.rows('a'), [[2], [3], [3]]);
  assert.deepEqual(await store.rows('b'), [['x'], ['x'], ['y']]);
  await assert.rejects(store.commit(2, new Map()), /not after/);
  await store.close();
  const again = await ViewStore.open(file);
  t.after(() => again.close());
  assert.equal(again.lastEpoch(), 2);
  assert.deepEqual(await again.rows('b'), [['x'], ['x'], ['y']]);
});

test('values of every type round-trip, and retract exactly', async (t) => {
  const file = join(tempDir(t), 'views.duckdb');
  const columns = [
    { name: 'b', type: T.boolean },
    { name: 'i2', type: T.int2 },
    { name: 'i4', type: T.int4 },
    { name: 'i8', type: T.int8 },
    { name: 'num', type: T.numeric },
    { name: 'f4', type: T.float4 },
    { name: 'f8', type: T.float8 },
    { name: 'vc', type: T.varchar },
    { name: 'tx', type: T.text },
    { name: 'ts', type: T.timestamp },
    { name: 'tz', type: T.timestamptz },
    { name: 'd', type: T.date },
    { name: 'tm', type: T.time },
    { name: 'iv', type: T.interval },
    { name: 'js', type: T.jsonb },
    { name: 'by', type: T.bytea },
    { name: 'ai', type: arrayOf(T.int4) },
    { name: 'at', type: arrayOf(T.text) },
    { name: 'ats', type: arrayOf(T.timestamp) },
    { name: 'an', type: arrayOf(T.numeric) },
  ];
  const rows: Row[] = [
    [
      true,
      -32768,
      2147483647,
      9223372036854775807n,
      parseNumeric('12345678901234567890.123456789012345678901234567890'),
      Math.fround(0.1), // a real: the engine keeps it rounded to float4, as the store does
      Number.NaN,
      'it\'s "quoted"; DROP TABLE x; --',
      'ünïcødé 🌊 \u0000\n\t',
      -1_234_567_890_123, // before 1970
      1_706_184_000_123_456,
      -719_162, // 0001-01-01
      86_399_999_999,
      { months: 14, days: -3, micros: -1_500_000 },
      { a: [1, 'two', null], b: { c: true } },
      new Uint8Array([0, 1, 254, 255]),
      [1, null, -3],
      ['x', "y'z", ''],
      [0, -1],
      [parseNumeric('1.50'), null, parseNumeric('NaN'), parseNumeric('-1e-20')],
    ],
    [
      false,
      0,
      0,
      -9007199254740993n,
      parseNumeric('0.00'),
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      '',
      'null',
      0,
      -1,
      0,
      0,
      { months: 0, days: 0, micros: 0 },
      'just a string',
      new Uint8Array([]),
      [],
      [null],
      [],
      [],
    ],
    [
      false,
      1,
      1,
      Number.MAX_SAFE_INTEGER,
      parseNumeric('-Infinity'),
      // a JSON null, which is not SQL NULL
      ...columns.slice(5).map((c) => (c.type === T.jsonb ? JSON_NULL : null)),
    ],
    columns.map(() => null),
  ];
  const store = await ViewStore.open(file);
  t.after(() => store.close());
  await store.defineView('every_type', columns);
  await store.commit(1, new Map([['every_type', { rows, weights: [1, 2, 1, 1] }]]));
  const expected = [rows[0], rows[1], rows[1], rows[2], rows[3]] as Row[];
  expected.sort(compareRows);
  const got = await store.rows('every_type');
  assert.deepEqual(
    got.map((r) => r.map((v) => (v instanceof Uint8Array ? [...v] : v))),
    expected.map((r) => r.map((v) => (v instanceof Uint8Array ? [...v] : v))),
  );
  assert.ok(got[0]?.[15] instanceof Uint8Array);
  // Retracting the very same values (NaN, NULLs, arrays…) finds the rows.
  await store.commit(2, new Map([['every_type', { rows, weights: [-1, -1, -1, -1] }]]));
  assert.equal((await store.rows('every_type')).length, 1);
  await store.commit(3, new Map([['every_type', { rows: [rows[1] as Row], weights: [-1] }]]));
  assert.deepEqual(await store.rows('every_type'), []);
});

test('view and column names that need quoting', async (t) => {
  const file = join(tempDir(t), 'views.duckdb');
  const store = await ViewStore.open(file);
  const name = 'we"ird view; DROP TABLE tidewatch_views; --';
  const columns = [
    { name: 'select', type: T.int4 },
    { name: 'a"b c', type: T.text },
  ];
  await store.defineView(name, columns);
  await store.defineView(name, columns); // the same again: nothing to do
  await assert.rejects(store.defineView(name.toUpperCase(), columns), /already defined/);
  await assert.rejects(store.defineView('x', [{ name: '__tw_count', type: T.int4 }]), /cannot name/);
  await assert.rejects(
    store.defineView('y', [
      { name: 'select', type: T.int4 },
      { name: 'SELECT', type: T.int4 },
    ]),
    /two columns/,
  );
  await store.commit(
    1,
    new Map([
      [
        name,
        {
          rows: [
            [1, 'one'],
            [2, 'two'],
          ],
          weights: [1, 1],
        },
      ],
    ]),
  );
  await store.close();
  const again = await ViewStore.open(file);
  t.after(() => again.close());
  assert.deepEqual(again.views(), [{ name, columns, createdEpoch: 0 }]);
  assert.deepEqual(await again.rows(name), [
    [1, 'one'],
    [2, 'two'],
  ]);
  await again.dropView(name);
  assert.deepEqual(again.views(), []);
  await assert.rejects(again.rows(name), /no view/);
  await again.defineView(name, [{ name: 'other', type: T.date }]);
  await again.commit(2, new Map([[name, { rows: [[19_000]], weights: [1] }]]));
  assert.deepEqual(await again.rows(name), [[19_000]]);
});

test('the caller state commits with its epoch and survives a reopen; a failed epoch keeps the previous one', async (t) => {
  const file = join(tempDir(t), 'views.duckdb');
  let fail = false;
  const store = await ViewStore.open(file, {
    afterApply: () => {
      if (fail) throw new Error('injected failure');
    },
  });
  await store.defineView('a', [{ name: 'k', type: T.int4 }]);
  assert.equal(await store.state(), undefined);
  await store.commit(1, new Map([['a', { rows: [[1]], weights: [1] }]]), Uint8Array.of(1, 2, 3));
  await store.commit(2, new Map(), Uint8Array.of(4, 5));
  fail = true;
  await assert.rejects(
    store.commit(3, new Map([['a', { rows: [[2]], weights: [1] }]]), Uint8Array.of(9)),
    /injected/,
  );
  assert.deepEqual(await store.state(), { epoch: 2, state: Uint8Array.of(4, 5) });
  await store.close();
  const again = await ViewStore.open(file);
  t.after(() => again.close());
  assert.deepEqual(await again.state(), { epoch: 2, state: Uint8Array.of(4, 5) });
  assert.deepEqual(await again.rows('a'), [[1]]);
});

test('a commit brings the tables to its schema in its own transaction: all of it, or (failing) nothing', async (t) => {
  const file = join(tempDir(t), 'schema.duckdb');
  let failOn: string | undefined;
  const store = await ViewStore.open(file, {
    afterApply: (view) => {
      if (view === failOn) throw new Error(`failed on ${view}`);
    },
  });
  const cols = (...names: string[]) => names.map((name) => ({ name, type: T.int4 }));
  const one = (row: Row): ViewDelta => ({ rows: [row], weights: [1] });
  const retention = {};
  await store.commit(1, new Map([['a', one([1])]]), undefined, undefined, {
    views: [
      { name: 'a', columns: cols('x'), key: undefined },
      { name: 'b', columns: cols('y'), key: undefined },
    ],
    sources: [{ name: 's', columns: cols('z'), retention }],
  });
  assert.deepEqual(
    store.views().map((v) => v.name),
    ['a', 'b'],
  );
  assert.deepEqual(await store.rows('a'), [[1]]);

  // The next epoch drops b and s, recreates a with other columns and creates c with its first
  // rows; it fails on c's changes: nothing of it happened.
  const next = {
    views: [
      { name: 'a', columns: cols('x', 'w'), key: undefined },
      { name: 'c', columns: cols('u'), key: [0] },
    ],
    sources: [],
  };
  failOn = 'c';
  await assert.rejects(
    store.commit(2, new Map([['c', one([7])]]), undefined, undefined, next),
    /failed on c/,
  );
  assert.deepEqual(
    store.views().map((v) => v.name),
    ['a', 'b'],
  );
  assert.deepEqual(
    store.sources().map((s) => s.name),
    ['s'],
  );
  assert.deepEqual(await store.rows('a'), [[1]]);
  assert.equal(store.lastEpoch(), 1);

  failOn = undefined;
  await store.commit(2, new Map([['c', one([7])]]), undefined, undefined, next);
  await store.close();
  const reopened = await ViewStore.open(file);
  t.after(() => reopened.close());
  assert.deepEqual(
    reopened.views().map((v) => [v.name, v.columns.map((c) => c.name)]),
    [
      ['a', ['x', 'w']],
      ['c', ['u']],
    ],
  );
  assert.deepEqual(reopened.sources(), []);
  assert.deepEqual(await reopened.rows('a'), [], 'a created again is empty');
  assert.deepEqual(await reopened.rows('c'), [[7]]);
});

test('an append-only table takes insertions as they come (a row twice is two), and refuses a retraction', async (t) => {
  const file = join(tempDir(t), 'append.duckdb');
  const store = await ViewStore.open(file);
  const schema = {
    views: [{ name: 'log', columns: [{ name: 'x', type: T.int4 }], key: undefined, appendOnly: true }],
    sources: [],
  };
  await store.commit(
    1,
    new Map([['log', { rows: [[1], [2], [1]], weights: [1, 1, 2] }]]),
    undefined,
    undefined,
    schema,
  );
  await store.commit(2, new Map([['log', { rows: [[3]], weights: [1] }]]));
  await assert.rejects(
    store.commit(3, new Map([['log', { rows: [[3]], weights: [-1] }]])),
    /insertions .* only/,
  );
  await store.close();
  const reopened = await ViewStore.open(file);
  t.after(() => reopened.close());
  assert.deepEqual(await reopened.rows('log'), [[1], [1], [1], [2], [3]]);
  assert.equal(reopened.lastEpoch(), 2);
});

test('dead letters commit with their epoch, and a failed epoch keeps none of them', async (t) => {
  const file = join(tempDir(t), 'dead.duckdb');
  let fail = false;
  const store = await ViewStore.open(file, {
    afterApply: () => {
      if (fail) throw new Error('failed');
    },
  });
  t.after(() => store.close());
  const schema = {
    views: [{ name: 'v', columns: [{ name: 'x', type: T.int4 }], key: undefined }],
    sources: [],
  };
  const letter = { position: 'offset 7', reason: 'not JSON', raw: '{"a": ' };
  await store.commit(1, new Map(), undefined, undefined, schema, new Map([['s', [letter]]]));
  fail = true;
  await assert.rejects(
    store.commit(
      2,
      new Map([['v', { rows: [[1]], weights: [1] }]]),
      undefined,
      undefined,
      undefined,
      new Map([['s', [letter]]]),
    ),
    /failed/,
  );
  const conn = await store.connectReader();
  const rows = (
    await conn.runAndReadAll('SELECT source, position, reason, raw, epoch FROM tidewatch_dead_letters')
  ).getRows();
  conn.closeSync();
  assert.deepEqual(rows, [['s', 'offset 7', 'not JSON', '{"a": ', 1n]]);
});

test('retractions find their rows wherever they are stored: old times, new times and NULL times', async (t) => {
  // Commits bound their lookups by the earliest staged time (DuckDB then skips the row groups of
  // older rows); rows stored out of time order, in many row groups, and NULL times must still be found.
  const store = await ViewStore.open(join(tempDir(t), 'views.duckdb'));
  t.after(() => store.close());
  await store.defineView('per_window', [
    { name: 'k', type: T.varchar },
    { name: 'window_start', type: T.timestamp },
    { name: 'n', type: T.int8 },
  ]);
  const minute = 60_000_000;
  const row = (i: number, at: number | null, n: number): Row => [`k${i}`, at, n];
  // 300,000 rows, newest first: the oldest times are stored last.
  const first: Row[] = [];
  for (let i = 0; i < 300_000; i++) first.push(row(i, (300_000 - i) * minute, 1));
  first.push(row(-1, null, 1));
  await store.commit(1, new Map([['per_window', { rows: first, weights: first.map(() => 1) }]]));
  // Each commit replaces rows of old, recent and NULL times; only some of them carry a NULL time.
  const changes: Row[] = [
    row(0, 300_000 * minute, 1),
    row(0, 300_000 * minute, 2),
    row(299_999, minute, 1),
    row(299_999, minute, 2),
    row(150_000, 150_000 * minute, 1),
  ];
  await store.commit(2, new Map([['per_window', { rows: changes, weights: [-1, 1, -1, 1, -1] }]]));
  await store.commit(
    3,
    new Map([['per_window', { rows: [row(-1, null, 1), row(5, 299_995 * minute, 1)], weights: [-1, -1] }]]),
  );
  // Only recent times: the bound leaves out all but the row group where the newest are stored (first).
  await store.commit(4, new Map([['per_window', { rows: [row(1, 299_999 * minute, 1)], weights: [-1] }]]));
  const held = await store.rows('per_window');
  assert.equal(held.length, 300_001 - 4);
  const byKey = new Map(held.map((r) => [r[0], r]));
  assert.deepEqual(byKey.get('k0'), row(0, 300_000 * minute, 2));
  assert.deepEqual(byKey.get('k299999'), row(299_999, minute, 2));
  for (const gone of ['k150000', 'k-1', 'k5', 'k1']) assert.equal(byKey.has(gone), false, gone);
  // A retraction of a row that is not there is refused, also beyond the bound.
  await assert.rejects(
    store.commit(5, new Map([['per_window', { rows: [row(-7, 2 * minute, 1)], weights: [-1] }]])),
    /multiplicity would be negative/,
  );
  // With the counts the engine held before (keys and `before`): no lookup, the same result.
  const k2 = row(2, 299_998 * minute, 1);
  const k2Now = row(2, 299_998 * minute, 5);
  await store.commit(
    5,
    new Map([
      [
        'per_window',
        {
          rows: [k2, k2Now],
          weights: [-1, 1],
          keys: [rowIdentity(k2), rowIdentity(k2Now)],
          before: [1, 0],
        },
      ],
    ]),
  );
  const after = new Map((await store.rows('per_window')).map((r) => [r[0], r]));
  assert.deepEqual(after.get('k2'), k2Now);
  assert.equal(after.size, 300_001 - 4);
  await assert.rejects(
    store.commit(
      6,
      new Map([['per_window', { rows: [k2], weights: [-2], keys: [rowIdentity(k2)], before: [1] }]]),
    ),
    /"per_window" does not hold \(multiplicity would be negative\)/,
  );
});

test('deltas of one view summed across epochs keep the counts the engine held before the first', () => {
  const a: Row = ['a', 1];
  const b: Row = ['b', 2];
  const c: Row = ['c', 3];
  const id = (r: Row) => rowIdentity(r);
  // Epoch 1: a goes (held once), b comes. Epoch 2: b goes again, c comes, a comes back twice.
  const first: ViewDelta = { rows: [a, b], weights: [-1, 1], keys: [id(a), id(b)], before: [1, 0] };
  const second: ViewDelta = {
    rows: [b, c, a],
    weights: [-1, 1, 2],
    keys: [id(b), id(c), id(a)],
    before: [1, 0, 0],
  };
  assert.deepEqual(mergeViewDeltas(first, second), {
    rows: [a, c],
    weights: [1, 1],
    keys: [id(a), id(c)],
    before: [1, 0],
  });
  // Without the engine's counts on either side: the rows, to be looked up when committed.
  const plain: ViewDelta = { rows: [c], weights: [-1] };
  assert.deepEqual(mergeViewDeltas(first, plain), { rows: [a, b, c], weights: [-1, 1, -1] });
  assert.deepEqual(mergeViewDeltas(plain, first), { rows: [c, a, b], weights: [-1, -1, 1] });
});

test('epochs committed together — their deltas summed — leave the store as the engine', async (t) => {
  const start = Date.UTC(2024, 0, 25, 12, 0, 0);
  const gen = new TrafficGenerator({ seed: 11, rate: 100, startMs: start });
  const engine = new Engine({ autoEpoch: false, idleTimeoutMs: 0, contentsKeptOutside: true });
  t.after(() => engine.close());
  await engine.execute(PIPELINE);
  await engine.execute(EXTRA);
  const names = [...engine.list('table'), ...engine.list('materialized view')];
  const store = await ViewStore.open(join(tempDir(t), 'views.duckdb'));
  t.after(() => store.close());
  for (const name of names) await store.defineView(name, engine.getRelation(name)?.columns ?? []);
  const pending = new PendingDeltas();
  let keyed = 0;
  engine.onStoreCommit((view, delta) => {
    if ((delta as ViewDelta).keys !== undefined) keyed++;
    pending.add(view, delta);
  });
  for (let i = 0; i < 24; i++) {
    engine.push(
      'website_logs_source',
      Array.from({ length: 300 }, () => toSourceRecord(gen.next())),
    );
    if (i % 2 === 0) await engine.execute(`INSERT INTO notes VALUES ('10.0.0.${i % 5}', 'n', NULL, ${i})`);
    else await engine.execute(`DELETE FROM notes WHERE score = ${i - 1} OR score < ${i - 6}`);
    engine.flush();
    // Three epochs to a commit: what the store gets is their sum.
    if (i % 3 !== 2) continue;
    await store.commit(engine.epoch, pending.take());
    for (const name of names) assert.deepEqual(await store.rows(name), engine.rows(name), `${name} at ${i}`);
  }
  assert.ok(keyed > 0, 'the engine handed over its counts');
});

test('each database checkpoints itself right after a commit, not in a COMMIT: the store’s after 64 MiB of write-ahead log, the raw events’ after 16 MiB', async (t) => {
  const file = join(tempDir(t), 'wal.duckdb');
  const store = await ViewStore.open(file);
  t.after(() => store.close());
  await store.defineSource('events', [{ name: 'text', type: T.varchar }]);
  await store.defineView('texts', [{ name: 'text', type: T.varchar }]);
  const walBytes = (f: string) => (existsSync(`${f}.wal`) ? statSync(`${f}.wal`).size : 0);
  // Text DuckDB cannot compress much: each row different.
  const rows = (epoch: number): Row[] =>
    Array.from({ length: 4000 }, (_, i) => [
      `${epoch}:${i}:${'x'.repeat(16)}:${Math.random().toString(36).repeat(60)}`,
    ]);
  const MiB = 1024 * 1024;
  const logs = [
    { file, most: 0, checkpointed: false },
    { file: rawFileOf(file), most: 0, checkpointed: false },
  ];
  for (let epoch = 1; epoch <= 40 && !logs.every((l) => l.checkpointed); epoch++) {
    const texts = rows(epoch);
    await store.commit(
      epoch,
      new Map([['texts', { rows: texts, weights: texts.map(() => 1) }]]),
      undefined,
      new Map([['events', [texts]]]),
    );
    for (const log of logs) {
      const wal = walBytes(log.file);
      log.checkpointed ||= wal < log.most;
      if (!log.checkpointed) log.most = Math.max(log.most, wal);
    }
  }
  const [main, raw] = logs as [(typeof logs)[0], (typeof logs)[0]];
  assert.ok(
    main.checkpointed && raw.checkpointed,
    `logs grew to ${logs.map((l) => (l.most / MiB).toFixed(1))} MiB`,
  );
  assert.ok(
    main.most > 56 * MiB && main.most < 80 * MiB,
    `the store's log grew to ${(main.most / MiB).toFixed(1)} MiB`,
  );
  assert.ok(
    raw.most > 12 * MiB && raw.most < 24 * MiB,
    `the raw events' log grew to ${(raw.most / MiB).toFixed(1)} MiB`,
  );
  // DuckDB itself would checkpoint in the COMMIT that passes 256 MiB only: those were the store's,
  // after a commit.
  const reader = await store.connectReader();
  t.after(() => reader.closeSync());
  const setting = await reader.runAndReadAll("SELECT current_setting('checkpoint_threshold')");
  assert.match(String(setting.getRows()[0]?.[0]), /^256\.0 MiB$/);
  assert.equal(store.retained()[0]?.rows, 4000 * (store.lastEpoch() ?? 0), 'every epoch is there');
});

test('changes that carry their counts replace rows without a stage, as staged changes do, and roll back with the epoch', async (t) => {
  const dir = tempDir(t);
  const columns = [
    { name: 'k', type: T.varchar },
    { name: 'at', type: T.timestamp },
    { name: 'n', type: T.int8 },
  ];
  const minute = 60_000_000;
  const row = (i: number, at: number | null, n: number): Row => [`k${i}`, at, n];
  // Epoch 1 inserts rows, some twice; epoch 2 takes a row away whole, one copy of another,
  // replaces one, adds a copy of a third and a new row, and takes a NULL-timed row away.
  const epochs: { rows: Row[]; weights: number[]; before: number[] }[] = [
    {
      rows: [
        row(1, minute, 1),
        row(2, 2 * minute, 1),
        row(3, 3 * minute, 1),
        row(4, null, 1),
        row(5, minute, 1),
      ],
      weights: [1, 2, 1, 1, 3],
      before: [0, 0, 0, 0, 0],
    },
    {
      rows: [row(1, minute, 1), row(2, 2 * minute, 1), row(3, 3 * minute, 1), row(3, 3 * minute, 9)],
      weights: [-1, -1, -1, 1],
      before: [1, 2, 1, 0],
    },
    {
      rows: [row(5, minute, 1), row(6, 4 * minute, 1), row(4, null, 1)],
      weights: [1, 1, -1],
      before: [3, 0, 1],
    },
  ];
  const counted = (e: (typeof epochs)[number]): ViewDelta => ({ ...e, keys: e.rows.map(rowIdentity) });
  const looked = (e: (typeof epochs)[number]): ViewDelta => ({ rows: e.rows, weights: e.weights });
  const direct = await ViewStore.open(join(dir, 'direct.duckdb'));
  const staged = await ViewStore.open(join(dir, 'staged.duckdb'));
  t.after(async () => {
    await direct.close();
    await staged.close();
  });
  for (const store of [direct, staged]) {
    await store.defineView('v', columns);
    await store.defineView('w', columns);
  }
  for (const [i, e] of epochs.entries()) {
    // `w` is given the same changes without their counts, in the same commit: staged.
    await direct.commit(
      i + 1,
      new Map([
        ['v', counted(e)],
        ['w', looked(e)],
      ]),
    );
    await staged.commit(
      i + 1,
      new Map([
        ['v', looked(e)],
        ['w', looked(e)],
      ]),
    );
  }
  const sorted = (rows: Row[]) => [...rows].sort(compareRows);
  const expected = sorted([
    row(2, 2 * minute, 1),
    row(3, 3 * minute, 9),
    ...Array.from({ length: 4 }, () => row(5, minute, 1)),
    row(6, 4 * minute, 1),
  ]);
  assert.deepEqual(sorted(await staged.rows('v')), expected);
  assert.deepEqual(sorted(await direct.rows('v')), expected);
  assert.deepEqual(sorted(await direct.rows('w')), expected);
  assert.equal(direct.stages, 1, 'only the view whose changes lack their counts has a stage');
  assert.equal(staged.stages, 2);
  // An epoch that fails in a staged view after a direct one changed leaves neither changed.
  await assert.rejects(
    direct.commit(
      4,
      new Map([
        [
          'v',
          counted({ rows: [row(6, 4 * minute, 1), row(7, minute, 1)], weights: [-1, 1], before: [1, 0] }),
        ],
        ['w', looked({ rows: [row(8, minute, 1)], weights: [-1], before: [] })],
      ]),
    ),
    /"w" does not hold/,
  );
  assert.deepEqual(sorted(await direct.rows('v')), expected);
  // A retraction beyond the count held before is refused before anything is written.
  await assert.rejects(
    direct.commit(
      4,
      new Map([['v', counted({ rows: [row(2, 2 * minute, 1)], weights: [-2], before: [1] })]]),
    ),
    /"v" does not hold/,
  );
  assert.deepEqual(sorted(await direct.rows('v')), expected);
});

test('a stage is made again once 16,384 rows went through it: its emptied rows do not pile up in memory', async (t) => {
  const store = await ViewStore.open(join(tempDir(t), 'views.duckdb'));
  t.after(() => store.close());
  await store.defineView('v', [
    { name: 'k', type: T.varchar },
    { name: 'n', type: T.int8 },
  ]);
  // Changes without their counts go through the stage: 3,000 rows an epoch, each epoch taking
  // back the last one's rows: 57,000 rows staged.
  const rows = (epoch: number): Row[] => Array.from({ length: 3_000 }, (_, i) => [`k${i}`, epoch]);
  for (let epoch = 1; epoch <= 10; epoch++) {
    const inserted = rows(epoch);
    const taken = epoch === 1 ? [] : rows(epoch - 1);
    await store.commit(
      epoch,
      new Map([
        [
          'v',
          {
            rows: [...taken, ...inserted],
            weights: [...taken.map(() => -1), ...inserted.map(() => 1)],
          },
        ],
      ]),
    );
  }
  // Made at epoch 1, again at 5 (21,000 rows staged by then) and at 8 (18,000 since).
  assert.equal(store.stages, 3);
  assert.deepEqual([...(await store.rows('v'))].sort(compareRows), [...rows(10)].sort(compareRows));
});
