/**
 * The DML log: a restored engine that replays it gets the tables of the original; a change too
 * large for one record is written in parts and applied whole, and parts a crash cut short are
 * skipped, also when later records follow them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeWrite, TableLog } from '../../src/connectors/table-log.ts';
import { Engine } from '../../src/engine/engine.ts';
import { readCopyRows } from '../../src/serve/copy-from.ts';
import { type CopyFromCommand, copyCommand } from '../../src/sql/copy-statement.ts';
import { scan } from '../../src/sql/tokens.ts';
import { DurableLog } from '../../src/store/durable-log.ts';

const SCHEMA =
  'CREATE TABLE t (id INT PRIMARY KEY, note VARCHAR); CREATE MATERIALIZED VIEW n AS SELECT count(*) AS c FROM t';
const MAX = 2000;

async function engine(): Promise<Engine> {
  const e = new Engine({ autoEpoch: false });
  await e.execute(SCHEMA);
  return e;
}

function rows(from: number, to: number): [number, string][] {
  return Array.from({ length: to - from }, (_, i) => [from + i, `note ${from + i} ${'x'.repeat(i % 50)}`]);
}

test('large changes go in parts and come back whole; the restored tables equal the original', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tw-table-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const original = await engine();
  const log = DurableLog.open(join(dir, 'log'), { fsync: 'never', maxRecordBytes: MAX });
  const tableLog = new TableLog(original, log, 0);
  tableLog.follow();
  original.insert('t', rows(0, 300));
  await original.execute("UPDATE t SET note = 'updated' WHERE id % 3 = 0");
  await original.execute('DELETE FROM t WHERE id % 7 = 0');
  original.insert('t', rows(250, 400)); // upserts over existing keys
  original.flush();
  assert.ok(log.nextOffset > 10, `the changes took ${log.nextOffset} records`);

  const restored = await engine();
  const replayed = new TableLog(restored, log, 0).replay();
  restored.flush();
  assert.equal(replayed, 4);
  assert.deepEqual(restored.rows('t'), original.rows('t'));
  assert.deepEqual(restored.rows('n'), original.rows('n'));
  log.close();
});

test('the parts of a change a crash cut short are skipped, and what follows them applies', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tw-table-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = DurableLog.open(join(dir, 'log'), { fsync: 'never', maxRecordBytes: MAX });
  const big = encodeWrite({ kind: 'insert', table: 't', rows: rows(0, 200) }, MAX);
  assert.ok(big.length > 2);
  log.append(big.slice(0, -1)); // the crash came before the last part
  log.append(encodeWrite({ kind: 'insert', table: 't', rows: rows(1000, 1002) }, MAX));
  log.append(big.slice(0, 2)); // again, and the log ends there
  const e = await engine();
  assert.equal(new TableLog(e, log, 0).replay(), 1);
  e.flush();
  assert.deepEqual(e.rows('t'), rows(1000, 1002));
  log.close();
});

test('a bulk INSERT is kept as its statement, and replays into the same rows, types converted again', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tw-table-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const schema =
    'CREATE TABLE w (id INT PRIMARY KEY, at TIMESTAMP, amount NUMERIC, big BIGINT, ok BOOLEAN, note VARCHAR); ' +
    'CREATE MATERIALIZED VIEW s AS SELECT count(*) AS c, sum(amount) AS total FROM w';
  const original = new Engine({ autoEpoch: false });
  await original.execute(schema);
  const log = DurableLog.open(join(dir, 'log'), { fsync: 'never' });
  new TableLog(original, log, 0).follow();
  const values = Array.from(
    { length: 500 },
    (_, i) =>
      `(${i}, '2024-01-25 12:00:${String(i % 60).padStart(2, '0')}.25', ${i}.10, ${9007199254740993n + BigInt(i)}, ${i % 2 === 0 ? 'TRUE' : 'NULL'}, 'it''s ${i}')`,
  );
  const statement = `INSERT INTO public.W (id, at, amount, big, ok, note) VALUES ${values.join(', ')}`;
  await original.execute(statement);
  await original.execute("INSERT INTO w VALUES (1, NULL, 0.5, 1, FALSE, 'upsert')"); // an upsert over id 1
  original.flush();
  assert.equal(log.nextOffset, 2);
  const first = log.read(0, { maxRecords: 1 }).records[0] as Uint8Array;
  assert.ok(
    first.byteLength < Buffer.byteLength(statement) + 200,
    `the record (${first.byteLength} bytes) is the statement (${Buffer.byteLength(statement)} bytes)`,
  );

  const restored = new Engine({ autoEpoch: false });
  await restored.execute(schema);
  assert.equal(new TableLog(restored, log, 0).replay(), 2);
  restored.flush();
  assert.deepEqual(restored.rows('w'), original.rows('w'));
  assert.deepEqual(restored.rows('s'), original.rows('s'));
  assert.equal(restored.rows('w').length, 500);
  log.close();
});

test('a COPY is kept as its data, in parts; replay reads the rows again, and skips a COPY a crash cut short', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tw-table-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const original = await engine();
  const log = DurableLog.open(join(dir, 'log'), { fsync: 'never', maxRecordBytes: 8192 });
  new TableLog(original, log, 0, readCopyRows).follow();
  const csv = rows(0, 400).map(([id, note]) => `${id},"${note}, said ""${id}"""\n`);
  const command = copyCommand(
    'COPY t (id, note) FROM STDIN (FORMAT csv)',
    scan('COPY t (id, note) FROM STDIN (FORMAT csv)'),
  ) as CopyFromCommand;
  const data = [Buffer.from(csv.slice(0, 150).join('')), Buffer.from(csv.slice(150).join(''))];
  const { rows: copied } = readCopyRows(command, Buffer.concat(data), original.relations());
  original.insert('t', copied, { kind: 'copy', command, data });
  original.flush();
  const records = log.nextOffset;
  assert.ok(records > 3, `the COPY took ${records} records`);
  // The same COPY again, cut short by a crash before its last part: it must not apply.
  const cut = encodeWrite(
    {
      kind: 'insert',
      table: 't',
      rows: copied.map(([id, note]) => [Number(id) + 1000, note ?? null]),
      writtenAs: { kind: 'copy', command, data: [Buffer.from(csv.map((l) => `1${l}`).join(''))] },
    },
    8192,
  );
  log.append(cut.slice(0, -1));

  const restored = await engine();
  assert.equal(new TableLog(restored, log, 0, readCopyRows).replay(), 1);
  restored.flush();
  assert.deepEqual(restored.rows('t'), original.rows('t'));
  assert.equal(restored.rows('t').length, 400);
  assert.equal(restored.rows('t')[7]?.[1], 'note 7 xxxxxxx, said "7"');
  // Without a reader, a logged COPY is an error that says so, not rows silently lost.
  assert.throws(() => new TableLog(new Engine({ autoEpoch: false }), log, 0).replay(), /is a COPY/);
  log.close();
});
