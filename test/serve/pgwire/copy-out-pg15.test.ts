/**
 * COPY TO STDOUT against PostgreSQL 15 itself: psql runs the same `\copy` / `COPY` commands on
 * a real server and on tidewatch, and must print the same bytes (and the same errors for bad
 * options): text escapes and control characters, NULL strings, CSV quoting, headers,
 * delimiters, and the text forms of non-text types.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.ts';
import { startTestServer, type TestServer } from './test-server.ts';

const execFileAsync = promisify(execFile);

const TABLES = `CREATE TABLE tricky (id int, s text, f float8, ok boolean);
INSERT INTO tricky VALUES (1, E'tab\\there, back\\\\slash\\nnew "line"\\r', NULL, true)`;

let ts: TestServer;
let pg: TestPostgres;
before(async () => {
  [ts, pg] = await Promise.all([startTestServer(), startPostgres()]);
  await ts.engine.execute(`${TABLES};\nFLUSH`);
  await pg.client.query(TABLES);
});
after(async () => {
  assert.deepEqual(ts.unexpected, []);
  await Promise.all([ts.close(), pg.stop()]);
});

interface PsqlRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function psql(connection: readonly string[], args: readonly string[]): Promise<PsqlRun> {
  try {
    const { stdout, stderr } = await execFileAsync('/usr/bin/psql', ['-X', ...connection, ...args], {
      env: { ...process.env, PGSSLMODE: 'disable', PGCONNECT_TIMEOUT: '5' },
      timeout: 10_000,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const failed = e as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** psql on both servers; the outputs must be the same. Returns them. */
async function same(...args: string[]): Promise<PsqlRun> {
  const [ours, theirs] = await Promise.all([
    psql(['-h', '127.0.0.1', '-p', String(ts.port), '-U', 'root', '-d', 'dev'], args),
    psql(['-h', pg.socketDir, '-p', String(pg.port), '-U', 'postgres', '-d', 'postgres'], args),
  ]);
  assert.deepEqual(ours, theirs, args.join(' '));
  return ours;
}

const TRICKY = `select E'a\\tb' as x, null::text as n, 'back\\slash' as b, E'l1\\nl2' as nl, E'cr\\rx' as cr, '' as e, 'say "hi"' as q, 'a,b' as c, 1.5::float8 as f, true as t`;
const CONTROL = `select E'\\x08\\x0b\\x0c\\x01|x;y' as "c|d", E'\\x01' as one, '\\.' as dot`;
const TYPES = `select 12345.678::numeric as n, '\\x00ff'::bytea as b, array['a b', null, 'c"d', 'e\\f']::text[] as arr, timestamp '2024-01-02 03:04:05.5' as ts, interval '1 day 02:00:00' as i, 2.5::float4 as r, -7::int8 as big, date '2024-02-29' as d, 'héllo ✓' as u`;

const OPTIONS = [
  '',
  'with (format csv)',
  'with (format csv, header)',
  'with (format text, header true)',
  "with (format text, header, delimiter '|', null 'NULL')",
  "with (format csv, header, delimiter E'\\t', null 'NULL')",
  "with (format csv, delimiter ';', null '')",
  "with (delimiter '|')",
  "with (delimiter E'\\x01')",
  "with (format csv, delimiter '|')",
];

test('text and csv output of special values, every option', async () => {
  // Several -c in one psql run: each prints in turn, errors included.
  for (const q of [TRICKY, CONTROL, TYPES]) {
    const r = await same(...OPTIONS.flatMap((o) => ['-c', `\\copy (${q}) to stdout ${o}`]));
    assert.equal(r.stderr, '');
    assert.ok(r.stdout.split('\n').length > OPTIONS.length);
  }
});

test('COPY table TO STDOUT, single columns, and a COPY among other statements', async () => {
  await same('-c', 'COPY tricky TO STDOUT');
  await same('-c', 'COPY tricky TO STDOUT WITH (FORMAT csv, HEADER)');
  await same('-c', "COPY tricky (s, f) TO STDOUT WITH (FORMAT csv, HEADER, NULL 'none')");
  await same('-c', 'COPY tricky (s) TO STDOUT WITH (FORMAT csv, HEADER)');
  await same(
    '-c',
    "COPY (select ''::text as e union all select null order by 1) TO STDOUT WITH (FORMAT csv)",
  );
  await same('-c', 'COPY (select id from tricky where id > 5) TO STDOUT');
  await same('-At', '-c', "COPY (select s from tricky where id = 1) TO STDOUT; select 'after'");
});

test('bad options fail with the same message', async () => {
  const options = [
    "delimiter 'ab'",
    "delimiter ''",
    "delimiter 'x'",
    "delimiter '7'",
    "delimiter '\\'",
    "delimiter E'\\n'",
    "null E'a\\rb'",
    "delimiter ',', null 'a,b'",
    "format csv, null 'a\"b'",
    "format csv, delimiter '\"'",
    'header match',
  ];
  const r = await same(
    ...options.flatMap((o) => ['-c', `\\copy (select 1) to stdout with (${o})`, '-c', 'select 1 as ok']),
  );
  assert.equal(r.stderr.match(/^ERROR: /gm)?.length, options.length);
  assert.equal(r.stdout.match(/^\(1 row\)$/gm)?.length, options.length);
});
