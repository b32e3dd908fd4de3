/**
 * The Kafka reader against a real Kafka-protocol broker (librdkafka's mock cluster): where it
 * starts, resuming, how much it holds for a slow caller, a broker going away and coming back,
 * partitions that appear later, and bytes that are not JSON.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Consumer, Producer } from '@platformatic/kafka';
import {
  type KafkaMessage,
  KafkaReader,
  type KafkaReaderOptions,
} from '../../../src/connectors/kafka/reader.ts';
import { platformaticClient, type ReaderClient } from '../../../src/connectors/kafka/reader-client.ts';
import { type KafkaMock, kafkaMockUnavailable, startKafkaMock } from '../../helpers/kafka-mock.ts';

const skip = kafkaMockUnavailable();
if (skip !== undefined) console.log(`# skipping the Kafka reader tests: ${skip}`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const text = (m: KafkaMessage) => String(m.value);

describe('Kafka reader', { skip }, () => {
  let mock: KafkaMock;
  let producer: Producer;
  const readers: KafkaReader[] = [];

  before(async () => {
    mock = await startKafkaMock({
      brokers: 2,
      topics: [
        { name: 'starts', partitions: 4 },
        { name: 'resume', partitions: 4 },
        { name: 'slow', partitions: 4 },
        { name: 'outage', partitions: 3 },
        { name: 'growing', partitions: 4 },
        { name: 'bytes', partitions: 1 },
      ],
    });
    producer = new Producer({ clientId: 'reader-test', bootstrapBrokers: [...mock.brokers], retries: 2 });
  });
  after(async () => {
    for (const reader of readers) await reader.close();
    await producer?.close(true);
    await mock?.stop();
  });

  function open(
    options: Partial<KafkaReaderOptions> & { topic: string },
    client?: ReaderClient,
  ): KafkaReader {
    const reader = KafkaReader.open({ bootstrap: mock.brokers, maxWaitMs: 100, ...options }, client);
    readers.push(reader);
    return reader;
  }

  /** `count` messages `${prefix}-${i}`, partition i % partitions, in produce requests of `per`. */
  async function produce(topic: string, prefix: string, count: number, partitions: number, per = 100) {
    for (let start = 0; start < count; start += per) {
      const messages = [];
      for (let i = start; i < Math.min(count, start + per); i++)
        messages.push({ topic, partition: i % partitions, value: Buffer.from(`${prefix}-${i}`) });
      await producer.send({ messages, acks: -1 });
    }
  }

  /** Reads until `count` messages came (or `timeoutMs` passed). */
  async function readN(
    reader: KafkaReader,
    count: number,
    timeoutMs = 10_000,
    max = 1000,
  ): Promise<KafkaMessage[]> {
    const got: KafkaMessage[] = [];
    const deadline = Date.now() + timeoutMs;
    while (got.length < count && Date.now() < deadline) {
      const batch = await reader.next(Math.min(max, count - got.length), 1 << 20);
      got.push(...batch.messages);
    }
    return got;
  }

  function assertInOrderPerPartition(messages: readonly KafkaMessage[]): void {
    const last = new Map<number, bigint>();
    for (const m of messages) {
      const before = last.get(m.partition);
      assert.ok(
        before === undefined || m.offset === before + 1n,
        `${m.partition}: ${before} then ${m.offset}`,
      );
      last.set(m.partition, m.offset);
    }
  }

  test('earliest reads everything, latest only what comes after, a timestamp from that time on', async () => {
    await produce('starts', 'old', 400, 4);
    await sleep(30);
    const middle = Date.now();
    await sleep(30);
    await produce('starts', 'mid', 200, 4);

    const earliest = open({ topic: 'starts', startup: { mode: 'earliest' } });
    const all = await readN(earliest, 600);
    assert.equal(all.length, 600);
    assertInOrderPerPartition(all);
    assert.deepEqual(new Set(all.map((m) => m.partition)), new Set([0, 1, 2, 3]));
    const status = earliest.status();
    assert.equal(status.state, 'connected');
    assert.deepEqual(
      status.partitions.map((p) => [p.partition, p.position, p.highWatermark, p.lag]),
      [0, 1, 2, 3].map((p) => [p, 150n, 150n, 0n]),
    );
    assert.ok(all.every((m) => m.timestamp > middle - 60_000 && m.timestamp < Date.now() + 1000));

    const fromTime = open({ topic: 'starts', startup: { timestampMs: middle } });
    const later = await readN(fromTime, 200);
    assert.deepEqual(later.map(text).sort(), Array.from({ length: 200 }, (_, i) => `mid-${i}`).sort());
    assert.ok(later.every((m) => m.timestamp >= middle));
    assert.equal((await fromTime.next(10, 1 << 20)).messages.length, 0, 'nothing older follows');

    const latest = open({ topic: 'starts', startup: { mode: 'latest' } });
    const future = open({ topic: 'starts', startup: { timestampMs: Date.now() + 3_600_000 } });
    assert.equal((await latest.next(100, 1 << 20)).messages.length, 0);
    assert.equal((await future.next(100, 1 << 20)).messages.length, 0);
    await produce('starts', 'new', 40, 4);
    const expectedNew = Array.from({ length: 40 }, (_, i) => `new-${i}`).sort();
    assert.deepEqual((await readN(latest, 40)).map(text).sort(), expectedNew);
    assert.deepEqual((await readN(future, 40)).map(text).sort(), expectedNew);
  });

  test('resuming from positions() reads the rest: nothing twice, nothing skipped', async () => {
    await produce('resume', 'r', 1000, 4, 50);
    const first = open({ topic: 'resume' });
    const seen: KafkaMessage[] = [];
    while (seen.length < 330) seen.push(...(await first.next(37, 1 << 20)).messages);
    const saved = first.positions();
    assert.equal(saved.size, 4);
    await first.close();
    // A caller keeps what it consumed: the positions say exactly that.
    for (const [partition, position] of saved) {
      const consumed = seen.filter((m) => m.partition === partition);
      assert.equal(position, consumed.length === 0 ? 0n : (consumed.at(-1) as KafkaMessage).offset + 1n);
    }
    const second = open({ topic: 'resume', offsets: saved, startup: { mode: 'latest' } });
    const rest = await readN(second, 1000 - seen.length);
    const all = [...seen, ...rest].map(text);
    assert.equal(all.length, 1000);
    assert.equal(new Set(all).size, 1000, 'nothing read twice');
    assert.equal((await second.next(10, 1 << 20)).messages.length, 0);
  });

  test('commit() writes positions to a consumer group for lag monitoring, without joining it', async () => {
    const reader = open({ topic: 'resume', commitGroup: 'tidewatch-lag' });
    await readN(reader, 250, 10_000, 50);
    const positions = reader.positions();
    assert.equal(await reader.commit(), true);
    const watcher = new Consumer({
      clientId: 'lag-watcher',
      groupId: 'tidewatch-lag',
      bootstrapBrokers: [...mock.brokers],
    });
    try {
      const committed = await watcher.listCommittedOffsets({
        topics: [{ topic: 'resume', partitions: [0, 1, 2, 3] }],
      });
      assert.deepEqual(
        committed.get('resume'),
        [0, 1, 2, 3].map((p) => positions.get(p)),
      );
    } finally {
      await watcher.close(true);
    }
    await assert.rejects(open({ topic: 'resume' }).commit(), /needs the commitGroup option/);
  });

  test('a slow caller: one round of fetches at most is held, and nothing is fetched between calls', async () => {
    // 8,000 messages of 200 bytes, in record batches of 25 per partition (~5 KB each).
    const value = (i: number) => Buffer.from(`${String(i).padStart(8, '0')}${'x'.repeat(192)}`);
    for (let start = 0; start < 8000; start += 100) {
      const messages = [];
      for (let i = start; i < start + 100; i++)
        messages.push({ topic: 'slow', partition: i % 4, value: value(i) });
      await producer.send({ messages, acks: -1 });
    }
    const reader = open({ topic: 'slow' });
    const maxBytes = 16 * 1024;
    const largestBatch = 25 * 200 + 25 * 40; // values plus record overhead, generously
    let delivered = 0;
    let calls = 0;
    while (delivered < 8000) {
      const batch = await reader.next(60, maxBytes);
      calls++;
      assert.ok(batch.messages.length <= 60 && batch.bytes <= maxBytes);
      delivered += batch.messages.length;
      const s = reader.status();
      assert.ok(
        s.bufferedBytes <= maxBytes + 4 * largestBatch,
        `buffered ${s.bufferedBytes} bytes after a call for ${maxBytes}`,
      );
      assert.ok(s.fetchedBytes - delivered * 200 <= maxBytes + 4 * largestBatch, 'no reading ahead');
      if (calls === 20) {
        // The caller stops for a while: the reader does not read on by itself.
        const before = reader.status();
        await sleep(300);
        const after = reader.status();
        assert.equal(after.fetches, before.fetches);
        assert.equal(after.fetchedBytes, before.fetchedBytes);
      }
    }
    assert.equal(delivered, 8000);
    assert.ok(calls >= 8000 / 60, `${calls} calls`);
  });

  test('a broker that goes away is reported as retrying; once back, reading resumes without loss or duplicates', async () => {
    await produce('outage', 'a', 600, 3);
    const reader = open({ topic: 'outage', retry: { initialMs: 50, maxMs: 400 } });
    const got = await readN(reader, 200, 10_000, 50);
    assert.equal(reader.status().state, 'connected');

    await mock.brokerDown();
    const downSince = Date.now();
    let sawRetrying = false;
    while (Date.now() - downSince < 1500) {
      const batch = await reader.next(50, 1 << 20);
      got.push(...batch.messages); // what was buffered before still comes
      const s = reader.status();
      if (s.state === 'retrying') {
        sawRetrying = true;
        assert.ok(s.since >= downSince - 10 && s.attempts >= 1 && s.lastError !== null);
      }
    }
    assert.ok(
      sawRetrying,
      `status: ${JSON.stringify(reader.status(), (_, v) => (typeof v === 'bigint' ? String(v) : v))}`,
    );
    const during = reader.status();
    assert.match(String(during.lastError), /ECONNREFUSED|closed|connect/i);
    assert.ok(during.attempts >= 2, 'retried with backoff');

    await mock.brokerUp();
    await produce('outage', 'b', 300, 3);
    got.push(...(await readN(reader, 900 - got.length)));
    assert.equal(got.length, 900);
    assert.equal(new Set(got.map(text)).size, 900, 'no duplicates');
    assertInOrderPerPartition(got);
    const s = reader.status();
    assert.equal(s.state, 'connected');
    assert.equal(s.attempts, 0);
    assert.notEqual(s.lastError, null, 'the last error stays visible');
  });

  test('partitions that appear later are picked up and read from their start', async () => {
    // The mock cannot add partitions to a topic: the client below hides partitions 2 and 3 of a
    // 4-partition topic from the reader's metadata until the topic "grows". Everything else is real.
    let visible = 2;
    const real = platformaticClient({
      bootstrap: mock.brokers,
      clientId: 'growing-test',
      security: { protocol: 'PLAINTEXT' },
      requestTimeoutMs: 5000,
      maxWaitMs: 100,
    });
    const client: ReaderClient = {
      ...real,
      partitions: async (topic) => (await real.partitions(topic)).filter((p) => p.partition < visible),
    };
    await produce('growing', 'g', 400, 4);
    const reader = open({ topic: 'growing', startup: { mode: 'latest' }, metadataRefreshMs: 100 }, client);
    assert.equal((await reader.next(100, 1 << 20)).messages.length, 0);
    assert.deepEqual([...reader.positions().keys()], [0, 1]);
    visible = 4;
    const got = await readN(reader, 200);
    // Partitions 2 and 3 were written before they were seen: all of it is read (not "latest").
    assert.deepEqual(
      got.map(text).sort(),
      Array.from({ length: 400 }, (_, i) => i)
        .filter((i) => i % 4 >= 2)
        .map((i) => `g-${i}`)
        .sort(),
    );
    assert.deepEqual(
      [...reader.positions()],
      [
        [0, 100n],
        [1, 100n],
        [2, 100n],
        [3, 100n],
      ],
    );
  });

  test('a broker that refuses the SASL login is reported, and next() neither rejects nor hangs', async () => {
    const reader = open({
      topic: 'bytes',
      security: { protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'PLAIN', username: 'u', password: 'p' } },
      retry: { initialMs: 50, maxMs: 100 },
    });
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      assert.equal((await reader.next(10, 1 << 20)).messages.length, 0);
      assert.ok(Date.now() - started < 6000);
    }
    const s = reader.status();
    assert.equal(s.state, 'retrying');
    assert.ok(s.attempts >= 1);
    // The mock knows no SaslHandshake and drops the connection.
    assert.match(String(s.lastError), /closed|sasl|authentic/i);
    await reader.close();
    assert.equal(reader.status().state, 'closed');
    await assert.rejects(reader.next(1, 1), /closed/);
  });

  test('values that are not JSON, not UTF-8, empty or null come through as bytes', async () => {
    const values = [
      Buffer.from('{"truncated": '),
      Buffer.from([0xff, 0xfe, 0x00, 0x80]),
      Buffer.alloc(0),
      Buffer.from('plain text'),
    ];
    await producer.send({
      messages: [
        ...values.map((value, i) => ({ topic: 'bytes', key: Buffer.from([i, 0xff]), value })),
        { topic: 'bytes', key: Buffer.from('tombstone') },
      ],
      acks: -1,
    });
    const reader = open({ topic: 'bytes' });
    const got = await readN(reader, 5);
    assert.equal(got.length, 5);
    for (const [i, value] of values.entries()) {
      assert.deepEqual(got[i]?.value, value);
      assert.deepEqual(got[i]?.key, Buffer.from([i, 0xff]));
    }
    assert.ok(got[4]?.value === null || got[4]?.value?.length === 0, 'a message without a value');
  });
});
