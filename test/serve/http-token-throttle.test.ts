/**
 * The HTTP API's bearer token against guessing, tried on the real `tidewatch start --password`
 * from several loopback addresses: every request refused for its token is a line on stderr and
 * a failed login (method `bearer`) of `tidewatch_audit`, which a view counting failed logins per
 * address sees within an epoch; after three failures an address is answered 429 (Retry-After)
 * for a wait that doubles with each failure, its tokens unchecked, the right one too; another
 * address is served meanwhile at once; the page's files and /healthz never count. Wrong keys
 * of the decisions API count against the same address as wrong tokens do.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { httpFrom } from '../helpers/local-address.ts';
import { eventually } from '../helpers/poll-query.ts';
import { RestartableServer } from '../helpers/restartable-server.ts';

const TOKEN = 'http-token-secret';

let dir: string;
let server: RestartableServer;
let admin: pg.Client;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tw-http-token-'));
  server = new RestartableServer({
    dataDir: join(dir, 'data'),
    args: ['--pipeline', 'none', '--no-generator', '--status-interval', '600', '--password', TOKEN],
  });
  await server.start();
  admin = await server.connect(TOKEN);
  await admin.query(`CREATE MATERIALIZED VIEW failed_logins AS
    SELECT client_address, method, count(*) AS failures
    FROM tidewatch_audit WHERE kind = 'login' AND NOT success
    GROUP BY client_address, method`);
});

after(async () => {
  await admin?.end();
  await server?.dispose();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  readonly status: number;
  readonly retryAfter: string | undefined;
  readonly ms: number;
}

/** GETs `path` from `localAddress` with `token` (none: no Authorization header). */
function get(path: string, localAddress: string, token?: string): Promise<Answer> {
  const url = new URL(path, server.httpUrl);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        localAddress,
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers['retry-after'] as string | undefined,
            ms: Date.now() - started,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('wrong tokens slow their address with 429s, not another’s; each refusal is audited and counted by a view within an epoch', async () => {
  const guesser = '127.0.0.12';
  const other = '127.0.0.13';
  // The page and /healthz need no token and are no failures.
  for (let i = 0; i < 5; i++) {
    assert.equal((await get('/', guesser)).status, 200);
    assert.equal((await get('/healthz', guesser)).status, 200);
  }
  const first = [];
  for (let i = 0; i < 4; i++) first.push(await get('/api/status', guesser, `guess-${i}`));
  assert.deepEqual(
    first.map((a) => a.status),
    [401, 401, 401, 401],
    'three free failures, and the fourth is checked at once',
  );
  // The fourth failure earned a wait of 100 ms: meanwhile every request is 429, unchecked.
  const waiting = await get('/api/status', guesser, TOKEN);
  assert.equal(waiting.status, 429, 'the right token is not looked at while the address waits');
  assert.equal(waiting.retryAfter, '1');
  const served = await get('/api/status', other, TOKEN);
  assert.ok(
    served.status === 200 && served.ms < 1_000,
    `another address is served at once (${served.ms} ms)`,
  );

  // Each further failure doubles the wait: 200 ms, 400 ms, 800 ms…
  const waits: number[] = [];
  for (let failures = 5; failures <= 8; failures++) {
    const started = Date.now();
    let answer = await get('/api/status', guesser, 'wrong');
    while (answer.status === 429) {
      await new Promise((r) => setTimeout(r, 20));
      answer = await get('/api/status', guesser, 'wrong');
    }
    assert.equal(answer.status, 401);
    waits.push(Date.now() - started);
  }
  assert.ok((waits[3] as number) >= 700, `the guesser waits longer and longer: ${waits.join(', ')} ms`);
  assert.ok((waits[3] as number) > (waits[1] as number), `the wait grows: ${waits.join(', ')} ms`);
  const missing = await get('/api/views', other);
  assert.equal(missing.status, 401);

  // 8 wrong tokens from the guesser, 1 request without one from the other: 9 lines, 9 records.
  // The last line may still be on its way through the server's stderr pipe.
  const last = `HTTP "GET /api/views" from ${other} (bearer)`;
  for (let i = 0; i < 100 && !server.stderr.includes(last); i++) await new Promise((r) => setTimeout(r, 50));
  const lines = server.stderr.split('\n').filter((l) => l.includes('(bearer)'));
  assert.equal(
    lines.filter(
      (l) =>
        l ===
        `tidewatch: login FAILED: HTTP "GET /api/status" from ${guesser} (bearer): 28P01 "wrong bearer token"`,
    ).length,
    8,
    lines.join('\n'),
  );
  assert.equal(
    lines.filter((l) => l.includes(`HTTP "GET /api/views" from ${other} (bearer): 28000 "no bearer token"`))
      .length,
    1,
  );
  assert.ok(!lines.some((l) => l.includes(TOKEN) || l.includes('guess-')), 'no token reaches the trail');
  const rows = await eventually(
    admin,
    `SELECT client_address, failures FROM failed_logins WHERE method = 'bearer' ORDER BY client_address`,
    (r) => r.length === 2 && r[0]?.failures === '8',
  );
  assert.deepEqual(
    rows.map((r) => [r.client_address, r.failures]),
    [
      [guesser, '8'],
      [other, '1'],
    ],
  );
  const record = await admin.query(
    `SELECT user_name, database_name, statement, sqlstate, message FROM tidewatch_audit
     WHERE method = 'bearer' AND client_address = $1 LIMIT 1`,
    [other],
  );
  assert.deepEqual(record.rows, [
    {
      user_name: null,
      database_name: null,
      statement: 'GET /api/views',
      sqlstate: '28000',
      message: 'no bearer token',
    },
  ]);
});

test('wrong bouncer keys of the decisions API and wrong tokens are failed logins of one throttle per address', async () => {
  const guesser = '127.0.0.14';
  const send = (path: string, headers: Record<string, string>, from = guesser) =>
    httpFrom(from, `${server.httpUrl}${path}`, { headers });
  for (let i = 0; i < 3; i++)
    assert.equal((await send('/api/status', { authorization: `Bearer guess-${i}` })).status, 401);
  // The fourth failure is a key's: it is counted with the tokens', and earns a wait.
  const waits: number[] = [];
  for (let failures = 4; failures <= 7; failures++) {
    const started = Date.now();
    let answer = await send('/v1/decisions', { 'x-api-key': `guess-${failures}` });
    while (answer.status === 429) {
      await new Promise((r) => setTimeout(r, 20));
      answer = await send('/v1/decisions', { 'x-api-key': `guess-${failures}` });
    }
    assert.equal(answer.status, 403);
    waits.push(Date.now() - started);
  }
  assert.ok((waits[3] as number) >= 300, `the key guesser waits longer and longer: ${waits.join(', ')} ms`);
  // Now the right token from there waits too (800 ms), and from elsewhere it is served.
  const held = await send('/api/status', { authorization: `Bearer ${TOKEN}` });
  assert.equal(held.status, 429);
  assert.deepEqual(JSON.parse(held.body), {
    error: 'too many requests with wrong credentials from this address',
  });
  assert.equal((await send('/api/status', { authorization: `Bearer ${TOKEN}` }, '127.0.0.15')).status, 200);
  const rows = await eventually(
    admin,
    `SELECT method, count(*)::int AS n FROM tidewatch_audit
     WHERE kind = 'login' AND NOT success AND client_address = '${guesser}' GROUP BY method ORDER BY method`,
    (r) => r.length === 2 && r[0]?.n === 4,
  );
  assert.deepEqual(rows, [
    { method: 'api-key', n: 4 },
    { method: 'bearer', n: 3 },
  ]);
});
