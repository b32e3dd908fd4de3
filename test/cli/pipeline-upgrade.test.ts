/**
 * A data directory an older tidewatch made, started by this one (the real CLI, psql's protocol
 * through node-postgres): a built-in detection view whose committed definition is an older one
 * is brought up to date at start — its rows computed again from the retained raw events, the
 * user's thresholds, allow-list rows, views and sink kept, the sink told only what changed — or
 * kept with --no-pipeline-upgrade; a view of the user's reading it refuses the upgrade, naming
 * it; and a view whose committed operators this code builds otherwise (a one-sided ON condition
 * now filtered before the join) is rebuilt instead of failing the start.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { generatedTraffic, tenMinutesAgo } from '../helpers/generated-traffic.ts';
import { eventually } from '../helpers/poll-query.ts';
import { RestartableServer } from '../helpers/restartable-server.ts';
import { editSavedState, withDefinition, withoutOrigins } from '../helpers/saved-state.ts';

const EVENTS = 20_000;
const CURRENT = "' failed logins in 60 s'";
const OLDER = "' failures in a minute'";
const start = tenMinutesAgo();
const BASE = ['--idle-timeout', '0', '--status-interval', '600'];
const GENERATOR = generatedTraffic({ seed: 5, rate: 'max', start, count: EVENTS, attacks: 'brute-force' });

let dir: string;
let server: RestartableServer;
let client: pg.Client | undefined;

async function connect(): Promise<pg.Client> {
  await client?.end().catch(() => undefined);
  client = await server.connect();
  return client;
}

async function stop(): Promise<void> {
  await client?.end().catch(() => undefined);
  client = undefined;
  await server.stop();
}

async function rows(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  return (await (client as pg.Client).query(sql, params)).rows;
}

const definition = async (view: string) =>
  String((await rows('SELECT definition FROM pg_matviews WHERE matviewname = $1', [view]))[0]?.definition);

/** Posts failed logins of `ip` to the HTTP ingest endpoint, a minute after what the source holds. */
async function failedLogins(ip: string, n: number): Promise<void> {
  const [{ t }] = (await rows('SELECT max(request_timestamp) AS t FROM website_logs_source')) as [
    { t: Date },
  ];
  const at = new Date(t.getTime() + 60_000);
  const lines = Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      request_timestamp: new Date(at.getTime() + i * 1000).toISOString(),
      ip_address: ip,
      user_agent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
      url: 'https://streamprocessingdemo.com/login',
      http_method: 'POST',
      status_code: 401,
      response_time: 40,
      referrer: 'direct',
      user_id: '77',
      username: 'mallory',
      user_action: 'login',
      security_level: 'medium',
    }),
  );
  const r = await fetch(`${server.httpUrl}/ingest/website_logs_source`, {
    method: 'POST',
    body: `${lines.join('\n')}\n`,
  });
  assert.equal(r.status, 200, await r.text());
}

/** The brute-force detections, with their evidence. */
const bruteForce = () =>
  rows(
    "SELECT actor, window_start, evidence FROM detections WHERE scenario = 'brute-force' ORDER BY actor, window_start",
  );

interface SinkLine {
  readonly status: string;
  readonly op: string;
  readonly row: { readonly actor: string; readonly evidence: string };
}

const sinkLines = (): SinkLine[] =>
  existsSync(join(dir, 'alerts.ndjson'))
    ? readFileSync(join(dir, 'alerts.ndjson'), 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as SinkLine)
    : [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tidewatch-upgrade-'));
  server = new RestartableServer({ dataDir: join(dir, 'data'), args: GENERATOR });
  await server.start();
  await connect();
  await eventually(
    client as pg.Client,
    'SELECT count(*)::int AS n FROM website_logs_source',
    (r) => (r[0] as { n: number }).n >= EVENTS,
  );
});

after(async () => {
  await client?.end().catch(() => undefined);
  await server?.dispose();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test('an older definition of a built-in view is brought up to date at start; what is the user’s stays', async () => {
  await rows(
    "UPDATE detection_thresholds SET value = 31 WHERE scenario = 'security-surge' AND name = 'high_events'",
  );
  await rows("INSERT INTO detection_allowlist VALUES ('198.51.100.7', 'our scanner')");
  await rows(
    'CREATE MATERIALIZED VIEW my_thresholds AS SELECT scenario, count(*) AS n FROM detection_thresholds GROUP BY scenario',
  );
  await rows(`CREATE SINK my_alerts FROM detections WITH (connector = 'file', path = '${join(dir, 'alerts.ndjson')}',
    type = 'upsert', primary_key = 'scenario, actor, window_start')`);
  await rows('FLUSH');
  const generated = await bruteForce();
  assert.ok(generated.length > 0, 'the generated brute force is detected');
  for (const d of generated) assert.match(String(d.evidence), /failed logins in 60 s/);
  await stop();

  // As a tidewatch whose brute-force rule worded its evidence otherwise, and that recorded no origins.
  await editSavedState(server.dataDir, (s) =>
    withoutOrigins(withDefinition(s, 'detection_brute_force', (sql) => sql.replace(CURRENT, OLDER))),
  );
  await server.start([...BASE, '--no-generator', '--no-pipeline-upgrade']);
  await connect();
  assert.match(
    server.stderr,
    /views detection_brute_force keep the definitions of an older tidewatch \(--no-pipeline-upgrade\)/,
  );
  assert.match(await definition('detection_brute_force'), /failures in a minute/);
  await failedLogins('203.0.113.50', 8);
  const older = await eventually(
    client as pg.Client,
    "SELECT window_start, evidence FROM detections WHERE actor = '203.0.113.50' AND scenario = 'brute-force' ORDER BY window_start",
    (r) => r.length > 0,
  );
  assert.ok(older.length > 0);
  for (const d of older)
    assert.match(String(d.evidence), /^\d+ failures in a minute on 1 account\(s\), e\.g\. mallory$/);
  await eventually(
    client as pg.Client,
    "SELECT pending FROM tidewatch_sinks WHERE sink_name = 'my_alerts'",
    (r) => r[0]?.pending === '0',
  );
  const sentBefore = sinkLines().length;
  await stop();

  await server.start([...BASE, '--no-generator']);
  await connect();
  assert.match(
    server.stderr,
    /pipeline pipelines\/detections\.sql: views detection_brute_force brought up to date; detection_brute_force, detections built again/,
  );
  assert.match(await definition('detection_brute_force'), /failed logins in 60 s/);
  assert.doesNotMatch(await definition('detection_brute_force'), /failures in a minute/);
  // The rows are the current definition's, computed again from the retained raw events.
  const now = await bruteForce();
  const posted = now.filter((d) => d.actor === '203.0.113.50');
  assert.deepEqual(
    posted.map((d) => [d.window_start, d.evidence]),
    older.map((d) => [
      d.window_start,
      String(d.evidence).replace('failures in a minute', 'failed logins in 60 s'),
    ]),
  );
  assert.deepEqual(
    now.filter((d) => d.actor !== '203.0.113.50'),
    generated,
  );
  assert.deepEqual(
    await rows("SELECT count(*)::int AS n FROM detections WHERE evidence LIKE '%failures in a minute%'"),
    [{ n: 0 }],
  );
  // The user's rows, view and sink are there; the sink was told only of the rows that changed.
  assert.deepEqual(
    await rows(
      "SELECT value FROM detection_thresholds WHERE scenario = 'security-surge' AND name = 'high_events'",
    ),
    [{ value: 31 }],
  );
  assert.deepEqual(await rows('SELECT actor, reason FROM detection_allowlist'), [
    { actor: '198.51.100.7', reason: 'our scanner' },
  ]);
  assert.ok((await rows('SELECT * FROM my_thresholds')).length >= 9);
  assert.deepEqual(
    (await rows('SELECT name FROM rw_catalog.rw_sinks')).map((r) => r.name),
    ['my_alerts'],
  );
  await eventually(
    client as pg.Client,
    "SELECT state, pending FROM tidewatch_sinks WHERE sink_name = 'my_alerts'",
    (r) => r[0]?.state === 'idle' && r[0]?.pending === '0',
  );
  const sent = sinkLines().slice(sentBefore);
  assert.equal(sent.length, posted.length, JSON.stringify(sent));
  for (const line of sent) {
    assert.deepEqual([line.status, line.op, line.row.actor], ['firing', 'update', '203.0.113.50']);
    assert.match(line.row.evidence, /failed logins in 60 s/);
  }
});

test('a view of the user’s reading a changed built-in view refuses the upgrade, naming it; the old definitions can be kept', async () => {
  await rows(
    'CREATE MATERIALIZED VIEW my_brute AS SELECT actor, count(*) AS n FROM detection_brute_force GROUP BY actor',
  );
  await rows('FLUSH');
  const mine = await rows('SELECT * FROM my_brute ORDER BY actor');
  await stop();
  await editSavedState(server.dataDir, (s) =>
    withDefinition(s, 'detection_brute_force', (sql) => sql.replace(CURRENT, OLDER)),
  );
  await assert.rejects(server.start([...BASE, '--no-generator']), (e: Error) => {
    assert.match(
      e.message,
      /tidewatch: pipeline pipelines\/detections\.sql: this version defines its views detection_brute_force otherwise, and your materialized views my_brute read them\. Drop yours \(DROP MATERIALIZED VIEW my_brute\), start tidewatch to bring the built-in views up to date, then create yours again; or start with --no-pipeline-upgrade to keep the old definitions/,
    );
    return true;
  });
  await server.start([...BASE, '--no-generator', '--no-pipeline-upgrade']);
  await connect();
  assert.deepEqual(await rows('SELECT * FROM my_brute ORDER BY actor'), mine);
  assert.match(await definition('detection_brute_force'), /failures in a minute/);
  await stop();
  // Without the user's view in the way, the next start brings it up to date.
  await editSavedState(server.dataDir, (s) =>
    withDefinition(s, 'detection_brute_force', (sql) => sql.replace(OLDER, CURRENT)),
  );
});

test('a view whose committed operators this code builds otherwise is rebuilt at start, not refused', async () => {
  await server.start([...BASE, '--no-generator']);
  await connect();
  const detections = await rows('SELECT * FROM detections ORDER BY scenario, actor, window_start');
  const mine = await rows('SELECT * FROM my_brute ORDER BY actor');
  await stop();
  // As a binder that did not filter the thresholds side of the brute-force rule's join saved it.
  await editSavedState(
    server.dataDir,
    (s) => s,
    (names) => {
      const end = names.indexOf('view detection_brute_force');
      const from = names.slice(0, end).findLastIndex((n) => n.startsWith('view '));
      const filter = names.findIndex((n, i) => i > from && i < end && n === 'filter');
      assert.ok(filter > from, 'the rule filters the thresholds before its join');
      return filter;
    },
  );
  await server.start([...BASE, '--no-generator']);
  await connect();
  assert.match(
    server.stderr,
    /views detection_brute_force were saved with operators this version builds otherwise; built again with the views reading them from the retained raw events \(--retain-hours\): detection_brute_force, detections, my_brute/,
  );
  assert.deepEqual(await rows('SELECT * FROM detections ORDER BY scenario, actor, window_start'), detections);
  assert.deepEqual(await rows('SELECT * FROM my_brute ORDER BY actor'), mine);
  // It goes on counting each event once.
  await failedLogins('203.0.113.51', 9);
  const fresh = await eventually(
    client as pg.Client,
    "SELECT evidence FROM detections WHERE actor = '203.0.113.51'",
    (r) => r.some((d) => /^9 /.test(String(d.evidence))),
  );
  assert.ok(
    fresh.every((d) => /^[6-9] failed logins in 60 s/.test(String(d.evidence))),
    JSON.stringify(fresh),
  );
  await stop();
  await server.start([...BASE, '--no-generator']);
  assert.doesNotMatch(server.stderr, /built again/);
});
