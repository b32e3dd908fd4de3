/**
 * Grafana's family of Go drivers (Debian's lib/pq and pgx v4, built offline in GOPATH mode)
 * against the real `tidewatch start`, sending exactly what Grafana's PostgreSQL data source
 * sends: the `-- ping` of "Test connection", the version and TimescaleDB probes, the table and
 * column pickers, and panel queries with `$__timeFilter` / `$__timeGroup` expanded as text,
 * compared with the answers of the same stream computed in process. pgx runs with
 * `PreferSimpleProtocol` as Grafana does.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
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

const execFileAsync = promisify(execFile);
const GOPATH = '/usr/share/gocode';

function goMissing(): string | undefined {
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error !== undefined || go.status !== 0)
    return `no go toolchain (apt-get install -y golang-go): ${go.error?.message ?? go.stderr.trim()}`;
  for (const pkg of ['github.com/lib/pq', 'github.com/jackc/pgx/v4']) {
    const dir = join(GOPATH, 'src', pkg);
    if (spawnSync('test', ['-d', dir]).status !== 0)
      return `${dir} is missing (Debian's golang-*-dev packages)`;
  }
  return undefined;
}

const missing = goMissing();
if (missing !== undefined) console.log(`# skipping the Go driver tests: ${missing}`);

/**
 * Runs the queries of argv[2] (JSON `[{name, sql}]`) on one connection of each driver and
 * prints `{driver: {ping, connectError, results: {name: {columns, types, rows, error}}}}`.
 * Values are text: pgx's raw text of the simple protocol (after checking that pgx decodes
 * the row), lib/pq's scanned values formatted as PostgreSQL prints them.
 */
const MAIN_GO = `package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/jackc/pgx/v4"
	_ "github.com/lib/pq"
)

type query struct {
	Name string \`json:"name"\`
	SQL  string \`json:"sql"\`
	// Exec: run with Exec (pgx's Query cannot take an empty query response: it panics).
	Exec bool \`json:"exec"\`
	// Only: the one driver that runs the query.
	Only string \`json:"only"\`
}

type result struct {
	Tag     string      \`json:"tag"\`
	Columns []string    \`json:"columns"\`
	Types   []string    \`json:"types"\`
	Rows    [][]*string \`json:"rows"\`
	Error   string      \`json:"error,omitempty"\`
}

type run struct {
	ConnectError string            \`json:"connectError,omitempty"\`
	Ping         string            \`json:"ping"\`
	Results      map[string]result \`json:"results"\`
}

func text(v interface{}) *string {
	var s string
	switch x := v.(type) {
	case nil:
		return nil
	case []byte:
		s = string(x)
	case string:
		s = x
	case time.Time:
		s = x.UTC().Format("2006-01-02 15:04:05.999999")
	case int64:
		s = strconv.FormatInt(x, 10)
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		s = strconv.FormatBool(x)
	default:
		s = fmt.Sprint(x)
	}
	return &s
}

func errText(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

func withPq(ctx context.Context, dsn string, queries []query) run {
	out := run{Results: map[string]result{}}
	db, err := sql.Open("postgres", dsn+" sslmode=disable")
	if err != nil {
		out.ConnectError = err.Error()
		return out
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	out.Ping = errText(db.PingContext(ctx))
	for _, q := range queries {
		r := result{Columns: []string{}, Types: []string{}, Rows: [][]*string{}}
		if q.Only != "" && q.Only != "lib/pq" {
			continue
		}
		if q.Exec {
			if _, err := db.ExecContext(ctx, q.SQL); err != nil {
				r.Error = err.Error()
			}
			out.Results[q.Name] = r
			continue
		}
		rows, err := db.QueryContext(ctx, q.SQL)
		if err != nil {
			r.Error = err.Error()
			out.Results[q.Name] = r
			continue
		}
		r.Columns, _ = rows.Columns()
		if r.Columns == nil {
			r.Columns = []string{}
		}
		types, _ := rows.ColumnTypes()
		for _, t := range types {
			r.Types = append(r.Types, t.DatabaseTypeName())
		}
		for rows.Next() {
			vals := make([]interface{}, len(r.Columns))
			ptrs := make([]interface{}, len(vals))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				r.Error = err.Error()
				break
			}
			row := []*string{}
			for _, v := range vals {
				row = append(row, text(v))
			}
			r.Rows = append(r.Rows, row)
		}
		if err := rows.Err(); err != nil && r.Error == "" {
			r.Error = err.Error()
		}
		rows.Close()
		out.Results[q.Name] = r
	}
	return out
}

func withPgx(ctx context.Context, dsn string, queries []query) run {
	out := run{Results: map[string]result{}}
	cfg, err := pgx.ParseConfig(dsn + " sslmode=prefer")
	if err != nil {
		out.ConnectError = err.Error()
		return out
	}
	cfg.PreferSimpleProtocol = true
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		out.ConnectError = err.Error()
		return out
	}
	defer conn.Close(ctx)
	out.Ping = errText(conn.Ping(ctx))
	for _, q := range queries {
		r := result{Columns: []string{}, Types: []string{}, Rows: [][]*string{}}
		if q.Only != "" && q.Only != "pgx" {
			continue
		}
		if q.Exec {
			tag, err := conn.Exec(ctx, q.SQL)
			r.Tag = string(tag)
			if err != nil {
				r.Error = err.Error()
			}
			out.Results[q.Name] = r
			continue
		}
		rows, err := conn.Query(ctx, q.SQL)
		if err != nil {
			r.Error = err.Error()
			out.Results[q.Name] = r
			continue
		}
		for _, fd := range rows.FieldDescriptions() {
			r.Columns = append(r.Columns, string(fd.Name))
			name := strconv.FormatUint(uint64(fd.DataTypeOID), 10)
			if dt, ok := conn.ConnInfo().DataTypeForOID(fd.DataTypeOID); ok {
				name = dt.Name
			}
			r.Types = append(r.Types, name)
		}
		for rows.Next() {
			if _, err := rows.Values(); err != nil {
				r.Error = "decoding: " + err.Error()
				break
			}
			row := []*string{}
			for _, raw := range rows.RawValues() {
				if raw == nil {
					row = append(row, nil)
				} else {
					s := string(raw)
					row = append(row, &s)
				}
			}
			r.Rows = append(r.Rows, row)
		}
		rows.Close()
		if err := rows.Err(); err != nil && r.Error == "" {
			r.Error = err.Error()
		}
		out.Results[q.Name] = r
	}
	return out
}

func main() {
	var queries []query
	if err := json.Unmarshal([]byte(os.Args[2]), &queries); err != nil {
		panic(err)
	}
	dsn := "host=127.0.0.1 port=" + os.Args[1] + " dbname=dev user=root connect_timeout=5"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := map[string]run{"lib/pq": withPq(ctx, dsn, queries), "pgx": withPgx(ctx, dsn, queries)}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(out); err != nil {
		panic(err)
	}
}
`;

const TABLES_SQL = `select quote_ident(table_name) as "table" from information_schema.tables
    where quote_ident(table_schema) not in ('information_schema','pg_catalog','_timescaledb_cache','_timescaledb_catalog','_timescaledb_internal','_timescaledb_config','timescaledb_information','timescaledb_experimental')
      and quote_ident(table_schema) IN (
          SELECT CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM generate_series(array_lower(string_to_array(current_setting('search_path'),','),1), array_upper(string_to_array(current_setting('search_path'),','),1)) as i,
            string_to_array(current_setting('search_path'),',') s)`;

/** `$__timeFilter(c)` over [from, to] as Grafana expands it. */
const timeFilter = (column: string, from: string, to: string) => `${column} BETWEEN '${from}' AND '${to}'`;
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

interface QueryResult {
  readonly tag: string;
  readonly columns: string[];
  readonly types: string[];
  readonly rows: (string | null)[][];
  readonly error?: string;
}

interface DriverRun {
  readonly connectError?: string;
  readonly ping: string;
  readonly results: Record<QueryName, QueryResult>;
}

const DRIVERS = ['lib/pq', 'pgx'] as const;

let endpoint: Endpoint | undefined;
let known: KnownAnswers;
let runs: Record<(typeof DRIVERS)[number], DriverRun>;
let tmp: string | undefined;

async function buildClient(dir: string): Promise<string> {
  writeFileSync(join(dir, 'main.go'), MAIN_GO);
  const env = {
    ...process.env,
    GO111MODULE: 'off',
    GOPATH,
    GOCACHE: join(dir, 'gocache'),
    GOFLAGS: '',
    GOPROXY: 'off',
    CGO_ENABLED: '0',
  };
  await execFileAsync('go', ['build', '-o', 'client', 'main.go'], { cwd: dir, env, timeout: 120_000 });
  return join(dir, 'client');
}

before(async () => {
  if (missing !== undefined) return;
  tmp = mkdtempSync(join(tmpdir(), 'tw-go-drivers-'));
  const [client, answers] = await Promise.all([buildClient(tmp), knownAnswers(STREAM)]);
  known = answers;
  endpoint = await startEndpoint(STREAM, known);
  const { stdout } = await execFileAsync(client, [String(endpoint.pgPort), JSON.stringify(QUERIES)], {
    timeout: 40_000,
  });
  runs = JSON.parse(stdout) as typeof runs;
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
