/**
 * A seeded fuzz of the HTTP API of the real `tidewatch start --password`: 10,000 requests of
 * every method to its paths, the decisions API's and random ones, with and without the right
 * token and bouncer key — the right ones from a few loopback addresses, wrong and missing ones
 * from many others, which the credential throttle answers 401 (403 for a key) and then 429
 * without ever slowing the first — with bodies
 * that are broken JSON, NDJSON with bad lines, random bytes, gzip that is not gzip, huge
 * declared lengths and query strings of any shape. No request may crash the process or get a
 * 5xx; each answer is JSON or the page; every refused token or key is one line of the audit trail; afterwards the server still answers, its source holds
 * exactly the units the fuzz had accepted (as rows or dead letters), and the PostgreSQL endpoint
 * still works.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { isDecisionsApiPath } from '../../src/decisions/decisions-api.ts';
import { runCli } from '../helpers/cli.ts';
import { prng } from '../helpers/random.ts';
import { RestartableServer } from '../helpers/restartable-server.ts';

const REQUESTS = 10_000;
const CONCURRENCY = 16;
const TOKEN = 'fuzz-token';

let dir: string;
let server: RestartableServer;
/** A bouncer's key for the decisions API. */
let apiKey: string;

async function connect(): Promise<pg.Client> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: server.pgPort,
    user: 'root',
    database: 'dev',
    password: TOKEN,
  });
  await client.connect();
  return client;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tw-http-fuzz-'));
  server = new RestartableServer({
    dataDir: join(dir, 'data'),
    args: ['--pipeline', 'none', '--no-generator', '--status-interval', '60', '--password', TOKEN],
  });
  await server.start();
  const added = await runCli(['bouncer', 'add', 'fuzz-bouncer', '--data-dir', join(dir, 'data')]);
  assert.equal(added.code, 0, added.stderr);
  apiKey = added.stdout.trim();
  const client = await connect();
  try {
    await client.query('CREATE SOURCE fuzzed (n INTEGER, kind VARCHAR) FORMAT PLAIN ENCODE JSON');
  } finally {
    await client.end();
  }
});

after(async () => {
  await server?.dispose();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  readonly status: number;
  readonly type: string;
  readonly accepted?: number;
  /** The `error` of a 4xx answer (the decisions API's `message`). */
  readonly error?: string;
}

/** What the credential throttle answers while an address waits. */
const THROTTLED = /wrong credentials from this address/;

/** One raw HTTP request (node's client, so that any method, header and length can be sent). */
function send(
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  localAddress: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const options = { method, headers, timeout: 30_000, localAddress };
    const r = httpRequest(`${server.httpUrl}${path}`, options, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let accepted: number | undefined;
        if (response.statusCode === 200 && path.startsWith('/ingest/fuzzed'))
          accepted = (JSON.parse(text) as { accepted: number }).accepted;
        const status = response.statusCode ?? 0;
        let error: string | undefined;
        if (status >= 400 && method !== 'HEAD' && /json/.test(String(response.headers['content-type']))) {
          const answer = JSON.parse(text) as { error?: string; message?: string };
          error = answer.error ?? answer.message;
        }
        resolve({ status, type: String(response.headers['content-type'] ?? ''), accepted, error });
      });
      response.on('error', reject);
    });
    // A server that answers before reading a too-large body may close the socket under us.
    r.on('error', (e: NodeJS.ErrnoException) =>
      e.code === 'EPIPE' || e.code === 'ECONNRESET' ? resolve({ status: 0, type: '' }) : reject(e),
    );
    if (body !== undefined) r.write(body);
    r.end();
  });
}

test('10,000 seeded requests of any shape: no 5xx, no crash, nothing accepted lost or invented', {
  timeout: 300_000,
}, async () => {
  const random = prng(20_261_206);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
  const paths = [
    '/',
    '/healthz',
    '/api/status',
    '/api/views',
    '/api/views?name=fuzzed',
    '/api/views?name=%00%ff',
    '/api/dashboard',
    '/api/panels/referrers/query',
    '/api/panels/nope/query',
    '/api/query',
    '/api/panels',
    '/api/panels/raw-logs',
    '/api/panels/saved-fuzzed',
    '/ingest/fuzzed',
    '/ingest/nope',
    '/ingest/',
    '/ingest/%2e%2e%2fetc',
    '/v1/decisions',
    '/v1/decisions?ip=203.0.113.7&scope=ip',
    '/v1/decisions?ip=not-an-ip',
    '/v1/decisions/stream?startup=true',
    '/v1/decisions/stream',
    '/v1/decisions/nope',
    '/assets/../../package.json',
    '/index.html',
    '/%ff%fe',
    `/${'a'.repeat(5000)}`,
  ];
  const bodies: (() => { body: Buffer; type?: string; encoding?: string })[] = [
    () => ({
      body: Buffer.from(`{"n": ${Math.floor(random() * 1e6)}, "kind": "ok"}\n`),
      type: 'application/x-ndjson',
    }),
    () => ({
      body: Buffer.from('[{"n": 1}, {"n": "two"}, 3, null, {"kind": {}}]'),
      type: 'application/json',
    }),
    () => ({ body: Buffer.from('{"n": 1'), type: 'application/json' }),
    () => ({
      body: bytes(1 + Math.floor(random() * 2000)),
      type: pick(['text/plain', 'application/json', 'x/y']),
    }),
    () => ({ body: bytes(64), type: 'application/x-ndjson', encoding: 'gzip' }),
    () => ({
      body: gzipSync(Buffer.from('{"n": 7, "kind": "zipped"}\n')),
      type: 'application/x-ndjson',
      encoding: pick(['gzip', 'br', 'deflate', 'x-unknown']),
    }),
    () => ({
      body: Buffer.from(
        JSON.stringify({
          from: pick(['2024-01-01T00:00:00Z', 'never', '']),
          to: 5,
          filters: { ip: "'; DROP TABLE fuzzed; --" },
        }),
      ),
      type: 'application/json',
    }),
    () => ({
      body: Buffer.from(
        JSON.stringify({
          sql: pick([
            'SELECT 1',
            'DROP TABLE fuzzed',
            'SELECT * FROM fuzzed; DELETE FROM fuzzed',
            'x'.repeat(10_000),
            '',
          ]),
        }),
      ),
      type: 'application/json',
    }),
    () => ({
      body: Buffer.from(
        JSON.stringify({
          panel: {
            title: pick(['Fuzzed', '', 'x'.repeat(300)]),
            kind: pick(['table', 'bars', 'timeseries', 'health', 7]),
            sql: pick(['SELECT 1 AS n', 'DROP TABLE fuzzed', 'SELECT $1', 'SELECT * FROM nope']),
            value: pick(['n', 'x; y', undefined]),
          },
          from: pick(['2024-01-01T00:00:00Z', 'never']),
          to: '2024-01-01T01:00:00Z',
        }),
      ),
      type: 'application/json',
    }),
    () => ({ body: Buffer.alloc(0) }),
  ];
  const statuses = new Map<number, number>();
  let accepted = 0;
  let refused = 0;
  let keyRefused = 0;
  /** Decisions answered 200 to the right key. */
  let served = 0;
  let throttled = 0;
  let next = 0;
  const one = async (): Promise<void> => {
    const method = pick(['GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']);
    const path =
      pick(paths) + (random() < 0.2 ? `?${bytes(8).toString('hex')}=%${pick(['zz', '41', ''])}` : '');
    const headers: Record<string, string> = {};
    const auth = random();
    const rightToken = auth < 0.7;
    if (rightToken) {
      headers.authorization = `Bearer ${TOKEN}`;
      headers['x-api-key'] = apiKey;
    } else if (auth < 0.85) {
      headers.authorization = pick(['Bearer wrong', 'Basic Zm9vOmJhcg==', 'Bearer', `Bearer ${TOKEN}x`]);
      headers['x-api-key'] = pick([`${apiKey}x`, apiKey.slice(1), 'f'.repeat(64), TOKEN, '']);
    }
    const from = rightToken
      ? `127.0.0.${1 + Math.floor(random() * 4)}`
      : `127.0.1.${1 + Math.floor(random() * 200)}`;
    let body: Buffer | undefined;
    if (method !== 'GET' && method !== 'HEAD' && random() < 0.9) {
      const b = pick(bodies)();
      body = b.body;
      if (b.type !== undefined) headers['content-type'] = b.type;
      if (b.encoding !== undefined) headers['content-encoding'] = b.encoding;
      headers['content-length'] = String(random() < 0.03 ? 1 << 30 : body.length);
      if (headers['content-length'] !== String(body.length)) body = undefined; // declared, never sent
    }
    const answer =
      headers['content-length'] === String(1 << 30)
        ? await Promise.race([
            send(method, path, headers, undefined, from),
            new Promise<Answer>((resolve) => setTimeout(() => resolve({ status: -1, type: '' }), 2_000)),
          ])
        : await send(method, path, headers, body, from);
    statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    assert.ok(answer.status < 500, `${method} ${path.slice(0, 80)} → ${answer.status}`);
    const keyed = isDecisionsApiPath(path.split('?')[0] as string);
    if (rightToken) {
      assert.notEqual(answer.status, 401);
      assert.ok(!keyed || answer.status !== 403, `${method} ${path}: the right key is taken`);
      assert.doesNotMatch(
        answer.error ?? '',
        THROTTLED,
        'the right token from its own address is never throttled',
      );
      if (keyed && answer.status === 200) served++;
    } else if (answer.status === 401 || (keyed && answer.status === 403)) {
      refused++;
      if (answer.status === 403) keyRefused++;
    } else if (answer.status === 429 && THROTTLED.test(answer.error ?? '')) throttled++;
    if (answer.status >= 400 && method !== 'HEAD')
      assert.match(answer.type, /json/, `${method} ${path.slice(0, 80)} → ${answer.status} ${answer.type}`);
    accepted += answer.accepted ?? 0;
  };
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        next++;
        await one();
      }
    }),
  );
  console.log(
    `# ${REQUESTS} requests: ${[...statuses]
      .sort((a, b) => a[0] - b[0])
      .map(([s, n]) => `${s}×${n}`)
      .join(
        ', ',
      )}; ${accepted} records accepted; wrong tokens and keys: ${refused} refused (${keyRefused} keys), ${throttled} throttled`,
  );
  assert.ok(accepted > 0, 'some records were accepted');
  assert.ok(
    refused > 0 && throttled > 0,
    `wrong tokens and keys: ${refused} refused, ${throttled} throttled`,
  );
  assert.ok(keyRefused > 0 && served > 0, `keys: ${keyRefused} refused, ${served} decisions served`);
  const audited = server.stderr
    .split('\n')
    .filter((l) => /^tidewatch: login FAILED: HTTP .* \((bearer|api-key)\)/.test(l));
  assert.equal(audited.length, refused, 'each refused token or key is a line of the audit trail');
  assert.equal(audited.filter((l) => l.includes('(api-key)')).length, keyRefused);

  assert.equal((await fetch(`${server.httpUrl}/healthz`)).status, 200, 'still up');
  // Each accepted unit is a row of the source or a dead letter, once.
  const client = await connect();
  try {
    let held = -1;
    for (let i = 0; i < 100 && held !== accepted; i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 200));
      await client.query('FLUSH');
      const { rows } = await client.query(
        "SELECT (SELECT count(*) FROM fuzzed)::int + (SELECT count(*) FROM tidewatch_dead_letters WHERE source = 'fuzzed')::int AS n",
      );
      held = rows[0].n;
    }
    assert.equal(held, accepted, 'rows and dead letters of the source are exactly the accepted units');
  } finally {
    await client.end();
  }
});
