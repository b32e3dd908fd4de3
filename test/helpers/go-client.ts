/**
 * A Go client of Grafana's family of drivers (Debian's lib/pq and pgx v4, built offline in
 * GOPATH mode): it runs queries on one connection of each driver and prints what each driver
 * saw, as Grafana's PostgreSQL data source would see it (pgx with `PreferSimpleProtocol`).
 */
import { execFile, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const GOPATH = '/usr/share/gocode';

export function goMissing(): string | undefined {
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

/**
 * Runs the queries of argv[2] (JSON `[{name, sql}]`) on one connection of each driver and
 * prints `{driver: {ping, connectError, results: {name: {columns, types, rows, error}}}}`.
 * Values are text: pgx's raw text of the simple protocol (after checking that pgx decodes
 * the row), lib/pq's scanned values formatted as PostgreSQL prints them.
 */
export const MAIN_GO = `package main

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
	user := os.Getenv("TW_PG_USER")
	if user == "" {
		user = "root"
	}
	dsn := "host=127.0.0.1 port=" + os.Args[1] + " dbname=dev user=" + user + " connect_timeout=5"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := map[string]run{"lib/pq": withPq(ctx, dsn, queries), "pgx": withPgx(ctx, dsn, queries)}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(out); err != nil {
		panic(err)
	}
}
`;

/** Builds the client in `dir` (of `source`, by default MAIN_GO's); resolves with its path. */
export async function buildClient(dir: string, source = MAIN_GO): Promise<string> {
  writeFileSync(join(dir, 'main.go'), source);
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

/** One query for the client: `exec` runs it with Exec, `only` names the one driver that runs it. */
export interface GoQuery {
  readonly name: string;
  readonly sql: string;
  readonly exec?: boolean;
  readonly only?: 'lib/pq' | 'pgx';
}

export interface GoQueryResult {
  readonly tag: string;
  readonly columns: string[];
  readonly types: string[];
  readonly rows: (string | null)[][];
  readonly error?: string;
}

export interface GoDriverRun {
  readonly connectError?: string;
  readonly ping: string;
  readonly results: Record<string, GoQueryResult>;
}

/** Runs `queries` with the built `client` against the endpoint on `pgPort`. */
export async function runGoClient(
  client: string,
  pgPort: number,
  queries: readonly GoQuery[],
  user = 'root',
): Promise<Record<'lib/pq' | 'pgx', GoDriverRun>> {
  const { stdout } = await execFileAsync(client, [String(pgPort), JSON.stringify(queries)], {
    timeout: 40_000,
    env: { ...process.env, TW_PG_USER: user },
  });
  return JSON.parse(stdout) as Record<'lib/pq' | 'pgx', GoDriverRun>;
}
