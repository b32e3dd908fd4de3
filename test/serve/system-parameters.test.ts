/**
 * RisingWave's system parameters through the PostgreSQL endpoint of the real `tidewatch start`:
 * `SHOW PARAMETERS` lists barrier_interval_ms; `ALTER SYSTEM SET barrier_interval_ms` changes how
 * often epochs end for everyone at once, is refused with PostgreSQL's SQLSTATEs when wrong, and
 * is kept across a restart; `--barrier-interval-ms` wins for its run.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { RestartableServer } from '../helpers/restartable-server.ts';

const ARGS = ['--pipeline', 'none', '--no-generator', '--status-interval', '60'];

let dir: string;
let server: RestartableServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tw-system-parameters-'));
  server = new RestartableServer({ dataDir: join(dir, 'data'), args: ARGS });
  await server.start();
});

after(async () => {
  await server?.dispose();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function parameters(client: pg.Client, extended = false): Promise<Record<string, unknown[]>> {
  const result = await client.query({
    text: 'SHOW PARAMETERS',
    rowMode: 'array',
    ...(extended ? { name: 'show-parameters' } : {}),
  });
  assert.deepEqual(
    result.fields.map((f) => f.name),
    ['Name', 'Value', 'Description', 'Mutable'],
  );
  return Object.fromEntries(result.rows.map((r: unknown[]) => [r[0], [r[1], r[3]]]));
}

/** Epochs that end within `ms` of the wall clock, as /api/status counts them. */
async function epochsWithin(ms: number): Promise<number> {
  const epoch = async () =>
    ((await (await fetch(`${server.httpUrl}/api/status`)).json()) as { epoch: number }).epoch;
  const first = await epoch();
  await new Promise((r) => setTimeout(r, ms));
  return (await epoch()) - first;
}

async function sqlstate(client: pg.Client, sql: string): Promise<string> {
  try {
    await client.query(sql);
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'no error';
}

test('SHOW PARAMETERS lists the barrier interval, and ALTER SYSTEM SET changes it for every session', async () => {
  const client = await server.connect();
  const other = await server.connect();
  try {
    assert.deepEqual((await parameters(client)).barrier_interval_ms, ['1000', true]);
    assert.deepEqual((await parameters(client, true)).checkpoint_frequency, ['1', false]);
    assert.ok((await epochsWithin(1500)) <= 3, 'about one epoch a second');
    const done = await client.query('ALTER SYSTEM SET barrier_interval_ms = 100');
    assert.equal(done.command, 'ALTER'); // node-postgres keeps the tag's first word of ALTER_SYSTEM
    assert.deepEqual((await parameters(other)).barrier_interval_ms, ['100', true]);
    const fast = await epochsWithin(1500);
    assert.ok(fast >= 6, `${fast} epochs in 1.5 s at 100 ms`);
  } finally {
    await client.end();
    await other.end();
  }
});

test('a wrong ALTER SYSTEM is refused with a SQLSTATE and changes nothing', async () => {
  const client = await server.connect();
  try {
    const before = (await parameters(client)).barrier_interval_ms;
    assert.equal(await sqlstate(client, 'ALTER SYSTEM SET barrier_interval_ms = 5'), '22023');
    assert.equal(await sqlstate(client, "ALTER SYSTEM SET barrier_interval_ms = 'soon'"), '22023');
    assert.equal(await sqlstate(client, 'ALTER SYSTEM SET no_such_parameter = 1'), '42704');
    assert.equal(await sqlstate(client, 'ALTER SYSTEM SET checkpoint_frequency = 2'), '55P02');
    assert.equal(await sqlstate(client, 'ALTER SYSTEM SET barrier_interval_ms'), '42601');
    assert.deepEqual((await parameters(client)).barrier_interval_ms, before);
    assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1, 'the session goes on');
  } finally {
    await client.end();
  }
});

test('the barrier interval is kept across a restart; the start flag wins for its run; DEFAULT resets it', async () => {
  let client = await server.connect();
  await client.query("ALTER SYSTEM SET barrier_interval_ms TO '250'");
  await client.end();
  await server.restart();
  client = await server.connect();
  assert.deepEqual((await parameters(client)).barrier_interval_ms, ['250', true]);
  await client.end();
  await server.restart([...ARGS, '--barrier-interval-ms', '400']);
  client = await server.connect();
  try {
    assert.deepEqual((await parameters(client)).barrier_interval_ms, ['400', true]);
    await client.query('ALTER SYSTEM SET barrier_interval_ms = DEFAULT');
    assert.deepEqual((await parameters(client)).barrier_interval_ms, ['1000', true]);
  } finally {
    await client.end();
  }
  await server.restart(ARGS);
  client = await server.connect();
  try {
    assert.deepEqual((await parameters(client)).barrier_interval_ms, ['1000', true]);
  } finally {
    await client.end();
  }
});
