/**
 * Bind parameters beside `||` in ad-hoc queries, as clients of the extended protocol meet them:
 * PostgreSQL types an untyped parameter next to text as text (next to an array as that array,
 * next to a jsonb as jsonb), and DuckDB cannot, so a Describe of such a query used to find one
 * column named "unknown". node-postgres (Parse, Bind, Describe of the portal), psql's `\gdesc`
 * (Describe of the statement, before any Bind), psycopg 3 (strings sent as unknown) and pgx v4
 * (every statement prepared and described before it runs) each run the same queries on
 * tidewatch and on PostgreSQL 15, and must see the same column names, types and values.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type pg from 'pg';
import { buildClient, goMissing } from '../helpers/go-client.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { psql, tidewatchConnection } from '../helpers/psql.ts';
import { type EmptyServer, startEmptyServer, stopEmptyServer } from '../helpers/restartable-server.ts';

const execFileAsync = promisify(execFile);

const SETUP = [
  'CREATE TABLE t (id INT, s TEXT, i INT, a INT[], j JSONB)',
  `INSERT INTO t VALUES (1, 'ab', 7, ARRAY[1, 2], '{"k": 1}'), (2, NULL, -1, ARRAY[NULL]::INT[], '[1]'), (3, 'ü', NULL, NULL, NULL)`,
];

/** Each query's parameters are used once each, in order (psycopg writes them `%s`). */
const QUERIES: readonly { readonly sql: string; readonly params: readonly string[] }[] = [
  { sql: "SELECT id, $1 || 'x' FROM t ORDER BY id", params: ['a'] },
  { sql: 'SELECT id, s || $1 AS v FROM t ORDER BY id', params: ['!'] },
  { sql: 'SELECT id, $1 || $2, s FROM t ORDER BY id', params: ['p', 'q'] },
  { sql: "SELECT id, 'x' || $1 || 'y' FROM t ORDER BY id", params: ['-'] },
  { sql: 'SELECT id, i || $1 FROM t ORDER BY id', params: ['z'] },
  { sql: 'SELECT id, upper(s || $1) FROM t ORDER BY id', params: ['x'] },
  { sql: 'SELECT id, a || $1 FROM t ORDER BY id', params: ['{5,6}'] },
  { sql: 'SELECT $1 || a AS b, id FROM t ORDER BY id', params: ['{0}'] },
  { sql: 'SELECT id, j || $1 FROM t ORDER BY id', params: ['{"z": 0}'] },
  { sql: 'SELECT id FROM t WHERE s || $1 = $2 ORDER BY id', params: ['b', 'abb'] },
  // a bare parameter beside other columns: DuckDB alone describes one column "unknown"
  { sql: 'SELECT id, $1 FROM t ORDER BY id', params: ['v'] },
  { sql: 'SELECT $1 AS x, i, s FROM t ORDER BY id', params: ['w'] },
  { sql: 'SELECT id, $1::int + 1 AS n, $2 FROM t ORDER BY id', params: ['5', 'b'] },
];

/** What a client saw of one query: column names, type OIDs and values as text, or the error. */
interface Seen {
  readonly columns?: readonly string[];
  readonly oids?: readonly number[];
  readonly rows?: readonly (readonly (string | null)[])[];
  readonly error?: string;
}

let postgres: TestPostgres;
let tidewatch: EmptyServer;

before(async () => {
  [postgres, tidewatch] = await Promise.all([startPostgres(), startEmptyServer('tw-concat-params-')]);
  for (const sql of SETUP) {
    await postgres.client.query(sql);
    await tidewatch.client.query(sql);
  }
});

after(async () => {
  await stopEmptyServer(tidewatch ?? {});
  await postgres?.stop();
});

const asText = { getTypeParser: () => (text: string) => text } as unknown as pg.CustomTypesConfig;

async function nodePostgres(client: pg.Client): Promise<Seen[]> {
  const out: Seen[] = [];
  for (const q of QUERIES) {
    try {
      const r = await client.query({ text: q.sql, values: [...q.params], rowMode: 'array', types: asText });
      out.push({
        columns: r.fields.map((f) => f.name),
        oids: r.fields.map((f) => f.dataTypeID),
        rows: r.rows as (string | null)[][],
      });
    } catch (e) {
      out.push({ error: (e as Error).message });
    }
  }
  return out;
}

test('node-postgres: names, types and values as PostgreSQL 15 gives them', async () => {
  const [ours, theirs] = [await nodePostgres(tidewatch.client), await nodePostgres(postgres.client)];
  assert.ok(theirs.every((s) => s.error === undefined));
  for (const [k, q] of QUERIES.entries()) assert.deepEqual(ours[k], theirs[k], q.sql);
});

/** psql's `\gdesc` of every query: the Describe of a statement no Bind has typed yet. */
async function described(connection: readonly string[]): Promise<string> {
  const input = QUERIES.map((q) => `${q.sql} \\gdesc\n`).join('');
  const r = await psql(connection, ['-A', '-t', '-v', 'ON_ERROR_STOP=1'], input);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

test("psql's \\gdesc: a statement described before any Bind has PostgreSQL's columns", async () => {
  const ours = await described(tidewatchConnection(tidewatch.server.pgPort));
  const theirs = await described([
    '-h',
    '127.0.0.1',
    '-p',
    String(postgres.port),
    '-U',
    'postgres',
    '-d',
    'postgres',
  ]);
  assert.match(theirs, /\?column\?\|text/);
  assert.equal(ours, theirs);
});

const PYTHON = '/usr/bin/python3';
const psycopgMissing = spawnSync(PYTHON, ['-c', 'import psycopg']).status !== 0;

/** Runs each query with psycopg (once as it is, once prepared) and prints what it saw as JSON. */
const PSYCOPG = `
import json, sys
import psycopg

cfg = json.loads(sys.argv[1])
out = []
with psycopg.connect(host='127.0.0.1', port=cfg['port'], dbname=cfg['dbname'], user=cfg['user'], connect_timeout=5, autocommit=True) as conn:
    for q in cfg['queries']:
        sql = q['sql']
        for n in range(len(q['params']), 0, -1):
            sql = sql.replace('$%d' % n, '%s')
        for prepare in (False, True):
            try:
                cur = conn.execute(sql, q['params'], prepare=prepare)
                rows = [[None if v is None else str(v) for v in r] for r in cur.fetchall()]
                out.append({'columns': [d.name for d in cur.description], 'oids': [d.type_code for d in cur.description], 'rows': rows})
            except Exception as e:
                out.append({'error': str(e)})
print(json.dumps(out))
`;

async function withPsycopg(port: number, user: string, dbname: string): Promise<Seen[]> {
  const cfg = JSON.stringify({ port, user, dbname, queries: QUERIES });
  const { stdout } = await execFileAsync(PYTHON, ['-c', PSYCOPG, cfg], { timeout: 60_000 });
  return JSON.parse(stdout) as Seen[];
}

test('psycopg 3 (strings sent untyped), as it is and prepared', { skip: psycopgMissing }, async () => {
  const ours = await withPsycopg(tidewatch.server.pgPort, 'root', 'dev');
  const theirs = await withPsycopg(postgres.port, 'postgres', 'postgres');
  assert.equal(theirs.length, QUERIES.length * 2);
  assert.ok(theirs.every((s) => s.error === undefined));
  for (const [k, s] of theirs.entries()) assert.deepEqual(ours[k], s, QUERIES[Math.floor(k / 2)]?.sql);
});

/** pgx v4 without the simple protocol: each query prepared (Parse, Describe) before its Bind. */
const PGX = `package main

import (
	"context"
	"encoding/json"
	"os"
	"time"

	"github.com/jackc/pgx/v4"
)

type query struct {
	SQL    string   \`json:"sql"\`
	Params []string \`json:"params"\`
}

type seen struct {
	Columns []string    \`json:"columns,omitempty"\`
	Oids    []uint32    \`json:"oids,omitempty"\`
	Rows    [][]*string \`json:"rows,omitempty"\`
	Error   string      \`json:"error,omitempty"\`
}

func main() {
	var queries []query
	if err := json.Unmarshal([]byte(os.Args[2]), &queries); err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, os.Args[1])
	if err != nil {
		panic(err)
	}
	defer conn.Close(ctx)
	out := []seen{}
	for _, q := range queries {
		args := []interface{}{}
		for _, p := range q.Params {
			args = append(args, p)
		}
		s := seen{Columns: []string{}, Oids: []uint32{}, Rows: [][]*string{}}
		rows, err := conn.Query(ctx, q.SQL, args...)
		if err != nil {
			out = append(out, seen{Error: err.Error()})
			continue
		}
		for _, fd := range rows.FieldDescriptions() {
			s.Columns = append(s.Columns, string(fd.Name))
			s.Oids = append(s.Oids, fd.DataTypeOID)
		}
		for rows.Next() {
			row := []*string{}
			for i, raw := range rows.RawValues() {
				if raw == nil {
					row = append(row, nil)
				} else if rows.FieldDescriptions()[i].Format == 0 {
					t := string(raw)
					row = append(row, &t)
				} else {
					t := "binary"
					row = append(row, &t)
				}
			}
			s.Rows = append(s.Rows, row)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			s = seen{Error: err.Error()}
		}
		out = append(out, s)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		panic(err)
	}
}
`;

const goAbsent = goMissing();

test('pgx v4 (statements prepared and described before they run)', { skip: goAbsent }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'tw-concat-pgx-'));
  try {
    const client = await buildClient(tmp, PGX);
    const run = async (dsn: string) => {
      const { stdout } = await execFileAsync(client, [dsn, JSON.stringify(QUERIES)], { timeout: 40_000 });
      return JSON.parse(stdout) as Seen[];
    };
    const ours = await run(
      `host=127.0.0.1 port=${tidewatch.server.pgPort} dbname=dev user=root sslmode=disable`,
    );
    const theirs = await run(
      `host=127.0.0.1 port=${postgres.port} dbname=postgres user=postgres sslmode=disable`,
    );
    assert.ok(theirs.every((s) => s.error === undefined));
    for (const [k, q] of QUERIES.entries()) assert.deepEqual(ours[k], theirs[k], q.sql);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
