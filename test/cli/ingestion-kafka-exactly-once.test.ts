/**
 * The reference pipeline reading its Kafka topic, killed while it consumes: a 4-partition topic
 * of a real Kafka-protocol broker (librdkafka's mock) is filled by `tidewatch generate --kafka`,
 * and `tidewatch start --no-generator` on the reference pipeline (its source's bootstrap server
 * pointed at the broker) is killed with SIGKILL at seeded points of its progress and restarted
 * on the same data directory each time. The run that finishes the topic must hold exactly the
 * views of an uninterrupted run over the same records, and every record once among the
 * source's retained raw events: offsets committed with the epoch, nothing twice, nothing lost.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { type KafkaMock, kafkaMockUnavailable, readTopic, startKafkaMock } from '../helpers/kafka-mock.ts';
import { prng } from '../helpers/random.ts';
import { RestartableServer } from '../helpers/restartable-server.ts';
import {
  type Expected,
  exactJson,
  exactRows,
  expectedRun,
  RAW_LINE_SQL,
  type StreamSpec,
  streamLines,
} from './deterministic-run.ts';
import {
  committedNow,
  fedBy,
  getStatus,
  kafkaClause,
  referencePipeline,
  sourceOf,
  waitFor,
} from './ingestion-helpers.ts';

const skip = kafkaMockUnavailable();
if (skip !== undefined) console.log(`# skipping the Kafka exactly-once test: ${skip}`);

const SOURCE = 'website_logs_source';

/**
 * The records a start found committed: the source's retained raw events in the store, which an
 * epoch commits with the views. (The engine's row count would include records read since the
 * start, and a kill soon after can leave those uncommitted.)
 */
async function committedRows(server: RestartableServer): Promise<number> {
  const client = await server.connect();
  try {
    return Number((await client.query(`SELECT count(*) AS n FROM ${SOURCE}`)).rows[0].n);
  } finally {
    await client.end();
  }
}
const TOPIC = 'website_logs';
const EVENTS = 20_000;
const GENERATE = [
  'generate',
  '--count',
  String(EVENTS),
  '--seed',
  '42',
  '--start',
  '2024-01-25T12:00:00Z',
  '--speedup',
  'max',
];
/**
 * The same records as `deterministic-run.ts` makes them: `generate` spaces records at its
 * default --rate (200 per simulated second; --speedup max only unpaces them) and injects no
 * attacks unless told.
 */
const SPEC: StreamSpec = { events: EVENTS, rate: 200, seed: 42, attacks: [] };
/**
 * Each broker response is delayed this long. The mock answers a fetch with one record batch per
 * partition (about 500 records here), so the topic takes seconds to read, and the kills land
 * while tidewatch consumes rather than after it is done.
 */
const RTT_MS = 100;

let mock: KafkaMock;
let expected: Expected;
let dir: string;

before(async () => {
  if (skip !== undefined) return;
  mock = await startKafkaMock({ topics: [{ name: TOPIC, partitions: 4 }] });
  dir = mkdtempSync(join(tmpdir(), 'tw-kafka-once-'));
  const [produced, printed] = await Promise.all([
    runCli([...GENERATE, '--kafka', mock.bootstrap, '--topic', TOPIC], { timeoutMs: 60_000 }),
    runCli(GENERATE, { timeoutMs: 60_000 }),
  ]);
  assert.equal(produced.code, 0, produced.stderr);
  assert.equal(printed.code, 0, printed.stderr);
  const lines = printed.stdout.split('\n').filter((l) => l !== '');
  // The expected views are computed from the stream deterministic-run.ts makes: it must be the
  // one `generate` printed, record for record and in order, and the topic must hold just that.
  assert.equal(lines.length, EVENTS);
  assert.deepEqual(lines, streamLines(SPEC), 'generate prints the stream the expected run is computed from');
  const messages = await readTopic(mock.brokers, TOPIC);
  assert.deepEqual(
    messages.map((m) => String(m.value)).sort(),
    [...lines].sort(),
    'the topic holds the records generate printed, each once',
  );
  expected = await expectedRun(SPEC);
  await mock.setRtt(RTT_MS);
});

after(async () => {
  await mock?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test('SIGKILLed 5–8 times while consuming a topic: the views equal an uninterrupted run, each record once', {
  skip,
  timeout: 240_000,
}, async () => {
  const pipeline = referencePipeline(dir, kafkaClause(mock.bootstrap, TOPIC));
  const server = new RestartableServer({
    dataDir: join(dir, 'data'),
    args: ['--no-generator', '--pipeline', pipeline, '--idle-timeout', '0', '--status-interval', '60'],
  });
  try {
    const random = prng(20_240_125);
    const kills = 5 + Math.floor(random() * 4);
    // Seeded points of progress (records in the engine, committed ones included) to kill at.
    const targets = Array.from({ length: kills }, () => 500 + Math.floor(random() * (EVENTS - 1000))).sort(
      (a, b) => a - b,
    );
    const seen: number[] = [];
    const restored: number[] = [];
    for (const target of targets) {
      const banner = await server.start();
      if (server.starts > 1) assert.match(banner, /resumed at epoch \d+/);
      restored.push(await committedRows(server));
      const rows = await Promise.race([
        server.failure,
        waitFor(
          `${SOURCE} to reach ${target} rows`,
          async () => {
            const rows = sourceOf(await getStatus(server.httpUrl), SOURCE).rows;
            return rows >= target ? rows : undefined;
          },
          { everyMs: 20 },
        ),
      ]);
      await server.kill();
      seen.push(rows);
    }

    // The run that finishes the topic.
    await server.start();
    restored.push(await committedRows(server));
    const done = await Promise.race([
      server.failure,
      waitFor(
        `all ${EVENTS} records read`,
        async () => {
          const source = sourceOf(await getStatus(server.httpUrl), SOURCE);
          const kafka = fedBy(source, 'kafka');
          return source.rows + source.lateRows >= EVENTS && kafka?.lag === 0 ? source : undefined;
        },
        { describe: () => `kills at ${seen.join(', ')}` },
      ),
    ]);
    await committedNow(server.httpUrl);
    const status = await getStatus(server.httpUrl);
    const source = sourceOf(status, SOURCE);
    assert.deepEqual([source.rows, source.lateRows], [EVENTS, 0], 'every record admitted once, none late');
    assert.equal(fedBy(source, 'kafka')?.state, 'waiting');
    assert.deepEqual(
      status.views.filter((v) => v.errors > 0),
      [],
    );
    for (let i = 1; i < restored.length; i++) {
      assert.ok(
        (restored[i] as number) >= (restored[i - 1] as number),
        `a start never restores less than the one before: ${restored.join(', ')}`,
      );
    }
    // Records read before a kill but not committed are read again after the restart, and must be
    // counted once: at least one kill came between a batch and its epoch's commit.
    const readAgain = seen.reduce((sum, rows, i) => sum + Math.max(0, rows - (restored[i + 1] as number)), 0);
    assert.ok(
      readAgain > 0,
      `some records were read again after a kill (seen ${seen}, restored ${restored})`,
    );

    for (const [name, rows] of Object.entries(expected.views)) {
      const view = (await exactJson(`${server.httpUrl}/api/views?name=${name}`)) as { rows: unknown[][] };
      assert.deepEqual(
        view.rows,
        exactRows(rows, expected.columns[name] ?? []),
        `${name} after ${kills} kills`,
      );
    }
    const client = await server.connect();
    try {
      const count = await client.query(`SELECT count(*)::int AS n FROM ${SOURCE}`);
      assert.equal(count.rows[0].n, EVENTS, 'the retained raw events are the topic’s records');
      const raw = await client.query({ text: RAW_LINE_SQL, rowMode: 'array' });
      assert.deepEqual(
        raw.rows.map((r) => String(r[0])).sort(),
        expected.raw,
        'each record retained exactly once',
      );
      const dead = await client.query('SELECT count(*)::int AS n FROM tidewatch_dead_letters');
      assert.equal(dead.rows[0].n, 0);
    } finally {
      await client.end();
    }
    await server.stop();
    console.log(
      `# ${kills} kills at ${seen.join(', ')} rows; starts restored ${restored.join(', ')}; ` +
        `${readAgain} records read again from Kafka, counted once; finished at ${done.rows}`,
    );
  } finally {
    await server.dispose();
  }
});
