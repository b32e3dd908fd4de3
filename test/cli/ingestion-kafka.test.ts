/**
 * Kafka sources created through the PostgreSQL endpoint of a real `tidewatch start`, reading a
 * real Kafka-protocol broker (librdkafka's mock): messages that are not records go to
 * `tidewatch_dead_letters` with their partition and offset while good ones keep flowing; a
 * broker that goes away mid-topic is reported as `retrying` and reading goes on without loss once
 * it is back; an unreachable broker is a status, not an error; and what could never be read is
 * refused at CREATE with RisingWave's SQLSTATEs (0A000, 22023), through psql and node-postgres.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Producer } from '@platformatic/kafka';
import type pg from 'pg';
import { type KafkaMock, kafkaMockUnavailable, startKafkaMock } from '../helpers/kafka-mock.ts';
import { psql, tidewatchConnection } from '../helpers/psql.ts';
import { RestartableServer } from '../helpers/restartable-server.ts';
import { committedNow, fedBy, getStatus, sourceOf, waitFor } from './ingestion-helpers.ts';

const skip = kafkaMockUnavailable();
if (skip !== undefined) console.log(`# skipping the Kafka source tests: ${skip}`);

const COLUMNS = `(
  request_timestamp TIMESTAMP, ip_address VARCHAR, status_code INTEGER, url TEXT
)`;

/** A good record of source `tag`: its URL `/${tag}/${n}` says which one it is. */
function record(tag: string, n: number): string {
  const at = new Date(Date.UTC(2024, 0, 25, 12, 0, 0) + n * 10).toISOString();
  return JSON.stringify({
    request_timestamp: at,
    ip_address: `10.0.${n % 200}.1`,
    status_code: 200,
    url: `/${tag}/${n}`,
  });
}

describe('Kafka sources of tidewatch start', { skip, timeout: 180_000 }, () => {
  let mock: KafkaMock;
  let producer: Producer;
  let server: RestartableServer;
  let client: pg.Client;
  let dir: string;

  before(async () => {
    mock = await startKafkaMock({
      topics: [
        { name: 'mixed', partitions: 2 },
        { name: 'outage', partitions: 3 },
      ],
    });
    producer = new Producer({ clientId: 'ingestion-test', bootstrapBrokers: [...mock.brokers], retries: 2 });
    dir = mkdtempSync(join(tmpdir(), 'tw-kafka-sources-'));
    server = new RestartableServer({
      dataDir: join(dir, 'data'),
      args: ['--pipeline', 'none', '--no-generator', '--status-interval', '60'],
    });
    await server.start();
    client = await server.connect();
  });

  after(async () => {
    await client?.end().catch(() => undefined);
    await server?.dispose();
    await producer?.close(true);
    await mock?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  async function send(topic: string, partition: number, values: readonly string[]): Promise<void> {
    await producer.send({
      messages: values.map((v) => ({ topic, partition, value: Buffer.from(v) })),
      acks: -1,
    });
  }

  /** Resolves once the store's `SELECT count(*) FROM source` is `n`. */
  async function rowsInStore(source: string, n: number): Promise<void> {
    let last = -1;
    await Promise.race([
      server.failure,
      waitFor(
        `${n} rows in ${source}`,
        async () => {
          last = (await client.query(`SELECT count(*)::int AS n FROM ${source}`)).rows[0].n;
          return last === n ? true : undefined;
        },
        { everyMs: 200, describe: () => `${last} rows` },
      ),
    ]);
  }

  test('malformed messages land in tidewatch_dead_letters with partition and offset; good ones flow on', async () => {
    // Partition 0: offsets 0, 1 good, 2 not JSON, 3 good. Partition 1: offset 0 good, 1 a
    // string for an INTEGER column, 2 JSON that is no object, 3 a fraction for an INTEGER.
    const notJson = '{"ip_address": "10.9.9.9", "status_code": ';
    const wrongType = JSON.stringify({ ip_address: '10.9.9.8', status_code: 'teapot', url: '/bad/type' });
    const notObject = '[1, 2, 3]';
    const fraction = JSON.stringify({ ip_address: '10.9.9.7', status_code: 200.5, url: '/bad/fraction' });
    await send('mixed', 0, [record('mixed', 0), record('mixed', 1), notJson, record('mixed', 3)]);
    await send('mixed', 1, [record('mixed', 100), wrongType, notObject, fraction]);
    await client.query(
      `CREATE SOURCE mixed_logs ${COLUMNS} WITH (
        connector = 'kafka', topic = 'mixed', properties.bootstrap.server = '${mock.bootstrap}',
        scan.startup.mode = 'earliest'
      ) FORMAT PLAIN ENCODE JSON`,
    );
    await rowsInStore('mixed_logs', 4);
    // Good messages after the bad ones keep coming.
    await send('mixed', 1, [record('mixed', 104), record('mixed', 105)]);
    await send('mixed', 0, [record('mixed', 4)]);
    await rowsInStore('mixed_logs', 7);
    await committedNow(server.httpUrl);

    const urls = await client.query('SELECT url FROM mixed_logs ORDER BY url');
    assert.deepEqual(
      urls.rows.map((r) => r.url),
      ['/mixed/0', '/mixed/1', '/mixed/100', '/mixed/104', '/mixed/105', '/mixed/3', '/mixed/4'],
    );
    const dead = await client.query(
      'SELECT source, position, reason, raw, epoch, received_at FROM tidewatch_dead_letters ORDER BY position',
    );
    assert.deepEqual(
      dead.rows.map((r) => [r.source, r.position, r.raw]),
      [
        ['mixed_logs', 'partition 0 offset 2', notJson],
        ['mixed_logs', 'partition 1 offset 1', wrongType],
        ['mixed_logs', 'partition 1 offset 2', notObject],
        ['mixed_logs', 'partition 1 offset 3', fraction],
      ],
    );
    const reasons = dead.rows.map((r) => String(r.reason));
    assert.match(reasons[0] as string, /JSON/i, 'invalid JSON says so');
    assert.match(reasons[1] as string, /status_code/, 'a wrong type names its field');
    assert.match(reasons[2] as string, /object/i, 'an array is not an object');
    assert.match(reasons[3] as string, /status_code/, 'a fraction for an integer names its field');
    for (const r of dead.rows) {
      assert.ok(Number(r.epoch) > 0, 'a dead letter carries the epoch it was committed with');
      assert.ok(r.received_at instanceof Date && !Number.isNaN(r.received_at.getTime()));
    }
    const kafka = fedBy(sourceOf(await getStatus(server.httpUrl), 'mixed_logs'), 'kafka');
    assert.deepEqual(
      [kafka?.records, kafka?.rejected, kafka?.lag],
      [7, 4, 0],
      'status counts rows and rejected messages',
    );
  });

  test('a broker that goes away mid-topic: status says retrying, then reading goes on without loss', async () => {
    const first = Array.from({ length: 3000 }, (_, i) => record('outage', i));
    // Sent in requests of 150 (50 a partition): the broker then answers a fetch with 150 records.
    for (let i = 0; i < first.length; i += 150)
      await producer.send({
        messages: first
          .slice(i, i + 150)
          .map((v, j) => ({ topic: 'outage', partition: j % 3, value: Buffer.from(v) })),
        acks: -1,
      });
    // Slow answers (a fetch round per 200 ms): the topic takes about 4 s to read.
    await mock.setRtt(200);
    await client.query(
      `CREATE SOURCE outage_logs ${COLUMNS} WITH (
        connector = 'kafka', topic = 'outage', properties.bootstrap.server = '${mock.bootstrap}'
      ) FORMAT PLAIN ENCODE JSON`,
    );
    const outage = async () => fedBy(sourceOf(await getStatus(server.httpUrl), 'outage_logs'), 'kafka');
    const before = await waitFor(
      'outage_logs to have read some records',
      async () => {
        const k = await outage();
        return k !== undefined && k.records > 0 ? k.records : undefined;
      },
      { everyMs: 20 },
    );
    await mock.brokerDown();
    const retrying = await waitFor('outage_logs to say it is retrying', async () => {
      const k = await outage();
      return k?.state === 'retrying' ? k : undefined;
    });
    assert.ok((retrying.error ?? '') !== '', `the status has the error: ${JSON.stringify(retrying)}`);
    assert.equal(retrying.detail?.connection, 'retrying');
    await mock.brokerUp();
    await mock.setRtt(0);
    const more = Array.from({ length: 300 }, (_, i) => record('outage', 3000 + i));
    for (let p = 0; p < 3; p++)
      await send(
        'outage',
        p,
        more.filter((_, i) => i % 3 === p),
      );
    await rowsInStore('outage_logs', 3300);
    const counts = await client.query(
      'SELECT count(*)::int AS n, count(DISTINCT url)::int AS urls FROM outage_logs',
    );
    assert.deepEqual(counts.rows[0], { n: 3300, urls: 3300 }, 'every record once');
    const k = await outage();
    assert.equal(k?.state, 'waiting');
    assert.equal(k?.error, undefined, 'the error is gone once connected again');
    console.log(
      `# broker down after ${before} of 3000 records: retrying (${retrying.error}), then all 3300 once`,
    );
  });

  test('an unreachable broker is the source’s status (retrying, with the error), not a failed CREATE', async () => {
    await client.query(
      `CREATE SOURCE nowhere_logs ${COLUMNS} WITH (
        connector = 'kafka', topic = 'website_logs', properties.bootstrap.server = '127.0.0.1:1'
      ) FORMAT PLAIN ENCODE JSON`,
    );
    const k = await waitFor('nowhere_logs to say it is retrying', async () => {
      const f = fedBy(sourceOf(await getStatus(server.httpUrl), 'nowhere_logs'), 'kafka');
      return f?.state === 'retrying' ? f : undefined;
    });
    assert.match(k.error ?? '', /ECONNREFUSED|refused/i);
    assert.equal(k.records, 0);
    await client.query('DROP SOURCE nowhere_logs');
    const status = await getStatus(server.httpUrl);
    assert.equal(
      status.sources.find((s) => s.name === 'nowhere_logs'),
      undefined,
    );
  });

  test('CREATE SOURCE refuses what could never be read: 0A000 for a connector, 22023 naming the option', async () => {
    const create = (name: string, withClause: string, format = 'FORMAT PLAIN ENCODE JSON') =>
      `CREATE SOURCE ${name} ${COLUMNS} WITH (${withClause}) ${format}`;
    const kafka = `connector = 'kafka', properties.bootstrap.server = '${mock.bootstrap}'`;
    const cases: { sql: string; code: string; names: RegExp }[] = [
      { sql: create('s1', "connector = 'kinesis', stream = 'x'"), code: '0A000', names: /kinesis/ },
      { sql: create('s2', kafka), code: '22023', names: /topic/ },
      {
        sql: create('s3', "connector = 'kafka', topic = 'mixed'"),
        code: '22023',
        names: /properties\.bootstrap\.server/,
      },
      {
        sql: create('s4', `${kafka}, topic = 'mixed', scan.startup.mode = 'middle'`),
        code: '22023',
        names: /middle/,
      },
      {
        sql: create('s5', `${kafka}, topic = 'mixed', properties.fetch.max.bytes = '1'`),
        code: '22023',
        names: /properties\.fetch\.max\.bytes/,
      },
      {
        sql: create('s6', "connector = 'posix_fs', match_pattern = '*.log'"),
        code: '22023',
        names: /posix_fs\.root/,
      },
      {
        sql: create('s7', "connector = 'posix_fs', posix_fs.root = '/tmp', recursive = 'true'"),
        code: '22023',
        names: /recursive/,
      },
    ];
    for (const c of cases) {
      const error = await client.query(c.sql).then(
        () => undefined,
        (e: unknown) => e as { code?: string; message?: string },
      );
      assert.ok(error !== undefined, `refused: ${c.sql}`);
      assert.equal(error.code, c.code, `${c.sql}: ${error.message}`);
      assert.match(error.message ?? '', c.names, c.sql);
    }
    // As a user sees it in psql; and a refused source does not exist afterwards.
    const shown = await psql(tidewatchConnection(server.pgPort), [
      '-v',
      'VERBOSITY=verbose',
      '-c',
      create('s1', "connector = 'kinesis'"),
    ]);
    assert.notEqual(shown.code, 0);
    assert.match(shown.stderr, /ERROR: {2}0A000: .*kinesis/);
    const missing = await psql(tidewatchConnection(server.pgPort), [
      '-v',
      'VERBOSITY=verbose',
      '-c',
      create('s2', `${kafka}, topic = 'mixed', scan.startup.mode = 'middle'`),
    ]);
    assert.match(missing.stderr, /ERROR: {2}22023: .*scan\.startup\.mode/);
    await client.query(create('s2', `${kafka}, topic = 'mixed'`));
    await client.query('DROP SOURCE s2');
  });
});
