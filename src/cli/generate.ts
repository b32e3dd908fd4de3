import { type DriveOptions, drive, type RecordOutput } from '../generator/drive.ts';
import { labelFile, ndjsonFile, ndjsonHttp, ndjsonStream } from '../generator/outputs.ts';
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
    name: 'output',
    short: 'o',
    arg: 'FILE|URL',
    help: 'where records go: - for stdout, a file, or an http(s) URL to POST NDJSON batches to',
    default: '-' as string,
    parse: parseNonEmpty,
  },
  {
    name: 'batch-size',
    arg: 'N',
    help: 'records per HTTP POST',
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
  ],
  async run(s, io) {
    if (s.start === '' && s.speedup !== '1')
      throw new UsageError('tidewatch generate: --speedup needs --start (simulated time)');
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
    return generate(options, s.output, s['batch-size'], s.labels[0], io);
  },
});

async function generate(
  options: DriveOptions,
  target: string,
  batchSize: number,
  labelsPath: string | undefined,
  io: Io,
): Promise<number> {
  const output = openOutput(target, batchSize, io);
  const labels = labelsPath ? labelFile(labelsPath) : undefined;
  const controller = new AbortController();
  const stopWatching = onInterrupt(() => controller.abort());
  const started = performance.now();
  try {
    const { records } = await drive({ ...options, signal: controller.signal }, output, labels);
    if (target !== '-') {
      const seconds = (performance.now() - started) / 1000;
      io.stderr.write(`generated ${records} records in ${seconds.toFixed(1)} s to ${target}\n`);
    }
    return 0;
  } finally {
    stopWatching();
  }
}

function openOutput(target: string, batchSize: number, io: Io): RecordOutput {
  if (target === '-') return ndjsonStream(io.stdout);
  if (/^https?:\/\//.test(target)) return ndjsonHttp(target, { batchSize });
  return ndjsonFile(target);
}
