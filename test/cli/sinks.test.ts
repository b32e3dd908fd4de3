/**
 * Sinks of a real `tidewatch start`, driven through its PostgreSQL endpoint with node-postgres:
 * a file sink's lines are the view's changes (replayed, they make the view), a log sink prints
 * a line per change, an alert sink over a detections-shaped view goes firing → resolved and is
 * throttled per actor and scenario with what it holds back counted; sinks survive a restart,
 * keep their view from a DROP without CASCADE, and what could never deliver is refused at
 * CREATE with RisingWave's SQLSTATEs.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { type RestartableServer, startEmptyServer, stopEmptyServer } from '../helpers/restartable-server.ts';
import { waitFor } from './ingestion-helpers.ts';

interface Line {
  readonly dedup_key: string;
  readonly op: string;
  readonly status: string;
  readonly row: Record<string, unknown>;
  readonly held_back: number;
}

let dir: string;
let server: RestartableServer;
let client: pg.Client;

before(async () => {
  ({ dir, server, client } = await startEmptyServer('tw-sinks-'));
});

after(() => stopEmptyServer({ dir, server, client }));

function lines(path: string): Line[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);
}

/**
 * Waits until `file` has `n` lines and its sink has delivered everything queued (a sink's
 * status says idle until it has looked at the queue again after a commit: the lines come first).
 */
async function delivered(file: string, n: number, sink: string): Promise<Line[]> {
  await waitFor(`${n} lines in ${file}`, async () => (lines(file).length >= n ? true : undefined), {
    describe: () => `${lines(file).length} lines`,
  });
  await drained(sink);
  return lines(file);
}

/** Waits until the sink has delivered everything queued. */
async function drained(sink: string): Promise<void> {
  await waitFor(`sink ${sink} to deliver everything`, async () => {
    const { rows } = await client.query('SELECT state, pending FROM tidewatch_sinks WHERE sink_name = $1', [
      sink,
    ]);
    const r = rows[0] as { state: string; pending: string } | undefined;
    return r?.state === 'idle' && r.pending === '0' ? true : undefined;
  });
}

async function sqlState(sql: string): Promise<string> {
  try {
    await client.query(sql);
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'no error';
}

describe('file and log sinks', () => {
  test("the file's lines are the view's changes, its snapshot first; the log prints each", async () => {
    await client.query('CREATE TABLE hits (actor VARCHAR, path VARCHAR)');
    await client.query(
      'CREATE MATERIALIZED VIEW per_actor AS SELECT actor, count(*) AS hits FROM hits GROUP BY actor',
    );
    await client.query("INSERT INTO hits VALUES ('a', '/'), ('b', '/x')");
    const file = join(dir, 'per-actor.ndjson');
    await client.query(
      `CREATE SINK per_actor_file FROM per_actor WITH (connector = 'file', path = '${file}')`,
    );
    await client.query(
      "CREATE SINK per_actor_log FROM per_actor WITH (connector = 'log', target = 'stderr')",
    );
    await client.query("INSERT INTO hits VALUES ('a', '/y'), ('c', '/z')");
    await client.query("DELETE FROM hits WHERE actor = 'b'");
    await client.query("INSERT INTO hits VALUES ('a', '/w')");
    const got = await delivered(file, 6, 'per_actor_file');
    await drained('per_actor_log');
    assert.deepEqual(
      got.map((l) => [l.status, l.op, l.row.actor, l.row.hits]),
      [
        ['firing', 'insert', 'a', 1],
        ['firing', 'insert', 'b', 1],
        ['firing', 'update', 'a', 2],
        ['firing', 'insert', 'c', 1],
        ['resolved', 'delete', 'b', 1],
        ['firing', 'update', 'a', 3],
      ],
    );
    assert.equal(new Set(got.map((l) => l.dedup_key)).size, got.length);
    // Replayed by primary key, the lines make the view.
    const replay = new Map<unknown, number>();
    for (const l of got) {
      if (l.status === 'resolved') replay.delete(l.row.actor);
      else replay.set(l.row.actor, l.row.hits as number);
    }
    const { rows } = await client.query('SELECT actor, hits FROM per_actor ORDER BY actor');
    assert.deepEqual(
      [...replay].sort(),
      rows.map((r: { actor: string; hits: string }) => [r.actor, Number(r.hits)]),
    );
    await waitFor('the log lines', async () =>
      (server.stderr.match(/tidewatch sink per_actor_log: /g) ?? []).length >= 6 ? true : undefined,
    );
    assert.match(
      server.stderr,
      /tidewatch sink per_actor_log: RESOLVED delete \{"actor":"b","hits":1\} \(per_actor_log:\d+:\d+\)/,
    );
  });

  test('sinks survive a restart, deliver what came meanwhile, and keep their view from a DROP without CASCADE', async () => {
    const file = join(dir, 'per-actor.ndjson');
    const before = lines(file).length;
    await client.end();
    await server.restart();
    client = await server.connect();
    await client.query('SET RW_IMPLICIT_FLUSH TO true');
    const { rows: shown } = await client.query('SHOW SINKS');
    assert.deepEqual(
      shown.map((r: { Name: string }) => r.Name),
      ['per_actor_file', 'per_actor_log'],
    );
    await client.query("INSERT INTO hits VALUES ('d', '/')");
    const added = (await delivered(file, before + 1, 'per_actor_file')).slice(before);
    assert.deepEqual(
      added.map((l) => [l.status, l.row.actor]),
      [['firing', 'd']],
    );
    assert.equal(await sqlState('DROP MATERIALIZED VIEW per_actor'), '2BP01');
    const { rows: listed } = await client.query(
      'SELECT name, connector, sink_type, definition FROM rw_sinks ORDER BY name',
    );
    assert.deepEqual(
      listed.map((r: { name: string; connector: string; sink_type: string }) => [
        r.name,
        r.connector,
        r.sink_type,
      ]),
      [
        ['per_actor_file', 'FILE', 'SINK_TYPE_UPSERT'],
        ['per_actor_log', 'LOG', 'SINK_TYPE_UPSERT'],
      ],
    );
    await client.query('DROP SINK per_actor_log');
    await client.query('DROP MATERIALIZED VIEW per_actor CASCADE');
    const { rows: none } = await client.query('SHOW SINKS');
    assert.deepEqual(none, []);
  });
});

describe('alerts over a detections-shaped view', () => {
  test('firing → resolved, and at most one notification per actor and scenario per period, the rest counted', async () => {
    await client.query(`CREATE TABLE found (
      scenario VARCHAR, actor VARCHAR, window_start TIMESTAMP, window_end TIMESTAMP,
      severity VARCHAR, evidence VARCHAR, PRIMARY KEY (scenario, actor, window_start))`);
    await client.query(
      'CREATE MATERIALIZED VIEW detected AS SELECT scenario, actor, window_start, window_end, severity, evidence FROM found',
    );
    const file = join(dir, 'alerts.ndjson');
    await client.query(`CREATE SINK alerts FROM detected WITH (
      connector = 'file', path = '${file}', type = 'upsert',
      primary_key = 'scenario, actor, window_start',
      throttle.key = 'actor, scenario', throttle.period = '1 hour')`);
    const detect = (scenario: string, actor: string, minute: number, evidence: string) =>
      client.query(
        `INSERT INTO found VALUES ($1, $2, TIMESTAMP '2024-01-25 12:00:00' + $3 * INTERVAL '1 minute',
           TIMESTAMP '2024-01-25 12:01:00' + $3 * INTERVAL '1 minute', 'high', $4)`,
        [scenario, actor, minute, evidence],
      );
    await detect('brute-force', '203.0.113.7', 0, '5 failed logins');
    await detect('brute-force', '203.0.113.7', 1, '7 failed logins'); // held back: same actor and scenario
    await detect('path-scan', '203.0.113.7', 0, '12 paths'); // another scenario: notified
    await client.query(
      "UPDATE found SET evidence = '9 failed logins' WHERE scenario = 'brute-force' AND window_start = '2024-01-25 12:00:00'",
    ); // an update of a notified alert within the period: held back
    await client.query(
      "DELETE FROM found WHERE scenario = 'brute-force' AND window_start = '2024-01-25 12:01:00'",
    ); // never notified: held back
    await client.query("DELETE FROM found WHERE scenario = 'brute-force'"); // the notified one resolves
    assert.deepEqual(
      (await delivered(file, 3, 'alerts')).map((l) => [
        l.status,
        l.op,
        l.row.scenario,
        l.row.window_start,
        l.row.evidence,
        l.held_back,
      ]),
      [
        ['firing', 'insert', 'brute-force', '2024-01-25T12:00:00.000', '5 failed logins', 0],
        ['firing', 'insert', 'path-scan', '2024-01-25T12:00:00.000', '12 paths', 0],
        ['resolved', 'delete', 'brute-force', '2024-01-25T12:00:00.000', '9 failed logins', 3],
      ],
    );
    const { rows } = await client.query(
      "SELECT delivered, held_back, dead_letters FROM tidewatch_sinks WHERE sink_name = 'alerts'",
    );
    assert.deepEqual(rows, [{ delivered: '3', held_back: '3', dead_letters: '0' }]);
  });

  test('after the period, the next firing of a key is notified again', async () => {
    const file = join(dir, 'short.ndjson');
    await client.query(`CREATE SINK short FROM detected WITH (
      connector = 'file', path = '${file}', snapshot = 'false',
      throttle.key = 'actor', throttle.period = '1 second')`);
    const at = (m: number) => `TIMESTAMP '2024-01-25 13:00:00' + INTERVAL '${m} minutes'`;
    await client.query(`INSERT INTO found VALUES ('flood', '198.51.100.1', ${at(0)}, ${at(1)}, 'low', 'a')`);
    await client.query(`INSERT INTO found VALUES ('flood', '198.51.100.1', ${at(1)}, ${at(2)}, 'low', 'b')`);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await client.query(`INSERT INTO found VALUES ('flood', '198.51.100.1', ${at(2)}, ${at(3)}, 'low', 'c')`);
    assert.deepEqual(
      (await delivered(file, 2, 'short')).map((l) => [l.row.evidence, l.held_back]),
      [
        ['a', 0],
        ['c', 1],
      ],
    );
  });
});

describe('what CREATE SINK refuses', () => {
  test('unknown connector 0A000, bad or missing options 22023, unknown relation 42P01, names taken 42P07', async () => {
    await client.query('CREATE TABLE plain (id INT, v VARCHAR)');
    const refused: [string, string][] = [
      ["CREATE SINK s FROM plain WITH (connector = 'smtp')", '0A000'],
      [
        "CREATE SINK s FROM plain WITH (connector = 'kafka', topic = 't', properties.bootstrap.server = 'h:1', type = 'debezium')",
        '0A000',
      ],
      ["CREATE SINK s FROM plain WITH (connector = 'file', path = 'x') FORMAT PLAIN ENCODE AVRO", '0A000'],
      ["CREATE SINK s AS SELECT * FROM plain WITH (connector = 'log')", '0A000'],
      ["CREATE SINK s FROM plain WITH (path = 'x')", '22023'],
      ["CREATE SINK s FROM plain WITH (connector = 'webhook')", '22023'],
      ["CREATE SINK s FROM plain WITH (connector = 'webhook', url = 'ftp://host/x')", '22023'],
      ["CREATE SINK s FROM plain WITH (connector = 'webhook', url = 'http://h/', timeout = 'soon')", '22023'],
      ["CREATE SINK s FROM plain WITH (connector = 'webhook', url = 'http://h/', payload = 'xml')", '22023'],
      ["CREATE SINK s FROM plain WITH (connector = 'file', path = 'x', colour = 'red')", '22023'],
      ["CREATE SINK s FROM plain WITH (connector = 'file', path = 'x', primary_key = 'nope')", '22023'],
      [
        "CREATE SINK s FROM plain WITH (connector = 'file', path = 'x', throttle.period = '0 seconds')",
        '22023',
      ],
      ["CREATE SINK s FROM plain WITH (connector = 'file', path = 'x', throttle.key = 'id')", '22023'],
      ["CREATE SINK s FROM plain WITH (connector = 'file', path = 'x', type = 'append-only')", '22023'],
      [
        "CREATE SINK s FROM plain WITH (connector = 'file', path = 'x', type = 'upsert') FORMAT PLAIN ENCODE JSON",
        '22023',
      ],
      [
        "CREATE SINK s FROM plain WITH (connector = 'kafka', topic = 't', properties.bootstrap.server = 'h:1')",
        '22023',
      ],
      [
        "CREATE SINK s FROM plain WITH (connector = 'kafka', topic = 't', properties.bootstrap.server = 'nohost', type = 'upsert')",
        '22023',
      ],
      ["CREATE SINK s FROM nowhere WITH (connector = 'log')", '42P01'],
      ["CREATE SINK plain FROM plain WITH (connector = 'log')", '42P07'],
      ['DROP SINK nothing_here', '42704'],
    ];
    const got = [];
    for (const [sql] of refused) got.push([sql, await sqlState(sql)]);
    assert.deepEqual(got, refused);
    // A retracting relation can be sunk append-only when forced, as in RisingWave.
    await client.query(
      "CREATE SINK forced FROM plain WITH (connector = 'blackhole', force_append_only = 'true') FORMAT PLAIN ENCODE JSON",
    );
    assert.equal(await sqlState("CREATE SINK forced FROM plain WITH (connector = 'blackhole')"), '42P07');
    await client.query("CREATE SINK IF NOT EXISTS forced FROM plain WITH (connector = 'blackhole')");
    await client.query('DROP SINK forced');
    await client.query('DROP SINK IF EXISTS forced');
  });
});
