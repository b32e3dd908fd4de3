/**
 * The generator's ground truth across crashes: a seeded generator with every attack scenario,
 * on simulated time as fast as tidewatch takes it, killed with SIGKILL at random moments and
 * started again each time. Once the stream is complete, `tidewatch_attack_labels` — read over
 * the PostgreSQL endpoint — holds every episode that began in the stream exactly once, the
 * data directory's `attack-labels.ndjson` too, and every label's attacker has events in
 * `website_logs_source` from the label's start on.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { attacksFrom, generatorClock } from '../../src/cli/generator-flags.ts';
import { TrafficGenerator } from '../../src/generator/traffic.ts';
import { RestartableServer } from '../helpers/restartable-server.ts';

const START = '2024-01-25T12:00:00Z';
const EVENTS = 600_000;
const SEED = 17;
const CRASHES = 5;

/** The episodes that begin among the stream's first `EVENTS` records, as label rows read back. */
function expectedLabels(): string[] {
  const clock = generatorClock('max', START, '1');
  const generator = new TrafficGenerator({ ...clock.traffic, seed: SEED, attacks: attacksFrom(['all']) });
  for (let i = 0; i < EVENTS; i++) generator.next();
  return generator
    .takeStarted()
    .map(({ label }) =>
      labelKey({ ...label, start_time: new Date(label.start), end_time: new Date(label.end) }),
    );
}

interface LabelFields {
  scenario: string;
  actor_ip: string | null;
  actor_user: string | null;
  target: string;
  start_time: Date;
  end_time: Date;
}

function labelKey(l: LabelFields): string {
  return [
    l.scenario,
    l.actor_ip,
    l.actor_user,
    l.target,
    l.start_time.toISOString(),
    l.end_time.toISOString(),
  ].join('|');
}

test('attack labels survive SIGKILLs exactly once, with their events, queryable over the endpoint', async () => {
  const expected = expectedLabels().sort();
  assert.ok(expected.length > 40, `the stream has many episodes (${expected.length})`);
  const dir = mkdtempSync(join(tmpdir(), 'tw-labels-'));
  const server = new RestartableServer({
    dataDir: join(dir, 'data'),
    args: [
      // Labels are the generator's: the detections would only slow each start down.
      '--no-detections',
      '--generator-rate',
      'max',
      '--generator-start',
      START,
      '--generator-seed',
      String(SEED),
      '--generator-count',
      String(EVENTS),
      '--idle-timeout',
      '0',
      '--status-interval',
      '60',
    ],
  });
  let seed = 5;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
  try {
    const seen: string[] = [];
    for (let crash = 0; crash < CRASHES; crash++) {
      await server.start();
      // Kills spread over the stream, whatever the machine's pace: each once the store holds
      // its share of the events, a random moment later.
      const client = await server.connect();
      const committed = async () =>
        (
          await client.query(
            'SELECT (SELECT count(*) FROM tidewatch_attack_labels)::int AS labels, (SELECT count(*) FROM website_logs_source)::int AS events',
          )
        ).rows[0] as { labels: number; events: number };
      while ((await committed()).events < ((crash + 1) * EVENTS) / (CRASHES + 1))
        await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, random() * 500));
      const at = await committed();
      await client.end();
      seen.push(`${at.labels} (${at.events} events)`);
      await server.kill();
    }
    await server.start();
    const client = await server.connect();
    try {
      // Until the whole stream is committed.
      for (;;) {
        const { rows } = await client.query('SELECT count(*)::int AS n FROM website_logs_source');
        if (rows[0].n === EVENTS) break;
        assert.ok(rows[0].n < EVENTS, `${rows[0].n} events, more than the stream's ${EVENTS}`);
        await new Promise((r) => setTimeout(r, 300));
      }
      await client.query('FLUSH');
      const labels = await client.query<LabelFields>(
        'SELECT scenario, actor_ip, actor_user, target, start_time, end_time FROM tidewatch_attack_labels',
      );
      console.log(
        `# labels committed at each kill: ${seen.join(', ')}; finally ${labels.rows.length} of ${expected.length}`,
      );
      assert.deepEqual(
        labels.rows.map(labelKey).sort(),
        expected,
        'every episode once in tidewatch_attack_labels',
      );

      const file = readFileSync(join(server.dataDir, 'attack-labels.ndjson'), 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => {
          const l = JSON.parse(line) as LabelFields & { start: string; end: string };
          return labelKey({ ...l, start_time: new Date(l.start), end_time: new Date(l.end) });
        });
      assert.deepEqual(file.sort(), expected, 'every episode once in attack-labels.ndjson');

      const without = await client.query(
        `SELECT l.scenario, l.actor_ip FROM tidewatch_attack_labels AS l
         WHERE l.actor_ip IS NOT NULL AND l.scenario <> 'account-takeover' AND NOT EXISTS (
           SELECT 1 FROM website_logs_source AS e
           WHERE e.ip_address = l.actor_ip AND e.request_timestamp >= l.start_time)`,
      );
      assert.deepEqual(without.rows, [], 'every labelled attacker has events from its start on');
    } finally {
      await client.end();
    }
  } finally {
    await server.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
