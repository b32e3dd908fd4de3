/**
 * `tidewatch generate --kafka … --topic …` against a real Kafka-protocol broker (librdkafka's
 * mock cluster): the records of a seeded run end up in the topic, keyed and ordered per client
 * address, and a broker that is absent or goes away is handled as the help says.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { collect, runCli, spawnCli } from '../helpers/cli.ts';
import { type KafkaMock, kafkaMockUnavailable, readTopic, startKafkaMock } from '../helpers/kafka-mock.ts';

const skip = kafkaMockUnavailable();
if (skip !== undefined) console.log(`# skipping the generate --kafka tests: ${skip}`);

const lines = (text: string) => text.split('\n').filter((l) => l !== '');
/** Simulated time, unpaced: the same seed gives the same records on every run. */
const SEEDED = ['--start', '2024-01-25T12:00:00Z', '--speedup', 'max', '--seed', '1'];

function sorted(values: readonly (string | null)[]): string[] {
  return values.map((v) => String(v)).sort();
}

describe('tidewatch generate --kafka', { skip }, () => {
  let mock: KafkaMock;
  let expected: string[];
  before(async () => {
    mock = await startKafkaMock({
      topics: [
        { name: 'logs', partitions: 4 },
        { name: 'flaky', partitions: 2 },
        { name: 'gone', partitions: 2 },
      ],
    });
    const r = await runCli(['generate', ...SEEDED, '--count', '5000']);
    assert.equal(r.code, 0, r.stderr);
    expected = lines(r.stdout);
    assert.equal(expected.length, 5000);
  });
  after(() => mock?.stop());

  test('--count 5000 --seed 1: the records of stdout, keyed by ip_address, in order per address', async () => {
    const r = await runCli([
      'generate',
      ...SEEDED,
      '--count',
      '5000',
      '--kafka',
      mock.bootstrap,
      '--topic',
      'logs',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /generated 5000 records in [\d.]+ s to Kafka topic logs/);

    const messages = await readTopic(mock.brokers, 'logs');
    assert.equal(messages.length, 5000);
    assert.deepEqual(sorted(messages.map((m) => m.value)), [...expected].sort());

    const perPartition = [0, 1, 2, 3].map((p) => messages.filter((m) => m.partition === p).length);
    assert.ok(
      perPartition.every((n) => n > 500),
      `spread over the 4 partitions: ${perPartition.join(', ')}`,
    );

    // Each address lives in one partition, and its records are there in the order generated.
    const generatedByIp = new Map<string, string[]>();
    for (const line of expected) {
      const ip = JSON.parse(line).ip_address as string;
      generatedByIp.set(ip, [...(generatedByIp.get(ip) ?? []), line]);
    }
    const partitionOf = new Map<string, number>();
    const producedByIp = new Map<string, string[]>();
    for (const m of messages) {
      const ip = JSON.parse(String(m.value)).ip_address as string;
      assert.equal(m.key, ip, 'the key is the record’s ip_address');
      assert.equal(partitionOf.get(ip) ?? m.partition, m.partition, `${ip} in one partition`);
      partitionOf.set(ip, m.partition);
      producedByIp.set(ip, [...(producedByIp.get(ip) ?? []), String(m.value)]);
    }
    assert.ok(generatedByIp.size > 50, `${generatedByIp.size} addresses`);
    for (const [ip, generated] of generatedByIp) assert.deepEqual(producedByIp.get(ip), generated, ip);
  });

  test('--help documents --kafka and --topic; --kafka without --topic is a usage error', async () => {
    const help = await runCli(['generate', '--help']);
    assert.match(help.stdout, /--kafka HOST:PORT/);
    assert.match(help.stdout, /--topic NAME/);
    assert.match(help.stdout, /keyed by ip_address/);
    const r = await runCli(['generate', '--kafka', mock.bootstrap]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--kafka and --topic go together/);
  });

  test('no broker at the address: exit status 1 and a one-line reason', async () => {
    const r = await runCli([
      'generate',
      ...SEEDED,
      '--count',
      '10',
      '--kafka',
      '127.0.0.1:1',
      '--topic',
      'logs',
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /^tidewatch generate: cannot reach Kafka topic logs at 127\.0\.0\.1:1: .*ECONNREFUSED/m,
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(r.stdout, '');
  });

  test('a broker that goes away mid-run is retried, and the run completes once it is back', async () => {
    // Paced (4000 records at 2500/s of simulated time), so that the broker goes away mid-run.
    const args = ['--start', '2024-01-25T12:00:00Z', '--rate', '2500', '--count', '4000', '--seed', '7'];
    const reference = runCli(['generate', ...args]);
    const child = spawnCli(['generate', ...args, '--kafka', mock.bootstrap, '--topic', 'flaky']);
    child.stdin.end();
    const done = collect(child);
    await waitForMessages(mock, 'flaky', 1);
    await mock.brokerDown();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await mock.brokerUp();
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Kafka: .*retry \d+ in [\d.]+ s/, 'the retries are reported');
    const expectedLines = lines((await reference).stdout);
    assert.equal(expectedLines.length, 4000);
    const produced = (await readTopic(mock.brokers, 'flaky')).map((m) => String(m.value));
    // At least once: a request whose acknowledgement was lost when the broker went away may be
    // written twice; nothing is missing.
    assert.deepEqual([...new Set(produced)].sort(), [...new Set(expectedLines)].sort());
    assert.ok(produced.length >= 4000 && produced.length <= 4000 + 500, `${produced.length} messages`);
  });

  test('a broker that stays away fails the run after --kafka-retry seconds', async () => {
    const args = ['--start', '2024-01-25T12:00:00Z', '--rate', '1000', '--count', '100000', '--seed', '3'];
    const child = spawnCli([
      'generate',
      ...args,
      '--kafka',
      mock.bootstrap,
      '--topic',
      'gone',
      '--kafka-retry',
      '1',
    ]);
    child.stdin.end();
    const done = collect(child);
    await waitForMessages(mock, 'gone', 1);
    await mock.brokerDown();
    const r = await done;
    await mock.brokerUp();
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /tidewatch generate: producing to Kafka topic gone at \S+ failed \(\d+ records acknowledged before\): /,
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
});

async function waitForMessages(mock: KafkaMock, topic: string, count: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while ((await readTopic(mock.brokers, topic)).length < count) {
    if (Date.now() > deadline) throw new Error(`no ${count} messages in ${topic} within 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
