/**
 * `POST /ingest/<source>` of a real `tidewatch start`, as log shippers send it: `tidewatch
 * generate -o URL` (NDJSON batches), Vector's `http` sink (`encoding.codec = "json"`: a JSON
 * array; with `framing.method = "newline_delimited"`: NDJSON, `application/x-ndjson`; gzip with
 * `compression = "gzip"`) and Fluent Bit's `http` output (`format json`: an array of records with
 * its `date` field; `format json_lines`: NDJSON). An answer `{"accepted": n}` means durable: the
 * rows are there after a SIGKILL. 404 for no such source, 413 beyond the size limit (also once
 * inflated), 401 without the bearer token when `--password` is set.
 *
 * The reference pipeline runs with its source's `WITH (connector = 'kafka' …)` taken out: a
 * source without a connector takes what it is given over HTTP (and nothing else, with
 * --no-generator), where the Kafka connector would make the test depend on what listens on
 * localhost:9092.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type pg from 'pg';
import { runCli } from '../helpers/cli.ts';
import { RestartableServer } from '../helpers/restartable-server.ts';
import { exactJson, exactRows, expectedRun, RAW_LINE_SQL, type StreamSpec } from './deterministic-run.ts';
import { committedNow, fedBy, getStatus, referencePipeline, sourceOf, waitFor } from './ingestion-helpers.ts';

const SOURCE = 'website_logs_source';
/** `generate` at its default rate (200 per simulated second), without attacks, as deterministic-run.ts makes it. */
const SPEC: StreamSpec = { events: 3000, rate: 200, seed: 5, attacks: [] };

/** A record of the reference schema as a shipper would have parsed it, `n` seconds after 13:00. */
function shipped(tag: string, n: number): Record<string, unknown> {
  return {
    ip_address: `192.0.2.${n % 250}`,
    user_agent: 'Mozilla/5.0 (X11; Linux x86_64)',
    url: `/shipped/${tag}/${n}`,
    http_method: 'GET',
    status_code: n % 5 === 0 ? 503 : 200,
    response_time: 40 + n,
    referrer: 'https://www.example.com/',
    user_id: null,
    username: null,
    user_action: 'view_page',
    security_level: 'low',
  };
}

function at(seconds: number): Date {
  return new Date(Date.UTC(2024, 0, 25, 13, 0, 0) + seconds * 1000);
}

/** A Vector log event from a `file` source, remapped to the reference schema. */
function vectorEvent(tag: string, n: number): Record<string, unknown> {
  const time = `${at(n).toISOString().slice(0, 19)}.123456789Z`;
  return {
    ...shipped(tag, n),
    request_timestamp: time, // Vector's timestamps have nanoseconds
    timestamp: time,
    host: 'web-1',
    source_type: 'file',
    file: '/var/log/nginx/access.log',
  };
}

describe('POST /ingest/<source>', { timeout: 180_000 }, () => {
  let dir: string;
  let server: RestartableServer;
  let client: pg.Client;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tw-http-ingest-'));
    const pipeline = referencePipeline(dir, 'FORMAT PLAIN ENCODE JSON');
    server = new RestartableServer({
      dataDir: join(dir, 'data'),
      args: ['--pipeline', pipeline, '--no-generator', '--idle-timeout', '0', '--status-interval', '60'],
    });
    await server.start();
    client = await server.connect();
  });

  after(async () => {
    await client?.end().catch(() => undefined);
    await server?.dispose();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  function post(
    path: string,
    body: string | Buffer,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
    return fetch(`${server.httpUrl}${path}`, { method: 'POST', headers, body }).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as Record<string, unknown>,
      headers: r.headers,
    }));
  }

  /**
   * A POST declaring a body of `length` bytes, of which the first 64 KiB are sent before the
   * answer is awaited: a body over the limit is answered at once, and the connection closed
   * (a client writing on would see EPIPE before it reads the answer, as fetch does).
   */
  function postDeclaring(
    path: string,
    length: number,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const request = httpRequest(`${server.httpUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', 'content-length': String(length) },
      });
      request.on('error', reject);
      request.on('response', (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (d: string) => {
          text += d;
        });
        response.on('end', () => {
          request.destroy();
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> });
        });
      });
      request.write(Buffer.alloc(64 << 10, 'a'));
    });
  }

  async function rowsInStore(sql: string, n: number): Promise<void> {
    let last = -1;
    await Promise.race([
      server.failure,
      waitFor(
        `${n} rows of ${sql}`,
        async () => {
          last = (await client.query(sql)).rows[0].n;
          return last === n ? true : undefined;
        },
        { everyMs: 100, describe: () => `${last} rows` },
      ),
    ]);
  }

  test('tidewatch generate -o http://…/ingest/website_logs_source: the views of an uninterrupted run', async () => {
    const [r, expected] = await Promise.all([
      runCli(
        [
          'generate',
          '--count',
          String(SPEC.events),
          '--seed',
          String(SPEC.seed),
          '--start',
          '2024-01-25T12:00:00Z',
          '--speedup',
          'max',
          '-o',
          `${server.httpUrl}/ingest/${SOURCE}`,
        ],
        { timeoutMs: 60_000 },
      ),
      expectedRun(SPEC),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /generated 3000 records/);
    await waitFor('the 3000 posted records in the engine', async () => {
      const s = sourceOf(await getStatus(server.httpUrl), SOURCE);
      return s.rows + s.lateRows >= SPEC.events ? true : undefined;
    });
    await committedNow(server.httpUrl);
    const source = sourceOf(await getStatus(server.httpUrl), SOURCE);
    assert.deepEqual([source.rows, source.lateRows], [SPEC.events, 0]);
    assert.equal(fedBy(source, 'log')?.records, SPEC.events);
    for (const [name, rows] of Object.entries(expected.views)) {
      const view = (await exactJson(`${server.httpUrl}/api/views?name=${name}`)) as { rows: unknown[][] };
      assert.deepEqual(view.rows, exactRows(rows, expected.columns[name] ?? []), name);
    }
    const raw = await client.query({ text: RAW_LINE_SQL, rowMode: 'array' });
    assert.deepEqual(raw.rows.map((row) => String(row[0])).sort(), expected.raw, 'each record once');
  });

  test('Vector and Fluent Bit batches (JSON array, NDJSON, gzip) land as rows', async () => {
    const vectorArray = [0, 1, 2].map((n) => vectorEvent('vector-json', n));
    const vectorLines = [3, 4, 5].map((n) => JSON.stringify(vectorEvent('vector-ndjson', n)));
    const vectorGzip = [6, 7, 8].map((n) => JSON.stringify(vectorEvent('vector-gzip', n)));
    // Fluent Bit's `format json`: its `date` (a double, json_date_format's default) beside the record.
    const fluentArray = [9, 10, 11].map((n) => ({
      date: at(n).getTime() / 1000 + 0.123456,
      ...shipped('fluent-json', n),
      request_timestamp: at(n).toISOString(),
    }));
    // `format json_lines` with `json_date_key request_timestamp` and `json_date_format iso8601`.
    const fluentLines = [12, 13, 14].map((n) =>
      JSON.stringify({
        request_timestamp: at(n).toISOString().replace('.000Z', '.000000Z'),
        ...shipped('fluent-lines', n),
      }),
    );
    const answers = [
      await post(`/ingest/${SOURCE}`, JSON.stringify(vectorArray), { 'content-type': 'application/json' }),
      // Vector drops the last newline of an NDJSON body.
      await post(`/ingest/${SOURCE}`, vectorLines.join('\n'), { 'content-type': 'application/x-ndjson' }),
      await post(`/ingest/${SOURCE}`, gzipSync(vectorGzip.join('\n')), {
        'content-type': 'application/x-ndjson',
        'content-encoding': 'gzip',
      }),
      await post(`/ingest/${SOURCE}`, JSON.stringify(fluentArray), { 'content-type': 'application/json' }),
      await post(`/ingest/${SOURCE}`, `${fluentLines.join('\n')}\n`, {
        'content-type': 'application/x-ndjson',
      }),
    ];
    assert.deepEqual(
      answers.map((a) => [a.status, a.body]),
      Array.from({ length: 5 }, () => [200, { accepted: 3 }]),
    );
    await rowsInStore(`SELECT count(*)::int AS n FROM ${SOURCE} WHERE url LIKE '/shipped/%'`, 15);
    const rows = await client.query(
      `SELECT url, request_timestamp::varchar AS t, status_code, ip_address
         FROM ${SOURCE} WHERE url LIKE '/shipped/%' ORDER BY request_timestamp`,
    );
    const tags = ['vector-json', 'vector-ndjson', 'vector-gzip', 'fluent-json', 'fluent-lines'];
    assert.deepEqual(
      rows.rows.map((r) => r.url),
      Array.from({ length: 15 }, (_, n) => `/shipped/${tags[Math.floor(n / 3)]}/${n}`),
    );
    // Vector's nanoseconds are rounded to the microsecond, as PostgreSQL does.
    assert.equal(rows.rows[0].t, '2024-01-25 13:00:00.123457');
    assert.equal(rows.rows[9].t, '2024-01-25 13:00:09');
    assert.deepEqual(
      rows.rows.map((r) => r.status_code),
      Array.from({ length: 15 }, (_, n) => (n % 5 === 0 ? 503 : 200)),
    );
    const dead = await client.query('SELECT count(*)::int AS n FROM tidewatch_dead_letters');
    assert.equal(dead.rows[0].n, 0);
  });

  test('404 for no such source, 413 beyond the size limit (also once inflated), 400 for a broken array', async () => {
    const missing = await post('/ingest/no_such_source', '{"url": "/x"}\n', {
      'content-type': 'application/x-ndjson',
    });
    assert.equal(missing.status, 404);
    assert.match(String(missing.body.error), /no_such_source/);

    const tooBig = await postDeclaring(`/ingest/${SOURCE}`, 17 << 20);
    assert.equal(tooBig.status, 413);
    assert.match(String(tooBig.body.error), /larger than 16777216 bytes/);
    const bomb = gzipSync(Buffer.alloc(20 << 20, '\n'));
    assert.ok(bomb.length < 1 << 20, 'the gzip body itself is small');
    const inflated = await post(`/ingest/${SOURCE}`, bomb, {
      'content-type': 'application/x-ndjson',
      'content-encoding': 'gzip',
    });
    assert.equal(inflated.status, 413);
    assert.match(String(inflated.body.error), /decompressed/);

    const broken = await post(`/ingest/${SOURCE}`, '[{"url": "/x"},', { 'content-type': 'application/json' });
    assert.equal(broken.status, 400);
    const before = sourceOf(await getStatus(server.httpUrl), SOURCE);
    assert.equal(fedBy(before, 'log')?.records, SPEC.events + 15, 'nothing of the refused bodies went in');
  });

  test('{"accepted": n} is durable: posted rows of a source created through SQL survive SIGKILL', async () => {
    await client.query(
      `CREATE SOURCE api_events (at TIMESTAMP, kind VARCHAR, n INTEGER) FORMAT PLAIN ENCODE JSON`,
    );
    const events = Array.from({ length: 500 }, (_, n) =>
      JSON.stringify({ at: '2024-01-25T14:00:00Z', kind: 'login', n }),
    );
    const answer = await post('/ingest/api_events', events.join('\n'), {
      'content-type': 'application/x-ndjson',
    });
    assert.deepEqual([answer.status, answer.body], [200, { accepted: 500 }]);
    // Killed at once: the epoch holding the posted rows may not have committed.
    await client.end();
    await server.kill();
    await server.start();
    client = await server.connect();
    await rowsInStore('SELECT count(*)::int AS n FROM api_events', 500);
    const distinct = await client.query('SELECT count(DISTINCT n)::int AS n FROM api_events');
    assert.equal(distinct.rows[0].n, 500, 'each posted event once');
  });

  test('with --password: 401 without the bearer token, 200 with it', async () => {
    await client.end();
    await server.kill();
    await server.start([
      '--pipeline',
      'none',
      '--no-generator',
      '--password',
      'open-sesame',
      '--status-interval',
      '60',
    ]);
    const body = JSON.stringify(shipped('token', 99));
    const refused = await post(`/ingest/${SOURCE}`, body, { 'content-type': 'application/x-ndjson' });
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate') ?? '', /^Bearer/);
    const wrong = await post(`/ingest/${SOURCE}`, body, {
      'content-type': 'application/x-ndjson',
      authorization: 'Bearer open-sesame!',
    });
    assert.equal(wrong.status, 401);
    const taken = await post(`/ingest/${SOURCE}`, body, {
      'content-type': 'application/x-ndjson',
      authorization: 'Bearer open-sesame',
    });
    assert.deepEqual([taken.status, taken.body], [200, { accepted: 1 }]);
    const status = await getStatus(server.httpUrl, 'open-sesame');
    await waitFor('the posted row in the engine', async () => {
      const s = sourceOf(await getStatus(server.httpUrl, 'open-sesame'), SOURCE);
      return fedBy(s, 'log')?.records === 1 ? true : undefined;
    });
    assert.ok(status.sources.some((s) => s.name === SOURCE));
  });
});
