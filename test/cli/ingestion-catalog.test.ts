/**
 * The ingestion of a real `tidewatch start` as a PostgreSQL client sees it in rw_catalog:
 * `rw_kafka_source_metrics` per partition of a Kafka source on a real Kafka-protocol broker
 * (librdkafka's mock), joined to its source through `rw_sources`, its offsets those produced and
 * consumed and moving as more messages arrive; `tidewatch_source_ingestion` for every kind of
 * ingestion — Kafka, a followed file, HTTP posts — with records and dead letters as
 * `/api/status` counts them; and psql showing the metrics as a user types the query.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Producer } from '@platformatic/kafka';
import type pg from 'pg';
import { type KafkaMock, kafkaMockUnavailable, startKafkaMock } from '../helpers/kafka-mock.ts';
import { psql, tidewatchConnection } from '../helpers/psql.ts';
import { RestartableServer } from '../helpers/restartable-server.ts';
import { combinedLine, fedBy, getStatus, sourceOf, waitFor } from './ingestion-helpers.ts';

const noKafka = kafkaMockUnavailable();
if (noKafka !== undefined) console.log(`# skipping the Kafka metrics tests: ${noKafka}`);

const COLUMNS = '(request_timestamp TIMESTAMP, ip_address VARCHAR, status_code INTEGER, url TEXT)';

/** A good record whose URL `/${tag}/${n}` says which one it is. */
function record(tag: string, n: number): string {
  return JSON.stringify({
    request_timestamp: new Date(Date.UTC(2024, 0, 25, 12, 0, 0) + n * 10).toISOString(),
    ip_address: `10.0.${n % 200}.1`,
    status_code: 200,
    url: `/${tag}/${n}`,
  });
}

const METRICS = `SELECT s.name, m.partition_id, m.high_watermark, m.latest_offset
  FROM rw_kafka_source_metrics m JOIN rw_sources s ON s.id = m.source_id
  WHERE s.name = 'metered_logs' ORDER BY m.partition_id`;

const INGESTION = `SELECT kind, state, records, rejected, lag, bytes_behind, error
  FROM tidewatch_source_ingestion WHERE source_name = $1 ORDER BY kind`;

/** PostgreSQL type OIDs of the columns a client is told. */
const INT4 = 23;
const INT8 = 20;
const VARCHAR = 1043;

describe('rw_catalog through the PostgreSQL endpoint of tidewatch start', { timeout: 180_000 }, () => {
  let dir: string;
  let mock: KafkaMock | undefined;
  let producer: Producer | undefined;
  let server: RestartableServer;
  let client: pg.Client;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tw-rw-catalog-'));
    if (noKafka === undefined) {
      mock = await startKafkaMock({ topics: [{ name: 'metered', partitions: 3 }] });
      producer = new Producer({ clientId: 'catalog-test', bootstrapBrokers: [...mock.brokers], retries: 2 });
    }
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

  async function send(partition: number, values: readonly string[]): Promise<void> {
    await producer?.send({
      messages: values.map((v) => ({ topic: 'metered', partition, value: Buffer.from(v) })),
      acks: -1,
    });
  }

  /** Polls a query until its rows are `expected` (as node-postgres gives them), racing tidewatch's exit. */
  async function rowsBecome(sql: string, params: readonly unknown[], expected: unknown[][]): Promise<void> {
    let last: unknown;
    await Promise.race([
      server.failure,
      waitFor(
        `${sql} to give ${JSON.stringify(expected)}`,
        async () => {
          const r = await client.query({ text: sql, values: [...params], rowMode: 'array' });
          last = r.rows;
          return JSON.stringify(r.rows) === JSON.stringify(expected) ? true : undefined;
        },
        { everyMs: 100, describe: () => JSON.stringify(last) },
      ),
    ]);
  }

  test('rw_kafka_source_metrics: per partition the high watermark and the last offset consumed, moving as messages arrive', {
    skip: noKafka,
  }, async () => {
    await send(
      0,
      Array.from({ length: 5 }, (_, i) => record('p0', i)),
    );
    await send(
      1,
      Array.from({ length: 3 }, (_, i) => record('p1', i)),
    );
    await client.query(
      `CREATE SOURCE metered_logs ${COLUMNS} WITH (
        connector = 'kafka', topic = 'metered', properties.bootstrap.server = '${mock?.bootstrap}',
        scan.startup.mode = 'earliest'
      ) FORMAT PLAIN ENCODE JSON`,
    );
    // Partition 2 holds nothing: its end is 0 and nothing was consumed from it.
    await rowsBecome(
      METRICS,
      [],
      [
        ['metered_logs', '0', '5', '4'],
        ['metered_logs', '1', '3', '2'],
        ['metered_logs', '2', '0', null],
      ],
    );
    const typed = await client.query('SELECT * FROM rw_catalog.rw_kafka_source_metrics');
    assert.deepEqual(
      typed.fields.map((f) => [f.name, f.dataTypeID]),
      [
        ['source_id', INT4],
        ['partition_id', VARCHAR],
        ['high_watermark', INT8],
        ['latest_offset', INT8],
      ],
      "RisingWave's columns and types",
    );
    const source = await client.query(
      "SELECT id, connector, format, row_encode FROM rw_sources WHERE name = 'metered_logs'",
    );
    const oid = await client.query("SELECT oid FROM pg_class WHERE relname = 'metered_logs'");
    assert.deepEqual(source.rows, [
      {
        id: Number(oid.rows[0].oid),
        connector: 'KAFKA',
        format: 'FORMAT_TYPE_PLAIN',
        row_encode: 'ENCODE_TYPE_JSON',
      },
    ]);
    assert.ok(
      typed.rows.every((r) => r.source_id === source.rows[0].id),
      'the source id is the OID pg_class shows',
    );
    await rowsBecome(INGESTION, ['metered_logs'], [['kafka', 'waiting', '8', '0', '0', null, null]]);

    // More messages, one of them not JSON (a dead letter, consumed all the same).
    await send(
      2,
      Array.from({ length: 4 }, (_, i) => record('p2', i)),
    );
    await send(0, [record('p0', 5)]);
    await send(1, ['{"ip_address": ']);
    await rowsBecome(
      METRICS,
      [],
      [
        ['metered_logs', '0', '6', '5'],
        ['metered_logs', '1', '4', '3'],
        ['metered_logs', '2', '4', '3'],
      ],
    );
    await rowsBecome(INGESTION, ['metered_logs'], [['kafka', 'waiting', '13', '1', '0', null, null]]);
    const lag = await client.query(
      `SELECT sum(high_watermark - latest_offset - 1)::int AS lag FROM rw_catalog.rw_kafka_source_metrics
       WHERE source_id = (SELECT id FROM rw_catalog.rw_sources WHERE name = 'metered_logs')`,
    );
    assert.deepEqual(lag.rows, [{ lag: 0 }], "RisingWave's lag: every message read");
    const kafka = fedBy(sourceOf(await getStatus(server.httpUrl), 'metered_logs'), 'kafka');
    assert.deepEqual(
      kafka?.detail?.partitions?.map((p) => [p.partition, p.position]),
      [
        [0, 6],
        [1, 4],
        [2, 4],
      ],
      '/api/status tells the same positions',
    );

    const shown = await psql(tidewatchConnection(server.pgPort), [
      '-c',
      'SELECT * FROM rw_kafka_source_metrics',
    ]);
    assert.equal(shown.code, 0, shown.stderr);
    const id = source.rows[0]?.id as number;
    assert.match(shown.stdout, /source_id +\| partition_id \| high_watermark \| latest_offset \n/);
    for (const [partition, end, last] of [
      [0, 6, 5],
      [1, 4, 3],
      [2, 4, 3],
    ])
      assert.match(
        shown.stdout,
        new RegExp(`\\s${id} \\| ${partition} +\\| +${end} \\| +${last}\\n`),
        shown.stdout,
      );
    assert.match(shown.stdout, /\(3 rows\)/);
  });

  test('tidewatch_source_ingestion: a followed file and HTTP posts, with their records and dead letters', async () => {
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    writeFileSync(join(logs, 'access.log'), `${[1, 2, 3].map((n) => combinedLine('file', n)).join('\n')}\n`);
    await client.query(
      `CREATE SOURCE file_logs (request_timestamp TIMESTAMP, ip_address VARCHAR, url TEXT, status_code INTEGER)
       WITH (connector = 'posix_fs', posix_fs.root = '${logs}', match_pattern = '*.log')
       FORMAT PLAIN ENCODE ACCESS_LOG (log_format = 'combined')`,
    );
    await rowsBecome(INGESTION, ['file_logs'], [['file', 'waiting', '3', '0', null, '0', null]]);
    appendFileSync(join(logs, 'access.log'), `not an access log line\n${combinedLine('file', 4)}\n`);
    await rowsBecome(INGESTION, ['file_logs'], [['file', 'waiting', '4', '1', null, '0', null]]);

    await client.query(`CREATE SOURCE posted_logs ${COLUMNS} FORMAT PLAIN ENCODE JSON`);
    const posted = await fetch(`${server.httpUrl}/ingest/posted_logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: `${record('posted', 1)}\n${record('posted', 2)}\n[1, 2]\n${record('posted', 3)}\n`,
    });
    assert.equal(posted.status, 200, await posted.text());
    await rowsBecome(INGESTION, ['posted_logs'], [['log', 'waiting', '3', '1', '0', null, null]]);

    const status = await getStatus(server.httpUrl);
    for (const [name, kind] of [
      ['file_logs', 'file'],
      ['posted_logs', 'log'],
    ] as const) {
      const fed = fedBy(sourceOf(status, name), kind);
      assert.deepEqual(
        [fed?.records, fed?.rejected],
        name === 'file_logs' ? [4, 1] : [3, 1],
        `${name} as /api/status tells`,
      );
    }
    await rowsBecome(
      "SELECT source, count(*)::int FROM tidewatch_dead_letters WHERE source IN ('file_logs', 'posted_logs') GROUP BY 1 ORDER BY 1",
      [],
      [
        ['file_logs', 1],
        ['posted_logs', 1],
      ],
    );
    const sources = await client.query(
      `SELECT s.name, s.connector, i.kind FROM rw_sources s JOIN tidewatch_source_ingestion i ON i.source_id = s.id
       WHERE s.name IN ('file_logs', 'posted_logs') ORDER BY 1`,
    );
    assert.deepEqual(sources.rows, [
      { name: 'file_logs', connector: 'POSIX_FS', kind: 'file' },
      { name: 'posted_logs', connector: null, kind: 'log' },
    ]);
  });
});
