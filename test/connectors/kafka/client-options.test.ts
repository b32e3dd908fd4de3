import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  connectionOptions,
  describeKafkaError,
  KafkaConfigError,
  parseBootstrap,
  securityFromProperties,
} from '../../../src/connectors/kafka/client-options.ts';
import { readerOptionsFromWith } from '../../../src/connectors/kafka/source-options.ts';

describe('Kafka client options', () => {
  test('bootstrap lists: host:port entries, anything else refused by name', () => {
    assert.deepEqual(parseBootstrap('a:9092, b.example:19092,[::1]:9092'), [
      'a:9092',
      'b.example:19092',
      '[::1]:9092',
    ]);
    assert.throws(() => parseBootstrap('kafka'), /"kafka" is not a Kafka broker address/);
    assert.throws(() => parseBootstrap('a:0'), KafkaConfigError);
    assert.throws(() => parseBootstrap(' , '), /no Kafka bootstrap broker/);
  });

  test('RisingWave properties map to the client: PLAINTEXT, SASL_PLAINTEXT, SSL, SASL_SSL', () => {
    assert.deepEqual(securityFromProperties({}), { protocol: 'PLAINTEXT' });
    assert.deepEqual(connectionOptions(securityFromProperties({})), {});

    const scram = securityFromProperties({
      'properties.security.protocol': 'sasl_plaintext',
      'properties.sasl.mechanism': 'SCRAM-SHA-512',
      'properties.sasl.username': 'rw',
      'properties.sasl.password': 'secret',
    });
    assert.deepEqual(connectionOptions(scram), {
      sasl: { mechanism: 'SCRAM-SHA-512', username: 'rw', password: 'secret' },
    });

    const dir = mkdtempSync(join(tmpdir(), 'tw-kafka-tls-'));
    writeFileSync(join(dir, 'ca.pem'), 'CA PEM');
    const tls = securityFromProperties({
      'properties.security.protocol': 'SASL_SSL',
      'properties.sasl.mechanism': 'PLAIN',
      'properties.sasl.username': 'u',
      'properties.sasl.password': 'p',
      'properties.ssl.ca.location': join(dir, 'ca.pem'),
    });
    const options = connectionOptions(tls);
    assert.deepEqual(options.sasl, { mechanism: 'PLAIN', username: 'u', password: 'p' });
    assert.equal(options.tls?.ca, 'CA PEM');
    assert.equal(options.tls?.rejectUnauthorized, true);
    const unchecked = connectionOptions(
      securityFromProperties({
        'properties.security.protocol': 'SSL',
        'properties.ssl.endpoint.identification.algorithm': 'none',
      }),
    );
    assert.equal(unchecked.tls?.rejectUnauthorized, false);
  });

  test('what the client cannot do is refused with a reason', () => {
    const sasl = (mechanism: string) => () =>
      securityFromProperties({
        'properties.security.protocol': 'SASL_SSL',
        'properties.sasl.mechanism': mechanism,
        'properties.sasl.username': 'u',
        'properties.sasl.password': 'p',
      });
    assert.throws(sasl('GSSAPI'), /Kerberos \(GSSAPI\) is not supported/);
    assert.throws(sasl('OAUTHBEARER'), /OAUTHBEARER is not supported/);
    assert.throws(sasl('DIGEST-MD5'), /'DIGEST-MD5' is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512/);
    assert.throws(
      () => securityFromProperties({ 'properties.security.protocol': 'SASL_PLAINTEXT' }),
      /needs properties\.sasl\.username and properties\.sasl\.password/,
    );
    assert.throws(
      () => securityFromProperties({ 'properties.security.protocol': 'TLS' }),
      /'TLS' is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL/,
    );
    assert.throws(
      () => securityFromProperties({ 'properties.sasl.username': 'u' }),
      /properties\.sasl\.\* given with properties\.security\.protocol 'PLAINTEXT'/,
    );
    assert.throws(
      () =>
        securityFromProperties({
          'properties.security.protocol': 'SSL',
          'properties.ssl.ca.location': '/nonexistent/ca.pem',
        }),
      /properties\.ssl\.ca\.location '\/nonexistent\/ca\.pem' cannot be read/,
    );
  });

  test('a client error is told by its innermost reasons, not a stack', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const network = new Error('Connection to 127.0.0.1:1 failed.', { cause: refused });
    const all = new AggregateError([network, network], 'metadata failed 2 times.');
    assert.equal(describeKafkaError(all), 'connect ECONNREFUSED 127.0.0.1:1');
    assert.equal(describeKafkaError('plain'), 'plain');
  });
});

describe("a Kafka source's WITH options", () => {
  const base = {
    connector: 'kafka',
    topic: 'website_logs',
    'properties.bootstrap.server': 'k1:9092,k2:9092',
  };

  test('become the reader’s options: brokers, topic, startup, security', () => {
    assert.deepEqual(readerOptionsFromWith(base), {
      bootstrap: ['k1:9092', 'k2:9092'],
      topic: 'website_logs',
      startup: { mode: 'earliest' },
      security: { protocol: 'PLAINTEXT' },
    });
    assert.deepEqual(readerOptionsFromWith({ ...base, 'scan.startup.mode': 'latest' }).startup, {
      mode: 'latest',
    });
    assert.deepEqual(
      readerOptionsFromWith({
        ...base,
        'scan.startup.mode': 'latest',
        'scan.startup.timestamp.millis': '1706185800000',
      }).startup,
      { timestampMs: 1706185800000 },
      'a timestamp wins over the mode',
    );
    const sasl = readerOptionsFromWith({
      ...base,
      'properties.security.protocol': 'SASL_PLAINTEXT',
      'properties.sasl.mechanism': 'SCRAM-SHA-256',
      'properties.sasl.username': 'rw',
      'properties.sasl.password': 'pw',
      'properties.client.id': 'tw-1',
    });
    assert.equal(sasl.security?.sasl?.mechanism, 'SCRAM-SHA-256');
    assert.equal(sasl.clientId, 'tw-1');
  });

  test('refuses what it would not act on, by name', () => {
    assert.throws(
      () => readerOptionsFromWith({ ...base, 'properties.fetch.max.bytes': '1' }),
      /'properties\.fetch\.max\.bytes' not supported/,
    );
    assert.throws(
      () => readerOptionsFromWith({ ...base, 'scan.startup.mode': 'smallest' }),
      /'smallest' is not 'earliest' or 'latest'/,
    );
    assert.throws(
      () => readerOptionsFromWith({ ...base, 'scan.startup.timestamp.millis': 'yesterday' }),
      /not milliseconds/,
    );
    assert.throws(() => readerOptionsFromWith({ topic: 't' }), /properties\.bootstrap\.server/);
    assert.throws(() => readerOptionsFromWith({ ...base, connector: 'kinesis' }), /'kinesis' is not 'kafka'/);
  });
});
