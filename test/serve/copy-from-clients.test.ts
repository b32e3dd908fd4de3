/**
 * COPY FROM STDIN from client libraries against the real `tidewatch start`, PostgreSQL 15
 * beside it as the oracle: node-postgres with pg-copy-streams (50,000 reference-schema rows
 * cut into chunks at awkward places, read back byte for byte; bad data and a destroyed
 * stream failing as on PostgreSQL, the table unchanged, the connection usable), and Python's
 * psycopg 3 (`cursor.copy` with `write_row` in text and binary format, raw `write` of CSV, an
 * exception in the `with` block), whose results must be PostgreSQL's.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { LOG_RECORD_COLUMNS } from '../../src/generator/record.ts';
import { TrafficGenerator } from '../../src/generator/traffic.ts';
import { copyLayout, copyLine } from '../../src/serve/pgwire/copy-out.ts';
import { textOf } from '../../src/serve/pgwire/value-codec.ts';
import { lookupType, type SqlType } from '../../src/sql/types.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { prng } from '../helpers/random.ts';
import { type Running, startEmpty } from './endpoint-helpers.ts';

const execFileAsync = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const psycopg = spawnSync(PYTHON, ['-c', 'import psycopg'], { encoding: 'utf8' });
const skipPython = psycopg.status === 0 ? undefined : `no psycopg for ${PYTHON}: ${psycopg.stderr}`;
if (skipPython !== undefined) console.log(`# skipping the psycopg tests: ${skipPython}`);

const LOGS = `CREATE TABLE logs (${LOG_RECORD_COLUMNS.map(([name, type]) => `${name} ${type}`).join(', ')})`;
const SMALL = 'id int, name varchar, note text, score float8, ok boolean, at timestamp';
const SMALL_TABLES = ['e_rows', 'py_rows', 'py_binary', 'py_csv', 'py_fail'];
const SCHEMA = SMALL_TABLES.map((t) => `CREATE TABLE ${t} (${SMALL});`).join('\n');

let dir: string;
let running: Running;
let pgServer: TestPostgres;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tw-copy-clients-'));
  writeFileSync(join(dir, 'pipeline.sql'), `${LOGS};\n${SCHEMA}\n`);
  [running, pgServer] = await Promise.all([
    startEmpty(join(dir, 'data'), join(dir, 'pipeline.sql')),
    startPostgres(),
  ]);
  await pgServer.client.query(SCHEMA);
});

after(async () => {
  const stopped = await running?.stop();
  await pgServer?.stop();
  rmSync(dir, { recursive: true, force: true });
  assert.equal(stopped?.code, 0, stopped?.stderr);
  assert.doesNotMatch(stopped?.stdout ?? '', /PostgreSQL endpoint:/, 'no unexpected endpoint errors');
});

function tidewatchClient(): pg.Client {
  return new pg.Client({ host: '127.0.0.1', port: running.port, user: 'root', database: 'dev' });
}

function postgresClient(): pg.Client {
  return new pg.Client({
    host: pgServer.socketDir,
    port: pgServer.port,
    user: 'postgres',
    database: 'postgres',
  });
}

/** `data` cut into chunks of 1 to 9,000 bytes (seeded), many of them tiny. */
function awkwardChunks(data: Buffer, seed: number): Buffer[] {
  const rand = prng(seed);
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length; ) {
    const size = rand() < 0.3 ? 1 + Math.floor(rand() * 5) : 1 + Math.floor(rand() * 9000);
    chunks.push(data.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

test('pg-copy-streams: 50,000 rows in awkward chunks, read back byte for byte', async () => {
  const columns = LOG_RECORD_COLUMNS.map(([, type]) => lookupType(type) as SqlType);
  const generator = new TrafficGenerator({ seed: 3, rate: 200, startMs: Date.parse('2024-01-25T00:00:00Z') });
  const layout = copyLayout({ format: 'text' });
  const lines: string[] = [];
  for (let i = 0; i < 50_000; i++) {
    const r = generator.next();
    const values = LOG_RECORD_COLUMNS.map(([name]) =>
      name === 'request_timestamp' ? r.request_timestamp * 1000 : r[name],
    );
    lines.push(
      copyLine(
        layout,
        values.map((v, k) => textOf(v, columns[k] as SqlType)),
      ),
    );
  }
  // Some text that needs escapes, and characters of every UTF-8 length, for the cuts to land in.
  lines.push(
    '2024-01-25 00:00:00\t1.2.3.4\tü ✓ 😀 tab\\there\\\\\t/\\\\N\tGET\t200\t1\t\\N\t\\N\t\\N\tx\ty\n',
  );
  const data = Buffer.from(lines.join(''), 'utf8');
  const client = tidewatchClient();
  await client.connect();
  try {
    const stream = client.query(copyFrom('COPY logs FROM STDIN'));
    await pipeline(Readable.from(awkwardChunks(data, 11)), stream);
    assert.equal(stream.rowCount, lines.length);
    await client.query('FLUSH');
    const out: Buffer[] = [];
    const back = client.query(copyTo('COPY logs TO STDOUT'));
    for await (const chunk of back) out.push(chunk as Buffer);
    const sorted = (text: string) =>
      text
        .split('\n')
        .filter((l) => l !== '')
        .sort();
    const got = sorted(Buffer.concat(out).toString('utf8'));
    const sent = sorted(data.toString('utf8'));
    assert.equal(got.length, sent.length);
    const differ = got.findIndex((line, i) => line !== sent[i]);
    assert.deepEqual(differ < 0 ? [] : [got[differ], sent[differ]], [], 'the first line that differs');
  } finally {
    await client.end();
  }
});

/** What a COPY with pg-copy-streams ended with on a server, and what the table and session did after. */
async function copyOutcome(
  client: pg.Client,
  write: (stream: ReturnType<typeof copyFrom>) => void,
  flush: boolean,
): Promise<unknown> {
  const stream = client.query(copyFrom('COPY e_rows FROM STDIN'));
  const ended = new Promise<unknown>((resolve) => {
    stream.on('error', (e: Error & { code?: string; where?: string }) =>
      resolve({ code: e.code, message: e.message, where: e.where }),
    );
    stream.on('finish', () => resolve({ rows: stream.rowCount }));
  });
  write(stream);
  const outcome = await ended;
  if (flush) await client.query('FLUSH');
  const count = await client.query('SELECT count(*)::int AS n FROM e_rows');
  return { outcome, rows: count.rows[0].n, next: (await client.query('SELECT 1 AS one')).rows };
}

test('pg-copy-streams: bad data and a destroyed stream fail as on PostgreSQL, nothing copied', async () => {
  const scripts: [string, (s: ReturnType<typeof copyFrom>) => void][] = [
    [
      'a bad integer on line 3',
      (s) => {
        s.write('1\tone\t\\N\t1\tt\t2024-01-25 00:00:00\n2\ttwo\t\\N\t2\tf\t\\N\n');
        s.end('x\tthree\t\\N\t3\tt\t\\N\n');
      },
    ],
    ['a missing column', (s) => s.end('1\tone\n')],
    ['a bad timestamp', (s) => s.end('1\tone\tn\t1\tt\tyesterday-ish\n')],
    [
      'destroy(): CopyFail',
      (s) => {
        s.write('1\tone\t\\N\t1\tt\t\\N\n');
        setTimeout(() => s.destroy(new Error('the producer failed')), 50);
      },
    ],
  ];
  for (const [what, write] of scripts) {
    const results = [];
    for (const [connect, flush] of [
      [tidewatchClient, true],
      [postgresClient, false],
    ] as const) {
      const client = connect();
      await client.connect();
      try {
        results.push(await copyOutcome(client, write, flush));
      } finally {
        await client.end();
      }
    }
    assert.deepEqual(results[0], results[1], what);
    const ours = results[0] as { rows: number; outcome: { code?: string } };
    assert.equal(ours.rows, 0, what);
    assert.match(ours.outcome.code ?? '', /^(22P02|22P04|22007|57014)$/, what);
  }
});

/**
 * psycopg 3 steps, each on a connection of its own; prints `{step: {ok} | {error}}` as JSON.
 * Run against both servers (`flush`: tidewatch needs FLUSH before its queries see rows).
 */
const SCRIPT = String.raw`
import datetime, json, sys
import psycopg

cfg = json.loads(sys.argv[1])
ROWS = [
    (1, 'plain', 'a note', 1.5, True, datetime.datetime(2024, 1, 25, 12, 0, 0)),
    (2, 'tab\there', 'back\\slash\nnew line', -0.25, False, datetime.datetime(2024, 1, 25, 12, 0, 0, 123456)),
    (3, None, '', None, None, None),
    (4, 'ünïcødé ✓ 😀', '\\N is text here', 1e10, True, datetime.datetime(1999, 12, 31, 23, 59, 59)),
]

def connect():
    return psycopg.connect(host=cfg['host'], port=cfg['port'], dbname=cfg['db'], user=cfg['user'], connect_timeout=5)

def rows(conn, table):
    if cfg['flush']:
        conn.execute('FLUSH')
    cur = conn.execute('SELECT id, name, note, score, ok, at FROM %s ORDER BY id' % table)
    return [[v.isoformat() if isinstance(v, datetime.datetime) else v for v in r] for r in cur]

out = {}

def step(fn):
    try:
        out[fn.__name__] = {'ok': fn()}
    except Exception as e:
        out[fn.__name__] = {'error': '%s [%s]: %s' % (type(e).__name__, getattr(e, 'sqlstate', None), e)}
    return fn

@step
def write_row():
    with connect() as conn:
        with conn.cursor() as cur:
            with cur.copy('COPY py_rows FROM STDIN') as copy:
                for r in ROWS:
                    copy.write_row(r)
            count = cur.rowcount
        conn.commit()
        return {'count': count, 'rows': rows(conn, 'py_rows')}

@step
def write_row_binary():
    with connect() as conn:
        with conn.cursor() as cur:
            with cur.copy('COPY py_binary (id, name, note, score, ok, at) FROM STDIN (FORMAT BINARY)') as copy:
                copy.set_types(['int4', 'varchar', 'text', 'float8', 'bool', 'timestamp'])
                for r in ROWS:
                    copy.write_row(r)
        conn.commit()
        return rows(conn, 'py_binary')

@step
def write_csv():
    data = 'id,name,note\n1,"a,b","say ""hi"""\n2,,""\n3,"multi\nline",x\n'
    with connect() as conn:
        with conn.cursor() as cur:
            with cur.copy('COPY py_csv (id, name, note) FROM STDIN (FORMAT csv, HEADER)') as copy:
                for i in range(0, len(data), 7):
                    copy.write(data[i:i + 7])
        conn.commit()
        return rows(conn, 'py_csv')

@step
def exception_in_block():
    with connect() as conn:
        try:
            with conn.cursor() as cur:
                with cur.copy('COPY py_fail FROM STDIN') as copy:
                    copy.write_row(ROWS[0])
                    raise ValueError('the data source broke')
        except Exception as e:
            raised = '%s: %s' % (type(e).__name__, e)
        conn.rollback()
        return {'raised': raised, 'rows': rows(conn, 'py_fail')}

@step
def bad_data():
    with connect() as conn:
        try:
            with conn.cursor() as cur:
                with cur.copy('COPY py_fail FROM STDIN') as copy:
                    copy.write('1\tx\t\\N\t1\tt\t\\N\nnope\tx\t\\N\t1\tt\t\\N\n')
        except psycopg.Error as e:
            error = {'sqlstate': e.sqlstate, 'message': e.diag.message_primary, 'context': e.diag.context}
        conn.rollback()
        return {'error': error, 'rows': rows(conn, 'py_fail'), 'next': conn.execute('SELECT 1').fetchone()[0]}

print(json.dumps(out))
`;

test('psycopg 3: write_row (text and binary), raw CSV writes, failures, as on PostgreSQL', {
  skip: skipPython,
}, async () => {
  const run = async (cfg: Record<string, unknown>) =>
    JSON.parse(
      (await execFileAsync(PYTHON, ['-c', SCRIPT, JSON.stringify(cfg)], { timeout: 60_000 })).stdout,
    );
  const ours = await run({ host: '127.0.0.1', port: running.port, db: 'dev', user: 'root', flush: true });
  const theirs = await run({
    host: pgServer.socketDir,
    port: pgServer.port,
    db: 'postgres',
    user: 'postgres',
    flush: false,
  });
  assert.deepEqual(ours, theirs);
  for (const [name, outcome] of Object.entries(ours as Record<string, { error?: string }>))
    assert.equal(outcome.error, undefined, name);
  assert.equal(ours.write_row.ok.count, 4);
  assert.equal(ours.write_row.ok.rows[1][2], 'back\\slash\nnew line');
  assert.match(ours.exception_in_block.ok.raised, /the data source broke/);
  assert.equal(ours.bad_data.ok.error.sqlstate, '22P02');
});
