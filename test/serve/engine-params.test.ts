/**
 * Bind parameters of engine statements through the PostgreSQL endpoint of a running
 * `tidewatch start`, with node-postgres: parameterized INSERT (also a named prepared
 * statement run again and again), UPDATE and DELETE, their rows read back with SELECT.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type Running, startEmpty } from './endpoint-helpers.ts';

/** Every column as the text the server sent: no client-side parsing of dates or numbers. */
const asText = { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig;

describe('bind parameters of engine statements over the PostgreSQL endpoint', { concurrency: false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tw-engine-params-'));
  let running: Running;
  let client: pg.Client;

  const rows = async () =>
    (await client.query('SELECT id, name, at, amount, ok FROM items ORDER BY id')).rows.map((r) => [
      r.id,
      r.name,
      r.at,
      r.amount,
      r.ok,
    ]);

  before(async () => {
    running = await startEmpty(join(dir, 'data'));
    client = new pg.Client({
      host: '127.0.0.1',
      port: running.port,
      user: 'root',
      database: 'dev',
      types: asText,
    });
    await client.connect();
    await client.query(
      'CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR, at TIMESTAMP, amount INT, ok BOOLEAN)',
    );
  });
  after(async () => {
    await client?.end().catch(() => undefined);
    const r = await running?.stop();
    rmSync(dir, { recursive: true, force: true });
    assert.equal(r?.code, 0, r?.stderr);
  });

  test('parameterized INSERTs, a named prepared INSERT run again, then FLUSH', async () => {
    const one = await client.query('INSERT INTO items VALUES ($1, $2, $3, $4, $5)', [
      1,
      "it's",
      '2024-01-25 12:00:01',
      10,
      true,
    ]);
    assert.equal(one.command, 'INSERT');
    assert.equal(one.rowCount, 1);
    await client.query('INSERT INTO items (ok, id) VALUES ($1, $2)', [false, 2]);
    for (const [id, name, amount] of [
      [3, 'c', 30],
      [4, null, 40],
      [5, 'e', null],
    ] as const) {
      const r = await client.query({
        name: 'add-item',
        text: 'INSERT INTO items (id, name, at, amount, ok) VALUES ($1, $2, $3, $4, $5)',
        values: [id, name, '2024-01-25 12:01:00', amount, id % 2 === 1],
      });
      assert.equal(r.rowCount, 1);
    }
    assert.equal((await client.query('FLUSH')).command, 'FLUSH');
    assert.deepEqual(await rows(), [
      ['1', "it's", '2024-01-25 12:00:01', '10', 't'],
      ['2', null, null, null, 'f'],
      ['3', 'c', '2024-01-25 12:01:00', '30', 't'],
      ['4', null, '2024-01-25 12:01:00', '40', 'f'],
      ['5', 'e', '2024-01-25 12:01:00', null, 't'],
    ]);
  });

  test('parameterized UPDATE and DELETE', async () => {
    const updated = await client.query(
      'UPDATE items SET name = $1, amount = amount + $2 WHERE ok = $3 AND at >= $4',
      ['late', 1, true, '2024-01-25 12:00:30'],
    );
    assert.equal(updated.command, 'UPDATE');
    assert.equal(updated.rowCount, 2);
    const deleted = await client.query(
      'DELETE FROM items WHERE id = $1 OR name IS NULL AND amount > $2',
      [2, 35],
    );
    assert.equal(deleted.command, 'DELETE');
    assert.equal(deleted.rowCount, 2);
    await client.query('FLUSH');
    assert.deepEqual(await rows(), [
      ['1', "it's", '2024-01-25 12:00:01', '10', 't'],
      ['3', 'late', '2024-01-25 12:01:00', '31', 't'],
      ['5', 'late', '2024-01-25 12:01:00', null, 't'],
    ]);
  });

  test('a parameter in CREATE MATERIALIZED VIEW is refused, and the session goes on', async () => {
    await assert.rejects(
      client.query('CREATE MATERIALIZED VIEW big AS SELECT * FROM items WHERE amount > $1', [5]),
      (e: pg.DatabaseError) => e.code === '0A000' && /CREATE MATERIALIZED VIEW/.test(e.message),
    );
    assert.equal((await client.query('SELECT count(*) AS n FROM items WHERE id > $1', [0])).rows[0]?.n, '3');
  });
});
