/**
 * A commit crossing from the engine's thread to the store's (remote-epoch-store.ts,
 * store-server.ts): a source's raw events and an APPEND ONLY table's insertions of at least the
 * spool's threshold cross as CSV files the engine's side writes, fewer as rows; either way the
 * store holds the same values, counts and bytes, and no file stays behind — after a commit that
 * failed too. A delta spooled for a table that a subscription now reads is read back (the
 * change log gets its rows). Rows a table did not hold (a bulk INSERT) cross as a file too, with
 * their keys, by which later changes find them.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { AccessCatalog } from '../../src/auth/access-catalog.ts';
import type { EngineCheckpoint } from '../../src/engine/engine.ts';
import type { EpochCommit } from '../../src/runtime/epoch-store.ts';
import { RemoteEpochStore } from '../../src/runtime/remote-epoch-store.ts';
import { serveEpochStore } from '../../src/runtime/store-server.ts';
import { ThreadRpc } from '../../src/runtime/thread-rpc.ts';
import { T } from '../../src/sql/types.ts';
import { rawBytes } from '../../src/store/raw-retention.ts';
import { changeLogTable, type StoreSchema, ViewStore } from '../../src/store/view-store.ts';
import { compareRows, type Row, rowIdentity } from '../../src/stream/value.ts';
import { tempDir } from '../store/helpers.ts';

const COLUMNS = [
  { name: 'seq', type: T.int4 },
  { name: 'txt', type: T.varchar },
  { name: 'at', type: T.timestamp },
  { name: 'x', type: T.float8 },
];
const SCHEMA: StoreSchema = {
  views: [
    { name: 'events', columns: COLUMNS, key: undefined, appendOnly: true },
    { name: 'plain', columns: COLUMNS, key: undefined, appendOnly: false },
  ],
  sources: [{ name: 'feed', columns: COLUMNS, retention: {} }],
};
const MIN_ROWS = 100;

const rowsOf = (n: number, first = 0): Row[] =>
  Array.from({ length: n }, (_, i) => [
    first + i,
    i % 5 === 0 ? null : `row "${first + i}", with a comma\nand a line`,
    1_706_184_000_000_000 + i,
    i % 7 === 0 ? Number.NaN : -0.5 * i,
  ]);

async function crossing(t: test.TestContext) {
  const dir = tempDir(t);
  const store = await ViewStore.open(join(dir, 'store.duckdb'));
  const { port1, port2 } = new MessageChannel();
  const errors = {};
  serveEpochStore(new ThreadRpc(port1, errors), store, new AccessCatalog());
  const remote = new RemoteEpochStore(new ThreadRpc(port2, errors));
  const spool = join(dir, 'spool');
  remote.spoolInto(spool, MIN_ROWS);
  t.after(async () => {
    port1.close();
    port2.close();
    await store.close();
  });
  let epoch = 0;
  const commit = (c: Partial<EpochCommit>) =>
    remote.commit({
      epoch: ++epoch,
      deltas: new Map(),
      saved: {
        kind: 'tidewatch-state',
        version: 1,
        engine: { kind: 'tidewatch-engine' } as unknown as EngineCheckpoint,
        offsets: {},
      },
      raw: new Map(),
      schema: epoch === 1 ? SCHEMA : undefined,
      deadLetters: new Map(),
      labels: [],
      operators: [],
      durableFirst: Promise.resolve(),
      ...c,
    });
  return { store, remote, spool, commit };
}

test('many rows cross as a file, few as rows: the store holds the same either way, and no file stays', async (t) => {
  const { store, spool, commit } = await crossing(t);
  const big = rowsOf(MIN_ROWS + 50);
  const small = rowsOf(MIN_ROWS - 1, 1000);
  const weights = big.map((_, i) => (i % 3 === 0 ? 2 : 1));
  await commit({ deltas: new Map([['events', { rows: big, weights }]]), raw: new Map([['feed', [big]]]) });
  assert.equal(store.csvLoads, 2, 'both went as files');
  await commit({
    deltas: new Map([['events', { rows: small, weights: small.map(() => 1) }]]),
    raw: new Map([['feed', [small]]]),
  });
  assert.equal(store.csvLoads, 2, 'fewer than the threshold went as rows');
  assert.deepEqual(readdirSync(spool), []);

  const expected = [...big.flatMap((r, i) => ((weights[i] as number) === 2 ? [r, r] : [r])), ...small];
  assert.deepEqual(await store.rows('events'), expected.sort(compareRows));
  const bytes = [...big, ...small].reduce((sum, r) => sum + rawBytes(r), 0);
  assert.deepEqual(
    store.retained().map((r) => [r.name, r.rows, r.bytes]),
    [['feed', big.length + small.length, bytes]],
  );
  const raw: Row[] = [];
  for await (const batch of store.retainedEvents('feed')) raw.push(...batch);
  assert.deepEqual(raw, [...big, ...small]);
});

test("a source's raw events are written to the spool as they come once an epoch has enough, in the order they came", async (t) => {
  const { store, remote, spool, commit } = await crossing(t);
  await commit({});
  const gathering = remote.rawGathering((source) => (source === 'feed' ? COLUMNS : undefined));
  assert.ok(gathering !== undefined);
  // Fewer than the threshold: rows, no file.
  const few = rowsOf(MIN_ROWS - 1);
  gathering.addRaw('feed', few.slice(0, 50));
  gathering.addRaw('feed', few.slice(50));
  const first = gathering.takeRaw();
  assert.deepEqual(first.get('feed'), [few]);
  assert.deepEqual(readdirSync(spool), []);
  // Enough: a file from the slice that reaches the threshold on, written before the epoch ends;
  // a row too long for DuckDB's reader between two files.
  const many = rowsOf(MIN_ROWS + 80, 1000);
  const long: Row = [5000, 'x'.repeat(700_000), 1_706_184_000_000_000, 1.5];
  gathering.addRaw('feed', many.slice(0, 60));
  gathering.addRaw('feed', many.slice(60, 120));
  assert.equal(readdirSync(spool).length, 1, 'written as the rows come');
  gathering.addRaw('feed', [long]);
  gathering.addRaw('feed', many.slice(120));
  const second = gathering.takeRaw();
  const parts = second.get('feed') ?? [];
  assert.deepEqual(
    parts.map((p) => ('spooled' in p ? `file of ${p.rows}` : `${p.length} rows`)),
    ['file of 120', '1 rows', `file of ${many.length - 120}`],
  );
  // A source without columns known to the spool, however many: rows.
  const other = rowsOf(MIN_ROWS + 1);
  gathering.addRaw('unknown', other);
  assert.deepEqual(gathering.takeRaw().get('unknown'), [other]);

  await commit({ raw: first });
  await commit({ raw: second });
  assert.equal(store.csvLoads, 2, 'the two files');
  assert.deepEqual(readdirSync(spool), []);
  const stored: Row[] = [];
  for await (const batch of store.retainedEvents('feed')) stored.push(...batch);
  const expected = [...few, ...many.slice(0, 120), long, ...many.slice(120)];
  assert.deepEqual(stored, expected);
  assert.deepEqual(
    store.retained().map((r) => [r.name, r.rows, r.bytes]),
    [['feed', expected.length, expected.reduce((sum, r) => sum + rawBytes(r), 0)]],
  );
});

test('files gathered for an epoch whose commit fails are removed', async (t) => {
  const { spool, remote, commit } = await crossing(t);
  await commit({});
  const gathering = remote.rawGathering(() => COLUMNS);
  gathering?.addRaw('feed', rowsOf(MIN_ROWS + 1));
  const raw = gathering?.takeRaw() ?? new Map();
  assert.equal(readdirSync(spool).length, 1);
  await assert.rejects(
    commit({ epoch: 1, raw } as Partial<EpochCommit>),
    /not after the last committed epoch/,
  );
  assert.deepEqual(readdirSync(spool), []);
});

test('a commit that fails leaves no file behind', async (t) => {
  const { spool, commit } = await crossing(t);
  await commit({});
  const rows = rowsOf(MIN_ROWS);
  // Epoch 1 again: the store refuses it, after the rows were spooled.
  await assert.rejects(
    commit({ epoch: 1, raw: new Map([['feed', [rows]]]) } as Partial<EpochCommit>),
    /not after the last committed epoch/,
  );
  assert.deepEqual(readdirSync(spool), []);
});

test('a delta spooled for a table a subscription now reads is read back for its change log', async (t) => {
  const { store, remote, commit } = await crossing(t);
  await commit({});
  await store.createSubscription('sub', 'events', 3_600_000);
  // The engine's side has not heard of the subscription yet: it spools the rows.
  remote.setSubscriptions([]);
  const rows = rowsOf(MIN_ROWS + 1);
  await commit({ deltas: new Map([['events', { rows, weights: rows.map(() => 1) }]]) });
  assert.equal(store.csvLoads, 0, 'read back, then stored through the staging path');
  assert.deepEqual(await store.rows('events'), [...rows].sort(compareRows));
  const reader = await store.connectReader();
  t.after(() => reader.closeSync());
  const logged = await reader.runAndReadAll(`SELECT count(*) FROM ${changeLogTable('events')}`);
  assert.deepEqual(logged.getRows(), [[BigInt(rows.length)]]);
});

test('rows of another width than their source are not spooled: the store refuses them, naming the source', async (t) => {
  const { spool, commit } = await crossing(t);
  await commit({});
  const rows = rowsOf(MIN_ROWS);
  rows[7] = [1, 'too short'];
  await assert.rejects(
    commit({ raw: new Map([['feed', [rows]]]) }),
    /a row of 2 values for source "feed" of 4 columns/,
  );
  assert.deepEqual(readdirSync(spool), []);
});

/** A table's delta as the engine gives it: rows, weights, their keys and the counts before. */
const tableDelta = (rows: Row[], weights: number[], before: number[]) => ({
  rows,
  weights,
  keys: rows.map(rowIdentity),
  before,
});

test("a table's new rows cross as a file with their keys, by which later changes find them", async (t) => {
  const { store, spool, commit } = await crossing(t);
  const rows = rowsOf(MIN_ROWS + 30);
  const weights = rows.map((_, i) => (i % 4 === 0 ? 2 : 1));
  await commit({
    deltas: new Map([
      [
        'plain',
        tableDelta(
          rows,
          weights,
          rows.map(() => 0),
        ),
      ],
    ]),
  });
  assert.equal(store.csvLoads, 1, 'the new rows went as a file');
  assert.deepEqual(readdirSync(spool), []);
  // Then some go, one copy of a doubled row goes, a row gets a second copy, and new ones come:
  // not only new rows, so they cross as rows and are staged.
  const gone = [0, 1, 2, 5].map((i) => rows[i] as Row);
  const more = rowsOf(3, 5000);
  await commit({
    deltas: new Map([
      [
        'plain',
        tableDelta(
          [...gone, rows[9] as Row, ...more],
          [-2, -1, -1, -1, 1, 1, 1, 1],
          [2, 1, 1, 1, 1, 0, 0, 0],
        ),
      ],
    ]),
  });
  assert.equal(store.csvLoads, 1);
  const expected = [
    ...rows.flatMap((r, i) => {
      const n =
        (weights[i] as number) - (i === 0 ? 2 : i === 1 || i === 2 || i === 5 ? 1 : 0) + (i === 9 ? 1 : 0);
      return Array.from({ length: n }, () => r);
    }),
    ...more,
  ];
  assert.deepEqual(await store.rows('plain'), expected.sort(compareRows));
});

test("a table's new rows spooled while a subscription began to read it are read back with their keys", async (t) => {
  const { store, remote, commit } = await crossing(t);
  await commit({});
  await store.createSubscription('sub', 'plain', 3_600_000);
  remote.setSubscriptions([]);
  const rows = rowsOf(MIN_ROWS + 1);
  await commit({
    deltas: new Map([
      [
        'plain',
        tableDelta(
          rows,
          rows.map(() => 1),
          rows.map(() => 0),
        ),
      ],
    ]),
  });
  assert.equal(store.csvLoads, 0, 'read back, then stored through the staging path');
  await commit({ deltas: new Map([['plain', tableDelta([rows[3] as Row], [-1], [1])]]) });
  const reader = await store.connectReader();
  t.after(() => reader.closeSync());
  const logged = await reader.runAndReadAll(`SELECT count(*) FROM ${changeLogTable('plain')}`);
  assert.deepEqual(logged.getRows(), [[BigInt(rows.length + 1)]]);
  assert.deepEqual(await store.rows('plain'), rows.filter((_, i) => i !== 3).sort(compareRows));
});
