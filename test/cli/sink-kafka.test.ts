/**
 * Kafka sinks of a real `tidewatch start`, producing to a real Kafka-protocol broker
 * (librdkafka's mock): an upsert sink writes RisingWave's records — the primary key as the
 * JSON key, the row as the JSON value, a tombstone for a deletion — and an append-only one the
 * inserted rows; read back from the topic they equal the view's changes, also through a broker
 * that goes away for a while (the sink reports `retrying`, then catches up).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { type KafkaMock, kafkaMockUnavailable, readTopic, startKafkaMock } from '../helpers/kafka-mock.ts';
import { type RestartableServer, startEmptyServer, stopEmptyServer } from '../helpers/restartable-server.ts';
import { getStatus, waitFor } from './ingestion-helpers.ts';

const skip = kafkaMockUnavailable();
if (skip !== undefined) console.log(`# skipping the Kafka sink tests: ${skip}`);

describe('Kafka sinks of tidewatch start', { skip, timeout: 180_000 }, () => {
  let mock: KafkaMock;
  let server: RestartableServer;
  let client: pg.Client;
  let dir: string;

  before(async () => {
    mock = await startKafkaMock({
      topics: [
        { name: 'alerts', partitions: 1 },
        { name: 'events', partitions: 1 },
      ],
    });
    ({ dir, server, client } = await startEmptyServer('tw-kafka-sinks-'));
  });

  after(async () => {
    await stopEmptyServer({ dir, server, client });
    await mock?.stop();
  });

  async function records(topic: string, n: number) {
    return waitFor(`${n} records in ${topic}`, async () => {
      const got = await readTopic(mock.brokers, topic);
      return got.length >= n ? got : undefined;
    });
  }

  test('an upsert sink writes keyed rows and tombstones, through a broker outage', async () => {
    await client.query('CREATE TABLE seen (actor VARCHAR, scenario VARCHAR)');
    await client.query(
      'CREATE MATERIALIZED VIEW counted AS SELECT actor, scenario, count(*) AS n FROM seen GROUP BY actor, scenario',
    );
    await client.query("INSERT INTO seen VALUES ('10.0.0.1', 'flood')");
    await client.query(`CREATE SINK to_kafka FROM counted WITH (
      connector = 'kafka', properties.bootstrap.server = '${mock.bootstrap}', topic = 'alerts',
      primary_key = 'actor, scenario', retry.backoff.ms = '50', retry.backoff.max.ms = '500'
    ) FORMAT UPSERT ENCODE JSON`);
    await records('alerts', 1);

    await mock.brokerDown();
    await client.query("INSERT INTO seen VALUES ('10.0.0.1', 'flood'), ('10.0.0.2', 'sqli')");
    await client.query("DELETE FROM seen WHERE actor = '10.0.0.2'");
    await waitFor('the sink to report the outage', async () => {
      const status = (await getStatus(server.httpUrl)) as unknown as {
        sinks: { name: string; state: string; lastError?: string }[];
      };
      const sink = status.sinks.find((s) => s.name === 'to_kafka');
      return sink?.state === 'retrying' && sink.lastError !== undefined ? true : undefined;
    });
    await mock.brokerUp();

    const got = await records('alerts', 4);
    assert.deepEqual(
      got.map((r) => [r.key, r.value]),
      [
        ['{"actor":"10.0.0.1","scenario":"flood"}', '{"actor":"10.0.0.1","scenario":"flood","n":1}'],
        ['{"actor":"10.0.0.1","scenario":"flood"}', '{"actor":"10.0.0.1","scenario":"flood","n":2}'],
        ['{"actor":"10.0.0.2","scenario":"sqli"}', '{"actor":"10.0.0.2","scenario":"sqli","n":1}'],
        ['{"actor":"10.0.0.2","scenario":"sqli"}', null],
      ],
    );
    assert.deepEqual(
      got.map((r) => [r.headers['tidewatch-status'], r.headers['tidewatch-op']]),
      [
        ['firing', 'insert'],
        ['firing', 'update'],
        ['firing', 'insert'],
        ['resolved', 'delete'],
      ],
    );
    const keys = got.map((r) => r.headers['tidewatch-dedup-key'] ?? '');
    assert.equal(new Set(keys).size, 4, `dedup keys ${keys.join(', ')}`);
    assert.ok(keys.every((k) => /^to_kafka:\d+:\d+$/.test(k)));
    // Compacted by key, the topic is the view.
    const latest = new Map<string, string | null>();
    for (const r of got) latest.set(r.key as string, r.value);
    const { rows } = await client.query('SELECT actor, scenario, n FROM counted');
    assert.deepEqual(
      [...latest.values()].filter((v) => v !== null).map((v) => JSON.parse(v as string)),
      rows.map((r: { actor: string; scenario: string; n: string }) => ({ ...r, n: Number(r.n) })),
    );
  });

  test('an append-only sink writes the rows inserted, unkeyed', async () => {
    await client.query('CREATE TABLE logins (username VARCHAR, ok BOOLEAN) APPEND ONLY');
    await client.query(`CREATE SINK login_events FROM logins WITH (
      connector = 'kafka', properties.bootstrap.server = '${mock.bootstrap}', topic = 'events', type = 'append-only')`);
    await client.query("INSERT INTO logins VALUES ('alice', true), ('bob', false)");
    await client.query("INSERT INTO logins VALUES ('carol', true)");
    const got = await records('events', 3);
    assert.deepEqual(
      got.map((r) => [r.key, r.value]),
      [
        [null, '{"username":"alice","ok":true}'],
        [null, '{"username":"bob","ok":false}'],
        [null, '{"username":"carol","ok":true}'],
      ],
    );
  });
});
