/**
 * The detection pipeline as `tidewatch start` applies it, read through the PostgreSQL endpoint:
 * after a seeded stream with all nine attacks, `SELECT * FROM detections` names every attacker
 * of the episodes the generator labelled in the data directory; an UPDATE of a threshold
 * through the endpoint leaves the detections made (it judges the windows counted after it),
 * and an allow-list entry takes an actor's detections away.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { AttackLabel } from '../../src/generator/scenarios.ts';
import { namesActor } from '../engine/detection-stream.ts';
import { type Endpoint, STREAM, startEndpoint } from './endpoint-helpers.ts';

let endpoint: Endpoint;
let client: pg.Client;

before(async () => {
  endpoint = await startEndpoint(STREAM, undefined, ['--detections']);
  client = new pg.Client({ host: '127.0.0.1', port: endpoint.pgPort, user: 'root', database: 'dev' });
  await client.connect();
});

after(async () => {
  await client?.end();
  await endpoint?.stop();
});

test('SELECT * FROM detections shows every labelled attack; a threshold UPDATE leaves them, the allow-list takes them back', async () => {
  const labels = readFileSync(join(endpoint.dataDir, 'attack-labels.ndjson'), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as AttackLabel);
  assert.equal(new Set(labels.map((l) => l.scenario)).size, 9, 'an episode of every scenario ended');

  const result = await client.query('SELECT * FROM detections ORDER BY window_start, scenario, actor');
  assert.deepEqual(
    result.fields.map((f) => f.name),
    ['scenario', 'actor', 'window_start', 'window_end', 'severity', 'evidence'],
  );
  const rows = result.rows as { scenario: string; actor: string; severity: string }[];
  for (const label of labels) {
    const hit = rows.find((r) => r.scenario === label.scenario && namesActor(label, r.actor));
    console.log(
      `# endpoint: ${label.scenario} by ${label.actor_ip ?? label.target}: ${hit ? 'detected' : 'missed'}`,
    );
    assert.ok(hit, `${label.scenario} by ${label.actor_ip ?? label.target} is in detections`);
  }
  assert.ok(rows.every((r) => ['low', 'medium', 'high', 'critical'].includes(r.severity)));

  await client.query('SET RW_IMPLICIT_FLUSH TO true');
  const floods = async () =>
    (await client.query("SELECT actor FROM detections WHERE scenario = 'flood'")).rows.map(
      (r) => r.actor as string,
    );
  const flooders = await floods();
  assert.ok(flooders.length > 0);
  await client.query(
    "UPDATE detection_thresholds SET value = 1e9 WHERE scenario = 'flood' AND name LIKE 'requests_per_%'",
  );
  assert.deepEqual(await floods(), flooders, 'a threshold judges the windows counted after it: these stay');
  const actor = flooders[0] as string;
  await client.query('INSERT INTO detection_allowlist VALUES ($1, $2)', [actor, 'test']);
  const left = await client.query('SELECT count(*)::int AS n FROM detections WHERE actor = $1', [actor]);
  assert.equal(left.rows[0].n, 0, 'an allow-listed actor has no detection, past ones included');
});
