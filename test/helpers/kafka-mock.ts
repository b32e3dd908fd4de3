/**
 * A real Kafka-protocol broker for tests: librdkafka's mock cluster (Debian's `librdkafka-dev`)
 * in a small launcher (`test/fixtures/kafka-mock/launcher.c`), compiled with gcc on first use
 * into a cache directory keyed by the source's hash, so a test run compiles it once at most.
 *
 * The mock keeps topics in memory (about 5 MB a partition, older messages dropped), answers no
 * CreateTopics, ListGroups or DescribeGroups (topics are made here), and makes a consumer
 * group's first join wait about 3 s: tests assign partitions explicitly.
 *
 * A broker restart is `brokerDown()` then `brokerUp()`: connections are closed and refused
 * meanwhile, and the topics and their messages are still there afterwards. `stop()` ends the
 * process; a new `startKafkaMock({ ports: old.ports, … })` then serves on the same addresses,
 * empty.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Consumer } from '@platformatic/kafka';

const SOURCE = fileURLToPath(new URL('../fixtures/kafka-mock/launcher.c', import.meta.url));

export interface MockTopic {
  readonly name: string;
  readonly partitions: number;
}

export interface KafkaMockOptions {
  readonly topics?: readonly MockTopic[];
  /** Brokers in the cluster, ids 1…N (default 1); partitions' leaders are spread over them. */
  readonly brokers?: number;
  /** One port per broker to listen on (127.0.0.1); default: ports the system picks. */
  readonly ports?: readonly number[];
}

export interface KafkaMock {
  /** `host:port,host:port…`, as a client's bootstrap list. */
  readonly bootstrap: string;
  /** The brokers' `host:port`, broker 1 first. */
  readonly brokers: readonly string[];
  readonly ports: readonly number[];
  /** Closes the broker's connections and refuses new ones until `brokerUp` (default: all brokers). */
  brokerDown(id?: number): Promise<void>;
  brokerUp(id?: number): Promise<void>;
  createTopic(name: string, partitions: number): Promise<void>;
  /** Moves a partition's leader to broker `id` (-1: the partition has no leader). */
  setLeader(topic: string, partition: number, id: number): Promise<void>;
  /** Delays every response of a broker (default: all) by `ms`. */
  setRtt(ms: number, id?: number): Promise<void>;
  /** Ends the process (stdin closed, then SIGKILL if it lingers); resolves once it exited. */
  stop(): Promise<void>;
}

let compiled: string | undefined;

/** Why the mock broker cannot run here, or undefined when it can. */
export function kafkaMockUnavailable(): string | undefined {
  try {
    execFileSync('pkg-config', ['--exists', 'rdkafka'], { stdio: 'ignore' });
  } catch {
    return 'pkg-config finds no rdkafka (Debian package librdkafka-dev; scripts/install-system-packages.sh installs it)';
  }
  const includeDir = execFileSync('pkg-config', ['--variable=includedir', 'rdkafka'], {
    encoding: 'utf8',
  }).trim();
  if (!existsSync(join(includeDir || '/usr/include', 'librdkafka', 'rdkafka_mock.h')))
    return 'librdkafka has no rdkafka_mock.h (librdkafka-dev 2.0 or newer is needed)';
  try {
    execFileSync('gcc', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'gcc is not installed';
  }
  return undefined;
}

/** The launcher's binary, compiled now unless the cache holds one built from the same source. */
export function kafkaMockBinary(): string {
  if (compiled !== undefined) return compiled;
  const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'rdkafka'], { encoding: 'utf8' })
    .trim()
    .split(/\s+/)
    .filter((f) => f !== '');
  const hash = createHash('sha256')
    .update(readFileSync(SOURCE))
    .update(flags.join(' '))
    .digest('hex')
    .slice(0, 16);
  const dir = join(tmpdir(), 'tidewatch-kafka-mock');
  const binary = join(dir, `kafka-mock-${hash}`);
  if (!existsSync(binary)) {
    mkdirSync(dir, { recursive: true });
    // Test files run in parallel: each compiles to a name of its own and renames, which is atomic.
    const partial = `${binary}.${process.pid}.tmp`;
    execFileSync('gcc', ['-O1', '-Wall', '-o', partial, SOURCE, ...flags, '-ldl'], { stdio: 'pipe' });
    renameSync(partial, binary);
  }
  compiled = binary;
  return binary;
}

export async function startKafkaMock(options: KafkaMockOptions = {}): Promise<KafkaMock> {
  const args = ['--brokers', String(options.brokers ?? 1)];
  for (const port of options.ports ?? []) args.push('--port', String(port));
  for (const t of options.topics ?? []) args.push('--topic', `${t.name}:${t.partitions}`);
  const child = spawn(kafkaMockBinary(), args, { stdio: 'pipe' });
  const lines = createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  lines.on('line', (line) => waiting.shift()?.(line));
  const nextLine = (what: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const onClose = () => reject(new Error(`kafka mock exited before ${what}: ${stderr.trim()}`));
      child.once('close', onClose);
      waiting.push((line) => {
        child.off('close', onClose);
        resolve(line);
      });
    });

  const banner = await nextLine('printing its address');
  const match = /^bootstrap (\S+)$/.exec(banner);
  if (!match) throw new Error(`kafka mock printed "${banner}"`);
  const bootstrap = match[1] as string;
  const brokers = bootstrap.split(',');
  const ports = brokers.map((b) => Number(b.slice(b.lastIndexOf(':') + 1)));

  let queue: Promise<unknown> = Promise.resolve();
  const command = (text: string): Promise<void> => {
    const run = queue.then(async () => {
      const reply = nextLine(`answering "${text}"`);
      child.stdin.write(`${text}\n`);
      const line = await reply;
      if (line !== 'ok') throw new Error(`kafka mock: ${text}: ${line}`);
    });
    queue = run.catch(() => undefined);
    return run;
  };
  const broker = (id: number | undefined) => (id === undefined ? 'all' : String(id));

  return {
    bootstrap,
    brokers,
    ports,
    brokerDown: (id) => command(`down ${broker(id)}`),
    brokerUp: (id) => command(`up ${broker(id)}`),
    createTopic: (name, partitions) => command(`topic ${name} ${partitions}`),
    setLeader: (topic, partition, id) => command(`leader ${topic} ${partition} ${id}`),
    setRtt: (ms, id) => command(`rtt ${broker(id)} ${ms}`),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface TopicMessage {
  readonly partition: number;
  readonly offset: bigint;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Every message of `topic` up to each partition's end at the time of the call, partition by
 * partition in offset order, read with plain Fetch requests (no group, and none of tidewatch's
 * reading code).
 */
export async function readTopic(bootstrap: readonly string[], topic: string): Promise<TopicMessage[]> {
  const consumer = new Consumer({
    clientId: 'test-read-topic',
    groupId: 'test-read-topic',
    bootstrapBrokers: [...bootstrap],
    retries: 2,
    retryDelay: 100,
  });
  consumer.topics.track(topic);
  try {
    const metadata = await consumer.metadata({ topics: [topic], forceUpdate: true });
    const partitions = metadata.topics.get(topic)?.partitions ?? [];
    const ends = await consumer.listOffsets({ topics: [topic], timestamp: -1n });
    const starts = await consumer.listOffsets({ topics: [topic], timestamp: -2n });
    const messages: TopicMessage[] = [];
    for (const [partition, info] of partitions.entries()) {
      const end = ends.get(topic)?.[partition] ?? 0n;
      let next = starts.get(topic)?.[partition] ?? 0n;
      while (next < end) {
        const response = await consumer.fetch({
          node: info.leader,
          maxWaitTime: 10,
          topics: [
            {
              topicId: topic,
              partitions: [
                {
                  partition,
                  currentLeaderEpoch: -1,
                  fetchOffset: next,
                  lastFetchedEpoch: -1,
                  partitionMaxBytes: 4 << 20,
                },
              ],
            },
          ],
        });
        const before = next;
        for (const batch of response.responses[0]?.partitions[0]?.records ?? []) {
          for (const record of batch.records) {
            const offset = batch.firstOffset + BigInt(record.offsetDelta);
            if (offset < next) continue;
            messages.push({
              partition,
              offset,
              key: record.key === null ? null : record.key.toString(),
              value: record.value === null ? null : record.value.toString(),
              headers: Object.fromEntries(
                record.headers.map(([k, v]) => [k?.toString() ?? '', v?.toString() ?? '']),
              ),
            });
            next = offset + 1n;
          }
        }
        if (next === before) throw new Error(`no progress reading ${topic}[${partition}] at ${next}`);
      }
    }
    return messages;
  } finally {
    await consumer.close(true);
  }
}
