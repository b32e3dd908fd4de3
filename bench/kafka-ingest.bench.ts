// End-to-end Kafka ingestion: records/s from a topic into the five reference views, through the
// real `tidewatch start --no-generator` whose reference source reads a 32-partition topic of a
// Kafka-protocol broker on loopback (librdkafka's mock cluster, as the tests use; it keeps only
// the last ~2.5 MB of each partition, so the records are spread over enough partitions for the
// topic to hold them all, and the bench says so when it did not). The topic is
// filled first by `tidewatch generate --kafka`; the clock runs from the start banner until the
// source has admitted every record and an epoch has committed them. Same-run baseline: splitting
// the same records' NDJSON and JSON.parse of each line, on one core.
//
// How to read it: "records/s" is the whole pipeline (fetch, decode, five views, epoch commits
// to the store); "per core" divides by the tidewatch process's CPU time (all its threads).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, waitForOutput } from '../test/helpers/cli.ts';
import { kafkaMockUnavailable, startKafkaMock } from '../test/helpers/kafka-mock.ts';
import { freePort } from '../test/helpers/postgres.ts';
import { formatRate, report } from './measure.ts';

const RECORDS = Number(process.env.KAFKA_INGEST_RECORDS ?? 300_000);
const TOPIC = 'website_logs';
const PARTITIONS = Number(process.env.KAFKA_INGEST_PARTITIONS ?? 32);
const START = '2024-01-25T12:00:00Z';

const unavailable = kafkaMockUnavailable();
if (unavailable !== undefined) {
  console.log(`kafka-ingest: skipped (${unavailable})`);
  process.exit(0);
}

const work = mkdtempSync(join(tmpdir(), 'tw-kafka-bench-'));
const broker = await startKafkaMock({ topics: [{ name: TOPIC, partitions: PARTITIONS }] });
let tidewatch: ReturnType<typeof spawn> | undefined;
try {
  const generateArgs = [
    'generate',
    '--count',
    String(RECORDS),
    '--seed',
    '1',
    '--start',
    START,
    '--speedup',
    'max',
  ];
  const filled = spawnSync(
    process.execPath,
    // Large produce requests: the mock answers a fetch with one record batch per partition, so
    // batches of a few records would measure its round trips rather than tidewatch.
    [
      BIN,
      ...generateArgs,
      '--kafka',
      broker.bootstrap,
      '--topic',
      TOPIC,
      '--batch-size',
      String(PARTITIONS * 500),
    ],
    {
      encoding: 'utf8',
    },
  );
  if (filled.status !== 0) throw new Error(`generate --kafka failed: ${filled.stderr}`);

  // Baseline: the same records' NDJSON, split and parsed on this core.
  const ndjson = spawnSync(process.execPath, [BIN, ...generateArgs], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  }).stdout;
  const t0 = performance.now();
  let fields = 0;
  for (const line of ndjson.split('\n')) if (line !== '') fields += Object.keys(JSON.parse(line)).length;
  const parseSeconds = (performance.now() - t0) / 1000;
  if (fields === 0) throw new Error('no records to parse');

  const pipeline = readFileSync(
    new URL('../pipelines/website-security.sql', import.meta.url),
    'utf8',
  ).replace(
    "properties.bootstrap.server = 'localhost:9092'",
    `properties.bootstrap.server = '${broker.bootstrap}'`,
  );
  const pipelineFile = join(work, 'pipeline.sql');
  writeFileSync(pipelineFile, pipeline);
  const httpPort = await freePort();
  const started = performance.now();
  tidewatch = spawn(
    process.execPath,
    [
      '--max-semi-space-size=4',
      BIN,
      'start',
      '--no-generator',
      '--pipeline',
      pipelineFile,
      '--data-dir',
      join(work, 'data'),
      '--pg-port',
      String(await freePort()),
      '--http-port',
      String(httpPort),
      '--idle-timeout',
      '0',
    ],
    { stdio: 'pipe' },
  );
  await waitForOutput(tidewatch as Parameters<typeof waitForOutput>[0], /Press Ctrl-C to stop/, 30_000);
  const pid = tidewatch.pid as number;
  const cpu = () => {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(f[11]) + Number(f[12])) / 100;
  };
  const cpuStart = cpu();
  const fromBanner = performance.now();
  let committedAt: number | undefined;
  let caughtUpSince: number | undefined;
  // The pace once reading is under way, without the first fetch and the last epoch's commit.
  let firstAt: number | undefined;
  let lastAt: number | undefined;
  let steadyFrom: { at: number; read: number } | undefined;
  let steadyTo: { at: number; read: number } | undefined;
  for (;;) {
    const status = (await (await fetch(`http://127.0.0.1:${httpPort}/api/status`)).json()) as {
      epoch: number;
      committed_epoch: number;
      sources: { rows: number; lateRows: number; ingestion?: { lag?: number }[] }[];
    };
    const source = status.sources[0];
    const read = (source?.rows ?? 0) + (source?.lateRows ?? 0);
    if (read > 0) firstAt ??= performance.now();
    if (read === RECORDS) lastAt ??= performance.now();
    if (read >= RECORDS * 0.1) steadyFrom ??= { at: performance.now(), read };
    if (read >= RECORDS * 0.9) steadyTo ??= { at: performance.now(), read };
    if (read === RECORDS && committedAt === undefined) committedAt = status.epoch;
    if (committedAt !== undefined && status.committed_epoch >= committedAt) break;
    // Nothing left to fetch, yet records missing: the broker dropped the oldest ones.
    if (source?.ingestion?.[0]?.lag === 0 && read < RECORDS) {
      caughtUpSince ??= performance.now();
      if (performance.now() - caughtUpSince > 5_000)
        throw new Error(`the topic held only ${read} of the ${RECORDS} records: use more partitions`);
    } else caughtUpSince = undefined;
    if (performance.now() - fromBanner > 600_000)
      throw new Error(`${read} of the ${RECORDS} records arrived in 10 minutes`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const doneAt = performance.now();
  const seconds = (doneAt - fromBanner) / 1000;
  const cpuSeconds = cpu() - cpuStart;
  report([
    [
      `kafka-ingest: ${RECORDS.toLocaleString('en-US')} generator records, a ${PARTITIONS}-partition topic → the five reference views`,
      '',
    ],
    ['baseline: split the NDJSON and JSON.parse each line, one core', formatRate(RECORDS / parseSeconds)],
    [
      'tidewatch: from the start banner to every record admitted and committed',
      `${formatRate(RECORDS / seconds)}  (${seconds.toFixed(2)} s: first record at ${(((firstAt ?? fromBanner) - fromBanner) / 1000).toFixed(2)} s, last one committed ${((doneAt - (lastAt ?? doneAt)) / 1000).toFixed(2)} s after it was admitted; start-up before the banner ${((fromBanner - started) / 1000).toFixed(2)} s)  ${(RECORDS / seconds / (RECORDS / parseSeconds)).toFixed(3)}× baseline`,
    ],
    [
      'tidewatch: from 10% to 90% of the records admitted',
      steadyFrom === undefined || steadyTo === undefined || steadyTo.at === steadyFrom.at
        ? 'too fast to tell'
        : `${formatRate(((steadyTo.read - steadyFrom.read) / (steadyTo.at - steadyFrom.at)) * 1000)}  ${((((steadyTo.read - steadyFrom.read) / (steadyTo.at - steadyFrom.at)) * 1000) / (RECORDS / parseSeconds)).toFixed(3)}× baseline`,
    ],
    [
      'tidewatch: CPU of its process (all threads)',
      `${cpuSeconds.toFixed(2)} s → ${formatRate(RECORDS / cpuSeconds)} per core`,
    ],
  ]);
} finally {
  tidewatch?.kill('SIGKILL');
  await broker.stop();
  rmSync(work, { recursive: true, force: true });
}
