/**
 * The PostgreSQL endpoint of a running `tidewatch start`, with real clients: node-postgres
 * (simple, parameterized and named prepared statements, errors with SQLSTATE and position,
 * 20 concurrent clients, subscriptions and their cursors, query cursors) and psql (the \d
 * family, \x, \timing, \copy, an error). Data comes in through the endpoint itself: a table,
 * a view over it, INSERT and FLUSH; after a restart everything is still there.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type Running, startEmpty } from './endpoint-helpers.ts';

async function connect(port: number): Promise<pg.Client> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'root', database: 'dev' });
  await client.connect();
  return client;
}

/** psql's arguments running `commands` on the endpoint at `port`. */
function psqlArgs(port: number, commands: readonly string[]): string[] {
  const args = [
    '-X',
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-U',
    'root',
    '-d',
    'dev',
    '-v',
    'ON_ERROR_STOP=0',
  ];
  for (const c of commands) args.push('-c', c);
  return args;
}

function psql(
  port: number,
  ...commands: string[]
): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync('psql', psqlArgs(port, commands), { encoding: 'utf8', timeout: 30_000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** Runs `commands` in psql and presses Ctrl-C after `ms` (psql then sends a CancelRequest); its stderr. */
async function psqlInterrupted(port: number, ms: number, ...commands: string[]): Promise<string> {
  const child = spawn('psql', psqlArgs(port, commands));
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += String(d);
  });
  await new Promise((r) => setTimeout(r, ms));
  child.kill('SIGINT');
  await new Promise((r) => child.on('close', r));
  return stderr;
}

const ROWS: [string, string, number][] = [
  ['10.0.0.1', '2024-01-25 12:00:01', 200],
  ['10.0.0.1', '2024-01-25 12:00:02', 404],
  ['10.0.0.2', '2024-01-25 12:00:03', 200],
  ['10.0.0.3', '2024-01-25 12:01:04', 500],
  ['10.0.0.3', '2024-01-25 12:01:05', 200],
  ['10.0.0.3', '2024-01-25 12:01:06', 403],
];

describe('the PostgreSQL endpoint of tidewatch start', { concurrency: false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tw-pg-endpoint-'));
  const dataDir = join(dir, 'data');
  let running: Running;
  let client: pg.Client;

  before(async () => {
    running = await startEmpty(dataDir);
    client = await connect(running.port);
  });
  after(async () => {
    await client?.end().catch(() => undefined);
    const r = await running?.stop();
    rmSync(dir, { recursive: true, force: true });
    assert.equal(r?.code, 0, r?.stderr);
  });

  test('DDL, INSERT and FLUSH go to the engine; queries read the committed views', async () => {
    await client.query('CREATE TABLE hits (ip VARCHAR, at TIMESTAMP, status INT)');
    await client.query(`CREATE MATERIALIZED VIEW per_ip AS
      SELECT ip, COUNT(*) AS n, MAX(status) AS worst, MIN(at) AS first_at FROM hits GROUP BY ip`);
    const insert = await client.query(
      `INSERT INTO hits VALUES ${ROWS.map(([ip, at, s]) => `('${ip}', '${at}', ${s})`).join(', ')}`,
    );
    assert.equal(insert.rowCount, ROWS.length);
    assert.equal((await client.query('FLUSH')).command, 'FLUSH');
    const r = await client.query('SELECT * FROM per_ip ORDER BY ip');
    assert.deepEqual(
      r.fields.map((f) => [f.name, f.dataTypeID]),
      [
        ['ip', 1043],
        ['n', 20],
        ['worst', 23],
        ['first_at', 1114],
      ],
    );
    assert.deepEqual(
      r.rows.map((row) => [row.ip, Number(row.n), row.worst]),
      [
        ['10.0.0.1', 2, 404],
        ['10.0.0.2', 1, 200],
        ['10.0.0.3', 3, 500],
      ],
    );
    const several = await client.query('SELECT 1 AS one; SELECT count(*) AS c FROM hits');
    assert.ok(Array.isArray(several));
    assert.equal(Number((several as unknown as pg.QueryResult[])[1]?.rows[0]?.c), ROWS.length);
  });

  test('an answer given before a commit is not given after it', async () => {
    const count = async () =>
      (await client.query('SELECT count(*) AS c FROM hits WHERE ip = $1', ['10.0.0.5'])).rows[0]?.c;
    assert.equal(await count(), '0');
    assert.equal(await count(), '0');
    await client.query("INSERT INTO hits VALUES ('10.0.0.5', '2024-01-25 12:05:00', 200)");
    await client.query('FLUSH');
    assert.equal(await count(), '1');
    await client.query("DELETE FROM hits WHERE ip = '10.0.0.5'");
    await client.query('FLUSH');
    assert.equal(await count(), '0');
  });

  test('parameters and named prepared statements', async () => {
    const byIp = await client.query('SELECT n, worst FROM per_ip WHERE ip = $1', ['10.0.0.3']);
    assert.deepEqual(byIp.rows, [{ n: '3', worst: 500 }]);
    for (const [ip, n] of [
      ['10.0.0.1', '2'],
      ['10.0.0.2', '1'],
      ['10.0.0.9', undefined],
    ] as const) {
      const r = await client.query({
        name: 'count-of',
        text: 'SELECT n FROM per_ip WHERE ip = $1',
        values: [ip],
      });
      assert.deepEqual(r.rows[0]?.n, n);
    }
    const since = await client.query('SELECT count(*) AS c FROM hits WHERE at >= $1 AND status <> $2', [
      '2024-01-25 12:01:00',
      200,
    ]);
    assert.equal(since.rows[0]?.c, '2');
  });

  test('errors carry SQLSTATE and position, and the session goes on', async () => {
    await assert.rejects(client.query('SELECT * FROM nowhere'), (e: pg.DatabaseError) => {
      assert.equal(e.code, '42P01');
      assert.match(e.message, /nowhere/);
      assert.equal(e.position, '15');
      return true;
    });
    await assert.rejects(client.query('SELEC 1'), (e: pg.DatabaseError) => e.code === '42601');
    await assert.rejects(
      client.query('CREATE TABLE hits (a INT)'),
      (e: pg.DatabaseError) => e.code === '42P07',
    );
    assert.equal((await client.query('SELECT 2 AS two')).rows[0]?.two, 2);
  });

  test('SET, SHOW and RESET are per session, and current_setting sees them', async () => {
    const reported: [string, string][] = [];
    const connection = (client as unknown as { connection: NodeJS.EventEmitter }).connection;
    const onStatus = (m: { parameterName: string; parameterValue: string }) =>
      reported.push([m.parameterName, m.parameterValue]);
    connection.on('parameterStatus', onStatus);
    await client.query("SET application_name = 'dashboard'");
    assert.deepEqual(
      reported,
      [['application_name', 'dashboard']],
      'the change is reported (ParameterStatus)',
    );
    assert.equal((await client.query('SHOW application_name')).rows[0]?.application_name, 'dashboard');
    assert.equal(
      (await client.query("SELECT current_setting('application_name') AS a")).rows[0]?.a,
      'dashboard',
    );
    const other = await connect(running.port);
    assert.equal((await other.query('SHOW application_name')).rows[0]?.application_name, '');
    // The catalog tables are shared by all sessions, but pg_settings is each session's own.
    const setting =
      "SELECT setting, current_setting('application_name') AS a FROM pg_settings WHERE name = 'application_name'";
    assert.deepEqual((await other.query(setting)).rows, [{ setting: '', a: '' }]);
    assert.deepEqual((await client.query(setting)).rows, [{ setting: 'dashboard', a: 'dashboard' }]);
    await other.end();
    const all = await client.query('SHOW ALL');
    assert.ok(all.rows.some((r) => r.name === 'server_version_num' && r.setting === '130014'));
    assert.equal(
      (await client.query('SHOW transaction_isolation')).rows[0]?.transaction_isolation,
      'read committed',
    );
    await client.query('RESET ALL');
    assert.deepEqual(reported.at(-1), ['application_name', '']);
    connection.off('parameterStatus', onStatus);
    assert.equal((await client.query('SHOW application_name')).rows[0]?.application_name, '');
    await assert.rejects(client.query('SHOW no_such_thing'), (e: pg.DatabaseError) => e.code === '42704');
    assert.equal((await client.query('SHOW rw_implicit_flush')).rows[0]?.rw_implicit_flush, 'false');
    // A pool hands the connection to its next client after DISCARD ALL: the settings go back.
    await client.query('SET RW_IMPLICIT_FLUSH TO on');
    assert.equal((await client.query('SHOW rw_implicit_flush')).rows[0]?.rw_implicit_flush, 'true');
    await assert.rejects(
      client.query("SET rw_implicit_flush = 'maybe'"),
      (e: pg.DatabaseError) => e.code === '22023',
    );
    await client.query('DISCARD ALL');
    assert.equal((await client.query('SHOW rw_implicit_flush')).rows[0]?.rw_implicit_flush, 'false');
  });

  test('20 clients at once each get their own answers', async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => connect(running.port)));
    try {
      const answers = await Promise.all(
        clients.map(async (c, i) => {
          const ip = `10.0.0.${(i % 3) + 1}`;
          const rounds: string[] = [];
          for (let k = 0; k < 10; k++)
            rounds.push((await c.query('SELECT n FROM per_ip WHERE ip = $1', [ip])).rows[0]?.n);
          return rounds;
        }),
      );
      answers.forEach((rounds, i) => {
        assert.deepEqual(rounds, new Array(10).fill(['2', '1', '3'][i % 3]));
      });
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  test('a subscription cursor follows a view: a FULL snapshot, then its changes', async () => {
    await client.query("CREATE SUBSCRIPTION per_ip_changes FROM per_ip WITH (retention = '1D')");
    await client.query('DECLARE snap SUBSCRIPTION CURSOR FOR per_ip_changes FULL');
    await client.query('DECLARE live SUBSCRIPTION CURSOR FOR per_ip_changes');
    await client.query('CREATE SUBSCRIPTION hits_changes FROM hits');
    await client.query('DECLARE raw SUBSCRIPTION CURSOR FOR hits_changes');
    const snapshot = await client.query('FETCH 10 FROM snap');
    assert.deepEqual(
      snapshot.fields.map((f) => f.name),
      ['ip', 'n', 'worst', 'first_at', 'op', 'rw_timestamp'],
    );
    assert.deepEqual(snapshot.rows.map((r) => [r.ip, r.op, r.rw_timestamp]).sort(), [
      ['10.0.0.1', 'Insert', null],
      ['10.0.0.2', 'Insert', null],
      ['10.0.0.3', 'Insert', null],
    ]);
    assert.deepEqual((await client.query('FETCH NEXT FROM live')).rows, [], 'nothing new yet');
    const other = await connect(running.port);
    const waiting = client.query("FETCH 10 FROM live WITH (timeout = '10s')");
    const before = Date.now();
    await other.query("INSERT INTO hits VALUES ('10.0.0.2', '2024-01-25 12:02:00', 503)");
    await other.end();
    const changes = await waiting;
    assert.ok(Date.now() - before < 9_000, 'the FETCH woke at the commit, not at its timeout');
    assert.deepEqual(
      changes.rows.map((r) => [r.op, r.ip, Number(r.n), r.worst]),
      [
        ['UpdateDelete', '10.0.0.2', 1, 200],
        ['UpdateInsert', '10.0.0.2', 2, 503],
      ],
    );
    assert.ok(Number(changes.rows[0]?.rw_timestamp) > Date.now() - 60_000);
    // A table without a primary key has no key to pair changes by: an insertion is an Insert.
    const inserted = await client.query('FETCH 10 FROM raw');
    assert.deepEqual(
      inserted.rows.map((r) => [r.op, r.ip, r.status]),
      [['Insert', '10.0.0.2', 503]],
    );
    // As in RisingWave, a subscription keeps its view from a DROP without CASCADE.
    await assert.rejects(
      client.query('DROP MATERIALIZED VIEW per_ip'),
      (e: pg.DatabaseError) =>
        e.code === '2BP01' && e.detail === 'subscription per_ip_changes depends on materialized view per_ip',
    );
    await client.query('CREATE MATERIALIZED VIEW doomed AS SELECT ip FROM hits');
    await client.query('CREATE SUBSCRIPTION doomed_changes FROM doomed');
    await client.query('DROP MATERIALIZED VIEW doomed CASCADE');
    await assert.rejects(
      client.query('DECLARE gone SUBSCRIPTION CURSOR FOR doomed_changes'),
      (e: pg.DatabaseError) => e.code === '42704',
    );
    await client.query('DROP SUBSCRIPTION hits_changes');
    await client.query('CLOSE live');
    await assert.rejects(client.query('FETCH NEXT FROM live'), (e: pg.DatabaseError) => e.code === '34000');
  });

  test('a query cursor hands out its result FETCH by FETCH', async () => {
    await client.query('BEGIN');
    await client.query(
      'DECLARE q CURSOR FOR SELECT ip, status FROM hits WHERE status >= $1 ORDER BY at',
      [200],
    );
    const first = await client.query('FETCH FORWARD 2 FROM q');
    const rest = await client.query('FETCH ALL FROM q');
    await client.query('CLOSE q');
    await client.query('COMMIT');
    assert.deepEqual(
      [...first.rows, ...rest.rows].map((r) => r.status),
      [200, 404, 200, 500, 200, 403, 503],
    );
    assert.equal(first.rows.length, 2);
  });

  test('psql: the \\d family, \\x, \\timing, \\copy and an error', () => {
    const dt = psql(running.port, '\\dt');
    assert.match(dt.stdout, /public +\| hits +\| table/);
    assert.match(dt.stdout, /rw_catalog \| rw_sources +\| table/, 'rw_catalog is on the search path');
    const dm = psql(running.port, '\\dm');
    assert.match(dm.stdout, /public \| per_ip +\| materialized view/);
    const d = psql(running.port, '\\d per_ip');
    assert.match(d.stdout, /ip +\| character varying/, d.stderr);
    assert.match(d.stdout, /first_at +\| timestamp without time zone/, d.stderr);
    const l = psql(running.port, '\\l');
    assert.match(l.stdout, /\bdev\b/, l.stderr);
    const x = psql(running.port, '\\x on', "SELECT ip, n FROM per_ip WHERE ip = '10.0.0.3'");
    assert.match(x.stdout, /-\[ RECORD 1 \]-*\nip +\| 10\.0\.0\.3\nn +\| 3/);
    const timing = psql(running.port, '\\timing on', 'SELECT 1');
    assert.match(timing.stdout, /Time: \d+\.\d+ ms/);
    const copy = psql(running.port, '\\copy (SELECT ip, n FROM per_ip ORDER BY ip) to stdout');
    assert.equal(copy.stdout, '10.0.0.1\t2\n10.0.0.2\t2\n10.0.0.3\t3\n', copy.stderr);
    const error = psql(running.port, 'SELECT nope FROM per_ip');
    assert.match(error.stderr, /ERROR: +column "nope" does not exist/);
  });

  test('a cancelled query and clients vanishing mid-query leave the server and other sessions working', async () => {
    const heavy =
      'SELECT sum(a.x * b.x) FROM generate_series(1, 100000) a(x), generate_series(1, 100000) b(x)';
    // The interrupt comes once psql has surely sent the statement, also on a loaded machine (a
    // SIGINT before that ends psql without cancelling anything); the query runs far longer.
    assert.match(await psqlInterrupted(running.port, 2000, heavy), /canceling statement due to user request/);
    // A FETCH waiting for changes is cancelled too, long before its timeout.
    const started = Date.now();
    const waiting = await psqlInterrupted(
      running.port,
      2500,
      'DECLARE w SUBSCRIPTION CURSOR FOR per_ip_changes',
      "FETCH 1 FROM w WITH (timeout = '30s')",
    );
    assert.match(waiting, /canceling statement due to user request/);
    assert.ok(Date.now() - started < 10_000);
    for (let i = 0; i < 3; i++) {
      const gone = await connect(running.port);
      gone.on('error', () => undefined); // its own socket, destroyed below
      const query = gone.query(heavy).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 200));
      (gone as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
      await query;
    }
    assert.equal((await client.query('SELECT count(*) AS c FROM hits')).rows[0]?.c, '7');
  });

  test('after a restart the table, the view and the subscription are all there', async () => {
    await client.end();
    const r = await running.stop();
    assert.equal(r.code, 0, r.stderr);
    running = await startEmpty(dataDir);
    client = await connect(running.port);
    const rows = await client.query('SELECT ip, n FROM per_ip ORDER BY ip');
    assert.deepEqual(
      rows.rows.map((row) => [row.ip, Number(row.n)]),
      [
        ['10.0.0.1', 2],
        ['10.0.0.2', 2],
        ['10.0.0.3', 3],
      ],
    );
    await client.query('DECLARE again SUBSCRIPTION CURSOR FOR per_ip_changes SINCE begin()');
    const changes = await client.query('FETCH 10 FROM again');
    assert.deepEqual(
      changes.rows.map((row) => [row.op, row.ip]),
      [
        ['UpdateDelete', '10.0.0.2'],
        ['UpdateInsert', '10.0.0.2'],
      ],
    );
    await client.query("INSERT INTO hits VALUES ('10.0.0.4', '2024-01-25 12:03:00', 200)");
    await client.query('FLUSH');
    assert.equal((await client.query('SELECT count(*) AS c FROM per_ip')).rows[0]?.c, '4');
  });
});
