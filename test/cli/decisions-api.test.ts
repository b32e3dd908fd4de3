/**
 * The decisions API of a real `tidewatch start`, read as CrowdSec bouncers read CrowdSec's
 * local API: npm's crowdsec-client (a bouncer library, unchanged) in stream mode, and raw
 * requests checking the protocol's details — X-Api-Key from `tidewatch bouncer add`, 403
 * `{"message":"access forbidden"}` without a valid one (a failed login in the audit trail,
 * throttled per address with 429s as wrong bearer tokens are), `startup=true` giving all decisions
 * and `startup=false` only what changed since the bouncer's last pull (per bouncer, across a
 * restart), an expired block coming as deleted, and `GET /v1/decisions`' filters.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BouncerClient } from 'crowdsec-client';
import type pg from 'pg';
import { runCli } from '../helpers/cli.ts';
import { httpFrom } from '../helpers/local-address.ts';
import { eventually } from '../helpers/poll-query.ts';
import { RestartableServer } from '../helpers/restartable-server.ts';
import { waitFor } from './ingestion-helpers.ts';

interface Decision {
  readonly id: number;
  readonly origin: string;
  readonly type: string;
  readonly scope: string;
  readonly value: string;
  readonly duration: string;
  readonly until: string;
  readonly scenario: string;
  readonly simulated: boolean;
}

interface Stream {
  readonly new: Decision[] | null;
  readonly deleted: Decision[] | null;
}

let dir: string;
let dataDir: string;
let server: RestartableServer;
let client: pg.Client;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tw-decisions-'));
  dataDir = join(dir, 'data');
  server = new RestartableServer({
    dataDir,
    args: ['--pipeline', 'none', '--no-generator', '--status-interval', '60'],
  });
  await server.start();
  client = await server.connect();
  await client.query('SET RW_IMPLICIT_FLUSH TO true');
  await client.query('CREATE TABLE found (scenario VARCHAR, actor VARCHAR)');
  await client.query('CREATE TABLE brief (scenario VARCHAR, actor VARCHAR)');
  await client.query(
    "CREATE SINK long_blocks FROM found WITH (connector = 'blocklist', duration = '4 hours')",
  );
  await client.query(
    "CREATE SINK short_blocks FROM brief WITH (connector = 'blocklist', duration = '3 seconds')",
  );
});

after(async () => {
  await client?.end().catch(() => undefined);
  await server?.dispose();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function addBouncer(name: string): Promise<string> {
  const r = await runCli(['bouncer', 'add', name, '--data-dir', dataDir]);
  assert.equal(r.code, 0, r.stderr);
  const key = r.stdout.trim();
  assert.match(key, /^[0-9a-f]{64}$/);
  return key;
}

async function get(path: string, key: string | undefined): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${server.httpUrl}${path}`, {
    headers: key === undefined ? {} : { 'X-Api-Key': key, 'User-Agent': 'test-bouncer/v1.0' },
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

async function pull(key: string, startup: boolean): Promise<Stream> {
  const r = await get(`/v1/decisions/stream?startup=${startup}`, key);
  assert.equal(r.status, 200);
  return r.body as Stream;
}

const values = (ds: Decision[] | null) => (ds ?? []).map((d) => d.value).sort();

describe('decisions API', () => {
  let key: string;

  test('a key is needed: none or a wrong one is 403 as CrowdSec answers it', async () => {
    key = await addBouncer('firewall');
    // From an address of their own: refused keys slow their address down.
    for (const path of ['/v1/decisions', '/v1/decisions/stream?startup=true'])
      for (const headers of [{}, { 'X-Api-Key': 'f'.repeat(64) }] as Record<string, string>[]) {
        const refused = await httpFrom('127.0.0.30', `${server.httpUrl}${path}`, { headers });
        assert.deepEqual([refused.status, JSON.parse(refused.body)], [403, { message: 'access forbidden' }]);
      }
    assert.deepEqual(await get('/v1/decisions', key), { status: 200, body: null });
    const head = await fetch(`${server.httpUrl}/v1/decisions/stream`, {
      method: 'HEAD',
      headers: { 'X-Api-Key': key },
    });
    assert.equal(head.status, 200);
    const list = await runCli(['bouncer', 'list', '--data-dir', dataDir]);
    assert.match(list.stdout, /^firewall\t\d{4}-/m);
  });

  test('wrong keys are failed logins: audited with their address, and throttled per address as wrong bearer tokens are', async () => {
    const guesser = '127.0.0.31';
    const other = '127.0.0.32';
    const from = (address: string, path: string, apiKey?: string, method = 'GET') =>
      httpFrom(address, `${server.httpUrl}${path}`, {
        method,
        headers: apiKey === undefined ? {} : { 'X-Api-Key': apiKey },
      });
    const answers = [
      await from(guesser, '/v1/decisions', 'guess-1'),
      await from(guesser, '/v1/decisions/stream?startup=true', 'guess-2'),
      await from(guesser, '/v1/decisions'),
      await from(guesser, '/v1/decisions/stream', 'guess-3', 'HEAD'),
    ];
    assert.deepEqual(
      answers.map((a) => a.status),
      [403, 403, 403, 403],
      'three free failures, and the fourth is checked at once',
    );
    // Each further failure doubles the wait: 200 ms, 400 ms, 800 ms; meanwhile every request is
    // 429 with Retry-After, its key not looked at.
    const waits: number[] = [];
    for (let failures = 5; failures <= 7; failures++) {
      const started = Date.now();
      let answer = await from(guesser, '/v1/decisions', `guess-${failures}`);
      while (answer.status === 429) {
        assert.deepEqual(JSON.parse(answer.body), {
          message: 'too many requests with wrong credentials from this address',
        });
        assert.equal(answer.headers['retry-after'], '1');
        await new Promise((r) => setTimeout(r, 20));
        answer = await from(guesser, '/v1/decisions', `guess-${failures}`);
      }
      assert.equal(answer.status, 403);
      waits.push(Date.now() - started);
    }
    assert.ok((waits[1] as number) >= 150 && (waits[2] as number) >= 300, `waits: ${waits.join(', ')} ms`);
    const held = await from(guesser, '/v1/decisions', key);
    assert.equal(held.status, 429, 'the right key is not looked at while its address waits');
    const served = await from(other, '/v1/decisions', key);
    assert.equal(served.status, 200, 'the right key from another address is served');
    assert.equal(served.body, 'null');
    assert.equal((await from(other, '/v1/decisions/stream', undefined, 'HEAD')).status, 403);

    // 7 failures from the guesser, 1 from the other: a line each, a record each.
    const line = (address: string, request: string, refusal: string) =>
      `tidewatch: login FAILED: HTTP ${JSON.stringify(request)} from ${address} (api-key): ${refusal}`;
    const last = line(other, 'HEAD /v1/decisions/stream', '28000 "no API key"');
    for (let i = 0; i < 100 && !server.stderr.includes(last); i++)
      await new Promise((r) => setTimeout(r, 50));
    const lines = server.stderr.split('\n').filter((l) => l.includes(' (api-key): '));
    const fromGuesser = lines.filter((l) => l.includes(` from ${guesser} `));
    assert.equal(fromGuesser.length, 7, lines.join('\n'));
    assert.ok(fromGuesser.includes(line(guesser, 'GET /v1/decisions', '28P01 "wrong API key"')));
    assert.ok(fromGuesser.includes(line(guesser, 'GET /v1/decisions', '28000 "no API key"')));
    assert.ok(lines.includes(last), lines.join('\n'));
    assert.ok(!lines.some((l) => l.includes('guess-') || l.includes(key)), 'no key reaches the trail');
    const rows = await eventually(
      client,
      `SELECT client_address, count(*)::int AS failures, min(sqlstate) AS first, max(statement) AS request
       FROM tidewatch_audit WHERE kind = 'login' AND method = 'api-key' AND NOT success
       GROUP BY client_address ORDER BY client_address`,
      (r) => r.length === 3 && r[1]?.failures === 7,
    );
    assert.deepEqual(rows, [
      { client_address: '127.0.0.30', failures: 4, first: '28000', request: 'GET /v1/decisions/stream' },
      { client_address: guesser, failures: 7, first: '28000', request: 'HEAD /v1/decisions/stream' },
      { client_address: other, failures: 1, first: '28000', request: 'HEAD /v1/decisions/stream' },
    ]);
  });

  test('startup=true gives every block; startup=false only what changed since that bouncer pulled', async () => {
    await client.query(
      "INSERT INTO found VALUES ('brute-force', '203.0.113.7'), ('path-scan', '2001:db8::1'), ('bad-bot', 'not-an-ip')",
    );
    await waitFor('two decisions', async () => {
      const r = await get('/v1/decisions', key);
      return Array.isArray(r.body) && r.body.length === 2 ? true : undefined;
    });
    const first = await pull(key, true);
    assert.deepEqual(values(first.new), ['2001:db8::1', '203.0.113.7']);
    assert.equal(first.deleted, null);
    const d = (first.new ?? []).find((x) => x.value === '203.0.113.7') as Decision;
    assert.equal(d.origin, 'tidewatch');
    assert.equal(d.type, 'ban');
    assert.equal(d.scope, 'Ip');
    assert.equal(d.scenario, 'brute-force');
    assert.equal(d.simulated, false);
    assert.ok(Number.isSafeInteger(d.id) && d.id > 0);
    assert.match(d.duration, /^3h59m\d+(\.\d+)?s$/);
    assert.ok(Math.abs(Date.parse(d.until) - Date.now() - 4 * 3600_000) < 60_000);

    assert.deepEqual(await pull(key, false), { new: null, deleted: null });
    await client.query("INSERT INTO found VALUES ('credential-stuffing', '198.51.100.4')");
    await waitFor('the third decision', async () => {
      const r = await get('/v1/decisions?ip=198.51.100.4', key);
      return Array.isArray(r.body) ? true : undefined;
    });
    const next = await pull(key, false);
    assert.deepEqual(values(next.new), ['198.51.100.4']);
    assert.equal(next.deleted, null);

    // Another bouncer has its own position.
    const other = await addBouncer('nginx');
    assert.deepEqual(values((await pull(other, false)).new), ['198.51.100.4', '2001:db8::1', '203.0.113.7']);
    // The same block keeps its id.
    const again = await get('/v1/decisions?ip=203.0.113.7', key);
    assert.equal((again.body as Decision[])[0]?.id, d.id);
  });

  test("GET /v1/decisions takes CrowdSec's filters", async () => {
    const q = async (query: string) =>
      values((await get(`/v1/decisions?${query}`, key)).body as Decision[] | null);
    assert.deepEqual(await q('ip=2001:0db8:0:0::1'), ['2001:db8::1']);
    assert.deepEqual(await q('ip=192.0.2.99'), []);
    assert.deepEqual(await q('scope=ip&value=203.0.113.7'), ['203.0.113.7']);
    assert.deepEqual(await q('scope=range&value=203.0.113.7'), []);
    assert.deepEqual(await q('type=captcha'), []);
    assert.deepEqual(await q('range=198.51.100.0/24&contains=false'), ['198.51.100.4']);
    assert.deepEqual(await q('range=198.51.100.0/24'), []);
    assert.deepEqual(await q('scenarios_containing=brute,stuffing'), ['198.51.100.4', '203.0.113.7']);
    assert.deepEqual(await q('scenarios_not_containing=brute'), ['198.51.100.4', '2001:db8::1']);
    assert.deepEqual(await q('origins=cscli'), []);
    assert.equal((await get('/v1/decisions?ip=not-an-ip', key)).status, 400);
  });

  test('crowdsec-client in stream mode: all at start, then new blocks, and expiry as deleted', async () => {
    const bouncerKey = await addBouncer('node-bouncer');
    const bouncer = new BouncerClient({ url: server.httpUrl, auth: { apiKey: bouncerKey } });
    await bouncer.login();
    const added: string[] = [];
    const deleted: string[] = [];
    const stream = bouncer.Decisions.getStream({ interval: 300 });
    stream.on('added', (d: { value?: string }) => added.push(d.value as string));
    stream.on('deleted', (d: { value?: string }) => deleted.push(d.value as string));
    stream.resume();
    try {
      await waitFor('the blocks at start-up', async () => (added.length >= 3 ? true : undefined));
      assert.deepEqual([...added].sort(), ['198.51.100.4', '2001:db8::1', '203.0.113.7']);
      await client.query("INSERT INTO brief VALUES ('request-flood', '192.0.2.77')");
      await waitFor('the short block added', async () => (added.includes('192.0.2.77') ? true : undefined));
      await waitFor('the short block deleted once expired', async () =>
        deleted.includes('192.0.2.77') ? true : undefined,
      );
      assert.deepEqual(deleted, ['192.0.2.77']);
    } finally {
      stream.close();
      await bouncer.stop();
    }
  });

  test("a bouncer's position survives a restart; a deleted bouncer's key stops working", async () => {
    await client.end();
    await server.kill();
    await server.start();
    client = await server.connect();
    await client.query('SET RW_IMPLICIT_FLUSH TO true');
    // The firewall bouncer missed the short block altogether: nothing new, nothing to delete.
    assert.deepEqual(await pull(key, false), { new: null, deleted: null });
    assert.deepEqual(values((await pull(key, true)).new), ['198.51.100.4', '2001:db8::1', '203.0.113.7']);
    const r = await runCli(['bouncer', 'delete', 'firewall', '--data-dir', dataDir]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await get('/v1/decisions', key)).status, 403);
  });
});
