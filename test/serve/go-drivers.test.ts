/**
 * Grafana's family of Go drivers (Debian's lib/pq and pgx v4, built offline in GOPATH mode)
 * against the real `tidewatch start`, sending exactly what Grafana's PostgreSQL data source
 * sends: the `-- ping` of "Test connection", the version and TimescaleDB probes, the table and
 * column pickers, and panel queries with `$__timeFilter` / `$__timeGroup` expanded as text,
 * compared with the answers of the same stream computed in process. pgx runs with
 * `PreferSimpleProtocol` as Grafana does.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  buildClient,
  type GoDriverRun,
  type GoQueryResult,
  goMissing,
  runGoClient,
} from '../helpers/go-client.ts';
import { timeFilter } from '../helpers/grafana-macros.ts';
import {
  type Endpoint,
  iso,
  type KnownAnswers,
  knownAnswers,
  micros,
  perMinute,
  REFERENCE_VIEWS,
  STREAM,
  startEndpoint,
} from './endpoint-helpers.ts';

const missing = goMissing();
if (missing !== undefined) console.log(`# skipping the Go driver tests: ${missing}`);

const TABLES_SQL = `select quote_ident(table_name) as "table" from information_schema.tables
    where quote_ident(table_schema) not in ('information_schema','pg_catalog','_timescaledb_cache','_timescaledb_catalog','_timescaledb_internal','_timescaledb_config','timescaledb_information','timescaledb_experimental')
      and quote_ident(table_schema) IN (
          SELECT CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM generate_series(array_lower(string_to_array(current_setting('search_path'),','),1), array_upper(string_to_array(current_setting('search_path'),','),1)) as i,
            string_to_array(current_setting('search_path'),',') s)`;

/** `$__timeGroup(c, '1m')` as Grafana expands it. */
const timeGroup = (column: string) => `floor(extract(epoch from ${column})/60)*60`;

const FROM = '2024-01-25T12:00:00Z';
const TO = '2024-01-25T12:10:00Z';
/** A range that cuts the first and second windows of the stream in half. */
const MID_FROM = '2024-01-25T12:00:30Z';
const MID_TO = '2024-01-25T12:01:30Z';

const QUERIES = [
  { name: 'ping', sql: '-- ping', exec: true },
  { name: 'ping as a query', sql: '-- ping', only: 'lib/pq' },
  { name: 'version', sql: "SELECT current_setting('server_version_num')::int/100 as version" },
  { name: 'timescaledb', sql: "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'" },
  { name: 'tables', sql: TABLES_SQL },
  {
    name: 'columns',
    sql: `select quote_ident(column_name) as "column", data_type as "type" from information_schema.columns where quote_ident(table_name) = 'website_user_metrics'`,
  },
  {
    name: 'requests per window',
    sql: `SELECT window_start AS "time", sum(total_requests) AS requests FROM website_user_metrics WHERE ${timeFilter('window_start', FROM, TO)} GROUP BY 1 ORDER BY 1`,
  },
  {
    name: 'events per minute',
    sql: `SELECT ${timeGroup('request_timestamp')} AS "time", count(*) FROM website_logs_source WHERE ${timeFilter('request_timestamp', FROM, TO)} GROUP BY 1 ORDER BY 1`,
  },
  {
    name: 'events per minute, a narrower range',
    sql: `SELECT ${timeGroup('request_timestamp')} AS "time", count(*) FROM website_logs_source WHERE ${timeFilter('request_timestamp', MID_FROM, MID_TO)} GROUP BY 1 ORDER BY 1`,
  },
] as const;

type QueryName = (typeof QUERIES)[number]['name'];

type QueryResult = GoQueryResult;

interface DriverRun extends GoDriverRun {
  readonly results: Record<QueryName, QueryResult>;
}

const DRIVERS = ['lib/pq', 'pgx'] as const;

let endpoint: Endpoint | undefined;
let known: KnownAnswers;
let runs: Record<(typeof DRIVERS)[number], DriverRun>;
let tmp: string | undefined;

before(async () => {
  if (missing !== undefined) return;
  tmp = mkdtempSync(join(tmpdir(), 'tw-go-drivers-'));
  const [client, answers] = await Promise.all([buildClient(tmp), knownAnswers(STREAM)]);
  known = answers;
  endpoint = await startEndpoint(STREAM, known);
  runs = (await runGoClient(client, endpoint.pgPort, QUERIES)) as typeof runs;
});

after(async () => {
  await endpoint?.stop();
  if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
});

/** The rows of a query that ran without an error. */
function rowsOf(driver: (typeof DRIVERS)[number], name: QueryName): QueryResult {
  const run = runs[driver];
  assert.equal(run.connectError, undefined, `${driver} connects`);
  const r = run.results[name];
  assert.ok(r !== undefined, `${driver} ran ${name}`);
  if (r.error !== undefined) assert.fail(`${driver}: ${name}: ${r.error}`);
  return r;
}

const skip = missing;

for (const driver of DRIVERS) {
  test(`${driver}: "-- ping" and the driver's own ping succeed`, { skip }, () => {
    assert.equal(runs[driver].ping, 'ok');
    const r = rowsOf(driver, 'ping');
    assert.deepEqual([r.tag, r.columns, r.rows], ['', [], []]);
    if (driver === 'lib/pq') {
      const q = rowsOf(driver, 'ping as a query');
      assert.deepEqual([q.columns, q.rows], [[], []]);
    }
  });

  test(`${driver}: the server version probe`, { skip }, () => {
    const r = rowsOf(driver, 'version');
    assert.deepEqual(r.columns, ['version']);
    assert.equal(r.rows.length, 1);
    const version = Number(r.rows[0]?.[0]);
    assert.ok(Number.isInteger(version) && version >= 90000 / 100, `version ${r.rows[0]?.[0]}`);
    assert.match(r.types[0] ?? '', /^(INT4|int4)$/);
  });

  test(`${driver}: no TimescaleDB`, { skip }, () => {
    const r = rowsOf(driver, 'timescaledb');
    assert.deepEqual(r.columns, ['extversion']);
    assert.deepEqual(r.rows, []);
  });

  test(`${driver}: the table picker lists the source and the five views`, { skip }, () => {
    const r = rowsOf(driver, 'tables');
    assert.deepEqual(r.columns, ['table']);
    const tables = r.rows.map((row) => row[0]);
    for (const name of [...REFERENCE_VIEWS, 'website_logs_source'])
      assert.ok(tables.includes(name), `${name} is in ${JSON.stringify(tables)}`);
    assert.equal(new Set(tables).size, tables.length, 'each table once');
  });

  test(`${driver}: the column picker gives the view's columns with PostgreSQL type names`, { skip }, () => {
    const r = rowsOf(driver, 'columns');
    assert.deepEqual(r.columns, ['column', 'type']);
    assert.deepEqual(
      r.rows.map((row) => row[0]),
      endpoint?.columns.website_user_metrics,
    );
    assert.deepEqual(r.rows, [
      ['username', 'character varying'],
      ['total_requests', 'bigint'],
      ['min_response_time', 'integer'],
      ['max_response_time', 'integer'],
      ['avg_response_time', 'numeric'],
      ['median_response_time', 'double precision'],
      ['total_errors', 'bigint'],
      ['login_count', 'bigint'],
      ['logout_count', 'bigint'],
      ['unique_ips', 'bigint'],
      ['window_start', 'timestamp without time zone'],
      ['window_end', 'timestamp without time zone'],
    ]);
  });

  test(`${driver}: a panel over a view, sum(total_requests) per window`, { skip }, () => {
    const r = rowsOf(driver, 'requests per window');
    assert.deepEqual(r.columns, ['time', 'requests']);
    // Grafana takes a timestamp column named time as the time axis.
    assert.deepEqual(
      r.types.map((t) => t.toLowerCase()),
      ['timestamp', 'numeric'],
    );
    const names = endpoint?.columns.website_user_metrics ?? [];
    const [start, total] = [names.indexOf('window_start'), names.indexOf('total_requests')];
    const sums = new Map<number, number>();
    for (const row of known.views.website_user_metrics ?? []) {
      const w = row[start] as number;
      if (w >= micros(FROM) && w <= micros(TO)) sums.set(w, (sums.get(w) ?? 0) + (row[total] as number));
    }
    const expected = [...sums].sort((a, b) => a[0] - b[0]);
    assert.ok(expected.length >= 3, 'the stream spans three windows');
    assert.deepEqual(
      r.rows.map(([time, requests]) => [micros(time as string), Number(requests)]),
      expected,
    );
    assert.equal(
      expected.reduce((s, [, n]) => s + n, 0),
      known.events.length,
      'the windows hold every event',
    );
  });

  test(`${driver}: a panel over the source, events per minute ($__timeGroup)`, { skip }, () => {
    const r = rowsOf(driver, 'events per minute');
    assert.deepEqual(r.columns, ['time', 'count']);
    assert.deepEqual(
      r.types.map((t) => t.toLowerCase()),
      ['numeric', 'int8'],
    );
    assert.deepEqual(
      r.rows.map(([time, count]) => [Number(time), Number(count)]),
      perMinute(known, micros(FROM), micros(TO)),
    );
  });

  test(`${driver}: $__timeFilter cutting windows in half`, { skip }, () => {
    const r = rowsOf(driver, 'events per minute, a narrower range');
    const expected = perMinute(known, micros(MID_FROM), micros(MID_TO));
    assert.equal(expected.length, 2, `two minutes in ${iso(micros(MID_FROM))}–${iso(micros(MID_TO))}`);
    assert.deepEqual(
      r.rows.map(([time, count]) => [Number(time), Number(count)]),
      expected,
    );
  });
}

test('both drivers read the same values', { skip }, () => {
  for (const { name } of QUERIES) {
    if (name === 'ping as a query') continue;
    assert.deepEqual(runs['lib/pq'].results[name]?.rows, runs.pgx.results[name]?.rows, name);
  }
});
