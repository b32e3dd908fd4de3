import { parseBootstrap } from '../connectors/kafka/client-options.ts';
import { KafkaProduceError, openKafkaRecordOutput } from '../connectors/kafka/record-producer.ts';
import { toCombinedLine } from '../generator/combined-line.ts';
import { type DriveOptions, drive, type RecordOutput } from '../generator/drive.ts';
import { type LineOf, labelFile, ndjsonFile, ndjsonHttp, ndjsonStream } from '../generator/outputs.ts';
import { toJsonLine } from '../generator/record.ts';
import { type Command, defineCommand, type Io } from './command.ts';
import {
  parseInteger,
  parseList,
  parseNonEmpty,
  parsePositiveNumber,
  parseRate,
  UsageError,
} from './flags.ts';
import {
  attacksFrom,
  generatorClock,
  parseAttackItem,
  parseSeed,
  parseTime,
  seedFrom,
} from './generator-flags.ts';
import { onInterrupt } from './interrupt.ts';

const flags = [
  {
    name: 'rate',
    arg: 'N|max',
    help: 'events per second of event time; max = as fast as possible',
    default: '200' as string,
    parse: parseRate,
  },
  {
    name: 'duration',
    arg: 'SECONDS',
    help: 'stop after this much event time',
    default: 0 as number,
    parse: parsePositiveNumber,
  },
  {
    name: 'count',
    arg: 'N',
    help: 'stop after this many records',
    default: 0 as number,
    parse: parseInteger(1, Number.MAX_SAFE_INTEGER),
  },
  {
    name: 'seed',
    arg: 'N',
    help: 'seed of the random choices; the same seed and --start give the same records',
    default: '' as string,
    parse: parseSeed,
  },
  {
    name: 'start',
    arg: 'TIME',
    help: 'simulated event time of the first record (ISO 8601); default: the wall clock',
    default: '' as string,
    parse: parseTime,
  },
  {
    name: 'speedup',
    arg: 'N|max',
    help: 'with --start: event time runs N times faster than the wall clock',
    default: '1' as string,
    parse: parseRate,
  },
  {
    name: 'attack',
    arg: 'LIST',
    help: `attack scenarios to inject, NAME[:events/s],… or all`,
    default: [] as readonly string[],
    parse: parseAttackItem,
    repeatable: true,
  },
  {
    name: 'attack-duration',
    arg: 'SECONDS',
    help: 'length of each attack episode',
    default: 60 as number,
    parse: parsePositiveNumber,
  },
  {
    name: 'attack-gap',
    arg: 'SECONDS',
    help: 'pause between episodes of one scenario',
    default: 120 as number,
    parse: parsePositiveNumber,
  },
  {
    name: 'users',
    arg: 'N',
    help: 'registered users in the simulated population',
    default: 1000 as number,
    parse: parseInteger(1, 1_000_000),
  },
  {
    name: 'output-format',
    arg: 'FORMAT',
    help: 'ndjson (the reference schema), or combined: access-log lines as Apache and nginx write them (stdout or a file)',
    default: 'ndjson' as string,
    parse: (text: string) => {
      if (text !== 'ndjson' && text !== 'combined') throw new Error(`"${text}" is not ndjson or combined`);
      return text;
    },
  },
  {
    name: 'output',
    short: 'o',
    arg: 'FILE|URL',
    help: 'where records go: - for stdout, a file, or an http(s) URL to POST NDJSON batches to',
    default: '-' as string,
    parse: parseNonEmpty,
  },
  {
    name: 'kafka',
    arg: 'HOST:PORT[,…]',
    help: 'produce records to a Kafka topic (needs --topic) through these bootstrap brokers',
    default: '' as string,
    parse: parseBrokers,
  },
  {
    name: 'topic',
    arg: 'NAME',
    help: 'the Kafka topic to produce to (must exist); messages are keyed by ip_address',
    default: '' as string,
    parse: parseNonEmpty,
  },
  {
    name: 'kafka-retry',
    arg: 'SECONDS',
    help: 'how long to keep retrying a Kafka broker that went away before failing',
    default: 30 as number,
    parse: parsePositiveNumber,
  },
  {
    name: 'batch-size',
    arg: 'N',
    help: 'records per HTTP POST or Kafka produce request',
    default: 500 as number,
    parse: parseInteger(1, 1_000_000),
  },
  {
    name: 'labels',
    arg: 'FILE',
    help: 'write one NDJSON label per attack episode (scenario, actor, start, end) to FILE',
    default: '' as string,
    parse: parseList,
  },
] as const;

export const generateCommand: Command<typeof flags> = defineCommand({
  name: 'generate',
  summary: 'Generate realistic website access-log records (NDJSON, reference schema) with optional attacks.',
  usage: 'tidewatch generate [options]',
  flags,
  details: [
    'Attack scenarios: brute-force, credential-stuffing, path-scan (scan), sqli, xss, bad-bot, flood,',
    'account-takeover, degradation. Attacks come on top of --rate and are never marked in the records;',
    '--labels records who attacked when.',
    '',
    'Examples:',
    '  tidewatch generate --rate 1000 --duration 5 --seed 1 | wc -l',
    '  tidewatch generate --start 2024-01-25T12:00:00Z --speedup 100 --count 3000 --seed 42 > day.ndjson',
    '  tidewatch generate --attack brute-force,scan:20 --labels labels.ndjson -o http://127.0.0.1:8080/ingest',
    '  tidewatch generate --kafka 127.0.0.1:9092 --topic website_logs --rate 1000',
    '',
    "Kafka: one message per record (the NDJSON line), keyed by ip_address so that one address's",
    "records stay in order in one partition (Java's default partitioner); --batch-size records per",
    'produce request, each acknowledged by all in-sync replicas before the next. A broker that is not',
    'there at the start is an error (exit status 1); one that goes away later is retried with backoff',
    '(0.2 s doubling to 5 s) for --kafka-retry seconds, then the run fails (exit status 1).',
  ],
  async run(s, io) {
    if (s.start === '' && s.speedup !== '1')
      throw new UsageError('tidewatch generate: --speedup needs --start (simulated time)');
    if ((s.kafka === '') !== (s.topic === ''))
      throw new UsageError('tidewatch generate: --kafka and --topic go together');
    if (s.kafka !== '' && s.output !== '-')
      throw new UsageError('tidewatch generate: give either --kafka or --output, not both');
    if (s['output-format'] !== 'ndjson' && (s.kafka !== '' || /^https?:\/\//.test(s.output)))
      throw new UsageError('tidewatch generate: --output-format combined writes to stdout or a file only');
    const clock = generatorClock(s.rate, s.start, s.speedup);
    const options: DriveOptions = {
      traffic: {
        ...clock.traffic,
        seed: seedFrom(s.seed),
        attacks: attacksFrom(s.attack),
        attackDurationSec: s['attack-duration'],
        attackGapSec: s['attack-gap'],
        users: s.users,
      },
      speedup: clock.speedup,
      ...(s.count ? { count: s.count } : {}),
      ...(s.duration ? { durationSec: s.duration } : {}),
    };
    const target: Target =
      s.kafka !== ''
        ? { kafka: parseBootstrap(s.kafka), topic: s.topic, retryForMs: s['kafka-retry'] * 1000 }
        : s.output;
    const lineOf = s['output-format'] === 'combined' ? toCombinedLine : toJsonLine;
    return generate(options, target, s['batch-size'], s.labels[0], io, lineOf);
  },
});

/** Where the records go: a file, stdout (-), a URL, or a Kafka topic. */
type Target = string | { kafka: readonly string[]; topic: string; retryForMs: number };

async function generate(
  options: DriveOptions,
  target: Target,
  batchSize: number,
  labelsPath: string | undefined,
  io: Io,
  lineOf: LineOf,
): Promise<number> {
  let output: RecordOutput;
  try {
    output = await openOutput(target, batchSize, io, lineOf);
  } catch (error) {
    if (!(error instanceof KafkaProduceError)) throw error;
    io.stderr.write(`tidewatch generate: ${error.message}\n`);
    return 1;
  }
  const labels = labelsPath ? labelFile(labelsPath) : undefined;
  const controller = new AbortController();
  const stopWatching = onInterrupt(() => controller.abort());
  const started = performance.now();
  try {
    const { records } = await drive({ ...options, signal: controller.signal }, output, labels);
    if (target !== '-') {
      const seconds = (performance.now() - started) / 1000;
      const where = typeof target === 'string' ? target : `Kafka topic ${target.topic}`;
      io.stderr.write(`generated ${records} records in ${seconds.toFixed(1)} s to ${where}\n`);
    }
    return 0;
  } catch (error) {
    if (!(error instanceof KafkaProduceError)) throw error;
    io.stderr.write(`tidewatch generate: ${error.message}\n`);
    return 1;
  } finally {
    stopWatching();
  }
}

async function openOutput(target: Target, batchSize: number, io: Io, lineOf: LineOf): Promise<RecordOutput> {
  if (typeof target !== 'string') {
    return openKafkaRecordOutput({
      bootstrap: target.kafka,
      topic: target.topic,
      batchSize,
      retryForMs: target.retryForMs,
      onRetry: (attempt, delayMs, reason) =>
        io.stderr.write(
          `tidewatch generate: Kafka: ${reason}; retry ${attempt} in ${(delayMs / 1000).toFixed(1)} s\n`,
        ),
    });
  }
  if (target === '-') return ndjsonStream(io.stdout, lineOf);
  if (/^https?:\/\//.test(target)) return ndjsonHttp(target, { batchSize });
  return ndjsonFile(target, lineOf);
}

function parseBrokers(text: string): string {
  parseBootstrap(text);
  return text;
}
