/**
 * Python's psycopg 3 (Debian's python3-psycopg) against the real `tidewatch start`: connecting,
 * parameterized queries over the source and a view (text, timestamp and timestamptz
 * parameters, prepared after repeated use), and a server-side cursor read in batches, each
 * compared with the answers of the same stream computed in process.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { formatNumeric, type Numeric } from '../../src/sql/numeric.ts';
import type { Value } from '../../src/sql/types.ts';
import {
  busiestIp,
  type Endpoint,
  iso,
  type KnownAnswers,
  knownAnswers,
  STREAM,
  startEndpoint,
} from './endpoint-helpers.ts';

const execFileAsync = promisify(execFile);

/** Debian's interpreter: the `python3` on PATH may be another without psycopg. */
const PYTHON = '/usr/bin/python3';

function psycopgMissing(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import psycopg; print(psycopg.__version__)'], { encoding: 'utf8' });
  if (r.error !== undefined) return `${PYTHON} cannot run: ${r.error.message}`;
  if (r.status !== 0)
    return `${PYTHON} has no psycopg (apt-get install -y python3-psycopg): ${r.stderr.trim()}`;
  return undefined;
}

const missing = psycopgMissing();
if (missing !== undefined) console.log(`# skipping the psycopg tests: ${missing}`);

/**
 * Runs each step on a connection of its own and prints `{step: {ok: result} | {error: text}}`
 * as JSON. Timestamps come back as µs since 1970 (naive ones read as UTC), decimals as
 * their exact text (digits and display scale). The cursor step traces the protocol with libpq's tracer to list what was sent.
 */
const SCRIPT = String.raw`
import datetime, decimal, json, re, sys
import psycopg

cfg = json.loads(sys.argv[1])
UTC = datetime.timezone.utc
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)

def conv(v):
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=UTC)
        return (v - EPOCH) // datetime.timedelta(microseconds=1)
    if isinstance(v, decimal.Decimal):
        return format(v, 'f')
    return v

def naive(us):
    return datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=us)

def connect():
    return psycopg.connect(host='127.0.0.1', port=cfg['port'], dbname='dev', user='root', connect_timeout=5)

out = {}

def step(fn):
    try:
        out[fn.__name__] = {'ok': fn()}
    except Exception as e:
        out[fn.__name__] = {'error': '%s [%s]: %s' % (type(e).__name__, getattr(e, 'sqlstate', None), e)}
    return fn

@step
def connection():
    with connect() as conn:
        info = conn.info
        row = conn.execute('SELECT current_database(), current_user').fetchone()
        return {'server_version': info.server_version, 'dbname': info.dbname, 'user': info.user,
                'status': info.status.name, 'row': list(row)}

@step
def ip_counts():
    with connect() as conn:
        q = 'SELECT count(*) FROM website_logs_source WHERE ip_address = %s'
        return [conn.execute(q, (ip,)).fetchone()[0] for ip in cfg['ips']]

@step
def ip_count_prepared():
    # psycopg prepares a query (a named statement) once it has run prepare_threshold (5) times.
    with connect() as conn:
        q = 'SELECT count(*) FROM website_logs_source WHERE ip_address = %s'
        counts = [conn.execute(q, (cfg['ips'][i % len(cfg['ips'])],)).fetchone()[0] for i in range(8)]
        return counts

@step
def window_rows():
    with connect() as conn:
        cur = conn.execute(
            'SELECT username, total_requests, unique_ips FROM website_user_metrics'
            ' WHERE window_start = %s ORDER BY username', (naive(cfg['window']),), prepare=True)
        return {'columns': [d.name for d in cur.description], 'rows': [[conv(x) for x in r] for r in cur]}

@step
def window_sum_timestamptz():
    with connect() as conn:
        start = naive(cfg['window']).replace(tzinfo=UTC)
        row = conn.execute(
            'SELECT sum(total_requests), count(*) FROM website_user_metrics WHERE window_start >= %s',
            (start,)).fetchone()
        return [conv(x) for x in row]

@step
def server_cursor():
    with connect() as conn:
        traced = True
        try:
            f = open(cfg['trace'], 'w')
            conn.pgconn.trace(f.fileno())
            conn.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS | psycopg.pq.Trace.REGRESS_MODE)
        except Exception:
            traced = False
        batches, rows = [], []
        with conn.cursor(name='c') as cur:
            cur.execute(
                'SELECT username, window_start, total_requests, avg_response_time FROM website_user_metrics'
                ' WHERE window_start >= %s ORDER BY window_start, username', (naive(cfg['from']),))
            columns = [d.name for d in cur.description] if cur.description else None
            while True:
                batch = cur.fetchmany(cfg['batch'])
                if not batch:
                    break
                batches.append(len(batch))
                rows.extend([conv(x) for x in r] for r in batch)
        conn.commit()
        sent = None
        if traced:
            conn.pgconn.untrace()
            f.close()
            sent = []
            for line in open(cfg['trace']):
                m = re.match(r'F\t\d+\t(Query|Parse)\t (?:"[^"]*" )?"(.*)"', line)
                if m:
                    sent.append(m.group(2))
        return {'columns': columns, 'batches': batches, 'rows': rows, 'sent': sent}

@step
def explicit_cursor():
    # The same statements written out, each through psycopg's extended protocol.
    with connect() as conn:
        conn.execute(
            'DECLARE c2 CURSOR FOR SELECT username, window_start, total_requests FROM website_user_metrics'
            ' WHERE window_start >= %s ORDER BY window_start, username', (naive(cfg['from']),))
        batches, rows, columns = [], [], None
        while True:
            cur = conn.execute('FETCH FORWARD %d FROM c2' % cfg['batch'])
            columns = [d.name for d in cur.description] if cur.description else None
            batch = cur.fetchall()
            if not batch:
                break
            batches.append(len(batch))
            rows.extend([conv(x) for x in r] for r in batch)
        conn.execute('CLOSE c2')
        conn.commit()
        return {'columns': columns, 'batches': batches, 'rows': rows}

print(json.dumps(out))
`;

type Outcome<T> = { ok: T; error?: undefined } | { ok?: undefined; error: string };

interface PyResults {
  connection: Outcome<{
    server_version: number;
    dbname: string;
    user: string;
    status: string;
    row: string[];
  }>;
  ip_counts: Outcome<number[]>;
  ip_count_prepared: Outcome<number[]>;
  window_rows: Outcome<{ columns: string[]; rows: Value[][] }>;
  window_sum_timestamptz: Outcome<number[]>;
  explicit_cursor: Outcome<{ columns: string[] | null; batches: number[]; rows: Value[][] }>;
  server_cursor: Outcome<{
    columns: string[] | null;
    batches: number[];
    rows: Value[][];
    sent: string[] | null;
  }>;
}

const BATCH = 500;
const MINUTE = 60_000_000;

let endpoint: Endpoint | undefined;
let known: KnownAnswers;
let py: PyResults;
let tmp: string;
let window: number;
let ips: string[];

before(async () => {
  if (missing !== undefined) return;
  known = await knownAnswers(STREAM);
  endpoint = await startEndpoint(STREAM, known);
  tmp = mkdtempSync(join(tmpdir(), 'tw-psycopg-'));
  const first = known.events[0]?.at as number;
  window = Math.floor(first / MINUTE) * MINUTE + MINUTE;
  const busiest = busiestIp(known).ip;
  const quiet = known.events.find((e) => e.ip !== busiest)?.ip as string;
  ips = [busiest, quiet, '203.0.113.254'];
  const cfg = { port: endpoint.pgPort, ips, window, from: window, batch: BATCH, trace: join(tmp, 'trace') };
  const { stdout } = await execFileAsync(PYTHON, ['-c', SCRIPT, JSON.stringify(cfg)], { timeout: 30_000 });
  py = JSON.parse(stdout) as PyResults;
});

after(async () => {
  if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  await endpoint?.stop();
});

/** The value of a step that ran without an error. */
function ok<T>(outcome: Outcome<T>): T {
  if (outcome.error !== undefined) assert.fail(outcome.error);
  return outcome.ok as T;
}

function ipCount(ip: string): number {
  return known.events.filter((e) => e.ip === ip).length;
}

/** Rows of website_user_metrics with the `pick`ed columns, ordered by `window_start, username` (NULLs last). */
function userMetrics(keep: (windowStart: number) => boolean, pick: readonly string[]): Value[][] {
  const names = endpoint?.columns.website_user_metrics ?? [];
  const at = (column: string) => {
    const i = names.indexOf(column);
    assert.ok(i >= 0, `website_user_metrics has no column ${column}`);
    return i;
  };
  const [user, start] = [at('username'), at('window_start')];
  const rows = (known.views.website_user_metrics ?? []).filter((r) => keep(r[start] as number));
  const name = (r: readonly Value[]) => (r[user] === null ? '\uffff' : (r[user] as string));
  rows.sort(
    (a, b) =>
      (a[start] as number) - (b[start] as number) || (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0),
  );
  const picked = pick.map(at);
  return rows.map((r) => picked.map((i) => r[i] as Value));
}

const skip = missing;

test('connects to dev as root, trusted on loopback', { skip }, () => {
  const c = ok(py.connection);
  assert.equal(c.dbname, 'dev');
  assert.equal(c.user, 'root');
  assert.equal(c.status, 'OK');
  assert.deepEqual(c.row, ['dev', 'root']);
  assert.ok(c.server_version >= 90000, `server_version ${c.server_version}`);
});

test('a text parameter: events of an IP address in the source', { skip }, () => {
  assert.deepEqual(
    ok(py.ip_counts),
    ips.map((ip) => ipCount(ip)),
  );
  assert.ok((ok(py.ip_counts)[0] as number) > 1000, 'the busiest IP address is an attacker with many events');
});

test('the same query prepared after repeated use', { skip }, () => {
  assert.deepEqual(
    ok(py.ip_count_prepared),
    Array.from({ length: 8 }, (_, i) => ipCount(ips[i % ips.length] as string)),
  );
});

test('a timestamp parameter: one window of a view', { skip }, () => {
  const r = ok(py.window_rows);
  assert.deepEqual(r.columns, ['username', 'total_requests', 'unique_ips']);
  const expected = userMetrics((w) => w === window, ['username', 'total_requests', 'unique_ips']);
  assert.ok(expected.length > 100, `window ${iso(window)} has ${expected.length} rows`);
  assert.deepEqual(r.rows, expected);
});

test('a timestamptz parameter compared with a timestamp column (TimeZone UTC)', { skip }, () => {
  const rows = userMetrics((w) => w >= window, ['total_requests']);
  const sum = rows.reduce((s, [n]) => s + (n as number), 0);
  // sum(bigint) is numeric: its exact text
  assert.deepEqual(ok(py.window_sum_timestamptz), [String(sum), rows.length]);
});

/** Batch sizes of `n` rows fetched `BATCH` at a time. */
function batches(n: number): number[] {
  return Array.from({ length: Math.ceil(n / BATCH) }, (_, i) => Math.min(BATCH, n - i * BATCH));
}

test('DECLARE, FETCH FORWARD and CLOSE written out, in a transaction', { skip }, () => {
  const r = ok(py.explicit_cursor);
  assert.deepEqual(r.columns, ['username', 'window_start', 'total_requests']);
  const expected = userMetrics((w) => w >= window, ['username', 'window_start', 'total_requests']);
  assert.ok(expected.length > BATCH, 'more rows than one batch');
  assert.deepEqual(r.batches, batches(expected.length));
  assert.deepEqual(r.rows, expected);
});

test('a server-side cursor (psycopg ServerCursor): DECLARE, FETCH FORWARD in batches, CLOSE, in a transaction', {
  skip,
}, () => {
  const r = ok(py.server_cursor);
  assert.deepEqual(r.columns, ['username', 'window_start', 'total_requests', 'avg_response_time']);
  const expected = userMetrics(
    (w) => w >= window,
    ['username', 'window_start', 'total_requests', 'avg_response_time'],
  );
  assert.ok(expected.length > BATCH, 'more rows than one batch');
  assert.deepEqual(r.batches, batches(expected.length));
  assert.equal(r.rows.length, expected.length);
  for (const [i, row] of r.rows.entries()) {
    const want = expected[i] as Value[];
    assert.deepEqual(row.slice(0, 3), want.slice(0, 3), `row ${i}`);
    assert.equal(row[3], formatNumeric(want[3] as Numeric), `avg_response_time of row ${i}, exactly`);
  }
  if (r.sent !== null) {
    const verbs = r.sent.map((s) => s.replace(/\s+/g, ' ').replace(/^(\w+( "c")?( FORWARD \d+)?).*$/s, '$1'));
    assert.deepEqual(
      [verbs[0], verbs[1], verbs[2], verbs.at(-2), verbs.at(-1)],
      ['BEGIN', 'DECLARE "c"', `FETCH FORWARD ${BATCH}`, 'CLOSE "c"', 'COMMIT'],
      r.sent.join('\n'),
    );
  }
});
