/**
 * The test broker itself (test/helpers/kafka-mock.ts): librdkafka's mock cluster serves the
 * protocol @platformatic/kafka speaks, keeps messages across a broker down/up, and a killed
 * process can be replaced by another one on the same port.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Producer, stringSerializers } from '@platformatic/kafka';
import { type KafkaMock, kafkaMockUnavailable, readTopic, startKafkaMock } from '../../helpers/kafka-mock.ts';

const values = async (bootstrap: readonly string[], topic: string) =>
  (await readTopic(bootstrap, topic)).map((m) => m.value);

const skip = kafkaMockUnavailable();
if (skip !== undefined) console.log(`# skipping the Kafka mock broker tests: ${skip}`);

describe('Kafka mock broker', { skip }, () => {
  const mocks: KafkaMock[] = [];
  after(async () => {
    for (const mock of mocks) await mock.stop();
  });

  test('serves produce and fetch on 4 partitions; a stopped broker starts again on its port', async () => {
    const first = await startKafkaMock({ topics: [{ name: 'events', partitions: 4 }] });
    mocks.push(first);
    assert.match(first.bootstrap, /^127\.0\.0\.1:\d+$/);
    const producer = new Producer({
      clientId: 'mock-test',
      bootstrapBrokers: [...first.brokers],
      serializers: stringSerializers,
      retries: 0,
    });
    const messages = Array.from({ length: 40 }, (_, i) => ({
      topic: 'events',
      key: `k${i}`,
      value: `v${i}`,
    }));
    const result = await producer.send({ messages, acks: -1 });
    assert.ok((result.offsets ?? []).length >= 2, 'keys spread over partitions');
    const metadata = await producer.metadata({ topics: ['events'] });
    assert.equal(metadata.topics.get('events')?.partitionsCount, 4);
    assert.deepEqual((await values(first.brokers, 'events')).sort(), messages.map((m) => m.value).sort());
    await producer.close();

    await first.stop();
    const second = await startKafkaMock({ topics: [{ name: 'events', partitions: 4 }], ports: first.ports });
    mocks.push(second);
    assert.equal(second.bootstrap, first.bootstrap);
    const again = new Producer({
      clientId: 'mock-test',
      bootstrapBrokers: [...second.brokers],
      serializers: stringSerializers,
      retries: 0,
    });
    await again.send({ messages: [{ topic: 'events', key: 'x', value: 'after restart' }], acks: -1 });
    await again.close();
    assert.deepEqual(await values(second.brokers, 'events'), ['after restart'], 'a new process starts empty');
    await second.stop();
  });

  test('a broker taken down refuses connections, and keeps its messages when it comes back', async () => {
    const mock = await startKafkaMock({ topics: [{ name: 't', partitions: 2 }], brokers: 2 });
    mocks.push(mock);
    assert.equal(mock.brokers.length, 2);
    const producer = new Producer({
      clientId: 'mock-test',
      bootstrapBrokers: [...mock.brokers],
      serializers: stringSerializers,
      retries: 0,
    });
    await producer.send({ messages: [{ topic: 't', partition: 0, value: 'before' }], acks: -1 });
    await mock.brokerDown();
    await assert.rejects(
      producer.send({ messages: [{ topic: 't', partition: 0, value: 'lost' }], acks: -1 }),
    );
    await mock.brokerUp();
    await producer.send({ messages: [{ topic: 't', partition: 0, value: 'after' }], acks: -1 });
    await producer.close();
    assert.deepEqual(await values(mock.brokers, 't'), ['before', 'after']);
    await assert.rejects(mock.createTopic('t', 3), /already exists/i);
    await mock.createTopic('u', 3);
    await mock.stop();
  });
});
